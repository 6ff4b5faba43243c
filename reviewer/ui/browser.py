"""The take browser: one virtual model over the catalogue, shown as a poster grid or a sortable table.

The model holds the catalogue (columns in memory) and the rows of the current filter as a numpy array;
a view asks only for what it paints, so 70,000 takes cost what a screenful costs. Posters and
filmstrips are read from the cache in worker threads the first time a row is painted, and kept in a
bounded LRU. Hovering a grid tile scrubs through the take's filmstrip.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeAlias

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QToolButton,
    QWidget,
)

from reviewer.media import cache
from reviewer.review.catalog import COLUMN_KEYS, COLUMNS, Catalog
from reviewer.review.session import describe_filter
from reviewer.store import queries
from reviewer.ui.shot_board import TAKE_IDS_MIME, encode_take_ids
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import plain_label, tip

POSTER = QSize(192, 108)
TILE = QSize(POSTER.width() + 12, POSTER.height() + 34)
POSTER_CACHE = 1500  # QImages of 192x108: about 125 MB at most
VERDICT_COLOURS = {"keep": QColor("#3fa45b"), "reject": QColor("#c8453a"), "selected": QColor("#e3c14b")}

Index: TypeAlias = QModelIndex | QPersistentModelIndex


def load_image(path: str, size: QSize | None) -> QImage | None:
    """An image file from the cache, optionally scaled (runs in a worker thread; QImage is thread-safe)."""
    image = QImage(path)
    if image.isNull():
        return None
    if size is None:
        return image
    return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class ImageCache(QObject):
    """Posters and filmstrips by content hash, loaded in the background, least recently used dropped."""

    loaded = Signal(str)  # content hash

    def __init__(self, tasks: Tasks, limit: int = POSTER_CACHE) -> None:
        super().__init__()
        self.tasks = tasks
        self.limit = limit
        self.posters: OrderedDict[str, QImage | None] = OrderedDict()
        self.strips: OrderedDict[str, QImage | None] = OrderedDict()

    def poster(self, content_hash: str) -> QImage | None:
        return self._get(self.posters, content_hash, str(cache.poster_path(content_hash)), POSTER)

    def strip(self, content_hash: str) -> QImage | None:
        return self._get(self.strips, content_hash, str(cache.filmstrip_path(content_hash)), None)

    def _get(
        self, store: OrderedDict[str, QImage | None], key: str, path: str, size: QSize | None
    ) -> QImage | None:
        if key in store:
            store.move_to_end(key)
            return store[key]
        store[key] = None  # asked for: loading
        while len(store) > self.limit:
            store.popitem(last=False)
        self.tasks.run(load_image, path, size, done=partial(self._done, store, key))
        return None

    def _done(self, store: OrderedDict[str, QImage | None], key: str, image: QImage | None) -> None:
        if image is not None and key in store:
            store[key] = image
            self.loaded.emit(key)


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
    }
)


class TakeModel(QAbstractTableModel):
    """The rows of the current filter (the grid shows column 1, the name, painted by ``TileDelegate``)."""

    def __init__(self, images: ImageCache) -> None:
        super().__init__()
        self.catalog: Catalog | None = None
        self.rows = np.zeros(0, np.int64)  # catalogue rows, in display order
        self._rows_list: list[int] = []  # the same as Python ints: indexing it is what data() does most
        self.images = images
        self.hover: tuple[int, float] | None = None  # (row, 0..1 across the tile) while scrubbing a tile
        # catalogue row -> (place, size) in its stack: (0, 3) stands for a folded stack of 3,
        # (1, 3) is the first take of an open one
        self.stack_marks: dict[int, tuple[int, int]] = {}

    # --- content ---------------------------------------------------------------------------

    def set_rows(self, catalog: Catalog, rows: np.ndarray) -> None:
        self.beginResetModel()
        self.catalog, self.rows = catalog, rows
        self._rows_list = rows.tolist()
        self.hover = None
        self.endResetModel()

    def take_id(self, row: int) -> int | None:
        if self.catalog is None or not 0 <= row < len(self.rows):
            return None
        return int(self.catalog.ids[self.rows[row]])

    def take_ids(self) -> list[int]:
        return [] if self.catalog is None else [int(t) for t in self.catalog.ids[self.rows]]

    def row_of(self, take_id: int) -> int | None:
        """Where a take is shown (None: not in this listing)."""
        if self.catalog is None:
            return None
        cat_row = self.catalog.row_of.get(take_id)
        if cat_row is None:
            return None
        found = np.flatnonzero(self.rows == cat_row)  # a vector compare: no per-reset index to rebuild
        return int(found[0]) if len(found) else None

    def takes_changed(self, take_ids: Sequence[int]) -> None:
        """Repaint the rows of these takes (their state changed in the catalogue)."""
        for take_id in take_ids:
            row = self.row_of(take_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def remove_take(self, take_id: int) -> None:
        row = self.row_of(take_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self.rows = np.delete(self.rows, row)
        del self._rows_list[row]
        self.endRemoveRows()

    def insert_take(self, take_id: int, row: int) -> None:
        if self.catalog is None or take_id not in self.catalog.row_of or self.row_of(take_id) is not None:
            return
        row = max(0, min(row, len(self.rows)))
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows = np.insert(self.rows, row, self.catalog.row_of[take_id])
        self._rows_list.insert(row, self.catalog.row_of[take_id])
        self.endInsertRows()

    # --- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section][1]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
            | Qt.ItemFlag.ItemIsDragEnabled
        )

    def mimeTypes(self) -> list[str]:
        return [TAKE_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragged takes (onto a shot of the board): their ids."""
        ids = [t for t in dict.fromkeys(self.take_id(i.row()) for i in indexes) if t is not None]
        return encode_take_ids(ids)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A view asks for about eight roles per cell and repaint; only these five mean anything here,
        # so the others return before any work (painting a screenful of the table stays cheap).
        if role not in _ROLES:
            return None
        cat = self.catalog
        row = index.row()
        if cat is None or not 0 <= row < len(self.rows) or not index.isValid():
            return None
        i = self._rows_list[row]
        key = COLUMN_KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name" and i in self.stack_marks:
                return f"{cat.name[i]}   [{stack_text(*self.stack_marks[i])}]"
            return cat.cell(i, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "prompt":
                return tip(cat.prompt[i]) or None
            return tip(
                f"{cat.name[i]}\n{cat.shot_code(i) or 'no shot'} · {cat.status(i)}\n{cat.prompt[i][:300]}"
            )
        if role == Qt.ItemDataRole.ForegroundRole and key == "verdict":
            return VERDICT_COLOURS.get(_verdict_key(cat, i))
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self.catalog is None or not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_takes = [self.take_id(ix.row()) for ix in old]
        self.rows = self.catalog.sort(self.rows, COLUMN_KEYS[column], order == Qt.SortOrder.DescendingOrder)
        self._rows_list = self.rows.tolist()
        new = []
        for ix, take_id in zip(old, old_takes, strict=True):
            row = self.row_of(take_id) if take_id is not None else None
            new.append(self.index(row, ix.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()


def stack_text(place: int, size: int) -> str:
    return f"stack of {size}" if place == 0 else f"{place} of {size} in a stack"


def _verdict_key(cat: Catalog, i: int) -> str:
    if cat.stage_pos[i] >= len(cat.stages):
        return "selected"
    if cat.rejected[i]:
        return "reject"
    return "keep" if cat.stage_pos[i] > 0 else ""


class TileDelegate(QStyledItemDelegate):
    """A grid tile: poster (or the hovered filmstrip frame), name, stars and a verdict strip."""

    def __init__(self, model: TakeModel) -> None:
        super().__init__()
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cat = self.model.catalog
        if cat is None:
            return
        i = int(self.model.rows[index.row()])
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.fillRect(rect.adjusted(2, 2, -2, -2), QColor("#2f4a7a" if selected else "#1a1b1d"))
        pic = QRect(rect.x() + 6, rect.y() + 6, POSTER.width(), POSTER.height())
        painter.fillRect(pic, QColor("#101113"))
        image = self._picture(index.row(), cat.content_hash[i])
        if image is not None and not image.isNull():
            scaled = image.size().scaled(pic.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(pic.center())
            painter.drawImage(target, image)
        colour = VERDICT_COLOURS.get(_verdict_key(cat, i))
        if colour is not None:
            painter.fillRect(QRect(pic.x(), pic.bottom() - 4, pic.width(), 5), colour)
        mark = self.model.stack_marks.get(i)
        if mark:
            self._badge(painter, pic, *mark)
        broken = cat.brokens.values[cat.broken[i]] if len(cat.broken) else ""
        if broken:
            self._findings(painter, pic, broken.split(","))
        if self.model.hover is not None and self.model.hover[0] == index.row():
            x = pic.x() + int(self.model.hover[1] * (pic.width() - 1))
            painter.fillRect(QRect(x, pic.bottom() - 2, 2, 3), QColor("#ffffff"))
        painter.setPen(QColor("#e6e6e6" if selected else "#c8c8c8"))
        text_rect = QRect(rect.x() + 6, pic.bottom() + 4, POSTER.width(), 16)
        metrics = painter.fontMetrics()
        stars = int(cat.rating[i])
        right = "★" * stars if stars > 0 else ""
        right_w = metrics.horizontalAdvance(right) + 4 if right else 0
        name = metrics.elidedText(cat.name[i], Qt.TextElideMode.ElideMiddle, text_rect.width() - right_w)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), name)
        if right:
            painter.setPen(QColor("#e3c14b"))
            painter.drawText(
                text_rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), right
            )
        if cat.tags[i]:
            painter.setPen(QColor("#d08770"))
            tag_rect = QRect(rect.x() + 6, text_rect.bottom(), POSTER.width(), 12)
            small = painter.font()
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
            painter.setFont(small)
            painter.drawText(
                tag_rect,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                painter.fontMetrics().elidedText(
                    ", ".join(cat.tags[i]), Qt.TextElideMode.ElideRight, tag_rect.width()
                ),
            )
        painter.restore()

    @staticmethod
    def _findings(painter: QPainter, pic: QRect, reasons: list[str]) -> None:
        """Why the take looks broken, in the poster's top left corner (the panel says in full)."""
        text = "⚠ " + ", ".join(reasons[:2]) + (" …" if len(reasons) > 2 else "")
        metrics = painter.fontMetrics()
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, pic.width() // 2 + 20)
        box = QRect(0, 0, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
        box.moveTopLeft(pic.topLeft() + QPoint(4, 4))
        painter.fillRect(box, QColor(20, 20, 22, 220))
        painter.setPen(QColor("#e06c5f"))
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)

    @staticmethod
    def _badge(painter: QPainter, pic: QRect, place: int, size: int) -> None:
        """A stack's badge in the poster's top right corner: two stacked cards and how many takes the
        tile stands for (a folded stack), or its place (an open one)."""
        text = str(size) if place == 0 else f"{place}/{size}"
        metrics = painter.fontMetrics()
        box = QRect(0, 0, metrics.horizontalAdvance(text) + 26, metrics.height() + 4)
        box.moveTopRight(pic.topRight() + QPoint(-4, 4))
        painter.fillRect(box, QColor(20, 20, 22, 220))
        colour = QColor("#e3c14b" if place == 0 else "#9aa4b2")
        painter.setPen(colour)
        card = QRect(box.x() + 7, box.y() + 5, 9, box.height() - 11)
        painter.drawRect(card.translated(-3, 3))
        painter.fillRect(card, QColor(20, 20, 22))
        painter.drawRect(card)
        painter.drawText(box.adjusted(20, 0, -3, 0), int(Qt.AlignmentFlag.AlignVCenter), text)

    def _picture(self, row: int, content_hash: str) -> QImage | None:
        hover = self.model.hover
        if hover is not None and hover[0] == row:
            strip = self.model.images.strip(content_hash)
            if strip is not None and not strip.isNull():
                count = cache.FILMSTRIP_FRAMES
                w = strip.width() // count
                k = min(count - 1, int(hover[1] * count))
                return strip.copy(k * w, 0, w, strip.height())
        return self.model.images.poster(content_hash)


class GridView(QListView):
    """Poster tiles; moving the mouse across a tile scrubs through the take's filmstrip."""

    def __init__(self, model: TakeModel) -> None:
        super().__init__()
        self.take_model = model
        self.setModel(model)
        self.setModelColumn(1)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(TILE)
        self.setSpacing(0)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setItemDelegate(TileDelegate(model))
        self.setMouseTracking(True)
        self.viewport().installEventFilter(self)
        model.images.loaded.connect(lambda _hash: self.viewport().update())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport():
            if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
                index = self.indexAt(event.position().toPoint())
                old = self.take_model.hover
                if index.isValid():
                    rect = self.visualRect(index)
                    frac = (event.position().x() - rect.x() - 6) / max(1, POSTER.width())
                    self.take_model.hover = (index.row(), max(0.0, min(0.999, frac)))
                else:
                    self.take_model.hover = None
                for row in {
                    r for r in (old and old[0], index.row() if index.isValid() else None) if r is not None
                }:
                    self.update(self.take_model.index(row, 1))
            elif event.type() == QEvent.Type.Leave:
                old = self.take_model.hover
                self.take_model.hover = None
                if old is not None:
                    self.update(self.take_model.index(old[0], 1))
        return super().eventFilter(watched, event)


COLUMN_WIDTHS = (70, 200, 70, 90, 60, 130, 100, 300, 80, 150, 80, 140, 90, 80, 130)


class TakeTable(QTableView):
    """The same takes as the grid, as a table: one row a take, sorted by a click on a column's head;
    it shares the grid's selection, so the two never disagree on what is selected or current."""

    def __init__(self, grid: GridView) -> None:
        super().__init__()
        self.setObjectName("take-table")
        self.setModel(grid.take_model)
        self.setSelectionModel(grid.selectionModel())
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        for col, width in enumerate(COLUMN_WIDTHS):
            self.setColumnWidth(col, width)


class FunnelBar(QToolBar):
    """The stages left to right with live counts; a click shows what waits at that stage."""

    def __init__(self, chosen: Callable[[int], None]) -> None:
        super().__init__("Funnel")
        self.setObjectName("funnel-bar")
        self.setMovable(False)
        self.chosen = chosen
        self.buttons: list[QToolButton] = []
        self.total = plain_label()
        self.total.setObjectName("funnel")
        self.addWidget(self.total)

    def set_funnel(self, funnel: queries.Funnel, problems: int) -> None:
        if len(self.buttons) != len(funnel.stages):
            for b in self.buttons:
                b.deleteLater()
            self.buttons = []
            for k in range(len(funnel.stages)):
                button = QToolButton()
                button.setObjectName(f"stage-{k}")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _=False, s=k: self.chosen(s))
                self.addWidget(button)
                self.buttons.append(button)
        for button, s in zip(self.buttons, funnel.stages, strict=True):
            button.setText(
                f"→ {s.name}: {s.reached:,}  ({s.pending:,} to do · {s.kept:,} kept · {s.rejected:,} out)"
            )
            button.setToolTip(tip(f"Show the takes waiting at {s.name}"))
        extra = f"   ·   {problems} unreadable files" if problems else ""
        self.total.setText(f"{funnel.total:,} takes{extra}   ·   selected {funnel.selected:,}  ")


