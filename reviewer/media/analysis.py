"""Quality signals: one decode of a take finds what nobody needs to watch.

Every frame is scaled in FFmpeg (swscale, area averaging) to a 128x72 grey picture; from those the
pass measures per frame: mean and spread of luminance, the change from the frame before (over the
whole picture and in the block that changed most) and a grey-level histogram. From these series:

- black or blank frames (dark, or flat in any colour);
- frozen stretches (no block changes beyond the take's own grain or noise) and takes that are a still image;
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
from reviewer.media import cpuflags
from reviewer.media.filmstrip import pick_frames, tile
from reviewer.media.proxy import ProxyWriter

VERSION = 3  # bump when a signal's definition changes: older analyses are then run again
GREY = (128, 72)
# Bilinear in swscale's fast form: about 0.3 ms a frame less than area averaging at 1080p, which is
# most of what the pass adds to decoding; the statistics below work on blocks and frame-to-frame
# differences, where its sampling noise cancels out.
GREY_SCALING = "FAST_BILINEAR"
HASH_SAMPLES = 8

BLACK_LUMA = 24.0  # mean luminance at or below: dark (limited-range black is 16) ...
BLACK_SPREAD = 5.0  # ... and black only with this little spread of levels ...
BLACK_DETAIL = 1.2  # ... and this little detail (mean absolute difference of neighbouring pixels)
BLACK_PEAK = 48.0  # ... and nothing lit: the brightest 0.5% of the picture at or below this
BLANK_SPREAD = 3.0  # luminance standard deviation at or below (and no detail): a flat picture
SAME_FLOOR = 0.8  # a block changing less than this (0..255) has not changed: encoder noise ...
SAME_SHARE = 0.12  # ... or less than this share of the take's usual change (grainy, busy takes)
FROZEN_BLOCK = 1.5  # never "the same picture" above this, however busy the take
FROZEN_MIN = 6  # frames of one picture, counting the first, before a stretch counts as frozen
HELD_MAX = 4  # a picture shown 2..HELD_MAX frames in a row, regularly: a held cadence, not frozen
HELD_SHARE = 0.25  # repeated frames over this share of the take: report the cadence
HELD_SHARP = 0.15  # a repeat changes less than this share of the take's big steps (its 90th percentile)
STILL_SHARE = 0.9  # frozen over this share of the take: it is a still image; so is a take ...
STILL_DRIFT = 2.5  # ... no block of which ever moves this far from the first frame
CUT_MIN = 14.0  # whole-picture change (mean absolute, 0..255) at a cut at least this, or ...
CUT_STRUCTURE = 0.04  # ... the levels of its blocks moved (earth mover's distance, 0..1) this far, or ...
CUT_EDGES = 0.6  # ... its edges moved (0..2) at least this much (a cut between similar colours)
CUT_RATIO = 4.0  # ... and this many times the usual change between pictures around it
CUT_STAYS = 0.5  # after a cut the old picture does not come back: a flash returns to under this share
FLICKER_STEP = 3.0  # whole-frame luminance steps at least this size, alternating up and down ...
FLICKER_MIN = 3  # ... this many times in a row
FLICKER_AGREE = 0.7  # a step of the whole frame: this share of its blocks moves the same way
# Grain and sensor noise: new every frame, so it fills every block's difference, frozen pictures' too.
# It is measured in the take itself (``_noise``) and taken out of the block changes; never more than this
# is taken for noise (a fast pan over grass is motion, however alike its blocks' changes are).
NOISE_CAP = 3.0
NOISE_SCALE = 2.5  # a frame-to-frame difference over the quieter departures from the neighbours' mean
NOISE_ROOM = 1.5  # a block's noise varies from frame to frame: up to this much of it is still noise
NOISE_FAR = 6  # frames apart where an encoder's grain no longer follows the frame before
NOISE_FAR_RATIO = 2.0  # grain between frames far apart: at most this many times between neighbours
NOISE_SPREAD = 2.0  # no block's grain over this many times the median block's
# "Looks broken" uses only findings this many times their threshold (``Signal.strength``); the rest
# are worth a look. A project chooses how sure (``signal_sensitivity``).
SENSITIVITY = {"high": 1.0, "normal": 1.5, "low": 2.5}
BROKEN_SHARE = {"black": 0.1 / 1.5, "frozen": 0.3 / 1.5}  # strength 1: this share of the take
INFORMATION = ("dark", "held", "silence", "clipping")  # facts about a take, never "broken"
SILENCE_DB = -50.0
SILENCE_MIN_S = 0.5
CLIP_LEVEL = 0.999


@dataclass
class Signal:
    """One finding, with the frame ranges where it happens (first and last frame, inclusive), and its
    evidence: ``strength`` is the measurement over its threshold (at 1 it just counts; "Looks broken"
    wants ``SENSITIVITY``), ``evidence`` says in a line what was measured against what."""

    score: float  # share of the take affected (0..1), or a count for cuts
    ranges: list[tuple[int, int]] = field(default_factory=list)
    strength: float = 1.0
    evidence: str = ""
    cadence: int = 0  # "held": each picture shown this many frames

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": self.score, "ranges": [list(r) for r in self.ranges]}
        out["strength"], out["evidence"] = round(self.strength, 3), self.evidence
        if self.cadence:
            out["cadence"] = self.cadence
        return out

    @classmethod
    def from_dict(cls, v: dict[str, Any]) -> Signal:
        return cls(
            float(v["score"]),
            [(int(a), int(b)) for a, b in v["ranges"]],
            float(v.get("strength", 1.0)),
            str(v.get("evidence", "")),
            int(v.get("cadence", 0)),
        )


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
        data["signals"] = {k: v.as_dict() for k, v in self.signals.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        return cls(
            version=int(data["version"]),
            frames=int(data["frames"]),
            signals={k: Signal.from_dict(v) for k, v in data["signals"].items()},
            motion=float(data["motion"]),
            sharpness=float(data["sharpness"]),
            hashes=[int(h, 16) for h in data["hashes"]],
        )

    def broken(self, sensitivity: str = "normal") -> list[str]:
        """The reasons this take looks broken: findings at least ``SENSITIVITY[sensitivity]`` times their
        threshold (a still; frozen over 30% of the take, black over 10%, at "normal"), if any."""
        return [k for k, v in self._ordered() if v.strength >= SENSITIVITY.get(sensitivity, 1.5)]

    def _ordered(self) -> list[tuple[str, Signal]]:
        s = self.signals
        found: list[tuple[str, Signal]] = [
            (k, s[k]) for k in ("still", "frozen", "cut", "black", "flicker") if k in s
        ]
        if "still" in s:
            found = [(k, v) for k, v in found if k != "frozen"]  # a still is frozen throughout: one reason
        return found


FINDING_NAMES = {
    "still": "a still image", "frozen": "frozen", "cut": "a cut inside the take", "black": "black or blank",
    "flicker": "flicker", "held": "held pictures", "dark": "dark", "silence": "silence", "clipping": "clipped sound",
}  # fmt: skip


def describe(signals: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """The findings of a take (the ``signals`` of ``reviewer takes --json``) for a reader: (group, name,
    evidence), group "broken" (the reasons it looks broken), "look" (worth a look: found, under the
    project's bar) or "info" (facts: held pictures, dark, sound); the strongest first in each group."""
    if not signals:
        return []
    found: dict[str, Any] = signals.get("found") or {}
    broken = set(signals.get("broken") or [])
    out = []
    for name, data in found.items():
        if name == "frozen" and "still" in found:
            continue
        group = "broken" if name in broken else "info" if name in INFORMATION else "look"
        evidence = str(data.get("evidence") or "")
        if not evidence and data.get("ranges"):
            evidence = "frames " + ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in data["ranges"][:4])
        out.append((group, name, evidence, float(data.get("strength", 1.0))))
    order = {"broken": 0, "look": 1, "info": 2}
    out.sort(key=lambda item: (order[item[0]], -item[3]))
    return [(g, n, e) for g, n, e, _s in out]


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


