"""The shot board: the storyboard's shots in order with their funnel, best rating, hero and a warning.

Counts per stage come live from the in-memory catalogue (``set_funnel``); titles, targets, best
ratings and heroes come from the store (``set_board``, read in a worker after changes). Takes dropped
on a shot are moved there (through the window, so the move is an undoable event).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reviewer.review.shots import ShotRow
from reviewer.store import queries
from reviewer.ui.text import tip

Index: TypeAlias = QModelIndex | QPersistentModelIndex
ALL_SHOTS = "All takes"
TAKE_IDS_MIME = "application/x-take-reviewer-take-ids"
WARNING = QColor("#e0503c")


def encode_take_ids(ids: Sequence[int]) -> QMimeData:
    data = QMimeData()
    data.setData(TAKE_IDS_MIME, ",".join(str(i) for i in ids).encode())
    return data


def decode_take_ids(data: QMimeData) -> list[int]:
    if not data.hasFormat(TAKE_IDS_MIME):
        return []
    text = bytes(data.data(TAKE_IDS_MIME).data()).decode(errors="replace")
    return [int(t) for t in text.split(",") if t.strip().isdigit()]


class ShotBoardModel(QAbstractTableModel):
    """Row 0: all shots; then one row per shot in board order (shots only in the catalogue at the end)."""

    takes_dropped = Signal(str, list)  # shot code, take ids

    def __init__(self) -> None:
        super().__init__()
        self.stage_names: list[str] = []
        self.counts: dict[str, list[queries.StageCount]] = {}
        self.board: dict[str, ShotRow] = {}
        self.codes: list[str] = []

    # --- feeding ---------------------------------------------------------------------------

    def set_funnel(self, funnel: queries.Funnel) -> None:
        self.beginResetModel()
        self.stage_names = [s.name for s in funnel.stages]
        self.counts = {ALL_SHOTS: funnel.stages, **funnel.per_shot}
        self._order()
        self.endResetModel()

    def set_board(self, rows: Sequence[ShotRow]) -> None:
        self.beginResetModel()
        self.board = {r.code: r for r in rows}
        self._order()
        self.endResetModel()

    def _order(self) -> None:
        extra = [c for c in self.counts if c != ALL_SHOTS and c not in self.board]
        self.codes = [ALL_SHOTS, *self.board, *extra]

    def row_of(self, code: str) -> int | None:
        return self.codes.index(code) if code in self.codes else None

    def code_at(self, row: int) -> str | None:
        """What the row filters by: a shot code or "(no shot)"; None for the all-takes row."""
        if not 0 < row < len(self.codes):
            return None
        return self.codes[row]

    def shot_at(self, row: int) -> str | None:
        """The code of the board's shot at ``row`` (None for the all-takes and no-shot rows)."""
        code = self.code_at(row)
        return code if code in self.board else None

    # --- the model ---------------------------------------------------------------------------

    COLUMNS = ("Shot", "Title", "Takes")
    TAIL = ("Best", "Hero", "Length", "Status")

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.codes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS) + len(self.stage_names) + len(self.TAIL)

    def _column(self, col: int) -> str:
        n = len(self.COLUMNS)
        if col < n:
            return self.COLUMNS[col]
        if col < n + len(self.stage_names):
            return "stage"
        return self.TAIL[col - n - len(self.stage_names)]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < self.columnCount():
            return None
        name = self._column(section)
        if name == "stage":
            return f"{self.stage_names[section - len(self.COLUMNS)]} (to do · ✓ · ✗)"
        return name

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.isValid() and self.shot_at(index.row()) is not None:
            base |= Qt.ItemFlag.ItemIsDropEnabled
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.codes):
            return None
        code = self.codes[index.row()]
        counts = self.counts.get(code, [])
        shot = self.board.get(code)
        name = self._column(index.column())
        if role == Qt.ItemDataRole.UserRole:
            return self.shot_at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(name, index.column(), code, counts, shot)
        if role == Qt.ItemDataRole.ToolTipRole:
            if name == "stage" and counts:
                c = counts[index.column() - len(self.COLUMNS)]
                return tip(
                    f"{c.name}: {c.reached} reached, {c.pending} waiting, {c.kept} kept, {c.rejected} rejected"
                )
            if shot is not None and name in ("Shot", "Title"):
                return tip("\n".join(t for t in (shot.code, shot.title, shot.description) if t))
            if shot is not None and shot.hero is not None and name == "Hero":
                return tip(
                    f"{shot.hero.name}\nframes {shot.hero.frame_in}–{shot.hero.frame_out}\n{shot.hero.path}"
                )
        if role == Qt.ItemDataRole.ForegroundRole and name == "Status" and shot is not None and shot.warning:
            return QBrush(WARNING)
        if role == Qt.ItemDataRole.TextAlignmentRole and name in ("Takes", "Best", "Length"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(
        self, name: str, col: int, code: str, counts: list[queries.StageCount], shot: ShotRow | None
    ) -> str:
        if name == "Shot":
            return code
        if name == "Title":
            return shot.title if shot else ""
        if name == "Takes":
            return str(counts[0].reached if counts else 0)
        if name == "stage":
            if not counts:
                return "—"
            c = counts[col - len(self.COLUMNS)]
            return f"{c.pending} · {c.kept} · {c.rejected}" if c.reached else "—"
        if shot is None:
            return ""
        if name == "Best":
            return "★" * shot.best_rating if shot.best_rating else ""
        if name == "Hero":
            return shot.hero.name if shot.hero else ""
        if name == "Length":
            target = f"{shot.target_frames}f" if shot.target_frames else "—"
            return f"{shot.hero.frames}f / {target}" if shot.hero else target
        if name == "Status":
            return f"⚠ {shot.warning}" if shot.warning else "✓ hero"
        return ""

    # --- dropping takes on a shot ----------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [TAKE_IDS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return bool(decode_take_ids(data)) and self.shot_at(parent.row()) is not None

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        code = self.shot_at(parent.row())
        ids = decode_take_ids(data)
        if code is None or not ids:
            return False
        self.takes_dropped.emit(code, ids)
        return False  # the move happens through the log; nothing is inserted into this model


class ShotBoard(QWidget):
    """The board's table with its buttons; the window connects the buttons to its commands."""

    def __init__(self, model: ShotBoardModel) -> None:
        super().__init__()
        self.model = model
        self.view = QTableView()
        self.view.setObjectName("shots")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the title is elided (its tooltip has it whole) so that counts, hero and status stay in view
        self.view.horizontalHeader().setMinimumSectionSize(30)
        model.modelReset.connect(self._narrow_title)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.setAcceptDrops(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.setDropIndicatorShown(True)
        self.view.setWordWrap(False)
        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        row.setContentsMargins(2, 2, 2, 2)
        for key, text, hint in (
            ("new", "New", "New shot after the selected one"),
            ("edit", "Edit…", "Rename the shot, change its title, description or target length"),
            ("up", "▲", "Move the shot up the board"),
            ("down", "▼", "Move the shot down the board"),
            ("import", "Import CSV…", "Shots from a CSV: code, title, description, target duration"),
            ("delete", "Delete", "Delete the shot (only when it has no takes)"),
            ("clear_hero", "Clear hero", "The selected shot has no hero any more (undoable)"),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(hint)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)

    def _narrow_title(self) -> None:
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 140)

    def selected_code(self) -> str | None:
        index = self.view.currentIndex()
        return self.model.shot_at(index.row()) if index.isValid() else None

    def select_code(self, code: str) -> None:
        row = self.model.row_of(code)
        if row is not None:
            self.view.selectRow(row)


class ShotDialog(QDialog):
    """Edit one shot: code, title, description and target length in frames."""

    def __init__(self, parent: QWidget | None, shot: ShotRow | None, code: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Shot {shot.code}" if shot else "New shot")
        self.code = QLineEdit(shot.code if shot else code)
        self.title = QLineEdit(shot.title if shot else "")
        self.description = QPlainTextEdit(shot.description if shot else "")
        self.description.setTabChangesFocus(True)
        self.target = QSpinBox()
        self.target.setRange(0, 1_000_000)
        self.target.setSpecialValueText("none")
        self.target.setSuffix(" frames")
        self.target.setValue(shot.target_frames or 0 if shot else 0)
        form = QFormLayout(self)
        form.addRow("Code", self.code)
        form.addRow("Title", self.title)
        form.addRow("Description", self.description)
        form.addRow("Target length", self.target)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, str, int | None]:
        target = self.target.value()
        return (
            self.code.text().strip(),
            self.title.text().strip(),
            self.description.toPlainText().strip(),
            target or None,
        )
