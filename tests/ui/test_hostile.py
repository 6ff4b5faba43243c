"""Hostile data in the workspace (issue 21): names, prompts, tags, notes and reviewers that look like
markup are shown as the characters they are, never rendered; passwords never reach the settings; a
read-only project opens for viewing; small things of the welcome screen and the dashboard."""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.engine import make_url

from reviewer.ingest.ingest import ingest
from reviewer.review import shots
from reviewer.review.decisions import Decision, decide
from reviewer.review.session import save_bin
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import open_project
from reviewer.ui import welcome as welcome_module
from reviewer.ui.app import welcome_window
from reviewer.ui.export_dialog import ExportDialog
from reviewer.ui.project_window import ProjectWindow
from reviewer.ui.text import is_tip, warn
from reviewer.ui.welcome import recent_projects
from tests.conftest import ClipFactory, place
from tests.test_hostile import PASSWORD, MemoryKeyring, read_only_project
from tests.ui.driver import press, shown_window

MARK = "<img src=x>"
HOSTILE = f"{MARK}<a href='http://example.invalid/'>click</a><b>bold</b>"
IN_A_NAME = f"{MARK}<a href=x>click<b>bold"  # a file name holds no slash


@pytest.fixture
def hostile_project(tmp_path: Path, clip: ClipFactory) -> Path:
    media = tmp_path / "media"
    video = place(clip(".mp4", seed=1, frames=24), media / "SH010" / f"{IN_A_NAME} take.mp4")
    video.with_suffix(".json").write_text(
        json.dumps({"prompt": f"a truck {HOSTILE}", "model": f"model {HOSTILE}", "seed": 7, "cfg": HOSTILE}),
        encoding="utf-8",
    )
    place(clip(".mp4", seed=2, frames=24), media / "SH010" / "plain.mp4")
    path = tmp_path / "hostile.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    with project.sessions() as session:
        take_id = session.scalars(select(m.Take.id).where(m.Take.name.startswith("<img"))).one()
    shots.update_shot(project, "SH010", title=f"title {HOSTILE}", description=f"about {HOSTILE}")
    decide(project, take_id, Decision(verdict="keep", tags_added=(f"tag {HOSTILE}",)), reviewer=HOSTILE)
    decide(project, take_id, Decision(note=f"note {HOSTILE}", frame_in=2, frame_out=9), reviewer=HOSTILE)
    save_bin(project, f"bin {HOSTILE}", queries.TakeFilter(text="truck"))
    project.close()
    return path


def _count(count: object, parent: QModelIndex, default: int) -> int:
    try:
        return int(count(parent))  # type: ignore[operator]
    except TypeError:  # list models keep columnCount (and tree-less models hasChildren) private
        return default


