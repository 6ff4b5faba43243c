"""The decisions' controller: verdicts, votes, stars, tags, notes, moves to a shot, undo and redo.

A decision goes through the window's ``Ops``: on a local project in one short transaction on the GUI
thread (a few milliseconds, on disk when the key press returns; over more than ``BULK_IN_WORKER`` takes
in the writer), in team mode in the writer while the session moves on at once. It is pushed on the undo
stack and told on the change bus (``Ops.changed``), which every view listens to. In a session the
session hears of it too (counts, the queue, auto-advance); in the survey the cell shows its verdict.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

from reviewer.review import votes
from reviewer.review.decisions import Change, Decision, decide, decide_in, move_to_shot
from reviewer.review.session import UndoEntry
from reviewer.store import models as m
from reviewer.store.db import Project
from reviewer.ui.text import ask

BULK_IN_WORKER = 200  # bulk decisions over more takes than this run in a worker
CONFIRM_OVER = 20  # a verdict for more takes than this at once asks first
WORDS = {m.VERDICT_KEEP: "Kept", m.VERDICT_REJECT: "Rejected", m.VERDICT_CLEAR: "Cleared"}


def toggle_reveal(project: Project, stage: int, lead: str) -> votes.Rules:
    """(a write) Show the votes at ``stage`` to everyone, or hide them again; the rules as they are now."""
    votes.reveal(project, stage, lead, show=not votes.rules(project).is_revealed(stage))
    return votes.rules(project)


def taken(label: str, n: int) -> str:
    return f"{label}: {n:,} take{'s' if n != 1 else ''}" if n else label


class Deciding:
    def __init__(self, window: Any) -> None:
        self.w = window
        self._rules: votes.Rules | None = None  # team mode: read in the background, kept

    def rules(self) -> votes.Rules:
        """Who votes at which stage: read each time locally; in team mode as last read (at open, with
        each poll of others' changes, after a reveal), read now only if never read."""
        if not self.w.ops.remote or self._rules is None:
            self._rules = votes.rules(self.w.project)
        return self._rules

    def read_rules(self) -> None:
        if self.w.ops.remote:
            self.w.tasks.run(votes.rules, self.w.project, done=self._rules_read, key="team-rules")

    def _rules_read(self, rules: votes.Rules) -> None:
        self._rules = rules

    def say(self, text: str) -> None:
        self.w.status_label.setText(text)

    def record(self, decision: Decision, label: str) -> Change | None:
        """Record a decision for the target takes; the change, or None if nothing was done yet (refused,
        or written in the background: in bulk, or in team mode where the session moves on at once)."""
        w = self.w
        ids = w.listing.targets()
        if not ids:
            return None
        session = w.triage.session
        if session is not None and decision.verdict is not None:
            decision = dataclasses.replace(decision, stage=session.stage_name)
        if decision.verdict is not None and len(ids) > CONFIRM_OVER and not self._confirm(label, len(ids)):
            return None
        args = (decide, w.project, ids, decision, w.reviewer)
        if w.ops.remote:  # the server may be far: the session goes on now, the write follows in order
            self._moved_on(ids, decision, label)
            w.ops.run(label, *args, verdict=decision.verdict, failed=lambda _exc: self._lost(ids),
                      batch=partial(decide_in, take_ids=ids, decision=decision, reviewer=w.reviewer))  # fmt: skip
            return None
        bulk = len(ids) > BULK_IN_WORKER  # locally: a long write in the writer, the window goes on
        if bulk:
            self.say(f"{label}: {len(ids):,} takes…")
        return w.ops.run(label, *args, verdict=decision.verdict, background=bulk,
                         then=lambda change: self._moved_on(sorted(change.take_ids), decision, label))  # fmt: skip

    def _confirm(self, label: str, count: int) -> bool:
        verb = {"Kept": "Keep", "Rejected": "Reject", "Cleared": "Clear the verdict of"}.get(label, label)
        return ask(self.w, "Take Reviewer", f"{verb} {count:,} takes? Ctrl+Z undoes it.")

    def _moved_on(self, ids: list[int], decision: Decision, label: str) -> None:
        """What a decision does on screen: the session counts it (rejects leave the queue), the survey's
        cell shows it, auto-advance goes to the next take."""
        w = self.w
        advance = w.triage.recorded(ids, decision.verdict)
        self.say(taken(label, len(ids)))
        if w.survey.active:  # the cell shows its verdict and stays until the page is done
            w.survey.recorded(ids)
        elif advance and decision.verdict == m.VERDICT_KEEP:
            w.listing.go_to_take(+1)
        elif w.triage.session is not None and decision.verdict == m.VERDICT_REJECT:
            w.triage.select_current()

    def _lost(self, ids: list[int]) -> None:
        """Team mode: the server refused or could not be reached; the session shows what is recorded
        (a rejected take comes back to the queue). The status line says why."""
        self.w.triage.settle(ids)
        if self.w.survey.active:
            self.w.survey.recorded(ids)

    # --- the commands ------------------------------------------------------------------------------

    def give_verdict(self, verdict: str) -> None:
        if verdict != m.VERDICT_CLEAR and self._votes_here():
            self._vote(verdict)
            return
        self.record(Decision(verdict=verdict), WORDS[verdict])

    def _votes_here(self) -> bool:
        """Whether this reviewer votes rather than decides on the target takes (a voted stage, not a lead)."""
        cat = self.w.listing.catalog
        ids = self.w.listing.targets()
        if cat is None or not ids:
            return False
        team_rules = self.rules()
        stages = {int(cat.stage_pos[cat.row_of[t]]) for t in ids if t in cat.row_of}
        return any(team_rules.votes_at(s, self.w.reviewer) for s in stages)

    def _vote(self, verdict: str) -> None:
        w = self.w
        ids = w.listing.targets()

        def advance(_change: Change | None = None) -> None:
            if w.view.auto_advance and len(ids) == 1:
                w.listing.go_to_take(+1)

        def said(change: Change) -> str:
            n = len(change.take_ids)
            return (
                f"Voted {verdict} on {n} take{'s' if n != 1 else ''} (hidden from the others until a lead "
                "reveals the votes; a lead's verdict settles the stage)"
            )

        if w.ops.remote:  # the session goes on now, as for a verdict
            advance()
        w.ops.run(f"Voted {verdict}", votes.cast, w.project, ids, verdict, w.reviewer, said=said,
                  then=None if w.ops.remote else advance)  # fmt: skip

    def reveal_votes(self) -> None:
        """Ctrl+Shift+V: show everyone's votes at the current take's stage (leads only)."""
        w = self.w
        cat, current = w.listing.catalog, w.listing.current_id
        if cat is None or current is None or current not in cat.row_of:
            return
        stage = int(cat.stage_pos[cat.row_of[current]])
        if stage not in self.rules().voting:
            self.say("The team does not vote at this stage (`reviewer team --voting`)")
            return

        def revealed(rules: votes.Rules) -> None:
            self._rules = rules
            self.say(
                f"Votes at {cat.stages[stage]} {'revealed' if rules.is_revealed(stage) else 'hidden again'}"
            )
            w.listing.refresh_current()

        w.ops.write(toggle_reveal, w.project, stage, w.reviewer, done=revealed)

    def rate(self, rating: int) -> None:
        self.record(Decision(rating=rating), f"Rated {rating}")

    def toggle_tag(self, tag: str) -> None:
        """Tag the targets; if every one already has it, untag them."""
        cat = self.w.listing.catalog
        ids = self.w.listing.targets()
        if not ids or cat is None:
            return
        self.set_tag(tag, not all(tag in cat.tags[cat.row_of[t]] for t in ids if t in cat.row_of))

    def set_tag(self, tag: str, on: bool) -> None:
        if on:
            self.record(Decision(tags_added=(tag,)), f"Tagged {tag}")
        else:
            self.record(Decision(tags_removed=(tag,)), f"Untagged {tag}")

    def tag_added(self, tag: str) -> None:
        """A tag typed in the Take panel: on the targets, and the keys go back to the takes."""
        self.set_tag(tag, True)
        self.w.focus_browser()

    def add_note(self, text: str) -> None:
        """A note on the current take at the playhead, or over the in-out range when one is set."""
        w = self.w
        tl = w.player.timeline
        cell = w.survey.view.current() if w.survey.active else None
        if cell is not None:  # in the survey: at the frame the cursor's cell shows
            first = last = cell.engine.status.frame
        elif tl.in_point is not None or tl.out_point is not None:
            first = tl.in_point or 0
            last = tl.out_point if tl.out_point is not None else max(0, tl.frames - 1)
        else:
            first = last = w.player.position()
        take_id = w.listing.current_id
        if take_id is None:
            return
        decision = Decision(note=text, frame_in=first, frame_out=last)
        w.ops.run("Note", decide, w.project, take_id, decision, w.reviewer,
                  said=f"Note at frame {first}" + (f"–{last}" if last != first else ""))  # fmt: skip
        w.focus_browser()

    def move_to_shot(self, code: str) -> None:
        self.move_takes(self.w.listing.targets(), code)

    def move_takes(self, ids: list[int], code: str) -> None:
        w = self.w
        if not ids:
            return

        def moved(change: Change) -> None:
            w.panel.set_vocabulary(w.listing.defects, w.listing.tags, w.listing.shot_codes())
            w.listing.refresh_choices()
            self.say(f"Moved {len(change.take_ids)} take(s) to {code}")

        w.ops.run(f"Moved to {code}", move_to_shot, w.project, ids, code, w.reviewer, then=moved)
        w.focus_browser()

    # --- undo and redo -----------------------------------------------------------------------------

    def undo(self) -> None:
        self.w.ops.step(True, partial(self._stepped, "Undid"))

    def redo(self) -> None:
        self.w.ops.step(False, partial(self._stepped, "Redid"))

    def _stepped(self, word: str, entry: UndoEntry, _change: Change) -> None:
        """After an undo or a redo (the catalogue holds what is now in effect): the session, the survey's
        page, the listing's current take."""
        w = self.w
        if entry.verdict is not None:
            w.triage.settle(entry.take_ids)
        if w.survey.active:
            if entry.page is not None:
                (w.survey.undone if word == "Undid" else w.survey.redone)(entry)
            else:
                w.survey.recorded(entry.take_ids)
        elif entry.take_ids and word == "Undid":
            w.listing.select(entry.take_ids[0])
        self.say(f"{word}: {entry.label}")
