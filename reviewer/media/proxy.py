"""Proxies: a small, cheap-to-decode copy of a take, written during the analysis pass's own decode.

A proxy has the take's frames and timing: frame N of the proxy is frame N of the take, at the same
presentation time (the source's timestamps are kept, so variable frame rate stays variable). Its picture
is the take as it is meant to be seen (pixel aspect and rotation applied) scaled to at most
``PROXY_HEIGHT`` pixels high, in H.264 with a short group of pictures and no B-frames, so that sixteen
of them decode at once on two cores and a seek costs a few frames. Proxies live in the local cache,
keyed by the take's content hash like posters and filmstrips: regenerable, per workstation, never
needed for correctness. Whoever plays a take asks ``playable`` for the file to open: the proxy when it
exists and is wanted, else the original, so a missing proxy is never an error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from reviewer.media import cache
from reviewer.media.images import display_size, orient, source_colorspace, source_range, to_rgb

# A quarter of 1080p's height (the quarter-resolution proxy of editing systems): what a survey cell
# shows on a 3x3 or 4x4 page, where the proxies are played. Its cost follows: an exact 4:1 box from 1080
# lines and an encoder's work on a quarter of the pixels. At 360 lines (a third) the proxy cost 15-16%
# of the analysis pass on the survey benchmark's 1080p takes, over the 15% it may cost; at 270 lines 11%
# (8-9% on takes with film grain, which cost more to decode; 17-19% on clean 720p takes, which cost less).
PROXY_HEIGHT = 270
PROXY_GOP = 12  # a keyframe every half second at 24 fps: a seek decodes at most 11 frames
# A constant quantiser, not CRF: CRF's rate control costs a fifth of the encoder's time on a picture this
# small (it analyses a lowered copy of every frame), and QP 25 measures the same PSNR as CRF 30 did on
# the survey benchmark's takes (46 dB against the scaled source) in half the bytes.
PROXY_QP = "25"
# A box filter. FAST_BILINEAR reads two taps whatever the ratio: at 1080p to 360 it aliases, and the
# encoder spends five times the bits on the aliasing (8% of the original where this is under 2%).
PROXY_SCALING = "AREA"
# Frames in these formats go into the proxy with their pixels as they are (scaled, not converted).
VERBATIM = ("yuv420p", "yuvj420p")
# Frames are encoded a dozen at a time: the encoder's state is still in the caches from the frame
# before, where between decoded 1080p frames it is not (a tenth of the proxy's cost on 2 cores).
ENCODE_BATCH = 12


def verbatim(frame: av.VideoFrame) -> bool:
    """Whether ``frame`` goes into the proxy with its pixels as they are: upright 8-bit 4:2:0."""
    return frame.format.name in VERBATIM and not int(frame.rotation or 0) % 360


def plane_array(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """A frame's plane as a (height, width) array over its memory, no copy."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def proxy_path(content_hash: str, root: Path | None = None) -> Path:
    return cache.proxy_path(content_hash, root)


def existing_proxy(content_hash: str, root: Path | None = None) -> Path | None:
    """The take's proxy file if this workstation has one."""
    if not content_hash:
        return None
    path = proxy_path(content_hash, root)
    return path if path.is_file() else None


def playable(take: dict, prefer_proxy: bool, root: Path | None = None) -> tuple[Path, bool]:
    """The file to play for a take (the ``reviewer takes --json`` row) and whether it is the proxy: the
    proxy when wanted or when the original is offline and the proxy exists; else the original."""
    original = Path(str(take.get("path", "")))
    found = existing_proxy(str(take.get("content_hash") or ""), root)
    if found is not None and (prefer_proxy or take.get("missing") or not original.exists()):
        return found, True
    return original, False


