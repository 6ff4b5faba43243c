"""Export from the GUI: the same shot lists as ``reviewer export``, written in a worker thread.

The PDF contact sheet too: Qt's painter draws on a PDF device in any thread, and a sheet of a few
hundred takes takes seconds (the same bytes as drawn on the GUI thread, checked).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.export.formats import SUFFIXES, Options, export, formats
from reviewer.export.selection import Selection, select_clips, select_heroes
from reviewer.store import models as m
from reviewer.store.db import Project
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import plain_label


def choices() -> list[tuple[str, str]]:
    return [(fmt, text) for fmt, (_writer, text) in formats().items()]


HEROES = None  # the stage box's data for the cut


def run_export(
    project: Project, fmt: str, stage: str | None, out: Path, options: Options
) -> tuple[Selection, list[Path]]:
    """Runs in a worker: read the selection (the cut when ``stage`` is None) and write it."""
    selection = select_heroes(project) if stage is HEROES else select_clips(project, stage)
    return selection, export(selection, fmt, out, options)


def has_heroes(project: Project) -> bool:
    with project.sessions() as session:
        return session.scalar(select(m.Shot.id).where(m.Shot.hero_take_id.is_not(None)).limit(1)) is not None


class ExportDialog(QDialog):
    def __init__(
        self, project: Project, stages: list[str], parent: QWidget | None = None, heroes: bool | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export a shot list")
        self.setObjectName("export-dialog")
        self.project = project
        self.tasks = Tasks(self, max_threads=1)
        self.written: list[Path] = []
        self.format = QComboBox()
        for fmt, text in choices():
            self.format.addItem(f"{fmt} — {text}", fmt)
        self.stage = QComboBox()
        self.stage.addItem("The cut: each shot's hero over its trim", HEROES)
        for name in stages:
            self.stage.addItem(f"Takes kept at {name}", name)
        # The cut once there is one; before that, the survivors of the last stage.
        heroes = has_heroes(project) if heroes is None else heroes  # the cut first, when there is one
        self.stage.setCurrentIndex(0 if heroes else len(stages))
        self.output = QLineEdit()
        self.output.setPlaceholderText("file to write (a new folder for selects)")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.force = QCheckBox("Replace an existing file")
        self.split = QCheckBox("One file per frame rate (EDL, ALE)")
        self.excel = QCheckBox("For Excel: UTF-8 with a byte order mark (CSV)")
        self.link = QCheckBox("Hard links instead of copies (selects)")
        self.template = QLineEdit("{shot}_{rank}_{name}")
        self.template.setToolTip("{shot} {rank} {name} {stem} {ext} {take_id} {model} {seed} {rating}")
        self.message = plain_label()
        self.message.setObjectName("export-message")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        path_row = QHBoxLayout()
        path_row.addWidget(self.output, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("What", self.stage)
        form.addRow("Write to", path_row)
        form.addRow("Selects names", self.template)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for box in (self.force, self.split, self.excel, self.link):
            layout.addWidget(box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.resize(620, 360)

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        text = self.output.text().strip()
        if text:
            path = Path(text)
            self.output.setText(
                str(path.with_suffix(SUFFIXES[fmt]) if SUFFIXES[fmt] else path.with_suffix(""))
            )

    def _browse(self) -> None:
        fmt = self.format.currentData()
        if fmt == "selects":
            path = QFileDialog.getExistingDirectory(self, "Folder to create the selects in")
            if path:
                self.output.setText(str(Path(path) / "selects"))
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export to", f"shot_list{SUFFIXES[fmt]}")
        if path:
            self.output.setText(path)

    def options(self) -> Options:
        return Options(
            force=self.force.isChecked(), split_by_rate=self.split.isChecked(), excel=self.excel.isChecked(),
            template=self.template.text() or "{shot}_{rank}_{name}", link=self.link.isChecked(),
        )  # fmt: skip

    def start(self) -> None:
        text = self.output.text().strip()
        if not text:
            self.message.setText("Choose where to write it.")
            return
        fmt = str(self.format.currentData())
        self.export_button.setEnabled(False)
        self.message.setText("Exporting…")
        self.tasks.run(
            run_export, self.project, fmt, self.stage.currentData(), Path(text).expanduser(), self.options(),
            done=self._done, failed=self._failed,
        )  # fmt: skip

    def _done(self, result: tuple[Selection, list[Path]]) -> None:
        selection, written = result
        self.written = written
        self.export_button.setEnabled(True)
        self.message.setText(
            f"{selection.summary()} written: "
            + ", ".join(p.name for p in written[:4])
            + (" …" if len(written) > 4 else "")
            + "".join(f"\n{notice}" for notice in selection.notices)
        )

    def _failed(self, exc: Exception) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(str(exc))
        if not isinstance(exc, KnownError):
            raise exc
