"""Declaring AI disclosure from the workspace: the Take panel's choice, the commands, and the browser's
context menu, where a folder rule for the takes' folder is two clicks ("plates/ are camera originals").

A declaration on takes is one undoable step through ``Ops``; a folder rule may cover thousands of takes,
so it runs in a worker and the listing reloads when it is done.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QAbstractItemView, QMenu

from reviewer.review import disclosure
from reviewer.store import queries
from reviewer.store.disclosure import ANSWERS, EVIDENCE, word

SAID = {
    "yes": "AI-generated",
    "no": "not AI-generated",
    "unknown": "unknown",
    EVIDENCE: "as the evidence says",
}


class DisclosureActions(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window

    def declare(self, ai: str, why: str = "") -> None:
        """Declare the targets (the selection, the survey's cursor cell, the take on screen)."""
        w = self.window
        ids = w.listing.targets()
        if not ids:
            return
        label = f"Declared {SAID[ai]}"
        w.ops.run(label, disclosure.declare, w.project, ids, ai, why, w.reviewer,
                  said=f"{len(ids)} take{'s' if len(ids) != 1 else ''}: {SAID[ai]} (Ctrl+Z undoes)")  # fmt: skip

    def folder_of_current(self) -> Path | None:
        return self._folder_of(self.window.listing.current_id)

    def _folder_of(self, take_id: int | None) -> Path | None:
        """The folder holding the take's file on this workstation."""
        if take_id is None:
            return None
        row = self.window.listing.current_row
        if not (row and row.get("id") == take_id):
            row = self.window.listing.rows.get(take_id)  # team mode: read ahead, likely
        if row is None:
            with self.window.project.sessions() as session:
                row = next(queries.take_rows(session, [take_id]), None)
        return Path(str(row["path"])).parent if row and row.get("path") else None

    def folder_rule(self, ai: str, folder: Path | None = None) -> None:
        """Every take in the current take's folder, now and later, is ``ai`` (unless its file says)."""
        w = self.window
        folder = folder or self.folder_of_current()
        if folder is None:
            return
        shown = f"{folder.name}/"
        w.status_label.setText(f"Folder rule for {shown}: {SAID[ai]}…")

        def done(result: tuple[Any, int]) -> None:
            rule, covered = result
            w.listing.reload()
            w.analysis.label.setText(f"{rule.text()}: {covered} takes now, and new takes in it")

        def failed(exc: Exception) -> None:
            w.status_label.setText(str(exc))

        w.tasks.run(disclosure.add_rule, w.project, str(folder), ai, "", w.reviewer, done=done, failed=failed,
                    key="folder-rule")  # fmt: skip

    def menu(self, view: QAbstractItemView, pos: QPoint) -> None:
        """The browser's context menu at ``pos``: declare the selection, or make a rule for its folder."""
        built = self.build_menu(view, pos)
        if built is not None:
            built.exec(view.viewport().mapToGlobal(pos))

    def build_menu(self, view: QAbstractItemView, pos: QPoint) -> QMenu | None:
        index = view.indexAt(pos)
        clicked = (
            self.window.model.take_id(index.row()) if index.isValid() else self.window.listing.current_id
        )
        if index.isValid() and not view.selectionModel().isSelected(index):
            view.setCurrentIndex(index)
        if clicked is None:
            return None
        n = len(self.window.listing.targets())
        menu = QMenu(view)
        menu.setObjectName("disclosure-menu")
        takes = f"{n} takes" if n != 1 else "this take"
        for ai in ("no", "yes", "unknown", EVIDENCE):
            text = f"Declare {takes} {SAID[ai]}" if ai != EVIDENCE else f"Give {takes} back to the evidence"
            menu.addAction(text, partial(self.declare, ai))
        folder = self._folder_of(clicked)
        if folder is not None:
            menu.addSeparator()
            for ai in ("no", "yes"):
                menu.addAction(
                    f"Every take in {folder.name}/ is {word(ANSWERS[ai])}",
                    partial(self.folder_rule, ai, folder),
                )
        return menu
