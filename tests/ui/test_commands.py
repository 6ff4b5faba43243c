"""Commands are data with handlers: every command of the default keymap is carried out by the
workspace and has a title, and the transport keys are one table for the player, compare and the cut."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from reviewer.review import keymap as km
from reviewer.ui import transport
from tests.ui.driver import open_window


def test_every_command_in_the_keymap_has_a_handler_and_a_title(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    commands = set(km.default_keymap())
    missing = sorted(c for c in commands if c not in window.commands.actions)
    untitled = sorted(c for c in commands if km.title(c) == c and not c.startswith(km.TAG_PREFIX))
    assert missing == [] and untitled == []
    for command, action in window.commands.actions.items():
        assert (action.text() and action.text() != command) or command.startswith(km.TAG_PREFIX), command
    window.player.close_all()


def test_the_transport_table_is_shared_and_each_view_takes_what_it_can(
    qtbot: QtBot, small_project: Path
) -> None:
    window = open_window(qtbot, small_project)
    player = window.player.handlers()
    assert set(transport.TRANSPORT) <= set(player)  # the player carries out every transport key
    assert set(window.stage.compare_view.handlers()) == set(transport.TRANSPORT)
    cut = set(window.stage.cut_view.handlers())
    assert cut < set(transport.TRANSPORT) and "player.speed_up" not in cut and "player.play_pause" in cut
    assert all(command in km.default_keymap() for command in transport.TRANSPORT)
    window.player.close_all()
