"""The review session's controller: the session bar, starting, resuming and leaving a session, its
claims in team mode (claimed in batches, topped up near the end, renewed while it runs, released when
it stops: the rules are ``reviewer.review.session``'s), and what a verdict, an undo or a redo does to
its queue and counts. Where the session stands is saved a moment after the last key (the decisions
themselves are durable at once, in the event log); leaving, closing and switching save it at once."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from reviewer.review import session as rules
from reviewer.review import team, votes
from reviewer.review.catalog import Catalog
from reviewer.review.session import Session, describe_filter, filter_from_dict, filter_to_dict, save_session
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project


def open_queue(
    project: Project, reviewer: str, catalog: Catalog, stage: int, wanted: list[int]
) -> tuple[list[int], dict[int, str], bool]:
    """(a write) A new session's queue: the takes claimed of ``wanted``; when none, who holds them; and
    whether the stage is voted (nothing is claimed there)."""
    queue = rules.claim(project, reviewer, catalog, stage, wanted)
    held = team.held_by_others(project, reviewer, stage) if not queue else {}
    return queue, held, stage in votes.rules(project).voting


def resume(project: Project, reviewer: str, catalog: Catalog, saved: Session) -> tuple[Session, list[int]]:
    """(a write) The saved session taken up again: its undecided takes claimed; and the takes gone."""
    return saved, rules.resume(project, reviewer, catalog, saved)


def leave(project: Project, reviewer: str, session: Session) -> None:
    """(a write) The session is kept where it stands and its claims are released."""
    save_session(project, reviewer, session)
    team.release(project, reviewer)


class Triage:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.session: Session | None = None
        self.saved_session: Session | None = None
        self.claiming = False  # a top-up's claim is on its way (team mode)
        self.starting = False  # a session's claims are on their way (team mode)
        self.bar = QWidget()
        self.bar.setObjectName("session-bar")
        self.label = QLabel()
        self.label.setObjectName("session-progress")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.auto_advance = QCheckBox("Auto-advance")
        self.auto_advance.setChecked(window.view.auto_advance)
        self.auto_advance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.auto_advance.toggled.connect(lambda on: setattr(window.view, "auto_advance", on))
        self.button = QPushButton("Start session")
        self.button.setObjectName("session-button")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(self._button)
        layout = QHBoxLayout(self.bar)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.auto_advance)
        layout.addWidget(self.button)
        window.view.on("auto_advance", self._auto_advance_changed)
        self.save_timer = QTimer(window)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(400)
        self.save_timer.timeout.connect(self.save)
        self.lease_timer = QTimer(window)  # a session's claims are renewed while it runs
        self.lease_timer.setInterval(int(team.RENEW.total_seconds() * 1000))
        self.lease_timer.timeout.connect(self._renew_claims)

    def say(self, text: str) -> None:
        self.w.status_label.setText(text)

    def start(self, then: Callable[[], None] | None = None) -> None:
        """Start a session over the current filter (at its stage, or Triage), or resume the saved one.
        The claims are made by the window's ops (in the background in team mode: the session opens when
        they are back); ``then`` runs once it is open (locally at once)."""
        w = self.w
        cat = w.listing.catalog
        if cat is None or not w.listing.complete or self.session is not None or self.starting:
            return
        if self.saved_session is not None:
            self.starting = True
            w.ops.write(resume, w.project, w.reviewer, cat, copy.deepcopy(self.saved_session),
                        done=partial(self._resumed, then), failed=self._not_started)  # fmt: skip
            return
        f = w.listing.filter
        if f.stage is None:
            f = dataclasses.replace(f, stage=0, status=queries.STATUS_PENDING)
        if f.stage is None or f.stage >= len(cat.stages):
            return
        w.listing.remember_filter(f)
        w.listing.apply_filter(keep_current=True)
        wanted = [int(t) for t in cat.ids[w.listing.unfolded_rows]]  # every take, stacks or not
        if not wanted:
            self.say(f"Nothing to review: {describe_filter(f, cat.stages)}")
            return
        self.starting = True
        # Claimed, so that nobody else triages them at this stage while this session holds them.
        w.ops.write(open_queue, w.project, w.reviewer, cat, f.stage, wanted,
                    done=partial(self._opened, f, wanted, then), failed=self._not_started)  # fmt: skip

    def found_saved(self, saved: Session | None) -> None:
        """The reviewer's saved session, read with the catalogue: Ctrl+Return resumes it."""
        self.saved_session = saved
        self.update_bar()

    def _not_started(self, _exc: Exception) -> None:
        self.starting = False  # the status line says why

    def _resumed(self, then: Callable[[], None] | None, result: tuple[Session, list[int]]) -> None:
        self.starting = False
        resumed, gone = result
        self.session, self.saved_session = resumed, None
        self._begin()
        if gone:
            self.say(f"Resumed: {len(gone)} takes left the queue (decided or taken by others)")
        if then is not None:
            then()

    def _opened(
        self,
        f: queries.TakeFilter,
        wanted: list[int],
        then: Callable[[], None] | None,
        result: tuple[list[int], dict[int, str], bool],
    ) -> None:
        w = self.w
        self.starting = False
        queue, held, voting = result
        cat = w.listing.catalog
        if cat is None or f.stage is None:
            return
        if not queue:
            who = Counter(held[t] for t in wanted if t in held)
            self.say(
                f"Nothing to review here: all {len(wanted):,} takes are being reviewed by others ("
                + ", ".join(f"{name}: {n}" for name, n in who.most_common(3))
                + ")"
            )
            return
        claimed = not voting and len(queue) < len(wanted)
        self.session = Session(
            stage=f.stage, stage_name=cat.stages[f.stage], filter=filter_to_dict(f), queue=queue, total=len(queue),
            auto_advance=w.view.auto_advance, pool=len(wanted) if claimed else 0, team=not w.project.is_sqlite,
        )  # fmt: skip
        if w.listing.current_id in queue:
            self.session.go_to(w.listing.current_id)
        w.ops.write(save_session, w.project, w.reviewer, copy.deepcopy(self.session), True)
        self._begin()
        w.stage.set_view("player")
        if then is not None:
            then()

    def _begin(self) -> None:
        assert self.session is not None
        self.w.playback.session_started(self.session.stage_name)
        self.show_queue()
        self.update_bar()
        self.lease_timer.start()

    def top_up_claims(self, need: int = 0) -> None:
        """Near the end of the claimed takes (or with fewer than ``need`` ahead: a survey page to fill),
        claim the next batch of the session's filter."""
        session, cat, w = self.session, self.w.listing.catalog, self.w
        if session is None or cat is None or self.claiming:
            return
        wanted = rules.top_up_wanted(cat, session, need)
        if wanted is None:
            return
        self.claiming = True
        w.ops.write(rules.claim, w.project, w.reviewer, cat, session.stage, *wanted,
                    done=lambda claimed: self._claimed(session, claimed), failed=self._claim_failed)  # fmt: skip

    def _claim_failed(self, _exc: Exception) -> None:
        self.claiming = False  # the status line says why; the next key tries again

    def _claimed(self, session: Session, claimed: list[int]) -> None:
        w = self.w
        self.claiming = False
        if session is not self.session:
            return  # left meanwhile: the leases lapse or go back with the release
        more = rules.add_claimed(session, claimed)
        for take_id in more:
            w.model.insert_take(take_id, w.model.rowCount())
        if more:
            w.ops.write(save_session, w.project, w.reviewer, copy.deepcopy(session), True)
            self.update_bar()

    def _renew_claims(self) -> None:
        session = self.session
        if session is None:
            self.lease_timer.stop()
            return
        undecided = [t for t in session.queue if t not in session.decided]
        self.w.tasks.run(team.renew, self.w.project, self.w.reviewer, undecided, key="renew")

    def show_queue(self) -> None:
        """The browser shows the session's queue (in its order)."""
        assert self.session is not None
        self.w.filter_bar.set_value(filter_from_dict(self.session.filter))
        self.w.filter_bar.setEnabled(False)
        self.w.listing.show_queue(self.session.queue)
        self.select_current()

    def select_current(self) -> None:
        if self.session is None:
            return
        current = self.session.current
        if not self.w.listing.select(current) and current is None:
            self.w.listing.show_take(None)
            self.say("The queue is empty: every take of this session has a verdict")

    def went_to(self, take_id: int) -> None:
        """The reviewer stands on ``take_id``: the session is there too (saved a moment later)."""
        if self.session is not None:
            self.session.go_to(take_id)
            self.save_timer.start()

    def recorded(self, take_ids: list[int], verdict: str | None) -> bool:
        """A decision was recorded for these takes: counted, rejects leave the queue, the claims topped
        up. Whether the session advances (auto-advance, after a keep or a reject)."""
        session = self.session
        if session is None or verdict is None:
            return False
        for take_id in take_ids:
            session.record(take_id, verdict)
        self.w.playback.show_badge(self.w.listing.current_row)  # the badge says what the session counts
        if verdict == m.VERDICT_REJECT:
            with self._rearranging():
                for take_id in take_ids:
                    self.w.model.remove_take(take_id)
        self.save_timer.start()
        self.top_up_claims()
        self.update_bar()
        return self.w.view.auto_advance and verdict != m.VERDICT_CLEAR

    @contextmanager
    def _rearranging(self) -> Iterator[None]:
        """Rows leave or join the listing: the session, not the view, says what is current."""
        self.w.listing.rearranging = True
        try:
            yield
        finally:
            self.w.listing.rearranging = False

    def settle(self, take_ids: list[int]) -> None:
        """After an undo or a redo: the session's counts and queue say what the log now leaves in effect
        (an undone clear brings its keep back), and the listing shows the queue again."""
        session, cat, model = self.session, self.w.listing.catalog, self.w.model
        if session is None or cat is None:
            return
        for take_id in take_ids:
            row = cat.row_of.get(take_id)
            if row is None:
                continue
            pos = int(cat.stage_pos[row])
            verdict = (
                m.VERDICT_KEEP if pos > session.stage
                else m.VERDICT_REJECT if pos == session.stage and cat.rejected[row] else None
            )  # fmt: skip
            in_queue = take_id in session.queue
            session.settle(take_id, verdict)
            with self._rearranging():
                if in_queue and take_id not in session.queue:
                    model.remove_take(take_id)
                elif not in_queue and take_id in session.queue:
                    model.insert_take(take_id, session.queue.index(take_id))
        self.save_timer.start()
        self.update_bar()
        self.w.playback.show_badge(self.w.listing.current_row)

    def stop(self) -> None:
        """Leave the session; it is kept, and ``start`` resumes it where it stopped."""
        w = self.w
        if self.session is None:
            return
        # kept, and its takes back to the pool (resuming claims them again): after the writes before it
        w.ops.write(leave, w.project, w.reviewer, copy.deepcopy(self.session))
        w.survey.leave()
        self.saved_session, self.session = self.session, None
        self.lease_timer.stop()
        w.filter_bar.setEnabled(True)
        w.listing.apply_filter(keep_current=True)
        self.update_bar()

    def close(self) -> None:
        """The window closes: the session is kept and its claims released (reopening claims again)."""
        if self.session is not None:
            self.lease_timer.stop()
            leave(self.w.project, self.w.reviewer, self.session)

    def save(self) -> None:
        """Where the session stands (in the background in team mode, after the decisions before it)."""
        if self.session is not None:
            self.w.ops.write(
                save_session, self.w.project, self.w.reviewer, copy.deepcopy(self.session), latest="session"
            )

    def discard(self) -> None:
        self.saved_session = None
        self.w.ops.write(save_session, self.w.project, self.w.reviewer, None, latest="session")
        self.update_bar()

    def _button(self) -> None:
        if self.session is not None:
            self.stop()
        else:
            self.start()

    def _auto_advance_changed(self, on: bool) -> None:
        self.auto_advance.setChecked(on)  # the box shows the state; it does not keep it
        self.w.settings.setValue("workspace/auto_advance", on)
        if self.session is not None:
            self.session.auto_advance = on

    def update_bar(self) -> None:
        s = self.session
        if s is not None:
            how = f"{self.w.view.session_speed:g}x" + (", once each" if self.w.playback.play_once else "")
            self.label.setText(f"{s.stage_name} session · {s.progress()} · {how}")
            self.button.setText("Leave session")
        elif self.saved_session is not None:
            saved = self.saved_session
            self.label.setText(f"Paused {saved.stage_name} session · {saved.progress()}")
            self.button.setText("Resume session")
        else:
            self.label.setText("Not in a session: Ctrl+Return reviews the current filter take by take")
            self.button.setText("Start session")
