"""The playback engine in real time: order, seeks while playing, steps, reverse, loops, broken files."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from reviewer.media.playback import PlaybackEngine
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
    e = PlaybackEngine(clip(".mp4", codec="h264", frames=72, gop=24), size=(320, 180))
    assert e.wait_ready()
    settle(e, 0)
    yield e
    e.close()


def test_plays_every_frame_in_order_at_its_rate(engine: PlaybackEngine) -> None:
    engine.play(1.0)
    started = time.monotonic()
    shown = collect(engine, 1.2)
    elapsed = time.monotonic() - started
    assert shown[:5] == [1, 2, 3, 4, 5]
    assert all(b == a + 1 for a, b in itertools.pairwise(shown))
    assert abs(len(shown) - elapsed * 24) <= 0.2 * elapsed * 24  # held to 24 fps, not run flat out
    assert engine.status.dropped == 0


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
    e = PlaybackEngine(clip(".mp4", codec="h264", frames=72, gop=24), size=(320, 180))
    e.wait_ready()
    e.play(8.0)
    shown = collect(e, 0.3)
    e.close()
    assert shown and shown[-1] >= 40  # 0.3 s at 8x of 24 fps is ~58 frames on


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
