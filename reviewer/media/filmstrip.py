"""Filmstrips: a row of small frames spread across a take, as one image.

One sequential decode of the take (no seeking: generated takes are short and often one long GOP, where
every seek would decode the GOP again); only the chosen frames are converted and scaled, in swscale.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from reviewer.errors import MediaError
from reviewer.media.images import display_size, orient, to_rgb


def pick_frames(frame_count: int, count: int) -> list[int]:
    """``count`` frame numbers spread evenly over ``frame_count`` frames, each in the middle of its slice."""
    if frame_count <= 0:
        return []
    count = min(count, frame_count)
    return sorted({int((i + 0.5) * frame_count / count) for i in range(count)})


def filmstrip(path: Path, frame_count: int, count: int, height: int) -> np.ndarray:
    """An RGB array: ``count`` frames of ``height`` pixels side by side (as displayed: aspect, rotation)."""
    wanted = set(pick_frames(frame_count, count))
    tiles: list[np.ndarray] = []
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            sar = stream.sample_aspect_ratio or Fraction(1)
            for index, frame in enumerate(container.decode(stream)):
                if index in wanted:
                    rotation = int(frame.rotation or 0)
                    shown_w, shown_h = display_size(frame.width, frame.height, sar, rotation)
                    tile_w = max(2, round(height * shown_w / shown_h / 2) * 2)
                    # Scaled before rotation: a quarter turn makes the coded width the shown height.
                    w, h = (height, tile_w) if abs(rotation) % 180 == 90 else (tile_w, height)
                    tiles.append(orient(to_rgb(frame, w, h), rotation))
                    if len(tiles) == len(wanted):
                        break
    except av.error.FFmpegError as exc:
        if not tiles:
            raise MediaError(f"cannot decode frames for the filmstrip ({exc.strerror or exc})") from None
    if not tiles:
        raise MediaError("no frame could be decoded for the filmstrip")
    return np.hstack(tiles)
