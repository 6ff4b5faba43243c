"""The local thumbnail cache: posters and filmstrips as JPEG files, sound waveforms as small numpy
files and proxies as small MP4 files, keyed by a take's content hash.

It is regenerable and per workstation (never in the project database): ``$TAKE_REVIEWER_CACHE``, else
``$XDG_CACHE_HOME/take-reviewer``, else ``~/.cache/take-reviewer``. Files are written atomically, so a
reader never sees half an image and two workers writing the same key do no harm.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

FILMSTRIP_FRAMES = 10
# Proxies made before this format are not used (v1 carried no colour tags, so players read 360-line
# proxies of HD takes as BT.601 and full-range ones as limited range).
PROXY_FORMAT = "v2"
FILMSTRIP_HEIGHT = 72
POSTER_SIZE = 320


def cache_root() -> Path:
    env = os.environ.get("TAKE_REVIEWER_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "take-reviewer"


def _key_path(root: Path, content_hash: str, kind: str, suffix: str = ".jpg") -> Path:
    safe = "".join(c for c in content_hash if c.isalnum() or c in "-_")
    return root / "thumbs" / safe[-2:] / f"{safe}.{kind}{suffix}"


def poster_path(content_hash: str, root: Path | None = None) -> Path:
    return _key_path(root or cache_root(), content_hash, "poster")


def filmstrip_path(content_hash: str, root: Path | None = None) -> Path:
    return _key_path(root or cache_root(), content_hash, "strip")


def waveform_path(content_hash: str, root: Path | None = None) -> Path:
    return _key_path(root or cache_root(), content_hash, "wave", ".npy")


def proxy_path(content_hash: str, root: Path | None = None) -> Path:
    """A take's proxy (small H.264 copy with the same frames, see ``reviewer.media.proxy``)."""
    safe = "".join(c for c in content_hash if c.isalnum() or c in "-_")
    return (root or cache_root()) / "proxies" / PROXY_FORMAT / safe[-2:] / f"{safe}.mp4"


def drop_old_proxies(root: Path | None = None) -> int:
    """Delete proxies of an earlier ``PROXY_FORMAT`` (never read again: the next analysis pass makes
    new ones); the number of folders removed."""
    folder = (root or cache_root()) / "proxies"
    removed = 0
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name != PROXY_FORMAT and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


def no_proxy_mark(proxy: Path) -> Path:
    """Beside where a take's proxy would be: a mark that it cannot have one (the take breaks off in a
    decode error, so the proxy would number its frames wrong). The analysis passes after it do not
    decode the take again for the proxy alone; ``reviewer analyze --force`` tries again."""
    return proxy.with_suffix(".none")


def no_proxy_path(content_hash: str, root: Path | None = None) -> Path:
    return no_proxy_mark(proxy_path(content_hash, root))


def unwritable(root: Path | None = None) -> str:
    """Why nothing can be written under the cache folder ("" when it can): tried with a file of its own,
    as the passes write theirs (a folder made if missing, a temporary file, removed)."""
    folder = root or cache_root()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
