"""The survey grid: a page of four, nine or sixteen takes, every one playing, looping and muted.

Each cell plays its take's proxy (the original when there is none, or when the cell is so large that the
proxy would show less than the original: a 2x2 page, a large screen) in a playback engine of its own,
scaled in the decode thread to the cell's size; one timer polls them all and repaints the cells that
have a new frame. The next page is opened in the background while this one plays (paused at its first
frame), so Enter shows it at once. A cursor cell (arrows, a click) is what the decision keys act on;
a decided cell shows its verdict at once and stays until the page is done. The page itself (which takes,
the page rule) belongs to ``reviewer.review.survey``; the window decides, this view shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from reviewer.media.frames import FrameCache
from reviewer.media.images import display_size
from reviewer.media.playback import Clock, PlaybackEngine
from reviewer.media.proxy import playable, proxy_size
from reviewer.review.survey import columns
from reviewer.store import models as m
from reviewer.ui import transport
from reviewer.ui.audio import SoundOut, take_feed, wants_sound
from reviewer.ui.player import POLL_MS, wrap_qimage

CACHE_BYTES = 96 << 20  # shared by every cell of this page and the next: first frames, mostly
QUEUE_FRAMES = 3  # decoded ahead per cell: sixteen cells starting at once fill their queues at a page turn
GAP = 6
CAPTION = 18  # the name line under each picture
REJECT_TINT = QColor(160, 20, 20, 120)
KEEP_COLOUR = QColor("#3fbf5f")
REJECT_COLOUR = QColor("#e0503c")
CURSOR_COLOUR = QColor("#f0c419")


# A cell whose picture is at least this many times its proxy's height plays the original, where the
# original is larger: the proxy is made for the pages of nine and sixteen, and stretched further it
# would show less than the reviewer could see (a 2x2 page; a 3x3 page on a large screen).
ORIGINAL_FROM = 1.5


def _geometry(take: dict) -> tuple[int, int, Fraction, int]:
    """The take's coded size, pixel aspect and rotation, from its row."""
    try:
        num, den = (int(x) for x in str(take.get("sar") or "1/1").split("/"))
        sar = Fraction(num, den) if num > 0 and den > 0 else Fraction(1)
    except ValueError:
        sar = Fraction(1)
    return int(take.get("width") or 16), int(take.get("height") or 9), sar, int(take.get("rotation") or 0)


def aspect_of(take: dict) -> float:
    """Width over height of the take as displayed (pixel aspect and rotation applied)."""
    w, h = display_size(*_geometry(take))
    return w / h if h else 16 / 9


def proxy_enough(take: dict, height: int) -> bool:
    """Whether the take's proxy shows all a picture ``height`` device pixels high can: it is not smaller
    than the original, or the picture is under ``ORIGINAL_FROM`` times the proxy's height."""
    shown_h = display_size(*_geometry(take))[1]
    proxy_h = proxy_size(*_geometry(take))[1]
    return proxy_h >= shown_h or height < ORIGINAL_FROM * proxy_h


@dataclass
class Cell:
    take: dict
    engine: PlaybackEngine
    proxy: bool  # it plays the take's proxy
    image: QImage | None = None
    pixels: np.ndarray | None = None
    verdict: str | None = None
    rating: int | None = None
    stack: int = 1  # how many takes the cell stands for
    wanted_proxy: bool = True  # the proxy was asked for (``proxy`` False then: there is none)

    @property
    def take_id(self) -> int:
        return int(self.take["id"])


