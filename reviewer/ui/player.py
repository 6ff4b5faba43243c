"""The player: the video view, the clip timeline under it, transport keys, and prefetch of the next takes.

The GUI thread only paints: a ``PlaybackEngine`` per take decodes and scales in its own thread, and a
timer asks it for the frame that is due. The numpy frame becomes a QImage here, on the GUI thread.
The next takes of the queue are opened ahead of time (their first frame decoded), so switching to them
shows a picture at once.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from reviewer.errors import MediaError
from reviewer.media import cache
from reviewer.media.audio import waveform
from reviewer.media.frames import Frame, FrameCache, FrameReader
from reviewer.media.playback import SPEEDS, Clock, PlaybackEngine
from reviewer.media.proxy import playable
from reviewer.review.decisions import Note
from reviewer.review.keymap import default_keymap
from reviewer.ui import transport
from reviewer.ui.audio import SoundOut, sound_state, take_feed, wants_sound
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import tip

PREFETCH = 2
PREVIEW = QSize(192, 108)
POLL_MS = 4
EVERY_FRAME_KEY = "player/every_frame"  # QSettings: play every frame (else keep time, skipping)
PROXY_KEY = "player/prefer_proxy"  # QSettings: play proxies by choice (slow network storage)
FRAME_CACHE_BYTES = 256 << 20


def load_filmstrip(content_hash: str) -> QImage | None:
    """The take's filmstrip from the cache (runs in a worker thread; QImage is thread-safe)."""
    path = cache.filmstrip_path(content_hash)
    image = QImage(str(path)) if path.exists() else QImage()
    return None if image.isNull() else image


def load_waveform(path: str, content_hash: str) -> np.ndarray | None:
    """The take's sound as peaks per slice of its length, from the cache or read now (a worker thread)."""
    cached = cache.waveform_path(content_hash)
    try:
        return np.load(cached, allow_pickle=False)
    except (OSError, ValueError):
        pass
    try:
        peaks = waveform(Path(path))
    except MediaError:
        return None
    buffer = io.BytesIO()
    np.save(buffer, peaks, allow_pickle=False)
    cache.write_atomic(cached, buffer.getvalue())
    return peaks


def timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF at the take's (rounded) frame rate."""
    rate = max(1, round(fps))
    total = round(seconds * rate)
    frames = total % rate
    s = total // rate
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{frames:02d}"


def to_qimage(rgb: np.ndarray) -> QImage:
    """An RGB array as a QImage that owns a copy of the pixels (safe after the array is gone)."""
    return wrap_qimage(np.ascontiguousarray(rgb)).copy()


def wrap_qimage(rgb: np.ndarray) -> QImage:
    """A QImage over the array's own pixels, no copy: the caller keeps ``rgb`` alive while it is used."""
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)


class VideoView(QWidget):
    """Paints the current frame fitted and letterboxed, with the frame counter and timecode over it."""

    resized = Signal(QSize)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("video")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self.overlay = ""
        self.message = ""
        self.badge = ""  # the verdict and stars of the take on screen, drawn over the picture
        self.badge_colour = QColor("#3fbf5f")
        self.actual_pixels = False  # zoom 1:1: the frame at its own size, centred (cropped if larger)
        self.setMinimumSize(320, 180)

    def show_frame(self, rgb: np.ndarray, overlay: str) -> None:
        """Show a frame without copying it: the view keeps the array, which the image points into."""
        self._pixels = np.ascontiguousarray(rgb)
        self.image, self.overlay, self.message = wrap_qimage(self._pixels), overlay, ""
        self.update()

    def show_message(self, text: str) -> None:
        self.image, self.message = None, text
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is not None and not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            if self.actual_pixels:
                ratio = self.devicePixelRatioF() or 1.0
                size = QSize(round(self.image.width() / ratio), round(self.image.height() / ratio))
            target = QRect(QPoint(0, 0), size)
            target.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, size != self.image.size())
            painter.drawImage(target, self.image)
        if self.message:
            painter.setPen(QColor("#e0a0a0"))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.3)
            painter.setFont(font)
            painter.drawText(
                self.rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.message,
            )
        elif self.overlay:
            box = painter.fontMetrics().boundingRect(self.overlay).adjusted(-8, -4, 8, 4)
            box.moveBottomLeft(self.rect().bottomLeft() + QPoint(10, -10))
            painter.fillRect(box, QColor(0, 0, 0, 150))
            painter.setPen(QColor("#e8e8e8"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.overlay)
        if self.badge and not self.message:
            font = QFont(self.font())
            font.setBold(True)
            painter.setFont(font)
            box = painter.fontMetrics().boundingRect(self.badge).adjusted(-8, -4, 8, 4)
            box.moveTopLeft(self.rect().topLeft() + QPoint(10, 10))
            painter.fillRect(box, self.badge_colour)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.badge)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit(event.size())