def proxy_size(width: int, height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    """The proxy's size: the displayed picture scaled to at most ``PROXY_HEIGHT`` high, even sides."""
    shown_w, shown_h = display_size(width, height, sar, rotation)
    scale = min(1.0, PROXY_HEIGHT / shown_h)
    return max(2, round(shown_w * scale / 2) * 2), max(2, round(shown_h * scale / 2) * 2)


class ProxyWriter:
    """Frames in (as decoded, in presentation order), a proxy file out; nothing is left behind on failure.

    The file is written under a temporary name next to its place in the cache and moved there by
    ``finish``, so a reader never opens half a proxy and two writers of the same take do no harm.
    """

    def __init__(self, path: Path, source: av.VideoStream) -> None:
        self.path = path
        self.time_base = Fraction(source.time_base or Fraction(1, 90000))
        rate = source.average_rate or source.guessed_rate or Fraction(24)
        self.interval = max(1, round(1 / (Fraction(rate) * self.time_base)))  # one frame, in time base units
        self.sar = Fraction(source.sample_aspect_ratio or 1)
        self.frames = 0
        self._last_pts: int | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".mp4")
        os.close(fd)
        self._tmp = Path(tmp)
        try:
            self._out = av.open(tmp, "w", format="mp4")
        except BaseException:
            self._tmp.unlink(missing_ok=True)  # nothing left behind in the cache
            raise
        self._stream: av.VideoStream | None = None
        self._rate = Fraction(rate)
        self._scaler = VideoReformatter()  # one scaling context for the take, not one per frame
        self._plane_scalers = (VideoReformatter(), VideoReformatter(), VideoReformatter())
        self._verbatim = False
        self._waiting: list[av.VideoFrame] = []
        self._spare: list[av.VideoFrame] = []
        self._matrix, self._range = Colorspace.ITU709, ColorRange.MPEG
        self.failed = False

    def _open_stream(self, frame: av.VideoFrame) -> av.VideoStream:
        width, height = proxy_size(frame.width, frame.height, self.sar, int(frame.rotation or 0))
        stream = self._out.add_stream("libx264", rate=self._rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        stream.codec_context.framerate = self._rate  # rate control reads the frame rate, not the time base
        stream.codec_context.thread_count = 1  # the analysis pass runs one worker per core already
        # Tagged with the colours its pixels are in, so that it plays in the take's colours: untagged, a
        # proxy-sized picture would be read as BT.601 (see ``source_colorspace``), and a full-range one as
        # limited range.
        self._verbatim = verbatim(frame)
        if self._verbatim:
            self._matrix, self._range = source_colorspace(frame), source_range(frame)
        elif int(frame.rotation or 0) % 360:
            self._matrix, self._range = Colorspace.ITU709, ColorRange.MPEG  # through RGB, as displayed
        else:
            self._matrix, self._range = source_colorspace(frame), ColorRange.MPEG
        stream.codec_context.colorspace = int(self._matrix)
        stream.codec_context.color_range = int(self._range)
        stream.options = {
            "preset": "ultrafast", "qp": PROXY_QP, "g": str(PROXY_GOP), "bf": "0",
            "tune": "fastdecode", "x264-params": "scenecut=0",
        }  # fmt: skip
        return stream

    def add(self, frame: av.VideoFrame) -> av.VideoFrame | None:
        """Scale the next frame into the proxy (encoded a dozen at a time); the proxy's picture of it
        (the analysis reads its grey from that, a fraction of the scaling work of reading it from the
        full frame again; it is good until the next call). A proxy that cannot be written is given up
        quietly (``failed``): it is never worth failing the decode it rides on."""
        if self.failed:
            return None
        try:
            return self._add(frame)
        except (av.error.FFmpegError, OSError, ValueError, MemoryError):
            self.abort()
            return None

    def _add(self, frame: av.VideoFrame) -> av.VideoFrame:
        stream = self._stream or self._open_stream(frame)
        self._stream = stream
        rotation = int(frame.rotation or 0)
        if self._verbatim and verbatim(frame):  # (a take may change format midway)
            small = self._scale_planes(frame, stream.width, stream.height)
        elif rotation % 360:
            w, h = (
                (stream.height, stream.width) if abs(rotation) % 180 == 90 else (stream.width, stream.height)
            )
            rgb = orient(to_rgb(frame, w, h), rotation)
            small = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
                format="yuv420p", dst_colorspace=self._matrix, dst_color_range=self._range
            )
        else:
            small = self._scaler.reformat(
                frame,
                width=stream.width,
                height=stream.height,
                format="yuv420p",
                src_colorspace=source_colorspace(frame),
                dst_colorspace=self._matrix,
                src_color_range=source_range(frame),
                dst_color_range=self._range,
                interpolation=PROXY_SCALING,
                threads=1,
            )
        # The source's own timestamps, so that frame N is at the same time; a frame without one (or out
        # of order, in a damaged file) goes one frame after the one before.
        pts = frame.pts
        if pts is None or (self._last_pts is not None and pts <= self._last_pts):
            pts = (self._last_pts + self.interval) if self._last_pts is not None else 0
        small.pts, small.time_base = pts, self.time_base
        self._last_pts = pts
        self._waiting.append(small)
        if len(self._waiting) >= ENCODE_BATCH:
            self._encode_waiting()
        self.frames += 1
        return small

    def _encode_waiting(self) -> None:
        assert self._stream is not None
        for small in self._waiting:
            for packet in self._stream.encode(small):
                self._out.mux(packet)
        if self._verbatim:  # only its frames are taken again (``_scale_planes``)
            self._spare.extend(self._waiting[: ENCODE_BATCH - len(self._spare)])
        self._waiting.clear()

    def _scale_planes(self, frame: av.VideoFrame, width: int, height: int) -> av.VideoFrame:
        """An 8-bit 4:2:0 frame scaled plane by plane, each as a grey picture (its pixels as they are).
        swscale's 4:2:0 to 4:2:0 path costs a fifth more than its three planes scaled alone (it shifts
        the chroma by the sample position of the format, a fraction of a proxy chroma sample)."""
        # A frame the encoder is done with (x264 copies its input as it encodes), else a new one: new
        # buffers each frame cost page faults, as freed ones go back to the system.
        small = self._spare.pop() if self._spare else av.VideoFrame(width, height, "yuv420p")
        # The frame's own colour tags: the analysis reads its grey picture from this one, and must read
        # the same levels as from the frame itself.
        small.colorspace, small.color_range = frame.colorspace, frame.color_range
        small.color_primaries, small.color_trc = frame.color_primaries, frame.color_trc
        for scaler, source, target in zip(self._plane_scalers, frame.planes, small.planes, strict=True):
            grey = av.VideoFrame.from_numpy_buffer(plane_array(source), format="gray")
            scaled = scaler.reformat(
                grey, width=target.width, height=target.height, interpolation=PROXY_SCALING, threads=1
            )
            plane_array(target)[:] = plane_array(scaled.planes[0])
        return small

    def finish(self) -> Path | None:
        """Flush and move the file into place; None (and nothing written) when no frame came or the
        proxy could not be written."""
        if self.failed or self._stream is None:
            self.abort()
            return None
        try:
            self._encode_waiting()
            for packet in self._stream.encode(None):
                self._out.mux(packet)
            self._out.close()
            os.replace(self._tmp, self.path)
        except (av.error.FFmpegError, OSError, ValueError):
            self.abort()
            return None
        cache.no_proxy_mark(self.path).unlink(missing_ok=True)
        return self.path

    def abort(self, broke_off: bool = False) -> None:
        """Nothing written. ``broke_off``: the take itself broke off in a decode error, so it can never
        have a proxy; that is marked (``cache.no_proxy_mark``), so that later passes do not decode it
        again for one. A proxy that failed for any other reason (a full disk) is simply tried again."""
        self.failed = True
        with contextlib.suppress(Exception):
            self._out.close()
        self._tmp.unlink(missing_ok=True)
        if broke_off:
            with contextlib.suppress(OSError):
                cache.write_atomic(cache.no_proxy_mark(self.path), b"")
