"""How a review session plays: the next take starts playing at the session's speed, looping (or once,
then on to the next without a verdict), with the verdict and stars of the take drawn over the picture,
and the player given most of the window (full screen on F, Escape leaves).

The session's speed is remembered per stage (a first pass at 2x, a shortlist at 1x); it is the
workspace's ``session_speed`` while a session at that stage is on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QToolBar

from reviewer.review.workspace import SPEEDS
from reviewer.store import models as m

PLAY_ONCE_KEY = "session/play_once"


def speed_key(stage_name: str) -> str:
    return f"session/speed/{stage_name}"


def badge_text(verdict: str | None, rating: int | None) -> tuple[str, str]:
    """The badge over the picture: “⚑ kept ★★★” in green, “✕ rejected” in red, or stars alone."""
    stars = "★" * rating if rating else ""
    if verdict == m.VERDICT_KEEP:
        return f"⚑ kept {stars}".strip(), "#2f9f4f"
    if verdict == m.VERDICT_REJECT:
        return f"✕ rejected {stars}".strip(), "#c0392b"
    return stars, "#555555"


class SessionPlayback(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.w = window  # the ProjectWindow (not imported: it imports this)
        self.play_once = QSettings().value(PLAY_ONCE_KEY, "false") == "true"
        self._full: tuple[bool, bool, list[QDockWidget], list[QToolBar]] | None = None
        window.player.ended.connect(self._ended)

    # --- speed -----------------------------------------------------------------------------

    def session_started(self, stage_name: str) -> None:
        """A session at ``stage_name`` began or resumed: its speed, and the player most of the window."""
        try:
            speed = float(str(QSettings().value(speed_key(stage_name), self.w.view.session_speed)))
        except (TypeError, ValueError):
            speed = 1.0
        self.w.view.session_speed = speed if speed in SPEEDS else 1.0
        total = max(1, self.w.splitter.width())
        self.w.splitter.setSizes([total // 4, total - total // 4])
        if self.w.player.take is not None and self.w.view.stage == "player":  # the take already on screen
            self.w.player.play_at(self.w.view.session_speed, loop=not self.play_once)

    def change_speed(self, direction: int) -> bool:
        """[ and ] in a session: the session's speed, among 1x, 1.5x, 2x and 3x; False outside a session."""
        w = self.w
        if w.triage.session is None or w.view.stage not in ("player", "survey"):
            return False
        now = w.view.session_speed
        steps = [s for s in SPEEDS if (s > now if direction > 0 else s < now)]
        if steps:
            w.view.session_speed = steps[0] if direction > 0 else steps[-1]
            QSettings().setValue(speed_key(w.triage.session.stage_name), w.view.session_speed)
            if w.view.stage == "survey":
                w.survey.view.set_speed(w.view.session_speed)
            else:
                w.player.play_at(w.view.session_speed, loop=not self.play_once)
            w.triage.update_bar()
        return True

    def toggle_play_once(self) -> None:
        self.play_once = not self.play_once
        QSettings().setValue(PLAY_ONCE_KEY, "true" if self.play_once else "false")
        self.w.status_label.setText(
            "Each take plays once, then the next one (no verdict given)"
            if self.play_once
            else "Each take loops until it has a verdict"
        )
        engine = self.w.player.engine
        if self.w.triage.session is not None and engine is not None:
            engine.set_loop(not self.play_once)
        self.w.triage.update_bar()

    # --- the take on screen -----------------------------------------------------------------

    def take_shown(self, take: dict[str, Any]) -> None:
        """A take is on the player: in a session it plays at once; its badge says what is recorded."""
        w = self.w
        if w.triage.session is not None and w.view.stage == "player":
            w.player.play_at(w.view.session_speed, loop=not self.play_once, from_start=True)
        self.show_badge(take)

    def show_badge(self, take: dict[str, Any] | None) -> None:
        if take is None:
            self.w.player.set_badge("")
            return
        w, take_id = self.w, int(take["id"])
        if w.triage.session is not None:
            verdict = w.triage.session.verdict(take_id)
        elif take.get("verdict") == m.VERDICT_REJECT:
            verdict = m.VERDICT_REJECT
        else:
            verdict = (
                m.VERDICT_KEEP if int(take.get("stage_position") or 0) > 0 or take.get("verdict") else None
            )
        text, colour = badge_text(verdict, take.get("rating"))
        w.player.set_badge(text, colour)

    def _ended(self) -> None:
        w = self.w
        if self.play_once and w.triage.session is not None and w.view.stage == "player":
            w.listing.go_to_take(+1)

    # --- full screen ------------------------------------------------------------------------

    def toggle_full_screen(self) -> None:
        """F: the stage (player, compare, cut or survey) and the session bar fill the screen."""
        w = self.w
        if self._full is not None:
            self.leave_full_screen()
            return
        docks = [d for d in w.findChildren(QDockWidget) if d.isVisible()]
        bars = [b for b in w.findChildren(QToolBar) if b.isVisible()]
        self._full = (w.browser.isVisible(), w.isMaximized(), docks, bars)
        for widget in (*docks, *bars):
            widget.hide()
        w.browser.hide()
        w.menuBar().hide()
        w.statusBar().hide()
        w.stage.area.show()
        w.showFullScreen()
        w.status_label.setText("Full screen: Escape leaves")

    def leave_full_screen(self) -> bool:
        """Escape: back from full screen; False when not in it."""
        if self._full is None:
            return False
        w = self.w
        browser, maximized, docks, bars = self._full
        self._full = None
        for widget in (*docks, *bars):
            widget.show()
        w.menuBar().show()
        w.statusBar().show()
        w.browser.setVisible(browser)
        if maximized:
            w.showMaximized()
        else:
            w.showNormal()
        w.setWindowState(w.windowState() & ~Qt.WindowState.WindowFullScreen)
        return True

    @property
    def full_screen(self) -> bool:
        return self._full is not None
