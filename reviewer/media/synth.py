"""Synthetic takes written with PyAV: the demo project, the test fixtures and the benchmarks use them.

A clip is a small rendered scene (sky, ground, sun and a vehicle crossing the frame) whose look is
set by a seed, encoded with a real encoder (H.264, HEVC, VP9, AV1, ProRes, MJPEG) into a real
container, optionally with sound, display rotation, non-square pixels, a non-zero start time, a
variable frame rate and the failures reviewers reject in generated video (a frozen stretch, black
frames, flicker, a hard cut inside the take).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace

from reviewer.media.images import HD_HEIGHT

# codec -> (encoder, pixel format, encoder options)
ENCODERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "h264": ("libx264", "yuv420p", {"preset": "ultrafast", "tune": "fastdecode"}),
    "hevc": ("libx265", "yuv420p", {"preset": "ultrafast", "x265-params": "log-level=error"}),
    "vp9": ("libvpx-vp9", "yuv420p", {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"}),
    "av1": ("libsvtav1", "yuv420p", {"preset": "12"}),
    "prores": ("prores_ks", "yuv422p10le", {"profile": "0"}),
    "mjpeg": ("mjpeg", "yuvj420p", {}),
}
AUDIO_ENCODER = {".webm": "libopus", ".mkv": "libopus"}
# SVT-AV1 prints a banner on every encoder it opens unless told to log errors only.
os.environ.setdefault("SVT_LOG", "1")


@dataclass
class Defect:
    """A failure drawn into a clip over frames ``start`` .. ``end`` (end exclusive)."""

    kind: str  # "freeze", "black", "flicker" or "cut"
    start: int
    end: int


@dataclass
class ClipSpec:
    codec: str = "h264"
    width: int = 640
    height: int = 360
    fps: Fraction = Fraction(24)
    frames: int = 48
    pix_fmt: str | None = None
    seed: int = 0
    audio: bool = False
    rotation: int = 0
    sar: Fraction | None = None
    start_pts: int = 0
    vfr: bool = False
    gop: int | None = None
    bit_rate: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    defects: list[Defect] = field(default_factory=list)


class Scene:
    """A small procedural shot: its palette, sun and vehicle are set by the seed."""

    def __init__(self, width: int, height: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.width, self.height = width, height
        self.sky_top = rng.integers(20, 120, 3)
        self.sky_low = rng.integers(120, 250, 3)
        self.ground = rng.integers(30, 110, 3)
        self.vehicle = rng.integers(60, 255, 3)
        self.sun = (rng.uniform(0.15, 0.85), rng.uniform(0.1, 0.35))
        self.speed = rng.uniform(0.004, 0.02)
        self.lane = rng.uniform(0.62, 0.8)
        y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        sky = self.sky_top * (1 - y) + self.sky_low * y
        horizon = int(height * 0.58)
        base = sky.repeat(width, axis=1)
        base[horizon:] = self.ground
        yy, xx = np.mgrid[0:height, 0:width]
        sun_r = max(3, height // 12)
        sun = (xx - self.sun[0] * width) ** 2 + (yy - self.sun[1] * height) ** 2 < sun_r**2
        base[sun] = (250, 230, 160)
        # Fine texture so encoders have detail to work on and frames are not trivially flat.
        base += rng.normal(0, 4, (height, width, 1)).astype(np.float32)
        self.base = np.clip(base, 0, 255).astype(np.uint8)

    def render(self, index: int) -> np.ndarray:
        frame = self.base.copy()
        w, h = self.width, self.height
        vw, vh = max(8, w // 6), max(6, h // 9)
        x = int(((index * self.speed) % 1.3 - 0.2) * w)
        y = int(self.lane * h)
        x0, x1 = max(0, x), min(w, x + vw)
        if x1 > x0:
            frame[y : y + vh, x0:x1] = self.vehicle
            wheel = max(2, vh // 3)
            frame[y + vh : y + vh + wheel, x0:x1] = (20, 20, 20)
        return frame


def render_frames(spec: ClipSpec) -> list[np.ndarray]:
    """The clip's frames as RGB arrays, with its defects drawn in."""
    scene = Scene(spec.width, spec.height, spec.seed)
    other = Scene(spec.width, spec.height, spec.seed + 7919)
    frames: list[np.ndarray] = []
    for i in range(spec.frames):
        img = scene.render(i)
        for d in spec.defects:
            if not d.start <= i < d.end:
                continue
            if d.kind == "freeze":
                img = frames[d.start - 1].copy() if d.start > 0 else scene.render(0)
            elif d.kind == "black":
                img = np.zeros_like(img)
            elif d.kind == "flicker":
                gain = 0.45 if (i - d.start) % 2 else 1.35
                img = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
            elif d.kind == "cut":
                img = other.render(i)
        frames.append(img)
    return frames


