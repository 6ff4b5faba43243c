"""The welcome screen and the project window, as real widgets driven by pytest-qt."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reviewer.ui import welcome as welcome_module
from reviewer.ui.app import apply_theme, welcome_window
from reviewer.ui.commands import CommandModel
from reviewer.ui.project_window import ProjectWindow
from reviewer.ui.welcome import recent_projects
from tests.ui.driver import open_window


def test_welcome_offers_the_three_ways_in(qtbot: QtBot, qapp) -> None:  # type: ignore[no-untyped-def]
    apply_theme(qapp)
    w = welcome_window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    texts = [b.text() for b in (w.demo_button, w.open_button, w.folder_button)]
    assert texts == ["Open the demo project", "Open a project…", "New project from a folder of takes…"]
    assert w.recent.count() == 0


def test_opening_a_project_shows_its_funnel_and_posters(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    assert window.windowTitle() == "small — small.trproj — Take Reviewer"
    assert window.funnel_bar.total.text().startswith("3 takes   ·   1 unreadable files")
    triage = window.funnel_bar.buttons[0].text()
    assert triage == "→ Triage: 3  (1 to do · 1 kept · 1 out)"
    qtbot.waitUntil(lambda: bool(window.shots.board), timeout=5000)
    shots = [window.shots.index(r, 0).data() for r in range(window.shots.rowCount())]
    assert shots == ["All takes", "SH010", "SH020"]
    # Posters arrive from the cache in the background; the grid paints them once there.
    content_hash = window.listing.take_at(0)["content_hash"]
    window.images.poster(content_hash)
    qtbot.waitUntil(lambda: window.images.poster(content_hash) is not None, timeout=10_000)
    image = window.images.poster(content_hash)
    assert image is not None and not image.isNull() and image.width() == 192
    assert recent_projects() == [str(small_project)]


def test_choosing_a_shot_or_a_stage_filters_the_browser(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    window.shot_dock.shot_clicked(window.shots.index(2, 0))
    assert [window.listing.take_at(r)["name"] for r in range(window.model.rowCount())] == [
        "c.mp4"
    ]  # bad.mp4 is a problem
    assert window.filter_bar.shot.currentText() == "SH020"
    window.shot_dock.shot_clicked(window.shots.index(0, 0))
    assert window.model.rowCount() == 3
    window.funnel_bar.buttons[0].click()  # Triage: what waits there
    assert window.model.rowCount() == 1 and window.filter_bar.status.currentText() == "to review"


def test_item_models_are_sound(qtbot: QtBot, small_project: Path, qtmodeltester: ModelTester) -> None:
    window = open_window(qtbot, small_project)
    qtmodeltester.check(window.shots)
    qtmodeltester.check(window.model)
    qtmodeltester.check(window.bin_dock.model)
    qtmodeltester.check(CommandModel(window.commands))
    window.table.sortByColumn(10, window.table.horizontalHeader().sortIndicatorOrder())
    qtmodeltester.check(window.model)


def test_a_project_that_cannot_open_keeps_the_welcome_screen(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(welcome_module, "show_error", lambda parent, title, exc: shown.append(str(exc)))
    w = welcome_window()
    qtbot.addWidget(w)
    w.open_project(str(tmp_path / "missing.trproj"))
    assert w.project_window is None
    assert shown and "No project at" in shown[0]
    assert QSettings().value("recent_projects") is None


def test_new_project_from_a_folder_ingests_in_the_background(qtbot: QtBot, tmp_path: Path, clip) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import place

    folder = tmp_path / "renders"
    place(clip(".mp4", seed=11), folder / "SH030" / "x.mp4")
    w = welcome_window()
    qtbot.addWidget(w)
    folder.chmod(0o555)  # media storage is often read-only; the project is never written there anyway
    w.ingest_folder(folder)
    assert not w.demo_button.isEnabled()  # busy while it reads
    qtbot.waitUntil(lambda: w.project_window is not None, timeout=30_000)
    assert w.demo_button.isEnabled()
    window = w.project_window
    assert isinstance(window, ProjectWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.listing.complete and window.model.rowCount() == 1, timeout=10_000)
    # In the projects folder, named after the folder of takes; nothing written beside the media.
    assert window.project.path == welcome_module.projects_folder() / "renders.trproj"
    assert sorted(p.name for p in folder.iterdir()) == ["SH030"]
    assert recent_projects() == [str(window.project.path)]
    folder.chmod(0o755)


def test_choosing_a_new_project_asks_where_and_suggests_the_projects_folder(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    asked: list[str] = []

    def answer(_parent, _title, suggested, _filter, **_k):  # type: ignore[no-untyped-def]
        asked.append(suggested)
        return str(tmp_path / "elsewhere" / "spot"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    w = welcome_window()
    qtbot.addWidget(w)
    chosen = w.choose_project_file(tmp_path / "media" / "renders")
    assert asked == [str(welcome_module.projects_folder() / "renders.trproj")]
    assert chosen == tmp_path / "elsewhere" / "spot.trproj"  # the ending added


def test_recent_projects_name_a_project_once(qtbot: QtBot, tmp_path: Path) -> None:
    from reviewer.store.db import open_project

    demo = tmp_path / "Demo"
    open_project(demo / "project.trproj").close()
    welcome_module.remember_project(str(demo))  # `reviewer open ~/TakeReviewerDemo`
    welcome_module.remember_project(str(demo / "project.trproj"))  # the welcome screen's demo button
    welcome_module.remember_project(str(demo) + "/")
    assert recent_projects() == [str(demo / "project.trproj")]
    welcome_module.remember_project("postgresql://anna:secret@db/spot")
    assert recent_projects()[0] == "postgresql://anna@db/spot"  # never the password


def test_welcome_offers_a_shared_project_and_says_what_it_is_made_of(qtbot: QtBot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from reviewer.about import versions

    w = welcome_window()
    qtbot.addWidget(w)
    assert w.shared_button.text() == "Open a shared project…"
    opened: list[str] = []
    monkeypatch.setattr(w, "open_project", opened.append)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("postgresql+psycopg://anna@db/spot", True))
    w.choose_shared()
    assert opened == ["postgresql+psycopg://anna@db/spot"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("postgresql://anna:secret@db/spot", True))
    w.choose_shared()  # a password in the URL is taken (for the keyring, never the settings: test_hostile)
    assert opened[-1] == "postgresql://anna:secret@db/spot"
    names = dict(versions(qt="6"))
    assert {"Take Reviewer", "Qt", "FFmpeg (libavcodec)", "SQLite", "PyAV"} <= set(names)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.informativeText()))
    w.about_button.click()
    assert "FFmpeg (libavcodec): " in shown[0] and "Qt: " in shown[0] and "sound: QtMultimedia" in shown[0]


def test_the_smoke_test_switch_opens_loads_and_quits(small_project: Path) -> None:
    # In processes of their own, as the packaging's smoke test runs it: the GUI's event loop runs there.
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reviewer", *args], env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    loaded = run("open", str(small_project), "--quit-after-load")
    assert loaded.returncode == 0 and "3 takes loaded" in loaded.stderr
    missing = run("open", str(small_project.with_name("nope.trproj")), "--quit-after-load")
    assert missing.returncode == 1 and "No project at" in missing.stderr
    version = run("--version")
    assert version.returncode == 0 and "FFmpeg (libavcodec)" in version.stdout
    # the session's sound server (PULSE_SERVER is in the environment): a device, named
    assert "\nsound: QtMultimedia, " in version.stdout
    assert "pipewire" not in version.stderr and "Using Qt multimedia" not in version.stderr  # no noise


def test_check_boxes_show_on_the_dark_theme(qtbot: QtBot, qapp) -> None:  # type: ignore[no-untyped-def]
    """Fusion draws a box's frame darker than the window: on the dark theme an unchecked box vanished.
    The theme draws it light; a checked one is filled and ticked (the tick is a file the sheet finds)."""
    from PySide6.QtWidgets import QCheckBox

    apply_theme(qapp)
    boxes = []
    for checked in (False, True):
        box = QCheckBox("Replace an existing file")
        box.setChecked(checked)
        qtbot.addWidget(box)
        box.show()
        qtbot.waitExposed(box)
        image = box.grab().toImage()
        height = image.height()
        # The indicator sits at the left: its pixels, against the window's #1e1f21.
        pixels = [image.pixelColor(x, y) for x in range(0, 20) for y in range(height)]
        boxes.append(pixels)
    assert max(c.lightness() for c in boxes[0]) > 90  # the empty box's frame is seen
    assert sum(1 for c in boxes[1] if c.blue() > 150 and c.red() < 120) > 40  # filled blue
    assert sum(1 for c in boxes[1] if min(c.red(), c.green(), c.blue()) > 220) > 4  # the white tick
