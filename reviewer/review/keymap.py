"""Commands and their keys as data: the default keymap ships in resources/keymap.json.

The UI turns each command id into an action with these keys; nothing hard-codes a shortcut in a
widget. Key sequences are Qt's portable text form ("Shift+Right", "Space"), so this stays Qt-free.
"""

from __future__ import annotations

import json
from importlib import resources


def default_keymap() -> dict[str, list[str]]:
    text = (resources.files("reviewer.resources") / "keymap.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {str(command): [str(k) for k in keys] for command, keys in data.items()}


def conflicts(keymap: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keys bound to more than one command: key -> the commands."""
    seen: dict[str, list[str]] = {}
    for command, keys in keymap.items():
        for key in keys:
            seen.setdefault(key.lower(), []).append(command)
    return {key: commands for key, commands in seen.items() if len(commands) > 1}
