"""Quality signals: one decode of a take finds what nobody needs to watch.

Every frame is scaled in FFmpeg (swscale, area averaging) to a 128x72 grey picture; from those the
pass measures per frame: mean and spread of luminance, the change from the frame before (over the
whole picture and in the block that changed most) and a grey-level histogram. From these series:

- black or blank frames (dark, or flat in any colour);
- frozen stretches (no block changes) and takes that are a still image;
- hard cuts inside a take (the whole picture changes at once, unlike its neighbours);
- flicker (luminance pumping up and down from frame to frame);
- motion amount and sharpness (variance of the Laplacian);
- a perceptual hash (64 bits, DCT) of eight frames spread over the take, for near-duplicates;
- with sound: silence and clipping.

The same pass draws the filmstrip and writes the take's proxy (``reviewer.media.proxy``), so a take is
decoded once for all three. Numbers are numpy, no OpenCV.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

from reviewer.errors import MediaError
from reviewer.media.filmstrip import pick_frames, tile
from reviewer.media.proxy import ProxyWriter

VERSION = 1  # bump when a signal's definition changes: older analyses are then run again
GREY = (128, 72)
# Bilinear in swscale's fast form: about 0.3 ms a frame less than area averaging at 1080p, which is
# most of what the pass adds to decoding; the statistics below work on blocks and frame-to-frame
# differences, where its sampling noise cancels out.
GREY_SCALING = "FAST_BILINEAR"
HASH_SAMPLES = 8

BLACK_LUMA = 24.0  # mean luminance at or below: black (limited-range black is 16)
BLANK_SPREAD = 3.0  # luminance standard deviation at or below: a flat picture
FROZEN_BLOCK = 1.0  # no 16x9 block changes by more than this (mean absolute difference, 0..255)
FROZEN_MIN = 6  # frames in a row, counting the first, before a stretch counts as frozen
STILL_SHARE = 0.9  # frozen over this share of the take: it is a still image
CUT_MIN = 14.0  # whole-picture change at a cut at least this ...
CUT_RATIO = 4.0  # ... and this many times the usual change around it
FLICKER_STEP = 3.0  # luminance steps at least this size, alternating up and down ...
FLICKER_MIN = 3  # ... this many times in a row
SILENCE_DB = -50.0
SILENCE_MIN_S = 0.5
CLIP_LEVEL = 0.999


@dataclass
class Signal:
    """One finding, with the frame ranges where it happens (first and last frame, inclusive)."""

    score: float  # share of the take affected (0..1), or a count for cuts
    ranges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Analysis:
    version: int
    frames: int
    signals: dict[str, Signal]
    motion: float  # mean whole-picture change per frame (0..255)
    sharpness: float  # mean variance of the Laplacian of the grey picture
    hashes: list[int]  # perceptual hashes of HASH_SAMPLES frames spread over the take

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hashes"] = [f"{h:016x}" for h in self.hashes]
        data["signals"] = {
            k: {"score": v.score, "ranges": [list(r) for r in v.ranges]} for k, v in self.signals.items()
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        return cls(
            version=int(data["version"]),
            frames=int(data["frames"]),
            signals={
                k: Signal(float(v["score"]), [(int(a), int(b)) for a, b in v["ranges"]])
                for k, v in data["signals"].items()
            },
            motion=float(data["motion"]),
            sharpness=float(data["sharpness"]),
            hashes=[int(h, 16) for h in data["hashes"]],
        )

    def broken(self) -> list[str]:
        """The reasons this take looks broken (frozen over 30%, a still, a cut, black over 10%), if any."""
        s = self.signals
        out = []
        if "still" in s:
            out.append("still")
        elif "frozen" in s and s["frozen"].score > 0.3:
            out.append("frozen")
        if "cut" in s:
            out.append("cut")
        if "black" in s and s["black"].score > 0.1:
            out.append("black")
        if "flicker" in s:
            out.append("flicker")
        return out


def runs(mask: np.ndarray, min_length: int = 1) -> list[tuple[int, int]]:
    """Inclusive index ranges where ``mask`` is true for at least ``min_length`` in a row."""
    if not len(mask):
        return []
    padded = np.concatenate(([False], mask.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= min_length]


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m.astype(np.float32)


_DCT32 = _dct_matrix(32)


def phash(grey: np.ndarray) -> int:
    """A 64-bit perceptual hash: the 8x8 lowest frequencies of a 32x32 DCT, each bit above or below
    their median. It survives re-encoding and rescaling; different pictures differ in about half the bits."""
    h, w = grey.shape
    ys = np.linspace(0, h, 33).astype(int)
    xs = np.linspace(0, w, 33).astype(int)
    cells = np.add.reduceat(np.add.reduceat(grey.astype(np.float32), ys[:-1], axis=0), xs[:-1], axis=1)
    cells /= np.outer(np.diff(ys), np.diff(xs))
    low = (_DCT32 @ cells @ _DCT32.T)[:8, :8].flatten()
    bits = low > np.median(low[1:])
    bits[0] = False  # the average brightness says nothing about the picture
    return int(np.packbits(bits).view(">u8")[0])


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def distance(a: list[int], b: list[int]) -> float:
    """Mean Hamming distance between two takes' hashes, frame by frame (0: the same pictures; ~32: unrelated)."""
    n = min(len(a), len(b))
    if not n:
        return 64.0
    return sum(hamming(x, y) for x, y in zip(a[:n], b[:n], strict=True)) / n


