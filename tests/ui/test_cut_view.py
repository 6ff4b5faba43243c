"""The cut in the workspace: heroes chosen by key, played straight through, a hero swapped in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer.ui.project_window import ProjectWindow
from tests.ui.driver import press, shots_in_db, shown_window

ALT = Qt.KeyboardModifier.AltModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot: QtBot, six_takes: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, six_takes, 6)


def promote_and_hero(qtbot: QtBot, window: ProjectWindow, hero: bool) -> None:
    press(qtbot, window, Qt.Key.Key_P)
    press(qtbot, window, Qt.Key.Key_P)
    if hero:
        press(qtbot, window, Qt.Key.Key_H)


def test_the_cut_plays_the_heroes_through_and_a_swap_replays_the_shot(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    promote_and_hero(qtbot, window, hero=True)  # take_0: hero of SH010
    press(qtbot, window, Qt.Key.Key_Down)
    promote_and_hero(qtbot, window, hero=False)  # take_1: another keeper of SH010
    for _ in range(2):
        press(qtbot, window, Qt.Key.Key_Down)
    promote_and_hero(qtbot, window, hero=True)  # take_3: hero of SH020
    assert [(code, hero) for code, hero, _, _ in shots_in_db(six_takes)] == [
        ("SH010", "take_0.mp4"), ("SH020", "take_3.mp4"),
    ]  # fmt: skip

    press(qtbot, window, Qt.Key.Key_S)
    cut = window.stage.cut_view
    assert window.stage.cutting() and [i.code for i in cut.items] == ["SH010", "SH020"]
    assert cut.playback is not None and cut.playback.wait_ready()
    press(qtbot, window, Qt.Key.Key_L, CTRL_SHIFT)  # play every frame: a busy test machine slows, never skips
    assert cut.playback.every_frame and "every frame" in window.status_label.text()
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: cut.playback is not None and not cut.playback.playing, timeout=20_000)
    assert cut.shown == list(range(48))  # two shots of 24 frames, no frame missing at the cut
    assert cut.playback.total_dropped() == 0

    press(qtbot, window, Qt.Key.Key_PageUp)  # back to the first shot
    qtbot.waitUntil(
        lambda: cut.current_item() is not None and cut.current_item().code == "SH010", timeout=5000
    )
    press(qtbot, window, Qt.Key.Key_Right, ALT)  # swap SH010's hero for its other keeper
    assert shots_in_db(six_takes)[0][1] == "take_1.mp4"
    assert cut.items[0].hero is not None and cut.items[0].hero.name == "take_1.mp4"
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert shots_in_db(six_takes)[0][1] == "take_0.mp4"
    press(qtbot, window, Qt.Key.Key_S)
    assert not window.stage.cutting() and cut.playback is None


def test_ctrl_shift_d_opens_the_dashboard_with_the_funnel(qtbot: QtBot, window: ProjectWindow) -> None:
    press(qtbot, window, Qt.Key.Key_P)
    press(
        qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    board = window.stage.dashboard
    assert board is not None and board.isVisible()
    qtbot.waitUntil(lambda: len(board.funnel.bars) == 5, timeout=5000)
    assert [(label, text) for label, _v, text, _c in board.funnel.bars[:2]] == [
        ("Triage", "6"), ("Shortlist", "1  (16.7% of 6)"),
    ]  # fmt: skip
    window.deciding.give_verdict(
        "keep"
    )  # the dashboard window has the keyboard now; the next refresh shows it
    board.refresh()
    qtbot.waitUntil(lambda: board.funnel.bars[2][2].startswith("1"), timeout=5000)
    board.close()


def test_a_shot_without_a_hero_plays_as_a_gap_and_a_swap_fills_it(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    promote_and_hero(qtbot, window, hero=True)  # take_0: hero of SH010
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Down)
    promote_and_hero(qtbot, window, hero=False)  # take_3: a keeper of SH020 at the last stage, no hero
    press(qtbot, window, Qt.Key.Key_S)
    cut = window.stage.cut_view
    assert [(i.code, i.hero is not None, i.length) for i in cut.items] == [
        ("SH010", True, 24),
        ("SH020", False, 48),
    ]
    assert cut.playback is not None and cut.playback.wait_ready()
    press(qtbot, window, Qt.Key.Key_L, CTRL_SHIFT)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: cut.playback is not None and not cut.playback.playing, timeout=30_000)
    assert cut.shown == list(range(72))  # the hero's 24 frames, then the gap's 48, on one clock
    assert cut.playback.total_dropped() == 0
    assert "SH020  no hero yet: a gap" in window.stage.cut_view.view.overlay
    press(qtbot, window, Qt.Key.Key_Right, ALT)  # the gap takes the shot's first keeper, and replays
    assert [(code, hero) for code, hero, _, _ in shots_in_db(six_takes)] == [
        ("SH010", "take_0.mp4"), ("SH020", "take_3.mp4"),
    ]  # fmt: skip
    assert cut.items[1].hero is not None and cut.items[1].hero.name == "take_3.mp4"
    press(qtbot, window, Qt.Key.Key_S)
