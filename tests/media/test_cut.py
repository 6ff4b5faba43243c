"""A cut plays its segments straight through: every frame of every in-out range, in order, no gap."""

from __future__ import annotations

import time
from pathlib import Path

from reviewer.media.cut import CutPlayback, Segment, Shown
from tests.conftest import ClipFactory


def run(cut: CutPlayback, until: float) -> list[tuple[Shown, float]]:
    shown: list[tuple[Shown, float]] = []
    end = time.monotonic() + until
    while time.monotonic() < end:
        s = cut.poll()
        if s is not None:
            shown.append((s, time.monotonic()))
        if not cut.playing and shown:
            break
        time.sleep(0.002)
    return shown


def segments(a: Path, b: Path) -> list[Segment]:
    return [
        Segment(a, 5, 16, 24.0, 0, "SH010"),
        Segment(b, 0, 11, 24.0, 12, "SH020"),
        Segment(a, 20, 27, 24.0, 24, "SH030"),
    ]


def test_the_cut_plays_across_boundaries_without_a_gap_in_frame_numbers(clip: ClipFactory) -> None:
    a = clip(".mp4", codec="h264", frames=48, gop=12, seed=1)
    b = clip(".mp4", codec="h264", frames=24, gop=12, seed=2)
    cut = CutPlayback(segments(a, b), size=(320, 180))
    cut.every_frame = True  # exact on a busy machine too: a late poll slips the clock, never skips
    try:
        assert cut.wait_ready()
        cut.play(0.5)
        shown = run(cut, 8.0)
    finally:
        cut.close()
    frames = [(s.segment, s.frame.number) for s, _ in shown]
    expected = [(0, n) for n in range(5, 17)] + [(1, n) for n in range(12)] + [(2, n) for n in range(20, 28)]
    assert frames[-len(expected) :] == expected  # the first poll may repeat the paused in point
    assert [s.record for s, _ in shown][-32:] == list(range(32))
    assert cut.total_dropped() == 0 and not cut.playing
    # the boundary is on time: the in frame of the next shot comes one frame (1/12 s at 0.5x) after the out frame
    times = {(s.segment, s.frame.number): t for s, t in shown}
    for out, first in (((0, 16), (1, 0)), ((1, 11), (2, 20))):
        assert 0.03 < times[first] - times[out] < 0.3


def test_a_late_caller_misses_frames_across_the_cut_and_each_is_counted(clip: ClipFactory) -> None:
    a = clip(".mp4", codec="h264", frames=48, gop=12, seed=1)
    b = clip(".mp4", codec="h264", frames=24, gop=12, seed=2)
    cut = CutPlayback(segments(a, b), size=(320, 180))  # keeping time
    records: list[int] = []
    try:
        assert cut.wait_ready()
        cut.play(1.0)
        end = time.monotonic() + 8.0
        while cut.playing and time.monotonic() < end:
            s = cut.poll()
            if s is not None:
                records.append(s.record)
            time.sleep(0.07)  # 1.7 frames' time between looks
    finally:
        cut.close()
    assert not cut.playing and records[0] == 0 and records[-1] == 31  # from the first frame to the last
    assert records == sorted(set(records))  # in order, none twice
    assert cut.total_dropped() == 32 - len(records) > 0, str(
        records
    )  # every frame not shown is a counted drop


def test_steps_and_jumps_cross_segments_by_cut_frame(clip: ClipFactory) -> None:
    a = clip(".mp4", codec="h264", frames=48, gop=12, seed=1)
    b = clip(".mp4", codec="h264", frames=24, gop=12, seed=2)
    cut = CutPlayback(segments(a, b), size=(320, 180))
    try:
        assert cut.wait_ready()
        cut.seek_record(10)
        assert settle(cut) == (0, 15, 10)
        for _ in range(3):
            cut.step(+1)  # quick presses add up, across the boundary
        assert settle(cut) == (1, 1, 13)
        cut.go_to(2)
        assert settle(cut) == (2, 20, 24)
        cut.seek_record(1000)  # past the end: the last frame
        assert settle(cut) == (2, 27, 31)
    finally:
        cut.close()


def settle(cut: CutPlayback, timeout: float = 5.0) -> tuple[int, int, int]:
    end = time.monotonic() + timeout
    last: Shown | None = None
    quiet = time.monotonic()
    while time.monotonic() < end:
        s = cut.poll()
        if s is not None:
            last, quiet = s, time.monotonic()
        elif last is not None and time.monotonic() - quiet > 0.3:
            break
        time.sleep(0.005)
    assert last is not None
    return last.segment, last.frame.number, last.record


def test_a_shot_without_a_hero_plays_black_for_its_length_on_time(clip: ClipFactory) -> None:
    a = clip(".mp4", codec="h264", frames=48, gop=12, seed=1)
    b = clip(".mp4", codec="h264", frames=24, gop=12, seed=2)
    cut = CutPlayback(
        [Segment(a, 5, 16, 24.0, 0, "SH010"), Segment(None, 0, 9, 24.0, 12, "SH020"), Segment(b, 0, 11, 24.0, 22, "SH030")],
        size=(320, 180),
    )  # fmt: skip
    cut.every_frame = True
    try:
        assert cut.wait_ready()
        cut.play(0.5)
        shown = run(cut, 10.0)
    finally:
        cut.close()
    assert [s.record for s, _ in shown][-34:] == list(range(34))  # the gap's frames are in the count
    gap = [s for s, _ in shown if s.segment == 1]
    assert [s.frame.number for s in gap] == list(range(10))
    assert not gap[0].frame.rgb.any() and gap[0].frame.rgb.shape == (180, 320, 3)  # black, at the view's size
    times = {(s.segment, s.frame.number): t for s, t in shown}
    for out, first in (((0, 16), (1, 0)), ((1, 9), (2, 0))):  # into the gap and out of it, a frame apart
        assert 0.03 < times[first] - times[out] < 0.3
    assert cut.total_dropped() == 0 and not cut.playing


def test_steps_cross_a_gap_frame_by_frame(clip: ClipFactory) -> None:
    a = clip(".mp4", codec="h264", frames=48, gop=12, seed=1)
    cut = CutPlayback(
        [Segment(None, 0, 3, 24.0, 0, "SH005"), Segment(a, 10, 20, 24.0, 4, "SH010")], size=(64, 36)
    )
    try:
        assert cut.wait_ready()
        assert settle(cut) == (0, 0, 0)
        for _ in range(5):
            cut.step(+1)
        assert settle(cut) == (1, 11, 5)
        cut.step(-3)
        assert settle(cut) == (0, 2, 2)
    finally:
        cut.close()
