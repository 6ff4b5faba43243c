"""The generation round trip in the workspace: a watched folder's new takes appear while the reviewer
stays on their take, and the family of a take is one key away."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTreeWidget
from pytestqt.qtbot import QtBot

from reviewer.ingest import watch
from reviewer.ingest.ingest import ingest
from reviewer.store.db import open_project
from reviewer.ui.family_view import FamilyDialog
from reviewer.ui.project_window import ProjectWindow
from reviewer.ui.retry_dialog import RetryDialog
from tests.conftest import ClipFactory, place
from tests.ingest.test_lineage import graph_with, i2v_graph
from tests.ui.driver import SHIFT, current_name, press, shown_window


@pytest.fixture(params=["sqlite", "postgresql"])
def watched(
    request: pytest.FixtureRequest, qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> Iterator[ProjectWindow]:
    """Three takes, their folder watched by the project: a SQLite file, and a team project."""
    out = tmp_path / "ComfyUI" / "output"
    for k in range(3):
        place(clip(".mp4", seed=100 + k), out / f"old_{k}.mp4")
    path = str(tmp_path / "p.trproj") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    project = open_project(path)
    ingest(project, [out], workers=0)
    watch.add_folder(project, out, by="ana")  # stored in the project: watched when the workspace opens
    project.close()
    yield from shown_window(qtbot, path, 3)


def test_takes_written_into_a_watched_folder_appear_without_moving_the_reviewer(
    qtbot: QtBot, watched: ProjectWindow, tmp_path: Path, clip: ClipFactory
) -> None:
    window, out = watched, tmp_path / "ComfyUI" / "output"
    qtbot.waitUntil(lambda: window.watching.label.text() == "Watching 1 folder", timeout=10_000)
    press(qtbot, window, Qt.Key.Key_Down)
    assert current_name(window) == "old_1.mp4"
    part = out / ".new_take.mp4.tmp"  # a generator writes under a temporary name, then renames
    place(clip(".mp4", seed=110), part)
    os.replace(part, out / "new_take.mp4")
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=15_000)  # bench/watch.py times it
    assert current_name(window) == "old_1.mp4"  # the reviewer's take is where it was

    window.watching.show_dialog()
    dialog = window.watching.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.table.item(0, 0).text() == str(out) and dialog.table.item(0, 1).text() == "watching"
    assert "Ingested new_take.mp4" in dialog.log.toPlainText()
    dialog.table.selectRow(0)
    dialog.remove()
    with open_project(window.project.url) as check:
        assert watch.folders(check) == []
    dialog.reject()


@pytest.fixture
def family(qtbot: QtBot, tmp_path: Path, clip: ClipFactory) -> Iterator[ProjectWindow]:
    """A text-to-video take, two siblings (another seed; a small edit) and an image-to-video child."""
    out = tmp_path / "out"
    place(clip(".mp4", seed=120, tags={"prompt": json.dumps(graph_with(seed=1))}), out / "LTX_00001_.mp4")
    place(clip(".mp4", seed=121, tags={"prompt": json.dumps(graph_with(seed=2))}), out / "LTX_00002_.mp4")
    edited = graph_with(graph_with()["6"]["inputs"]["text"] + ", slow motion", seed=3)
    place(clip(".mp4", seed=122, tags={"prompt": json.dumps(edited)}), out / "LTX_00003_.mp4")
    place(
        clip(".mp4", seed=123, tags={"prompt": json.dumps(i2v_graph("LTX_00001_.png"))}),
        out / "WAN_00001_.mp4",
    )
    path = tmp_path / "p.trproj"
    project = open_project(path)
    ingest(project, [out], workers=0)
    project.close()
    yield from shown_window(qtbot, path, 4)


def test_the_family_of_a_take_is_one_key_away(qtbot: QtBot, family: ProjectWindow, tmp_path: Path) -> None:
    window = family
    assert current_name(window) == "LTX_00001_.mp4"
    press(qtbot, window, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FamilyDialog), timeout=5000)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, FamilyDialog)
    tree = dialog.findChild(QTreeWidget, "family-tree")
    assert tree is not None
    groups = {
        tree.topLevelItem(i).text(0): [tree.topLevelItem(i).child(k).text(0) for k in range(tree.topLevelItem(i).childCount())]
        for i in range(tree.topLevelItemCount())
    }  # fmt: skip
    assert groups == {
        "Parent (0)": [],
        "Siblings (2)": ["2 LTX_00002_.mp4", "3 LTX_00003_.mp4"],
        "Children (1)": ["4 WAN_00001_.mp4 (graph)"],
    }
    siblings = tree.topLevelItem(1)
    assert siblings.child(1).text(5) == "seed, prompt · same graph"
    tree.setCurrentItem(siblings.child(1))
    assert "slow motion" in dialog.detail.toHtml() and "#6b4f00" in dialog.detail.toHtml()
    child = tree.topLevelItem(2).child(0)
    tree.setCurrentItem(child)
    qtbot.keyClick(tree, Qt.Key.Key_Return)  # Enter goes to the take
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert current_name(window) == "WAN_00001_.mp4"


def test_a_retry_list_from_the_takes_shown(qtbot: QtBot, family: ProjectWindow, tmp_path: Path) -> None:
    window = family
    press(qtbot, window, Qt.Key.Key_X)  # LTX_00001_ rejected with morphing
    press(qtbot, window, Qt.Key.Key_M, SHIFT)
    window.commands.actions["app.retry_list"].trigger()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), RetryDialog), timeout=5000)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, RetryDialog) and len(dialog.take_ids) == 4  # every take shown
    dialog.seeds.setValue(2)
    dialog.negative.setText("morphing")
    dialog.folder.setText(str(tmp_path / "retry"))
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "ComfyUI graphs" in dialog.message.text(), timeout=10_000)
    assert dialog.message.text() == f"8 ComfyUI graphs for 4 takes in {tmp_path / 'retry'}"
    manifest = json.loads((tmp_path / "retry" / "retry.json").read_text())
    first = manifest["graphs"][0]
    assert first["parent"]["name"] == "LTX_00001_.mp4" and first["parent"]["tags"] == ["morphing"]
    graph = json.loads((tmp_path / "retry" / "tr1-v1.json").read_text())
    assert graph["7"]["inputs"]["text"].endswith(", morphing")
    dialog.reject()