def _vfr_pts(frames: int, fps: Fraction, time_base: Fraction) -> list[int]:
    """Timestamps that wander between 0.5x and 1.5x the nominal frame duration."""
    step = 1 / (fps * time_base)
    out, t = [], 0.0
    for i in range(frames):
        out.append(round(t))
        t += float(step) * (1.0 + 0.5 * math.sin(i * 0.9))
    return out


def write_clip(path: Path, spec: ClipSpec) -> Path:
    """Encode ``spec`` into ``path`` (the container comes from the suffix) and return the path."""
    encoder, default_fmt, options = ENCODERS[spec.codec]
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    container_options = {"movflags": "use_metadata_tags"} if suffix in (".mp4", ".mov", ".m4v") else {}
    with av.open(str(path), "w", options=container_options) as out:
        opts = dict(options)
        if spec.gop:
            opts["g"] = str(spec.gop)
        stream = out.add_stream(encoder, rate=spec.fps, options=opts)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = spec.pix_fmt or default_fmt
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        time_base = Fraction(1, 1000) if spec.vfr else 1 / spec.fps
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if spec.sar:
            stream.codec_context.sample_aspect_ratio = spec.sar
        if spec.rotation:
            stream.set_display_rotation(spec.rotation)
        for key, value in spec.tags.items():
            out.metadata[key] = value
        audio: av.AudioStream | None = None
        if spec.audio:
            added = out.add_stream(AUDIO_ENCODER.get(suffix, "aac"), rate=48000)
            assert isinstance(added, av.AudioStream)
            added.layout = "stereo"
            audio = added
        # Encode with the matrix players assume for the size (BT.709 for HD, BT.601 for SD) and say so
        # in the stream, as a careful encoder does; FFmpeg's default would be BT.601 at any size, untagged.
        matrix = Colorspace.ITU709 if spec.height >= HD_HEIGHT else Colorspace.ITU601
        full_range = stream.pix_fmt.startswith("yuvj")
        stream.codec_context.colorspace = matrix
        stream.codec_context.color_range = ColorRange.JPEG if full_range else ColorRange.MPEG
        pts = _vfr_pts(spec.frames, spec.fps, time_base) if spec.vfr else list(range(spec.frames))
        for i, rgb in enumerate(render_frames(spec)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format=stream.pix_fmt,
                src_colorspace=matrix,
                dst_colorspace=matrix,
                dst_color_range=ColorRange.JPEG if full_range else ColorRange.MPEG,
            )
            frame.colorspace = matrix
            frame.color_range = ColorRange.JPEG if full_range else ColorRange.MPEG
            frame.pts = pts[i] + spec.start_pts
            frame.time_base = time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if audio is not None:
            _write_tone(out, audio, float(spec.frames / spec.fps), spec.seed)
    return path


def _write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float, seed: int) -> None:
    rate = 48000
    frame_size = stream.codec_context.frame_size or 1024
    total = int(seconds * rate)
    freq = 220.0 * (1 + (seed % 5) / 4)
    for start in range(0, total, frame_size):
        n = min(frame_size, total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        tone = (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        samples = np.ascontiguousarray(np.stack([tone, tone]))
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
