"""The analysis in the workspace: it runs in the background after a folder is read, its findings become
bins, a filter, a column and ranges on the timeline; near-duplicates on a key; bulk verdicts ask first."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from reviewer.media.synth import Defect
from reviewer.store import models as m
from reviewer.store import queries, synthetic
from reviewer.store.db import open_project
from reviewer.ui.app import welcome_window
from reviewer.ui.project_window import ProjectWindow
from tests.conftest import ClipFactory, place
from tests.ui.driver import open_window


def analysed_window(qtbot: QtBot, folder: Path) -> ProjectWindow:
    """A new project of ``folder`` from the welcome screen, once its background analysis has ended."""
    welcome = welcome_window()
    qtbot.addWidget(welcome)
    welcome.ingest_folder(folder)
    qtbot.waitUntil(lambda: welcome.project_window is not None, timeout=30_000)
    window = welcome.project_window
    assert isinstance(window, ProjectWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.analysis.started and not window.analysis.running, timeout=60_000)
    return window


def test_a_new_folder_opens_at_once_and_is_analysed_in_the_background(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    folder = tmp_path / "renders"
    place(clip(".mp4", frames=48, seed=6), folder / "SH010" / "clean.mp4")
    place(clip(".mp4", frames=48, seed=6, width=320, height=180), folder / "SH010" / "copy.mp4")
    place(
        clip(".mp4", frames=48, seed=3, defects=[Defect("freeze", 10, 40)]), folder / "SH010" / "frozen.mp4"
    )
    place(clip(".mp4", frames=48, seed=4, defects=[Defect("cut", 24, 48)]), folder / "SH020" / "cut.mp4")
    window = analysed_window(qtbot, folder)
    assert window.analysis.label.text() == "4 takes analysed"
    qtbot.waitUntil(lambda: window.listing.complete and window.listing.catalog is not None and "frozen" in window.listing.catalog.brokens.codes,
                    timeout=10_000)  # fmt: skip
    names = [window.bin_dock.model.index(r).data() for r in range(window.bin_dock.model.rowCount())]
    assert "Looks broken (to review)  (2)" in names, "|".join(names)
    assert "    … frozen  (1)" in names and "    … a cut  (1)" in names, names
    window.listing.set_filter(queries.TakeFilter(broken="frozen"))
    assert window.model.rowCount() == 1 and window.listing.current_row is not None
    assert window.listing.current_row["name"] == "frozen.mp4"
    assert window.model.index(0, 12).data() == "frozen"  # the "Looks" column
    blue = window.player.SIGNAL_COLOURS["frozen"]
    assert [(a, b) for a, b, colour in window.player.timeline.markers if colour == blue] == [(9, 39)]
    # Why: the Take panel's findings with their evidence, and the reason on the grid tile's corner.
    findings = window.panel.findings.text()
    assert window.panel.findings_box.isVisible()
    assert "Looks broken: frozen" in findings and "unchanged picture" in findings, findings
    window.stage.set_view("grid")
    window.grid.viewport().repaint()
    tile = window.grid.visualRect(window.model.index(0, 1))
    image = window.grid.viewport().grab(tile).toImage()
    corner = [image.pixelColor(x, y).name() for x in range(6, 60) for y in range(6, 30)]
    assert "#e06c5f" in corner  # the red "⚠ frozen" in the poster's top left corner
    # The sensitivity, from the palette: sorted anew without decoding, the bins follow.
    window.commands.actions["analysis.sensitivity"].trigger()  # sorted in a worker
    qtbot.waitUntil(lambda: "moved in or out" in window.analysis.label.text(), timeout=10_000)
    assert window.project.setting("signal_sensitivity") == "high"
    assert window.analysis.label.text().startswith("Sensitivity high")
    window.listing.set_filter(queries.TakeFilter())
    row = next(r for r in range(window.model.rowCount()) if window.listing.take_at(r)["name"] == "clean.mp4")
    window.grid.setCurrentIndex(window.model.index(row, 1))
    window.listing.show_duplicates()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)
    assert sorted(window.listing.take_at(r)["name"] for r in range(2)) == ["clean.mp4", "copy.mp4"]
    window.player.close_all()


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.trproj"
    project = open_project(path)
    synthetic.fill(project, 300, shots=3, seed=9, decided=0.0)
    project.close()
    return path


def test_a_verdict_for_many_takes_asks_first_and_undoes_in_one(
    qtbot: QtBot, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, big, 300)
    window.analysis.stop()  # no files behind these rows: nothing to analyse
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def answer(box: QMessageBox) -> int:  # the question as shown, answered as a person would
        assert box.textFormat() == Qt.TextFormat.PlainText
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        asked.append(box.text())
        return answers.pop(0).value

    monkeypatch.setattr(QMessageBox, "exec", answer)
    window.grid.selectAll()
    window.deciding.give_verdict("reject")
    assert asked == ["Reject 300 takes? Ctrl+Z undoes it."]
    assert count_events(big) == 0  # cancelled: nothing recorded
    window.deciding.give_verdict("reject")  # yes: more than 200 takes, recorded in a worker
    qtbot.waitUntil(lambda: count_events(big) == 300, timeout=30_000)
    qtbot.waitUntil(lambda: bool(window.undo_stack.done), timeout=5000)
    window.deciding.undo()
    assert count_events(big) == 600
    project = open_project(big)
    with project.sessions() as session:
        assert queries.funnel(session).stages[0].rejected == 0
    project.close()
    window.player.close_all()


def count_events(path: Path) -> int:
    project = open_project(path)
    with project.sessions() as session:
        n = session.scalar(select(func.count()).select_from(m.Event)) or 0
    project.close()
    return n


def test_ctrl_d_is_bound(qtbot: QtBot, big: Path) -> None:
    window = open_window(qtbot, big, 300)
    window.analysis.stop()
    action = window.commands.actions["view.duplicates"]
    assert action.shortcut().toString() == "Ctrl+D"
    action.trigger()  # nothing analysed: says so, changes nothing
    qtbot.waitUntil(lambda: "No near-duplicates" in window.status_label.text(), timeout=5000)
    assert window.model.rowCount() == 300
    window.player.close_all()


def test_the_status_bar_says_when_the_cache_cannot_keep_the_pictures(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The background pass with a cache folder that cannot be written: the takes are analysed (their
    findings join the catalogue) and the status bar says why there are no filmstrips or proxies."""
    folder = tmp_path / "renders"
    place(clip(".mp4", frames=24, seed=2), folder / "a.mp4")
    place(clip(".mp4", frames=24, seed=3, defects=[Defect("freeze", 4, 20)]), folder / "b.mp4")
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("TAKE_REVIEWER_CACHE", str(tmp_path / "a file" / "cache"))
    window = analysed_window(qtbot, folder)
    text = window.analysis.label.text()
    assert text.startswith("2 takes analysed. The cache folder") and "cannot be written" in text, text
    qtbot.waitUntil(lambda: window.listing.complete and window.listing.catalog is not None
                    and "frozen" in window.listing.catalog.brokens.codes, timeout=10_000)  # fmt: skip
    window.player.close_all()
