"""The take's sound, played through QtMultimedia on a real device (the session's PulseAudio null sink),
as the master clock of the picture; muted by default, M toggles it, none backwards or above 2x."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from reviewer.media.audio import OUTPUT_LATENCY_S
from reviewer.media.playback import PlaybackEngine
from reviewer.ui.audio import SoundOut
from reviewer.ui.player import PlayerWidget
from reviewer.ui.project_window import ProjectWindow
from tests.conftest import ClipFactory, place
from tests.soundserver import SoundServer
from tests.ui.driver import open_window

FRAME = 1 / 24


def take(path: Path, frames: int, audio: bool = True, take_id: int = 1) -> dict:
    return {"id": take_id, "path": str(path), "fps": "24/1", "frame_count": frames, "content_hash": "x",
            "has_audio": audio}  # fmt: skip


def shown(qtbot: QtBot, widget: QWidget, width: int, height: int) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def player(qtbot: QtBot, sound_device: SoundServer) -> Iterator[PlayerWidget]:
    widget = PlayerWidget(muted=False)
    shown(qtbot, widget, 640, 400)
    yield widget
    widget.close_all()


@pytest.fixture
def talking(clip: ClipFactory) -> Path:
    return clip(".mp4", frames=120, audio=True, seed=4)  # 5 s, AAC stereo 48 kHz


def heard(sound: SoundOut) -> float | None:
    """The time (on the feed's clock: the take's container, or the cut's) of the sound leaving the device
    now; None before it has properly started."""
    if sound.feed is None or sound.consumed() < OUTPUT_LATENCY_S + 0.05:
        return None
    return sound.feed.start_s + (sound.consumed() - OUTPUT_LATENCY_S) * sound.feed.speed


def lag(engine: PlaybackEngine | None, sound: SoundOut) -> float | None:
    """How far the picture on screen is ahead of the sound leaving the device, in seconds (a frame is
    shown from its time until the next frame's, so in sync this lies between minus a frame and 0)."""
    now = heard(sound)
    if now is None or engine is None or engine.index is None or engine.current is None:
        return None
    return engine.index.pts_seconds(engine.current.number) - now


def sampled(qtbot: QtBot, measure: Callable[[], list[float | None]], seconds: float | None = None,
            until: Callable[[], bool] | None = None) -> list[float]:  # fmt: skip
    """``measure()`` every 15 ms of the event loop, for ``seconds`` or while ``until()`` holds."""
    values: list[float] = []
    end = time.monotonic() + (seconds or 60.0)
    while time.monotonic() < end and (until is None or until()):
        qtbot.wait(15)
        values += [v for v in measure() if v is not None]
    return values


def lags_over(qtbot: QtBot, player: PlayerWidget, seconds: float) -> list[float]:
    return sampled(qtbot, lambda: [lag(player.engine, player.sound)], seconds)


def in_sync(lags: list[float]) -> bool:
    """Each sample within a frame behind and a little ahead (the device reports in blocks of ~20 ms)."""
    return bool(lags) and all(-FRAME - 0.03 <= v <= 0.03 for v in lags)


def sounding(qtbot: QtBot, sound: SoundOut, seconds: float = 0.1, timeout: int = 5000) -> None:
    """Wait until ``sound`` plays and the device has taken ``seconds`` of it."""
    qtbot.waitUntil(lambda: sound.playing and sound.consumed() > seconds, timeout=timeout)


def start(qtbot: QtBot, player: PlayerWidget, path: Path, frames: int = 120) -> None:
    player.load(take(path, frames))
    qtbot.waitUntil(lambda: player.engine is not None and player.engine.current is not None, timeout=5000)
    qtbot.keyClick(player, Qt.Key.Key_Space)
    sounding(qtbot, player.sound)


def test_the_sound_plays_and_the_picture_keeps_to_it(
    qtbot: QtBot, player: PlayerWidget, talking: Path
) -> None:
    start(qtbot, player, talking)
    assert player.engine.status.frame <= 6  # it started with the picture, from the first frame
    lags = lags_over(qtbot, player, 2.0)
    assert in_sync(lags), (min(lags), max(lags))
    assert player.sound.consumed() > 1.8  # the device really took the sound, in real time
    assert player.sound.written >= player.sound.consumed() * 48000 * 4
    assert player.view.overlay.endswith("1x   sound")


def test_when_the_sound_card_stalls_the_picture_waits_for_it(
    qtbot: QtBot, player: PlayerWidget, talking: Path
) -> None:
    start(qtbot, player, talking)
    assert in_sync(lags_over(qtbot, player, 0.5))
    # The GUI thread blocked (a long paint, a slow disk): nobody tops the device up, its buffer (0.25 s)
    # runs dry and the sound stops for about a quarter second. The clock must stop with it.
    time.sleep(0.5)
    lags = lags_over(qtbot, player, 1.0)
    assert in_sync(lags), (min(lags), max(lags))
    assert player.sound.master is not None and player.sound.master.slipped > 0.15


def test_the_sound_loops_with_the_in_out_range(qtbot: QtBot, player: PlayerWidget, talking: Path) -> None:
    player.load(take(talking, 120))
    qtbot.waitUntil(lambda: player.engine.current is not None, timeout=5000)
    player.set_in(24)
    player.set_out(47)  # one second, looped
    player.seek(24)
    qtbot.keyClick(player, Qt.Key.Key_Space)
    sounding(qtbot, player.sound)
    feed = player.sound.feed
    assert feed is not None and feed.loop and (feed.lo_s, feed.hi_s) == pytest.approx((1.0, 2.0))
    frames = set()
    player.frame_shown.connect(frames.add)
    qtbot.waitUntil(lambda: player.sound.consumed() > 2.3, timeout=5000)
    assert min(frames) >= 24 and max(frames) <= 47 and len(frames) > 20  # went round more than once
    assert player.sound.feed is feed  # one sound, looping by itself: no restart at the wrap


def test_speed_sound_up_to_2x_and_none_beyond_or_backwards(
    qtbot: QtBot, player: PlayerWidget, talking: Path
) -> None:
    start(qtbot, player, talking)
    qtbot.keyClick(player, Qt.Key.Key_BracketRight)  # 2x: the sound is time-stretched, pitch kept
    qtbot.waitUntil(lambda: player.sound.feed is not None and player.sound.feed.speed == 2.0, timeout=3000)
    qtbot.waitUntil(lambda: player.sound.consumed() > 0.3, timeout=3000)
    lags = lags_over(qtbot, player, 0.6)
    assert all(-2 * FRAME - 0.06 <= v <= 0.06 for v in lags), (min(lags), max(lags))
    qtbot.keyClick(player, Qt.Key.Key_BracketRight)  # 4x: no sound
    qtbot.waitUntil(lambda: not player.sound.playing, timeout=3000)
    qtbot.waitUntil(lambda: player.view.overlay.endswith("no sound at this speed"), timeout=3000)
    qtbot.keyClick(player, Qt.Key.Key_J)  # backwards: no sound
    qtbot.waitUntil(lambda: player.engine.status.speed < 0, timeout=3000)
    qtbot.wait(200)
    assert not player.sound.playing
    qtbot.keyClick(player, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: not player.engine.status.playing, timeout=3000)
    assert not player.sound.playing


def test_pause_seek_and_switching_takes_stop_the_sound(
    qtbot: QtBot, player: PlayerWidget, talking: Path, clip: ClipFactory
) -> None:
    start(qtbot, player, talking)
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.sound.playing, timeout=2000)
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.sound.playing, timeout=2000)
    first = player.sound.feed
    assert first is not None and first.start_s > 0.1  # on from where the picture was
    player.seek(10)
    qtbot.waitUntil(lambda: not player.sound.playing, timeout=2000)
    silent = clip(".mp4", frames=48, seed=5)  # no sound in this one
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.sound.playing, timeout=2000)
    player.load(take(silent, 48, audio=False, take_id=2))
    assert not player.sound.playing
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.position() > 5, timeout=3000)
    assert not player.sound.playing and player.sound.problem == ""
    assert "sound" not in player.view.overlay and "muted" not in player.view.overlay


