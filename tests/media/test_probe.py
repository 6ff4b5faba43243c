"""Probe against ffprobe on real files of every codec we accept, and on odd and broken files."""

from __future__ import annotations

import json
import os
import random
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reviewer.errors import MediaError
from reviewer.media.probe import MAX_TAG_BYTES, probe
from reviewer.media.synth import Defect
from tests.conftest import ClipFactory, place, requires_ffprobe

CASES = {
    "h264-aac": (".mp4", {"codec": "h264", "audio": True}),
    "hevc-10bit": (".mkv", {"codec": "hevc", "pix_fmt": "yuv420p10le"}),
    "vp9-opus": (".webm", {"codec": "vp9", "audio": True}),
    "av1": (".mkv", {"codec": "av1", "frames": 24}),
    "prores": (".mov", {"codec": "prores", "frames": 12, "width": 320, "height": 180}),
    "mjpeg": (".avi", {"codec": "mjpeg", "frames": 12}),
    "rotated-phone": (".mp4", {"codec": "h264", "rotation": -90, "width": 640, "height": 360}),
    "anamorphic": (".mp4", {"codec": "h264", "sar": Fraction(4, 3), "width": 480, "height": 360}),
    "vfr": (".mp4", {"codec": "h264", "vfr": True, "frames": 60}),
    "start-not-zero": (".mp4", {"codec": "h264", "start_pts": 48, "frames": 24}),
    "one-frame": (".mp4", {"codec": "h264", "frames": 1}),
    "ntsc-rate": (".mov", {"codec": "h264", "fps": Fraction(24000, 1001), "frames": 30}),
    "long-gop-hevc": (".mp4", {"codec": "hevc", "frames": 96, "gop": 96}),
}


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


@requires_ffprobe
@pytest.mark.parametrize("case", sorted(CASES))
def test_probe_matches_ffprobe(clip: ClipFactory, case: str) -> None:
    suffix, spec = CASES[case]
    path = clip(suffix, **spec)
    info, poster = probe(path, poster_size=160)
    ref = ffprobe(path)
    video = next(s for s in ref["streams"] if s["codec_type"] == "video")
    assert info.container == ref["format"]["format_name"]
    assert info.video_codec == video["codec_name"]
    assert (info.width, info.height) == (video["width"], video["height"])
    assert info.pix_fmt == video["pix_fmt"]
    assert info.frame_count == int(video["nb_read_frames"])
    assert info.fps == Fraction(video["avg_frame_rate"])
    sar = video.get("sample_aspect_ratio", "1:1")
    assert info.sar == (Fraction(*map(int, sar.split(":"))) if sar not in ("0:1", "N/A") else 1)
    rotation = next((d["rotation"] for d in video.get("side_data_list", []) if "rotation" in d), 0)
    assert info.rotation == rotation
    duration = float(video.get("duration") or ref["format"]["duration"])
    frame = 1 / float(info.fps)
    assert abs(info.duration_s - duration) <= frame + 1e-6
    assert abs(info.start_time_s - float(video.get("start_time", 0))) < 1e-3
    assert info.has_audio == any(s["codec_type"] == "audio" for s in ref["streams"])
    assert poster is not None and poster.dtype == np.uint8 and max(poster.shape[:2]) == 160


def test_ten_bit_and_variable_rate_are_recorded(clip: ClipFactory) -> None:
    ten, _ = probe(clip(".mkv", codec="hevc", pix_fmt="yuv420p10le"))
    assert ten.bit_depth == 10
    vfr, _ = probe(clip(".mp4", codec="h264", vfr=True, frames=60))
    cfr, _ = probe(clip(".mp4", codec="h264"))
    assert vfr.vfr and not cfr.vfr


def test_poster_is_shown_the_way_the_take_is_meant_to_be_seen(clip: ClipFactory) -> None:
    _, rotated = probe(clip(".mp4", codec="h264", rotation=-90, width=640, height=360), poster_size=160)
    assert rotated is not None and rotated.shape[:2] == (160, 90)  # portrait once turned
    _, wide = probe(clip(".mp4", codec="h264", sar=Fraction(4, 3), width=480, height=360), poster_size=160)
    assert wide is not None and wide.shape[:2] == (90, 160)  # 480x360 at 4:3 pixels shows as 640x360


