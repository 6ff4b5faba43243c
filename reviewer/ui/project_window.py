"""The project window: the shots with their funnel counts beside a grid of take posters.

Rows are read from the store in a worker thread and handed over as plain dicts; posters are read from
the local cache in worker threads as they scroll into view. (The full review workspace with the
player and the triage session is built on top of this in later work.)
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QAction, QCloseEvent, QColor, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListView,
    QMainWindow,
    QSplitter,
    QTableView,
)

from reviewer.media import cache
from reviewer.review.decisions import Note, notes_of
from reviewer.review.keymap import default_keymap
from reviewer.store import queries
from reviewer.store.db import Project
from reviewer.ui.player import PREFETCH, PlayerWidget
from reviewer.ui.tasks import Tasks

ALL_SHOTS = "All takes"
POSTER = QSize(192, 108)
VERDICT_COLOURS = {"keep": QColor("#3fa45b"), "reject": QColor("#c8453a")}

Index = QModelIndex | QPersistentModelIndex


def load_rows(project: Project) -> tuple[list[dict[str, Any]], queries.Funnel, int, str]:
    """Everything the window shows, read in one go (runs in a worker thread)."""
    with project.sessions() as session:
        ids: list[int] = list(session.scalars(queries.select_takes(session, queries.TakeFilter())))
        rows = list(queries.take_rows(session, ids))
        funnel = queries.funnel(session)
        problems = len(queries.problems(session))
    name = project.setting("name") or (project.path.stem if project.path else project.url)
    return rows, funnel, problems, str(name)


def load_notes(project: Project, take_id: int) -> list[Note]:
    with project.sessions() as session:
        return notes_of(session, take_id)


def load_poster(content_hash: str) -> QImage | None:
    """The cached poster as a QImage, scaled to the grid (runs in a worker thread; QImage is thread-safe)."""
    path = cache.poster_path(content_hash)
    image = QImage(str(path)) if path.exists() else QImage()
    if image.isNull():
        return None
    return image.scaled(
        POSTER, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class ShotModel(QAbstractTableModel):
    """One row per shot (and one for all takes): takes, then pending/kept/rejected at each stage."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[queries.StageCount]]] = []
        self.stage_names: list[str] = []

    def set_funnel(self, funnel: queries.Funnel) -> None:
        self.beginResetModel()
        self.stage_names = [s.name for s in funnel.stages]
        self.rows = [(ALL_SHOTS, funnel.stages), *funnel.per_shot.items()]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2 + len(self.stage_names)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return "Shot"
        if section == 1:
            return "Takes"
        return f"{self.stage_names[section - 2]}  (to do · kept · out)"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        code, counts = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return code
            if col == 1:
                return counts[0].reached if counts else 0
            c = counts[col - 2]
            return f"{c.pending} · {c.kept} ✓ · {c.rejected} ✗" if c.reached else "—"
        if role == Qt.ItemDataRole.ToolTipRole and col >= 2:
            c = counts[col - 2]
            return f"{c.name}: {c.reached} reached, {c.pending} waiting, {c.kept} kept, {c.rejected} rejected"
        if role == Qt.ItemDataRole.UserRole:
            return None if code == ALL_SHOTS else code
        return None


class TakeGridModel(QAbstractListModel):
    """Take posters for a grid view; posters load in the background the first time they are asked for."""

    def __init__(self, tasks: Tasks) -> None:
        super().__init__()
        self.tasks = tasks
        self.rows: list[dict[str, Any]] = []
        self.rows_of_hash: dict[str, list[int]] = {}
        self.posters: dict[str, QImage | None] = {}
        self.placeholder = QImage(POSTER, QImage.Format.Format_RGB32)
        self.placeholder.fill(QColor("#26282b"))

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.rows_of_hash = {}
        for i, row in enumerate(rows):
            self.rows_of_hash.setdefault(row["content_hash"], []).append(i)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row["name"]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._poster(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                row["name"],
                f"{row['shot'] or 'no shot'} · {row['stage']} · {row['verdict'] or 'to review'}",
                f"{row['width']}×{row['height']} {row['video_codec']} {row['fps']} fps · {row['frame_count']} frames",
                f"{row['generator'] or ''} {row['model'] or ''} seed {row['seed'] or '—'}".strip(),
            ]
            return "\n".join(lines)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def _poster(self, row: dict[str, Any]) -> QImage:
        key = row["content_hash"]
        if key in self.posters:
            return self._badge(self.posters[key] or self.placeholder, row)
        self.posters[key] = None
        self.tasks.run(load_poster, key, done=partial(self._poster_loaded, key))
        return self._badge(self.placeholder, row)

    def _poster_loaded(self, key: str, image: QImage | None) -> None:
        if image is None:
            return
        self.posters[key] = image
        for i in self.rows_of_hash.get(key, ()):
            idx = self.index(i)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _badge(self, image: QImage, row: dict[str, Any]) -> QImage:
        """The poster on a fixed-size tile, with a strip in the verdict's colour along the bottom."""
        tile = QImage(POSTER, QImage.Format.Format_RGB32)
        tile.fill(QColor("#101113"))
        painter = QPainter(tile)
        painter.drawImage(
            (POSTER.width() - image.width()) // 2, (POSTER.height() - image.height()) // 2, image
        )
        kept_before = row["stage_position"] > 0 and row["verdict"] != "reject"
        colour = VERDICT_COLOURS.get(row["verdict"] or ("keep" if kept_before else ""))
        if colour is not None:
            painter.fillRect(0, POSTER.height() - 5, POSTER.width(), 5, colour)
        painter.end()
        return tile


