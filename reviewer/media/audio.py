"""A take's sound for the player: PCM from a media time on, and the clock that follows the sound card.

``AudioFeed`` decodes the take's first audio stream in its own thread (PyAV releases the GIL while
FFmpeg decodes), resamples it to 16-bit stereo at 48 kHz, starts at the exact sample of a media time,
loops an in-out range seamlessly or ends at its out point, and away from 1x stretches time without
changing the pitch (FFmpeg's ``atempo``), up to ``MAX_SPEED``: above that, and backwards, a review tool
plays no sound. Where the sound is shorter than the picture it is padded with silence, so the feed
always covers the range the picture plays.

``AudioMaster`` makes the sound the master clock: the playback ``Clock`` that stamps the frames is
slipped to follow what the device has consumed, so the picture waits for a sound card that starts late
or stalls, and drifts with it, never the other way round. No Qt here: the device is in the UI layer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from reviewer.errors import MediaError
from reviewer.media.frames import FrameIndex, build_index
from reviewer.media.playback import Clock
from reviewer.media.probe import check_file, open_video, reason_for

RATE = 48000
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # one sample of each channel, s16
MAX_SPEED = 2.0
AHEAD_S = 0.5  # decoded ahead of what the device has taken
OUTPUT_LATENCY_S = 0.025  # from the bytes the device took to the sound leaving it (PulseAudio's stream)
SYNC_DEADBAND_S = 0.008  # the picture is slipped to the sound when they differ by more than this
STALL_S = 0.35  # sound that has not moved for this long while it should: the device is not playing
START_PATIENCE_S = 1.5  # a device waking from power saving may take this long to start (the picture waits)


def audible(speed: float) -> bool:
    """Whether sound plays at ``speed``: forwards, up to ``MAX_SPEED``."""
    return 0.0 < speed <= MAX_SPEED


def range_seconds(index: FrameIndex, lo: int, hi: int) -> tuple[float, float]:
    """The container times a range of frames covers: from frame ``lo`` shown to frame ``hi`` gone."""
    n = len(index)
    if hi + 1 < n:
        end = index.pts_seconds(hi + 1)
    else:
        typical = (index.time_of(n - 1) / (n - 1)) if n > 1 else 1 / 24
        end = index.pts_seconds(hi) + typical
    return index.pts_seconds(lo), end


WAVE_COLUMNS = 1000  # peaks per take: finer than any timeline is wide
WAVE_RATE = 8000  # the sound is read at this rate for the waveform: peaks need no more


def waveform(path: Path, columns: int = WAVE_COLUMNS) -> np.ndarray:
    """The loudest sample (0 to 1, all channels) in each of ``columns`` equal slices of the picture's
    duration, on the container clock: what the clip timeline draws under the filmstrip. Zeros where
    there is no sound; MediaError if the take has none at all or cannot be read."""
    check_file(path)
    try:
        container = open_video(path)
    except Exception as exc:
        raise MediaError(reason_for(exc)) from None
    try:
        if not container.streams.audio or not container.streams.video:
            raise MediaError("no sound in this take")
        index = build_index(container, container.streams.video[0], path.stat().st_size)
        begin, end = range_seconds(index, 0, len(index) - 1)
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=WAVE_RATE)
        peaks = np.zeros(columns, np.float32)
        span = max(end - begin, 1e-6)
        origin: float | None = None
        produced = 0

        def add(block: np.ndarray) -> None:
            nonlocal produced
            assert origin is not None
            times = origin + (produced + np.arange(block.size)) / WAVE_RATE
            produced += block.size
            slot = np.floor((times - begin) / span * columns).astype(np.int64)
            inside = (slot >= 0) & (slot < columns)
            np.maximum.at(peaks, slot[inside], np.abs(block[inside]))

        try:
            for frame in container.decode(stream):
                if origin is None:
                    origin = frame.time if frame.time is not None else 0.0
                for out in resampler.resample(frame):
                    add(out.to_ndarray().reshape(-1))
            if origin is not None:
                for out in resampler.resample(None):
                    add(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError:
            pass  # a damaged tail: the rest stays flat
        return np.clip(peaks, 0.0, 1.0)
    finally:
        container.close()


def tempo_factors(speed: float) -> list[float]:
    """``atempo`` takes 0.5 to 2.0 per instance; slower speeds are a chain of them."""
    factors = []
    while speed < 0.5:
        factors.append(0.5)
        speed /= 0.5
    factors.append(speed)
    return factors


class AudioFeed:
    """PCM (s16, stereo, 48 kHz, interleaved) of one take from ``start_s`` on, for one play.

    Times are the container's (seconds, as the video frames' presentation times are). ``lo_s``-``hi_s``
    is the range played: with ``loop`` it starts over at ``lo_s`` after ``hi_s``, else the feed ends there.
    The GUI takes bytes with ``read``; ``ended`` once all of them were taken.
    """

    def __init__(
        self,
        path: Path,
        start_s: float,
        *,
        speed: float = 1.0,
        lo_s: float = 0.0,
        hi_s: float | None = None,
        loop: bool = False,
    ) -> None:
        if not audible(speed):
            raise ValueError(f"no sound at {speed:g}x")
        self.path = path
        self.start_s, self.speed, self.loop = start_s, speed, loop
        self.lo_s, self.hi_s = lo_s, hi_s
        self.error = ""
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._done = False  # the decode thread has put its last byte
        self._closed = False
        self._cond = threading.Condition()
        self.ready = threading.Event()  # the first bytes are there (or it failed)
        self._thread = threading.Thread(target=self._run, name=f"audio {path.name}", daemon=True)
        self._thread.start()

    # --- the GUI's side ----------------------------------------------------------------------

    def read(self, limit: int) -> bytes:
        """Up to ``limit`` bytes (whole sample frames) of what is decoded, without waiting."""
        limit -= limit % FRAME_BYTES
        out = bytearray()
        with self._cond:
            while self._chunks and len(out) < limit:
                chunk = self._chunks.popleft()
                take = limit - len(out)
                if len(chunk) > take:
                    self._chunks.appendleft(chunk[take:])
                    chunk = chunk[:take]
                out += chunk
            self._buffered -= len(out)
            self._cond.notify_all()
        return bytes(out)

    @property
    def ended(self) -> bool:
        """Every byte of a play that ends (no loop, or a failure) has been read."""
        with self._cond:
            return self._done and not self._chunks

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # --- the decode thread ------------------------------------------------------------------

    def _put(self, pcm: np.ndarray) -> bool:
        """Queue interleaved s16 samples; wait while enough is ahead. False once closed."""
        data = pcm.tobytes()
        if not data:
            return not self._closed
        with self._cond:
            while not self._closed and self._buffered >= AHEAD_S * RATE * FRAME_BYTES:
                self._cond.wait(0.5)
            if self._closed:
                return False
            self._chunks.append(data)
            self._buffered += len(data)
        self.ready.set()
        return True

    def _run(self) -> None:
        try:
            self._produce()
        except MediaError as exc:
            self.error = str(exc)
        except av.error.FFmpegError as exc:
            self.error = f"the sound cannot be decoded: {reason_for(exc)}"
        finally:
            with self._cond:
                self._done = True
            self.ready.set()

    def _produce(self) -> None:
        check_file(self.path)
        try:
            container = open_video(self.path)  # without probing the picture: 2 ms, not 45 (1080p H.264)
        except Exception as exc:
            raise MediaError(reason_for(exc)) from None
        try:
            if not container.streams.audio:
                raise MediaError("no sound in this take")
            self._play(container, container.streams.audio[0])
        finally:
            container.close()

    def _play(self, container: av.container.InputContainer, stream: av.AudioStream) -> None:
        stretch = _Stretch(self.speed) if self.speed != 1.0 else None
        position = self.start_s
        while True:
            hi = self.hi_s
            for pcm in self._pcm(container, stream, position, hi):
                if stretch is not None:
                    pcm = stretch.push(pcm)
                if not self._put(pcm):
                    return
            if not self.loop or self._closed:
                break
            position = self.lo_s
        if stretch is not None:
            self._put(stretch.flush())

    def _pcm(
        self, container: av.container.InputContainer, stream: av.AudioStream, start: float, end: float | None
    ) -> Iterator[np.ndarray]:
        """Interleaved s16 stereo 48 kHz samples from ``start`` to ``end`` (seconds), exactly, padded with
        silence where the stream has none."""
        tb = stream.time_base or Fraction(1, stream.sample_rate or RATE)
        sought = start > 0
        if sought:
            container.seek(int(start / tb), stream=stream, backward=True, any_frame=False)
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
        at = round(start * RATE)  # the next sample to give, counted in output samples from time 0
        last = None if end is None else round(end * RATE)
        origin: int | None = None  # output sample number of the resampler's first output
        produced = 0

        def emit(block: np.ndarray, first: int) -> Iterator[np.ndarray]:
            nonlocal at
            n = block.shape[0]
            if first > at:  # a gap (or sound starting after the picture): silence up to it
                gap = first - at if last is None else min(first, last) - at
                if gap > 0:
                    yield np.zeros((gap, CHANNELS), np.int16)
                    at += gap
            lo = max(0, at - first)
            hi = n if last is None else max(0, min(n, last - first))
            if hi > lo:
                yield block[lo:hi]
                at = first + hi

        try:
            for frame in container.decode(stream):
                if origin is None:
                    # a stream without timestamps: from the start, or from where the seek asked
                    origin = round(frame.time * RATE) if frame.time is not None else (at if sought else 0)
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1, CHANNELS)
                    first = origin + produced
                    produced += block.shape[0]
                    yield from emit(block, first)
                if last is not None and at >= last:
                    return
                if self._closed:
                    return
            for out in resampler.resample(None):
                if origin is None:
                    break
                block = out.to_ndarray().reshape(-1, CHANNELS)
                first = origin + produced
                produced += block.shape[0]
                yield from emit(block, first)
        except av.error.FFmpegError:
            pass  # a damaged tail: what decoded plays, the rest is silence
        if last is not None and at < last:
            yield np.zeros((last - at, CHANNELS), np.int16)


@dataclass(frozen=True)
class Span:
    """A stretch of a cut's sound: the sound under frames ``first``-``last`` of a take, or (no path, or
    a take without sound or that cannot be read) silence as long as those frames at ``fps``."""

    path: Path | None
    first: int
    last: int
    fps: float = 24.0


class CutFeed(AudioFeed):
    """The sound of a cut: each span's sound in turn, seamlessly, from frame ``start`` of the first; it
    ends after the last. A span whose take has no sound, or cannot be read, is silence of its length,
    so the spans after it keep their time."""

    def __init__(self, spans: Sequence[Span], start: int, *, speed: float = 1.0) -> None:
        self.spans, self.start_frame = list(spans), start
        super().__init__(self.spans[0].path or Path("gap"), 0.0, speed=speed)

    def _produce(self) -> None:
        stretch = _Stretch(self.speed) if self.speed != 1.0 else None
        for k, span in enumerate(self.spans):
            first = max(span.first, self.start_frame) if k == 0 else span.first
            for pcm in self._span(span, first):
                if stretch is not None:
                    pcm = stretch.push(pcm)
                if not self._put(pcm):
                    return
        if stretch is not None:
            self._put(stretch.flush())

    def _span(self, span: Span, first: int) -> Iterator[np.ndarray]:
        silence = round((span.last - first + 1) / (span.fps or 24.0) * RATE)
        if span.path is None:
            yield np.zeros((max(0, silence), CHANNELS), np.int16)
            return
        try:
            container = open_video(span.path)
        except Exception:
            yield np.zeros((max(0, silence), CHANNELS), np.int16)
            return
        try:
            video = container.streams.video[0] if container.streams.video else None
            index = build_index(container, video, span.path.stat().st_size) if video is not None else None
            if index is None or not container.streams.audio:
                yield np.zeros((max(0, silence), CHANNELS), np.int16)
                return
            last = min(span.last, len(index) - 1)
            lo_s, hi_s = range_seconds(index, min(first, last), last)
            yield from self._pcm(container, container.streams.audio[0], lo_s, hi_s)
        except (MediaError, av.error.FFmpegError, OSError):
            yield np.zeros((max(0, silence), CHANNELS), np.int16)
        finally:
            container.close()


class _Stretch:
    """Time stretch without a change of pitch: FFmpeg's ``atempo`` in a filter graph."""

    def __init__(self, speed: float) -> None:
        self.graph = av.filter.Graph()
        tb = Fraction(1, RATE)
        node = self.graph.add_abuffer(format="s16", sample_rate=RATE, layout="stereo", time_base=tb)
        for factor in tempo_factors(speed):
            tempo = self.graph.add("atempo", f"{factor:.6f}")
            node.link_to(tempo)
            node = tempo
        node.link_to(self.graph.add("abuffersink"))
        self.graph.configure()
        self.pts = 0

    def _pull(self) -> np.ndarray:
        blocks = []
        while True:
            try:
                out = self.graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                break
            blocks.append(out.to_ndarray().reshape(-1, CHANNELS))
        return np.concatenate(blocks) if blocks else np.zeros((0, CHANNELS), np.int16)

    def push(self, pcm: np.ndarray) -> np.ndarray:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = RATE
        frame.pts = self.pts
        frame.time_base = Fraction(1, RATE)
        self.pts += pcm.shape[0]
        self.graph.push(frame)
        return self._pull()

    def flush(self) -> np.ndarray:
        self.graph.push(None)
        return self._pull()


