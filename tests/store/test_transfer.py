"""`reviewer migrate`: a real project copied SQLite -> PostgreSQL -> SQLite, every row of every table
compared, and both copies still working (new decisions get new ids, search finds takes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reviewer.cli import main
from reviewer.ingest.ingest import ingest
from reviewer.review import shots
from reviewer.review.decisions import Decision, decide, undo
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place


def tables(project: Project) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with project.engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            key = list(table.primary_key.columns)
            out[table.name] = [dict(r._mapping) for r in conn.execute(select(table).order_by(*key))]
    return out


@pytest.fixture
def source(tmp_path: Path, clip: ClipFactory) -> Path:
    media = tmp_path / "média files"
    for k in range(4):
        place(clip(".mp4", seed=60 + k, frames=24), media / f"SH0{1 + k // 2}0" / f"take {k} é.mp4")
    (media / "SH010" / "take 0 é.json").write_text('{"model": "wan2.2", "seed": 5, "prompt": "a red truck"}')
    path = tmp_path / "solo.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)  # probed and analysed: the take_analysis rows come too
    decide(project, [1, 2, 3], Decision(verdict="keep", rating=3), reviewer="anna")
    decide(project, 4, Decision(verdict="reject", tags_added=("morphing",)), reviewer="ben")
    decide(project, 1, Decision(note="hand melts", frame_in=3, frame_out=9), reviewer="ben")
    change = decide(project, 2, Decision(rating=5), reviewer="anna")
    undo(project, change.event_ids, reviewer="anna")
    decide(project, [1, 3], Decision(verdict="keep"), reviewer="anna")  # to Selects, the last stage
    shots.set_hero(project, 1, 2, 20, reviewer="anna")
    shots.create_shot(project, "SH030", title="Pack shot", target_frames=96)
    project.close()
    return path


def test_a_project_goes_to_postgresql_and_back_unchanged(source: Path, pg_url: str, tmp_path: Path) -> None:
    solo = open_project(source)
    before = tables(solo)
    solo.close()
    assert main(["migrate", str(source), pg_url]) == 0
    shared = open_project(pg_url)
    assert tables(shared) == before
    assert shared.engine.dialect.name == "postgresql"

    # Working copies: a new decision gets the next ids, and search finds the prompt's words.
    change = decide(shared, 3, Decision(verdict="keep"), reviewer="chloe")
    assert min(change.event_ids) > max(e["id"] for e in before["events"])
    with shared.sessions() as session:
        found = session.scalars(queries.select_takes(session, queries.TakeFilter(text="red tru"))).all()
        assert found == [1]
    shared.close()

    back = tmp_path / "back.trproj"
    assert main(["migrate", pg_url, str(back)]) == 0
    again = open_project(back)
    after = tables(again)
    assert after["takes"] == before["takes"] and after["take_analysis"] == before["take_analysis"]
    assert len(after["events"]) == len(before["events"]) + 1  # chloe's keep came along
    with again.sessions() as session:
        assert session.scalars(queries.select_takes(session, queries.TakeFilter(text="red tru"))).all() == [1]
        hero = session.scalar(select(m.Shot.hero_take_id).where(m.Shot.code == "SH010"))
        assert hero == 1
    again.close()


def test_migrating_into_a_project_with_takes_is_refused(
    source: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", str(source), pg_url]) == 0
    capsys.readouterr()
    assert main(["migrate", str(source), pg_url]) == 1
    assert "already holds a project" in capsys.readouterr().err
    assert main(["migrate", str(source.with_name("nope.trproj")), pg_url]) == 1
    assert "No project at" in capsys.readouterr().err
