"""What we do with values that come from outside (file names, tags, sidecars, other reviewers' names)
on their way out: to a terminal, to strict JSON, to a file name. Every layer may use it; it imports
nothing of ours.

- ``for_terminal``: control characters (C0, DEL, C1) and bidi controls shown as visible escapes, so a
  file name cannot move the cursor, retitle the terminal, clear the screen or read backwards.
- ``json_value`` and ``dumps``: JSON that every strict reader takes: no NaN or Infinity, no integer
  that does not fit a double (OpenTimelineIO's reader refuses it with "Number too big" for the whole
  timeline); such numbers are kept as their text.
- ``file_name_part`` and ``fit_bytes``: names made for files count bytes against the file system's
  limit and carry no bidi controls.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

MAX_ITEMS = 200  # of one dict or list inside a value
MAX_DIGITS = 300  # a whole number with more digits is kept as (cut) text
NAME_MAX = 255  # bytes of one file name on Linux, macOS and Windows (NTFS counts UTF-16 units: fewer)

# Explicit directional formatting (embeddings, overrides, isolates) and the implicit marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_TERMINAL_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}\ud800-\udfff]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(value: object, newlines: bool = False) -> str:
    """``value`` as text that is safe to print to a terminal: every control character escaped
    (``\\x1b``, ``\\x9b``, ``\\u202e``), the rest as it is. Newlines and tabs are escaped too (one
    record stays on one line) unless ``newlines``: a message of several lines keeps its lines."""
    text = value if isinstance(value, str) else str(value)
    if newlines:
        return "\n".join(_TERMINAL_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _TERMINAL_UNSAFE.sub(_escape, text)


def json_value(value: Any, depth: int = 0) -> Any:
    """``value`` as strict JSON can carry it: a float that is not finite and an integer outside 64 bits
    become their text; containers are copied (keys as text), bounded in size and depth."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else number_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 20:
        return None
    if isinstance(value, dict):
        return {str(k): json_value(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [json_value(v, depth + 1) for v in value[:MAX_ITEMS]]
    return str(value)


def number_text(value: int) -> str:
    """A huge integer as text (Python refuses ``str()`` beyond 4,300 digits; nobody needs them all)."""
    try:
        text = str(value)
    except ValueError:
        return "(a number too long to keep)"
    return text if len(text) <= MAX_DIGITS else text[:MAX_DIGITS] + " [...]"


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON (``allow_nan=False``: a NaN that got this far is a bug and fails loudly), with the
    characters a terminal or a JavaScript reader trips over (C1 controls, bidi controls, U+2028/9)
    written as escapes, which any reader turns back into the same text."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def strict_loads(text: str) -> Any:
    """JSON as a strict reader takes it: NaN, Infinity and -Infinity refused."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]+")


def one_line(text: str) -> str:
    """``text`` for a line-based or XML file (EDL, ALE, FCP XML): every control character, line break
    and character XML 1.0 cannot hold made a space, so a name can neither end a line nor break the XML."""
    return _LINE_UNSAFE.sub(" ", text) if _LINE_UNSAFE.search(text) else text


def strip_bidi(text: str) -> str:
    return _BIDI.sub("", text)


def fit_bytes(text: str, limit: int) -> str:
    """The longest start of ``text`` whose UTF-8 form is at most ``limit`` bytes, cut between
    characters (and not between a letter and its combining accents)."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return text
    cut = data[: max(limit, 0)].decode("utf-8", "ignore")
    while cut and _is_combining(cut[-1]):
        cut = cut[:-1]
    if cut and len(cut) < len(text) and _is_combining(text[len(cut)]):
        cut = cut[:-1]  # the base letter would lose the accent that follows it
    return cut


def _is_combining(char: str) -> bool:
    return unicodedata.combining(char) != 0


def byte_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))
