"""Filmstrips: a row of small frames spread across a take, as one image.

They are drawn during the analysis pass's one sequential decode (``media.analysis``: no seeking, since
generated takes are short and often one long GOP); only the chosen frames are converted and scaled,
in swscale. This module says which frames and how each tile is drawn.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from reviewer.media.images import display_size, orient, to_rgb


def pick_frames(frame_count: int, count: int) -> list[int]:
    """``count`` frame numbers spread evenly over ``frame_count`` frames, each in the middle of its slice."""
    if frame_count <= 0:
        return []
    count = min(count, frame_count)
    return sorted({int((i + 0.5) * frame_count / count) for i in range(count)})


def tile(frame: av.VideoFrame, sar: Fraction, height: int) -> np.ndarray:
    """One frame of a filmstrip: ``height`` pixels high, as displayed (pixel aspect and rotation applied)."""
    rotation = int(frame.rotation or 0)
    shown_w, shown_h = display_size(frame.width, frame.height, sar, rotation)
    tile_w = max(2, round(height * shown_w / shown_h / 2) * 2)
    # Scaled before rotation: a quarter turn makes the coded width the shown height.
    w, h = (height, tile_w) if abs(rotation) % 180 == 90 else (tile_w, height)
    return orient(to_rgb(frame, w, h), rotation)
