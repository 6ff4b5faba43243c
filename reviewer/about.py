"""What this build is made of: versions of the program, Qt, FFmpeg, the database and the libraries.

Shown by ``reviewer --version`` and the About box (bug reports need them), and written beside the
frozen app's licence list by the packaging.
"""

from __future__ import annotations

import platform
import sqlite3
from importlib import metadata
from typing import Any

from reviewer import __version__


def _dist(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(project: Any = None, qt: str | None = None, sound: str | None = None) -> list[tuple[str, str]]:
    """(component, version) pairs; with an open project, its database server too. The Qt version and
    the sound output are given by the caller (only the UI layer talks to Qt)."""
    import av

    from reviewer.media import credentials

    ffmpeg = av.library_versions.get("libavcodec", (0, 0, 0))
    rows = [
        ("Take Reviewer", __version__),
        ("Python", platform.python_version()),
        ("PyAV", av.__version__),
        ("FFmpeg (libavcodec)", ".".join(str(v) for v in ffmpeg)),
        ("SQLite", sqlite3.sqlite_version),
        ("SQLAlchemy", _dist("SQLAlchemy")),
        ("OpenTimelineIO", _dist("opentimelineio")),
        ("numpy", _dist("numpy")),
        ("PySide6", _dist("PySide6-Essentials")),
        ("C2PA", credentials.library_version()),
    ]
    if qt:
        rows.append(("Qt", qt))
    if sound:
        rows.append(("sound", sound))
    if project is not None:
        engine = project.engine
        server = engine.dialect.server_version_info
        name = engine.dialect.name
        rows.append((f"database ({name})", ".".join(str(v) for v in server) if server else "?"))
    rows.append(("platform", platform.platform()))
    return rows


def text(project: Any = None, qt: str | None = None, sound: str | None = None) -> str:
    return "\n".join(f"{name}: {version}" for name, version in versions(project, qt, sound))
