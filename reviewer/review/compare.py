"""What differs between takes being compared: provenance fields, and the prompt word by word.

Takes of one shot usually differ in a seed, a model or a few words of the prompt; the compare view
marks exactly those. Qt-free: the view turns the marked pieces into text with highlights.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FIELDS = ("model", "generator", "seed", "params", "negative_prompt")
_WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class Piece:
    text: str
    changed: bool


def word_diff(reference: str, other: str) -> list[Piece]:
    """``other`` cut into pieces, the words that are not in ``reference`` (inserted or replaced) marked."""
    a = [w for w in _WORDS.findall(reference) if not w.isspace()]
    tokens = _WORDS.findall(other)
    words = [t for t in tokens if not t.isspace()]
    changed = [True] * len(words)
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in a], b=[w.lower() for w in words], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.b, block.b + block.size):
            changed[k] = False
    pieces: list[Piece] = []
    k = 0
    for token in tokens:
        if token.isspace():
            pieces.append(Piece(token, False))
        else:
            pieces.append(Piece(token, changed[k]))
            k += 1
    return _merge(pieces)


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Neighbouring pieces with the same mark become one (spaces between two marked words join them)."""
    out: list[Piece] = []
    for i, piece in enumerate(pieces):
        mark = piece.changed
        if piece.text.isspace():
            before = out[-1].changed if out else False
            after = pieces[i + 1].changed if i + 1 < len(pieces) else False
            mark = before and after
        if out and out[-1].changed == mark:
            out[-1] = Piece(out[-1].text + piece.text, mark)
        else:
            out.append(Piece(piece.text, mark))
    return out


def field_text(take: dict[str, Any], name: str) -> str:
    value = take.get(name)
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def differing_fields(takes: Sequence[dict[str, Any]]) -> list[str]:
    """The provenance fields whose values are not the same for all the takes (prompt included)."""
    out = []
    for name in ("prompt", *FIELDS):
        if len({field_text(t, name) for t in takes}) > 1:
            out.append(name)
    return out
