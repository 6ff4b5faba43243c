"""Work sharing in the workspace: a session claims only what nobody else holds, claims more as it goes,
and gives its takes back when it ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reviewer.review import team
from reviewer.store import models as m
from reviewer.store.db import open_project
from reviewer.ui.project_window import ProjectWindow
from tests.ui.test_workspace import CTRL, SHIFT, press, shown_window, six_takes

__all__ = ["six_takes"]


def leases(path: Path) -> dict[str, str | None]:
    project = open_project(path)
    with project.sessions() as session:
        rows = session.execute(
            select(m.Take.name, m.Reviewer.name)
            .join(m.TakeState, m.TakeState.take_id == m.Take.id)
            .outerjoin(m.Reviewer, m.Reviewer.id == m.TakeState.lease_reviewer_id)
        ).all()
    project.close()
    return dict(rows)


def test_a_session_claims_what_others_do_not_hold(
    qtbot: QtBot, six_takes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team, "BATCH", 2)
    project = open_project(six_takes)
    with project.sessions() as session:
        ids = dict(session.execute(select(m.Take.name, m.Take.id)).all())
    assert team.claim(project, "anna", 0, [ids["take_0.mp4"], ids["take_1.mp4"]]) == [
        ids["take_0.mp4"],
        ids["take_1.mp4"],
    ]
    project.close()

    gen = shown_window(qtbot, six_takes, 6)
    window: ProjectWindow = next(gen)
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert window.session is not None
    assert window.session.queue == [ids["take_2.mp4"], ids["take_3.mp4"]]  # a batch of two, anna's skipped
    held = leases(six_takes)
    assert (held["take_0.mp4"], held["take_2.mp4"], held["take_3.mp4"], held["take_4.mp4"]) == (
        "anna", "tester", "tester", None
    )  # fmt: skip
    press(qtbot, window, Qt.Key.Key_P)  # keep take_2: one undecided ahead, so the next batch is claimed
    assert window.session.queue == [ids[f"take_{k}.mp4"] for k in (2, 3, 4, 5)]
    assert window.model.rowCount() == 4 and leases(six_takes)["take_5.mp4"] == "tester"
    press(qtbot, window, Qt.Key.Key_Return, CTRL | SHIFT)  # leave: the undecided go back to the pool
    assert window.session is None
    held = leases(six_takes)
    assert [held[f"take_{k}.mp4"] for k in range(6)] == ["anna", "anna", None, None, None, None]
    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # resume: its takes are claimed again
    assert window.session is not None and leases(six_takes)["take_4.mp4"] == "tester"
    next(gen, None)