class ClipTimeline(QWidget):
    """The take's filmstrip with a playhead and the in-out range; click or drag to scrub."""

    scrubbed = Signal(int)
    hovered = Signal(int, int)  # frame, x in the timeline
    left = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self.setFixedHeight(64)
        self.setMouseTracking(True)
        self.frames = 0
        self.position = 0
        self.in_point: int | None = None
        self.out_point: int | None = None
        self.strip: QImage | None = None
        self.wave: np.ndarray | None = None  # the sound's peaks (0..1) across the take, drawn over the strip
        self._wave_key: tuple[int, int] | None = None  # the size the image was drawn at, for this wave
        self._wave_image = QImage()
        self.markers: list[tuple[int, int, QColor]] = []  # (first, last, colour): notes, detected events
        self.describe: Callable[[int], str] = str

    def set_take(self, frames: int, strip: QImage | None) -> None:
        self.frames, self.strip, self.position = frames, strip, 0
        self.set_wave(None)
        self.in_point = self.out_point = None
        self.update()

    def x_of(self, frame: int) -> float:
        return 0.0 if self.frames <= 1 else frame / (self.frames - 1) * (self.width() - 1)

    def frame_of(self, x: float) -> int:
        if self.frames <= 1:
            return 0
        return max(0, min(self.frames - 1, round(x / max(1, self.width() - 1) * (self.frames - 1))))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101113"))
        strip_rect = self.rect().adjusted(0, 8, 0, -8)
        if self.strip is not None and not self.strip.isNull():
            p.drawImage(strip_rect, self.strip)
        if self.wave is not None and len(self.wave):
            self._paint_wave(p, strip_rect)
        if self.frames:
            lo = self.in_point if self.in_point is not None else 0
            hi = self.out_point if self.out_point is not None else self.frames - 1
            if self.in_point is not None or self.out_point is not None:
                shade = QColor(0, 0, 0, 150)
                p.fillRect(QRect(0, 0, int(self.x_of(lo)), self.height()), shade)
                p.fillRect(QRect(int(self.x_of(hi)), 0, self.width(), self.height()), shade)
                p.fillRect(
                    QRect(int(self.x_of(lo)), 0, int(self.x_of(hi) - self.x_of(lo)) + 1, 5), QColor("#d9a441")
                )
            for first, last, colour in self.markers:
                p.fillRect(
                    QRect(
                        int(self.x_of(first)),
                        self.height() - 6,
                        max(3, int(self.x_of(last) - self.x_of(first))),
                        6,
                    ),
                    colour,
                )
            x = int(self.x_of(self.position))
            p.setPen(QPen(QColor("#ffffff"), 2))
            p.drawLine(x, 0, x, self.height())
        p.end()

    def set_wave(self, peaks: np.ndarray | None) -> None:
        self.wave, self._wave_key = peaks, None
        self.update()

    def _paint_wave(self, p: QPainter, area: QRect) -> None:
        """The sound's envelope over the lower half of the strip, on a dark band. Drawn once per take and
        width into an image: the timeline repaints with every frame while playing."""
        assert self.wave is not None
        band = QRect(area.left(), area.center().y(), area.width(), area.height() // 2)
        key = (band.width(), band.height())
        if self._wave_key != key:
            self._wave_key, self._wave_image = key, self._render_wave(self.wave, band.width(), band.height())
        p.drawImage(band.topLeft(), self._wave_image)

    @staticmethod
    def _render_wave(wave: np.ndarray, width: int, height: int) -> QImage:
        image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(0, 0, 0, 120))
        columns = np.arange(image.width()) * len(wave) // image.width()
        peaks = np.maximum.reduceat(wave, columns) if len(wave) >= image.width() else wave[columns]
        half = image.height() / 2
        painter = QPainter(image)
        painter.setPen(QPen(QColor(120, 220, 160, 210), 1))
        painter.drawLines(
            [QLineF(x, half - h, x, half + h) for x, h in enumerate(np.maximum(0.5, peaks * half).tolist())]
        )
        painter.end()
        return image

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scrubbed.emit(self.frame_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        frame = self.frame_of(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(frame)
        else:
            self.hovered.emit(frame, int(event.position().x()))
        QToolTip.showText(event.globalPosition().toPoint(), tip(self.describe(frame)), self)

    def leaveEvent(self, event: QEvent) -> None:
        self.left.emit()
        super().leaveEvent(event)


class PlayerWidget(QWidget):
    """A take playing, with transport on the keyboard; ``load`` switches takes (prefetched ones at once)."""

    frame_shown = Signal(int)
    ended = Signal()  # a play without loop showed its last frame (the session's "play once")

    NOTE_COLOUR = QColor("#e3c14b")
    SIGNAL_COLOURS: ClassVar[dict[str, QColor]] = {
        "frozen": QColor("#5b8def"), "still": QColor("#5b8def"), "black": QColor("#9a9a9a"),
        "cut": QColor("#e0503c"), "flicker": QColor("#c25fd1"), "silence": QColor("#3fa4a4"),
        "clipping": QColor("#e08a3c"),
    }  # fmt: skip

    def __init__(self, parent: QWidget | None = None, own_keys: bool = True, muted: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("player")
        self.view = VideoView()
        self.timeline = ClipTimeline()
        self.timeline.scrubbed.connect(self.seek)
        self.timeline.describe = self._describe
        self.timeline.hovered.connect(self._hover)
        self.timeline.left.connect(self._hover_end)
        self.preview = QLabel(self)
        self.preview.setObjectName("hover-preview")
        self.preview.setStyleSheet("border: 1px solid #888; background: #000;")
        self.preview.hide()
        self._preview_reader: FrameReader | None = None
        self._preview_wanted: tuple[str, int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.timeline)
        self.frame_cache = FrameCache(
            FRAME_CACHE_BYTES
        )  # shared by the take on screen and the prefetched ones
        self.note_markers: list[tuple[int, int, QColor]] = []
        self.signal_markers: list[tuple[int, int, QColor]] = []
        # of the take on screen and the prefetched ones; every_frame is the reviewer's choice, kept
        self.clock = Clock(every_frame=QSettings().value(EVERY_FRAME_KEY, "false") == "true")
        self.engine: PlaybackEngine | None = None
        self.engines: OrderedDict[str, PlaybackEngine] = OrderedDict()  # current and prefetched, by path
        self.take: dict | None = None
        self.fps = 24.0
        self.loop = True
        self.proxy = False  # the take on screen plays from its proxy
        self.prefer_proxy = QSettings().value(PROXY_KEY, "false") == "true"  # slow storage: proxies by choice
        self._ended_mark: tuple[int, int] | None = None
        # Sound: muted when a session starts (triage is mostly looking); M turns it on. When it plays it
        # is the master clock: ``sound`` slips ``clock`` to the device before every poll.
        self.muted = muted
        self.sound = SoundOut(self)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start(POLL_MS)
        self.view.resized.connect(self._view_resized)
        self.tasks = Tasks(self, max_threads=1)
        self.preview_tasks = Tasks(self, max_threads=1)  # one thread: it owns the preview reader
        self.wave_tasks = Tasks(self, max_threads=1)  # the sound's waveform, read once and cached
        self._wave_wanted: str | None = None
        self.actions_by_id: dict[str, QAction] = {}
        if own_keys:  # standalone; inside the workspace the window's commands call ``handlers()``
            self._install_actions()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # --- keys --------------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[], None]]:
        """What each ``player.*`` command does: the transport table, and the player's own."""
        return {
            **transport.handlers(self),
            "player.set_in": lambda: self.set_in(self.position()),
            "player.set_out": lambda: self.set_out(self.position()),
            "player.clear_in": lambda: self.set_in(None),
            "player.clear_out": lambda: self.set_out(None),
            "player.toggle_loop": self.toggle_loop,
            "player.every_frame": self.toggle_every_frame,
            "player.toggle_mute": self.toggle_mute,
        }

    def step_seconds(self, seconds: int) -> None:
        self.step(seconds * max(1, round(self.fps)))

    def first_frame(self) -> None:
        self.seek(self._lo())

    def last_frame(self) -> None:
        self.seek(self._hi())

    def _install_actions(self) -> None:
        handlers = self.handlers()
        for command, keys in default_keymap().items():
            handler = handlers.get(command)
            if handler is None:
                continue
            action = QAction(command, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(handler)
            self.addAction(action)
            self.actions_by_id[command] = action

    # --- takes -------------------------------------------------------------------------------

    def _path_for(self, take: dict) -> Path:
        path, _proxy = playable(take, self.prefer_proxy)
        return path

    def _engine_for(self, path: Path) -> PlaybackEngine:
        key = str(path)
        engine = self.engines.get(key)
        if engine is None:
            engine = PlaybackEngine(path, size=self._view_size(), cache=self.frame_cache, clock=self.clock)
            self.engines[key] = engine
        return engine

    def load(self, take: dict, upcoming: Sequence[dict] = ()) -> None:
        """Show ``take`` (a row as ``reviewer takes --json`` gives it) and prefetch the ``upcoming`` ones."""
        if self.engine is not None:
            self.engine.pause()
        self.sound.stop()
        self.take = take
        num, den = (int(x) for x in str(take.get("fps") or "24/1").split("/"))
        self.fps = num / den if den else 24.0
        path, self.proxy = playable(take, self.prefer_proxy)
        self.engine = self._engine_for(path)
        self.engine.set_loop(self.loop)
        if self.engine.status.shown:  # seen before: start it over; a prefetched one has frame 0 waiting
            self.engine.set_range(None, None)
            self.engine.seek(0)
        self.timeline.set_take(int(take.get("frame_count") or 0), None)
        self.tasks.run(
            load_filmstrip,
            take["content_hash"],
            done=partial(self._strip_loaded, take["content_hash"]),
            key="strip",
        )
        self._wave_wanted = take["content_hash"] if take.get("has_audio") else None
        if self._wave_wanted is not None:
            self.wave_tasks.run(
                self._read_wave,
                take["path"],
                take["content_hash"],
                done=partial(self._wave_loaded, take["content_hash"]),
                key="wave",
            )
        self.timeline.markers = []
        self.note_markers = []
        self.signal_markers = []
        if self.engine.current is None:
            self.view.show_message("")
        wanted = {str(path)} | {str(self._path_for(t)) for t in upcoming[:PREFETCH]}
        for t in upcoming[:PREFETCH]:
            self._engine_for(self._path_for(t))
        for key in [k for k in self.engines if k not in wanted]:
            self.engines.pop(key).close(wait=False)  # its thread ends on its own: no wait at a key press

    # --- hover preview ---------------------------------------------------------------------

    def _hover(self, frame: int, x: int) -> None:
        if self.take is None:
            return
        wanted = (self.take["path"], frame)
        if wanted == self._preview_wanted:
            return
        self._preview_wanted = wanted
        self._preview_x = x
        self.preview_tasks.run(
            self._decode_preview, wanted, done=self._preview_ready, failed=lambda exc: None
        )

    def _decode_preview(self, wanted: tuple[str, int]) -> tuple[tuple[str, int], np.ndarray] | None:
        """Runs in the preview thread: the hovered frame, small; skipped if the mouse has moved on."""
        if wanted != self._preview_wanted:
            return None
        path, frame = wanted
        reader = self._preview_reader
        if reader is None or str(reader.path) != path:
            if reader is not None:
                reader.close()
            reader = self._preview_reader = FrameReader(Path(path))
            reader.size = (PREVIEW.width(), PREVIEW.height())
        return wanted, reader.seek(frame).rgb

    def _preview_ready(self, result: tuple[tuple[str, int], np.ndarray] | None) -> None:
        if result is None or result[0] != self._preview_wanted:
            return
        image = to_qimage(result[1])
        self.preview.setPixmap(QPixmap.fromImage(image))
        self.preview.resize(image.size())
        x = max(
            0, min(self.width() - image.width(), self.timeline.x() + self._preview_x - image.width() // 2)
        )
        self.preview.move(x, self.timeline.y() - image.height() - 4)
        self.preview.setProperty("frame", result[0][1])
        self.preview.show()
        self.preview.raise_()  # the layout parented the view and the timeline after this label

    def _hover_end(self) -> None:
        self._preview_wanted = None
        self.preview.hide()

    def _strip_loaded(self, content_hash: str, strip: QImage | None) -> None:
        if self.take is not None and self.take["content_hash"] == content_hash:
            self.timeline.strip = strip
            self.timeline.update()

    def _read_wave(self, path: str, content_hash: str) -> np.ndarray | None:
        """In the waveform thread: skipped if the reviewer has moved on (holding Down through takes)."""
        return load_waveform(path, content_hash) if content_hash == self._wave_wanted else None

    def _wave_loaded(self, content_hash: str, peaks: np.ndarray | None) -> None:
        if self.take is not None and self.take["content_hash"] == content_hash:
            self.timeline.set_wave(peaks)

    def set_signals(self, take_id: int, signals: dict | None) -> None:
        """What the analysis found in the take on screen, as coloured ranges on the timeline."""
        if self.take is None or self.take.get("id") != take_id:
            return
        last = max(0, self.timeline.frames - 1)
        found = (signals or {}).get("found", {})
        self.signal_markers = [
            (min(int(a), last), min(int(b), last), self.SIGNAL_COLOURS.get(name, QColor("#888888")))
            for name, signal in found.items()
            if name != "still"
            for a, b in signal.get("ranges", [])
        ]
        self.timeline.markers = self.note_markers + self.signal_markers
        self.timeline.update()

    def set_notes(self, take_id: int, notes: Sequence[Note]) -> None:
        """Notes of the take on screen become markers on the timeline (ignored if another take is up)."""
        if self.take is None or self.take.get("id") != take_id:
            return
        last = max(0, self.timeline.frames - 1)
        self.note_markers = [
            (
                min(n.frame_in, last),
                min(n.frame_out if n.frame_out is not None else n.frame_in, last),
                self.NOTE_COLOUR,
            )
            for n in notes
            if n.frame_in is not None
        ]
        self.timeline.markers = self.note_markers + self.signal_markers
        self.timeline.setToolTip(tip("\n".join(f"{n.reviewer}: {n.text}" for n in notes)))
        self.timeline.update()

    def close_all(self) -> None:
        self.timer.stop()
        self.sound.stop()
        self.tasks.wait(5000)
        self._preview_wanted = None
        self.preview_tasks.wait(5000)
        self._wave_wanted = None
        self.wave_tasks.wait(5000)
        if self._preview_reader is not None:
            self._preview_reader.close()
            self._preview_reader = None
        for engine in self.engines.values():
            engine.close()
        self.engines.clear()
        self.engine = None

    # --- transport ---------------------------------------------------------------------------

    def position(self) -> int:
        return self.engine.status.frame if self.engine else 0

    def _lo(self) -> int:
        return self.timeline.in_point or 0

    def _hi(self) -> int:
        return (
            self.timeline.out_point
            if self.timeline.out_point is not None
            else max(0, self.timeline.frames - 1)
        )

    def seek(self, frame: int) -> None:
        if self.engine:
            self.engine.pause()
            self.engine.seek(frame)
            self.timeline.position = frame
            self.timeline.update()

    def step(self, delta: int) -> None:
        if self.engine:
            self.engine.step(delta)

    def play_pause(self) -> None:
        if self.engine is None:
            return
        if self.engine.status.playing:
            self.engine.pause()
        else:
            self.engine.play(abs(self.engine.status.speed) or 1.0)

    def pause(self) -> None:
        if self.engine:
            self.engine.pause()

    def play_at(self, speed: float, loop: bool = True, from_start: bool = False) -> None:
        """Play the take on screen at ``speed``: from where it stands, or ``from_start`` (a session's next
        take, just loaded): its first frame, already decoded ahead, shown at once as the clock starts."""
        if self.engine is None:
            return
        self.loop = loop
        self.engine.set_loop(loop)
        self._ended_mark = None
        if from_start:
            self.engine.set_speed(speed)
            self.engine.cue()
        else:
            self.engine.play(speed)

    def set_badge(self, text: str, colour: str = "#3fbf5f") -> None:
        self.view.badge, self.view.badge_colour = text, QColor(colour)
        self.view.update()

    def toggle_zoom(self) -> None:
        """Z: the picture at its own pixels (1:1), or fitted to the view."""
        self.view.actual_pixels = not self.view.actual_pixels
        for engine in self.engines.values():
            engine.set_size(self._view_size())
        self.view.update()

    def toggle_proxy(self) -> None:
        """Play proxies (small copies in the local cache) instead of originals on slow storage."""
        self.prefer_proxy = not self.prefer_proxy
        QSettings().setValue(PROXY_KEY, "true" if self.prefer_proxy else "false")
        if self.take is not None:
            take = self.take
            self.take = None
            for key in list(self.engines):
                self.engines.pop(key).close()
            self.engine = None
            self.load(take)

    def shuttle(self, direction: int) -> None:
        """J/L: play that way at 1x; pressed again while playing that way, twice as fast (up to 8x)."""
        if self.engine is None:
            return
        status = self.engine.status
        speed = abs(status.speed)
        if status.playing and (status.speed > 0) == (direction > 0):
            speed = min(8.0, speed * 2)
        else:
            speed = 1.0
        self.engine.play(direction * speed)

    def change_speed(self, direction: int) -> None:
        if self.engine is None:
            return
        status = self.engine.status
        current = abs(status.speed)
        steps = [s for s in SPEEDS if (s > current if direction > 0 else s < current)]
        if steps:
            speed = steps[0] if direction > 0 else steps[-1]
            self.engine.set_speed(speed if status.speed >= 0 else -speed)

    def set_in(self, frame: int | None) -> None:
        self.timeline.in_point = frame
        self._apply_range()

    def set_out(self, frame: int | None) -> None:
        self.timeline.out_point = frame
        self._apply_range()

    def _apply_range(self) -> None:
        lo, hi = self.timeline.in_point, self.timeline.out_point
        if lo is not None and hi is not None and hi < lo:
            self.timeline.in_point, self.timeline.out_point = hi, lo
        if self.engine:
            self.engine.set_range(self.timeline.in_point, self.timeline.out_point)
            self._restart_sound()  # the sound loops the new range
        self.timeline.update()

    def toggle_loop(self) -> None:
        """Loop on or off for this take and the ones after it: it is the reviewer's choice, not the take's."""
        self.loop = not self.loop
        if self.engine:
            self.engine.set_loop(self.loop)
            self._restart_sound()

    def toggle_mute(self) -> None:
        """Sound on or off, for this take and the ones after it; on while playing, it starts at once."""
        self.muted = not self.muted
        if self.muted:
            self.sound.stop()
        else:
            self._restart_sound()
        if self.engine is not None and self.engine.current is not None:
            self.view.overlay = self._overlay(self.engine.current.number)
            self.view.update()

    def _restart_sound(self) -> None:
        """Play on from the frame on screen so that the sound starts with a frame (a hitch of a frame)."""
        engine = self.engine
        if engine is not None and engine.status.playing and self._wants_sound(engine):
            engine.play(engine.status.speed)

    def _sound_path(self) -> Path | None:
        """Where the sound is: the original (a proxy has none), None when it is offline."""
        if self.take is None:
            return None
        original = Path(self.take["path"])
        return original if original.exists() else None

    def _wants_sound(self, engine: PlaybackEngine) -> bool:
        status = engine.status
        has_sound = bool(
            self.take is not None and self.take.get("has_audio") and engine.index is not None
            and (not self.proxy or self._sound_path() is not None)
        )  # fmt: skip
        return wants_sound(self.muted, has_sound, status.playing, status.speed, self.clock.every_frame)

    def _sync_sound(self, engine: PlaybackEngine) -> None:
        """The sound starts with the first frame of each play and stops when the play stops."""
        self.sound.keep_up(
            (id(engine), engine.starts),
            engine.starts > 0 and self._wants_sound(engine),
            lambda: (take_feed(engine, self._sound_path()), self.clock, engine.start[1]),
        )

    def toggle_every_frame(self) -> None:
        """Show every frame (late if the machine cannot keep up) or keep time (skip frames)."""
        self.clock.every_frame = not self.clock.every_frame
        QSettings().setValue(EVERY_FRAME_KEY, "true" if self.clock.every_frame else "false")

    # --- painting ----------------------------------------------------------------------------

    def _view_size(self) -> tuple[int, int] | None:
        if self.view.actual_pixels:
            return None  # the frame as it is
        ratio = self.devicePixelRatioF()
        size = self.view.size()
        return max(64, int(size.width() * ratio)), max(36, int(size.height() * ratio))

    def _view_resized(self, _size: QSize) -> None:
        for engine in self.engines.values():
            engine.set_size(self._view_size())

    def _describe(self, frame: int) -> str:
        if self.engine is None or self.engine.index is None:
            return f"frame {frame}"
        return f"frame {frame}   {timecode(self.engine.index.time_of(frame), self.fps)}"

    def _tick(self) -> None:
        engine = self.engine
        if engine is None:
            return
        if engine.status.error:
            self.view.show_message(f"{Path(engine.path).name} cannot be played:\n{engine.status.error}")
            return
        self.sound.follow()  # the sound is the master clock: the clock goes where the device is
        frame = engine.poll()
        self._sync_sound(engine)
        mark = (id(engine), engine.starts)
        at_end = engine.current is not None and engine.current.number >= len(engine.index or ()) - 1
        if engine.end_due is not None and mark != self._ended_mark and not engine.status.playing and at_end:
            self._ended_mark = mark
            self.ended.emit()
        if frame is not None:
            self._show(frame)
        elif engine.current is not None and self.view.overlay != self._overlay(engine.current.number):
            self.view.overlay = self._overlay(
                engine.current.number
            )  # paused or sped up: no new frame says so
            self.view.update()

    def _overlay(self, number: int) -> str:
        assert self.engine is not None
        index = self.engine.index
        total = len(index) if index else 0
        seconds = index.time_of(number) if index else 0.0
        status = self.engine.status
        state = f"{status.speed:g}x" if status.playing else "paused"
        if status.playing and self.clock.every_frame:
            state += ", every frame"
        elif status.playing and status.dropped:
            state += f", {status.dropped} skipped"  # as RV does: the reviewer knows frames went unseen
        if self.proxy:
            state += "   proxy"
        if self.take is not None and self.take.get("has_audio"):
            said = sound_state(self.sound, self.muted, status.playing, status.speed, self.clock.every_frame)
            state += f"   {said}" if said else ""
        return f"{number:>5} / {total - 1}   {timecode(seconds, self.fps)}   {state}"

    def _show(self, frame: Frame) -> None:
        self.view.show_frame(frame.rgb, self._overlay(frame.number))
        self.timeline.position = frame.number
        self.timeline.update()
        self.frame_shown.emit(frame.number)
