"""The playback engine in real time: order, seeks while playing, steps, reverse, loops, broken files."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from reviewer.media.playback import Clock, PlaybackEngine
from tests.conftest import ClipFactory


def collect(engine: PlaybackEngine, seconds: float) -> list[int]:
    shown: list[int] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = engine.poll()
        if frame is not None:
            shown.append(frame.number)
        time.sleep(0.002)
    return shown


def settle(engine: PlaybackEngine, number: int, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        engine.poll()
        if engine.current is not None and engine.current.number == number:
            return
        time.sleep(0.002)
    raise AssertionError(f"frame {number} never shown (at {engine.status.frame})")


@pytest.fixture
def engine(clip: ClipFactory):  # type: ignore[no-untyped-def]
    """A 72-frame take at 24 fps that shows every frame (a busy test machine slows it, never skips)."""
    e = PlaybackEngine(
        clip(".mp4", codec="h264", frames=72, gop=24), size=(320, 180), clock=Clock(every_frame=True)
    )
    assert e.wait_ready()
    settle(e, 0)
    yield e
    e.close()


@pytest.fixture
def realtime(engine: PlaybackEngine) -> PlaybackEngine:
    """The same take keeping time: frames the caller was too late for are skipped and counted."""
    engine.clock.every_frame = False
    return engine


def gaps(numbers: list[int]) -> int:
    """Frames passed over in an increasing run of frame numbers."""
    assert all(b > a for a, b in itertools.pairwise(numbers)), numbers
    return sum(b - a - 1 for a, b in itertools.pairwise(numbers))


def test_plays_every_frame_in_order_at_its_rate(engine: PlaybackEngine) -> None:
    engine.play(1.0)
    started = time.monotonic()
    shown = collect(engine, 1.2)
    elapsed = time.monotonic() - started
    assert shown[:5] == [1, 2, 3, 4, 5]
    assert all(b == a + 1 for a, b in itertools.pairwise(shown))
    assert len(shown) <= elapsed * 24 * 1.05 + 1  # held to 24 fps, not run flat out
    assert engine.status.dropped == 0


def test_the_clock_starts_at_the_first_frame_shown(realtime: PlaybackEngine) -> None:
    realtime.play(1.0)
    time.sleep(0.3)  # the caller is busy: seven frames' worth, nobody polls
    now = time.monotonic()
    first = realtime.poll(now)
    assert first is not None and first.number == 1  # the play starts here, with its first frame
    assert realtime.poll(now + 0.03) is None  # and the second is a frame's time away, not overdue
    second = realtime.poll(now + 0.045)
    assert second is not None and second.number == 2
    assert realtime.status.dropped == 0


def test_a_late_caller_skips_frames_and_counts_every_one(realtime: PlaybackEngine) -> None:
    realtime.set_loop(False)
    realtime.play(1.0)
    shown = [0]
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        frame = realtime.poll()
        if frame is not None:
            shown.append(frame.number)
        time.sleep(0.1)  # 2.4 frames' time between looks: most frames are never on screen
    last = realtime.poll(time.monotonic() + 1000)  # everything queued so far, the newest shown
    if last is not None:
        shown.append(last.number)
    assert gaps(shown) == realtime.status.dropped > 0  # each frame not shown is a counted drop, no more


def test_every_frame_shows_each_one_to_a_late_caller_and_slips(engine: PlaybackEngine) -> None:
    engine.play(1.0)
    shown: list[int] = []
    for _ in range(8):
        frame = engine.poll()
        if frame is not None:
            shown.append(frame.number)
        time.sleep(0.1)
    assert shown == list(range(1, len(shown) + 1)) and len(shown) >= 6
    assert engine.status.dropped == 0
    assert engine.clock.offset > 0.3  # the time given up to show them all


def test_seek_while_playing_lands_exactly(engine: PlaybackEngine) -> None:
    engine.play(1.0)
    collect(engine, 0.2)
    engine.seek(50)
    shown = collect(engine, 0.3)
    assert shown[0] == 50 and shown[1:4] == [51, 52, 53]


def test_steps_and_pause(engine: PlaybackEngine) -> None:
    engine.seek(10)
    settle(engine, 10)
    engine.step(1)
    settle(engine, 11)
    engine.step(-5)
    settle(engine, 6)
    assert collect(engine, 0.2) == []  # paused: nothing more comes
    engine.step(-100)
    settle(engine, 0)


def test_reverse_play(engine: PlaybackEngine) -> None:
    engine.seek(60)
    settle(engine, 60)
    engine.play(-2.0)
    shown = collect(engine, 0.5)
    assert shown[:4] == [59, 58, 57, 56]
    assert all(b == a - 1 for a, b in itertools.pairwise(shown))
    assert engine.status.dropped == 0


def test_loop_between_in_and_out(engine: PlaybackEngine) -> None:
    engine.set_range(20, 25)
    engine.seek(20)
    settle(engine, 20)
    engine.play(2.0)
    shown = collect(engine, 0.8)
    assert set(shown) <= set(range(20, 26))
    assert shown.count(20) >= 1 and shown.count(25) >= 2  # went round at least twice


def test_stops_at_the_end_without_loop(engine: PlaybackEngine) -> None:
    engine.set_loop(False)
    engine.seek(68)
    settle(engine, 68)
    engine.play(1.0)
    shown = collect(engine, 0.5)
    assert shown == [69, 70, 71]
    assert not engine.status.playing


def test_fast_shuttle_drops_rather_than_lags(clip: ClipFactory) -> None:
    e = PlaybackEngine(clip(".mp4", codec="h264", frames=240, gop=24), size=(320, 180))
    e.wait_ready()
    e.set_loop(False)
    e.play(8.0)
    started = time.monotonic()
    shown = collect(e, 0.5)
    elapsed = time.monotonic() - started
    e.close()
    # 0.5 s at 8x of 24 fps is about 96 frames on: decoding to keep up or skipping, it stays with the clock
    assert shown and shown[-1] >= 0.6 * elapsed * 8 * 24
    assert gaps(shown) <= e.status.dropped


def test_unreadable_file_reports_instead_of_crashing(tmp_path: Path) -> None:
    bad = tmp_path / "gone.mp4"
    bad.write_text("not video")
    e = PlaybackEngine(bad)
    assert e.wait_ready()
    assert "not a video" in e.status.error
    assert e.poll() is None
    e.close()


def test_resizing_the_view_rescales_the_frames(engine: PlaybackEngine) -> None:
    assert engine.current is not None and engine.current.rgb.shape[:2] == (180, 320)
    engine.set_size((160, 160))
    engine.seek(5)
    settle(engine, 5)
    assert engine.current.rgb.shape[:2] == (90, 160)  # 16:9 fitted into the new box


def test_speed_set_while_paused_is_where_play_starts(engine: PlaybackEngine) -> None:
    engine.set_speed(4.0)
    assert not engine.status.playing
    engine.play(engine.status.speed)
    shown = collect(engine, 0.25)
    assert engine.status.speed == 4.0 and len(shown) >= 10  # 0.25 s at 4x of 24 fps is ~24 frames
