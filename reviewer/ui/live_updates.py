"""Others' changes, live: the event log polled about once a second in a worker, their takes re-read
there, and only applied on the GUI thread; the reviewer's current take is left alone (the panel says
what they did, the player plays on). Takes ingested elsewhere reload the catalogue."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from PySide6.QtCore import QTimer

from reviewer.review import live
from reviewer.review.catalog import Update
from reviewer.review.decisions import Change, workstation
from reviewer.review.loading import read_live
from reviewer.ui.text import plain_label, tip

LIVE_MS = 1000  # others' decisions show within about this (and the poll's own time)


class LiveUpdates:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.seen: live.Seen | None = None  # how far the event log has been read
        self.own_events: set[int] = set()  # events this window wrote (already shown)
        self.busy = False  # a poll is being read: the next waits for it, never overtakes it
        self.changed_here: set[int] = set()  # takes changed here while a poll was being read
        self.label = plain_label()  # what others did a moment ago: their names are data
        self.label.setObjectName("live")
        self.timer = QTimer(window)
        self.timer.setInterval(LIVE_MS)
        self.timer.timeout.connect(self.poll)

    def restart(self) -> None:
        """Read from where the log stands now (a poll being read is superseded: it started too early)."""
        self.seen, self.busy = None, False
        self.w.tasks.run(live.mark, self.w.project, done=self._marked, key="live")

    def _marked(self, seen: live.Seen) -> None:
        self.seen = seen
        self.timer.start()

    def changed(self, change: Change) -> None:
        """A change made here: its events are not news, its takes are not overwritten by a poll."""
        self.own_events.update(change.event_ids)
        self.changed_here.update(change.take_ids)

    def poll(self) -> None:
        w = self.w
        if self.seen is not None and w.listing.complete and w.isVisible() and not self.busy:
            self.busy = True
            self.changed_here = set()
            mine = frozenset(self.own_events)
            w.tasks.run(
                read_live, w.project, self.seen, mine, (w.reviewer, workstation()),
                done=self._read, failed=self._failed, key="live",
            )  # fmt: skip

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        self.label.setText("Others' changes: cannot read the project")
        self.label.setToolTip(tip(exc))

    def _read(self, result: tuple[live.Seen, Update | None]) -> None:
        """Show what others decided since the last poll."""
        w = self.w
        self.busy = False
        seen, update = result
        before = self.seen
        self.seen = seen
        catalog = w.listing.catalog
        if before is None or catalog is None:
            return
        here = workstation()
        theirs = [
            e for e in seen.events if e[0] not in self.own_events and (e[2], e[3]) != (w.reviewer, here)
        ]
        self.own_events.difference_update(e[0] for e in seen.events)
        if update is None or not catalog.apply(update, skip=self.changed_here):
            w.listing.reload()  # takes ingested elsewhere: the catalogue grows
            return
        w.deciding.read_rules()  # a lead may have revealed the votes, the team's rules changed
        if not theirs:
            return
        ids = update.take_ids
        w.listing.forget(ids)
        w.model.takes_changed(ids)
        w.bin_timer.start()
        w.triage.update_bar()
        if w.listing.current_id in ids:
            w.listing.refresh_current()
        w.stage.changed(Change(take_ids=set(ids)))
        counts = Counter(name for _e, _t, name, _w in theirs)
        self.label.setText(
            "Just now: "
            + ", ".join(f"{name} {n} change{'s' if n != 1 else ''}" for name, n in counts.most_common(3))
        )
        self.label.setToolTip(tip(f"Last change by others at {time.strftime('%H:%M:%S')}"))

    def stop(self) -> None:
        self.timer.stop()
