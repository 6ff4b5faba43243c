"""Frame-exact reading: frame N from a seek is frame N of an independent sequential decode."""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reviewer.errors import MediaError
from reviewer.media.frames import FrameCache, FrameReader
from reviewer.media.images import orient, to_rgb
from tests.conftest import ClipFactory, requires_ffprobe

CASES = {
    "h264-long-gop": (".mp4", {"codec": "h264", "frames": 96, "gop": 96}),
    "h264-bframes-mkv": (".mkv", {"codec": "h264", "frames": 60, "gop": 30}),
    "hevc-10bit": (".mkv", {"codec": "hevc", "pix_fmt": "yuv420p10le", "frames": 48}),
    "vp9": (".webm", {"codec": "vp9", "frames": 48}),
    "av1": (".mkv", {"codec": "av1", "frames": 30}),
    "prores": (".mov", {"codec": "prores", "frames": 12, "width": 320, "height": 180}),
    "vfr": (".mp4", {"codec": "h264", "vfr": True, "frames": 60}),
    "start-not-zero": (".mp4", {"codec": "h264", "start_pts": 37, "frames": 40, "gop": 12}),
    "start-not-zero-webm": (".webm", {"codec": "vp9", "start_pts": 11, "frames": 30}),
    "rotated-anamorphic": (".mp4", {"codec": "h264", "rotation": 90, "sar": Fraction(4, 3), "frames": 24}),
}


def reference_frames(path: Path) -> list[av.VideoFrame]:
    """Every frame by plain sequential decoding from the start: what ``select=eq(n,N)`` counts."""
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def as_shown(frame: av.VideoFrame, like: np.ndarray) -> np.ndarray:
    rotation = int(frame.rotation or 0)
    h, w = like.shape[:2]
    coded = (h, w) if abs(rotation) % 180 == 90 else (w, h)
    return orient(to_rgb(frame, *coded), rotation)


@pytest.mark.parametrize("case", sorted(CASES))
def test_seek_gives_the_same_frame_as_sequential_decoding(clip: ClipFactory, case: str) -> None:
    suffix, spec = CASES[case]
    path = clip(suffix, **spec)
    reference = reference_frames(path)
    with FrameReader(path) as reader:
        assert len(reader) == len(reference)
        order = list(range(len(reference)))
        random.Random(7).shuffle(order)
        for n in [0, len(reference) - 1, *order[:12]]:
            got = reader.seek(n)
            assert got.number == n
            np.testing.assert_array_equal(got.rgb, as_shown(reference[n], got.rgb), err_msg=f"frame {n}")
        # Reading on after a seek is sequential decoding: the following frames, in order.
        reader.seek(3)
        for n in range(4, min(10, len(reference))):
            got = reader.read()
            assert got.number == n
            np.testing.assert_array_equal(got.rgb, as_shown(reference[n], got.rgb))


def test_frame_numbers_and_times_map_exactly_for_variable_rate(clip: ClipFactory) -> None:
    path = clip(".mp4", codec="h264", vfr=True, frames=60)
    reference = reference_frames(path)
    with FrameReader(path) as reader:
        first = reference[0].time
        for n in (0, 7, 31, 59):
            assert reader.index.time_of(n) == pytest.approx(reference[n].time - first, abs=1e-9)
            assert reader.index.frame_at(reader.index.time_of(n)) == n
            assert reader.index.frame_at(reader.index.time_of(n) - 1e-4) == max(0, n - 1)


def test_size_and_shape_follow_the_display(clip: ClipFactory) -> None:
    path = clip(".mp4", codec="h264", rotation=90, sar=Fraction(4, 3), frames=24)
    with FrameReader(path) as reader:
        reader.size = (400, 400)
        frame = reader.seek(5)
        assert frame.rgb.shape == (
            400,
            169,
            3,
        )  # 640x360 at 4:3 pixels is 853x360; turned, 360x853 fits as 169x400


def test_reading_past_the_end_stops(clip: ClipFactory) -> None:
    with FrameReader(clip(".mp4", frames=5)) as reader:
        reader.seek(3)
        assert reader.read().number == 4
        with pytest.raises(EOFError):
            reader.read()