class ProjectWindow(QMainWindow):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.tasks = Tasks(self, max_threads=4)
        self.all_rows: list[dict[str, Any]] = []
        self.setWindowTitle("Take Reviewer")

        self.shots = ShotModel()
        self.shot_view = QTableView()
        self.shot_view.setObjectName("shots")
        self.shot_view.setModel(self.shots)
        self.shot_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.shot_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.shot_view.verticalHeader().hide()
        self.shot_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.shot_view.selectionModel().currentRowChanged.connect(self._shot_chosen)

        self.grid = TakeGridModel(self.tasks)
        self.grid_view = QListView()
        self.grid_view.setObjectName("takes")
        self.grid_view.setModel(self.grid)
        self.grid_view.setViewMode(QListView.ViewMode.IconMode)
        self.grid_view.setIconSize(POSTER)
        self.grid_view.setGridSize(QSize(POSTER.width() + 16, POSTER.height() + 40))
        self.grid_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid_view.setMovement(QListView.Movement.Static)
        self.grid_view.setUniformItemSizes(True)
        self.grid_view.setWordWrap(True)
        self.grid_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Keys belong to the player; the grid is browsed with the mouse or Up/Down through the takes.
        self.grid_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.shot_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.grid_view.selectionModel().currentChanged.connect(self._take_chosen)

        self.player = PlayerWidget()
        browse = QSplitter(Qt.Orientation.Vertical)
        browse.addWidget(self.shot_view)
        browse.addWidget(self.grid_view)
        browse.setSizes([260, 640])
        splitter = QSplitter()
        splitter.addWidget(browse)
        splitter.addWidget(self.player)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([560, 940])
        self.setCentralWidget(splitter)
        self._install_queue_actions()
        self.funnel_label = QLabel("Loading…")
        self.funnel_label.setObjectName("funnel")
        self.statusBar().addWidget(self.funnel_label, 1)
        self.resize(1500, 900)
        self.reload()

    def _install_queue_actions(self) -> None:
        keys = default_keymap()
        for command, handler in (
            ("queue.next_take", lambda: self.go_to_take(+1)),
            ("queue.previous_take", lambda: self.go_to_take(-1)),
            ("app.quit", self.close),
        ):
            action = QAction(command, self)
            action.setShortcuts([QKeySequence(k) for k in keys.get(command, [])])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handler)
            self.addAction(action)

    def go_to_take(self, delta: int) -> None:
        """The previous or next take of the grid becomes the current one (and plays)."""
        count = self.grid.rowCount()
        if not count:
            return
        row = self.grid_view.currentIndex().row()
        row = 0 if row < 0 else max(0, min(count - 1, row + delta))
        self.grid_view.setCurrentIndex(self.grid.index(row))

    def _take_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        rows = self.grid.rows
        row = current.row()
        take = rows[row]
        self.player.load(take, rows[row + 1 : row + 1 + PREFETCH])
        self.player.setFocus()
        if take.get("notes"):
            self.tasks.run(
                load_notes,
                self.project,
                take["id"],
                done=partial(self.player.set_notes, take["id"]),
                key="notes",
            )

    def reload(self) -> None:
        self.tasks.run(load_rows, self.project, done=self._loaded, key="rows")

    def _loaded(self, result: tuple[list[dict[str, Any]], queries.Funnel, int, str]) -> None:
        rows, funnel, problems, name = result
        self.all_rows = rows
        where = self.project.path or self.project.url
        self.setWindowTitle(f"{name} — Take Reviewer")
        self.shots.set_funnel(funnel)
        self.grid.set_rows(rows)
        if rows:
            self.grid_view.setCurrentIndex(self.grid.index(0))
        parts = [f"{funnel.total} takes"]
        parts += [f"{s.name}: {s.pending} to do, {s.kept} kept, {s.rejected} rejected" for s in funnel.stages]
        if problems:
            parts.append(f"{problems} unreadable files")
        self.funnel_label.setText("   ·   ".join(parts) + f"      {Path(str(where)).name}")

    def _shot_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code = self.shots.data(self.shots.index(current.row(), 0), Qt.ItemDataRole.UserRole)
        rows = self.all_rows if code is None else [r for r in self.all_rows if r["shot"] == code]
        self.grid.set_rows(rows)
        if rows:
            self.grid_view.setCurrentIndex(self.grid.index(0))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.player.close_all()
        self.tasks.wait(10_000)
        self.project.close()
        super().closeEvent(event)
