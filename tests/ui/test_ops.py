"""The change bus (reviewer.ui.ops): one undoable step, one broadcast, a refusal said once."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from reviewer.errors import KnownError
from reviewer.review.decisions import Change, Decision, decide
from reviewer.review.session import UndoStack
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