def test_poster_colours_are_right(clip: ClipFactory) -> None:
    """A flat black take stays black (limited range expanded), not crushed grey."""
    path = clip(".mp4", codec="h264", frames=6, defects=[Defect("black", 0, 6)])
    _, poster = probe(path, poster_size=64)
    assert poster is not None and poster.max() <= 6


def test_unicode_name_with_spaces(clip: ClipFactory, tmp_path: Path) -> None:
    path = place(clip(".mp4"), tmp_path / "Shot 10 — Prise n°3 日本.mp4")
    info, _ = probe(path)
    assert info.frame_count == 48


def test_huge_metadata_is_bounded(clip: ClipFactory) -> None:
    path = clip(".mkv", codec="h264", frames=4, tags={"comment": "x" * (3 * MAX_TAG_BYTES)})
    info, _ = probe(path)
    assert 0 < len(info.tags["COMMENT"]) <= MAX_TAG_BYTES


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _dangling(path: Path) -> Path:
    path.symlink_to(path.with_name("nowhere.mp4"))
    return path


UNREADABLE = {
    "empty": (lambda d: _write(d / "empty.mp4", b""), "empty file"),
    "html-named-mp4": (lambda d: _write(d / "page.mp4", b"<html>502 Bad Gateway</html>"), "not a video file"),
    # Seeded: now and then os.urandom's bytes read as a stream FFmpeg knows (CI once met a "subtitle
    # only" file in them, refused just as well but with another reason).
    "random-bytes": (
        lambda d: _write(d / "noise.mov", random.Random(7).randbytes(50_000)),
        "not a video file",
    ),
    "folder": (lambda d: _mkdir(d / "folder.mp4"), "is a folder"),
    "broken-link": (lambda d: _dangling(d / "gone.mp4"), "broken link"),
    "missing": (lambda d: d / "never-existed.mp4", "file not found"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_files_get_one_line_reasons(tmp_path: Path, case: str) -> None:
    make, reason = UNREADABLE[case]
    with pytest.raises(MediaError, match=reason) as err:
        probe(make(tmp_path))
    assert "\n" not in str(err.value)


def test_audio_only_file_is_not_a_take(tmp_path: Path) -> None:
    import av

    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(MediaError, match="no video stream"):
        probe(path)


def test_truncated_mp4_without_index_is_unreadable(clip: ClipFactory, tmp_path: Path) -> None:
    data = clip(".mp4", frames=48).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        probe(cut)


def test_truncated_matroska_reads_in_part_with_a_warning(clip: ClipFactory, tmp_path: Path) -> None:
    data = clip(".mkv", codec="h264", frames=96, width=320, height=180).read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    info, _ = probe(cut)
    assert 0 < info.frame_count < 96


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_permission_denied(clip: ClipFactory, tmp_path: Path) -> None:
    path = place(clip(".mp4"), tmp_path / "locked.mp4")
    path.chmod(0)
    with pytest.raises(MediaError, match="permission denied"):
        probe(path)


def test_mp4_cut_short_with_its_index_in_front_counts_what_is_there(
    clip: ClipFactory, tmp_path: Path
) -> None:
    """A faststart MP4 keeps a complete index when the data after it is cut: the count must not trust it."""
    import av

    src = clip(".mp4", frames=96, width=320, height=180)
    faststart = tmp_path / "fast.mp4"
    with av.open(str(src)) as inp, av.open(str(faststart), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    data = faststart.read_bytes()
    cut = tmp_path / "cut-fast.mp4"
    cut.write_bytes(data[: int(len(data) * 0.5)])
    whole, _ = probe(faststart)
    assert whole.frame_count == 96 and not whole.warning
    info, _ = probe(cut)
    assert 0 < info.frame_count < 96
    assert info.warning.startswith("truncated")
