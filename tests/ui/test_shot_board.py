"""The shot board in the workspace: hero by key with the player's trim, keep-one, drops, reordering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer.ui.project_window import ProjectWindow
from reviewer.ui.shot_board import encode_take_ids
from tests.ui.driver import press, shots_in_db, shown_window, state

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: QtBot, six_takes: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, six_takes, 6)


def board_text(window: ProjectWindow, code: str, column: str) -> str:
    model = window.shots
    row = model.row_of(code)
    col = next(
        c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == column
    )
    assert row is not None
    return str(model.index(row, col).data())


def test_h_makes_the_take_its_shots_hero_with_the_players_trim(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    assert window.listing.current_row is not None and window.listing.current_row["name"] == "take_0.mp4"
    press(qtbot, window, Qt.Key.Key_H)  # still at Triage: refused, with the reason
    assert "Only a take at Selects" in window.status_label.text()
    press(qtbot, window, Qt.Key.Key_P)
    press(qtbot, window, Qt.Key.Key_P)
    window.player.set_in(2)
    window.player.set_out(10)
    press(qtbot, window, Qt.Key.Key_H)
    assert shots_in_db(six_takes)[0] == ("SH010", "take_0.mp4", 2, 10)
    assert state(six_takes)["take_0.mp4"]["stage_position"] == 3  # chosen as hero: kept at Selects
    qtbot.waitUntil(lambda: board_text(window, "SH010", "Hero") == "take_0.mp4", timeout=5000)
    assert board_text(window, "SH010", "Status") == "✓ hero"
    assert board_text(window, "SH020", "Status") == "⚠ no keeper yet"
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert shots_in_db(six_takes)[0] == ("SH010", None, None, None)
    qtbot.waitUntil(lambda: board_text(window, "SH010", "Status") == "⚠ no hero yet", timeout=5000)


def test_alt_p_keeps_one_and_rejects_the_rest_of_its_shot(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    press(qtbot, window, Qt.Key.Key_Down)
    assert window.listing.current_row is not None and window.listing.current_row["name"] == "take_1.mp4"
    press(qtbot, window, Qt.Key.Key_P, ALT)
    rows = state(six_takes)
    assert rows["take_1.mp4"]["stage"] == "Shortlist"
    assert [rows[f"take_{k}.mp4"]["verdict"] for k in (0, 2)] == ["reject", "reject"]
    assert [rows[f"take_{k}.mp4"]["verdict"] for k in (3, 4, 5)] == [None] * 3  # the other shot
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # one undo takes the whole step back
    rows = state(six_takes)
    assert [rows[f"take_{k}.mp4"]["verdict"] for k in range(6)] == [None] * 6
    assert rows["take_1.mp4"]["stage"] == "Triage"


def test_takes_dropped_on_a_shot_move_there_and_shots_reorder_by_key(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    qtbot.waitUntil(
        lambda: window.shots.row_of("SH010") is not None and bool(window.shots.board), timeout=5000
    )
    ids = [window.listing.take_at(r)["id"] for r in range(window.model.rowCount())]
    target = window.shots.index(window.shots.row_of("SH010") or 0, 0)
    data = encode_take_ids(ids[3:5])
    assert window.shots.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target)
    assert not window.shots.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, window.shots.index(0, 0))
    window.shots.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target)
    assert [state(six_takes)[f"take_{k}.mp4"]["shot"] for k in range(6)] == ["SH010"] * 5 + ["SH020"]
    qtbot.waitUntil(lambda: board_text(window, "SH010", "Takes") == "5", timeout=5000)
    window.shot_dock.board.select_code("SH020")
    press(qtbot, window, Qt.Key.Key_Up, ALT)
    assert [s[0] for s in shots_in_db(six_takes)] == ["SH020", "SH010"]
    qtbot.waitUntil(lambda: window.shots.codes[1:3] == ["SH020", "SH010"], timeout=5000)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # undo is for decisions: the drop's move comes back
    assert state(six_takes)["take_3.mp4"]["shot"] == "SH020"
