"""Frame-delay formats as generators write them (GIF from AnimateDiff/VideoHelperSuite, animated PNG and
WebP from ComfyUI's SaveAnimatedPNG/SaveAnimatedWEBP): the rate is what the delays say, VFR only where
delays vary beyond their rounding, animated images are takes and stills are not, and an animated WebP
this FFmpeg cannot decode gets a clear reason."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reviewer.errors import MediaError
from reviewer.ingest.ingest import ingest
from reviewer.ingest.scan import scan
from reviewer.media.analysis import analyze
from reviewer.media.probe import is_animated_image, probe
from reviewer.store import queries
from reviewer.store.db import open_project


def animated(path: Path, fmt: str, codec: str, delays: list[int], tb: Fraction, pix: str) -> Path:
    """An animated image with these per-frame delays (in ``tb`` units), the last one included."""
    pts = [sum(delays[:i]) for i in range(len(delays))]
    options = {"final_delay": str(delays[-1])} if fmt == "gif" else {}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        stream = out.add_stream(codec, rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix
        stream.time_base = tb
        stream.codec_context.time_base = tb
        for i, p in enumerate(pts):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:, (i * 3) % 64] = 255
            img[..., 1] = (i * 9) % 256
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix)
            frame.pts, frame.time_base, frame.duration = p, tb, delays[i]
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_gif_rates_are_what_the_delays_say(tmp_path: Path) -> None:
    cs = Fraction(1, 100)
    eight = animated(tmp_path / "eight.gif", "gif", "gif", [12, 13] * 12, cs, "rgb8")  # 8 fps in centiseconds
    p, _ = probe(eight)
    assert p.fps == 8 and p.frame_count == 24 and p.duration_s == pytest.approx(3.0) and not p.vfr
    delays = [4, 4, 5] * 16  # 48 frames over 2.08 s
    odd = animated(tmp_path / "odd.gif", "gif", "gif", delays, cs, "rgb8")
    p, _ = probe(odd)
    assert p.fps == Fraction(48) / Fraction(208, 100) and round(float(p.fps), 2) == 23.08 and not p.vfr
    truly = animated(tmp_path / "vfr.gif", "gif", "gif", [5] * 10 + [20] * 10, cs, "rgb8")
    assert probe(truly)[0].vfr  # delays that truly vary


def test_animated_png_is_a_take_and_a_still_png_is_not(tmp_path: Path) -> None:
    media = tmp_path / "media" / "SH010"
    media.mkdir(parents=True)
    apng = animated(media / "take_00001.png", "apng", "apng", [4] * 24, Fraction(1, 100), "rgb24")
    assert is_animated_image(apng)
    p, _ = probe(apng)
    assert p.fps == 25 and p.frame_count == 24 and not p.vfr
    a, _ = analyze(apng)
    assert a.frames == 24
    still = media / "reference.png"
    with av.open(str(still), "w", format="image2") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "rgb24"
        for packet in stream.encode(
            av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
        ):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    assert not is_animated_image(still)
    errors: list[tuple[str, str]] = []
    assert [f.name for f in scan(tmp_path / "media", errors)] == ["take_00001.png"] and errors == []
    project = open_project(tmp_path / "p.trproj")
    report = ingest(project, [tmp_path / "media"], workers=0)
    assert report.problems == []
    with project.sessions() as session:
        (row,) = queries.take_rows(session, [1])
    assert row["name"] == "take_00001.png" and row["frame_count"] == 24
    project.close()


def test_an_animated_webp_gets_a_clear_reason(tmp_path: Path) -> None:
    path = animated(tmp_path / "take.webp", "webp", "libwebp_anim", [125] * 12, Fraction(1, 1000), "yuv420p")
    assert is_animated_image(path)
    try:
        p, _ = probe(path)
    except MediaError as exc:
        assert "animated WebP" in str(exc) and "MP4" in str(exc)  # this FFmpeg cannot decode its frames
    else:  # an FFmpeg that decodes animated WebP: then it is a take like any other
        assert p.frame_count == 12 and p.fps == 8
