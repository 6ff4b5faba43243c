"""Compare: takes of a shot in sync after seeks and steps, wipe and difference, decisions in compare."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer.ingest.ingest import ingest
from reviewer.store.db import open_project
from reviewer.ui.compare import compose
from reviewer.ui.project_window import ProjectWindow
from tests.conftest import ClipFactory, place
from tests.ui.driver import press, shown_window, state

SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot: QtBot, six_takes: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, six_takes, 6)


def in_sync(window: ProjectWindow, frame: int) -> bool:
    shown = window.stage.compare_view.frames_shown()
    return bool(shown) and all(f == frame for f in shown)


def test_c_compares_takes_of_the_shot_in_sync_and_decides_under_the_cursor(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    view = window.stage.compare_view
    press(qtbot, window, Qt.Key.Key_C)
    assert window.stage.comparing() and view.count == 2
    assert [t["name"] for t in view.takes()] == [
        "take_0.mp4",
        "take_1.mp4",
    ]  # the current and the next of SH010
    qtbot.waitUntil(lambda: in_sync(window, 0), timeout=10_000)
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: in_sync(window, 3), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Right, SHIFT)  # one second: 24 frames, clamped to the last (23)
    qtbot.waitUntil(lambda: in_sync(window, 23), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: in_sync(window, 0), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: all(f is not None and f > 4 for f in view.frames_shown()), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Space)  # stopping lines every pane up on the cursor's frame
    qtbot.waitUntil(lambda: len(set(view.frames_shown())) == 1 and not view.is_playing(), timeout=10_000)

    # the cursor moves with Tab; a verdict goes to the take under it, not to the grid's current take
    press(qtbot, window, Qt.Key.Key_Tab)
    assert view.current_take() is not None and view.current_take()["name"] == "take_1.mp4"
    assert window.listing.current_id == view.current_take()["id"]
    press(qtbot, window, Qt.Key.Key_4)
    press(qtbot, window, Qt.Key.Key_X)
    rows = state(six_takes)
    assert (rows["take_1.mp4"]["verdict"], rows["take_1.mp4"]["rating"]) == ("reject", 4)
    assert rows["take_0.mp4"]["verdict"] is None
    qtbot.waitUntil(lambda: "Triage: reject" in view.panes[1].caption.text(), timeout=5000)

    # 4-up, then back to the player
    press(qtbot, window, Qt.Key.Key_C)
    assert view.count == 4 and [t["name"] for t in view.takes()] == ["take_0.mp4", "take_1.mp4", "take_2.mp4"]
    qtbot.waitUntil(lambda: in_sync(window, 0), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Tab)
    press(qtbot, window, Qt.Key.Key_Tab)  # the empty fourth pane is skipped: back to A after C
    press(qtbot, window, Qt.Key.Key_Tab)
    assert view.current_take() is not None and view.current_take()["name"] == "take_0.mp4"
    press(qtbot, window, Qt.Key.Key_P, ALT)  # keep A, reject the others waiting at Triage in SH010
    rows = state(six_takes)
    assert rows["take_0.mp4"]["stage"] == "Shortlist" and rows["take_2.mp4"]["verdict"] == "reject"
    press(qtbot, window, Qt.Key.Key_C)
    assert not window.stage.comparing() and view.count == 0


def test_wipe_and_difference_show_both_takes_in_one_picture(qtbot: QtBot, window: ProjectWindow) -> None:
    view = window.stage.compare_view
    press(qtbot, window, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: in_sync(window, 0), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_W)
    assert view.mode == "wipe" and view.pictures.currentWidget() is view.single
    qtbot.waitUntil(lambda: view.single.image is not None, timeout=5000)
    press(qtbot, window, Qt.Key.Key_W)
    assert view.mode == "difference"
    qtbot.waitUntil(lambda: "difference" in view.single.overlay, timeout=5000)
    press(qtbot, window, Qt.Key.Key_W)
    assert view.mode == "side by side" and view.pictures.currentWidget() is view.grid


def test_provenance_differences_are_marked(qtbot: QtBot, window: ProjectWindow) -> None:
    view = window.stage.compare_view
    press(qtbot, window, Qt.Key.Key_C)
    a, b = view.takes()
    a = {**a, "prompt": "red truck at dawn", "seed": "7", "model": "wan2.2"}
    b = {**b, "prompt": "red <b>truck</b> at dusk", "seed": "8", "model": "wan2.2"}
    view.set_takes([a, b], 2)
    text = view.provenance.toPlainText()
    assert "A take_0.mp4 · model wan2.2 · seed 7" in text and "red <b>truck</b> at dusk" in text  # escaped
    source = view.provenance.toHtml()
    assert source.count("background-color:#6b4f00") == 4  # both seeds, "<b>truck</b>" and "dusk"


def test_compose_wipes_at_the_line_and_differences_are_brightened() -> None:
    a = np.full((4, 10, 3), 100, np.uint8)
    b = np.full((4, 10, 3), 110, np.uint8)
    wiped = compose(a, b, "wipe", 0.3)
    assert (wiped[:, :2] == 100).all() and (wiped[:, 4:] == 110).all() and (wiped[:, 2:4] == 255).all()
    assert (compose(a, b, "difference", 0.5) == 40).all()
    tall = np.zeros((6, 8, 3), np.uint8)  # takes of other sizes are centred on one canvas
    assert compose(a, tall, "difference", 0.5).shape == (6, 10, 3)


def test_panes_of_different_lengths_share_one_clock(qtbot: QtBot, tmp_path: Path, clip: ClipFactory) -> None:
    """Two takes of 24 and 53 frames played through three loops: the frame numbers stay together (each
    pane looping on its own length drifted apart: A 4, B 53 after a few loops)."""
    media = tmp_path / "media"
    place(clip(".mp4", seed=70, frames=24), media / "SH010" / "short.mp4")
    place(clip(".mp4", seed=71, frames=53), media / "SH010" / "long.mp4")
    path = tmp_path / "p.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    window = next(shown_window(qtbot, path, 2))
    view = window.stage.compare_view
    press(qtbot, window, Qt.Key.Key_C)
    assert view.count == 2
    qtbot.waitUntil(lambda: all(f is not None for f in view.frames_shown()), timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Space)
    seen: list[list[int]] = []
    wraps = 0
    last = 0
    deadline = time.monotonic() + 15
    while wraps < 3 and time.monotonic() < deadline:
        qtbot.wait(5)
        shown = view.frames_shown()
        if None in shown:
            continue
        frames = [int(f) for f in shown if f is not None]
        seen.append(frames)
        if frames[0] < last - 10:
            wraps += 1
        last = frames[0]
    assert wraps == 3, seen[-5:]
    assert max(max(f) for f in seen) <= 23  # both loop over the shorter take's 24 frames
    apart = [max(f) - min(f) for f in seen]
    # Together to within a frame or two at any poll (across the wrap: 23 beside 0 is one frame apart).
    assert all(min(a, 24 - a) <= 2 for a in apart), apart
    view.close_all()
    window.player.close_all()
