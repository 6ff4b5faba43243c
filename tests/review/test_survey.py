"""Survey pages and the page rule, and the session's claim, top-up and resume rules, without a window."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.review import session as sess
from reviewer.review import survey
from reviewer.review.catalog import Catalog
from reviewer.review.decisions import PAGE_RULE, Decision, decide, history
from reviewer.review.session import Session, UndoEntry, UndoStack
from reviewer.store import models as m
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes


def catalog(project: Project) -> Catalog:
    with project.sessions() as session:
        return Catalog.load(session)


def test_pages_walk_the_queue_and_fold_stacks() -> None:
    s = Session(stage=0, stage_name="Triage", filter={}, queue=list(range(1, 21)), total=20)
    stacks = {3: [3, 4, 5], 4: [3, 4, 5], 5: [3, 4, 5]}
    page = survey.build_page(s, 4, lambda t: stacks.get(t, [t]))
    assert page.cells == [1, 2, 3, 6] and page.takes(3) == [3, 4, 5]
    assert page.all_takes() == [1, 2, 3, 4, 5, 6]
    s.record(2, "reject")  # a verdict on the page: it leaves the queue, the page stays as it was shown
    s.record(1, "keep")
    assert page.cells == [1, 2, 3, 6]
    survey.turn_page(s, page)
    assert s.current == 7
    assert survey.build_page(s, 9).cells == [7, 8, 9, 10, 11, 12, 13, 14, 15]
    with pytest.raises(KnownError):
        survey.build_page(s, 5)


def test_the_last_page_is_short_and_then_the_queue_is_done() -> None:
    s = Session(stage=0, stage_name="Triage", filter={}, queue=[1, 2, 3], total=3)
    page = survey.build_page(s, 9)
    assert page.cells == [1, 2, 3]
    for t in (1, 2, 3):
        s.record(t, "reject")
    survey.turn_page(s, page)
    assert survey.build_page(s, 9).cells == [] and s.current is None


def test_page_rules_per_stage_with_defaults(project: Project) -> None:
    assert survey.page_rule(project, "Triage", 0) == "reject"  # the first pass marks the few keepers
    assert survey.page_rule(project, "Shortlist", 1) == "leave"
    survey.set_page_rule(project, "Shortlist", "keep")
    assert survey.page_rule(project, "Shortlist", 1) == "keep"
    assert survey.page_rule(project, "Triage", 0) == "reject"
    with pytest.raises(KnownError):
        survey.set_page_rule(project, "Triage", "burn")
    assert survey.describe_rule("reject", 7) == "Enter: reject the 7 unmarked"
    assert survey.describe_rule("keep", 1) == "Enter: keep the one unmarked"
    assert survey.describe_rule("leave", 3) == "Enter: next page (3 left undecided)"


def test_the_page_rule_is_one_event_per_take_and_one_undo(project: Project) -> None:
    ids = add_takes(project, 9)
    s = Session(stage=0, stage_name="Triage", filter={}, queue=list(ids), total=9)
    page = survey.build_page(s, 9)
    decide(project, ids[2], Decision(verdict="reject", stage="Triage"), "anna")
    s.record(ids[2], "reject")
    decide(project, ids[5], Decision(verdict="keep", stage="Triage"), "anna")
    s.record(ids[5], "keep")
    verdicts = {c: s.verdict(c) for c in page.cells}
    assert survey.unmarked(page, verdicts) == [t for t in ids if t not in (ids[2], ids[5])]
    change = survey.apply_page_rule(project, page, "reject", verdicts, "Triage", "anna")
    assert change is not None and len(change.event_ids) == 7
    with project.sessions() as session:
        rows = session.execute(select(m.Event.take_id, m.Event.verdict, m.Event.source)).all()
        assert [(r.verdict, r.source) for r in rows].count(("reject", PAGE_RULE)) == 7
        assert ("keep", None) in [(r.verdict, r.source) for r in rows]
        assert ("reject", None) in [(r.verdict, r.source) for r in rows]
        assert "(page rule)" in history(session, ids[0])[0].text
    stack = UndoStack(project, lambda: "anna")
    stack.push(UndoEntry("Page", change.event_ids, sorted(change.take_ids), "reject"))
    stack.undo()  # one Ctrl+Z: the seven are undecided again, the two marks stay
    cat = catalog(project)
    assert [bool(cat.rejected[cat.row_of[t]]) for t in ids] == [t == ids[2] for t in ids]
    assert cat.stage_pos[cat.row_of[ids[5]]] == 1
    assert survey.apply_page_rule(project, page, "leave", verdicts, "Triage", "anna") is None


def test_settle_makes_the_counts_follow_undo_and_redo() -> None:
    s = Session(stage=0, stage_name="Triage", filter={}, queue=[1, 2, 3], total=3)
    s.record(1, "keep")
    s.record(1, "clear")  # P, then U
    s.settle(1, "keep")  # Ctrl+Z undoes the clear: the keep is in effect again
    assert s.kept == [1] and 1 in s.decided and "1 kept" in s.progress()
    s.record(2, "reject")
    assert s.queue == [1, 3]
    s.settle(2, None)  # its reject undone: back where it stood
    assert s.queue == [1, 2, 3] and 2 not in s.decided


def test_claims_top_up_and_resume(project: Project) -> None:
    ids = add_takes(project, 30)
    cat = catalog(project)
    mine = sess.claim(project, "anna", cat, 0, ids, count=12)
    assert mine == ids[:12]
    assert sess.claim(project, "ben", cat, 0, ids, count=12) == ids[12:24]
    s = Session(
        stage=0,
        stage_name="Triage",
        filter={"stage": 0, "status": "pending"},
        queue=mine,
        total=12,
        pool=30,
        team=True,
    )
    assert sess.top_up(project, "anna", cat, s) == []  # twelve ahead: more than TOP_UP_AT
    s.position = 5
    more = sess.top_up(project, "anna", cat, s)
    assert more == ids[24:]  # ben's are not anna's to take
    assert s.total == 18 and s.queue[-6:] == ids[24:]
    assert s.progress().startswith("batch: 0 of your 18 (of 30)")
    s.team = False  # alone, the whole queue counts
    assert s.progress().startswith("0 of 30")
    # Resume after ben took one of anna's (her claims lapsed meanwhile, say):
    from reviewer.review import team

    team.release(project, "anna")
    team.claim(project, "ben", 0, [ids[3]], count=1)
    s.go_to(ids[6])
    gone = sess.resume(project, "anna", cat, s)
    assert gone == [ids[3]] and ids[3] not in s.queue and s.current == ids[6]


def test_a_survey_page_larger_than_a_batch_claims_enough_to_fill_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewer.review import team

    monkeypatch.setattr(team, "BATCH", 4)
    monkeypatch.setattr(sess, "TOP_UP_AT", 2)
    ids = add_takes(project, 30)
    cat = catalog(project)
    mine = sess.claim(project, "anna", cat, 0, ids)
    assert mine == ids[:4]  # a batch
    s = Session(stage=0, stage_name="Triage", filter={"stage": 0, "status": "pending"}, queue=list(mine),
                total=4, pool=30, team=True)  # fmt: skip
    assert sess.top_up(project, "anna", cat, s) == []  # four ahead: more than TOP_UP_AT
    more = sess.top_up(project, "anna", cat, s, need=16)  # a 4x4 page: twelve more claimed at once
    assert len(more) == 12 and not set(more) & set(mine) and s.total == 16 and s.queue[4:] == more
    assert sess.top_up(project, "anna", cat, s, need=16) == []  # a full page ahead: nothing to do
    s.position = 15  # one left ahead: a plain batch for a 2x2 page (more than the page needs is fine)
    last = sess.top_up(project, "anna", cat, s, need=4)
    assert len(last) == 4 and not set(last) & set(s.queue[:16])


def test_a_voted_stage_queues_every_waiting_take_unclaimed(project: Project) -> None:
    from reviewer.review import votes

    ids = add_takes(project, 4)
    for t in ids:
        decide(project, t, Decision(verdict="keep", stage="Triage"), "lead")
    votes.set_rules(project, voting=[1], leads=["lead"])
    cat = catalog(project)
    assert sess.claim(project, "anna", cat, 1, ids) == ids
    assert sess.claim(project, "ben", cat, 1, ids, count=2) == ids[:2]


def test_page_rules_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli import main
    from reviewer.store.db import open_project

    target = tmp_path / "p.trproj"
    open_project(target).close()
    assert main(["survey", str(target)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["Triage: reject", "Shortlist: leave"]
    assert main(["survey", str(target), "--stage", "Shortlist", "--rule", "keep"]) == 0
    assert "Shortlist: keep" in capsys.readouterr().out
    assert main(["survey", str(target), "--stage", "Nowhere", "--rule", "keep"]) != 0
    assert "No stage 'Nowhere'" in capsys.readouterr().err