class AudioMaster:
    """Slips a playback ``Clock`` so that it follows the sound the device has played.

    ``t0`` is the clock time the sound started at (the moment its first frame of picture was shown);
    the sound's own time is ``t0`` plus what the device consumed, less its output latency. Between the
    device's reports (it takes sound in blocks) the sound's time runs on with the monotonic clock.
    """

    def __init__(self, clock: Clock, t0: float, latency: float = OUTPUT_LATENCY_S) -> None:
        self.clock, self.t0, self.latency = clock, t0, latency
        self._consumed = 0.0
        self._since = time.monotonic()
        self.stalled = False
        self.slipped = 0.0  # total correction, for the benchmark and the tests

    def follow(self, consumed: float, ended: bool = False, now: float | None = None) -> None:
        """Bring the clock to the sound; ``consumed``: seconds of sound the device has taken so far;
        ``ended``: the feed gave its last byte (the sound then no longer holds the picture back)."""
        if self.stalled:
            return
        mono = time.monotonic() if now is None else now
        if consumed > self._consumed:
            self._consumed, self._since = consumed, mono
        elif ended:
            return
        elif mono - self._since > (STALL_S if self._consumed else START_PATIENCE_S):
            self.stalled = True  # the picture goes on by itself; the UI says the sound stopped
            return
        # Sound keeps going for at most one device block past the last report.
        played = max(0.0, self._consumed + min(mono - self._since, 0.05) - self.latency)
        error = self.clock.at(mono) - (self.t0 + played)
        if abs(error) > SYNC_DEADBAND_S:
            self.clock.slip(error)
            self.slipped += error
