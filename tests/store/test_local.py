"""Media roots mapped per workstation: the same shared storage mounted at another path here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.export.selection import select_heroes
from reviewer.ingest.ingest import ingest
from reviewer.review import shots
from reviewer.review.decisions import Decision, decide
from reviewer.store import local, queries
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place


def test_prefixes_map_whole_folders_the_longest_first() -> None:
    mapping = {"/mnt/ad": "/Volumes/ad", "/mnt/ad/renders": "/fast/renders", "Z:\\\\": "/mnt/z"}
    assert local.local_path("/mnt/ad/SH010/a.mp4", mapping) == "/Volumes/ad/SH010/a.mp4"
    assert local.local_path("/mnt/ad/renders/a.mp4", mapping) == "/fast/renders/a.mp4"
    assert local.local_path("/mnt/adverts/a.mp4", mapping) == "/mnt/adverts/a.mp4"  # not a prefix of /mnt/ad
    assert local.local_path("/mnt/ad", mapping) == "/Volumes/ad"
    assert local.local_path("/elsewhere/a.mp4", mapping) == "/elsewhere/a.mp4"


def test_a_project_ingested_elsewhere_plays_from_where_this_workstation_mounts_it(
    tmp_path: Path, clip: ClipFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    there = tmp_path / "mnt" / "ad"
    place(clip(".mp4", seed=70, frames=24), there / "SH010" / "a.mp4")
    project = open_project(tmp_path / "p.trproj")
    ingest(project, [there], workers=0)
    decide(project, 1, Decision(verdict="keep"))
    decide(project, 1, Decision(verdict="keep"))  # at Selects: a hero
    shots.set_hero(project, 1)
    here = tmp_path / "Volumes" / "ad"
    here.parent.mkdir()
    shutil.move(there, here)  # the same storage, mounted elsewhere on this workstation

    assert main(["roots", project.url]) == 0
    assert "NOT FOUND here" in capsys.readouterr().out
    assert main(["roots", project.url, "--map", str(there), str(here)]) == 0
    said = capsys.readouterr().out
    assert f"{there} -> {here}" in said and "1 takes; found" in said

    with project.sessions() as session:
        (row,) = queries.take_rows(session, [1])
        assert row["path"] == str(here / "SH010" / "a.mp4") and Path(row["path"]).is_file()
        assert queries.find_take(session, str(here / "SH010" / "a.mp4")) == 1
        (hero,) = shots.heroes(session).values()
        assert hero.path == row["path"]
    assert select_heroes(project).clips[0].path_text == row["path"]
    report = ingest(project, [here], workers=0)  # a re-scan here finds the same take, not a new one
    assert (report.added, report.moved, report.unchanged) == (0, 0, 1)
    project.close()
    assert main(["roots", str(tmp_path / "p.trproj"), "--unmap", str(there)]) == 0
    assert "NOT FOUND here" in capsys.readouterr().out