def _laplacian_var(grey: np.ndarray) -> float:
    g = grey.astype(np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def signals_from(grey: np.ndarray) -> tuple[dict[str, Signal], float, float]:
    """The picture signals from the stack of grey frames (frames x 72 x 128)."""
    n = len(grey)
    f = grey.astype(np.float32)
    mean = f.mean(axis=(1, 2))
    spread = f.std(axis=(1, 2))
    out: dict[str, Signal] = {}
    blank = (mean <= BLACK_LUMA) | (spread <= BLANK_SPREAD)
    if blank.any():
        out["black"] = Signal(float(blank.mean()), runs(blank))
    if n < 2:
        return out, 0.0, _laplacian_var(grey[0]) if n else 0.0
    diff = np.abs(f[1:] - f[:-1])  # transition i: frame i -> i + 1
    whole = diff.mean(axis=(1, 2))
    blocks = diff.reshape(n - 1, 8, 9, 8, 16).mean(axis=(2, 4)).max(axis=(1, 2))
    same = (blocks < FROZEN_BLOCK) & ~(blank[1:] & blank[:-1])  # black stretches are black, not frozen
    frozen_frames = np.zeros(n, bool)
    for a, b in runs(same, FROZEN_MIN - 1):
        frozen_frames[a : b + 2] = True  # the frame before the first unchanged transition belongs to it
    if frozen_frames.any():
        share = float(frozen_frames.mean())
        out["frozen"] = Signal(share, runs(frozen_frames))
        if share >= STILL_SHARE:
            out["still"] = Signal(share, [(0, n - 1)])
    # Flicker: the luminance steps up and down, alternately, in a row.
    step = np.diff(mean)
    big = np.abs(step) >= FLICKER_STEP
    alternate = np.zeros(len(step), bool)
    alternate[1:] = big[1:] & big[:-1] & (np.sign(step[1:]) != np.sign(step[:-1]))
    flicker_frames = np.zeros(n, bool)
    for a, b in runs(alternate, FLICKER_MIN - 1):
        flicker_frames[a : b + 2] = True  # transitions a-1 .. b: frames a-1 .. b+1
    if flicker_frames.any():
        out["flicker"] = Signal(float(flicker_frames.mean()), runs(flicker_frames))
    # Cuts: the whole picture changes at once, much more than around it, and not into or out of black
    # or inside flicker.
    cuts = []
    for found in np.flatnonzero(whole >= CUT_MIN):
        i = int(found)
        lo, hi = max(0, i - 8), min(len(whole), i + 9)
        around = np.delete(whole[lo:hi], i - lo)
        usual = float(np.median(around)) if len(around) else 0.0
        if whole[i] < CUT_RATIO * max(usual, 1.0):
            continue
        if blank[i] or blank[i + 1] or flicker_frames[i] or flicker_frames[i + 1]:
            continue
        cuts.append((i + 1, i + 1))  # the first frame of the new picture
    if cuts:
        out["cut"] = Signal(float(len(cuts)), cuts)
    moving = whole[~np.isin(np.arange(len(whole)), [c[0] - 1 for c in cuts])]
    motion = float(moving.mean()) if len(moving) else 0.0
    picks = np.linspace(0, n - 1, min(n, 16)).astype(int)
    sharpness = float(np.mean([_laplacian_var(grey[i]) for i in picks]))
    return out, motion, sharpness


def audio_signals(path: Path, fps: float, frames: int) -> dict[str, Signal]:
    """Silence and clipping in the first audio stream, as video frame ranges (empty without sound)."""
    out: dict[str, Signal] = {}
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            if not container.streams.audio:
                return out
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=8000)
            chunks = []
            for frame in container.decode(stream):
                for resampled in resampler.resample(frame):
                    chunks.append(resampled.to_ndarray().reshape(-1))
            for resampled in resampler.resample(None):
                chunks.append(resampled.to_ndarray().reshape(-1))
    except av.error.FFmpegError:
        return out
    if not chunks:
        return out
    samples = np.concatenate(chunks)
    window = 400  # 50 ms at 8 kHz
    count = len(samples) // window
    if count == 0:
        return out
    blocks = samples[: count * window].reshape(count, window)
    rms = np.sqrt((blocks.astype(np.float64) ** 2).mean(axis=1))
    quiet = rms < 10 ** (SILENCE_DB / 20)
    to_frame = window / 8000 * fps

    def frame_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        last = max(0, frames - 1)
        return [(min(last, int(a * to_frame)), min(last, int((b + 1) * to_frame) - 1)) for a, b in ranges]

    silent = runs(quiet, max(1, round(SILENCE_MIN_S * 8000 / window)))
    if silent:
        out["silence"] = Signal(float(sum(b - a + 1 for a, b in silent) / count), frame_ranges(silent))
    clipped = (np.abs(blocks) >= CLIP_LEVEL).sum(axis=1) >= 3
    if clipped.any():
        out["clipping"] = Signal(float(clipped.mean()), frame_ranges(runs(clipped)))
    return out


