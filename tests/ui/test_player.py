"""The player driven by key presses: transport, in/out, take switching with prefetch, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from reviewer.media.proxy import existing_proxy
from reviewer.ui.player import PlayerWidget, timecode
from reviewer.ui.project_window import ProjectWindow
from tests.ui.driver import open_window


@pytest.fixture
def window(qtbot: QtBot, small_project: Path) -> ProjectWindow:
    window = open_window(qtbot, small_project)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    qtbot.waitUntil(
        lambda: window.player.engine is not None and window.player.engine.current is not None, timeout=10_000
    )
    yield window
    window.player.close_all()


def shown(qtbot: QtBot, player: PlayerWidget, frame: int) -> None:
    qtbot.waitUntil(lambda: player.engine is not None and player.engine.status.frame == frame, timeout=5000)


def test_transport_keys(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    key = lambda k, mod=Qt.KeyboardModifier.NoModifier: qtbot.keyClick(player, k, mod)  # noqa: E731
    key(Qt.Key.Key_Right)
    shown(qtbot, player, 1)
    key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # one second at 24 fps
    shown(qtbot, player, 25)
    key(Qt.Key.Key_Left)
    shown(qtbot, player, 24)
    key(Qt.Key.Key_End)
    shown(qtbot, player, 47)
    key(Qt.Key.Key_Home)
    shown(qtbot, player, 0)
    key(Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.position() >= 5, timeout=5000)
    key(Qt.Key.Key_K)
    qtbot.waitUntil(lambda: not player.engine.status.playing, timeout=2000)
    stopped = player.position()
    qtbot.wait(150)
    assert player.position() == stopped
    assert window.player.view.overlay.startswith(f"{stopped:>5} / 47")
    qtbot.waitUntil(lambda: window.player.view.overlay.endswith("paused"), timeout=1000)  # not the old "1x"


def test_shuttle_doubles_and_reverses(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: player.engine.status.playing, timeout=2000)
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: player.engine.status.speed == 4.0, timeout=2000)
    qtbot.keyClick(player, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: player.engine.status.speed == -1.0, timeout=2000)
    qtbot.keyClick(player, Qt.Key.Key_K)


def test_loop_off_and_speed_stay_with_the_reviewer_across_takes(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    qtbot.keyClick(player, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert player.loop is False and player.engine.status.loop is False
    qtbot.keyClick(player, Qt.Key.Key_Down)
    assert player.engine.status.loop is False  # the next take does not loop either
    qtbot.keyClick(player, Qt.Key.Key_BracketRight)
    assert player.engine.status.speed == 2.0 and not player.engine.status.playing


def test_in_and_out_points(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    player.seek(10)
    shown(qtbot, player, 10)
    qtbot.keyClick(player, Qt.Key.Key_I)
    player.seek(20)
    shown(qtbot, player, 20)
    qtbot.keyClick(player, Qt.Key.Key_O)
    assert (player.timeline.in_point, player.timeline.out_point) == (10, 20)
    assert player.engine.status.in_point == 10 and player.engine.status.out_point == 20
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.wait(900)  # 10 frames at 24 fps is 0.42 s: it has gone round
    qtbot.keyClick(player, Qt.Key.Key_K)
    assert 10 <= player.position() <= 20
    qtbot.keyClick(player, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(player, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert (player.timeline.in_point, player.timeline.out_point) == (None, None)


def test_down_and_up_switch_takes_and_prefetch(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    first = player.take["path"]
    assert len(player.engines) == 3  # the current take and the next two, opened ahead
    nxt = window.listing.take_at(1)["path"]
    qtbot.waitUntil(lambda: player.engines[nxt].ready.is_set(), timeout=5000)
    qtbot.keyClick(player, Qt.Key.Key_Down)
    assert player.take["path"] == nxt
    # Prefetched: its first frame is already decoded and waiting, so it is on screen at the next tick.
    qtbot.waitUntil(
        lambda: player.engine.current is not None and player.engine.current.number == 0, timeout=200
    )
    qtbot.keyClick(player, Qt.Key.Key_Up)
    assert player.take["path"] == first


def test_a_vanished_file_plays_its_proxy_and_without_one_shows_a_message(
    qtbot: QtBot, window: ProjectWindow
) -> None:
    row = window.listing.take_at(2)
    Path(row["path"]).unlink()  # offline: the proxy the analysis pass made plays instead, and says so
    window.player.close_all()
    window.player.timer.start(4)
    window.player.load(row)
    assert window.player.proxy
    qtbot.waitUntil(lambda: "proxy" in window.player.view.overlay, timeout=5000)
    existing_proxy(row["content_hash"]).unlink()  # neither: the original's own error, never the proxy's
    window.player.close_all()
    window.player.timer.start(4)
    window.player.load(row)
    assert not window.player.proxy
    qtbot.waitUntil(lambda: "cannot be played" in window.player.view.message, timeout=5000)
    assert "file not found" in window.player.view.message


def test_notes_are_markers_on_the_timeline(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    assert player.take["name"] == "a.mp4"
    qtbot.waitUntil(lambda: player.timeline.markers != [], timeout=5000)
    ((first, last, _colour),) = player.timeline.markers
    assert (first, last) == (5, 12)
    assert "anna: the hand morphs here" in player.timeline.toolTip()
    qtbot.keyClick(player, Qt.Key.Key_Down)
    assert player.timeline.markers == []


def test_hovering_the_timeline_previews_that_frame(qtbot: QtBot, window: ProjectWindow) -> None:
    player = window.player
    timeline = player.timeline
    x = int(timeline.x_of(30))
    qtbot.mouseMove(timeline, QPoint(x, timeline.height() // 2))
    qtbot.waitUntil(lambda: player.preview.isVisible(), timeout=5000)
    assert player.preview.property("frame") == timeline.frame_of(x) == 30
    pixmap = player.preview.pixmap()
    assert 0 < pixmap.width() <= 192 and 0 < pixmap.height() <= 108
    assert player.childAt(player.preview.geometry().center()) is player.preview  # on top, not under the view
    assert player.position() == 0  # hovering previews; it does not move the playhead
    qtbot.mouseMove(player.view, QPoint(10, 10))
    qtbot.waitUntil(lambda: not player.preview.isVisible(), timeout=2000)


def test_timecode() -> None:
    assert timecode(0, 24) == "00:00:00:00"
    assert timecode(61.5, 24) == "00:01:01:12"
    assert timecode(3600 + 1 / 30, 30000 / 1001) == "01:00:00:01"
