"""Stacks in the browser, by keys: folded under one tile, decided as one, opened and unfolded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer.ingest.ingest import ingest
from reviewer.store.db import open_project
from reviewer.ui.project_window import ProjectWindow
from tests.conftest import ClipFactory, place
from tests.ui.driver import CTRL, SHIFT, press, shown_window, state

SAME = {"generator": "ComfyUI", "model": "wan2.2", "seed": 77, "prompt": "a red truck at dawn"}


@pytest.fixture
def stacked(tmp_path: Path, clip: ClipFactory) -> Path:
    """Four takes of SH010: three re-renders of one generation (a stack), one other."""
    media = tmp_path / "media"
    for k, name in enumerate(("again_1", "again_2", "again_3")):
        place(clip(".mp4", seed=30 + k, frames=24), media / "SH010" / f"{name}.mp4")
        (media / "SH010" / f"{name}.json").write_text(json.dumps(SAME))
    place(clip(".mp4", seed=40, frames=24), media / "SH010" / "other.mp4")
    path = tmp_path / "stacked.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    return path


@pytest.fixture
def window(qtbot: QtBot, stacked: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, stacked, None)


def names(window: ProjectWindow) -> list[str]:
    model = window.model
    return [str(model.data(model.index(r, 1))) for r in range(model.rowCount())]


def test_a_stack_is_one_tile_and_one_verdict(qtbot: QtBot, window: ProjectWindow, stacked: Path) -> None:
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)  # folded once the stacks are found
    assert names(window) == ["again_1.mp4   [stack of 3]", "other.mp4"]
    assert "4 takes in 2 places" in window.status_label.text()
    window.grid.setCurrentIndex(window.model.index(0, 1))
    press(qtbot, window, Qt.Key.Key_P)  # the representative's verdict goes to its whole stack
    after = state(stacked)
    assert [after[f"again_{k}.mp4"]["stage"] for k in (1, 2, 3)] == ["Shortlist"] * 3  # kept at Triage
    assert after["other.mp4"]["stage"] == "Triage"
    assert "Kept: 3 takes" in window.status_label.text()
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # and one undo takes it back
    assert all(state(stacked)[f"again_{k}.mp4"]["stage"] == "Triage" for k in (1, 2, 3))

    press(qtbot, window, Qt.Key.Key_G, SHIFT)  # open the stack in place
    assert names(window) == [f"again_{k}.mp4   [{k} of 3 in a stack]" for k in (1, 2, 3)] + ["other.mp4"]
    window.grid.setCurrentIndex(window.model.index(1, 1))
    press(qtbot, window, Qt.Key.Key_X)  # an open stack's takes are decided one by one
    after = state(stacked)
    assert after["again_2.mp4"]["verdict"] == "reject" and after["again_1.mp4"]["verdict"] is None
    press(qtbot, window, Qt.Key.Key_G, SHIFT)  # closed again
    assert window.model.rowCount() == 2

    press(qtbot, window, Qt.Key.Key_G, CTRL)  # no folding at all
    assert window.model.rowCount() == 4 and not any("stack" in n for n in names(window))
    window.grid.setCurrentIndex(window.model.index(0, 1))
    press(qtbot, window, Qt.Key.Key_P)
    after = state(stacked)
    assert after["again_1.mp4"]["stage"] == "Shortlist" and after["again_3.mp4"]["stage"] == "Triage"
    press(qtbot, window, Qt.Key.Key_G, CTRL)
    assert window.model.rowCount() == 2
    window.grid.grab().save(str(stacked.parent / "stacks.png"))