def test_broken_files_are_media_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("<html>")
    with pytest.raises(MediaError):
        FrameReader(bad)


def test_frame_cache_keeps_to_its_budget() -> None:
    cache = FrameCache(budget_bytes=3 * 100 * 100 * 3)
    for n in range(5):
        cache.put("a", n, np.full((100, 100, 3), n, np.uint8))
    assert cache.get("a", 0) is None and cache.get("a", 1) is None
    assert cache.get("a", 4) is not None and cache.used <= cache.budget
    cache.get("a", 2)  # recently used: survives the next insert
    cache.put("a", 9, np.zeros((100, 100, 3), np.uint8))
    assert cache.get("a", 2) is not None and cache.get("a", 3) is None
    cache.drop("a")
    assert cache.used == 0


def test_cli_frame_writes_the_exact_frame_as_png(clip: ClipFactory, tmp_path: Path) -> None:
    path = clip(".mkv", codec="h264", frames=60, gop=30)
    out = tmp_path / "still.png"
    result = subprocess.run([sys.executable, "-m", "reviewer", "frame", str(path), "--frame", "41", "-o", str(out)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as png:
        still = next(png.decode(video=0)).to_ndarray(format="rgb24")
    reference = reference_frames(path)[41]
    np.testing.assert_array_equal(still, as_shown(reference, still))
    bad = subprocess.run([sys.executable, "-m", "reviewer", "frame", str(path), "--frame", "60", "-o", str(out)],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and "there is no frame 60" in bad.stderr


@requires_ffprobe
@pytest.mark.parametrize("case", ["h264-long-gop", "vp9", "start-not-zero", "vfr"])
def test_frame_n_is_what_ffmpeg_select_gives(clip: ClipFactory, case: str, tmp_path: Path) -> None:
    """The issue's own definition: frame N is ``ffmpeg -vf select=eq(n\\,N)``'s frame, plane for plane."""
    import shutil

    suffix, spec = CASES[case]
    path = clip(suffix, **spec)
    with FrameReader(path) as reader:
        for n in (0, 17, len(reader) - 1):
            decoded = reader.decoded(n)
            ours = _yuv_bytes(decoded)
            assert len(ours) == decoded.width * decoded.height * 3 // 2
            raw = tmp_path / f"{n}.yuv"
            subprocess.run(
                [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-y", "-i", str(path), "-vf", f"select=eq(n\\,{n})",
                 "-vsync", "0", "-frames:v", "1", "-pix_fmt", "yuv420p", "-f", "rawvideo", str(raw)],
                check=True,
            )  # fmt: skip
            assert raw.read_bytes() == ours, f"frame {n}"


def _yuv_bytes(frame: av.VideoFrame) -> bytes:
    return b"".join(bytes(p) if p.line_size == p.width else _unpad(p) for p in frame.planes)


def _unpad(plane) -> bytes:  # type: ignore[no-untyped-def]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    return rows[: plane.height, : plane.width].tobytes()


@pytest.mark.parametrize(
    ("suffix", "codec", "size"),
    [
        (".mp4", "h264", (1280, 720)),
        (".mp4", "h264", (640, 360)),
        (".avi", "mjpeg", (640, 360)),
        (".mov", "prores", (1280, 720)),
    ],
    ids=["hd-bt709", "sd-bt601", "sd-full-range-jpeg", "hd-prores-10bit"],
)
def test_colours_come_back_as_they_went_in(
    clip: ClipFactory, suffix: str, codec: str, size: tuple[int, int]
) -> None:
    """BT.709 for HD, BT.601 for SD, limited and full range: the picture on screen is the picture encoded."""
    from reviewer.media.synth import ClipSpec, render_frames

    width, height = size
    spec = {"codec": codec, "width": width, "height": height, "frames": 3, "seed": 4}
    reference = render_frames(ClipSpec(**spec))[1].astype(int)  # type: ignore[arg-type]
    with FrameReader(clip(suffix, **spec)) as reader:
        shown = reader.seek(1).rgb.astype(int)
    assert (
        np.abs(shown - reference).mean() < 4
    )  # compression noise, not a matrix or range error (those give 10+)
    for channel in range(3):
        assert abs(shown[..., channel].mean() - reference[..., channel].mean()) < 2
