"""Pictures out of frames: JPEG round trip, filmstrip layout and frame choice."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from reviewer.media.analysis import analyze
from reviewer.media.filmstrip import pick_frames
from reviewer.media.images import decode_jpeg, encode_jpeg, scaled_size
from tests.conftest import ClipFactory


def test_jpeg_round_trip_keeps_the_picture() -> None:
    rgb = np.zeros((90, 160, 3), np.uint8)
    rgb[:, :80] = (220, 40, 30)
    rgb[:, 80:] = (20, 60, 200)
    back = decode_jpeg(encode_jpeg(rgb))
    assert back.shape == rgb.shape
    assert np.abs(back.astype(int) - rgb.astype(int))[:, 5:75].max() < 12


def test_pick_frames_spreads_evenly_and_never_repeats() -> None:
    assert pick_frames(100, 10) == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
    assert pick_frames(3, 10) == [0, 1, 2]
    assert pick_frames(1, 10) == [0]
    assert pick_frames(0, 10) == []


def test_scaled_size_applies_pixel_aspect() -> None:
    assert scaled_size(720, 576, Fraction(16, 15), 320) == (320, 240)
    assert scaled_size(1920, 1080, Fraction(1), 320) == (320, 180)


def test_filmstrip_of_a_rotated_take_has_portrait_tiles(clip: ClipFactory) -> None:
    path = clip(".mp4", codec="h264", rotation=90, frames=30)
    _, strip = analyze(path, 30, 5, 72)
    assert strip is not None and strip.shape[0] == 72
    assert strip.shape[1] == 5 * 40  # 360x640 shown: 72 high is 40 wide (rounded to even)


def test_filmstrip_shows_change_across_the_take(clip: ClipFactory) -> None:
    _, strip = analyze(clip(".webm", codec="vp9", frames=48), 48, 4, 36)
    assert strip is not None
    tiles = np.split(strip, 4, axis=1)
    assert any(np.abs(tiles[0].astype(int) - t.astype(int)).mean() > 0.5 for t in tiles[1:])
