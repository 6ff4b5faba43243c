"""The change bus (reviewer.ui.ops): one undoable step, one broadcast, a refusal said once."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import event

from reviewer.errors import KnownError
from reviewer.review.decisions import Change, Decision, decide, decide_in
from reviewer.review.session import UndoStack
from reviewer.store import queries
from reviewer.store.db import open_project
from reviewer.ui.ops import Ops


def test_a_change_is_undoable_broadcast_and_said(qtbot: QtBot, small_project: Path) -> None:
    with open_project(small_project) as project:
        stack = UndoStack(project, lambda: "tester")
        said: list[str] = []
        heard: list[tuple[Change, object]] = []
        ops = Ops(stack, said.append)
        ops.changed.connect(lambda change, who: heard.append((change, who)))
        change = ops.run("Rated 4", decide, project, 3, Decision(rating=4), "tester",
                         said=lambda c: f"rated {len(c.take_ids)}", initiator="grid")  # fmt: skip
        assert change is not None and heard == [(change, "grid")] and said == ["rated 1"]
        assert [e.label for e in stack.done] == ["Rated 4"] and stack.done[0].take_ids == [3]

        def refused(*_args: object) -> Change:
            raise KnownError("This project is open read-only")

        assert ops.run("Rated 5", refused) is None
        assert said[-1] == "This project is open read-only" and len(heard) == 1 and len(stack.done) == 1
        _entry, undone = stack.undo()
        assert undone.take_ids == {3}


def test_team_writes_go_in_order_and_decisions_queued_meanwhile_share_one_commit(
    qtbot: QtBot, pg_url: str
) -> None:
    """On a team project the writer makes what was asked in order, off the GUI thread; the decisions
    asked while a write was on its way are made in one transaction (each its own events and undo entry);
    of a state saved again and again only the last is written; a refused decision fails alone."""
    from reviewer.store import synthetic

    with open_project(pg_url) as project:  # closed even when an assertion fails
        synthetic.fill(project, 6, decided=0.0)
        stack = UndoStack(project, lambda: "tester")
        said: list[str] = []
        ops = Ops(stack, said.append, project=project)
        heard: list[Change] = []
        ops.changed.connect(lambda change, _who: heard.append(change))
        commits: list[int] = []
        event.listen(project.engine, "commit", lambda _conn: commits.append(threading.get_ident()))
        saved: list[int] = []
        gate, holding = threading.Event(), threading.Event()

        def hold() -> None:  # the writer is busy until the gate opens: what follows queues up behind it
            holding.set()
            gate.wait(10)

        ops.write(hold)
        assert holding.wait(10)
        for take_id in (1, 2, 3):
            decision = Decision(verdict="reject")
            ops.run("Rejected", decide, project, take_id, decision, "tester", verdict="reject",
                    batch=partial(decide_in, take_ids=[take_id], decision=decision, reviewer="tester"))  # fmt: skip
            ops.write(saved.append, take_id, latest="where")
        assert ops.pending == 7 and heard == [] and commits == []
        gate.set()
        qtbot.waitUntil(lambda: ops.pending == 0, timeout=10_000)
        assert [sorted(c.take_ids) for c in heard] == [[1], [2], [3]]  # in order, each heard once
        assert len(commits) == 1 and threading.get_ident() not in commits  # one commit, in the writer
        assert saved == [3]  # the last of the three saves, after the decisions
        assert [e.take_ids for e in stack.done] == [[1], [2], [3]]  # each its own undo entry

        gate.clear()
        holding.clear()
        ops.write(hold)
        assert holding.wait(10)
        wrong = Decision(verdict="keep", stage="Selects")  # take 4 has not reached that stage: refused
        failed: list[Exception] = []
        for take_id, decision in ((5, Decision(rating=2)), (4, wrong)):
            ops.run("Decided", decide, project, take_id, decision, "tester", failed=failed.append,
                    batch=partial(decide_in, take_ids=[take_id], decision=decision, reviewer="tester"))  # fmt: skip
        gate.set()
        qtbot.waitUntil(lambda: ops.pending == 0, timeout=10_000)
        assert len(failed) == 1 and "has not reached" in said[-1]  # it fails alone: take 5 is rated
        assert len(commits) == 2 and sorted(heard[-1].take_ids) == [5]
        with project.sessions() as session:
            rows = {r["id"]: r for r in queries.take_rows(session, [1, 2, 3, 4, 5])}
        assert [t for t, r in rows.items() if r["verdict"] == "reject"] == [1, 2, 3]
        assert rows[5]["rating"] == 2 and rows[4]["verdict"] is None
