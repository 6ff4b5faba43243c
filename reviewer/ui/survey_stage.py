"""The survey on the workspace's stage: the controller between the session, the page rule and the grid.

It builds the page from the window's review session (``reviewer.review.survey``), shows it in the
``SurveyView``, routes the decision keys to the cursor cell (through the window's one decision path, so
undo, claims, live updates and counts work as in the single-take session), and on Enter applies the
page rule as one undo entry and turns the page. The page size and the page rule are remembered.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer

from reviewer.review import stacks, survey
from reviewer.review.decisions import Change
from reviewer.review.session import Session, UndoEntry, save_session
from reviewer.store import models as m
from reviewer.store.db import Project
from reviewer.ui.survey import SurveyView

SIZE_KEY = "survey/size"
PREFETCH_AFTER_MS = 300


def rule_change(
    project: Project,
    page: survey.Page,
    rule: str,
    verdicts: dict[int, str | None],
    stage_name: str,
    reviewer: str,
) -> Change:
    """(a write) The page rule applied; an empty change when it decided nothing."""
    return survey.apply_page_rule(project, page, rule, verdicts, stage_name, reviewer) or Change()


class SurveyStage(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.w = window  # the ProjectWindow (not imported: it imports this)
        self.view = SurveyView()
        try:
            size = int(str(QSettings().value(SIZE_KEY, survey.DEFAULT_SIZE)))
        except (TypeError, ValueError):
            size = survey.DEFAULT_SIZE
        self.view.size_ = size if size in survey.SIZES else survey.DEFAULT_SIZE
        self.page: survey.Page | None = None
        self._saved_rules: dict[str, str] | None = None  # team mode: the project's page rules, as read
        self._reading_rules = False
        self._when_rules: list[Callable[[], None]] = []
        self.view.cursor_changed.connect(self._cursor_changed)
        self.view.opened.connect(self._opened)

    # --- entering and leaving ---------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.w.view.stage == "survey"

    def toggle(self) -> None:
        """The survey key: survey the session's queue a page at a time (a session starts if none is on);
        again: back to the single-take player, on the cursor's take."""
        w = self.w
        if self.active:
            current = self.view.current()
            self.leave()
            if current is not None and w.triage.session is not None:
                w.triage.session.go_to(current.take_id)
                w.triage.select_current()
            return
        if w.triage.session is None:
            w.triage.start(then=self._enter)  # team mode: the survey opens once the session's claims are back
        else:
            self._enter()

    def _enter(self) -> None:
        w = self.w
        if w.triage.session is None or self.active:
            return
        w.view.stage = "survey"
        w.stage.area.show()
        w.browser.hide()  # the page gets the window; G brings the browser back beside it
        self.show_page()

    def leave(self) -> None:
        self.view.close_all()
        self.page = None
        if self.active:
            self.w.view.stage = "player"

    # --- the page ---------------------------------------------------------------------------

    def _stack_of(self, session: Session) -> dict[int, list[int]]:
        w, cat = self.w, self.w.listing.catalog
        if not w.view.fold_stacks or w.listing.stacks is None or cat is None:
            return {}
        folded = stacks.fold(cat, w.listing.stacks, cat.rows_of(session.queue))
        found: dict[int, list[int]] = {}
        for rep_row, rows in folded.members.items():
            members = [int(cat.ids[r]) for r in rows]
            rep = int(cat.ids[rep_row])
            members = [rep, *[t for t in members if t != rep]]
            for t in members:
                found[t] = members
        return found

    def _build(self, session: Session) -> survey.Page:
        groups = self._stack_of(session)
        return survey.build_page(session, self.view.size_, lambda t: groups.get(t, [t]))

    def show_page(self, page: survey.Page | None = None, cursor: int = 0) -> None:
        """Show ``page`` (default: the next one from where the session stands), every cell playing."""
        w, session = self.w, self.w.triage.session
        if session is None:
            return
        if page is None:
            w.triage.top_up_claims(need=self.view.size_)  # a page is filled even when a batch is smaller
        self.page = shown = page or self._build(session)
        w.listing.read_rows(
            shown.cells,
            lambda rows: self._show(shown, session, cursor, rows) if self.page is shown else None,
            key="survey-page",
        )

    def _show(
        self, shown: survey.Page, session: Session, cursor: int, rows: dict[int, dict[str, Any]]
    ) -> None:
        w = self.w
        takes = [rows[c] for c in shown.cells if c in rows]
        self.view.speed = w.view.session_speed
        self.view.only_proxies = w.player.prefer_proxy  # slow storage: never the originals (Ctrl+Alt+P)
        self.view.show_page(takes, {c: len(shown.takes(c)) for c in shown.members}, cursor)
        for take in takes:
            self.view.set_verdict(int(take["id"]), session.verdict(int(take["id"])), take.get("rating"))
        # The next page opens a moment later, once this one plays: sixteen files opened at the page turn
        # would hold up its first frames.
        QTimer.singleShot(
            PREFETCH_AFTER_MS, lambda: self._prefetch_next(session) if self.page is shown else None
        )
        self.update_header()
        if not takes:
            w.status_label.setText("The queue is empty: every take of this session has a verdict")

    def _prefetch_next(self, session: Session) -> None:
        if self.page is None or not self.active:
            return
        ahead = dataclasses.replace(session, queue=list(session.queue), decided=list(session.decided))
        survey.turn_page(ahead, self.page)
        upcoming = self._build(ahead).cells
        if upcoming:
            self.w.listing.read_rows(upcoming, self._prefetched, key="survey-prefetch")

    def _prefetched(self, rows: dict[int, dict[str, Any]]) -> None:
        if self.page is not None and self.active:
            self.view.prefetch(list(rows.values()))

    def rule(self) -> str:
        """The session's stage's page rule. Team mode: the project's rules are read once in the background
        (the header shows the stage's default until they are in; see ``rules_known``)."""
        w, session = self.w, self.w.triage.session
        assert session is not None
        if not w.ops.remote:
            return survey.page_rule(w.project, session.stage_name, session.stage)
        if self._saved_rules is None:
            self.rules_known(None)
            return survey.default_rule(session.stage)
        return self._saved_rules.get(session.stage_name, survey.default_rule(session.stage))

    def rules_known(self, then: Callable[[], None] | None) -> bool:
        """Whether the page rules are known (always, locally); if not, they are being read and ``then``
        runs once they are in (Enter before they are: the page turns a moment later, by the right rule)."""
        if not self.w.ops.remote or self._saved_rules is not None:
            return True
        if then is not None and then not in self._when_rules:  # Enter twice meanwhile turns one page
            self._when_rules.append(then)
        if not self._reading_rules:
            self._reading_rules = True
            self.w.tasks.run(survey.page_rules, self.w.project, done=self._rules_read, key="page-rules")
        return False

    def _rules_read(self, rules: dict[str, str]) -> None:
        self._reading_rules = False
        self._saved_rules = rules
        self.update_header()
        waiting, self._when_rules = self._when_rules, []
        for then in waiting:
            then()

    def cycle_rule(self) -> None:
        """The page rule of the session's stage, in turn reject, keep, leave (kept in the project)."""
        session = self.w.triage.session
        if session is None:
            self.w.status_label.setText(
                "The page rule is set per stage in a session (or: reviewer survey PROJECT --stage S --rule R)"
            )
            return
        rules = survey.RULES
        if not self.rules_known(self.cycle_rule):
            return
        rule = rules[(rules.index(self.rule()) + 1) % len(rules)]

        def kept(_result: None) -> None:
            if self._saved_rules is not None:
                self._saved_rules[session.stage_name] = rule
            self.w.status_label.setText(f"Page rule at {session.stage_name}: {rule} the unmarked")
            self.update_header()

        self.w.ops.write(survey.set_page_rule, self.w.project, session.stage_name, rule, done=kept)

    def update_header(self) -> None:
        session, page = self.w.triage.session, self.page
        if session is None or page is None:
            return
        cols = survey.columns(self.view.size_)
        left = survey.unmarked(page, {c: session.verdict(c) for c in page.cells})
        self.view.set_header(
            f"Survey {cols}×{cols} · {session.stage_name} · {session.progress()}   —   "
            f"{survey.describe_rule(self.rule(), len(left))}   (Ctrl+Z undoes the page)"
        )

    def resize(self, delta: int) -> None:
        """``survey.bigger`` (fewer, bigger cells) and ``survey.smaller`` (more, smaller ones)."""
        sizes = survey.SIZES
        index = sizes.index(self.view.size_) + (-1 if delta > 0 else 1)
        if not 0 <= index < len(sizes) or self.w.triage.session is None:
            return
        self.view.size_ = sizes[index]
        QSettings().setValue(SIZE_KEY, self.view.size_)
        self.view.close_all()
        self.show_page()

    # --- decisions --------------------------------------------------------------------------

    def targets(self) -> list[int]:
        cell = self.view.current()
        if cell is None or self.page is None:
            return []
        return self.page.takes(cell.take_id)

    def recorded(self, take_ids: list[int]) -> None:
        """A decision was recorded on these takes: the cells show it at once."""
        session = self.w.triage.session
        if session is None or self.page is None:
            return
        cat = self.w.listing.catalog
        for cell in self.page.cells:
            if cell in take_ids or any(t in take_ids for t in self.page.takes(cell)):
                rating = None
                if cat is not None and cell in cat.row_of:
                    r = int(cat.rating[cat.row_of[cell]])
                    rating = r if r >= 0 else None
                self.view.set_verdict(cell, session.verdict(cell), rating)
        self.update_header()

    def next_page(self) -> None:
        """Enter: the page rule for every unmarked cell, then the next page. One undo entry for the rule."""
        w, session, page = self.w, self.w.triage.session, self.page
        if not self.active or session is None or page is None:
            return
        if not self.rules_known(self.next_page):
            return
        rule = self.rule()
        verdicts = {c: session.verdict(c) for c in page.cells}
        left = survey.unmarked(page, verdicts)
        ids = survey.page_rule_takes(page, rule, verdicts)
        if ids:
            verdict = m.VERDICT_REJECT if rule == "reject" else m.VERDICT_KEEP
            label = f"Page rule: {'rejected' if rule == 'reject' else 'kept'} {len(left)} unmarked"
            if w.ops.remote:  # the page turns now; the write follows, in order
                self._recorded(session, ids, verdict)
            change = w.ops.run(label, rule_change, w.project, page, rule, verdicts, session.stage_name,
                               w.reviewer, verdict=verdict, page=(page.cells, page.members), said=label,
                               failed=lambda _exc: w.triage.settle(ids))  # fmt: skip
            if change is None and not w.ops.remote:
                return  # refused (the status line says why): the page stays
            if change is not None:
                self._recorded(session, sorted(change.take_ids), verdict)
        self.turn(session, page)

    def _recorded(self, session: Session, ids: list[int], verdict: str) -> None:
        w = self.w
        w.listing.rearranging = True
        try:
            for take_id in ids:
                session.record(take_id, verdict)
                if verdict == m.VERDICT_REJECT:
                    w.model.remove_take(take_id)
        finally:
            w.listing.rearranging = False

    def turn(self, session: Session, page: survey.Page) -> None:
        survey.turn_page(session, page)
        self.w.ops.write(
            save_session, self.w.project, self.w.reviewer, copy.deepcopy(session), latest="session"
        )
        self.show_page()
        self.w.triage.update_bar()

    def undone(self, entry: UndoEntry) -> None:
        """Ctrl+Z of a page rule: the page it turned comes back, as it was."""
        session = self.w.triage.session
        if not self.active or session is None or entry.page is None:
            return
        cells, members = entry.page
        page = survey.Page(list(cells), {int(k): list(v) for k, v in members.items()})
        present = [t for t in page.all_takes() if t in session.queue]
        if present:
            session.position = min(session.queue.index(t) for t in present)
        self.w.ops.write(
            save_session, self.w.project, self.w.reviewer, copy.deepcopy(session), latest="session"
        )
        self.view.close_all()
        self.show_page(page)

    def redone(self, entry: UndoEntry) -> None:
        """Redo of a page rule: the page turns again."""
        session = self.w.triage.session
        if self.active and session is not None and entry.page is not None and self.page is not None:
            self.turn(session, self.page)

    def _cursor_changed(self, take_id: int) -> None:
        self.w.listing.show_take(take_id)

    def _opened(self, take_id: int) -> None:
        self.toggle()  # back to the player, on this take
        if self.w.triage.session is not None:
            self.w.triage.session.go_to(take_id)
            self.w.triage.select_current()
