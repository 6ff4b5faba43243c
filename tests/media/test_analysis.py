"""Quality signals on generated takes with known truth: ranges exact to within one frame, no false alarms
on clean takes, near-duplicates found across codecs and sizes, sound checked for silence and clipping."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from reviewer.cli import main
from reviewer.ingest.ingest import ingest
from reviewer.media.analysis import VERSION, Analysis, Signal, analyze, distance, runs
from reviewer.media.synth import Defect
from reviewer.review.duplicates import near_duplicates, stacks
from reviewer.store import queries
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place


def close(found: list[tuple[int, int]], expected: list[tuple[int, int]]) -> bool:
    """The same ranges, each end within one frame."""
    return len(found) == len(expected) and all(
        abs(a - c) <= 1 and abs(b - d) <= 1 for (a, b), (c, d) in zip(found, expected, strict=True)
    )


@pytest.mark.parametrize("codec, suffix", [("h264", ".mp4"), ("vp9", ".webm"), ("hevc", ".mkv")])
def test_known_defects_are_found_where_they_are(clip: ClipFactory, codec: str, suffix: str) -> None:
    cases = {
        "freeze": (Defect("freeze", 20, 40), "frozen", [(19, 39)]),
        "black": (Defect("black", 0, 10), "black", [(0, 9)]),
        "cut": (Defect("cut", 30, 72), "cut", [(30, 30)]),
        "flicker": (Defect("flicker", 40, 52), "flicker", [(40, 51)]),
    }
    for defect, name, expected in cases.values():
        a, _ = analyze(clip(suffix, codec=codec, frames=72, seed=1, defects=[defect]))
        assert name in a.signals, (codec, name, a.signals)
        assert close(a.signals[name].ranges, expected), (codec, name, a.signals[name].ranges)
        others = set(a.signals) - {name}
        if name in ("flicker", "cut"):
            # The other scene (after the cut) and this one outside the flicker have their vehicle
            # drive out of the picture: nothing moves there, and that is rightly frozen, but only there.
            assert others <= {"frozen"}, (codec, name, a.signals)
            for first, last in a.signals.get("frozen", Signal(0)).ranges:
                assert last < expected[0][0] or first > expected[0][1], (codec, name, a.signals)
        else:
            assert others == set(), (codec, name, a.signals)


def test_a_clean_take_raises_no_alarm(clip: ClipFactory) -> None:
    for codec, suffix in (
        ("h264", ".mp4"),
        ("vp9", ".webm"),
        ("hevc", ".mkv"),
        ("prores", ".mov"),
        ("av1", ".mkv"),
    ):
        a, _ = analyze(clip(suffix, codec=codec, frames=72, seed=1))
        assert a.signals == {}, (codec, a.signals)
        assert a.broken() == [] and a.motion > 0 and a.sharpness > 0


def test_a_pool_workers_one_thread_decode_finds_the_same(clip: ClipFactory, tmp_path: Path) -> None:
    """The pass's workers decode on one thread each: the same findings, filmstrip and proxy as with the
    decoder's own threads."""
    path = clip(".mp4", frames=60, seed=4, defects=[Defect("freeze", 20, 35), Defect("flicker", 40, 50)])
    threaded, strip_a = analyze(path, 60, 10, 72, proxy=tmp_path / "a.mp4")
    single, strip_b = analyze(path, 60, 10, 72, proxy=tmp_path / "b.mp4", threads=1)
    assert single.as_dict() == threaded.as_dict() and set(single.signals) == {"frozen", "flicker"}
    assert strip_a is not None and strip_b is not None and np.array_equal(strip_a, strip_b)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_a_still_image_is_a_still(clip: ClipFactory) -> None:
    a, _ = analyze(clip(".mp4", frames=48, seed=1, defects=[Defect("freeze", 1, 48)]))
    assert a.signals["still"].ranges == [(0, 47)] and a.broken() == ["still"]


def test_one_frame_and_the_filmstrip_in_the_same_pass(clip: ClipFactory) -> None:
    a, strip = analyze(clip(".mp4", frames=1, seed=3), frame_count=1, strip_frames=10, strip_height=72)
    assert a.frames == 1 and a.signals == {} and strip is not None and strip.shape[0] == 72
    a, strip = analyze(clip(".mp4", frames=48, seed=3), frame_count=48, strip_frames=10, strip_height=72)
    assert strip is not None and strip.shape == (72, 10 * 128, 3)


def test_a_reencoded_rescaled_copy_is_a_near_duplicate_and_other_takes_are_not(clip: ClipFactory) -> None:
    original, _ = analyze(clip(".mp4", frames=48, seed=11))
    copy, _ = analyze(clip(".webm", codec="vp9", frames=48, seed=11, width=320, height=180))
    other_seeds = [analyze(clip(".mp4", frames=48, seed=s))[0] for s in (12, 13, 14, 15)]
    assert distance(original.hashes, copy.hashes) <= 4
    for other in other_seeds:
        assert distance(original.hashes, other.hashes) >= 14