def test_triage_starts_muted_and_m_toggles_the_sound(
    qtbot: QtBot, sound_device: SoundServer, tmp_path: Path, clip: ClipFactory
) -> None:
    from reviewer.ingest.ingest import ingest
    from reviewer.store.db import open_project

    place(clip(".mp4", frames=120, audio=True, seed=4), tmp_path / "media" / "SH010" / "voice.mp4")
    project = open_project(tmp_path / "p.trproj")
    ingest(project, [tmp_path / "media"], workers=0)
    project.close()
    window: ProjectWindow = open_window(qtbot, tmp_path / "p.trproj", takes=1)
    window.show()
    qtbot.waitExposed(window)
    player = window.player
    try:
        qtbot.waitUntil(
            lambda: player.engine is not None and player.engine.current is not None, timeout=10_000
        )
        assert player.muted
        qtbot.keyClick(player, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: player.position() > 3, timeout=3000)
        assert not player.sound.playing and player.view.overlay.endswith("muted")
        qtbot.keyClick(player, Qt.Key.Key_M)
        assert not window.stage.cut_view.muted  # one switch for the player and the cut
        sounding(qtbot, player.sound, 0.2, timeout=3000)
        assert player.engine.status.playing and in_sync(lags_over(qtbot, player, 0.5))
        qtbot.keyClick(player, Qt.Key.Key_M)
        assert not player.sound.playing and player.engine.status.playing and window.stage.cut_view.muted
    finally:
        player.close_all()


