"""The cut: the heroes of all shots in board order, played straight through, over a sequence strip.

The strip shows every shot as wide as its length (the hero's trimmed range, or the target length in
red where a shot has no hero yet), the playhead, and jumps where it is clicked. Playback is
``reviewer.media.cut.CutPlayback``; this only paints and routes keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from reviewer.media.audio import CutFeed, Span
from reviewer.media.cut import CutPlayback, Segment, Shown
from reviewer.media.playback import Clock
from reviewer.review.shots import CutItem
from reviewer.ui import transport
from reviewer.ui.audio import SoundOut, sound_state, wants_sound
from reviewer.ui.player import POLL_MS, VideoView, timecode

HERO = QColor("#2f4a63")
HERO_CURRENT = QColor("#3f6a8f")
GAP = QColor("#7a2626")
PLAYHEAD = QColor("#e3c14b")


class SequenceStrip(QWidget):
    """One block per shot, width by length; click to jump."""

    clicked = Signal(int)  # a frame of the cut

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sequence-strip")
        self.items: list[CutItem] = []
        self.position = 0
        self.current_shot = -1
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(600, 46)

    def total(self) -> int:
        return sum(i.length for i in self.items) or 1

    def x_of(self, frame: int) -> float:
        return frame / self.total() * self.width()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#161616"))
        for k, item in enumerate(self.items):
            rect = QRectF(
                self.x_of(item.record_in), 2, max(1.0, self.x_of(item.length) - 1), self.height() - 4
            )
            colour = GAP if item.hero is None else HERO_CURRENT if k == self.current_shot else HERO
            painter.fillRect(rect, colour)
            painter.setPen(QColor("#e8e8e8"))
            label = f"{item.code}  {item.hero.name if item.hero else 'no hero'}"
            painter.drawText(rect.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(PLAYHEAD)
        x = self.x_of(self.position)
        painter.drawLine(int(x), 0, int(x), self.height())
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        frame = int(event.position().x() / max(1, self.width()) * self.total())
        self.clicked.emit(max(0, min(self.total() - 1, frame)))


def rate_of(text: str) -> float:
    """Frames per second from "24000/1001"."""
    num, _, den = text.partition("/")
    return int(num) / int(den) if den and int(den) else 24.0


class CutView(QWidget):
    """The cut's picture, its strip and its transport."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("cut")
        self.view = VideoView()
        self.strip = SequenceStrip()
        self.strip.clicked.connect(self.seek_record)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip)
        self.items: list[CutItem] = []
        self.playback: CutPlayback | None = None
        self.every_frame = False  # each new cut plays every frame (the window's choice), or keeps time
        self.segment_items: list[int] = []  # for each segment, its item (shot) on the strip
        self.shown: list[int] = []  # the cut frames painted while playing (for tests and checks)
        # The cut's sound, one stream through all the heroes (silence over gaps and silent takes), as the
        # master clock; muted or not as the window's player is.
        self.muted = True
        self.sound = SoundOut(self)
        self.has_sound = False  # a hero of the cut has sound
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.view.resized.connect(lambda _size: self.playback and self.playback.set_size(self._size()))

    def set_cut(self, items: Sequence[CutItem], at_record: int | None = None) -> None:
        self.close_all()
        self.items = list(items)
        self.has_sound = any(item.hero is not None and item.hero.has_audio for item in self.items)
        self.strip.items = self.items
        segments: list[Segment] = []
        self.segment_items = []
        rates = [rate_of(item.hero.fps) for item in self.items if item.hero is not None]
        gap_fps = max(set(rates), key=rates.count) if rates else 24.0  # the rate most heroes run at
        for k, item in enumerate(self.items):
            if item.hero is None:  # black for the shot's target length: the shots after it keep their time
                segments.append(Segment(None, 0, max(1, item.length) - 1, gap_fps, item.record_in, item.code))
            else:
                segments.append(
                    Segment(Path(item.hero.path), item.hero.frame_in, item.hero.frame_out, rate_of(item.hero.fps),
                            item.record_in, item.code)
                )  # fmt: skip
            self.segment_items.append(k)
        if not rates:
            self.view.show_message("No shot has a hero yet: choose one with H at the last stage")
            self.strip.update()
            return
        self.playback = CutPlayback(segments, size=self._size())
        self.playback.every_frame = self.every_frame
        self.shown = []
        self.timer.start(POLL_MS)
        self.seek_record(at_record or 0)

    def close_all(self) -> None:
        self.timer.stop()
        self.sound.stop()
        if self.playback is not None:
            self.playback.close()
        self.playback = None

    def _size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(64, int(self.view.width() * ratio)), max(36, int(self.view.height() * ratio))

    # --- transport ------------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[], None]]:
        return transport.handlers(self)

    def shuttle(self, direction: int) -> None:
        """L plays the cut; the cut has no reverse or fast shuttle (J does nothing here)."""
        if direction > 0:
            self.play()

    def first_frame(self) -> None:
        self.seek_record(0)

    def last_frame(self) -> None:
        self.seek_record(self.strip.total() - 1)

    def set_muted(self, muted: bool) -> None:
        """Sound on or off; turned on while playing, the cut plays on from the frame on screen with it."""
        self.muted = muted
        if muted:
            self.sound.stop()
        elif self.playback is not None and self.playback.playing and self._wants_sound():
            self.playback.play()  # a new start, from the frame on screen, which the sound starts with

    def _wants_sound(self) -> bool:
        playback = self.playback
        return playback is not None and wants_sound(
            self.muted, self.has_sound, playback.playing, playback.speed, playback.every_frame
        )

    def _sync_sound(self) -> None:
        """The sound starts with each play's first frame and runs through the cut; it stops with it."""
        playback = self.playback
        if playback is None:
            return

        def begin() -> tuple[CutFeed, Clock, float]:
            segment, frame, t0 = playback.start
            spans = [Span(s.path, s.frame_in, s.frame_out, s.fps) for s in playback.segments[segment:]]
            return CutFeed(spans, frame, speed=playback.speed), playback.clock, t0

        self.sound.keep_up(
            (id(playback), playback.starts), playback.starts > 0 and self._wants_sound(), begin
        )

    def play_pause(self) -> None:
        if self.playback is None:
            return
        if self.playback.playing:
            self.pause()
        else:
            self.play()

    def play(self, speed: float | None = None) -> None:
        if self.playback is not None:
            self.playback.play(speed)

    def pause(self) -> None:
        if self.playback is not None:
            self.playback.pause()

    def step(self, delta: int) -> None:
        if self.playback is not None:
            self.playback.step(delta)

    def seek_record(self, record: int) -> None:
        if self.playback is not None:
            self.playback.seek_record(record)
        self.strip.position = record
        self.strip.update()

    def shot_step(self, delta: int) -> None:
        """To the in point of the next or previous shot (a gap's first frame for a shot without a hero)."""
        if self.playback is not None and self.playback.segments:
            self.playback.go_to(self.playback.index + delta)

    def current_item(self) -> CutItem | None:
        if self.playback is None or not self.segment_items:
            return None
        return self.items[self.segment_items[self.playback.index]]

    def position(self) -> int:
        last = self.playback.last if self.playback is not None else None
        return last.record if last is not None else 0

    def _tick(self) -> None:
        if self.playback is None:
            return
        playing = self.playback.playing
        self.sound.follow()  # the sound is the master clock
        shown = self.playback.poll()
        self._sync_sound()
        if shown is not None:
            self._show(shown, playing)

    def _show(self, shown: Shown, playing: bool) -> None:
        item = self.items[self.segment_items[shown.segment]]
        fps = self.playback.segments[shown.segment].fps if self.playback else 24.0
        state = "playing" if self.playback and self.playback.playing else "paused"
        what = f"{item.hero.name}  frame {shown.frame.number}" if item.hero else "no hero yet: a gap"
        if self.has_sound and self.playback is not None:
            said = sound_state(
                self.sound, self.muted, self.playback.playing, self.playback.speed, self.playback.every_frame
            )
            state += f"   {said}" if said else ""
        self.view.show_frame(
            shown.frame.rgb, f"{item.code}  {what}   cut {timecode(shown.record / fps, fps)}   {state}"
        )
        if playing:
            self.shown.append(shown.record)
            del self.shown[:-10_000]
        self.strip.position = shown.record
        self.strip.current_shot = self.segment_items[shown.segment]
        self.strip.update()
