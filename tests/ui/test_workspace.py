"""The workspace driven by key presses: a triage session, typing, bulk decisions, notes, shots, keys, views.

Every test checks the database, not only the widgets: a decision counts when it is in the event log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reviewer.review import keymap as km
from reviewer.store import models as m
from reviewer.store import queries, synthetic
from reviewer.store.db import open_project
from reviewer.ui.commands import CheatSheet, CommandPalette, ShortcutEditor
from reviewer.ui.project_window import ProjectWindow
from tests.ui.driver import CTRL, SHIFT, current_name, events, open_window, press, shown_window, state


@pytest.fixture
def window(qtbot: QtBot, six_takes: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, six_takes, 6)


def test_a_triage_session_by_keys(qtbot: QtBot, window: ProjectWindow, six_takes: Path) -> None:
    press(
        qtbot, window, Qt.Key.Key_Return, CTRL
    )  # start a session over the current filter: Triage, to review
    assert window.triage.session is not None and window.triage.session.total == 6
    assert window.filter_bar.isEnabled() is False
    assert current_name(window) == "take_0.mp4"
    press(qtbot, window, Qt.Key.Key_P)  # keep, auto-advance
    assert current_name(window) == "take_1.mp4"
    press(qtbot, window, Qt.Key.Key_X)  # reject: leaves the queue, the next one comes up
    assert window.model.rowCount() == 5 and current_name(window) == "take_2.mp4"
    press(qtbot, window, Qt.Key.Key_4)
    press(qtbot, window, Qt.Key.Key_M, SHIFT)  # the morphing tag's key
    press(qtbot, window, Qt.Key.Key_X)
    assert current_name(window) == "take_3.mp4"
    assert window.triage.label.text().startswith("Triage session · 3 of 6 · 1 kept · ")
    assert " takes/h · 1x" in window.triage.label.text()  # and the session's speed
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # undo the last reject: take_2 is back in the queue
    assert window.model.rowCount() == 5 and current_name(window) == "take_2.mp4"
    assert window.triage.label.text().startswith("Triage session · 2 of 6 · 1 kept")

    rows = state(six_takes)  # all of it is in the store already: no save
    assert (rows["take_0.mp4"]["stage"], rows["take_0.mp4"]["verdict"]) == ("Shortlist", None)
    assert rows["take_1.mp4"]["verdict"] == "reject"
    assert (rows["take_2.mp4"]["verdict"], rows["take_2.mp4"]["rating"], rows["take_2.mp4"]["tags"]) == (
        None, 4, ["morphing"]
    )  # fmt: skip
    assert {r["reviewer"] for r in rows.values() if r["reviewer"]} == {"tester"}

    press(qtbot, window, Qt.Key.Key_Down)
    press(qtbot, window, Qt.Key.Key_Return, CTRL | SHIFT)  # leave: the session is kept
    assert window.triage.session is None and window.triage.button.text() == "Resume session"
    assert window.model.rowCount() == 4  # back to the filter: the takes still to review at Triage
    window.close()

    again = open_window(qtbot, six_takes, 4)
    assert again.triage.button.text() == "Resume session"
    again.triage.start()  # resumes where it stopped
    assert again.triage.session is not None and current_name(again) == "take_3.mp4"
    assert again.triage.label.text().startswith("Triage session · 2 of 6 · 1 kept")
    again.player.close_all()


def test_single_keys_type_into_text_fields(qtbot: QtBot, window: ProjectWindow, six_takes: Path) -> None:
    before = events(six_takes)
    window.focus_search()
    for key in (Qt.Key.Key_P, Qt.Key.Key_X, Qt.Key.Key_4):
        press(qtbot, window, key)
    assert window.filter_bar.search.text() == "px4"
    window.filter_bar.search.clear()
    window.start_tag()
    press(qtbot, window, Qt.Key.Key_M, SHIFT)
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.panel.tag_entry.text().lower() == "m "
    assert events(six_takes) == before  # nothing decided while typing
    press(qtbot, window, Qt.Key.Key_Escape)  # back to the takes: single keys decide again
    window.panel.tag_entry.clear()
    press(qtbot, window, Qt.Key.Key_X)
    assert events(six_takes) == before + 1


def test_bulk_reject_of_a_selection_and_undo(qtbot: QtBot, window: ProjectWindow, six_takes: Path) -> None:
    window.grid.selectAll()
    press(qtbot, window, Qt.Key.Key_X)
    assert {r["verdict"] for r in state(six_takes).values()} == {"reject"}
    qtbot.waitUntil(  # the funnel follows a moment later (counts are batched, not per key press)
        lambda: window.funnel_bar.buttons[0].text() == "→ Triage: 6  (0 to do · 0 kept · 6 out)", timeout=2000
    )
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert {r["verdict"] for r in state(six_takes).values()} == {None}
    press(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # redo
    assert {r["verdict"] for r in state(six_takes).values()} == {"reject"}


def test_a_note_at_the_current_frame_by_keys(qtbot: QtBot, window: ProjectWindow, six_takes: Path) -> None:
    player = window.player
    qtbot.waitUntil(lambda: player.engine is not None and player.engine.current is not None, timeout=10_000)
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: player.position() == 3, timeout=5000)
    press(qtbot, window, Qt.Key.Key_N)
    assert QApplication.focusWidget() is window.panel.note_entry
    qtbot.keyClicks(window.panel.note_entry, "the hand melts")
    press(qtbot, window, Qt.Key.Key_Return)
    project = open_project(six_takes)
    with project.sessions() as session:
        note = session.scalars(select(m.Event).where(m.Event.note.is_not(None))).one()
        assert (note.note, note.frame_in, note.frame_out) == ("the hand melts", 3, 3)
    project.close()
    qtbot.waitUntil(lambda: window.panel.notes.count() == 1, timeout=5000)
    assert window.panel.notes.item(0).text() == "f3 · tester: the hand melts"
    qtbot.waitUntil(lambda: [mk[:2] for mk in player.timeline.markers] == [(3, 3)], timeout=5000)
    assert QApplication.focusWidget() is not window.panel.note_entry


def test_moving_a_take_to_another_shot_from_the_panel(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    press(qtbot, window, Qt.Key.Key_M, CTRL)
    line = window.panel.shot.lineEdit()
    assert line is not None and QApplication.focusWidget() is window.panel.shot
    line.setText("SH099")
    press(qtbot, window, Qt.Key.Key_Return)
    assert state(six_takes)["take_0.mp4"]["shot"] == "SH099"
    qtbot.waitUntil(
        lambda: "SH099" in [window.shots.index(r, 0).data() for r in range(window.shots.rowCount())]
    )
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert state(six_takes)["take_0.mp4"]["shot"] == "SH010"


def test_history_shows_who_did_what(qtbot: QtBot, window: ProjectWindow) -> None:
    press(qtbot, window, Qt.Key.Key_3)
    press(qtbot, window, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: window.panel.history.count() == 2, timeout=5000)
    texts = [window.panel.history.item(k).text() for k in range(2)]
    assert texts[0].endswith("tester@" + os.uname().nodename + ": reject at Triage")
    assert texts[1].endswith(": rated 3")


def test_shortcut_editor_finds_conflicts_and_rebinds(
    qtbot: QtBot, window: ProjectWindow, six_takes: Path
) -> None:
    editor = ShortcutEditor(window.commands, window)
    qtbot.addWidget(editor)
    editor.set_key("decide.keep", "X")
    assert "is bound to Keep (promote to the next stage) and Reject at this stage" in editor.problem.text()
    assert not editor.buttons.button(editor.buttons.StandardButton.Save).isEnabled()
    editor.table.selectRow(editor.ids.index("decide.keep"))
    editor._reset()
    assert editor.problem.text() == ""
    editor.set_key("decide.keep", "Ctrl+K")
    editor.save()
    assert km.load_keymap()["decide.keep"] == ["P", "Ctrl+K"]
    press(qtbot, window, Qt.Key.Key_K, CTRL)
    assert state(six_takes)["take_0.mp4"]["stage"] == "Shortlist"


def test_command_palette_and_cheat_sheet(qtbot: QtBot, window: ProjectWindow, six_takes: Path) -> None:
    palette = CommandPalette(window.commands, window)
    qtbot.addWidget(palette)
    qtbot.keyClicks(palette.entry, "reject at")
    assert palette.proxy.rowCount() == 1
    qtbot.keyClick(palette.entry, Qt.Key.Key_Return)
    assert state(six_takes)["take_0.mp4"]["verdict"] == "reject"
    sheet = CheatSheet(window.commands, window)
    qtbot.addWidget(sheet)
    lines = []
    for g in range(sheet.tree.topLevelItemCount()):
        group = sheet.tree.topLevelItem(g)
        lines += [(group.child(k).text(0), group.child(k).text(1)) for k in range(group.childCount())]
    assert ("Keep (promote to the next stage)", "P") in lines
    assert ("Redo", "Ctrl+Shift+Z  Ctrl+Y") in lines
    assert len(lines) == len(window.commands.actions)


def test_views_grid_player_compare_table(qtbot: QtBot, window: ProjectWindow) -> None:
    press(qtbot, window, Qt.Key.Key_G)
    assert window.browser.isVisible() and not window.stage.area.isVisible()
    press(qtbot, window, Qt.Key.Key_G)
    assert window.browser.isVisible() and window.stage.area.isVisible()
    press(qtbot, window, Qt.Key.Key_E)
    assert window.stage.area.isVisible() and not window.browser.isVisible()
    press(qtbot, window, Qt.Key.Key_E)
    press(qtbot, window, Qt.Key.Key_C)  # compare comes later: a message, no crash
    assert "Compare" in window.status_label.text()
    press(qtbot, window, Qt.Key.Key_T, CTRL)
    assert window.browser_stack.currentWidget() is window.table
    press(qtbot, window, Qt.Key.Key_Down)  # the same keys move through the table
    assert current_name(window) == "take_1.mp4"


def test_layout_and_reviewer_are_remembered(qtbot: QtBot, six_takes: Path) -> None:
    QSettings().setValue("reviewer", "chloe")
    window = open_window(qtbot, six_takes, 6)
    window.toggle_table()
    window.deciding.give_verdict("keep")
    window.close()
    again = open_window(qtbot, six_takes, 6)
    assert again.browser_stack.currentWidget() is again.table
    assert again.reviewer_label.text() == "Reviewer: chloe"
    assert state(six_takes)["take_0.mp4"]["reviewer"] == "chloe"
    again.player.close_all()


@pytest.fixture
def synthetic_project(tmp_path: Path) -> Path:
    path = tmp_path / "big.trproj"
    project = open_project(path)
    synthetic.fill(project, 2000, shots=5, seed=4)
    project.close()
    return path


def test_filters_search_and_bins_on_a_big_project(qtbot: QtBot, synthetic_project: Path) -> None:
    window = open_window(qtbot, synthetic_project, 2000)
    project = open_project(synthetic_project)

    def sql_count(f: queries.TakeFilter) -> int:
        with project.sessions() as session:
            return len(list(session.scalars(queries.select_takes(session, f))))

    bar = window.filter_bar
    bar.stage.setCurrentIndex(bar.stage.findData(0))
    bar.status.setCurrentIndex(bar.status.findData("rejected"))
    bar.model_box.setCurrentIndex(bar.model_box.findData("veo-3"))
    f = queries.TakeFilter(stage=0, status="rejected", models=("veo-3",))
    assert window.listing.filter == f and window.model.rowCount() == sql_count(f) > 0
    qtbot.keyClicks(bar.search, "truck")
    f = queries.TakeFilter(stage=0, status="rejected", models=("veo-3",), text="truck")
    qtbot.waitUntil(lambda: window.model.rowCount() == sql_count(f), timeout=5000)
    assert window.model.rowCount() > 0
    from reviewer.review.session import save_bin

    save_bin(project, "veo trucks", f)
    window.listing.refresh_counts()
    names = [window.bin_dock.model.index(r).data() for r in range(window.bin_dock.model.rowCount())]
    assert f"★ veo trucks  ({sql_count(f):,})" in names
    assert f"Triage: to review  ({sql_count(queries.TakeFilter(stage=0, status='pending')):,})" in names
    # A saved bin is kept by its name, whatever it looks like (one named with a star of its own too).
    save_bin(project, "★ starred", queries.TakeFilter(stage=0))
    window.listing.refresh_counts()
    row = next(
        r
        for r in range(window.bin_dock.model.rowCount())
        if window.bin_dock.model.index(r).data().startswith("★ ★ starred")
    )
    window.bin_dock.view.setCurrentIndex(window.bin_dock.model.index(row))
    window.bin_dock.delete_current()
    from reviewer.review.session import load_bins

    assert sorted(load_bins(project)) == ["veo trucks"]
    window.table.sortByColumn(10, Qt.SortOrder.DescendingOrder)  # rating, best first
    ratings = [window.model.index(r, 10).data() for r in range(window.model.rowCount())]
    assert ratings == sorted(ratings, key=len, reverse=True)
    project.close()
    window.player.close_all()


CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from reviewer.ui.app import application
    from reviewer.store.db import open_project
    from reviewer.ui.project_window import ProjectWindow

    app = application()
    window = ProjectWindow(open_project(sys.argv[1]))
    window.show()
    while not window.listing.complete:
        app.processEvents()
    window.triage.start()
    for k in range(400):
        take = window.listing.current_id
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_X if k % 3 else Qt.Key.Key_P)
        print(take, "reject" if k % 3 else "keep", flush=True)  # the key press has returned
        app.processEvents()
    """
)


def test_killing_a_reviewing_process_loses_no_acknowledged_decision(synthetic_project: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    acked: list[tuple[int, str]] = []
    with subprocess.Popen([sys.executable, "-c", CHILD, str(synthetic_project)], stdout=subprocess.PIPE,
                          text=True, env=env) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            take, verdict = line.split()
            acked.append((int(take), verdict))
            if len(acked) == 40:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    project = open_project(synthetic_project)
    with project.sessions() as session:
        for take_id, verdict in acked:
            last = session.scalars(
                select(m.Event)
                .where(m.Event.take_id == take_id, m.Event.verdict.is_not(None))
                .order_by(m.Event.id)
            ).all()
            assert last and last[-1].verdict == verdict and last[-1].reviewer.name == "tester"
    project.close()


def test_new_tags_and_shots_join_the_filter_choices(qtbot: QtBot, window: ProjectWindow) -> None:
    window.deciding.tag_added("hero look")
    window.deciding.move_to_shot("SH777")
    bar = window.filter_bar
    assert bar.tag.findData("hero look") >= 0 and bar.shot.findData("SH777") >= 0
    assert window.listing.filter == queries.TakeFilter()  # choosing stays as it was