STATUS_CHOICES = (
    ("to review", queries.STATUS_PENDING),
    ("kept", queries.STATUS_KEPT),
    ("rejected", queries.STATUS_REJECTED),
    ("reached", queries.STATUS_REACHED),
)


class FilterBar(QWidget):
    """Search and filters that combine; ``changed`` carries the new TakeFilter."""

    changed = Signal(object)
    save_bin = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("filters")
        self._quiet = False
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search prompts, names, models…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.stage = QComboBox()
        self.status = QComboBox()
        for label, value in STATUS_CHOICES:
            self.status.addItem(label, value)
        self.shot = QComboBox()
        self.rating = QComboBox()
        self.rating.addItem("any rating", None)
        for r in range(1, 6):
            self.rating.addItem("★" * r + " or more", r)
        self.tag = QComboBox()
        self.reviewer = QComboBox()
        self.model_box = QComboBox()
        self.looks = QComboBox()
        self.looks.setToolTip(
            "What the analysis pass found (frozen over 30%, a still, a cut, black over 10%, flicker)"
        )
        looks: list[tuple[str, str | None]] = [("any look", None), ("looks broken", "any"), ("frozen", "frozen"),
                                               ("still", "still"), ("has a cut", "cut"), ("black", "black"),
                                               ("flicker", "flicker")]  # fmt: skip
        for look_label, look_value in looks:
            self.looks.addItem(look_label, look_value)
        self.ai = QComboBox()
        self.ai.setObjectName("ai-filter")
        self.ai.setToolTip("AI disclosure: what the takes' evidence, declarations and folder rules say")
        for ai_label, ai_value in (
            ("AI: any", None),
            ("AI: yes", "yes"),
            ("AI: no", "no"),
            ("AI: unknown", "unknown"),
        ):
            self.ai.addItem(ai_label, ai_value)
        self.audio = QCheckBox("with sound")
        self.audio.setTristate(True)
        self.audio.setCheckState(Qt.CheckState.PartiallyChecked)
        self.audio.setToolTip("Partly checked: either; checked: with sound only; unchecked: silent only")
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(4)
        grid.addWidget(self.search, 0, 0, 1, 2)
        grid.addWidget(self.ai, 0, 2)
        grid.addWidget(self.audio, 0, 3)
        self.boxes = (
            self.stage,
            self.status,
            self.shot,
            self.rating,
            self.tag,
            self.reviewer,
            self.model_box,
            self.looks,
            self.ai,
        )
        for k, w in enumerate(self.boxes):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(5)
            if w is not self.ai:
                grid.addWidget(w, 1 + k // 4, k % 4)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        self.search.textChanged.connect(self._emit)
        for box in self.boxes:
            box.currentIndexChanged.connect(self._emit)
        self.audio.stateChanged.connect(self._emit)

    def set_choices(self, cat: Catalog, tags: Sequence[str]) -> None:
        """Fill the drop-downs from the project, keeping what is chosen."""
        self._quiet = True
        current = self.value()

        def fill(
            box: QComboBox, first: str, values: Sequence[Any], labels: Sequence[str] | None = None
        ) -> None:
            box.clear()
            box.addItem(first, None)
            for k, v in enumerate(values):
                box.addItem(labels[k] if labels else str(v), v)

        fill(self.stage, "any stage", list(range(len(cat.stages))), list(cat.stages))
        shots = sorted(
            (c for c in cat.shots.values if c != "(no shot)"),
            key=lambda c: cat.shot_order.get(c, (1_000_000_000, c)),
        )
        fill(self.shot, "all shots", shots)
        fill(self.tag, "any tag", list(tags))
        fill(self.reviewer, "anyone", sorted(cat.reviewers.values(), key=str.lower))
        fill(self.model_box, "any model", sorted((v for v in cat.models.values if v), key=str.lower))
        self.set_value(current)
        self._quiet = False

    def value(self) -> queries.TakeFilter:
        audio = self.audio.checkState()
        stage = self.stage.currentData()
        return queries.TakeFilter(
            stage=stage,
            status=self.status.currentData() if stage is not None else queries.STATUS_REACHED,
            shots=(self.shot.currentData(),) if self.shot.currentData() else (),
            min_rating=self.rating.currentData(),
            tags=(self.tag.currentData(),) if self.tag.currentData() else (),
            reviewers=(self.reviewer.currentData(),) if self.reviewer.currentData() else (),
            models=(self.model_box.currentData(),) if self.model_box.currentData() else (),
            has_audio=None if audio == Qt.CheckState.PartiallyChecked else audio == Qt.CheckState.Checked,
            text=self.search.text(),
            broken=self.looks.currentData(),
            ai=self.ai.currentData(),
        )

    def set_value(self, f: queries.TakeFilter) -> None:
        """Show ``f`` in the widgets without emitting ``changed`` (the caller applies it)."""
        quiet, self._quiet = self._quiet, True

        def choose(box: QComboBox, value: Any) -> None:
            k = box.findData(value)
            box.setCurrentIndex(k if k >= 0 else 0)

        self.search.setText(f.text)
        choose(self.stage, f.stage)
        choose(self.status, f.status if f.stage is not None else queries.STATUS_PENDING)
        choose(self.shot, f.shots[0] if f.shots else None)
        choose(self.rating, f.min_rating)
        choose(self.tag, f.tags[0] if f.tags else None)
        choose(self.reviewer, f.reviewers[0] if f.reviewers else None)
        choose(self.model_box, f.models[0] if f.models else None)
        choose(self.looks, f.broken)
        choose(self.ai, f.ai)
        self.audio.setCheckState(
            Qt.CheckState.PartiallyChecked
            if f.has_audio is None
            else (Qt.CheckState.Checked if f.has_audio else Qt.CheckState.Unchecked)
        )
        self.status.setEnabled(f.stage is not None)
        self._quiet = quiet

    def _emit(self) -> None:
        self.status.setEnabled(self.stage.currentData() is not None)
        if not self._quiet:
            self.changed.emit(self.value())


class BinsModel(QAbstractListModel):
    """The built-in bins (per stage) and the saved smart bins, each with its count."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, queries.TakeFilter, int, bool]] = []  # name, filter, count, saved?

    def set_bins(self, items: list[tuple[str, queries.TakeFilter, int, bool]]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def update_counts(self, count: Callable[[queries.TakeFilter], int | None]) -> None:
        for k, (name, f, old, saved) in enumerate(self.items):
            new = count(f)
            if new is not None and new != old:
                self.items[k] = (name, f, new, saved)
                ix = self.index(k)
                self.dataChanged.emit(ix, ix, [Qt.ItemDataRole.DisplayRole])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        name, f, count, saved = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            label = f"★ {name}" if saved else name  # a saved smart bin; its key stays its name
            return f"{label}  ({count:,})" if count >= 0 else label
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip(describe_filter(f, []))
        if role == Qt.ItemDataRole.UserRole:
            return f
        if role == Qt.ItemDataRole.UserRole + 1:
            return name if saved else None
        return None
