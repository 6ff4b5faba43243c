"""Playing a cut: the heroes of the shots one after the other, each over its in-out range, with no gap.

Each segment has its own ``PlaybackEngine``. The one after the current is opened ahead of time,
sought to its in point (so that frame is decoded and cached) and, as soon as the current engine has
queued its out frame and knows when that is due, cued to show its in frame exactly one frame later.
The caller polls, as it would one engine, and gets the frame to show with its place in the cut.
A shot without a hero is a segment without a file: a ``GapEngine`` plays black for its length on the
same clock, so the shots after it come when the cut says. All engines share one ``Clock``: with
``every_frame`` on, a frame shown late slips the whole cut, and the next take's cue with it.
No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reviewer.media.frames import Frame, FrameCache
from reviewer.media.playback import Clock, PlaybackEngine, Status

AHEAD = 1  # segments opened ahead of the current one


@dataclass(frozen=True)
class Segment:
    path: Path | None  # None: a gap (a shot without a hero), black for its length
    frame_in: int
    frame_out: int  # inclusive
    fps: float
    record_in: int  # where it starts in the cut (frames)
    label: str = ""

    @property
    def frames(self) -> int:
        return self.frame_out - self.frame_in + 1


class GapEngine:
    """Black frames ``0..frames-1`` at ``fps`` on the wall clock, with a ``PlaybackEngine``'s transport
    as far as a cut uses it: nothing to decode, so it is ready at once; polled late, it skips to the
    frame due (counted as dropped) or with ``clock.every_frame`` shows the next and slips the clock."""

    def __init__(
        self, frames: int, fps: float, size: tuple[int, int] | None = None, clock: Clock | None = None
    ) -> None:
        self.clock = clock or Clock()
        self.frames = max(1, frames)
        self.fps = fps if fps > 0 else 24.0
        self.status = Status(loop=False)
        self.end_due: float | None = None
        self._position = 0
        self._pending = True  # a paused frame to hand out once
        self._start: tuple[float, int] | None = None  # (when, from which frame) while playing
        self._handed: int | None = None
        self._anchor = False  # cued to start at the next poll
        self.starts = 0  # as PlaybackEngine: plays started, and the last one's (frame, clock time)
        self.start: tuple[int, float] = (0, 0.0)
        self.set_size(size)

    def set_size(self, size: tuple[int, int] | None) -> None:
        width, height = size or (16, 9)
        self._black = np.zeros((max(1, height), max(1, width), 3), np.uint8)

    def set_range(self, in_point: int | None, out_point: int | None) -> None:
        self.status.in_point, self.status.out_point = in_point, out_point

    def set_loop(self, loop: bool) -> None:
        self.status.loop = False  # a gap never loops

    def set_speed(self, speed: float) -> None:
        self.status.speed = speed

    def seek(self, frame: int) -> None:
        self._position = max(0, min(self.frames - 1, int(frame)))
        self.status.playing, self._start, self.end_due, self._pending = False, None, None, True

    def pause(self) -> None:
        self.status.playing, self._start, self.end_due, self._pending = False, None, None, True

    def cue(self, at: float | None = None) -> None:
        """Play from the current frame, due at ``at`` (clock time); with no ``at`` from the next poll."""
        self.status.playing, self._handed = True, None
        self._anchor = at is None
        self._begin(self.clock.now() if at is None else at)

    def _begin(self, at: float) -> None:
        speed = abs(self.status.speed) or 1.0
        self._start = (at, self._position)
        self.end_due = at + (self.frames - 1 - self._position) / (self.fps * speed)

    def poll(self, now: float | None = None) -> Frame | None:
        t = self.clock.now() if now is None else self.clock.at(now)
        if self._start is None:
            if not self._pending:
                return None
            self._pending = False
            return self._frame(self._position)
        if self._anchor:
            self._anchor = False
            self._begin(t)
            self.starts += 1
            self.start = (self._position, t)
        at, first = self._start
        if t < at:
            return None
        rate = self.fps * (abs(self.status.speed) or 1.0)
        n = min(self.frames - 1, first + math.floor((t - at) * rate))
        if n == self._handed:
            return None
        expected = first if self._handed is None else self._handed + 1
        if n > expected:
            if self.clock.every_frame:
                self.clock.slip(t - (at + (expected - first) / rate))
                n = expected
            else:
                self.status.dropped += n - expected
        self._handed = self._position = n
        if n >= self.frames - 1:
            self.status.playing = False
        return self._frame(n)

    def discard(self) -> int:
        """Count the frames still to come as dropped and stop (the cut moved on without them)."""
        if self._start is None:
            return 0
        _at, first = self._start
        left = self.frames - 1 - (self._handed if self._handed is not None else first - 1)
        self.status.dropped += left
        self.status.playing, self._start, self.end_due = False, None, None
        return left

    def _frame(self, n: int) -> Frame:
        self.status.frame = n
        self.status.shown += 1
        return Frame(n, self._black)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return True

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Shown:
    segment: int
    frame: Frame
    record: int  # the frame's place in the cut


class CutPlayback:
    """The segments in order; ``poll`` hands out what to show now, switching segments on time."""

    def __init__(
        self,
        segments: Sequence[Segment],
        size: tuple[int, int] | None = None,
        cache: FrameCache | None = None,
    ) -> None:
        self.segments = list(segments)
        self.size = size
        self.cache = cache or FrameCache(256 << 20)
        self.clock = Clock()
        self.engines: dict[int, PlaybackEngine | GapEngine] = {}
        self.index = 0
        self.speed = 1.0
        self.playing = False
        self._cued = False
        self.dropped = 0  # frames skipped because the caller polled late, over the whole run
        self.last: Shown | None = None
        self._target: int | None = None  # the cut frame asked for while paused: quick steps add up
        # Plays started (their first frame shown), and the last one's (segment, frame, clock time): the
        # cut's sound starts there. A play waits for its first frame from the engine it cued.
        self.starts = 0
        self.start: tuple[int, int, float] = (0, 0, 0.0)
        self._starting: tuple[PlaybackEngine | GapEngine, int] | None = None
        if self.segments:
            self._open_around(0)

    # --- engines ----------------------------------------------------------------------------

    def _engine(self, i: int) -> PlaybackEngine | GapEngine:
        engine = self.engines.get(i)
        if engine is None:
            segment = self.segments[i]
            if segment.path is None:
                engine = GapEngine(segment.frame_out + 1, segment.fps, self.size, clock=self.clock)
            else:
                engine = PlaybackEngine(segment.path, size=self.size, cache=self.cache, clock=self.clock)
            engine.set_loop(False)
            engine.set_range(segment.frame_in, segment.frame_out)
            engine.seek(segment.frame_in)
            self.engines[i] = engine
        return engine

    def _open_around(self, i: int) -> None:
        wanted = set(range(i, min(len(self.segments), i + 1 + AHEAD)))
        for k in wanted:
            self._engine(k)
        for k in [k for k in self.engines if k not in wanted]:
            self._retire(self.engines.pop(k))

    def _retire(self, engine: PlaybackEngine | GapEngine) -> None:
        self.dropped += engine.status.dropped
        engine.close()

    def set_size(self, size: tuple[int, int] | None) -> None:
        self.size = size
        for engine in self.engines.values():
            engine.set_size(size)

    def close(self) -> None:
        for engine in self.engines.values():
            self._retire(engine)
        self.engines.clear()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return all(e.wait_ready(timeout) for e in self.engines.values())

    # --- transport --------------------------------------------------------------------------

    @property
    def current(self) -> PlaybackEngine | GapEngine | None:
        return self.engines.get(self.index)

    def play(self, speed: float | None = None) -> None:
        if not self.segments:
            return
        self.speed = speed or self.speed
        engine = self._engine(self.index)
        last = self.last
        if (
            last is not None
            and last.segment == self.index
            and last.frame.number >= self.segments[self.index].frame_out
        ):
            if self.index + 1 >= len(self.segments):
                self.go_to(0)  # at the very end: from the top
            else:
                self.go_to(self.index + 1)
            engine = self._engine(self.index)
        self.playing = True
        self._cued = False
        engine.set_speed(self.speed)
        self._starting = (engine, engine.starts)
        engine.cue()  # from the frame last sought or shown, that frame first, as soon as it is shown

    def pause(self) -> None:
        self.playing = False
        self._cued = False
        self._starting = None
        for engine in self.engines.values():
            engine.pause()
        # the engine after the current one goes back to its in point, ready
        following = self.engines.get(self.index + 1)
        if following is not None:
            following.seek(self.segments[self.index + 1].frame_in)

    def go_to(self, i: int, offset: int = 0) -> None:
        """Segment ``i`` (clamped), paused ``offset`` frames after its in point."""
        if not self.segments:
            return
        was_playing = self.playing
        self.pause()
        self.index = max(0, min(len(self.segments) - 1, i))
        self._open_around(self.index)
        segment = self.segments[self.index]
        self._engine(self.index).seek(min(segment.frame_out, segment.frame_in + max(0, offset)))
        if was_playing:
            self.play()

    def seek_record(self, record: int) -> None:
        """The frame at ``record`` frames into the cut (in a gap: the next segment's in point)."""
        for i, segment in enumerate(self.segments):
            if record < segment.record_in + segment.frames:
                self.go_to(i, max(0, record - segment.record_in))
                return
        if self.segments:
            self.go_to(len(self.segments) - 1, self.segments[-1].frames - 1)

    def step(self, delta: int) -> None:
        """Frame by frame across the whole cut (paused)."""
        if not self.segments:
            return
        here = self.last.record if self.last is not None else self.segments[0].record_in
        target = (self._target if self._target is not None else here) + delta
        self._target = max(0, target)
        self.seek_record(self._target)

    # --- the caller's side ----------------------------------------------------------------------

    @property
    def every_frame(self) -> bool:
        return self.clock.every_frame

    @every_frame.setter
    def every_frame(self, on: bool) -> None:
        self.clock.every_frame = on

    def poll(self, now: float | None = None) -> Shown | None:
        """What to show at ``now`` (``time.monotonic()``), with its place in the cut; None: no change."""
        engine = self.current
        if engine is None:
            return None
        shown: Shown | None = None
        segment = self.segments[self.index]
        last = self.last
        out_shown = last is not None and last.segment == self.index and last.frame.number >= segment.frame_out
        frame = engine.poll(now)
        if frame is not None:
            shown = self._shown(self.index, frame)
            if (
                self._starting is not None
                and self._starting[0] is engine
                and engine.starts > self._starting[1]
            ):
                self._starting = None
                self.starts += 1
                self.start = (self.index, *engine.start)
        if self.playing:
            self._target = None
            following = self.engines.get(self.index + 1)
            if following is not None and not self._cued and engine.end_due is not None:
                following.set_speed(self.speed)
                following.cue(engine.end_due + 1.0 / (self.segments[self.index].fps * abs(self.speed)))
                self._cued = True
            at = shown or self.last
            done = at is not None and at.segment == self.index and at.frame.number >= segment.frame_out
            # Showing every frame, the out frame has a poll of its own before the next take comes.
            if self._cued and following is not None and (out_shown or not self.every_frame):
                first = following.poll(now)
                if first is not None and self._shown(self.index + 1, first) is not None:
                    if not done:
                        engine.discard()  # polled too late for this segment's last frames: dropped
                    elif shown is not None:
                        engine.status.dropped += 1  # its out frame came due with the next take's first
                    self.index += 1
                    self._cued = False
                    self._open_around(self.index)
                    shown = self._shown(self.index, first)
            elif following is None and not engine.status.playing and done:
                self.playing = False  # the last segment has ended
        if shown is not None:
            self.last = shown
        return shown

    def _shown(self, i: int, frame: Frame) -> Shown | None:
        segment = self.segments[i]
        if not segment.frame_in <= frame.number <= segment.frame_out:
            return None  # the file's first frame, decoded on opening before the in point was sought
        return Shown(i, frame, segment.record_in + frame.number - segment.frame_in)

    def total_dropped(self) -> int:
        return self.dropped + sum(e.status.dropped for e in self.engines.values())
