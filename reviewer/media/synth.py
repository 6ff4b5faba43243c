"""Synthetic takes written with PyAV: the demo project, the test fixtures and the benchmarks use them.

A clip is a small rendered scene (sky, ground, sun and a vehicle crossing the frame) whose look is
set by a seed, encoded with a real encoder (H.264, HEVC, VP9, AV1, ProRes, MJPEG) into a real
container, optionally with sound, display rotation, non-square pixels, a non-zero start time, a
variable frame rate and the failures reviewers reject in generated video (a frozen stretch, black
frames, flicker, a hard cut inside the take), and the cases that look like failures and are not (a
night scene, pictures held for two or three frames, a time-lapse slowing down, a lit object passing, a
fade, a flash, a fast pan, snow falling on a still scene): the labelled set the signals are measured on.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
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
BARS = ((220, 40, 40), (40, 200, 60), (230, 180, 150))  # the "bars" look's colours, left to right
AUDIO_ENCODER = {".webm": "libopus", ".mkv": "libopus"}
# SVT-AV1 prints a banner on every encoder it opens unless told to log errors only.
os.environ.setdefault("SVT_LOG", "1")


@dataclass
class Defect:
    """A failure drawn into a clip over frames ``start`` .. ``end`` (end exclusive)."""

    kind: str  # "freeze", "black", "flicker", "cut", "similar_cut", "held", "fade", "flash" or "lit" (blinking lights passing)
    start: int
    end: int
    n: int = 2  # "held": each picture shown this many frames


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
    look: str = "day"  # "night": moonlit, dark, with trees, clouds, stars and the moon; "bars": ``BARS``
    # "drift": the camera drifts slowly (the picture never stands still); "slowing": a time-lapse coming
    # to a crawl (a tenth of its pace, never still); "pan": the camera sweeps fast; "none": nothing in
    # the scene moves (a locked-off shot of a quiet street, where only weather moves)
    motion: str = "steady"
    # sensor noise or film grain: a new pattern every frame, this many levels (standard deviation) strong;
    # held pictures get theirs anew too, as footage grained after its frames were repeated
    grain: float = 0.0
    snow: int = 0  # this many flakes falling over the picture (with motion "none": all that moves)


class Scene:
    """A small procedural shot: its palette, sun and vehicle are set by the seed, its layout (horizon,
    sun, texture) by ``layout`` (default: the seed too), so two scenes can share colours and differ in
    structure."""

    def __init__(
        self, width: int, height: int, seed: int, look: str = "day", layout: int | None = None
    ) -> None:
        rng = np.random.default_rng(seed)
        shape = rng if layout is None else np.random.default_rng(layout)  # None: as the scenes always were
        self.width, self.height = width, height
        self.sky_top = rng.integers(20, 120, 3)
        self.sky_low = rng.integers(120, 250, 3)
        self.ground = rng.integers(30, 110, 3)
        self.vehicle = rng.integers(60, 255, 3)
        self.sun = (shape.uniform(0.15, 0.85), shape.uniform(0.1, 0.35))
        self.speed = rng.uniform(0.004, 0.02)
        self.lane = shape.uniform(0.62, 0.8)
        self.look = look
        y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        yy, xx = np.mgrid[0:height, 0:width]
        if look == "night":
            self.base = self._night(rng, shape, y, yy, xx)
            return
        if look == "bars":  # a colour check: flat bars of saturated red, green and a skin tone
            self.base = np.empty((height, width, 3), np.uint8)
            for k, colour in enumerate(BARS):
                self.base[:, k * width // len(BARS) : (k + 1) * width // len(BARS)] = colour
            return
        sky = self.sky_top * (1 - y) + self.sky_low * y
        # Another layout of the same place: the horizon a little higher, the sun elsewhere (a second
        # camera angle; its colours are the same, so only its structure tells the cut).
        horizon = int(height * (0.58 if layout is None else 0.58 - shape.uniform(0.05, 0.09)))
        base = sky.repeat(width, axis=1)
        base[horizon:] = self.ground
        sun_r = max(3, height // 12)
        sun = (xx - self.sun[0] * width) ** 2 + (yy - self.sun[1] * height) ** 2 < sun_r**2
        base[sun] = (250, 230, 160)
        # Fine texture so encoders have detail to work on and frames are not trivially flat.
        base += shape.normal(0, 4, (height, width, 1)).astype(np.float32)
        self.base = np.clip(base, 0, 255).astype(np.uint8)

    def _night(self, rng: np.random.Generator, shape: np.random.Generator, y: np.ndarray, yy: np.ndarray,
               xx: np.ndarray) -> np.ndarray:  # fmt: skip
        """Moonlight: a dark blue sky with thin clouds, a few stars and the moon, tree silhouettes
        against it and a dim, textured ground; the mean is under black's level, the picture is not."""
        w, h = self.width, self.height
        sky = np.array([6, 9, 22], np.float32) * (1 - y) + np.array([18, 24, 44], np.float32) * y
        base = sky.repeat(w, axis=1)
        clouds = np.zeros((h, w), np.float32)
        for _ in range(5):
            cx, cy = shape.uniform(0, w), shape.uniform(0.05, 0.4) * h
            rx, ry = shape.uniform(0.1, 0.25) * w, shape.uniform(0.03, 0.07) * h
            clouds += 22 * np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2))
        base += clouds[:, :, None] * np.array([0.8, 0.9, 1.0], np.float32)
        for _ in range(40):
            sx, sy = int(shape.uniform(0, w)), int(shape.uniform(0, 0.45) * h)
            base[sy : sy + 2, sx : sx + 2] = 200
        moon = (xx - self.sun[0] * w) ** 2 + (yy - self.sun[1] * h) ** 2 < max(3, h // 16) ** 2
        base[moon] = (215, 215, 200)
        horizon = int(h * 0.62)
        base[horizon:] = (10, 12, 10)
        for _ in range(9):  # trees: dark cones over the horizon
            tx, th, tw = shape.uniform(0, w), shape.uniform(0.15, 0.35) * h, shape.uniform(0.03, 0.07) * w
            tree = (
                (yy > horizon - th) & (yy < horizon + 2) & (np.abs(xx - tx) < tw * (yy - (horizon - th)) / th)
            )
            base[tree] = (3, 5, 4)
        base += shape.normal(0, 2, (h, w, 1)).astype(np.float32)
        self.vehicle = np.array([60, 55, 50])  # a dark car, lit by the moon
        return np.clip(base, 0, 255).astype(np.uint8)

    def position(self, index: float) -> float:
        return (index * self.speed) % 1.3 - 0.2

    def render(self, index: float, pan: float = 0.0) -> np.ndarray:
        """The frame at ``index`` (fractional: slowed motion), the view moved right by ``pan`` of the
        width (a camera sweep)."""
        frame = np.roll(self.base, -int(pan * self.width) % self.width, axis=1) if pan else self.base.copy()
        w, h = self.width, self.height
        vw, vh = max(8, w // 6), max(6, h // 9)
        x = int(self.position(index) * w)
        y = int(self.lane * h)
        x0, x1 = max(0, x), min(w, x + vw)
        if x1 > x0:
            frame[y : y + vh, x0:x1] = self.vehicle
            wheel = max(2, vh // 3)
            frame[y + vh : y + vh + wheel, x0:x1] = (20, 20, 20)
        return frame


def _light(img: np.ndarray, k: float) -> None:
    """A large lit object (a lorry's lights, a lamp carried past) ``k`` (0..1) of the way across; the
    level of the whole frame moves with it, its layout only where it is."""
    h, w = img.shape[:2]
    lw, lh = w // 4, h // 4
    x = int((k * 1.5 - 0.25) * w)
    x0, x1 = max(0, x), min(w, x + lw)
    if x1 > x0:
        img[int(h * 0.4) : int(h * 0.4) + lh, x0:x1] = (250, 245, 225)


def _snow(img: np.ndarray, spec: ClipSpec, i: int) -> None:
    """Snow falling: ``spec.snow`` flakes of two or three pixels drifting down and sideways, each on its
    own path (so a still scene in the snow moves only where the flakes are)."""
    h, w = img.shape[:2]
    rng = np.random.default_rng(spec.seed + 17)
    xs, ys = rng.uniform(0, w, spec.snow), rng.uniform(0, h, spec.snow)
    fall, size = rng.uniform(0.01, 0.025, spec.snow) * h, rng.integers(2, 4, spec.snow)
    y = ((ys + i * fall) % h).astype(int)
    x = ((xs + 0.01 * w * np.sin(i * 0.2 + ys)) % w).astype(int)
    for fx, fy, k in zip(x, y, size, strict=True):
        img[fy : fy + k, fx : fx + k] = 235


def _time(spec: ClipSpec, i: int) -> float:
    """The scene's clock at frame ``i``: steady, or a time-lapse slowing to a crawl (a tenth of its pace
    over the last third, never stopping)."""
    if spec.motion != "slowing":
        return float(i)
    pace = np.maximum(0.1, 1.0 - np.arange(spec.frames) / max(1, spec.frames * 0.66))
    return float(np.concatenate(([0.0], np.cumsum(pace)))[i])


def render_frames(spec: ClipSpec) -> list[np.ndarray]:
    """The clip's frames as RGB arrays, with its defects drawn in."""
    scene = Scene(spec.width, spec.height, spec.seed, spec.look)
    other = Scene(spec.width, spec.height, spec.seed + 7919, spec.look)
    similar = Scene(spec.width, spec.height, spec.seed, spec.look, layout=spec.seed + 104729)
    frames: list[np.ndarray] = []
    for i in range(spec.frames):
        # A freeze stops the scene's clock: after it the take goes on from where it stopped (a freeze
        # that then jumps ahead is a jump cut as well, and is reported as one).
        stopped = sum(min(i, d.end) - d.start for d in spec.defects if d.kind == "freeze" and i > d.start)
        moving = i - stopped
        t = 0.0 if spec.motion == "none" else _time(spec, moving)
        pan = {"pan": 0.045 * moving, "drift": 0.003 * moving, "slowing": 0.01 * t}.get(spec.motion, 0.0)
        img = scene.render(t, pan)
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
                img = other.render(t, pan)
            elif d.kind == "similar_cut":
                img = similar.render(t, pan)
            elif d.kind == "held" and (i - d.start) % d.n:
                img = frames[i - 1].copy()
            elif d.kind == "fade":  # a dissolve to the other scene, which stays after it
                k = (i - d.start + 1) / (d.end - d.start + 1)
                img = np.clip((1 - k) * img + k * other.render(t, pan), 0, 255).astype(np.uint8)
            elif d.kind == "lit" and (i - d.start) % 2 == 0:  # blinking lights passing: local, not the frame
                _light(img, (i - d.start) / max(1, d.end - d.start - 1))
            elif d.kind == "flash":  # lightning: the picture blown out for a frame or two, then back
                img = np.clip(img.astype(np.float32) * 1.6 + 90, 0, 255).astype(np.uint8)
        if any(d.kind == "fade" and i >= d.end for d in spec.defects):
            img = other.render(t, pan)
        if spec.snow:
            _snow(img, spec, i)
        frames.append(img)
    if spec.grain > 0:  # after the frames are made, so a freeze or a held picture is grained anew each frame
        rng = np.random.default_rng(spec.seed + 1)
        frames = [
            np.clip(f.astype(np.float32) + rng.normal(0, spec.grain, f.shape[:2])[..., None], 0, 255).astype(
                np.uint8
            )
            for f in frames
        ]
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


@dataclass
class Labelled:
    """A case of the signals' labelled set: a clip and the findings it must give (name -> frame ranges;
    ``held`` -> its cadence as the single range's length), every other finding of "Looks broken" absent."""

    name: str
    spec: ClipSpec
    truth: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def labelled_set(
    width: int = 320,
    height: int = 180,
    frames: int = 72,
    codec: str = "h264",
    seeds: int = 0,
    grain: float = 0.0,
) -> list[Labelled]:
    """The cases that look like defects and are not, the defects themselves, and both together. Every
    clip is ``frames`` long at 24 fps; scenes differ by seed (``seeds`` moves them all: another set)."""
    n = frames

    def spec(seed: int, *defects: Defect, look: str = "day", motion: str = "drift") -> ClipSpec:
        return ClipSpec(codec=codec, width=width, height=height, frames=n, seed=seed + seeds,
                        defects=list(defects), look=look, motion=motion, grain=grain)  # fmt: skip

    cut = n * 5 // 12  # a frame the held cadences of 2 and 3 both start a picture on
    cut -= cut % 6
    return [
        # Clean: nothing of "Looks broken" may be found.
        Labelled("day", spec(1)),
        Labelled("night", spec(2, look="night")),
        Labelled("held 2x", spec(3, Defect("held", 0, n, 2)), {"held": [(0, 2)]}),
        Labelled("held 3x", spec(4, Defect("held", 0, n, 3)), {"held": [(0, 3)]}),
        Labelled("time-lapse slowing", spec(5, motion="slowing")),
        Labelled("lit object passing", spec(6, Defect("lit", n // 4, n * 3 // 4), look="night")),
        Labelled("dissolve", spec(7, Defect("fade", n // 3, n // 3 + 12))),
        Labelled("flash", spec(8, Defect("flash", n // 2, n // 2 + 2))),
        Labelled("fast pan", spec(9, motion="pan")),
        Labelled(
            "snow on a still street", replace(spec(19, motion="none"), snow=max(40, width * height // 600))
        ),
        # Defects: each found where it is, within a frame.
        Labelled("freeze", spec(10, Defect("freeze", 20, 40)), {"frozen": [(19, 39)]}),
        Labelled("black", spec(11, Defect("black", 0, 10)), {"black": [(0, 9)]}),
        Labelled("cut", spec(12, Defect("cut", cut, n)), {"cut": [(cut, cut)]}),
        Labelled("cut, similar colours", spec(13, Defect("similar_cut", cut, n)), {"cut": [(cut, cut)]}),
        Labelled("flicker", spec(14, Defect("flicker", 40, 52)), {"flicker": [(40, 51)]}),
        Labelled(
            "a still", spec(18, Defect("freeze", 1, n)), {"still": [(0, n - 1)], "frozen": [(0, n - 1)]}
        ),
        Labelled(
            "black in a night take",
            spec(15, Defect("black", n - 12, n), look="night"),
            {"black": [(n - 12, n - 1)]},
        ),
        # Both: a defect in footage that holds its pictures.
        Labelled(
            "cut in held 3x",
            spec(16, Defect("cut", cut, n), Defect("held", 0, n, 3)),
            {"cut": [(cut, cut)], "held": [(0, 3)]},
        ),
        Labelled(
            "freeze in held 2x",
            spec(17, Defect("held", 0, 30, 2), Defect("freeze", 30, 54)),
            {"frozen": [(29, 53)], "held": [(0, 2)]},
        ),
    ]
