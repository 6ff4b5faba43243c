"""What belongs to this workstation rather than to the project: where its settings live, and where the
shared media roots are mounted here.

A team's takes sit on shared storage that each workstation mounts where it likes (``/mnt/ad`` on one,
``/Volumes/ad`` on another). A media root stores the path it was ingested from; this workstation's
``roots.json`` rewrites path prefixes (``{"/mnt/ad": "/Volumes/ad"}``), the longest matching prefix
first, so every path the program opens is one that exists here. Nothing of it goes into the project.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import func, select

from reviewer.errors import KnownError
from reviewer.store import models as m


def config_dir() -> Path:
    """Where a user's settings live: ``$TAKE_REVIEWER_CONFIG``, else the XDG config folder."""
    override = os.environ.get("TAKE_REVIEWER_CONFIG", "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "take-reviewer"


def path_map_file() -> Path:
    return config_dir() / "roots.json"


def path_map() -> dict[str, str]:
    """This workstation's prefix rewrites: stored prefix -> local prefix."""
    path = path_map_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise KnownError(f"Cannot read the media root mapping {path}: {exc}") from None
    if not isinstance(data, dict):
        raise KnownError(f'{path} should map stored folders to local ones, like {{"/mnt/ad": "/Volumes/ad"}}')
    return {str(k): str(v) for k, v in data.items()}


def set_mapping(stored: str, local: str | None) -> dict[str, str]:
    """Map a stored prefix to a local one (None: remove the mapping); the whole map after."""
    mapping = path_map()
    if local is None:
        mapping.pop(stored, None)
    else:
        mapping[stored] = local
    path = path_map_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(mapping, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return mapping


def _parts(path: str) -> tuple[str, ...]:
    pure = PureWindowsPath(path) if ("\\" in path or path[1:3] == ":\\") else PurePosixPath(path)
    return tuple(p for p in pure.parts)


def local_path(stored: str, mapping: dict[str, str] | None = None) -> str:
    """``stored`` as this workstation reaches it (whole path components only: /mnt/ad never maps
    /mnt/adverts)."""
    mapping = path_map() if mapping is None else mapping
    parts = _parts(stored)
    best: tuple[int, str] | None = None
    for prefix, target in mapping.items():
        head = _parts(prefix.rstrip("/\\") or prefix)
        if parts[: len(head)] == head and (best is None or len(head) > best[0]):
            best = (len(head), target)
    if best is None:
        return stored
    rest = parts[best[0] :]
    return str(Path(best[1], *rest)) if rest else best[1]


def root_paths(session: Any) -> dict[int, str]:
    """Every media root's folder on this workstation: root id -> path."""
    mapping = path_map()
    return {
        rid: local_path(path, mapping)
        for rid, path in session.execute(select(m.MediaRoot.id, m.MediaRoot.path))
    }


def roots(session: Any) -> list[tuple[str, str, str, int]]:
    """Every media root as (name, stored path, path here, number of takes), by name."""
    here = root_paths(session)
    rows = session.execute(
        select(m.MediaRoot.id, m.MediaRoot.name, m.MediaRoot.path, func.count(m.Take.id))
        .outerjoin(m.Take, m.Take.root_id == m.MediaRoot.id)
        .group_by(m.MediaRoot.id, m.MediaRoot.name, m.MediaRoot.path)
        .order_by(m.MediaRoot.name)
    ).all()
    return [(name, stored, here[rid], int(n)) for rid, name, stored, n in rows]
