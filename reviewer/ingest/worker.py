"""The work done per file in the ingest pool: plain functions that take paths and return plain data.

They run in worker processes (decoding and hashing in parallel, no shared state), never touch the
database, and turn every failure of a file into a ``Failure`` with a one-line reason so one broken file
never stops a batch. Only the process that owns the project writes what they return.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import MediaError
from reviewer.ingest.hashing import content_hash
from reviewer.ingest.provenance import Provenance, read_provenance
from reviewer.media import cache
from reviewer.media.analysis import analyze
from reviewer.media.images import encode_jpeg
from reviewer.media.probe import Probe, check_file, probe


@dataclass
class Probed:
    path: str
    size: int
    mtime: float
    content_hash: str
    probe: Probe
    provenance: Provenance


@dataclass
class Failure:
    path: str
    reason: str


def probe_file(path: str, cache_root: str, poster_size: int = cache.POSTER_SIZE) -> Probed | Failure:
    """Hash, probe and read the provenance of one file, and put its poster in the cache."""
    p = Path(path)
    try:
        st = check_file(p)
        digest = content_hash(p, st.st_size)
        poster_file = cache.poster_path(digest, Path(cache_root))
        need_poster = not poster_file.exists()
        info, poster = probe(p, poster_size=poster_size if need_poster else 0)
        if poster is not None:
            cache.write_atomic(poster_file, encode_jpeg(poster))
        prov = read_provenance(p, info.tags)
        info.tags = {}  # read; no need to carry megabytes of workflow JSON back across the process boundary
        return Probed(path, st.st_size, st.st_mtime, digest, info, prov)
    except MediaError as exc:
        return Failure(path, str(exc))
    except PermissionError:
        return Failure(path, "permission denied")
    except OSError as exc:
        return Failure(path, exc.strerror or str(exc))
    except MemoryError:
        return Failure(path, "too large to read")


def analyze_take(
    path: str,
    digest: str,
    frame_count: int,
    cache_root: str,
    frames: int = cache.FILMSTRIP_FRAMES,
    height: int = cache.FILMSTRIP_HEIGHT,
) -> Failure | dict[str, Any]:
    """One decode of the take: its quality signals (as a dict), and its filmstrip into the cache if missing."""
    root = Path(cache_root)
    strip_file = cache.filmstrip_path(digest, root)
    poster_file = cache.poster_path(digest, root)
    try:
        if not poster_file.exists():
            _, poster = probe(Path(path), poster_size=cache.POSTER_SIZE)
            if poster is not None:
                cache.write_atomic(poster_file, encode_jpeg(poster))
        want_strip = not strip_file.exists()
        result, strip = analyze(Path(path), frame_count, frames if want_strip else 0, height)
        if strip is not None:
            cache.write_atomic(strip_file, encode_jpeg(strip))
    except MediaError as exc:
        return Failure(path, str(exc))
    except OSError as exc:
        return Failure(path, exc.strerror or str(exc))
    return result.as_dict()


def worker_init() -> None:
    """Workers run at lower priority so the reviewer's own session stays responsive during an ingest."""
    with contextlib.suppress(OSError):
        os.nice(5)