def _sound(path: Path, seconds: float, level: np.ndarray) -> Path:
    """A short H.264 take with AAC sound shaped by ``level`` (one gain per tenth of a second)."""
    rate = 48000
    with av.open(str(path), "w") as out:
        video = out.add_stream("h264", rate=24)
        video.width, video.height, video.pix_fmt = 160, 90, "yuv420p"
        audio = out.add_stream("aac", rate=rate)
        t = np.arange(int(seconds * rate)) / rate
        gains = np.repeat(level, rate // 10)[: len(t)]
        samples = (np.sin(2 * np.pi * 440 * t) * gains).astype(np.float32)
        samples = np.clip(samples, -1, 1)
        for start in range(0, len(samples), 1024):
            chunk = samples[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = rate
            for packet in audio.encode(frame):
                out.mux(packet)
        for i in range(int(seconds * 24)):
            img = np.full((90, 160, 3), (i * 7) % 255, np.uint8)
            img[:, : (i * 3) % 160] = 200
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                out.mux(packet)
    return path


def test_silence_and_clipping_in_the_sound(tmp_path: Path) -> None:
    # 0-1 s a tone, 1-2 s silence, 2-3 s a tone driven far past full scale.
    level = np.concatenate([np.full(10, 0.3), np.zeros(10), np.full(10, 4.0)])
    a, _ = analyze(_sound(tmp_path / "sound.mp4", 3.0, level))
    assert close(a.signals["silence"].ranges, [(24, 47)]) or a.signals["silence"].ranges[0][0] in range(
        23, 27
    )
    (first, last), *_ = a.signals["clipping"].ranges
    assert 46 <= first <= 50 and last >= 68


def test_runs() -> None:
    assert runs(np.array([0, 1, 1, 0, 1, 0, 1, 1, 1], bool)) == [(1, 2), (4, 4), (6, 8)]
    assert runs(np.array([1, 1, 0, 1], bool), 2) == [(0, 1)]
    assert runs(np.zeros(0, bool)) == []


def test_ingest_analyses_takes_and_the_cli_reports_them(tmp_path: Path, clip: ClipFactory, capsys) -> None:  # type: ignore[no-untyped-def]
    media = tmp_path / "media"
    # Seeds whose vehicle enters the picture at once and stays: nothing in them is frozen but the freeze.
    place(clip(".mp4", frames=48, seed=6), media / "SH010" / "clean.mp4")
    place(clip(".mp4", frames=48, seed=6, width=320, height=180), media / "SH010" / "copy.mp4")
    place(clip(".mp4", frames=48, seed=3, defects=[Defect("freeze", 10, 40)]), media / "SH010" / "frozen.mp4")
    place(clip(".mp4", frames=48, seed=4, defects=[Defect("cut", 24, 48)]), media / "SH020" / "cut.mp4")
    path = tmp_path / "p.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    with project.sessions() as session:
        ids = {r["name"]: r for r in queries.take_rows(session, list(range(1, 5)))}
        assert ids["frozen.mp4"]["signals"]["broken"] == ["frozen"]
        assert ids["frozen.mp4"]["signals"]["found"]["frozen"]["ranges"] == [[9, 39]]
        assert ids["cut.mp4"]["signals"]["found"]["cut"]["ranges"] == [[24, 24]]
        assert ids["clean.mp4"]["signals"] == {"version": VERSION, "found": {}, "motion": pytest.approx(
            ids["clean.mp4"]["signals"]["motion"]), "sharpness": pytest.approx(ids["clean.mp4"]["signals"]["sharpness"]),
            "broken": []}  # fmt: skip
        assert queries.broken_counts(session)["total"] == 2
        clean_id, copy_id = ids["clean.mp4"]["id"], ids["copy.mp4"]["id"]
        assert [t for t, _ in near_duplicates(session, clean_id)] == [copy_id]
        assert stacks(session) == [sorted([clean_id, copy_id])]
    project.close()
    assert main(["analyze", str(path)]) == 0  # everything current: nothing to do
    assert "0 takes analysed" in capsys.readouterr().out
    assert main(["analyze", str(path), "--force", "--workers", "0"]) == 0
    out = capsys.readouterr().out
    assert "4 takes analysed" in out and "2 takes look broken: 1 frozen, 1 cut" in out
    assert main(["takes", str(path), "--json", "--broken"]) == 0
    names = [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(names) == ["cut.mp4", "frozen.mp4"]
    assert main(["takes", str(path), "--duplicates-of", "clean.mp4"]) == 0
    assert "copy.mp4" in capsys.readouterr().out


def test_an_analysis_round_trips_through_json() -> None:
    a = Analysis(VERSION, 10, {"cut": Signal(1.0, [(4, 4)])}, 1.5, 200.0, [2**63 + 5, 7])
    assert Analysis.from_dict(json.loads(json.dumps(a.as_dict()))) == a
