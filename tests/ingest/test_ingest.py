"""Ingest end to end: a folder of good, odd and broken files, then again, then after moves and edits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.ingest.ingest import Ingestor, ingest
from reviewer.ingest.shots import shot_from_path
from reviewer.media import cache
from reviewer.review.decisions import Decision, decide
from reviewer.store import local, queries
from reviewer.store import models as m
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place


@pytest.fixture
def media(tmp_path: Path, clip: ClipFactory) -> Path:
    root = tmp_path / "media"
    place(clip(".mp4", codec="h264", seed=1), root / "SH010" / "take_a.mp4")
    place(clip(".webm", codec="vp9", seed=2), root / "SH010" / "take_b.webm")
    place(clip(".mkv", codec="hevc", pix_fmt="yuv420p10le", seed=3), root / "SH020" / "take c ü.mkv")
    place(clip(".mov", codec="prores", frames=12, width=320, height=180), root / "misc" / "sh_030_v1.mov")
    place(clip(".mkv", codec="av1", frames=24), root / "misc" / "shot40-render.mkv")
    (root / "misc" / "notes.txt").write_text("not a video, not a candidate")
    (root / "broken").mkdir()
    (root / "broken" / "empty.mp4").write_bytes(b"")
    (root / "broken" / "html.mp4").write_text("<html>oops</html>")
    (root / "broken" / "dir.mov").mkdir()
    (root / "broken" / "dangling.mp4").symlink_to(root / "broken" / "nowhere.mp4")
    data = clip(".mp4", seed=9).read_bytes()
    (root / "broken" / "truncated.mp4").write_bytes(data[: len(data) // 3])
    return root


def takes_by_name(project: Project) -> dict[str, m.Take]:
    with project.sessions() as session:
        return {t.name: t for t in session.scalars(select(m.Take))}


def test_ingest_reads_every_readable_file_and_reports_the_rest(project: Project, media: Path) -> None:
    problems: list[tuple[str, str]] = []
    report = Ingestor(project, workers=2, on_problem=lambda p, r: problems.append((p, r))).run([media])
    assert report.added == 5 and report.unchanged == 0
    assert sorted(Path(p).name for p, _ in report.problems) == sorted(
        ["empty.mp4", "html.mp4", "dir.mov", "dangling.mp4", "truncated.mp4"]
    )
    assert problems == report.problems
    takes = takes_by_name(project)
    assert takes["take c ü.mkv"].bit_depth == 10 and takes["take c ü.mkv"].video_codec == "hevc"
    assert takes["shot40-render.mkv"].video_codec == "av1"
    with project.sessions() as session:
        stored = {Path(p.path).name: p.reason for p in queries.problems(session)}
        shots = {t.name: t.shot.code if t.shot else None for t in session.scalars(select(m.Take))}
    assert stored["empty.mp4"] == "empty file (0 bytes)"
    assert stored["dir.mov"] == "is a folder, not a video file"
    assert stored["dangling.mp4"].startswith("broken link")
    assert shots == {
        "take_a.mp4": "SH010",
        "take_b.webm": "SH010",
        "take c ü.mkv": "SH020",
        "sh_030_v1.mov": "SH030",
        "shot40-render.mkv": "SH040",
    }
    for take in takes.values():
        assert cache.poster_path(take.content_hash).is_file()
        assert cache.filmstrip_path(take.content_hash).is_file()


def test_second_run_skips_unchanged_and_notices_edits(
    project: Project, media: Path, clip: ClipFactory
) -> None:
    ingest(project, [media], workers=0)
    again = ingest(project, [media], workers=0)
    assert again.unchanged == 5 and again.added == again.updated == 0
    place(clip(".mp4", codec="h264", seed=77, frames=30), media / "SH010" / "take_a.mp4")
    third = ingest(project, [media], workers=0)
    assert third.updated == 1 and third.unchanged == 4
    assert takes_by_name(project)["take_a.mp4"].frame_count == 30


def test_moved_file_keeps_its_decisions(project: Project, media: Path) -> None:
    ingest(project, [media], workers=0)
    take = takes_by_name(project)["take_b.webm"]
    decide(project, take.id, Decision(verdict="keep", rating=4, tags_added=("camera",)))
    (media / "SH020" / "renamed b.webm").parent.mkdir(exist_ok=True)
    os.rename(media / "SH010" / "take_b.webm", media / "SH020" / "renamed b.webm")
    report = ingest(project, [media], workers=0)
    assert report.moved == 1 and report.added == 0
    moved = takes_by_name(project)["renamed b.webm"]
    assert moved.id == take.id
    with project.sessions() as session:
        row = next(queries.take_rows(session, [take.id]))
    assert row["rating"] == 4 and row["tags"] == ["camera"] and row["stage"] == "Shortlist"
    assert row["shot"] == "SH020"  # shot rules follow the new folder


def test_vanished_file_is_flagged_missing_not_deleted(project: Project, media: Path) -> None:
    ingest(project, [media], workers=0)
    (media / "misc" / "sh_030_v1.mov").unlink()
    ingest(project, [media], workers=0)
    takes = takes_by_name(project)
    assert takes["sh_030_v1.mov"].missing and not takes["take_a.mp4"].missing


def test_a_repaired_file_leaves_the_problem_list(project: Project, media: Path, clip: ClipFactory) -> None:
    ingest(project, [media], workers=0)
    place(clip(".mp4", seed=5), media / "broken" / "html.mp4")
    ingest(project, [media], workers=0)
    with project.sessions() as session:
        names = {Path(p.path).name for p in queries.problems(session)}
    assert "html.mp4" not in names and "empty.mp4" in names


def test_ingest_of_a_subfolder_reuses_the_media_root(project: Project, media: Path) -> None:
    ingest(project, [media], workers=0)
    ingest(project, [media / "SH010"], workers=0)
    with project.sessions() as session:
        assert len(list(session.scalars(select(m.MediaRoot)))) == 1
        assert len(list(session.scalars(select(m.Take)))) == 5


def test_sidecar_shot_beats_the_folder(project: Project, clip: ClipFactory, tmp_path: Path) -> None:
    video = place(clip(".mp4"), tmp_path / "in" / "SH010" / "x.mp4")
    video.with_suffix(".json").write_text(json.dumps({"shot": "70", "prompt": "p"}))
    ingest(project, [tmp_path / "in"], workers=0)
    with project.sessions() as session:
        take = session.scalars(select(m.Take)).one()
        assert take.shot is not None and take.shot.code == "SH070" and take.shot_source == "metadata"


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("SH010/take.mp4", "SH010"),
        ("sh_010_v2.mp4", "SH010"),
        ("Shot-7/a.mp4", "SH007"),
        ("ep1/shot010/sh020_final.mov", "SH020"),
        ("fish_010.mp4", ""),
        ("crash030.mp4", ""),
    ],
)
def test_shot_rules(rel: str, code: str) -> None:
    from pathlib import PurePosixPath

    assert shot_from_path(PurePosixPath(rel))[0] == code


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
    )


def test_cli_ingest_then_takes_json_and_problems(media: Path, tmp_path: Path) -> None:
    project = tmp_path / "cli.trproj"
    result = run_cli("ingest", str(project), str(media), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    unreadable = [line for line in result.stderr.splitlines() if line.startswith("unreadable: ")]
    assert len(unreadable) == 5
    assert result.stdout.startswith(
        "Ingested 5 takes (5 new, 0 updated, 0 moved, 0 unchanged), 5 unreadable in "
    )
    assert "files/s probed once the workers were up" in result.stdout

    rows = [json.loads(line) for line in run_cli("takes", str(project), "--json").stdout.splitlines()]
    assert len(rows) == 5
    required = {"id", "path", "shot", "width", "height", "fps", "frame_count", "duration_s", "video_codec",
                "has_audio", "rotation", "prompt", "seed", "model", "stage", "verdict", "rating", "tags"}  # fmt: skip
    for row in rows:
        assert required <= row.keys()
        assert Path(row["path"]).is_absolute() and Path(row["path"]).exists()
        num, den = map(int, row["fps"].split("/"))
        assert num > 0 and den > 0
        assert row["stage"] == "Triage" and row["verdict"] is None
    problems = [json.loads(line) for line in run_cli("problems", str(project), "--json").stdout.splitlines()]
    assert {Path(p["path"]).name for p in problems} >= {"empty.mp4", "truncated.mp4"}
    assert all(p["reason"] for p in problems)


def test_cli_ingest_into_an_unwritable_place_fails(media: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("ingest", str(blocker / "sub" / "p.trproj"), str(media))
    assert result.returncode != 0
    assert result.stderr.startswith("reviewer: ") and "Traceback" not in result.stderr


def test_cli_ingest_of_a_path_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    result = run_cli("ingest", str(tmp_path / "p.trproj"), str(tmp_path / "nope"))
    assert result.returncode == 0
    assert "not found" in result.stderr


def test_project_opened_read_only_by_second_process_sees_ingest(project: Project, media: Path) -> None:
    ingest(project, [media], workers=0)
    other = open_project(project.url)
    with other.sessions() as session:
        assert len(list(session.scalars(select(m.Take.id)))) == 5
    other.close()


def test_ingest_of_a_folder_above_a_media_root_keeps_each_take_once(project: Project, media: Path) -> None:
    ingest(project, [media / "SH010"], workers=0)  # the root is media/SH010
    report = ingest(project, [media], workers=0)  # then the folder above it
    assert report.unchanged == 2 and report.added == 3
    with project.sessions() as session:
        roots = local.root_paths(session)
        paths = [str(Path(roots[t.root_id]) / t.relpath) for t in session.scalars(select(m.Take))]
    assert len(paths) == len(set(paths)) == 5


def test_a_cache_that_cannot_be_written_costs_the_pictures_not_the_findings(
    project: Project, clip: ClipFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache folder that cannot be written (here a path through a file; a full disk or a folder
    without permission likewise) used to fail every take's analysis as "unreadable". The takes are
    analysed and stored; the reason is reported once, in the report; the takes are not analysed again
    by the next pass for pictures that cannot be kept."""
    media = tmp_path / "media"
    for seed in (1, 2, 3):
        place(clip(seed=seed, frames=12), media / f"t{seed}.mp4")
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("TAKE_REVIEWER_CACHE", str(tmp_path / "a file" / "cache"))
    problems: list[tuple[str, str]] = []
    report = Ingestor(project, workers=0, on_problem=lambda p, r: problems.append((p, r))).run([media])
    assert problems == [] and report.problems == []
    assert report.filmstrips == 3
    assert "cannot be written" in report.cache_problem and "a file" in report.cache_problem
    with project.sessions() as session:
        assert len(session.scalars(select(m.TakeAnalysis)).all()) == 3
    again = Ingestor(project, workers=0).analyze()
    assert again.filmstrips == 0 and again.cache_problem


def test_a_picture_the_cache_refuses_midway_is_reported_and_the_analysis_kept(
    project: Project, clip: ClipFactory, tmp_path: Path
) -> None:
    """The cache folder takes files, but its pictures' folder cannot be made (a file is in its way):
    the posters and filmstrips are not written, the proxies and the findings are."""
    place(clip(seed=4, frames=12), tmp_path / "media" / "t.mp4")
    root = cache.cache_root()
    root.mkdir(parents=True, exist_ok=True)
    (root / "thumbs").write_text("in the way")
    report = Ingestor(project, workers=0).run([tmp_path / "media"])
    assert report.problems == [] and report.filmstrips == 1
    assert "cannot be written" in report.cache_problem
    with project.sessions() as session:
        take = session.scalars(select(m.Take)).one()
        assert session.get(m.TakeAnalysis, take.id) is not None
    assert cache.proxy_path(take.content_hash).is_file()
