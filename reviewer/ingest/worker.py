"""The work done per file in the ingest pool: plain functions that take paths and return plain data.

They run in worker processes (decoding and hashing in parallel, no shared state), never touch the
database, and turn every failure of a file into a ``Failure`` with a one-line reason so one broken file
never stops a batch. Only the process that owns the project writes what they return.

A file's metadata (tags, sidecars) is read within ``METADATA_BUDGET_S``: the parsers check the budget
between steps, and in a worker process an interval timer stops one that is stuck inside a step. A file
over budget is stored without provenance and with the reason. A worker whose parent has died (killed,
crashed) exits within a second instead of waiting for work that will never come.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import MediaError
from reviewer.ingest.evidence import read_evidence
from reviewer.ingest.hashing import content_hash
from reviewer.ingest.provenance import Budget, OverBudget, Provenance, read_provenance
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
    evidence: list[dict[str, Any]]  # what the file says about AI (reviewer.ingest.evidence)


@dataclass
class Failure:
    path: str
    reason: str


METADATA_BUDGET_S = 5.0


@contextlib.contextmanager
def hard_limit(seconds: float) -> Iterator[None]:
    """Raise ``OverBudget`` in this thread after ``seconds``, even inside one long step, where the
    process lets us (the main thread of a process with SIGALRM: the pool's workers); elsewhere (an
    ingest in a GUI thread) the parsers' own checks of the budget are the limit."""
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise OverBudget(seconds)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def metadata(path: Path, tags: dict[str, str], seconds: float | None = None) -> tuple[Provenance, str]:
    """The file's provenance within its budget (``METADATA_BUDGET_S`` unless given), and "" or the
    reason it was not read."""
    seconds = METADATA_BUDGET_S if seconds is None else seconds
    try:
        with hard_limit(seconds + 1.0):
            return read_provenance(path, tags, Budget(seconds)), ""
    except OverBudget as exc:
        return Provenance(), f"metadata not read: {exc}"
    except (RecursionError, MemoryError):
        return Provenance(), "metadata not read: too deeply nested or too large"


def file_evidence(path: Path, tags: dict[str, str], prov: Provenance, trust_pem: str) -> list[dict[str, Any]]:
    """The file's AI evidence within the metadata budget; a manifest over it is a reason, not a hang."""
    try:
        with hard_limit(METADATA_BUDGET_S + 1.0):
            return read_evidence(path, tags, prov, trust_pem)
    except OverBudget:
        return [
            {"kind": "c2pa-unreadable", "ai": None, "line": "C2PA manifest not read: over the time budget"}
        ]
    except MemoryError:
        return [{"kind": "c2pa-unreadable", "ai": None, "line": "C2PA manifest not read: too large"}]


def probe_file(
    path: str, cache_root: str, trust_pem: str = "", poster_size: int = cache.POSTER_SIZE
) -> Probed | Failure:
    """Hash, probe and read the provenance and AI evidence of one file, and put its poster in the cache."""
    p = Path(path)
    try:
        st = check_file(p)
        digest = content_hash(p, st.st_size)
        poster_file = cache.poster_path(digest, Path(cache_root))
        need_poster = not poster_file.exists()
        info, poster = probe(p, poster_size=poster_size if need_poster else 0)
        if poster is not None:
            with contextlib.suppress(OSError):  # a full or read-only cache: the poster is made again later
                cache.write_atomic(poster_file, encode_jpeg(poster))
        prov, why = metadata(p, info.tags)
        if why:
            info.warning = f"{info.warning}; {why}" if info.warning else why
        evidence = file_evidence(p, info.tags, prov, trust_pem)
        info.tags = {}  # read; no need to carry megabytes of workflow JSON back across the process boundary
        return Probed(path, st.st_size, st.st_mtime, digest, info, prov, evidence)
    except MediaError as exc:
        return Failure(path, str(exc))
    except PermissionError:
        return Failure(path, "permission denied")
    except OSError as exc:
        return Failure(path, exc.strerror or str(exc))
    except MemoryError:
        return Failure(path, "too large to read")


@dataclass
class Analysed:
    """A take's analysis (``Analysis.as_dict``), and why its poster, filmstrip or proxy could not be
    kept in the cache ("" when they were, or were not wanted)."""

    data: dict[str, Any]
    cache_problem: str = ""


def analyze_take(
    path: str,
    digest: str,
    frame_count: int,
    cache_root: str,
    proxies: bool = True,
    threads: int = 0,
    keep: bool = True,
    frames: int = cache.FILMSTRIP_FRAMES,
    height: int = cache.FILMSTRIP_HEIGHT,
) -> Failure | Analysed:
    """One decode of the take: its quality signals, and its filmstrip, poster and (with ``proxies``)
    proxy into the cache where missing. ``threads``: the decoder's (``analyze``). ``keep`` False: the
    cache cannot be written (``cache.unwritable``), the analysis alone. A file that cannot be written to
    the cache is never the take's failure: the analysis is returned with the reason beside it."""
    root = Path(cache_root)
    proxy_file = cache.proxy_path(digest, root)
    strip_file = cache.filmstrip_path(digest, root)
    poster_file = cache.poster_path(digest, root)
    problems: list[str] = []

    def kept(target: Path, data: bytes) -> None:
        try:
            cache.write_atomic(target, data)
        except OSError as exc:
            problems.append(exc.strerror or str(exc))

    try:
        if keep and not poster_file.exists():
            _, poster = probe(Path(path), poster_size=cache.POSTER_SIZE)
            if poster is not None:
                kept(poster_file, encode_jpeg(poster))
        want_strip = keep and not strip_file.exists()
        want_proxy = keep and proxies and not proxy_file.exists()
        result, strip = analyze(
            Path(path),
            frame_count,
            frames if want_strip else 0,
            height,
            proxy_file if want_proxy else None,
            threads=threads,
        )
        if strip is not None:
            kept(strip_file, encode_jpeg(strip))
    except MediaError as exc:
        return Failure(path, str(exc))
    except OSError as exc:
        return Failure(path, exc.strerror or str(exc))
    return Analysed(result.as_dict(), problems[0] if problems else "")


def worker_init(parent: int | None = None) -> None:
    """Workers run at lower priority so the reviewer's own session stays responsive during an ingest,
    and exit when their parent (``parent``: the pid that made the pool) dies."""
    with contextlib.suppress(OSError):
        os.nice(5)
    watch_parent(parent=parent)


def watch_parent(every: float = 0.5, parent: int | None = None) -> None:
    """Exit this process as soon as the process that started it is gone.

    A pool worker of a parent that was killed (SIGKILL, a crash) would otherwise sit on its queue
    for minutes, and keep multiprocessing's resource tracker alive with it. When the parent dies the
    worker is handed to another process (init or a subreaper), so its parent id changes. The pool
    gives its own pid: a worker still importing when its parent died would otherwise take its new
    parent for the one to watch, and never exit."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        stopped = threading.Event()
        while not stopped.wait(every):
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
