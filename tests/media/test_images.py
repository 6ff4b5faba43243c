"""Pictures out of frames: JPEG round trip, filmstrip layout and frame choice."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

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


@pytest.mark.parametrize(
    "spec",
    [
        {"codec": "h264", "width": 640, "height": 360, "rotation": 90},  # a phone held upright
        {"codec": "h264", "width": 720, "height": 576, "sar": Fraction(16, 11)},  # anamorphic
        {"codec": "h264", "width": 1280, "height": 720},
    ],
)
def test_filmstrip_is_the_same_picture_with_or_without_a_proxy(
    clip: ClipFactory, tmp_path: Path, spec: dict
) -> None:
    # With a proxy the tiles are cut from the proxy's picture (already square and upright): the strip
    # must be the one made from the full frames, same size and same content.
    path = clip(".mp4", frames=24, seed=5, motion="pan", **spec)
    _, alone = analyze(path, 24, 4, 72)
    _, beside = analyze(path, 24, 4, 72, proxy=tmp_path / "p.mp4")
    assert (tmp_path / "p.mp4").is_file()
    assert alone is not None and beside is not None
    assert alone.shape == beside.shape
    tiles_alone, tiles_beside = np.split(alone, 4, axis=1), np.split(beside, 4, axis=1)
    for i, tile_beside in enumerate(tiles_beside):
        same = np.abs(tiles_alone[i].astype(np.int16) - tile_beside.astype(np.int16)).mean()
        assert same < 4.0, (i, same)
        # The same frame, not merely a similar picture: another frame of the take differs far more.
        other = np.abs(tiles_alone[(i + 2) % 4].astype(np.int16) - tile_beside.astype(np.int16)).mean()
        assert same < other / 2, (i, same, other)