class SurveyView(QWidget):
    """The survey's header and its page of playing cells."""

    cursor_changed = Signal(int)  # the take under the cursor
    opened = Signal(int)  # a cell double-clicked: look at it in the player

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("survey")
        self.header = QLabel()
        self.header.setObjectName("survey-header")
        self.header.setStyleSheet("padding: 4px 8px; font-weight: bold;")
        self.canvas = _Canvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.canvas, 1)
        self.size_ = 9
        self.cells: list[Cell] = []
        self.at = 0
        self.hover = -1
        self.speed = 1.0
        self.prefer_proxy = True
        self.only_proxies = False  # proxies in every cell, however large (slow storage)
        self.frame_cache = FrameCache(CACHE_BYTES)
        self._next: dict[str, tuple[PlaybackEngine, bool]] = {}  # the next page, opened and waiting
        self._to_start: list[PlaybackEngine] = []  # cells shown, to play once the page is painted
        # Muted, as triage is; M gives the cursor's cell its sound (the original's: a proxy has none).
        self.muted = True
        self.sound = SoundOut(self)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # --- the page ----------------------------------------------------------------------------

    def cols(self) -> int:
        return columns(self.size_)

    def show_page(
        self, takes: Sequence[dict], stack_sizes: dict[int, int] | None = None, cursor: int = 0
    ) -> None:
        """Show these takes (``reviewer takes --json`` rows), all playing from their first frame."""
        self._close_cells()
        boxes = self.canvas.boxes(len(takes), [aspect_of(t) for t in takes])
        for take, box in zip(takes, boxes, strict=True):
            wanted = self._wants_proxy(take, box)
            path, proxy = playable(take, wanted)
            key = str(path)
            waiting = self._next.pop(key, None)
            if waiting is not None:
                engine, proxy = waiting
                cell = Cell(take, engine, proxy)
                first = engine.poll()  # opened in the background: its first frame is waiting
                if first is not None:
                    cell.pixels = np.ascontiguousarray(first.rgb)
                    cell.image = wrap_qimage(cell.pixels)
                if engine.size != self._device(box):  # a resize decodes the frame again: only if needed
                    engine.set_size(self._device(box))
            else:
                engine = PlaybackEngine(
                    path,
                    size=self._device(box),
                    cache=self.frame_cache,
                    clock=Clock(),
                    queue_frames=QUEUE_FRAMES,
                )
                cell = Cell(take, engine, proxy)
            cell.stack = (stack_sizes or {}).get(int(take["id"]), 1)
            cell.wanted_proxy = wanted
            engine.set_loop(True)
            engine.set_speed(self.speed)
            if cell.image is not None:
                # Decoded ahead: it plays from its first frame once the page is painted, so that sixteen
                # decoders filling their queues do not hold up the picture of the page.
                self._to_start.append(engine)
            else:
                engine.cue()
            self.cells.append(cell)
        self.at = 0
        for engine, _proxy in self._next.values():  # opened for a page that did not come
            engine.close(wait=False)
        self._next.clear()
        self.at = max(0, min(cursor, len(self.cells) - 1))
        self.timer.start(POLL_MS)
        self.canvas.update()
        if self.cells:
            self.cursor_changed.emit(self.cells[self.at].take_id)

    def prefetch(self, takes: Sequence[dict]) -> None:
        """Open the next page's takes now, paused at their first frame, so the page turns at once."""
        boxes = self.canvas.boxes(len(takes), [aspect_of(t) for t in takes])
        wanted = {}
        for take, box in zip(takes, boxes, strict=True):
            path, proxy = playable(take, self._wants_proxy(take, box))
            key = str(path)
            if key in self._next or any(str(c.engine.path) == key for c in self.cells):
                wanted[key] = self._next.pop(key, None)
                continue
            wanted[key] = (
                PlaybackEngine(
                    path,
                    size=self._device(box),
                    cache=self.frame_cache,
                    clock=Clock(),
                    queue_frames=QUEUE_FRAMES,
                ),
                proxy,
            )
        for engine, _proxy in self._next.values():
            engine.close(wait=False)
        self._next = {k: v for k, v in wanted.items() if v is not None}

    def set_verdict(self, take_id: int, verdict: str | None, rating: int | None) -> None:
        for cell in self.cells:
            if cell.take_id == take_id:
                cell.verdict, cell.rating = verdict, rating
                self.canvas.update(self.canvas.cell_rect(self.cells.index(cell)))

    def set_header(self, text: str) -> None:
        self.header.setText(text)

    def current(self) -> Cell | None:
        return self.cells[self.at] if 0 <= self.at < len(self.cells) else None

    def move_cursor(self, dx: int, dy: int) -> None:
        if not self.cells:
            return
        cols = self.cols()
        row, col = divmod(self.at, cols)
        if dx:
            target = self.at + dx
        else:
            target = (row + dy) * cols + col
        if 0 <= target < len(self.cells) and target != self.at:
            self.set_cursor(target)

    def set_cursor(self, index: int) -> None:
        old = self.at
        self.at = index
        self._restart_sound()
        self.canvas.update(self.canvas.cell_rect(old))
        self.canvas.update(self.canvas.cell_rect(index))
        self.cursor_changed.emit(self.cells[index].take_id)

    # --- transport: the whole page ----------------------------------------------------------

    def play_pause(self) -> None:
        playing = any(c.engine.status.playing for c in self.cells)
        for cell in self.cells:
            if playing:
                cell.engine.pause()
            else:
                cell.engine.play(self.speed)

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self.sound.stop()
        else:
            self._restart_sound()

    def _restart_sound(self) -> None:
        """The cursor's cell plays on from its frame, so that its sound starts with a frame."""
        cell = self.current()
        if not self.muted and cell is not None and cell.engine.status.playing and self._sound_path(cell):
            cell.engine.play(cell.engine.status.speed)

    @staticmethod
    def _sound_path(cell: Cell) -> Path | None:
        if not cell.take.get("has_audio"):
            return None
        original = Path(str(cell.take.get("path", "")))
        return original if original.exists() else None

    def _sync_sound(self) -> None:
        cell = self.current()
        if cell is None:
            self.sound.stop()
            return
        engine, path = cell.engine, self._sound_path(cell)
        status = engine.status
        wanted = engine.starts > 0 and path is not None and engine.index is not None
        wanted = wanted and wants_sound(
            self.muted, True, status.playing, status.speed, engine.clock.every_frame
        )
        self.sound.keep_up(
            (id(engine), engine.starts),
            wanted,
            lambda: (take_feed(engine, path), engine.clock, engine.start[1]),
        )

    def step(self, delta: int) -> None:
        """Left and Right move the cursor in the survey (frames are stepped in the player)."""
        self.move_cursor(delta, 0)

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        for cell in self.cells:
            if cell.engine.status.playing:
                cell.engine.play(speed)

    def handlers(self) -> dict[str, Callable[[], None]]:
        return transport.handlers(self)

    def dropped(self) -> int:
        return sum(c.engine.status.dropped for c in self.cells)

    def shown(self) -> int:
        return sum(c.engine.status.shown for c in self.cells)

    def all_showing(self) -> bool:
        """Whether every cell has painted a frame of its take (the page flip is done)."""
        return bool(self.cells) and all(c.image is not None for c in self.cells)

    def close_all(self) -> None:
        self.timer.stop()
        self._close_cells()
        for engine, _proxy in self._next.values():
            engine.close()
        self._next.clear()

    def start_waiting(self) -> None:
        """Every cell of the page plays from its first frame (called once the page has been painted)."""
        waiting, self._to_start = self._to_start, []
        for engine in waiting:
            engine.cue()

    def _close_cells(self) -> None:
        self._to_start = []
        self.sound.stop()
        for cell in self.cells:
            cell.engine.close(wait=False)
        self.cells = []
        self.hover = -1

    # --- painting ---------------------------------------------------------------------------

    def _wants_proxy(self, take: dict, box: QRect) -> bool:
        return self.prefer_proxy and (self.only_proxies or proxy_enough(take, self._device(box)[1]))

    def _device(self, box: QRect) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(32, int(box.width() * ratio)), max(18, int(box.height() * ratio))

    def _tick(self) -> None:
        if not self.muted:
            self.sound.follow()  # the sounding cell's clock goes where the device is
        for i, cell in enumerate(self.cells):
            frame = cell.engine.poll()
            if frame is not None:
                cell.pixels = np.ascontiguousarray(frame.rgb)
                cell.image = wrap_qimage(cell.pixels)
                self.canvas.update(self.canvas.cell_rect(i))
        if not self.muted or self.sound.playing:
            self._sync_sound()

    def resized(self) -> None:
        boxes = self.canvas.boxes(len(self.cells), [aspect_of(c.take) for c in self.cells])
        for cell, box in zip(self.cells, boxes, strict=True):
            cell.engine.set_size(self._device(box))


