"""The analysis's picture signals as they were at version 1, kept for ``bench/run.py signals`` to print
the current version's precision and recall beside them in the same run. Not used by the program."""

from __future__ import annotations

import numpy as np

from reviewer.media.analysis import Signal, runs

BLACK_LUMA = 24.0  # mean luminance at or below: black (limited-range black is 16)
BLANK_SPREAD = 3.0  # luminance standard deviation at or below: a flat picture
FROZEN_BLOCK = 1.0  # no 16x9 block changes by more than this (mean absolute difference, 0..255)
FROZEN_MIN = 6  # frames in a row, counting the first, before a stretch counts as frozen
STILL_SHARE = 0.9  # frozen over this share of the take: it is a still image
CUT_MIN = 14.0  # whole-picture change at a cut at least this ...
CUT_RATIO = 4.0  # ... and this many times the usual change around it
FLICKER_STEP = 3.0  # luminance steps at least this size, alternating up and down ...
FLICKER_MIN = 3  # ... this many times in a row


def signals_v1(grey: np.ndarray) -> dict[str, Signal]:
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
        return out
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
    return out
