"""Frame-exact access to a take: frame N is frame N as ``ffmpeg -vf select=eq(n\\,N)`` gives it.

A ``FrameIndex`` lists the presentation timestamps of every frame (from the container's sample index
when it is complete, else by demuxing every packet), so frame numbers and times map exactly, also for
variable frame rate and streams that do not start at zero. ``FrameReader`` seeks to the keyframe at or
before a frame and decodes forward to it; reading on from there is sequential decoding, so playback and
stepping share one path. Frames leave as RGB arrays converted and scaled in FFmpeg (swscale).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from reviewer.errors import MediaError
from reviewer.media.images import display_size, orient, to_rgb
from reviewer.media.probe import check_file, indexed_timestamps, open_video, reason_for

# A frame at most this far past the reader's position is reached by decoding on rather than seeking
# (about a long GOP: a seek would land on the keyframe before and decode as much again).
DECODE_ON = 48


@dataclass(frozen=True)
class FrameIndex:
    """Presentation timestamps (in ``time_base`` units) of every frame, in display order."""

    pts: tuple[int, ...]
    time_base: Fraction
    start_pts: int

    def __len__(self) -> int:
        return len(self.pts)

    def time_of(self, n: int) -> float:
        """Seconds from the first frame to frame ``n``."""
        return float((self.pts[n] - self.start_pts) * self.time_base)

    def pts_seconds(self, n: int) -> float:
        """Frame ``n``'s presentation time on the container's clock (where its sound is), in seconds."""
        return float(self.pts[n] * self.time_base)

    def frame_at(self, seconds: float) -> int:
        """The frame shown at ``seconds`` after the first frame (the last one whose time has come)."""
        target = self.start_pts + seconds / self.time_base
        n = bisect.bisect_right(self.pts, target) - 1
        return min(max(n, 0), len(self.pts) - 1)

    def number_of(self, pts: int) -> int | None:
        n = bisect.bisect_left(self.pts, pts)
        return n if n < len(self.pts) and self.pts[n] == pts else None


def build_index(container: av.container.InputContainer, stream: av.VideoStream, file_size: int) -> FrameIndex:
    tb = stream.time_base or Fraction(1, 90000)
    stamps: list[int] = []
    # AVI has no reordering, so its index gives presentation times; MP4/MOV sample tables hold decode
    # times, so there (and for every other container) the packets' pts are read.
    if container.format.name.startswith("avi"):
        stamps = indexed_timestamps(stream, file_size) or []
    if not stamps:
        container.seek(0)
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None and not packet.is_discard:
                    stamps.append(packet.pts)
        except av.error.FFmpegError:
            pass  # a truncated file: index what is there
        container.seek(0)
    if not stamps:
        raise MediaError("no video frames could be read (truncated or damaged)")
    stamps.sort()
    return FrameIndex(tuple(stamps), Fraction(tb), stamps[0])


@dataclass
class Frame:
    number: int
    rgb: np.ndarray  # height x width x 3, as displayed (aspect and rotation applied)


class FrameReader:
    """One open take: exact seeks and sequential reads, RGB out at a size the caller sets.

    Not thread-safe: one reader belongs to one thread (a playback worker or a one-off export).
    """

    def __init__(self, path: Path, *, threads: int = 0) -> None:
        st = check_file(path)
        self.path = path
        try:
            self.container = open_video(path)
        except Exception as exc:
            raise MediaError(reason_for(exc)) from None
        videos = self.container.streams.video
        if not videos:
            self.container.close()
            raise MediaError("no video stream")
        self.stream = videos[0]
        self.stream.thread_type = "AUTO"
        if threads:
            self.stream.thread_count = threads
        try:
            self.index = build_index(self.container, self.stream, st.st_size)
        except BaseException:
            self.container.close()
            raise
        self.sar = Fraction(self.stream.sample_aspect_ratio or 1)
        self.rotation = 0
        self._decoder: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._next = 0  # the frame number the sequential decoder will yield next, when positioned
        self._positioned = False
        self.size: tuple[int, int] | None = None  # displayed (width, height) to scale to; None: native

    # --- conversion -------------------------------------------------------------------------

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        self.rotation = int(frame.rotation or 0)
        shown_w, shown_h = display_size(frame.width, frame.height, self.sar, self.rotation)
        if self.size is not None:
            box_w, box_h = self.size
            scale = min(box_w / shown_w, box_h / shown_h)
            shown_w, shown_h = max(2, round(shown_w * scale)), max(2, round(shown_h * scale))
        w, h = (shown_h, shown_w) if abs(self.rotation) % 180 == 90 else (shown_w, shown_h)
        return orient(to_rgb(frame, w, h), self.rotation)

    # --- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index)

    def _frames(self) -> Iterator[tuple[int, av.VideoFrame]]:
        for frame in self.container.decode(self.stream):
            if frame.pts is not None:
                yield frame.pts, frame

    def seek(self, n: int) -> Frame:
        """Frame ``n``, exactly, as displayed: from the keyframe at or before it, decoded forward."""
        n = min(max(n, 0), len(self.index) - 1)
        if self._positioned and self._next <= n < self._next + DECODE_ON:
            try:
                return self.read(n)  # a little way on: decoding on (unconverted) beats a seek to a keyframe
            except EOFError:
                pass  # the stream ended early (a file whose index promised more): seek as for any frame
        return Frame(n, self._convert(self.decoded(n)))

    def decoded(self, n: int) -> av.VideoFrame:
        """Frame ``n`` as the decoder gives it (before conversion); the reader reads on from there."""
        target = self.index.pts[n]
        for back in (0, 1, 2):
            # Seek a little earlier on each retry: some files' keyframe flags or indexes are off.
            seek_pts = target if back == 0 else self.index.pts[max(0, n - 30 * back)]
            try:
                self.container.seek(seek_pts, stream=self.stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                self.container.seek(0)
            decoder = self._decoder = self._frames()
            for pts, frame in decoder:
                if pts < target:
                    continue
                if pts == target:
                    self._next, self._positioned = n + 1, True
                    return frame
                break  # landed after the target: the seek went too far, retry earlier
        # Last resort: from the very start.
        self.container.seek(0)
        decoder = self._decoder = self._frames()
        for pts, frame in decoder:
            if pts >= target:
                self._next, self._positioned = n + 1, True
                return frame
        raise MediaError(f"frame {n} could not be decoded")

    def read(self, at_least: int = 0) -> Frame:
        """The next frame after the last one returned (sequential decode), or with ``at_least`` the first
        from there that is not before it (the ones between are decoded but not converted)."""
        if not self._positioned or self._decoder is None:
            return self.seek(max(self._next, at_least))
        for pts, frame in self._decoder:
            number = self.index.number_of(pts)
            if number is None or number < max(self._next, at_least):
                continue
            self._next = number + 1
            return Frame(number, self._convert(frame))
        self._positioned = False
        raise EOFError

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FrameCache:
    """Decoded frames around the playhead, bounded in bytes, least recently used out first."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.used = 0
        self._frames: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, n: int) -> np.ndarray | None:
        with self._lock:
            rgb = self._frames.get((key, n))
            if rgb is not None:
                self._frames.move_to_end((key, n))
            return rgb

    def put(self, key: str, n: int, rgb: np.ndarray) -> None:
        with self._lock:
            old = self._frames.pop((key, n), None)
            if old is not None:
                self.used -= old.nbytes
            self._frames[(key, n)] = rgb
            self.used += rgb.nbytes
            while self.used > self.budget and self._frames:
                _, dropped = self._frames.popitem(last=False)
                self.used -= dropped.nbytes

    def drop(self, key: str) -> None:
        with self._lock:
            for k in [k for k in self._frames if k[0] == key]:
                self.used -= self._frames.pop(k).nbytes
