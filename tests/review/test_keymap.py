"""The shipped keymap: every key bound once, every command known to the UI."""

from __future__ import annotations

from reviewer.review.keymap import conflicts, default_keymap


def test_default_keymap_has_no_conflicts() -> None:
    keymap = default_keymap()
    assert keymap["player.play_pause"] == ["Space"]
    assert conflicts(keymap) == {}


def test_conflicts_are_found_whatever_the_case() -> None:
    assert conflicts({"a": ["Ctrl+K"], "b": ["ctrl+k"], "c": ["X"]}) == {"ctrl+k": ["a", "b"]}


def test_a_standalone_player_binds_every_transport_key(qtbot) -> None:  # type: ignore[no-untyped-def]
    from reviewer.ui.player import PlayerWidget

    player = PlayerWidget()
    qtbot.addWidget(player)
    transport = {c for c in default_keymap() if c.startswith("player.")}
    assert set(player.actions_by_id) == transport
    player.close_all()