def _model_tips(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return

    def walk(parent: QModelIndex, depth: int = 0) -> Iterator[str]:
        for row in range(min(_count(model.rowCount, parent, 0), 200)):
            for column in range(_count(model.columnCount, parent, 1)):
                index = model.index(row, column, parent)
                value = index.data(Qt.ItemDataRole.ToolTipRole)
                if isinstance(value, str) and value:
                    yield value
                if column == 0 and depth < 3 and _count(model.rowCount, index, 0) > 0:
                    yield from walk(index, depth + 1)

    yield from walk(QModelIndex())


def markup_offenders() -> list[str]:
    """Every label, tooltip and model tooltip of every widget that would render data as markup."""
    offenders = []
    for widget in QApplication.allWidgets():
        name = f"{type(widget).__name__}#{widget.objectName()}"
        plain = isinstance(widget, QLabel) and widget.textFormat() == Qt.TextFormat.PlainText
        if isinstance(widget, QLabel) and MARK in widget.text() and not plain:
            offenders.append(f"{name} label {widget.text()[:60]!r} ({widget.textFormat().name})")
        tip = widget.toolTip()
        if MARK in tip or (tip and not is_tip(tip) and "&lt;" in tip):
            offenders.append(f"{name} tooltip {tip[:60]!r}")
        if isinstance(widget, QAbstractItemView):
            offenders += [f"{name} model tooltip {t[:60]!r}" for t in _model_tips(widget) if MARK in t]
    return offenders


def test_no_label_or_tooltip_renders_data_as_markup(
    qtbot: QtBot, hostile_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKE_REVIEWER_USER", HOSTILE)
    gen = shown_window(qtbot, hostile_project, 2)
    window: ProjectWindow = next(gen)
    reader = open_project(hostile_project)
    with reader.sessions() as session:
        hostile_id = session.scalars(select(m.Take.id).where(m.Take.name.startswith("<img"))).one()
        plain = session.scalars(select(m.Take.id).where(m.Take.name == "plain.mp4")).one()
    row = window.model.row_of(hostile_id)
    assert row is not None
    window.grid.setCurrentIndex(window.model.index(row, 0))
    qtbot.waitUntil(
        lambda: (
            window.listing.current_row is not None
            and "truck" in str(window.listing.current_row.get("prompt"))
        )
    )
    # the note's marker on the clip timeline
    qtbot.waitUntil(lambda: MARK in html.unescape(window.player.timeline.toolTip()), timeout=5000)
    # another reviewer's decision arrives through the live view, with a hostile name
    qtbot.waitUntil(lambda: window.live_updates.seen is not None, timeout=5000)
    decide(reader, plain, Decision(verdict="reject"), reviewer=f"anna {HOSTILE}")
    reader.close()
    qtbot.waitUntil(lambda: "anna" in window.live_updates.label.text(), timeout=5000)
    window.stage.show_dashboard()
    dashboard = window.stage.dashboard
    assert dashboard is not None
    qtbot.waitUntil(
        lambda: any(MARK in html.unescape(w.toolTip()) for w in dashboard.findChildren(QWidget)), timeout=5000
    )
    dialog = ExportDialog(window.project, ["Triage"], window)
    qtbot.addWidget(dialog)
    dialog.message.setText(f"Cannot write {HOSTILE}")  # as an export's failure names a path
    dialog.show()
    assert MARK in window.reviewer_label.text() and MARK in window.live_updates.label.text()
    assert MARK in html.unescape(window.panel.title.toolTip())  # shown: as the characters, escaped
    offenders = markup_offenders()
    assert offenders == []
    # and what a label shows is the characters themselves
    assert window.live_updates.label.text().startswith("Just now: anna <img src=x>")
    window.stage.dashboard.close()
    next(gen, None)


def test_names_show_their_control_and_bidi_characters(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    """A name with U+202E would read backwards ("take\u202egpm.mp4" as "take4pm.mpg"): shown escaped."""
    media = tmp_path / "media"
    place(clip(".mp4", seed=1, frames=24), media / "SH010" / "take\u202egpm\x1b[2J.mp4")
    path = tmp_path / "p.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    gen = shown_window(qtbot, path, 1)
    window: ProjectWindow = next(gen)
    window.grid.setCurrentIndex(window.model.index(0, 0))
    qtbot.waitUntil(lambda: window.listing.current_row is not None)
    assert window.model.index(0, 1).data() == "take\\u202egpm\\x1b[2J.mp4"
    assert window.panel.title.text().replace("\u200b", "") == "take\\u202egpm\\x1b[2J.mp4"
    next(gen, None)


def test_messages_are_plain_text(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[Qt.TextFormat, str]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.textFormat(), box.text())) or 0)
    warn(None, "Take Reviewer", f"Cannot open {HOSTILE}")
    assert shown == [(Qt.TextFormat.PlainText, f"Cannot open {HOSTILE}")]


# --- passwords --------------------------------------------------------------------------------------


def test_the_welcome_screen_never_stores_a_password(qtbot: QtBot, pg_url: str, tmp_path: Path) -> None:
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        w = welcome_window()
        qtbot.addWidget(w)
        with_password = pg_url.replace("@/", f":{PASSWORD}@/")
        w.open_project(with_password)
        window = w.project_window
        assert isinstance(window, ProjectWindow)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.listing.complete, timeout=10_000)
        assert [make_url(u) for u in recent_projects()] == [make_url(pg_url)]  # remembered without it
        assert PASSWORD not in recent_projects()[0]
        assert list(backend.kept.values()) == [PASSWORD]  # kept where passwords belong
        assert PASSWORD not in window.windowTitle() and PASSWORD not in window.project.url
        window.close()
        QSettings().sync()
        settings_text = "".join(
            p.read_text(errors="replace") for p in (tmp_path / "settings").rglob("*") if p.is_file()
        )
        assert settings_text and PASSWORD not in settings_text
        # opened again from the recent list, the password comes from the keyring
        again = open_project(recent_projects()[0])
        try:
            assert again.engine.url.password == PASSWORD
        finally:
            again.close()
    finally:
        keyring.set_keyring(previous)


def test_without_a_keyring_the_password_is_not_kept_and_the_user_is_told(
    qtbot: QtBot, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    told: list[str] = []
    monkeypatch.setattr(welcome_module, "warn", lambda _p, _t, text: told.append(text))
    try:
        w = welcome_window()
        qtbot.addWidget(w)
        w.open_project(pg_url.replace("@/", f":{PASSWORD}@/"))
        assert isinstance(w.project_window, ProjectWindow)
        qtbot.addWidget(w.project_window)
        assert told and "no system keyring" in told[0] and "$PGPASSWORD" in told[0]
        assert [make_url(u) for u in recent_projects()] == [make_url(pg_url)]
        w.project_window.close()
    finally:
        keyring.set_keyring(previous)


# --- read-only storage ------------------------------------------------------------------------------


def test_a_read_only_project_opens_and_refuses_decisions_with_a_message(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    with read_only_project(tmp_path, clip) as path:
        gen = shown_window(qtbot, path, 1)
        window: ProjectWindow = next(gen)
        assert window.project.read_only
        window.grid.setCurrentIndex(window.model.index(0, 0))
        press(qtbot, window, Qt.Key.Key_P)
        qtbot.waitUntil(lambda: "open read-only" in window.status_label.text(), timeout=5000)
        with contextlib.suppress(StopIteration):
            next(gen)
        window.close()


# --- small things -----------------------------------------------------------------------------------


def test_a_missing_project_shows_its_message_over_the_welcome_screen(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []

    def record(parent: QWidget, _title: str, _exc: Exception) -> None:
        seen.append([type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()])

    monkeypatch.setattr(welcome_module, "show_error", record)
    w = welcome_window()
    qtbot.addWidget(w)
    w.open_project(str(tmp_path / "missing.trproj"))  # as `reviewer open missing.trproj` does
    assert seen == [["WelcomeWindow"]]  # shown, painted, the message over it; no empty window


def test_the_dashboard_closes_on_escape(qtbot: QtBot, hostile_project: Path) -> None:
    gen = shown_window(qtbot, hostile_project, 2)
    window: ProjectWindow = next(gen)
    window.stage.show_dashboard()
    dashboard = window.stage.dashboard
    assert dashboard is not None
    qtbot.waitExposed(dashboard)
    dashboard.activateWindow()  # a window of its own: the key goes to it when it is the active one
    qtbot.waitUntil(dashboard.isActiveWindow, timeout=5000)
    qtbot.keyClick(dashboard, Qt.Key.Key_Escape)
    assert not dashboard.isVisible()
    next(gen, None)
