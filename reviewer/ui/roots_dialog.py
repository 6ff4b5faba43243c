"""Media roots on this workstation: where each shared root is found here, mapped with a folder picker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer.store import local
from reviewer.store.db import Project
from reviewer.ui.text import plain_label


def roots_of(project: Project) -> list[tuple[str, str, str, int]]:
    with project.sessions() as session:
        return local.roots(session)


class RootsDialog(QDialog):
    """The roots with their stored and local paths; "Map…" points a missing one at a folder here."""

    def __init__(
        self,
        project: Project,
        parent: QWidget | None = None,
        roots: list[tuple[str, str, str, int]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Media roots on this workstation")
        self.project = project
        self.changed = False
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Root", "Ingested from", "Found here at", "Takes"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        note = plain_label(
            "Shared storage may be mounted at another path on each workstation. The mapping is kept on this "
            f"workstation only ({local.path_map_file()}), never in the project."
        )
        note.setWordWrap(True)
        self.map_button = QPushButton("Map to a folder here…")
        self.map_button.clicked.connect(self.choose)
        self.unmap_button = QPushButton("Forget the mapping")
        self.unmap_button.clicked.connect(self.unmap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.map_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.unmap_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(900, 320)
        self.reload(roots)

    def reload(self, roots: list[tuple[str, str, str, int]] | None = None) -> None:
        """The roots as read (``roots``: read already, by the window in the background) and shown."""
        self.rows = roots if roots is not None else roots_of(self.project)
        self.table.setRowCount(len(self.rows))
        for k, (name, stored, here, takes) in enumerate(self.rows):
            found = Path(here).is_dir()
            place = here if found else f"not found ({here})"
            for column, text in enumerate((name, stored, place, f"{takes:,}")):
                self.table.setItem(k, column, QTableWidgetItem(text))
        if self.rows and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def selected_stored(self) -> str | None:
        k = self.table.currentRow()
        return self.rows[k][1] if 0 <= k < len(self.rows) else None

    def map_to(self, folder: str) -> None:
        stored = self.selected_stored()
        if stored is None or not folder:
            return
        local.set_mapping(stored, folder)
        self.changed = True
        self.reload()

    def choose(self) -> None:
        stored = self.selected_stored()
        if stored is not None:
            self.map_to(QFileDialog.getExistingDirectory(self, f"Where is {stored} on this workstation?"))

    def unmap(self) -> None:
        stored = self.selected_stored()
        if stored is not None:
            local.set_mapping(stored, None)
            self.changed = True
            self.reload()