def _block_max(a: np.ndarray, b: np.ndarray, noise: np.ndarray | float = 0.0) -> float:
    """The change between two grey frames in the 16x9 block that changed most (mean absolute, 0..255),
    the take's ``noise`` taken out."""
    return float(_less_noise(np.abs(a - b).reshape(8, 9, 8, 16).mean(axis=(1, 3)), noise).max())


def _histograms(grey: np.ndarray) -> np.ndarray:
    """Per frame, a 16-level histogram of each of 4x4 blocks, each summing to 1 (frames x 16 x 16)."""
    n = len(grey)
    block = (np.arange(72)[:, None] // 18) * 4 + np.arange(128)[None, :] // 32  # 4x4 blocks of 18x32
    index = block[None] * 16 + (grey >> 4)
    counts = np.stack([np.bincount(index[i].ravel(), minlength=256) for i in range(n)]).astype(np.float32)
    return counts.reshape(n, 16, 16) / (18 * 32)


def _edges(grey: np.ndarray) -> np.ndarray:
    """Per frame, where its edges are: the gradient magnitude of the picture at 32x18, each frame's
    scaled to a mean of 1 (frames x 17 x 31)."""
    small = grey.astype(np.float32).reshape(len(grey), 18, 4, 32, 4).mean(axis=(2, 4))
    magnitude = np.abs(np.diff(small, axis=2))[:, 1:, :] + np.abs(np.diff(small, axis=1))[:, :, 1:]
    return magnitude / (magnitude.mean(axis=(1, 2), keepdims=True) + 0.5)


def _structure(ha: np.ndarray, hb: np.ndarray) -> float:
    """How far the levels of two frames' blocks moved: the earth mover's distance between their block
    histograms (along the levels, so a gradient crossing a bin's edge counts as the small shift it is),
    0 (the same) to 1 (every block from black to white)."""
    return float(np.abs(np.cumsum(ha, axis=-1) - np.cumsum(hb, axis=-1)).sum(axis=-1).mean() / 16)


def _pictures(
    f: np.ndarray, blocks: np.ndarray, same: float, limit: float, noise: np.ndarray | float = 0.0
) -> list[tuple[int, int]]:
    """The take as runs of one picture, (first frame, length): a frame is the picture before while it
    changes less than ``limit`` from the frame before (``blocks``) and stays within ``same`` of the
    run's first frame, in every block (``noise`` taken out). Anchored to the first frame, a slow drift
    (a time-lapse's slow end) starts new pictures; noise around a held picture does not."""
    out = []
    start = 0
    for j in range(1, len(f)):
        if blocks[j - 1] >= limit or _block_max(f[j], f[start], noise) >= same:
            out.append((start, j - start))
            start = j
    out.append((start, len(f) - start))
    return out


def _comes_back(f: np.ndarray, hist: np.ndarray, c: int, near: float, near_layout: float) -> bool:
    """Whether the picture before frame ``c`` is seen again within three frames after it, or the
    picture at ``c`` was there up to four frames before: the change at ``c`` is a flash going on or off."""

    def alike(i: int, j: int) -> bool:
        return float(np.abs(f[i] - f[j]).mean()) < near and _structure(hist[i], hist[j]) < near_layout

    after = any(alike(j, c - 1) for j in range(c + 1, min(len(f), c + 4)))
    return after or any(alike(j, c) for j in range(max(0, c - 4), c - 1))


def _usual(values: np.ndarray, reach: int = 8) -> np.ndarray:
    """For each value, the median of the up to ``reach`` values on either side of it (itself left out)."""
    m = len(values)
    if m < 2:
        return np.zeros(m)
    offsets = np.concatenate((np.arange(-reach, 0), np.arange(1, reach + 1)))
    index = np.arange(m)[:, None] + offsets[None, :]
    around = np.where((index >= 0) & (index < m), values[np.clip(index, 0, m - 1)], np.nan)
    return np.nanmedian(around, axis=1)


def _noise(f: np.ndarray, lag: int = 1) -> np.ndarray:
    """The take's temporal noise (grain, sensor noise, a generator's shimmer) in each of its 8x8 blocks,
    as the mean absolute difference it puts between two frames ``lag`` apart of one unchanged picture:
    measured where a frame departs from the mean of the frames ``lag`` before and after it, over the
    quieter quarter of the take. Steady motion, however slow, is the mean of its neighbours and adds
    nothing; noise, new every frame, is not. An encoder keeps more grain in some parts of the picture
    than others, so each block has its own; and it carries part of it from frame to frame, so frames
    far apart differ more than neighbours (``lag``)."""
    n = len(f)
    if n < 2 * lag + 1:
        return np.zeros((8, 8), np.float32)
    at = np.arange(lag, n - lag, 2)  # every other frame tells the noise as well, at half the cost
    middle = np.empty((len(at), 8, 8), np.float32)
    for start in range(0, len(at), 128):  # in slices: a long take's stack is not copied whole
        j = at[start : start + 128]
        d = np.abs(f[j] - 0.5 * (f[j - lag] + f[j + lag]))
        # The quieter three quarters of each block's pixels, not all of them: grain moves every pixel
        # a little, snow, rain or sparks a few pixels a lot, and those are motion, to be left in.
        blocks = d.reshape(len(j), 8, 9, 8, 16).transpose(0, 1, 3, 2, 4).reshape(len(j), 8, 8, 144)
        middle[start : start + len(j)] = np.partition(blocks, 108, axis=-1)[..., :108].mean(axis=-1)
    # For independent noise of deviation s the quieter three quarters of the middle's departures average
    # 0.65 s, and a frame-to-frame difference averages 1.6 s; an encoder's grain measures over that ratio.
    return np.minimum(NOISE_CAP, np.percentile(middle, 25, axis=0) * NOISE_SCALE).astype(np.float32)


def _grain(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The take's grain in each block between neighbouring frames and between frames far apart. Grain
    covers the whole picture: a block is given at most ``NOISE_SPREAD`` times the blocks' median, so a
    part of the picture that moves all the time (a face, a flag) is not taken for grain where the rest
    of the picture stands still; and far apart at most ``NOISE_FAR_RATIO`` times its noise between
    neighbours (motion would add to what is measured over more frames)."""
    near = _noise(f)
    near = np.minimum(near, NOISE_SPREAD * float(np.median(near)))
    far = np.clip(_noise(f, NOISE_FAR), near, NOISE_FAR_RATIO * near)
    return near, far


def _less_noise(change: np.ndarray, noise: np.ndarray | float) -> np.ndarray:
    """Block changes with the take's noise in each block taken out (in quadrature: noise and a change
    add so), with room for the noise's own ups and downs."""
    room = NOISE_ROOM * np.asarray(noise)
    return np.sqrt(np.maximum(0.0, np.square(change) - room * room))


def signals_from(grey: np.ndarray, grain: bool = True) -> tuple[dict[str, Signal], float, float]:
    """The picture signals from the stack of grey frames (frames x 72 x 128), each with its evidence.
    ``grain=False`` leaves the take's noise in (version 2's findings: the benchmark's baseline)."""
    n = len(grey)
    f = grey.astype(np.float32)
    mean = f.mean(axis=(1, 2))
    spread = f.std(axis=(1, 2))
    # Detail and the brightest levels only where a frame could be black or flat: they cost more.
    detail = np.full(n, np.inf, np.float32)
    peak = np.full(n, np.inf, np.float32)
    maybe = np.flatnonzero((mean <= BLACK_LUMA) | (spread <= BLANK_SPREAD))
    if len(maybe):
        g = f[maybe]
        detail[maybe] = (
            np.abs(np.diff(g, axis=2)).mean(axis=(1, 2)) + np.abs(np.diff(g, axis=1)).mean(axis=(1, 2))
        ) / 2
        flat = g.reshape(len(maybe), -1)
        top = flat.shape[1] - 1 - flat.shape[1] // 200
        peak[maybe] = np.partition(flat, top, axis=1)[:, top]
    out: dict[str, Signal] = {}
    # Black: dark, and also flat, without detail and with nothing lit. A moonlit night is dark, not black.
    black = (mean <= BLACK_LUMA) & (spread <= BLACK_SPREAD) & (detail <= BLACK_DETAIL) & (peak <= BLACK_PEAK)
    blank = black | ((spread <= BLANK_SPREAD) & (detail <= BLACK_DETAIL))
    if blank.any():
        share = float(blank.mean())
        worst = int(np.flatnonzero(blank)[0])
        out["black"] = Signal(
            share, runs(blank), share / BROKEN_SHARE["black"],
            f"{int(blank.sum())} of {n} frames black or flat (frame {worst}: level {mean[worst]:.0f}, spread "
            f"{spread[worst]:.1f}, detail {detail[worst]:.2f}; black is at most {BLACK_LUMA:.0f}, "
            f"{BLACK_SPREAD:.0f} and {BLACK_DETAIL})",
        )  # fmt: skip
    dark = (mean <= BLACK_LUMA) & ~blank
    if dark.any():
        i = int(np.flatnonzero(dark)[0])
        out["dark"] = Signal(
            float(dark.mean()), runs(dark), 1.0,
            f"dark, with a picture (frame {i}: level {mean[i]:.0f}, spread {spread[i]:.1f}, detail "
            f"{detail[i]:.2f}, brightest {peak[i]:.0f})",
        )  # fmt: skip
    if n < 2:
        return out, 0.0, _laplacian_var(grey[0]) if n else 0.0
    diff = np.abs(f[1:] - f[:-1])  # transition i: frame i -> i + 1
    whole = diff.mean(axis=(1, 2))
    quiet = np.zeros((8, 8), np.float32)
    noise, far_noise = _grain(f) if grain else (quiet, quiet)
    blocks = _less_noise(diff.reshape(n - 1, 8, 9, 8, 16).mean(axis=(2, 4)), noise).max(axis=(1, 2))
    moving = blocks[blocks >= SAME_FLOOR]
    level = float(np.median(moving)) if len(moving) else 0.0  # the take's usual change where it moves
    same = min(FROZEN_BLOCK, max(SAME_FLOOR, SAME_SHARE * level))
    # Anchored at twice the threshold: an encoder refining a frozen picture over its first frames
    # stays within it; slow motion soon leaves it.
    pictures = _pictures(f, blocks, max(2 * same, FROZEN_BLOCK), same, far_noise)

    # Held pictures: shown 2..HELD_MAX frames each, the repeats changing a small share of the steps
    # between pictures (an encoder's noise on a repeated picture grows with the take's detail).
    repeat_at = max(SAME_FLOOR, HELD_SHARP * float(np.percentile(blocks, 90)))
    held_runs = []
    for a, b in runs(blocks < repeat_at):  # transitions a..b repeat: frames a..b+1 are one picture
        k = b - a + 2
        sharp = (a == 0 or blocks[a - 1] >= 3 * repeat_at) and (
            b + 1 >= len(blocks) or blocks[b + 1] >= 3 * repeat_at
        )
        if k <= HELD_MAX and sharp:
            held_runs.append((a, k))
    repeated = sum(k - 1 for _a, k in held_runs)
    unfrozen = n - sum(k for _a, k in pictures if k > HELD_MAX)  # of the frames that are not frozen
    cadence = 1
    if held_runs and repeated / max(1, unfrozen) >= HELD_SHARE:
        lengths = [k for a, k in held_runs if a + k < n] or [k for _a, k in held_runs]
        cadence = int(np.bincount(lengths).argmax())
        mask = np.zeros(n, bool)
        for a, k in held_runs:
            mask[a : a + k] = True
        out["held"] = Signal(
            repeated / n, runs(mask), repeated / max(1, unfrozen) / HELD_SHARE,
            f"each picture shown {cadence} frames ({100 * repeated / n:.0f}% of the frames repeat the one before)",
            cadence,
        )  # fmt: skip

    # Frozen: one picture for longer than the take's own cadence allows (and not black).
    frozen_frames = np.zeros(n, bool)
    longest = 0
    for a, k in pictures:
        if k >= max(FROZEN_MIN, 2 * cadence + 1) and not blank[a : a + k].all():
            frozen_frames[a : a + k] = True
            longest = max(longest, k)
    # A still: every frame within a small distance of the first, in every block (an encoder settling on
    # a still picture changes it a little over its first frames).
    drift = float(_less_noise(np.abs(f - f[0]).reshape(n, 8, 9, 8, 16).mean(axis=(2, 4)), far_noise).max())
    if drift <= STILL_DRIFT and not blank.all():
        frozen_frames[:] = True
        longest = n
    if frozen_frames.any():
        share = float(frozen_frames.mean())
        grainy = float(far_noise.max())
        beyond = f", beyond its grain or noise of up to {grainy:.1f}" if grainy >= 0.5 else ""
        evidence = (
            f"{int(frozen_frames.sum())} of {n} frames show an unchanged picture (the longest {longest} "
            f"frames; no block changes {same:.1f} where this take usually changes {level:.1f}{beyond})"
        )
        out["frozen"] = Signal(share, runs(frozen_frames), share / BROKEN_SHARE["frozen"], evidence)
        if share >= STILL_SHARE:
            out["still"] = Signal(share, [(0, n - 1)], 10.0, evidence)

    # Flicker: the whole frame's level steps up and down, alternately, in a row. Most of its blocks move
    # together; a lit object passing changes only the blocks it crosses.
    shifts = (f[1:] - f[:-1]).reshape(n - 1, 8, 9, 8, 16).mean(axis=(2, 4)).reshape(n - 1, 64)
    middle = np.median(shifts, axis=1)
    agree = (np.sign(shifts) == np.sign(middle)[:, None]) & (np.abs(shifts) >= 0.3 * np.abs(middle)[:, None])
    step = np.where(agree.mean(axis=1) >= FLICKER_AGREE, middle, 0.0)
    big = np.abs(step) >= FLICKER_STEP
    alternate = np.zeros(len(step), bool)
    alternate[1:] = big[1:] & big[:-1] & (np.sign(step[1:]) != np.sign(step[:-1]))
    flicker_frames = np.zeros(n, bool)
    flicker_runs = runs(alternate, FLICKER_MIN - 1)
    for a, b in flicker_runs:
        flicker_frames[a : b + 2] = True  # transitions a-1 .. b: frames a-1 .. b+1
    if flicker_frames.any():
        longest = max(b - a + 2 for a, b in flicker_runs)
        size = float(np.abs(step[flicker_frames[:-1] & big]).mean())
        out["flicker"] = Signal(
            float(flicker_frames.mean()), runs(flicker_frames), min(size / FLICKER_STEP, longest / FLICKER_MIN),
            f"the whole picture's level jumps up and down {longest} times in a row, by {size:.1f} on average "
            f"(threshold {FLICKER_STEP:.0f}, {FLICKER_MIN} times)",
        )  # fmt: skip

    # Cuts: between successive distinct pictures (held frames are not changes), the whole picture or its
    # layout of levels changes at once, far more than between the pictures around, and stays changed
    # (a flash comes back); not into or out of black, not inside flicker.
    firsts = np.array([a for a, _k in pictures[1:]], int)
    cuts: list[tuple[int, int]] = []
    strongest, why = 0.0, ""
    if len(firsts):
        hist, edges = _histograms(grey), _edges(grey)
        change = whole[firsts - 1]
        levels = np.cumsum(hist, axis=-1)
        layout = np.abs(levels[firsts] - levels[firsts - 1]).sum(axis=-1).mean(axis=-1) / 16
        moved = np.abs(edges[firsts] - edges[firsts - 1]).mean(axis=(1, 2))
        usual_change, usual_layout, usual_moved = _usual(change), _usual(layout), _usual(moved)
        relative = np.stack([
            change / np.maximum(usual_change, 1.0),
            layout / np.maximum(usual_layout, 0.002),
            moved / np.maximum(usual_moved, 0.05),
        ])  # fmt: skip
        enough = np.stack([change >= CUT_MIN, layout >= CUT_STRUCTURE, moved >= CUT_EDGES])
        ratios = np.where(enough, relative, 0.0).max(axis=0)
        # Each other measure that also jumps (if not by its absolute minimum) makes the cut surer.
        agree = (relative >= CUT_RATIO).sum(axis=0) - (ratios >= CUT_RATIO)
        for k in map(int, np.flatnonzero(ratios >= CUT_RATIO)):
            c, ratio = int(firsts[k]), float(ratios[k])
            if blank[c] or blank[c - 1] or flicker_frames[c] or flicker_frames[c - 1]:
                continue
            if _comes_back(f, hist, c, CUT_STAYS * change[k], CUT_STAYS * max(layout[k], CUT_STRUCTURE)):
                continue  # a flash: the picture before it is back within a few frames
            cuts.append((c, c))
            sure = ratio / CUT_RATIO + 0.25 * int(agree[k])
            if sure > strongest:
                strongest = sure
                why = (
                    f"frame {c}: the picture changed {change[k]:.0f} (usually {usual_change[k]:.1f}), its "
                    f"levels' layout {layout[k]:.2f} (usually {usual_layout[k]:.2f}), its edges {moved[k]:.2f} "
                    f"(usually {usual_moved[k]:.2f}): {ratio:.1f}x, threshold {CUT_RATIO:.0f}x"
                    + (f", {int(agree[k])} other measure(s) agreeing" if agree[k] else "")
                )
    if cuts:
        out["cut"] = Signal(float(len(cuts)), cuts, float(strongest), why)
    at_cuts = {c[0] - 1 for c in cuts}
    moving_whole = whole[[i for i in range(len(whole)) if i not in at_cuts]]
    motion = float(moving_whole.mean()) if len(moving_whole) else 0.0
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
    path: Path,
    frame_count: int = 0,
    strip_frames: int = 0,
    strip_height: int = 72,
    proxy: Path | None = None,
    grain: bool = True,
    threads: int = 0,
) -> tuple[Analysis, np.ndarray | None]:
    """One decode: the take's analysis and, when ``strip_frames``, its filmstrip (``count`` tiles side by
    side), and with ``proxy`` its proxy written there (only when every frame decoded: frame N must stay
    frame N). ``grain`` as in ``signals_from``. ``threads``: the decoder's, 0 for FFmpeg's choice (a
    thread per core and one more); 1 where every core has a take of its own already (a pool with a
    worker per core), as a decoder's threads cost a tenth more work than one thread alone."""
    cpuflags.tune()  # before the first scaling context: swscale picks its code when one is made
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
            if threads:
                stream.thread_count = threads
            else:
                stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 24.0
            sar = stream.sample_aspect_ratio or Fraction(1)
            # One reformatter for the take: its scaling context is made once, not per frame. One
            # thread: for a picture this small, handing work to more costs more than it saves.
            reformatter = VideoReformatter()
            if proxy is not None:
                try:
                    writer = ProxyWriter(proxy, stream)
                except (OSError, av.error.FFmpegError):
                    writer = None  # the cache will not take it: a proxy is never needed for correctness
            for index, frame in enumerate(container.decode(stream)):
                # With a proxy, the grey picture comes from the proxy's (a quarter the height): the same
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
                    # From the proxy's picture too when there is one: it is the take as shown (square
                    # pixels, rotation applied), a sixteenth of the pixels to scale.
                    shown = source is not frame
                    tiles.append(tile(source, Fraction(1) if shown else sar, strip_height))
    except av.error.FFmpegError as exc:
        if writer is not None:
            writer.abort(broke_off=True)  # a proxy of part of the take would number its frames wrong
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
    signals, motion, sharpness = signals_from(grey, grain)
    if has_audio:
        signals.update(audio_signals(path, fps, len(grey)))
    picks = np.linspace(0, len(grey) - 1, min(len(grey), HASH_SAMPLES)).round().astype(int)
    hashes = [phash(grey[i]) for i in picks]
    strip = None
    if tiles:
        height = min(t.shape[0] for t in tiles)
        strip = np.concatenate([t[:height] for t in tiles], axis=1)
    return Analysis(VERSION, len(grey), signals, motion, sharpness, hashes), strip
