"""The in-memory catalogue against the store: the same takes for every filter, sorts, funnel, refresh."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from reviewer.review.catalog import COLUMN_KEYS, Catalog, read_update
from reviewer.review.decisions import Decision, decide, move_to_shot, undo
from reviewer.store import models as m
from reviewer.store import queries, synthetic
from reviewer.store.db import Project, open_project


@pytest.fixture(scope="module")
def filled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filled") / "filled.trproj"
    project = open_project(path)
    synthetic.fill(project, 3000, shots=6, seed=3)
    with project.session() as session:  # what an analysis pass found in some of them
        for take_id, broken in (
            (5, "frozen"),
            (6, "frozen,cut"),
            (7, "cut"),
            (8, ""),
            (9, "still"),
            (10, "black"),
        ):
            session.add(m.TakeAnalysis(take_id=take_id, version=1, content_hash="x", broken=broken, data={}))
        # AI disclosures of every kind: a third generated, a third not, the rest unknown
        session.execute(update(m.Take).where(m.Take.id % 3 == 0).values(ai_generated=True, ai_basis="c2pa"))
        session.execute(update(m.Take).where(m.Take.id % 3 == 1).values(ai_generated=False, ai_basis="rule"))
    project.close()
    return path


@pytest.fixture
def filled(filled_file: Path, tmp_path: Path) -> Iterator[Project]:
    """A fresh copy of 3,000 synthetic takes with a month of triage in them."""
    copy = tmp_path / "filled.trproj"
    shutil.copyfile(filled_file, copy)
    project = open_project(copy)
    yield project
    project.close()


def load(project: Project) -> Catalog:
    with project.engine.connect() as conn:
        return Catalog.load(conn)


def sql_ids(project: Project, f: queries.TakeFilter) -> list[int]:
    with project.sessions() as session:
        return list(session.scalars(queries.select_takes(session, f)))


def cat_ids(project: Project, cat: Catalog, f: queries.TakeFilter) -> list[int]:
    text_rows = None
    if f.text.strip():
        with project.sessions() as session:
            text_rows = cat.text_rows(session, f.text)
    return [int(cat.ids[r]) for r in cat.select(f, text_rows)]


FILTERS = [
    queries.TakeFilter(),
    *(
        queries.TakeFilter(stage=s, status=st)
        for s, st in itertools.product((0, 1, 2), ("pending", "kept", "rejected", "reached"))
    ),
    queries.TakeFilter(shots=("SH020", "SH040")),
    queries.TakeFilter(min_rating=3),
    queries.TakeFilter(tags=("flicker",)),
    queries.TakeFilter(tags=("flicker", "morphing")),
    queries.TakeFilter(reviewers=("anna", "dev")),
    queries.TakeFilter(models=("veo-3",)),
    queries.TakeFilter(has_audio=True),
    queries.TakeFilter(has_audio=False, stage=0, status="rejected"),
    queries.TakeFilter(text="truck"),
    queries.TakeFilter(text="golden retr", shots=("SH010",), stage=0, status="reached"),
    queries.TakeFilter(shots=("SH999",)),
    queries.TakeFilter(broken="any"),
    queries.TakeFilter(broken="cut"),
    queries.TakeFilter(broken="frozen", shots=("SH060",)),
    queries.TakeFilter(ai="yes"),
    queries.TakeFilter(ai="no", stage=0, status="pending"),
    queries.TakeFilter(ai="unknown", shots=("SH010",)),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f)[11:70])
def test_every_filter_gives_the_same_takes_in_the_same_order_as_sql(
    filled: Project, f: queries.TakeFilter
) -> None:
    cat = load(filled)
    assert cat_ids(filled, cat, f) == sql_ids(filled, f)


def test_funnel_matches_the_store(filled: Project) -> None:
    cat = load(filled)
    with filled.sessions() as session:
        assert cat.funnel().as_dict() == queries.funnel(session).as_dict()


def test_sorting_by_every_column_is_a_permutation_and_ordered(filled: Project) -> None:
    cat = load(filled)
    rows = cat.select(queries.TakeFilter(stage=0, status="reached"))
    for key in COLUMN_KEYS:
        for descending in (False, True):
            ordered = cat.sort(rows, key, descending)
            assert sorted(ordered.tolist()) == sorted(rows.tolist())
    by_rating = cat.sort(rows, "rating", descending=True)
    ratings = cat.rating[by_rating]
    assert (np.diff(ratings.astype(int)) <= 0).all()
    by_name = [cat.name[r].lower() for r in cat.sort(rows, "name")]
    assert by_name == sorted(by_name)
    by_seed = [int(cat.seed[r]) for r in cat.sort(rows, "seed")]
    assert by_seed == sorted(by_seed)  # seeds sort as numbers, not as text


def test_refresh_follows_decisions_moves_and_undo(filled: Project) -> None:
    cat = load(filled)
    pending = [int(cat.ids[r]) for r in cat.select(queries.TakeFilter(stage=0, status="pending"))[:3]]
    a, b, c = pending
    changes = [
        decide(filled, a, Decision(verdict="keep", rating=5, tags_added=("hero look",))),
        decide(filled, b, Decision(verdict="reject", tags_added=("morphing",))),
        move_to_shot(filled, c, "SH777"),
    ]
    for change in changes:
        with filled.engine.connect() as conn:
            cat.refresh(conn, change.take_ids)
    fresh = load(filled)
    for f in [*FILTERS[:14], queries.TakeFilter(shots=("SH777",)), queries.TakeFilter(tags=("hero look",))]:
        assert cat_ids(filled, cat, f) == cat_ids(filled, fresh, f) == sql_ids(filled, f)
    assert cat.cell(cat.row_of[a], "rating") == "★★★★★"
    assert cat.status(cat.row_of[b]) == "rejected at Triage"
    with filled.engine.connect() as conn:
        cat.refresh(conn, undo(filled, changes[0].event_ids).take_ids)
    assert cat.status(cat.row_of[a]) == "to review at Triage"
    assert cat.tags[cat.row_of[a]] == ()


def test_the_first_page_is_the_first_takes_in_browser_order(filled: Project) -> None:
    with filled.engine.connect() as conn:
        page = Catalog.load(conn, limit=50)
    assert [int(t) for t in page.ids[page.select(queries.TakeFilter())]] == sql_ids(
        filled, queries.TakeFilter()
    )[:50]


def test_an_empty_project_has_an_empty_catalogue(project: Project) -> None:
    cat = load(project)
    assert len(cat) == 0
    assert cat.select(queries.TakeFilter()).tolist() == []
    assert cat.funnel().total == 0


def test_an_update_read_elsewhere_is_applied_except_for_takes_changed_here_since(filled: Project) -> None:
    cat = load(filled)
    a, b = (int(cat.ids[r]) for r in cat.select(queries.TakeFilter(stage=0, status="pending"))[:2])
    decide(filled, [a, b], Decision(verdict="keep", rating=4, tags_added=("wide",)), reviewer="ben")
    with filled.engine.connect() as conn:
        update = read_update(conn, [a, b])  # what a worker reads for the live view
    assert cat.apply(update, skip={b})  # b was decided here meanwhile: its newer state stays
    assert cat.cell(cat.row_of[a], "rating") == "★★★★☆" and cat.tags[cat.row_of[a]] == ("wide",)
    assert cat.status(cat.row_of[b]) == "to review at Triage" and cat.tags[cat.row_of[b]] == ()
    with filled.engine.connect() as conn:
        ghost = read_update(conn, [a])
    ghost.take_ids.append(10**9)  # a take this catalogue has not loaded: the caller must reload
    assert not cat.apply(ghost)
