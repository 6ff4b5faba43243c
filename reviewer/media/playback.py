"""Playback of one take: a decode thread runs ahead of a clock; the GUI only asks what is due and paints.

The decode thread owns the ``FrameReader`` (PyAV releases the GIL while it decodes and scales), fills a
bounded queue with frames stamped with the moment they are due, and answers commands (seek, play at a
speed, pause, step, in/out loop) in the order they were given; a newer seek supersedes older ones still
waiting. ``poll(now)`` hands the newest frame whose moment has come and counts the ones it had to
skip (dropped frames). Reverse play decodes short chunks forward from a keyframe into the frame cache
and serves them backwards. No Qt here: frames are numpy arrays.
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


@dataclass
class Due:
    frame: Frame
    at: float  # time.monotonic() when it should be on screen


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
    ) -> None:
        self.path = path
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
        self.ready = threading.Event()
        # When the last frame of the range is due, once it is queued while playing without a loop
        # (a cut starts the next take one frame later); None until then.
        self.end_due: float | None = None
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

    def cue(self, at: float) -> None:
        """Play on from the frame last sought, that frame first, due at ``at`` (``time.monotonic()``).

        A cut uses it to start the next take exactly one frame after the last frame of the one before.
        """
        self._command("cue", at)

    def set_range(self, in_point: int | None, out_point: int | None) -> None:
        with self._cond:
            self.status.in_point, self.status.out_point = in_point, out_point
        self._command("range")

    def set_loop(self, loop: bool) -> None:
        with self._cond:
            self.status.loop = loop

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

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self.cache.drop(self.key)

    # --- the GUI's side ----------------------------------------------------------------------

    def poll(self, now: float | None = None) -> Frame | None:
        """The frame to show now if it differs from the last one handed out, else None."""
        now = time.monotonic() if now is None else now
        picked: Due | None = None
        with self._cond:
            while self._queue and self._queue[0].at <= now:
                if picked is not None:
                    self.status.dropped += 1
                picked = self._queue.popleft()
            if picked is not None:
                self._cond.notify_all()  # room in the queue
                self._current = picked.frame
                self.status.frame = picked.frame.number
                self.status.shown += 1
                return picked.frame
        return None

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
            if command is not None:
                name, value = command
                lo, hi = self._range(total)
                if name == "seek":
                    position = int(max(0, min(value, total - 1)))
                    if not superseded:
                        self._show_now(reader, position, generation)
                    last_number, next_due = position, time.monotonic()
                elif name == "step":
                    self.status.playing = False
                    # from the last frame asked for, not the last painted: quick presses add up
                    position = int(max(0, min(position + value, total - 1)))
                    self._show_now(reader, position, generation)
                    last_number = position
                elif name == "play":
                    self.status.playing, self.status.speed = True, float(value) or 1.0
                    position, last_number, next_due = self.status.frame, self.status.frame, time.monotonic()
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
                    next_due = value - self._typical_interval() / abs(speed)
                    anchor = False
                elif name == "pause":
                    self.status.playing = False
                    position = self.status.frame
                elif name in ("range", "size"):
                    position = self.status.frame
                    if not superseded:
                        self._show_now(reader, position, generation)
                    last_number, next_due = position, time.monotonic()
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
            frame = self._frame(reader, following, forward=step > 0 and not wrapped)
            interval = self._interval(last_number, following, wrapped) / abs(speed)
            now = time.monotonic()
            next_due = max(next_due + interval, now if anchor else now - 0.25)
            anchor = False
            with self._cond:
                if generation != self._generation:
                    continue
                self._queue.append(Due(frame, next_due))
                if following == (hi if step > 0 else lo) and not self.status.loop:
                    self.end_due = next_due
            last_number = following

    def _interval(self, a: int, b: int, wrapped: bool) -> float:
        assert self.index is not None
        if wrapped or a == b or not 0 <= a < len(self.index):
            return self._typical_interval()
        return abs(self.index.time_of(b) - self.index.time_of(a))

    def _typical_interval(self) -> float:
        assert self.index is not None
        n = len(self.index)
        return self.index.time_of(n - 1) / (n - 1) if n > 1 else 1 / 24

    def _frame(self, reader: FrameReader, n: int, forward: bool) -> Frame:
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
