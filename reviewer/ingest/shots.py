"""Shot assignment by rules: a shot code found in the file name or a folder name.

The default rules recognise ``SH010``, ``sh_010``, ``shot010``, ``Shot-10`` and normalise them to
``SH010``; a project can set its own regular expressions (each with one group for the number) in the
``shot_patterns`` setting. A sidecar's ``shot`` field wins over both; by hand wins over everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

DEFAULT_SHOT_PATTERNS = (r"(?i)(?<![a-z0-9])(?:sh|shot)[ _\-]?(\d{1,4})(?![0-9])",)


def normalise_code(number: str) -> str:
    return f"SH{int(number):03d}"


def shot_from_path(relpath: PurePath, patterns: Sequence[str] = DEFAULT_SHOT_PATTERNS) -> tuple[str, str]:
    """``(code, where)`` for the first rule that matches the file name, then folders from the deepest;
    ``("", "")`` when none does."""
    compiled = [re.compile(p) for p in patterns]
    parts = [relpath.stem, *reversed(relpath.parts[:-1])]
    for index, part in enumerate(parts):
        for rx in compiled:
            match = rx.search(part)
            if match:
                return normalise_code(match.group(1)), "file name" if index == 0 else "folder"
    return "", ""


def sort_key(code: str) -> int:
    """The order of a shot on the board: its number, or after every numbered shot."""
    match = re.search(r"(\d+)", code)
    return int(match.group(1)) if match else 1_000_000


def shot_code_from_text(text: str) -> str:
    """A shot named in metadata (``"SH 20"``, ``"20"``, ``"sh020"``) as a code; free text kept as is."""
    text = text.strip()
    match = re.fullmatch(r"(?i)(?:sh|shot)?[ _\-]?(\d{1,4})", text)
    return normalise_code(match.group(1)) if match else text[:100]
