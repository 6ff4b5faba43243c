"""Compare: two or four takes of a shot playing in sync, with a wipe and a difference view for two.

Every pane has its own ``PlaybackEngine``; the transport goes to all of them at once, and whenever
playback stops they are put on the same frame as the pane under the cursor, so paused views always
show the same frame number. In wipe and difference modes the two newest frames are composed here
(numpy, one pass) and shown in one view. The provenance of the takes is listed under the pictures
with the words and fields that differ from the first take marked.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from reviewer.media.frames import FrameCache
from reviewer.media.playback import SPEEDS, Clock, PlaybackEngine
from reviewer.review.compare import FIELDS, differing_fields, field_text, word_diff
from reviewer.ui import transport
from reviewer.ui.audio import SoundOut, sound_state, take_feed, wants_sound
from reviewer.ui.player import FRAME_CACHE_BYTES, POLL_MS, VideoView
from reviewer.untrusted import for_terminal

MODES = ("side by side", "wipe", "difference")
CURSOR = "#e3c14b"
LETTERS = "ABCD"


def compose(a: np.ndarray, b: np.ndarray, mode: str, wipe: float) -> np.ndarray:
    """Two RGB frames on one canvas (each centred): B right of the wipe line, or |A - B| brightened."""
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])

    def canvas(x: np.ndarray) -> np.ndarray:
        if x.shape[:2] == (h, w):
            return x
        out = np.zeros((h, w, 3), np.uint8)
        top, left = (h - x.shape[0]) // 2, (w - x.shape[1]) // 2
        out[top : top + x.shape[0], left : left + x.shape[1]] = x
        return out

    ca, cb = canvas(a), canvas(b)
    if mode == "difference":
        diff = np.abs(ca.astype(np.int16) - cb.astype(np.int16))
        return np.clip(diff * 4, 0, 255).astype(np.uint8)
    split = round(max(0.0, min(1.0, wipe)) * w)
    out = ca.copy()
    out[:, split:] = cb[:, split:]
    if 0 < split < w:
        out[:, split - 1 : split + 1] = (255, 255, 255)
    return out


class Pane(QFrame):
    """One take in the compare grid: its picture and a line saying which take it is and its state."""

    def __init__(self, letter: str) -> None:
        super().__init__()
        self.letter = letter
        self.view = VideoView()
        self.view.setMinimumSize(160, 90)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setObjectName("compare-caption")
        # a long file name is cut at the pane's edge; it must not widen the window
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self.take: dict[str, Any] | None = None
        self.engine: PlaybackEngine | None = None
        self.set_cursor(False)

    def set_cursor(self, on: bool) -> None:
        self.setStyleSheet(f"Pane {{ border: 2px solid {CURSOR if on else 'transparent'}; }}")


class CompareView(QWidget):
    """2-up or 4-up of takes; the window says which takes (``set_takes``) and routes keys here."""

    cursor_moved = Signal(int)  # the take id under the cursor

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("compare")
        self.cache = FrameCache(FRAME_CACHE_BYTES)
        # One for the takes side by side: a slip (to show every frame) keeps them in step.
        self.clock = Clock()
        self._ranged = False
        self.panes = [Pane(letter) for letter in LETTERS]
        self.grid = QWidget()
        grid = QGridLayout(self.grid)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        for i, pane in enumerate(self.panes):
            grid.addWidget(pane, i // 2, i % 2)
            pane.view.installEventFilter(self)
        self.single = VideoView()  # wipe and difference
        self.single.setMouseTracking(True)
        self.single.installEventFilter(self)
        self.pictures = QStackedWidget()
        self.pictures.addWidget(self.grid)
        self.pictures.addWidget(self.single)
        self.provenance = QTextBrowser()
        self.provenance.setObjectName("compare-provenance")
        self.provenance.setOpenLinks(False)
        self.provenance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.provenance.setMaximumHeight(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.pictures, 1)
        layout.addWidget(self.provenance)
        self.count = 0
        self.at = 0
        self.mode = MODES[0]
        self.wipe = 0.5
        self.target: int | None = None  # the frame asked for while paused: quick steps add up
        self.describe: Callable[[dict[str, Any]], str] = lambda take: for_terminal(take.get("name", ""))
        # The sound of the take under the cursor, the master clock of all panes; muted as the window is.
        self.muted = True
        self.sound = SoundOut(self)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # --- takes ----------------------------------------------------------------------------------

    def set_takes(self, takes: Sequence[dict[str, Any]], count: int) -> None:
        """Show ``count`` panes (2 or 4) with these takes (fewer takes leave panes empty)."""
        self.close_all()
        self.count = count
        self._ranged = False  # every pane loops over the shortest take's length, once all are open
        if count != 2 and self.mode != MODES[0]:
            self.mode = MODES[0]
        for i, pane in enumerate(self.panes):
            pane.setVisible(i < count)
            pane.take = takes[i] if i < min(count, len(takes)) else None
            pane.view.show_message("" if pane.take else "No take here:\nselect up to four takes, then C")
            if pane.take is not None:
                pane.engine = PlaybackEngine(
                    Path(pane.take["path"]), size=self._size(pane), cache=self.cache, clock=self.clock
                )
                pane.engine.set_loop(True)
        self.at = 0
        self._update_panes()
        self._show_mode()
        self.timer.start(POLL_MS)

    def takes(self) -> list[dict[str, Any]]:
        return [p.take for p in self.panes[: self.count] if p.take is not None]

    def engines(self) -> list[PlaybackEngine]:
        return [p.engine for p in self.panes[: self.count] if p.engine is not None]

    def current_take(self) -> dict[str, Any] | None:
        return self.panes[self.at].take if self.count else None

    def update_take(self, take: dict[str, Any]) -> None:
        """A take's state changed (a decision): its caption follows."""
        for pane in self.panes[: self.count]:
            if pane.take is not None and pane.take.get("id") == take.get("id"):
                pane.take = {**pane.take, **take}
        self._update_panes()

    def close_all(self) -> None:
        self.timer.stop()
        self.sound.stop()
        for pane in self.panes:
            if pane.engine is not None:
                pane.engine.close()
            pane.engine = None
        self.count = 0

    def _size(self, pane: Pane) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        view = self.single if self.mode != MODES[0] else pane.view
        return max(64, int(view.width() * ratio)), max(36, int(view.height() * ratio))

    # --- the cursor and the mode ---------------------------------------------------------------

    def move_cursor(self, delta: int) -> None:
        filled = [i for i in range(self.count) if self.panes[i].take is not None]
        if not filled:
            return
        k = filled.index(self.at) if self.at in filled else 0
        self.set_cursor(filled[(k + delta) % len(filled)])

    def set_cursor(self, index: int) -> None:
        if not 0 <= index < self.count or self.panes[index].take is None:
            return
        moved = index != self.at
        self.at = index
        self._update_panes()
        if moved and self.sound.playing:
            self._replay()  # the sound follows the cursor: all panes play on, with the new take's sound
        take = self.panes[index].take
        if take is not None:
            self.cursor_moved.emit(int(take["id"]))

    def cycle_mode(self) -> None:
        """Side by side → wipe → difference (two takes only)."""
        if self.count != 2:
            return
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self._show_mode()

    def _show_mode(self) -> None:
        self.pictures.setCurrentWidget(self.grid if self.mode == MODES[0] else self.single)
        for pane in self.panes[: self.count]:
            if pane.engine is not None:
                pane.engine.set_size(self._size(pane))
        self._compose()

    def _update_panes(self) -> None:
        for i, pane in enumerate(self.panes):
            pane.set_cursor(i == self.at and self.count > 1)
            pane.caption.setText(f"{pane.letter}  {self.describe(pane.take)}" if pane.take else pane.letter)
        self._show_provenance()

    def _show_provenance(self) -> None:
        takes = self.takes()
        if not takes:
            self.provenance.setHtml("")
            return
        differ = differing_fields(takes)
        reference = takes[0]
        rows = []
        for pane in self.panes[: self.count]:
            take = pane.take
            if take is None:
                continue
            fields = []
            for name in FIELDS:
                text = field_text(take, name)
                if not text:
                    continue
                shown = html.escape(text if len(text) < 300 else text[:300] + "…")
                if name in differ:
                    shown = f"<span style='background:#6b4f00'>{shown}</span>"
                fields.append(f"<b>{name}</b> {shown}")
            prompt = field_text(take, "prompt")
            if take is reference:
                marked = html.escape(prompt)
            else:
                marked = "".join(
                    f"<span style='background:#6b4f00'>{html.escape(p.text)}</span>"
                    if p.changed
                    else html.escape(p.text)
                    for p in word_diff(field_text(reference, "prompt"), prompt)
                )
            rows.append(
                f"<p style='margin:2px'><b style='color:{CURSOR if pane is self.panes[self.at] else '#ccc'}'>"
                f"{pane.letter}</b> {html.escape(for_terminal(take.get('name', '')))}{''.join(' · ' + f for f in fields)}<br>"
                f"<i>prompt</i> {marked or '—'}</p>"
            )
        same = "" if differ else "<p style='margin:2px;color:#9a9a9a'>Same provenance in every take.</p>"
        self.provenance.setHtml("".join(rows) + same)

    # --- transport: every command goes to every pane -------------------------------------------

    def handlers(self) -> dict[str, Callable[[], None]]:
        return transport.handlers(self)

    def step_seconds(self, seconds: int) -> None:
        self.step(seconds * self._fps())

    def first_frame(self) -> None:
        self.seek(0)

    def last_frame(self) -> None:
        self.seek(self._last())

    def set_muted(self, muted: bool) -> None:
        """Sound (of the take under the cursor) on or off; on while playing, the panes play on with it."""
        self.muted = muted
        if muted:
            self.sound.stop()
        elif self.is_playing():
            self._replay()

    def _replay(self) -> None:
        """Play on from the frames on screen: a new start, which the sound starts with."""
        for engine in self.engines():
            if engine.status.playing:
                engine.play(engine.status.speed)

    def _sync_sound(self) -> None:
        """The sound of the cursor's take starts with the first frame of each play, and stops with it."""
        master = self._master()
        if master is None:
            self.sound.stop()
            return
        take, status = self.current_take(), master.status
        has_sound = bool(take is not None and take.get("has_audio") and master.index is not None)
        wanted = wants_sound(self.muted, has_sound, status.playing, status.speed, self.clock.every_frame)
        self.sound.keep_up(
            (id(master), master.starts),
            master.starts > 0 and wanted,
            lambda: (take_feed(master), self.clock, master.start[1]),
        )

    def _fps(self) -> int:
        take = self.current_take()
        if not take:
            return 24
        num, den = (int(x) for x in str(take.get("fps") or "24/1").split("/"))
        return max(1, round(num / den)) if den else 24

    def _last(self) -> int:
        lengths = [len(e.index) for e in self.engines() if e.index is not None]
        return max(0, min(lengths) - 1) if lengths else 0

    def _master(self) -> PlaybackEngine | None:
        pane = self.panes[self.at] if self.count else None
        return pane.engine if pane is not None and pane.engine is not None else None

    def position(self) -> int:
        master = self._master()
        return master.status.frame if master else 0

    def is_playing(self) -> bool:
        return any(e.status.playing for e in self.engines())

    def play_pause(self) -> None:
        if self.is_playing():
            self.pause()
        else:
            self.target = None
            for engine in self.engines():
                engine.play(abs(engine.status.speed) or 1.0)

    def pause(self) -> None:
        """Stop all, then line every pane up on the cursor's frame."""
        playing = self.is_playing()
        for engine in self.engines():
            engine.pause()
        if playing or self.target is None:
            self.seek(self.position())

    def seek(self, frame: int) -> None:
        self.target = frame
        for engine in self.engines():
            last = len(engine.index) - 1 if engine.index is not None else frame
            engine.seek(max(0, min(frame, last)))

    def step(self, delta: int) -> None:
        target = (self.target if self.target is not None else self.position()) + delta
        for engine in self.engines():
            engine.pause()
        self.seek(max(0, target))

    def shuttle(self, direction: int) -> None:
        master = self._master()
        if master is None:
            return
        status = master.status
        speed = abs(status.speed)
        speed = min(8.0, speed * 2) if status.playing and (status.speed > 0) == (direction > 0) else 1.0
        self.seek(self.position())
        self.target = None
        for engine in self.engines():
            engine.play(direction * speed)

    def change_speed(self, direction: int) -> None:
        master = self._master()
        if master is None:
            return
        current = abs(master.status.speed)
        steps = [s for s in SPEEDS if (s > current if direction > 0 else s < current)]
        if steps:
            speed = steps[0] if direction > 0 else steps[-1]
            for engine in self.engines():
                engine.set_speed(speed if engine.status.speed >= 0 else -speed)

    # --- painting ---------------------------------------------------------------------------

    def frames_shown(self) -> list[int | None]:
        """The frame number each pane with a take shows now (None: nothing yet)."""
        out: list[int | None] = []
        for pane in self.panes[: self.count]:
            if pane.take is None:
                continue
            current = pane.engine.current if pane.engine is not None else None
            out.append(current.number if current is not None else None)
        return out

    def _common_range(self) -> None:
        """Panes of different lengths share one loop: the shortest take's, so that every pane starts over
        on the same tick and they never drift apart (RV's compare does the same)."""
        engines = self.engines()
        if self._ranged or not engines or any(e.index is None and not e.status.error for e in engines):
            return
        self._ranged = True
        last = self._last()
        for engine in engines:
            if engine.index is not None and len(engine.index) - 1 > last:
                engine.set_range(None, last)

    def _tick(self) -> None:
        fresh = False
        self._common_range()
        self.sound.follow()  # the sound under the cursor is the master clock of every pane
        for pane in self.panes[: self.count]:
            engine = pane.engine
            if engine is None:
                continue
            if engine.status.error:
                pane.view.show_message(f"{Path(engine.path).name} cannot be played:\n{engine.status.error}")
                continue
            frame = engine.poll()
            if frame is None:
                continue
            fresh = True
            if self.mode == MODES[0]:
                state = f"{engine.status.speed:g}x" if engine.status.playing else "paused"
                if pane is self.panes[self.at] and pane.take is not None and pane.take.get("has_audio"):
                    said = sound_state(
                        self.sound,
                        self.muted,
                        engine.status.playing,
                        engine.status.speed,
                        self.clock.every_frame,
                    )
                    state += f"   {said}" if said else ""
                pane.view.show_frame(frame.rgb, f"{pane.letter}  {frame.number:>5}   {state}")
        self._sync_sound()
        if fresh and self.mode != MODES[0]:
            self._compose()

    def _compose(self) -> None:
        if self.mode == MODES[0] or self.count != 2:
            return
        a, b = (p.engine.current if p.engine is not None else None for p in self.panes[:2])
        if a is None or b is None:
            return
        label = "A | B wipe (drag)" if self.mode == "wipe" else "difference |A − B| × 4"
        self.single.show_frame(compose(a.rgb, b.rgb, self.mode, self.wipe), f"{label}   {a.number:>5}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.single and kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            mouse = event if isinstance(event, QMouseEvent) else None
            if mouse is not None and (kind == QEvent.Type.MouseButtonPress or mouse.buttons()):
                self.wipe = mouse.position().x() / max(1, self.single.width())
                self._compose()
        elif kind == QEvent.Type.MouseButtonPress:
            for i, pane in enumerate(self.panes[: self.count]):
                if watched is pane.view:
                    self.set_cursor(i)
        elif kind == QEvent.Type.Resize:
            for pane in self.panes[: self.count]:
                if pane.engine is not None and (watched is pane.view or watched is self.single):
                    pane.engine.set_size(self._size(pane))
        return False
