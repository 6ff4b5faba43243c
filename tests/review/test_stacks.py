"""Stacks on real takes: one by the pictures (a rescaled copy), one by model, prompt and seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reviewer.ingest.ingest import ingest
from reviewer.review import stacks
from reviewer.review.catalog import Catalog
from reviewer.review.decisions import Decision, decide
from reviewer.store import queries
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place

SAME = {"generator": "ComfyUI", "model": "wan2.2", "seed": 77, "prompt": "a red truck at dawn"}


@pytest.fixture
def stacked(tmp_path: Path, clip: ClipFactory) -> tuple[Project, dict[str, int]]:
    media = tmp_path / "media"
    place(clip(".mp4", frames=24, seed=6), media / "SH010" / "clean.mp4")
    place(clip(".mp4", frames=24, seed=6, width=320, height=180), media / "SH010" / "copy.mp4")
    place(clip(".mp4", frames=24, seed=6, width=320, height=180), media / "SH020" / "copy elsewhere.mp4")
    for folder, name, seed in (("SH010", "r1", 11), ("SH010", "r2", 12), ("SH020", "r3", 13)):
        place(clip(".mp4", frames=24, seed=seed), media / folder / f"{name}.mp4")
        (media / folder / f"{name}.json").write_text(json.dumps(SAME))
    place(clip(".mp4", frames=24, seed=14), media / "SH010" / "other.mp4")
    (media / "SH010" / "other.json").write_text(json.dumps({**SAME, "seed": 78}))
    project = open_project(tmp_path / "p.trproj")
    ingest(project, [media], workers=0)  # probes and analyses: the pictures' hashes
    with project.sessions() as session:
        names = {r["name"]: r["id"] for r in queries.take_rows(session, list(range(1, 8)))}
    return project, names


def test_stacks_are_found_within_a_shot_by_pictures_or_by_generation(
    stacked: tuple[Project, dict[str, int]],
) -> None:
    project, ids = stacked
    with project.sessions() as session:
        groups = stacks.find(session)
    assert groups == sorted(
        [sorted([ids["clean.mp4"], ids["copy.mp4"]]), sorted([ids["r1.mp4"], ids["r2.mp4"]])]
    )
    project.close()


def test_folding_shows_each_stack_once_by_its_best_take(stacked: tuple[Project, dict[str, int]]) -> None:
    project, ids = stacked
    decide(project, ids["r2.mp4"], Decision(rating=4))
    with project.sessions() as session:
        cat = Catalog.load(session)
        built = stacks.Stacks.build(cat, stacks.find(session))
    rows = cat.select(queries.TakeFilter())
    row = cat.row_of
    folded = stacks.fold(cat, built, rows)
    shown = {cat.name[r] for r in folded.rows}
    assert shown == {"clean.mp4", "copy elsewhere.mp4", "r2.mp4", "r3.mp4", "other.mp4"}
    # r2 is rated: it stands for its stack; clean and copy are unrated, so the first shown stands.
    assert folded.members[row[ids["r2.mp4"]]] == [row[ids["r2.mp4"]], row[ids["r1.mp4"]]]
    assert sorted(folded.members[row[ids["clean.mp4"]]]) == sorted(
        [row[ids["clean.mp4"]], row[ids["copy.mp4"]]]
    )
    order = [int(r) for r in rows]
    assert [int(r) for r in folded.rows] == [r for r in order if cat.name[r] not in ("copy.mp4", "r1.mp4")]

    # An open stack shows every member, marked with its place.
    number = built.stack_of(row[ids["r1.mp4"]])
    opened = stacks.fold(cat, built, rows, frozenset({number}))
    assert {cat.name[r] for r in opened.rows} >= {"r1.mp4", "r2.mp4"}
    assert sorted(opened.open_members.values()) == [(1, 2), (2, 2)]
    assert row[ids["r2.mp4"]] not in opened.members

    # A filter that leaves one member out leaves no stack to fold.
    only_rated = cat.select(queries.TakeFilter(min_rating=1))
    assert stacks.fold(cat, built, only_rated).members == {}

    # A take moved to another shot leaves its stack at once (the catalogue knows its shot).
    cat.shot[row[ids["r1.mp4"]]] = cat.shot[row[ids["r3.mp4"]]]
    moved = stacks.fold(cat, built, rows)
    assert row[ids["r2.mp4"]] not in moved.members and len(moved.rows) == len(folded.rows) + 1
    project.close()


def test_nothing_to_fold() -> None:
    cat = Catalog(stages=["Triage"], shot_order={}, reviewers={})
    empty = stacks.fold(cat, stacks.Stacks(), np.zeros(0, np.int64))
    assert len(empty.rows) == 0 and empty.members == {}