def test_the_cut_plays_one_sound_through_heroes_and_gaps_in_sync(
    qtbot: QtBot, sound_device: SoundServer, clip: ClipFactory
) -> None:
    from reviewer.review.shots import CutItem, Hero
    from reviewer.ui.cut_view import CutView

    voice, other = clip(".mp4", frames=120, audio=True, seed=4), clip(".mp4", frames=48, audio=True, seed=2)
    items = [
        CutItem(
            1, "SH010", "", Hero(1, "voice", str(voice), "a", "24/1", 120, 24, 59, None, True), None, 0, 36
        ),
        CutItem(2, "SH020", "", None, 24, 36, 24),  # no hero yet: a gap
        CutItem(
            3, "SH030", "", Hero(2, "other", str(other), "b", "24/1", 48, 0, 35, None, True), None, 60, 36
        ),
    ]
    cut = CutView()
    shown(qtbot, cut, 640, 420)
    try:
        cut.set_cut(items)
        assert cut.playback is not None and cut.playback.wait_ready()
        cut.set_muted(False)
        cut.play()
        sounding(qtbot, cut.sound)
        feed = cut.sound.feed
        assert "sound" in cut.view.overlay

        def cut_lag() -> list[float | None]:  # the cut's sound runs on the cut's clock, from its frame 0
            last, now = cut.playback.last if cut.playback else None, heard(cut.sound)
            return [None if last is None or now is None else last.record / 24 - now]

        lags = sampled(qtbot, cut_lag, until=lambda: cut.playback is not None and cut.playback.playing)
        assert cut.sound.feed in (feed, None)  # one sound through the whole cut, never restarted
        assert len(lags) > 100 and in_sync(lags), (min(lags), max(lags))
        assert cut.shown[-1] == 95  # to the last frame of the last hero
    finally:
        cut.close_all()


def test_compare_plays_the_sound_of_the_take_under_the_cursor(
    qtbot: QtBot, sound_device: SoundServer, clip: ClipFactory
) -> None:
    from reviewer.ui.compare import CompareView

    a, b = clip(".mp4", frames=120, audio=True, seed=4), clip(".mp4", frames=120, audio=True, seed=2)
    view = CompareView()
    shown(qtbot, view, 900, 500)
    try:
        view.set_takes([take(a, 120), take(b, 120, take_id=2)], 2)
        qtbot.waitUntil(lambda: all(e.current is not None for e in view.engines()), timeout=5000)
        view.set_muted(False)
        view.play_pause()
        sounding(qtbot, view.sound, 0.2)
        assert view.sound.feed is not None and view.sound.feed.path == a
        lags = sampled(qtbot, lambda: [lag(e, view.sound) for e in view.engines()], 1.0)
        assert in_sync(lags), (min(lags), max(lags))  # both panes keep to the sound
        view.move_cursor(+1)  # Tab: the other take's sound, the panes playing on
        qtbot.waitUntil(lambda: view.sound.feed is not None and view.sound.feed.path == b, timeout=3000)
        assert view.is_playing()
        view.set_muted(True)
        assert not view.sound.playing and view.is_playing()
    finally:
        view.close_all()


def test_the_timeline_draws_the_sound_and_caches_it(
    qtbot: QtBot, player: PlayerWidget, talking: Path
) -> None:
    from reviewer.media import cache

    player.load(take(talking, 120))
    qtbot.waitUntil(lambda: player.timeline.wave is not None, timeout=5000)
    assert player.timeline.wave.max() > 0.1
    assert cache.waveform_path("x").is_file()  # read once per take, then from the cache
    image = player.timeline.grab().toImage()
    band = [image.pixelColor(x, 44) for x in range(10, image.width() - 10, 7)]
    assert sum(1 for c in band if c.green() > c.red() + 40) > len(band) // 2  # the green envelope
    player.load(take(talking, 120, audio=False, take_id=2))  # a take without sound: no waveform
    assert player.timeline.wave is None


def test_playing_every_frame_is_silent_and_says_so(qtbot: QtBot, player: PlayerWidget, talking: Path) -> None:
    start(qtbot, player, talking)
    player.toggle_every_frame()  # the picture becomes the master: it may slow down, the sound cannot
    qtbot.waitUntil(lambda: not player.sound.playing, timeout=2000)
    qtbot.waitUntil(lambda: player.view.overlay.endswith("no sound when playing every frame"), timeout=2000)
    player.toggle_every_frame()
    player.play_pause()
    player.play_pause()  # a new play: the sound is back
    qtbot.waitUntil(lambda: player.sound.playing, timeout=2000)
