"""The shipped keymap: every key bound once, every command known to the UI."""

from __future__ import annotations

from reviewer.review.keymap import conflicts, default_keymap


def test_default_keymap_has_no_conflicts() -> None:
    keymap = default_keymap()
    assert keymap["player.play_pause"] == ["Space"]
    assert conflicts(keymap) == {}


def test_conflicts_are_found_whatever_the_case() -> None:
    assert conflicts({"a": ["Ctrl+K"], "b": ["ctrl+k"], "c": ["X"]}) == {"ctrl+k": ["a", "b"]}


def test_every_command_in_the_keymap_has_a_handler(qtbot) -> None:  # type: ignore[no-untyped-def]
    from reviewer.ui.player import PlayerWidget

    player = PlayerWidget()
    qtbot.addWidget(player)
    window_commands = {"queue.next_take", "queue.previous_take", "app.quit"}  # bound by the project window
    unbound = set(default_keymap()) - set(player.actions_by_id) - window_commands
    assert unbound == set()
    player.close_all()
