"""Proxies: the same frames at the same times as the take, small, made by the analysis pass, and never
an error when missing."""

from __future__ import annotations

import contextlib
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter

from reviewer.cli import main
from reviewer.errors import MediaError
from reviewer.ingest.ingest import Ingestor, ingest
from reviewer.media import cache
from reviewer.media.analysis import analyze
from reviewer.media.frames import FrameReader
from reviewer.media.proxy import PROXY_HEIGHT, ProxyWriter, existing_proxy, playable, proxy_size
from reviewer.media.synth import BARS, Defect
from reviewer.store import queries
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place


def timestamps(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(float(f.pts * s.time_base) for f in c.decode(s))


@pytest.mark.parametrize(
    "spec",
    [
        {"codec": "h264", "width": 1280, "height": 720, "frames": 40},
        {"codec": "hevc", "width": 640, "height": 360, "frames": 30, "vfr": True},
        {"codec": "vp9", "width": 360, "height": 640, "frames": 25},  # portrait
        {"codec": "h264", "width": 720, "height": 576, "frames": 20, "sar": Fraction(16, 11)},  # anamorphic
        {"codec": "h264", "width": 640, "height": 360, "frames": 20, "rotation": 90},  # a phone held upright
    ],
)
def test_frame_n_of_the_proxy_is_frame_n_of_the_take(clip: ClipFactory, tmp_path: Path, spec: dict) -> None:
    suffix = ".webm" if spec["codec"] == "vp9" else ".mp4"
    # Brightness alternating on every frame: a proxy one frame off would match its neighbours instead.
    original = clip(suffix, seed=3, defects=[Defect("flicker", 0, spec["frames"])], **spec)
    proxy = tmp_path / "p.mp4"
    analyze(original, spec["frames"], proxy=proxy)
    assert proxy.is_file()
    assert not list(tmp_path.glob(".tmp-*")), "the temporary file is moved into place, not left behind"
    # Same number of frames at the same presentation times (VFR stays VFR).
    want, got = timestamps(original), timestamps(proxy)
    assert len(got) == len(want) == spec["frames"]
    assert np.allclose(np.array(got) - got[0], np.array(want) - want[0], atol=1e-3)
    with FrameReader(original) as a, FrameReader(proxy) as b:
        assert len(a) == len(b)
        first = b.seek(0).rgb
        height, width = first.shape[:2]
        assert height <= PROXY_HEIGHT
        # The proxy is the picture as displayed (aspect and rotation applied), to within rounding.
        shown = a.seek(0).rgb
        assert abs(width / height - shown.shape[1] / shown.shape[0]) < 0.03
        a.size = (width, height)
        for n in (0, len(a) // 3, len(a) - 1, 1):  # out of order: seeks, not only a sequential read
            got_rgb = b.seek(n).rgb.astype(np.int16)
            want_rgb = a.seek(n).rgb.astype(np.int16)
            assert (
                abs(want_rgb.shape[0] - got_rgb.shape[0]) <= 1
                and abs(want_rgb.shape[1] - got_rgb.shape[1]) <= 1
            )
            h, w = min(want_rgb.shape[0], got_rgb.shape[0]), min(want_rgb.shape[1], got_rgb.shape[1])
            got_rgb, want_rgb = got_rgb[:h, :w], want_rgb[:h, :w]
            same = np.abs(want_rgb - got_rgb).mean()
            assert same < 6.0, (n, same)
            for m in (n - 1, n + 1):
                if 0 <= m < len(a):
                    other = np.abs(a.seek(m).rgb[:h, :w].astype(np.int16) - got_rgb).mean()
                    assert same < other / 2, (n, m, same, other)


def test_proxy_size_keeps_the_displayed_aspect() -> None:
    assert proxy_size(1920, 1080, Fraction(1), 0) == (480, 270)
    assert proxy_size(1080, 1920, Fraction(1), 0) == (152, 270)
    assert proxy_size(1920, 1080, Fraction(1), 90) == (152, 270)
    assert proxy_size(720, 576, Fraction(16, 11), 0) == (490, 270)  # 1047x576 shown
    assert proxy_size(320, 240, Fraction(1), 0) == (320, 240)  # never scaled up


def test_analysis_pass_makes_proxies_and_takes_json_names_them(
    clip: ClipFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "media"
    for i in range(3):
        place(clip(seed=i, frames=24), media / f"take {i} ✓.mp4")
    target = tmp_path / "p.trproj"
    with open_project(target) as project:
        ingest(project, [media], workers=1)
        with project.sessions() as session:
            rows = list(queries.take_rows(session, [1, 2, 3]))
    for row in rows:
        assert existing_proxy(row["content_hash"]) is not None
    assert main(["takes", str(target), "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 3
    for row in listed:
        assert row["proxy"] and Path(row["proxy"]).is_file()
        assert row["proxy"] == str(cache.proxy_path(row["content_hash"]))


def test_takes_from_before_proxies_get_them_from_reviewer_analyze(clip: ClipFactory, tmp_path: Path) -> None:
    media = tmp_path / "media"
    place(clip(seed=5, frames=24), media / "a.mp4")
    target = tmp_path / "p.trproj"
    with open_project(target) as project:
        ingest(project, [media], workers=1, proxies=False)  # as an older version left it
        with project.sessions() as session:
            row = next(queries.take_rows(session, [1]))
    assert existing_proxy(row["content_hash"]) is None
    assert main(["analyze", str(target)]) == 0  # the analysis is current: only the proxy is missing
    assert existing_proxy(row["content_hash"]) is not None


def test_a_missing_proxy_falls_back_to_the_original(clip: ClipFactory, tmp_path: Path) -> None:
    original = place(clip(seed=6, frames=12), tmp_path / "a.mp4")
    take = {"path": str(original), "content_hash": "abc123", "missing": False}
    assert playable(take, prefer_proxy=True) == (original, False)  # no proxy yet: the original
    proxy = cache.proxy_path("abc123")
    analyze(original, 12, proxy=proxy)
    assert playable(take, prefer_proxy=True) == (proxy, True)
    assert playable(take, prefer_proxy=False) == (original, False)
    original.unlink()  # offline: the proxy, chosen or not
    assert playable(take, prefer_proxy=False) == (proxy, True)
    proxy.unlink()
    assert playable(take, prefer_proxy=False) == (original, False)  # neither: the original's own error later


def test_a_take_that_breaks_off_gets_no_proxy(clip: ClipFactory, tmp_path: Path) -> None:
    good = clip(seed=7, frames=48, width=640, height=360)
    broken = tmp_path / "cut short.mp4"
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) * 2 // 3])
    proxy = tmp_path / "p.mp4"
    with contextlib.suppress(MediaError):  # the analysis may refuse the file; the proxy question is the same
        analyze(broken, 48, proxy=proxy)
    if proxy.exists():  # made only if every frame the take has decoded: then it has them all
        with FrameReader(proxy) as p, FrameReader(broken) as b:
            assert len(p) == len(b)
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_take_that_cannot_have_a_proxy_is_not_decoded_again_for_it(
    clip: ClipFactory, tmp_path: Path
) -> None:
    """Garbage in the middle of a take: its first frames are analysed, its proxy would number frames
    wrong and is not written; the next analysis pass leaves it alone (it used to decode it every time),
    ``--force`` tries again."""
    media = tmp_path / "media"
    good = place(clip(seed=3, frames=48, width=320, height=180, suffix=".mkv"), media / "good.mkv")
    data = good.read_bytes()
    garbage = np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    (media / "broken.mkv").write_bytes(data[: len(data) // 2] + garbage + data[len(data) // 2 + 4000 :])
    target = tmp_path / "p.trproj"
    with open_project(target) as project:
        ingest(project, [media], workers=1)
        with project.sessions() as session:
            rows = {r["name"]: r for r in queries.take_rows(session, [1, 2])}
    broken = rows["broken.mkv"]["content_hash"]
    assert rows["broken.mkv"]["signals"], "the frames before the garbage are analysed"
    assert existing_proxy(broken) is None and cache.no_proxy_path(broken).exists()
    assert existing_proxy(rows["good.mkv"]["content_hash"]) is not None
    assert not cache.no_proxy_path(rows["good.mkv"]["content_hash"]).exists()
    done: list[int] = []
    with open_project(target) as project:
        Ingestor(project, workers=1, progress=lambda phase, n, total: done.append(total)).analyze()
    assert done and max(done) == 0, "nothing left to decode"
    with open_project(target) as project:
        Ingestor(project, workers=1, progress=lambda phase, n, total: done.append(total)).analyze(force=True)
    assert max(done) == 2 and cache.no_proxy_path(broken).exists()


def test_only_a_take_that_breaks_off_is_marked_as_having_no_proxy(clip: ClipFactory, tmp_path: Path) -> None:
    """A proxy given up for another reason (the disk, the encoder) is not the take's fault: no mark, and
    the next pass tries again; a proxy written later clears an old mark."""
    path = clip(seed=4, frames=6)
    with av.open(str(path)) as container:
        writer = ProxyWriter(tmp_path / "a.mp4", container.streams.video[0])
        writer.abort()
    assert not cache.no_proxy_mark(tmp_path / "a.mp4").exists() and not list(tmp_path.iterdir())
    with av.open(str(path)) as container:
        ProxyWriter(tmp_path / "b.mp4", container.streams.video[0]).abort(broke_off=True)
    assert cache.no_proxy_mark(tmp_path / "b.mp4").exists()
    analyze(path, 6, proxy=tmp_path / "b.mp4")
    assert (tmp_path / "b.mp4").is_file() and not cache.no_proxy_mark(tmp_path / "b.mp4").exists()


@pytest.mark.parametrize(
    "codec, pix_fmt",
    [("h264", "yuv420p"), ("h264", "yuvj420p"), ("hevc", "yuv420p10le"), ("h264", "yuv422p")],
)
def test_a_proxy_plays_in_the_takes_colours(
    clip: ClipFactory, tmp_path: Path, codec: str, pix_fmt: str
) -> None:
    """An HD take in BT.709 (full range, 10-bit, 4:2:2 too): its 270-line proxy is tagged with the
    colours its pixels are in, so that a player shows the same colours. Untagged, it was read as BT.601
    limited range: the red bar came out 13 levels darker, the green one 28 levels brighter."""
    original = clip(
        codec=codec, pix_fmt=pix_fmt, width=1280, height=720, frames=6, look="bars", motion="none"
    )
    proxy = tmp_path / "p.mp4"
    analyze(original, 6, proxy=proxy)
    with FrameReader(original) as a, FrameReader(proxy) as b:
        shown = b.seek(2).rgb
        a.size = (shown.shape[1], shown.shape[0])
        want = a.seek(2).rgb
    height, width = shown.shape[:2]
    for k, colour in enumerate(BARS):
        x = (2 * k + 1) * width // (2 * len(BARS))  # the middle of each bar
        got_bar = shown[height // 4 : height * 3 // 4, x - 20 : x + 20].astype(float).mean(axis=(0, 1))
        want_bar = want[height // 4 : height * 3 // 4, x - 20 : x + 20].astype(float).mean(axis=(0, 1))
        assert np.abs(want_bar - np.array(colour)).max() <= 6, "the original shows its bars as drawn"
        assert np.abs(got_bar - want_bar).max() < 4, (colour, got_bar, want_bar)


def test_the_proxys_picture_is_swscales_area_average(clip: ClipFactory, tmp_path: Path) -> None:
    """The 8-bit 4:2:0 path scales the three planes apart (cheaper than swscale's 4:2:0 path): the
    brightness is bit for bit swscale's area average, the colour within the chroma siting's shift."""
    path = clip(seed=9, frames=4, width=1920, height=1080)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        writer = ProxyWriter(tmp_path / "p.mp4", stream)
        for frame in container.decode(stream):
            small = writer.add(frame)
            assert small is not None
            whole = VideoReformatter().reformat(
                frame, width=480, height=270, format="yuv420p", interpolation="AREA", threads=1
            )
            got, want = small.to_ndarray().astype(int), whole.to_ndarray().astype(int)
            assert np.array_equal(got[:270], want[:270])
            assert np.abs(got[270:] - want[270:]).mean() < 0.5
        assert writer.finish() is not None


def test_proxies_of_an_earlier_format_are_dropped_and_made_again(clip: ClipFactory, tmp_path: Path) -> None:
    media = tmp_path / "media"
    place(clip(seed=5, frames=12), media / "a.mp4")
    target = tmp_path / "p.trproj"
    with open_project(target) as project:
        ingest(project, [media], workers=1)
        with project.sessions() as session:
            row = next(queries.take_rows(session, [1]))
    old = cache.cache_root() / "proxies" / row["content_hash"][-2:] / f"{row['content_hash']}.mp4"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"a proxy without colour tags")
    cache.proxy_path(row["content_hash"]).unlink()
    assert main(["analyze", str(target)]) == 0
    assert not old.parent.exists(), "the earlier format's folder is gone"
    assert existing_proxy(row["content_hash"]) is not None