def analyze(
    path: Path, frame_count: int = 0, strip_frames: int = 0, strip_height: int = 72, proxy: Path | None = None
) -> tuple[Analysis, np.ndarray | None]:
    """One decode: the take's analysis and, when ``strip_frames``, its filmstrip (``count`` tiles side by
    side), and with ``proxy`` its proxy written there (only when every frame decoded: frame N must stay
    frame N)."""
    writer: ProxyWriter | None = None
    wanted = set(pick_frames(frame_count, strip_frames)) if strip_frames and frame_count else set()
    greys: list[np.ndarray] = []
    tiles: list[np.ndarray] = []
    fps = 24.0
    has_audio = False
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            if not container.streams.video:
                raise MediaError("no video stream")
            has_audio = bool(container.streams.audio)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 24.0
            sar = stream.sample_aspect_ratio or Fraction(1)
            # One reformatter for the take: its scaling context is made once, not per frame. One
            # thread: for a picture this small, handing work to more costs more than it saves.
            reformatter = VideoReformatter()
            if proxy is not None:
                writer = ProxyWriter(proxy, stream)
            for index, frame in enumerate(container.decode(stream)):
                # With a proxy, the grey picture comes from the proxy's (a third the size): the same
                # statistics, at a fraction of the scaling cost.
                source = (writer.add(frame) if writer is not None else None) or frame
                small = reformatter.reformat(
                    source,
                    width=GREY[0],
                    height=GREY[1],
                    format="gray",
                    interpolation=GREY_SCALING,
                    threads=1,
                )
                greys.append(small.to_ndarray()[:, : GREY[0]])
                if index in wanted:
                    tiles.append(tile(frame, sar, strip_height))
    except av.error.FFmpegError as exc:
        if writer is not None:
            writer.abort()  # a proxy of part of the take would number its frames wrong
            writer = None
        if not greys:
            raise MediaError(f"cannot decode the take for analysis ({exc.strerror or exc})") from None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.finish()  # None when it could not be written: a proxy is never needed for correctness
    if not greys:
        raise MediaError("no frames could be decoded")
    grey = np.stack(greys)
    signals, motion, sharpness = signals_from(grey)
    if has_audio:
        signals.update(audio_signals(path, fps, len(grey)))
    picks = np.linspace(0, len(grey) - 1, min(len(grey), HASH_SAMPLES)).round().astype(int)
    hashes = [phash(grey[i]) for i in picks]
    strip = None
    if tiles:
        height = min(t.shape[0] for t in tiles)
        strip = np.concatenate([t[:height] for t in tiles], axis=1)
    return Analysis(VERSION, len(grey), signals, motion, sharpness, hashes), strip
