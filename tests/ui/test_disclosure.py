"""AI disclosure in the workspace: the Take panel says the basis and declares, the browser filters and
shows it, and a folder rule is two clicks in the context menu."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reviewer.ingest.ingest import ingest
from reviewer.review.catalog import COLUMN_KEYS
from reviewer.review.decisions import history
from reviewer.store import models as m
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place
from tests.ui.driver import open_window


def _project(tmp_path: Path, clip: ClipFactory) -> Path:
    media = tmp_path / "media"
    place(clip(".mp4", seed=31, frames=12), media / "plates" / "A001_C003.mp4")
    place(clip(".mp4", seed=32, frames=12), media / "plates" / "A001_C004.mp4")
    place(clip(".mp4", seed=33, frames=12), media / "renders" / "SH010_v1.mp4")
    (media / "renders" / "SH010_v1.json").write_text(
        json.dumps({"generator": "ComfyUI", "model": "wan2.2", "seed": 9})
    )
    path = tmp_path / "d.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    return path


def _row_of(window, name: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(window.model.rowCount()) if window.model.take_id(r) and
                window.listing.catalog.name[window.listing.catalog.row_of[window.model.take_id(r)]] == name)  # fmt: skip


def test_panel_basis_declaration_filter_and_folder_rule(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    path = _project(tmp_path, clip)
    window = open_window(qtbot, path, takes=3)
    window.show()
    qtbot.waitExposed(window)
    # the AI column and the filter
    assert "ai" in COLUMN_KEYS
    window.filter_bar.ai.setCurrentIndex(window.filter_bar.ai.findData("unknown"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)
    window.filter_bar.ai.setCurrentIndex(window.filter_bar.ai.findData("yes"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    column = COLUMN_KEYS.index("ai")
    assert window.model.index(0, column).data() == "AI · generator-metadata"
    window.filter_bar.ai.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=5000)

    # the Take panel: the basis in plain words, and a declaration from its choice
    window.grid.setCurrentIndex(window.model.index(_row_of(window, "A001_C004.mp4"), 0))
    qtbot.waitUntil(
        lambda: (
            window.listing.current_row is not None and window.listing.current_row["name"] == "A001_C004.mp4"
        )
    )
    panel = window.panel
    assert panel.ai_basis.text().startswith("Unknown — no evidence in the file")
    panel.ai_why.setText("licensed stock")
    panel.ai_choice.activated.emit(panel.ai_choice.findData("no"))
    qtbot.waitUntil(lambda: panel.ai_basis.text().startswith("Not AI-generated — declared"), timeout=5000)
    assert "licensed stock" in panel.ai_basis.text() and panel.ai_choice.currentData() == "no"
    with open_project(path) as project, project.sessions() as session:
        take_id = session.scalar(select(m.Take.id).where(m.Take.name == "A001_C004.mp4"))
        assert "declared not AI-generated: licensed stock" in history(session, take_id)[0].text
    window.deciding.undo()
    qtbot.waitUntil(lambda: panel.ai_basis.text().startswith("Unknown"), timeout=5000)

    # two clicks: right-click a plate, choose "Every take in plates/ is not AI-generated"
    window.stage.set_view("grid")
    qtbot.waitUntil(window.grid.isVisible)
    plate = window.model.index(_row_of(window, "A001_C003.mp4"), window.grid.modelColumn())
    window.grid.doItemsLayout()
    window.grid.scrollTo(plate)
    rect = window.grid.visualRect(plate)
    assert window.grid.indexAt(rect.center()) == plate

    menu = window.disclosure.build_menu(window.grid, rect.center())
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "Every take in plates/ is not AI-generated" in texts, texts
    action = next(a for a in menu.actions() if a.text() == "Every take in plates/ is not AI-generated")
    action.trigger()
    qtbot.waitUntil(lambda: "folder rule" in window.analysis.label.text(), timeout=10_000)
    assert "2 takes" in window.analysis.label.text()
    with open_project(path) as project, project.sessions() as session:
        bases = dict(session.execute(select(m.Take.name, m.Take.ai_basis)).all())
    assert bases == {"A001_C003.mp4": "rule", "A001_C004.mp4": "rule", "SH010_v1.mp4": "generator-metadata"}
    window.filter_bar.ai.setCurrentIndex(window.filter_bar.ai.findData("no"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
