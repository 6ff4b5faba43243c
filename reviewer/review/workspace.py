"""The workspace's view state as an evented model (napari's evented models): what is on the stage,
how the browser shows takes (grid or table, stacks folded or not), auto-advance, sound, every-frame
playback and the session's speed.

Widgets render it and write to it; none of them is its storage. Setting a field to a new value tells
the field's listeners (``on``) once, with the new value; setting it to the value it has tells nobody.
``as_settings`` and ``from_settings`` are the one load and save of what a reviewer expects to find again
(the browser's mode and folding, auto-advance, the session speed; QSettings in the GUI, any mapping here), every
value checked on load, so a settings file edited by hand cannot put the window in a state it cannot
show. The stage and the sound are not kept: a window opens on the player, muted (triage is silent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

STAGES = ("player", "compare", "cut", "survey")  # what the stage area shows
BROWSERS = ("grid", "table")
SPEEDS = (1.0, 1.5, 2.0, 3.0)  # a review session's playback speeds
SETTINGS_PREFIX = "workspace/"
KEPT = ("browser", "fold_stacks", "auto_advance", "session_speed")  # what is saved and found again

Listener = Callable[[Any], None]


@dataclass(eq=False)
class Workspace:
    stage: str = "player"
    browser: str = "grid"
    fold_stacks: bool = True  # near-identical takes of a shot shown as one
    auto_advance: bool = True
    muted: bool = True  # triage is silent: the window opens muted
    every_frame: bool = False
    session_speed: float = 1.0
    _listeners: dict[str, list[Listener]] = field(default_factory=dict, init=False, repr=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name not in _FIELDS:
            object.__setattr__(self, name, value)
            return
        value = _checked(name, value)
        if getattr(self, name, _UNSET) == value:
            return
        object.__setattr__(self, name, value)
        for listener in list(self.__dict__.get("_listeners", {}).get(name, ())):  # none while constructing
            listener(value)

    def on(self, name: str, listener: Listener) -> None:
        """Call ``listener(value)`` whenever ``name`` changes."""
        if name not in _FIELDS:
            raise AttributeError(f"the workspace has no {name!r}")
        self._listeners.setdefault(name, []).append(listener)

    def as_settings(self) -> dict[str, Any]:
        return {SETTINGS_PREFIX + name: getattr(self, name) for name in KEPT}

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Workspace:
        """The saved state, every value checked; what is missing or wrong keeps its default."""
        state = cls()
        for name in KEPT:
            key = SETTINGS_PREFIX + name
            if key in values:
                try:
                    setattr(state, name, _from_text(name, values[key]))
                except ValueError:
                    continue
        return state


_UNSET = object()
_FIELDS = tuple(f.name for f in fields(Workspace) if not f.name.startswith("_"))
_CHOICES: dict[str, tuple[Any, ...]] = {"stage": STAGES, "browser": BROWSERS, "session_speed": SPEEDS}
_BOOLS = ("fold_stacks", "auto_advance", "muted", "every_frame")


def _checked(name: str, value: Any) -> Any:
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} is on or off, not {value!r}")
        return value
    if name == "session_speed":
        value = float(value)
    if value not in _CHOICES[name]:
        raise ValueError(f"{name} is one of {', '.join(map(str, _CHOICES[name]))}, not {value!r}")
    return value


def _from_text(name: str, value: Any) -> Any:
    """Settings files keep text ("true", "1.5"): back to the field's type."""
    if name in _BOOLS and isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise ValueError(value)
        return value.lower() == "true"
    if name == "session_speed":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(value) from None
    return value
