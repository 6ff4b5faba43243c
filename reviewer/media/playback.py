"""Playback of one take: a decode thread runs ahead of a clock; the GUI only asks what is due and paints.

The decode thread owns the ``FrameReader`` (PyAV releases the GIL while it decodes and scales), fills a
bounded queue with frames stamped with the moment they are due, and answers commands (seek, play at a
speed, pause, step, in/out loop) in the order they were given; a newer seek supersedes older ones still
waiting. ``poll(now)`` hands the newest frame whose moment has come and counts the ones it had to
skip (dropped frames); a decode thread that falls behind the clock skips ahead to the frame due now
and counts the frames it passed as dropped too, so a shuttle keeps time instead of lagging. With the
clock's ``every_frame`` on (a player's "play every frame", for catching one-frame glitches) nothing is
ever skipped: a late frame is still shown and the clock slips by the lateness instead. Reverse play
decodes short chunks forward from a keyframe into the frame cache and serves them backwards. No Qt
here: frames are numpy arrays.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reviewer.errors import MediaError
from reviewer.media.frames import Frame, FrameCache, FrameIndex, FrameReader

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
REVERSE_CHUNK = 24
DEFAULT_CACHE_BYTES = 96 << 20  # when no shared cache is given: about 35 frames at 1280x720
_keys = itertools.count()


class Clock:
    """Playback time: the monotonic clock less the time given up to show every frame.

    Engines that play one after another or side by side (a cut, a compare) share one, so a slip in one
    moves the others with it: the next take of a cut stays cued one frame after the last of this one.
    """

    def __init__(self, every_frame: bool = False) -> None:
        self.every_frame = every_frame  # never drop: show each frame, late if need be, and slip
        self.offset = 0.0

    def now(self) -> float:
        return time.monotonic() - self.offset

    def at(self, monotonic: float) -> float:
        """Clock time at the monotonic moment ``monotonic``."""
        return monotonic - self.offset

    def slip(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Due:
    frame: Frame
    at: float  # clock time when it should be on screen; 0.0: at once (a seek or a step while paused)
    starts: bool = False  # the first frame of a play: the clock runs from when it is shown, not before


@dataclass
class Status:
    frame: int = 0
    playing: bool = False
    speed: float = 1.0
    loop: bool = True
    in_point: int | None = None
    out_point: int | None = None
    dropped: int = 0
    shown: int = 0
    error: str = ""


class PlaybackEngine:
    """One take, opened and played in its own decode thread."""

    def __init__(
        self,
        path: Path,
        *,
        size: tuple[int, int] | None = None,
        queue_frames: int = 8,
        cache: FrameCache | None = None,
        on_ready: Callable[[PlaybackEngine], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.path = path
        self.clock = clock or Clock()
        self.key = f"{path}#{next(_keys)}"
        self.cache = cache or FrameCache(DEFAULT_CACHE_BYTES)
        self.queue_frames = queue_frames
        self.status = Status()
        self.index: FrameIndex | None = None
        self._size = size
        self._queue: deque[Due] = deque()
        self._current: Frame | None = None
        self._cond = threading.Condition()
        self._commands: deque[tuple[str, float]] = deque()
        self._generation = 0  # bumped by every command: frames decoded for an older one are stale
        self._closed = False
        self._on_ready = on_ready
        self._first: Frame | None = None
        self.ready = threading.Event()
        # When the last frame of the range is due, once it is queued while playing without a loop
        # (a cut starts the next take one frame later); None until then.
        self.end_due: float | None = None
        # Each play that started (its first frame shown): how many, and the last one's frame and clock
        # time. The player starts the sound with it.
        self.starts = 0
        self.start: tuple[int, float] = (0, 0.0)
        self._thread = threading.Thread(target=self._run, name=f"playback {path.name}", daemon=True)
        self._thread.start()

    # --- commands (any thread) -------------------------------------------------------------

    def _command(self, name: str, value: float = 0.0) -> None:
        with self._cond:
            if name == "seek":  # a newer seek makes waiting seeks pointless
                self._commands = deque(c for c in self._commands if c[0] != "seek")
            # The transport state says what was asked, at once; the decode thread catches up with it.
            if name == "play":
                self.status.playing, self.status.speed = True, float(value) or 1.0
            elif name in ("pause", "step"):
                self.status.playing = False
            self._commands.append((name, value))
            self._generation += 1
            self._queue.clear()
            self.end_due = None
            self._cond.notify_all()

    def seek(self, frame: int) -> None:
        self._command("seek", frame)

    def step(self, delta: int) -> None:
        self._command("step", delta)

    def play(self, speed: float = 1.0) -> None:
        self._command("play", speed)

    def pause(self) -> None:
        self._command("pause")

    def cue(self, at: float | None = None) -> None:
        """Play on from the frame last sought, that frame first, due at ``at`` (``self.clock`` time), or
        with no ``at`` as soon as it is shown (as ``play`` does).

        A cut uses it to start the next take exactly one frame after the last frame of the one before.
        """
        self._command("cue", -1.0 if at is None else at)

    def set_range(self, in_point: int | None, out_point: int | None) -> None:
        with self._cond:
            self.status.in_point, self.status.out_point = in_point, out_point
        self._command("range")

    def set_loop(self, loop: bool) -> None:
        with self._cond:
            self.status.loop = loop

    @property
    def size(self) -> tuple[int, int] | None:
        """The size frames are scaled to fit (None: as decoded)."""
        return self._size

    def set_size(self, size: tuple[int, int] | None) -> None:
        """Frames are scaled to fit ``size`` from now on (the view was resized)."""
        with self._cond:
            self._size = size  # before the command is queued: the decode thread reads it when it runs it
        self._command("size", 0.0)

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` (negative: backwards) if playing; else the speed the next play starts at."""
        if self.status.playing:
            self.play(speed)
        else:
            with self._cond:
                self.status.speed = speed

    def close(self, wait: bool = True) -> None:
        """Stop the decode thread; without ``wait`` it is told to stop and left to finish on its own (a
        survey page turning closes sixteen engines: their threads end while the next page plays)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if wait:
            self._thread.join(timeout=5)
        self.cache.drop(self.key)

    # --- the GUI's side ----------------------------------------------------------------------

    def poll(self, now: float | None = None) -> Frame | None:
        """The frame to show now (``now``: ``time.monotonic()``) if it differs from the last one handed
        out, else None. Late frames are skipped and counted, or with ``clock.every_frame`` shown one by
        one while the clock slips back by their lateness."""
        t = self.clock.now() if now is None else self.clock.at(now)
        picked: Due | None = None
        with self._cond:
            while self._queue and self._queue[0].at <= t:
                if picked is not None and picked.at > 0.0:  # a still replaced by a newer one is no drop
                    self.status.dropped += 1
                picked = self._queue.popleft()
                late = t - picked.at
                if picked.starts:  # a play starts now, at its first frame, however late the poll came
                    self.clock.slip(late)
                    self.starts += 1
                    self.start = (picked.frame.number, picked.at)
                    break
                if self.clock.every_frame:
                    if picked.at > 0.0 and late > 0.5 * self._frame_time():
                        self.clock.slip(late)
                    break
            if picked is not None:
                self._cond.notify_all()  # room in the queue
                self._current = picked.frame
                self.status.frame = picked.frame.number
                self.status.shown += 1
                return picked.frame
        return None

    def discard(self) -> int:
        """Count the frames queued and not yet shown as dropped, and forget them (a cut moved on)."""
        with self._cond:
            left = len(self._queue)
            self._queue.clear()
            self.status.dropped += left
            self._cond.notify_all()
        return left

    @property
    def current(self) -> Frame | None:
        return self._current

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self.ready.wait(timeout)

    # --- the decode thread --------------------------------------------------------------------

    def _run(self) -> None:
        try:
            reader = FrameReader(self.path, threads=0)
        except MediaError as exc:
            self.status.error = str(exc)
            self.ready.set()
            if self._on_ready:
                self._on_ready(self)
            return
        try:
            self.index = reader.index
            reader.size = self._size
            first = reader.seek(0)
            self.cache.put(self.key, 0, first.rgb)
            # Kept apart from the shared cache, where the take playing meanwhile would evict it: a
            # prefetched take's play starts from this frame without decoding.
            self._first = first
            with self._cond:
                # Shown while nothing else was asked for; a command already given (a cut's seek to its
                # in point and cue) makes it stale, and a stale frame 0 would pass for the in frame.
                if self._generation == 0:
                    self._queue.append(Due(first, 0.0))
            self.ready.set()
            if self._on_ready:
                self._on_ready(self)
            self._loop(reader, first.number)
        finally:
            reader.close()

    def _range(self, total: int) -> tuple[int, int]:
        lo = self.status.in_point if self.status.in_point is not None else 0
        hi = self.status.out_point if self.status.out_point is not None else total - 1
        return max(0, min(lo, total - 1)), max(0, min(hi, total - 1))

    def _loop(self, reader: FrameReader, position: int) -> None:
        assert self.index is not None
        total = len(self.index)
        next_due = 0.0
        last_number = position
        anchor = False  # the first frame after a play command starts the clock when it is ready
        while True:
            with self._cond:
                while (
                    not self._closed
                    and not self._commands
                    and not (self.status.playing and len(self._queue) < self.queue_frames)
                ):
                    self._cond.wait(0.5)
                if self._closed:
                    return
                command = self._commands.popleft() if self._commands else None
                # A command with another behind it only moves the position: showing its frame would
                # queue a picture the next command makes stale (a seek, then a cue to play on time).
                superseded = bool(self._commands)
                generation = self._generation
                if command is not None and command[0] == "size":
                    reader.size = self._size
                    self.cache.drop(self.key)
                    self._first = None
            if command is not None:
                name, value = command
                lo, hi = self._range(total)
                if name == "seek":
                    position = int(max(0, min(value, total - 1)))
                    if not superseded:
                        self._show_now(reader, position, generation)
                    last_number, next_due = position, self.clock.now()
                elif name == "step":
                    self.status.playing = False
                    # from the last frame asked for, not the last painted: quick presses add up
                    position = int(max(0, min(position + value, total - 1)))
                    self._show_now(reader, position, generation)
                    last_number = position
                elif name == "play":
                    self.status.playing, self.status.speed = True, float(value) or 1.0
                    position, last_number, next_due = self.status.frame, self.status.frame, self.clock.now()
                    at_end = position >= hi if self.status.speed > 0 else position <= lo
                    if at_end and self.status.loop:
                        # Play from the end starts over: the in point (out point backwards) comes first, now.
                        position = lo if self.status.speed > 0 else hi
                        last_number = position - (1 if self.status.speed > 0 else -1)
                        next_due -= self._typical_interval() / abs(self.status.speed)
                    anchor = True
                elif name == "cue":
                    self.status.playing = True
                    speed = self.status.speed or 1.0
                    step = 1 if speed > 0 else -1
                    last_number = position - step  # the frame sought comes first
                    anchor = value < 0  # no time given: from when its first frame is shown
                    # The frame sought is the first of the play: due at once (no time given) or at ``value``;
                    # one interval is taken off because the loop below adds it to the frame before.
                    next_due = (self.clock.now() if anchor else value) - self._typical_interval() / abs(speed)
                elif name == "pause":
                    self.status.playing = False
                    position = self.status.frame
                elif name in ("range", "size"):
                    position = self.status.frame
                    if not superseded:
                        self._show_now(reader, position, generation)
                    last_number, next_due = position, self.clock.now()
                continue
            # Playing: decode the next frame in the direction of play and stamp when it is due.
            speed = self.status.speed
            lo, hi = self._range(total)
            step = 1 if speed > 0 else -1
            following = last_number + step
            wrapped = following > hi or following < lo
            if wrapped:
                if not self.status.loop:
                    with self._cond:
                        if generation == self._generation:
                            self.status.playing = False
                    continue
                following = lo if step > 0 else hi
            interval = self._interval(last_number, following, wrapped) / abs(speed)
            now = self.clock.now()
            skipped = 0
            if not anchor and not wrapped and not self.clock.every_frame:
                # Behind the clock (a fast shuttle, a busy machine): on to the frame due now, not the next.
                behind = now - (next_due + interval)
                if behind > interval:
                    left = hi - following if step > 0 else following - lo
                    skipped = min(int(behind / interval), left)
                    following += step * skipped
                    next_due += interval * skipped
            frame = self._frame(reader, following, forward=step > 0 and not wrapped)
            now = self.clock.now()
            next_due = max(next_due + interval, now if anchor else now - 0.25)
            starts, anchor = anchor, False
            with self._cond:
                if generation != self._generation:
                    continue
                self.status.dropped += skipped
                self._queue.append(Due(frame, next_due, starts))
                if following == (hi if step > 0 else lo) and not self.status.loop:
                    self.end_due = next_due
            last_number = following

    def _interval(self, a: int, b: int, wrapped: bool) -> float:
        assert self.index is not None
        if wrapped or a == b or not 0 <= a < len(self.index):
            return self._typical_interval()
        return abs(self.index.time_of(b) - self.index.time_of(a))

    def _frame_time(self) -> float:
        """Seconds between frames on screen at the current speed."""
        return (self._typical_interval() if self.index is not None else 1 / 24) / (
            abs(self.status.speed) or 1.0
        )

    def _typical_interval(self) -> float:
        assert self.index is not None
        n = len(self.index)
        return self.index.time_of(n - 1) / (n - 1) if n > 1 else 1 / 24

    def _frame(self, reader: FrameReader, n: int, forward: bool) -> Frame:
        if self._first is not None and self._first.number == n:
            return self._first
        cached = self.cache.get(self.key, n)
        if cached is not None:
            return Frame(n, cached)
        if forward:
            frame = reader.seek(n)  # sequential decoding when the reader is already there
        else:
            # Backwards: decode a chunk forward from before ``n`` into the cache, serve it from there.
            start = max(0, n - REVERSE_CHUNK + 1)
            frame = reader.seek(start)
            self.cache.put(self.key, frame.number, frame.rgb)
            while frame.number < n:
                frame = reader.read()
                self.cache.put(self.key, frame.number, frame.rgb)
        self.cache.put(self.key, frame.number, frame.rgb)
        return frame

    def _show_now(self, reader: FrameReader, n: int, generation: int) -> None:
        frame = self._frame(reader, n, forward=True)
        with self._cond:
            if generation == self._generation:
                self._queue.append(Due(frame, 0.0))
