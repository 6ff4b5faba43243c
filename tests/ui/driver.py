"""The driver the UI tests act through: open a project's window as a user would (from the welcome screen),
press keys where the keyboard focus is, wait for what a user waits for, and read what the project holds
(the database, not the widgets). Tests read the window's state through its controllers' public parts
(``window.listing``, ``window.triage``, ``window.stage``, ...), never through private methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import open_project
from reviewer.ui.app import welcome_window
from reviewer.ui.project_window import ProjectWindow

NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def open_window(qtbot: QtBot, project: Path | str, takes: int | None = 3) -> ProjectWindow:
    """The project opened from the welcome screen, its rows loaded (``takes`` of them shown; None: any
    number, once the stacks are found and folded)."""
    welcome = welcome_window()
    qtbot.addWidget(welcome)
    welcome.open_project(str(project))
    window = welcome.project_window
    assert isinstance(window, ProjectWindow)
    qtbot.addWidget(window)
    if takes is None:
        qtbot.waitUntil(lambda: window.listing.complete and window.listing.stacks is not None, timeout=10_000)
    else:
        qtbot.waitUntil(lambda: window.listing.complete and window.model.rowCount() == takes, timeout=10_000)
    return window


def shown_window(qtbot: QtBot, path: Path | str, takes: int | None) -> Iterator[ProjectWindow]:
    """The window on screen and active, the keys on the takes; its players closed afterwards."""
    window = open_window(qtbot, path, takes)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    window.focus_browser()
    yield window
    window.player.close_all()
    window.stage.compare_view.close_all()
    window.stage.cut_view.close_all()


def press(qtbot: QtBot, window: ProjectWindow, key: Qt.Key, mod: Qt.KeyboardModifier = NO) -> None:
    """A key press where the keyboard focus is (the window's shortcuts see it as a user's)."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, mod)


def written(qtbot: QtBot, window: ProjectWindow, timeout: int = 20_000) -> None:
    """Wait until every write the window was asked for is made (team mode writes in the background)."""
    qtbot.waitUntil(lambda: not window.writes_pending(), timeout=timeout)


def current_name(window: ProjectWindow) -> str:
    assert window.listing.current_row is not None
    return str(window.listing.current_row["name"])


def state(path: Path | str) -> dict[str, dict]:
    """Every take's row as the project holds it, by file name."""
    project = open_project(path)
    with project.sessions() as session:
        ids = list(session.scalars(queries.select_takes(session, queries.TakeFilter())))
        rows = {r["name"]: r for r in queries.take_rows(session, ids)}
    project.close()
    return rows


def events(path: Path | str) -> int:
    """How many events the project's log holds."""
    project = open_project(path)
    with project.sessions() as session:
        count = session.scalar(select(func.count()).select_from(m.Event)) or 0
    project.close()
    return count


def shots_in_db(path: Path | str) -> list[tuple[str, str | None, int | None, int | None]]:
    """The shot board as the project holds it: (code, hero take, hero in, hero out) in board order."""
    project = open_project(path)
    with project.sessions() as session:
        names = {t.id: t.name for t in session.scalars(select(m.Take))}
        out = [
            (s.code, names.get(s.hero_take_id) if s.hero_take_id else None, s.hero_in, s.hero_out)
            for s in session.scalars(select(m.Shot).order_by(m.Shot.sort_order))
        ]
    project.close()
    return out


def leases(path: Path | str) -> dict[str, str | None]:
    """Who holds each take's lease (its claim), by file name."""
    project = open_project(path)
    with project.sessions() as session:
        rows = session.execute(
            select(m.Take.name, m.Reviewer.name)
            .join(m.TakeState, m.TakeState.take_id == m.Take.id)
            .outerjoin(m.Reviewer, m.Reviewer.id == m.TakeState.lease_reviewer_id)
        ).all()
    project.close()
    return dict(rows)
