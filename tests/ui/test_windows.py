"""The welcome screen and the project window, as real widgets driven by pytest-qt."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reviewer.ui import welcome as welcome_module
from reviewer.ui.app import apply_theme
from reviewer.ui.project_window import ProjectWindow, ShotModel, TakeGridModel
from reviewer.ui.welcome import WelcomeWindow, recent_projects
from tests.ui.conftest import open_window


def test_welcome_offers_the_three_ways_in(qtbot: QtBot, qapp) -> None:  # type: ignore[no-untyped-def]
    apply_theme(qapp)
    w = WelcomeWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    texts = [b.text() for b in (w.demo_button, w.open_button, w.folder_button)]
    assert texts == ["Open the demo project", "Open a project…", "New project from a folder of takes…"]
    assert w.recent.count() == 0


def test_opening_a_project_shows_its_funnel_and_posters(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    assert window.windowTitle() == "small — Take Reviewer"
    assert "3 takes" in window.funnel_label.text()
    assert "Triage: 1 to do, 1 kept, 1 rejected" in window.funnel_label.text()
    assert "1 unreadable files" in window.funnel_label.text()
    shots = [window.shots.index(r, 0).data() for r in range(window.shots.rowCount())]
    assert shots == ["All takes", "SH010", "SH020"]
    # Posters arrive from the cache in the background and replace the placeholder.
    index = window.grid.index(0)
    qtbot.waitUntil(
        lambda: window.grid.posters.get(window.grid.rows[0]["content_hash"]) is not None, timeout=10_000
    )
    image = index.data(Qt.ItemDataRole.DecorationRole)
    assert not image.isNull() and image.pixel(96, 54) != window.grid.placeholder.pixel(96, 54)
    assert recent_projects() == [str(small_project)]


def test_choosing_a_shot_filters_the_grid(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    window.shot_view.selectRow(2)
    assert [r["name"] for r in window.grid.rows] == ["c.mp4"]  # bad.mp4 is a problem, not a take
    window.shot_view.selectRow(0)
    assert window.grid.rowCount() == 3


def test_item_models_are_sound(qtbot: QtBot, small_project: Path, qtmodeltester: ModelTester) -> None:
    window = open_window(qtbot, small_project)
    assert isinstance(window.shots, ShotModel) and isinstance(window.grid, TakeGridModel)
    qtmodeltester.check(window.shots)
    qtmodeltester.check(window.grid)


def test_a_project_that_cannot_open_keeps_the_welcome_screen(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(welcome_module, "show_error", lambda parent, title, exc: shown.append(str(exc)))
    w = WelcomeWindow()
    qtbot.addWidget(w)
    w.open_project(str(tmp_path / "missing.trproj"))
    assert w.project_window is None
    assert shown and "No project at" in shown[0]
    assert QSettings().value("recent_projects") is None


def test_new_project_from_a_folder_ingests_in_the_background(qtbot: QtBot, tmp_path: Path, clip) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import place

    folder = tmp_path / "renders"
    place(clip(".mp4", seed=11), folder / "SH030" / "x.mp4")
    w = WelcomeWindow()
    qtbot.addWidget(w)
    w.ingest_folder(folder)
    assert not w.demo_button.isEnabled()  # busy while it reads
    qtbot.waitUntil(lambda: w.project_window is not None, timeout=30_000)
    assert w.demo_button.isEnabled()
    window = w.project_window
    assert isinstance(window, ProjectWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.grid.rowCount() == 1, timeout=10_000)
    assert (folder / "project.trproj").exists()
