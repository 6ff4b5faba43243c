"""Finding the video files under the paths a user gives, recursively, without following folder links.

Anything with a video extension is a candidate, including things that only look like videos (a folder
or a broken link named ``x.mp4``): they are yielded too, so that ingest reports them instead of
passing over them silently. So is a name that is not UTF-8 (bytes from another system's encoding):
it cannot be stored or shown faithfully, so it is reported, with its bytes escaped, for renaming.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from reviewer.media.probe import is_animated_image

VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".mxf", ".mpg", ".mpeg", ".ts",
        ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv", ".y4m", ".gif", ".hevc", ".h264", ".ivf",
    }
)  # fmt: skip


# Image formats that can be animated (ComfyUI's SaveAnimatedPNG and SaveAnimatedWEBP write them): a
# file of these is a take only when it is animated, so stills and references beside takes stay out.
ANIMATED_IMAGE_EXTENSIONS = frozenset({".png", ".apng", ".webp"})


def is_video_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def is_take_name(path: Path | str, name: str) -> bool:
    """A video by its extension, or an animated PNG/WebP by its first bytes."""
    if is_video_name(name):
        return True
    return os.path.splitext(name)[1].lower() in ANIMATED_IMAGE_EXTENSIONS and is_animated_image(path)


NOT_UTF8 = "the file name is not UTF-8 (written by another system's encoding): rename it to read it"


def shown(path: Path | str) -> str:
    """A path as text that can be stored and shown: bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scan(path: Path, errors: list[tuple[str, str]]) -> Iterator[Path]:
    """Every video-named path under ``path`` (or ``path`` itself), sorted within each folder.

    Folders that cannot be listed are added to ``errors`` as ``(path, reason)`` and passed over.
    """
    if not _utf8(str(path)):
        errors.append((shown(path), NOT_UTF8))
        return
    if not path.is_dir():
        if path.exists() or path.is_symlink():
            yield path
        else:
            errors.append((str(path), "not found"))
        return
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            errors.append((str(folder), f"folder cannot be read: {exc.strerror or exc}"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if not _utf8(entry.name):
                if is_dir or is_video_name(entry.name):
                    errors.append((shown(entry.path), NOT_UTF8))
                continue
            if is_take_name(entry.path, entry.name):
                yield Path(entry.path)
            elif is_dir:
                subfolders.append(Path(entry.path))
        stack.extend(reversed(subfolders))
