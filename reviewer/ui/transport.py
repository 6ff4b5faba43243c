"""The transport keys, written once: which command calls which method of what is on the stage.

The player, compare and the cut each implement the methods they support (``play_pause``, ``step``,
``shuttle`` ...); ``handlers(view)`` gives the commands of this table that the view can carry out, so
a key does the same thing wherever it works, and nothing where it does not (the cut has no speeds).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

# command -> (method, arguments)
TRANSPORT: dict[str, tuple[str, tuple[Any, ...]]] = {
    "player.play_pause": ("play_pause", ()),
    "player.pause": ("pause", ()),
    "player.shuttle_forward": ("shuttle", (+1,)),
    "player.shuttle_backward": ("shuttle", (-1,)),
    "player.step_forward": ("step", (1,)),
    "player.step_backward": ("step", (-1,)),
    "player.second_forward": ("step_seconds", (1,)),
    "player.second_backward": ("step_seconds", (-1,)),
    "player.first_frame": ("first_frame", ()),
    "player.last_frame": ("last_frame", ()),
    "player.speed_down": ("change_speed", (-1,)),
    "player.speed_up": ("change_speed", (+1,)),
}


def handlers(view: object) -> dict[str, Callable[[], None]]:
    """The transport commands ``view`` carries out, each bound to its method."""
    found: dict[str, Callable[[], None]] = {}
    for command, (method, args) in TRANSPORT.items():
        bound = getattr(view, method, None)
        if callable(bound):
            found[command] = partial(bound, *args)
    return found
