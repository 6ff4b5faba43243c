"""Watched folders in the workspace: the project's folders watched while the window is open (started
with the workspace), new takes ingested as the generators write them, and a dialog to add and remove
folders with the watch log. The watching itself is ``reviewer.ingest.watch`` in threads of its own; the
new takes reach the browser through the live updates (as others' ingests do) within about a second,
without moving the reviewer off the current take, and the background analysis pass is asked to go on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from reviewer.errors import KnownError
from reviewer.ingest import watch
from reviewer.store import lineage
from reviewer.store.db import Project
from reviewer.ui.text import plain_label
from reviewer.untrusted import for_terminal


def _lineage_backfill(project: Project) -> int:
    """(a worker) Families and parents for a project from before them: about 7 s for 70,000 takes, once."""
    with project.sessions() as session:
        if not lineage.missing(session):
            return 0
    return lineage.backfill_all(project)


class _Bridge(QObject):
    """The watcher's threads speak to the GUI thread through these (queued: this lives on the GUI thread)."""

    said = Signal(object)
    ingested = Signal(object)


class Watching:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.watcher: watch.Watcher | None = None
        self.folders: list[watch.Folder] = []
        self.log: list[watch.WatchEvent] = []
        self.status: dict[str, str] = {}  # folder -> watching, polling, error
        self.bridge = _Bridge(window)
        self.bridge.said.connect(self._event)
        self.bridge.ingested.connect(self._ingested)
        self.label = plain_label()
        self.label.setObjectName("watch")
        self.dialog: WatchDialog | None = None
        self.started = False  # started once the catalogue is in

    def start(self) -> None:
        """The project's watched folders, read (in the background in team mode), then watched; and the
        lineage of takes stored before there was lineage, worked out in the background."""
        self.w.ops.read(watch.folders, self.w.project, done=self._start, key="watch-folders")
        self.w.tasks.run(_lineage_backfill, self.w.project, key="lineage")

    def _start(self, folders: list[watch.Folder]) -> None:
        self.stop()
        self.folders = folders
        self.status = {}
        if not folders:
            self.label.setText("")
            return
        self.watcher = watch.Watcher(
            self.w.project, folders, analyze=False,
            on_event=self.bridge.said.emit, on_ingested=self.bridge.ingested.emit,
        )  # fmt: skip
        self.watcher.start()
        self._say_status()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def _event(self, event: watch.WatchEvent) -> None:
        self.log = [*self.log[-499:], event]
        if event.kind in ("watching", "polling", "error") and event.path:
            self.status[event.path] = event.kind
        if event.kind in ("unreadable", "error"):
            self.w.listing.say(for_terminal(f"Watch: {event.text}"))
        self._say_status()
        if self.dialog is not None:
            self.dialog.add_line(event)

    def _ingested(self, ids: list[int]) -> None:
        n = len(ids)
        self.w.listing.say(f"Watch: {n} new take{'s' if n != 1 else ''} ingested")
        self.w.analysis.start()  # their signals, filmstrips and proxies in the background pass

    def _say_status(self) -> None:
        watched = sum(1 for f in self.folders if self.status.get(f.path) in ("watching", "polling"))
        missing = len(self.folders) - watched
        text = f"Watching {watched} folder{'s' if watched != 1 else ''}" if watched else ""
        if missing and self.status:
            text += f"{', ' if text else ''}{missing} not reachable here"
        self.label.setText(text)

    # --- the dialog ---

    def show_dialog(self) -> None:
        self.dialog = WatchDialog(self)
        self.dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog.open()

    def add(self, path: str, poll: bool) -> str:
        try:
            watch.add_folder(self.w.project, path, poll=poll, by=self.w.reviewer)
        except KnownError as exc:
            return str(exc)
        self.start()
        return ""

    def remove(self, path: str) -> None:
        watch.remove_folder(self.w.project, path)
        self.start()


class WatchDialog(QDialog):
    """The watched folders with their state here, Add and Remove, and the watch log."""

    def __init__(self, watching: Watching) -> None:
        super().__init__(watching.w)
        self.watching = watching
        self.setWindowTitle("Watched folders")
        self.setObjectName("watch-folders")
        self.resize(820, 520)
        note = plain_label(
            "New takes in these folders are ingested as soon as they are complete (their size stands still "
            "and they read as video), in every window of this project. The list is kept in the project; "
            "every workstation with the project open watches the folders it can reach, and each file is "
            "ingested once."
        )
        note.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Folder", "Here", "Added by"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.poll = QCheckBox("Poll the folder (a network share, where notifications do not arrive)")
        self.message = plain_label()
        add = QPushButton("Add folder…")
        add.clicked.connect(self.choose)
        remove = QPushButton("Stop watching")
        remove.clicked.connect(self.remove)
        self.log = QPlainTextEdit()
        self.log.setObjectName("watch-log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        for event in watching.log:
            self.add_line(event)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(add, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(remove, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (note, self.table, self.poll, self.message, plain_label("Log"), self.log, buttons):
            layout.addWidget(widget)
        self.fill()

    def fill(self) -> None:
        w = self.watching
        self.table.setRowCount(len(w.folders))
        states = {"watching": "watching", "polling": "polling", "error": "not reachable here"}
        for row, folder in enumerate(w.folders):
            here = states.get(w.status.get(folder.path, ""), "starting…")
            for column, text in enumerate((folder.path, here, folder.added_by or "-")):
                self.table.setItem(row, column, QTableWidgetItem(for_terminal(text)))

    def add_line(self, event: watch.WatchEvent) -> None:
        self.log.appendPlainText(for_terminal(event.line()))
        self.fill()

    def choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "A generator's output folder to watch")
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        error = self.watching.add(path, self.poll.isChecked())
        self.message.setText(error)
        self.watching.w.ops.read(
            watch.folders, self.watching.w.project, done=self._refilled, key="watch-list"
        )

    def _refilled(self, folders: list[watch.Folder]) -> None:
        self.watching.folders = folders
        self.fill()

    def remove(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.watching.folders):
            self.watching.remove(self.watching.folders[row].path)
            self.fill()
