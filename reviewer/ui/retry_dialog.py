"""A retry list from the workspace: the selected takes (or every take shown), N new seeds each, the prompt
edits, written to a folder and, if a ComfyUI server is given, posted to it (``reviewer.export.retry``,
the same as ``reviewer retry``). Written and posted in a worker; the dialog says what came of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from reviewer.errors import KnownError
from reviewer.export import retry
from reviewer.store.db import Project
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import plain_label
from reviewer.untrusted import for_terminal


def write_retry(project: Project, ids: list[int], folder: Path, options: dict[str, Any], url: str) -> str:
    """(a worker) The retry list written (and posted): what came of it, in a few lines."""
    plan = retry.plan_retry(project, ids, folder, **options)
    parents = len({g.parent["id"] for g in plan.graphs})
    lines = [f"{len(plan.graphs)} ComfyUI graphs for {parents} takes in {folder}"]
    if plan.sheet:
        lines.append(f"{len(plan.sheet)} takes without a ComfyUI graph: {folder / retry.SHEET}")
    if url and plan.graphs:
        retry.submit(plan, url, project_name=str(project.setting("name", "") or ""))
        refused = [g for g in plan.graphs if g.refused]
        lines.append(f"{len(plan.graphs) - len(refused)} queued on {url}, {len(refused)} refused")
        lines += [f"{g.file}: {g.refused}" for g in refused[:5]]
    return "\n".join(lines)


class RetryDialog(QDialog):
    def __init__(self, window: Any, take_ids: list[int]) -> None:
        super().__init__(window)
        self.setWindowTitle("Retry list")
        self.setObjectName("retry-dialog")
        self.project = window.project
        self.take_ids = take_ids
        self.tasks = Tasks(self, max_threads=1)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 64)
        self.seeds.setValue(4)
        self.negative = QLineEdit()
        self.negative.setPlaceholderText("morphing, extra wheels")
        self.positive = QLineEdit()
        self.folder = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.server = QLineEdit()
        self.server.setPlaceholderText("http://host:8188 (empty: only write the files)")
        self.message = plain_label(f"{len(take_ids):,} takes: each ComfyUI take gets its graph with new seeds; the "
                                   "others go into a retry sheet (CSV).")  # fmt: skip
        self.message.setObjectName("retry-message")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("New seeds per take", self.seeds)
        form.addRow("Add to the negative prompt", self.negative)
        form.addRow("Add to the prompt", self.positive)
        form.addRow("Write into", row)
        form.addRow("Post to ComfyUI", self.server)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.write_button = self.buttons.addButton("Write", QDialogButtonBox.ButtonRole.ActionRole)
        self.write_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(640, 300)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder for the retry list")
        if path:
            self.folder.setText(path)

    def start(self) -> None:
        folder = self.folder.text().strip()
        if not folder:
            self.message.setText("Choose a folder to write the retry list into.")
            return
        options = {"seeds": self.seeds.value(), "negative_add": self.negative.text(),
                   "prompt_add": self.positive.text()}  # fmt: skip
        self.write_button.setEnabled(False)
        self.message.setText("Writing…")
        self.tasks.run(write_retry, self.project, self.take_ids, Path(folder), options, self.server.text().strip(),
                       done=self._done, failed=self._failed)  # fmt: skip

    def _done(self, text: str) -> None:
        self.write_button.setEnabled(True)
        self.message.setText(for_terminal(text, newlines=True))

    def _failed(self, exc: Exception) -> None:
        self.write_button.setEnabled(True)
        if not isinstance(exc, KnownError | OSError):
            raise exc
        self.message.setText(for_terminal(f"Not written: {exc}"))


def show_retry(window: Any) -> None:
    """The selected takes (several), else every take shown."""
    ids = window.listing.targets()
    if len(ids) <= 1:
        model = window.model
        ids = [t for t in (model.take_id(r) for r in range(model.rowCount())) if t is not None]
    if not ids:
        window.listing.say("No takes to retry")
        return
    RetryDialog(window, ids).open()