class _Canvas(QWidget):
    def __init__(self, survey: SurveyView) -> None:
        super().__init__(survey)
        self.survey = survey
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 200)

    # --- geometry ---------------------------------------------------------------------------

    def cell_rect(self, index: int) -> QRect:
        cols = self.survey.cols()
        rows = math.ceil(self.survey.size_ / cols)
        w = (self.width() - GAP) / cols
        h = (self.height() - GAP) / rows
        row, col = divmod(index, cols)
        return QRect(
            round(GAP + col * w), round(GAP + row * h), max(1, round(w - GAP)), max(1, round(h - GAP))
        )

    def picture_rect(self, index: int, aspect: float) -> QRect:
        """The picture inside its cell, at its own aspect (portrait takes stand upright)."""
        cell = self.cell_rect(index).adjusted(2, 2, -2, -2 - CAPTION)
        size = QSize(1000, max(1, round(1000 / aspect))).scaled(
            cell.size(), Qt.AspectRatioMode.KeepAspectRatio
        )
        box = QRect(QPoint(0, 0), size)
        box.moveCenter(cell.center())
        return box

    def boxes(self, count: int, aspects: Sequence[float]) -> list[QRect]:
        return [self.picture_rect(i, aspects[i]) for i in range(count)]

    def index_at(self, pos: QPoint) -> int:
        for i in range(len(self.survey.cells)):
            if self.cell_rect(i).contains(pos):
                return i
        return -1

    # --- events ------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.survey.resized()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        if index >= 0:
            self.survey.set_cursor(index)
        self.survey.setFocus()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        if index >= 0:
            self.survey.opened.emit(self.survey.cells[index].take_id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        if index != self.survey.hover:
            old, self.survey.hover = self.survey.hover, index
            for i in (old, index):
                if i >= 0:
                    self.update(self.cell_rect(i))

    def leaveEvent(self, event: object) -> None:
        old, self.survey.hover = self.survey.hover, -1
        if old >= 0:
            self.update(self.cell_rect(old))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(event.rect(), QColor("#151515"))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        p.setFont(small)
        for i, cell in enumerate(self.survey.cells):
            rect = self.cell_rect(i)
            if not rect.intersects(event.rect()):
                continue
            self._paint_cell(p, i, cell, rect)
        if not self.survey.cells:
            p.setPen(QColor("#bbbbbb"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing left to survey in this session")
        p.end()
        if self.survey._to_start:
            QTimer.singleShot(0, self.survey.start_waiting)

    def _paint_cell(self, p: QPainter, i: int, cell: Cell, rect: QRect) -> None:
        p.fillRect(rect, QColor("#000000"))
        pic = self.picture_rect(i, aspect_of(cell.take))
        if cell.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, cell.image.size() != pic.size())
            p.drawImage(pic, cell.image)
        elif cell.engine.status.error:
            p.setPen(QColor("#e0a0a0"))
            p.drawText(pic, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, cell.engine.status.error)
        if cell.verdict == m.VERDICT_REJECT:
            p.fillRect(pic, REJECT_TINT)
        # Caption: the take's name, its stack, stars.
        caption = QRect(rect.left() + 4, rect.bottom() - CAPTION, rect.width() - 8, CAPTION)
        name = str(cell.take.get("name") or "")
        if cell.stack > 1:
            name = f"▣ {cell.stack}  {name}"
        stars = "★" * (cell.rating or 0)
        p.setPen(QColor("#d8d8d8"))
        p.drawText(caption, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, max(10, caption.width() - 70)))  # fmt: skip
        p.setPen(QColor("#f0c419"))
        p.drawText(caption, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, stars)
        # The verdict badge, top left (Lightroom's flag).
        if cell.verdict in (m.VERDICT_KEEP, m.VERDICT_REJECT):
            keep = cell.verdict == m.VERDICT_KEEP
            text = "⚑ kept" if keep else "✕ rejected"
            badge = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
            badge.moveTopLeft(pic.topLeft() + QPoint(6, 6))
            p.fillRect(badge, KEEP_COLOUR if keep else REJECT_COLOUR)
            p.setPen(QColor("#ffffff"))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        # The findings, top right: what the analysis says looks broken.
        broken = ((cell.take.get("signals") or {}).get("broken")) or []
        if broken:
            text = "⚠ " + ", ".join(broken[:2])
            badge = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
            badge.moveTopRight(pic.topRight() + QPoint(-6, 6))
            p.fillRect(badge, QColor(0, 0, 0, 170))
            p.setPen(QColor("#f0a040"))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        if not cell.proxy and cell.wanted_proxy:
            p.setPen(QColor("#888888"))
            p.drawText(
                pic.adjusted(6, 6, -6, -6),
                Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight,
                "original",
            )
        # Hover: the shot and a short prompt line.
        if i == self.survey.hover:
            lines = [f"{cell.take.get('shot') or 'no shot'} · {cell.take.get('model') or ''}".strip(" ·")]
            prompt = " ".join(str(cell.take.get("prompt") or "").split())
            if prompt:
                lines.append(
                    p.fontMetrics().elidedText(prompt, Qt.TextElideMode.ElideRight, pic.width() - 12)
                )
            box = QRect(pic.left(), pic.bottom() - 8 - 16 * len(lines), pic.width(), 8 + 16 * len(lines))
            p.fillRect(box, QColor(0, 0, 0, 170))
            p.setPen(QColor("#eeeeee"))
            p.drawText(
                box.adjusted(6, 2, -6, -2),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                "\n".join(lines),
            )
        if i == self.survey.at:
            p.setPen(QPen(CURSOR_COLOUR, 3))
            p.drawRect(rect.adjusted(1, 1, -2, -2))
