"""The bins dock's controller: the built-in bins (per stage, "Looks broken" per reason) and the saved
smart bins, each with its count, kept by name (a label is only how a bin is shown); saving the filter
as a bin and deleting one. Given the project window, as the other docks' controllers are."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QListView, QPushButton, QVBoxLayout, QWidget

from reviewer.errors import KnownError
from reviewer.review.catalog import Catalog
from reviewer.review.session import delete_bin, filter_from_dict, load_bins, save_bin
from reviewer.store import queries
from reviewer.store.db import Project
from reviewer.ui.browser import BinsModel
from reviewer.ui.text import warn


def text_rows(project: Project, catalog: Catalog, text: str) -> tuple[str, np.ndarray]:
    """(a worker) The catalogue rows a full-text search finds."""
    with project.sessions() as session:
        return text, catalog.text_rows(session, text)


class BinsDock:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.model = BinsModel()
        self.view = QListView()
        self.view.setObjectName("bins")
        self.view.setModel(self.model)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.clicked.connect(self.clicked)
        save = QPushButton("Save filter as bin…")
        save.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        save.clicked.connect(self.save_current)
        delete = QPushButton("Delete bin")
        delete.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        delete.clicked.connect(self.delete_current)
        self.box = QWidget()
        layout = QVBoxLayout(self.box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(save)
        buttons.addWidget(delete)
        layout.addLayout(buttons)

    def clicked(self, index: QModelIndex) -> None:
        f = self.model.data(index, Qt.ItemDataRole.UserRole)
        if isinstance(f, queries.TakeFilter):
            self.w.listing.set_filter(f)

    def builtin(self, cat: Catalog) -> list[tuple[str, queries.TakeFilter]]:
        out = [("All takes", queries.TakeFilter())]
        for s, name in enumerate(cat.stages):
            out.append((f"{name}: to review", queries.TakeFilter(stage=s, status=queries.STATUS_PENDING)))
            out.append((f"{name}: rejected", queries.TakeFilter(stage=s, status=queries.STATUS_REJECTED)))
        out.append(("Selected", queries.TakeFilter(stage=len(cat.stages) - 1, status=queries.STATUS_KEPT)))
        # Suggestions from the analysis, never decisions: look through them, then reject in bulk (with undo).
        pending = {"stage": 0, "status": queries.STATUS_PENDING}
        out.append(("Looks broken (to review)", queries.TakeFilter(**pending, broken="any")))  # type: ignore[arg-type]
        for reason, label in (("frozen", "frozen"), ("still", "a still"), ("cut", "a cut"), ("black", "black"),
                              ("flicker", "flicker")):  # fmt: skip
            out.append((f"    … {label}", queries.TakeFilter(**pending, broken=reason)))  # type: ignore[arg-type]
        return out

    def refresh(self, cat: Catalog) -> None:
        """Every bin with its count from the catalogue (a saved bin with text: once its search is back);
        the saved bins are read through the window's ops (in the background in team mode)."""
        self.w.ops.read(load_bins, self.w.project, done=lambda saved: self._show(cat, saved), key="bins")

    def _show(self, cat: Catalog, saved: dict[str, dict[str, Any]]) -> None:
        w = self.w
        items: list[tuple[str, queries.TakeFilter, int, bool]] = []
        for name, f in self.builtin(cat):
            items.append((name, f, int(cat.mask(f).sum()), False))
        for name, data in sorted(saved.items(), key=lambda kv: kv[0].lower()):
            f = filter_from_dict(data)
            rows = w.listing.text_cache.get(f.text.strip()) if f.text.strip() else None
            if f.text.strip() and rows is None:
                w.tasks.run(text_rows, w.project, cat, f.text.strip(), done=self._text_found)
                count = -1
            else:
                count = int(cat.mask(f, rows).sum())
            items.append((name, f, count, True))
        self.model.set_bins(items)

    def _text_found(self, result: tuple[str, np.ndarray]) -> None:
        text, rows = result
        self.w.listing.remember_text(text, rows)
        self.w.bin_timer.start()

    def save_current(self) -> None:
        w = self.w
        name, ok = QInputDialog.getText(w, "Save bin", "Name of the smart bin for this filter:")
        if ok and name.strip():

            def refused(exc: Exception) -> None:
                if isinstance(exc, KnownError):
                    warn(w, "Save bin", str(exc))

            w.ops.write(save_bin, w.project, name, w.listing.filter, done=lambda _r: w.listing.refresh_counts(),
                        failed=refused)  # fmt: skip

    def delete_current(self) -> None:
        name = self.model.data(self.view.currentIndex(), Qt.ItemDataRole.UserRole + 1)  # saved bins only
        if name:
            self.w.ops.write(
                delete_bin, self.w.project, str(name), done=lambda _r: self.w.listing.refresh_counts()
            )
