"""Review sessions, undo, and saved filters (smart bins): the Qt-free rules of the triage loop.

A session is a queue frozen from a filter at one stage: the reviewer walks it take by take, rejected
takes leave it, kept ones stay (marked) so the reviewer can look back. Its state (queue, position,
counts, timing) is saved in the project after every move, per reviewer, so leaving and coming back
resumes where it stopped, on this workstation or another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from reviewer.errors import KnownError
from reviewer.review import team, votes
from reviewer.review.catalog import Catalog
from reviewer.review.decisions import Change, undo
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project

IDLE_GAP_S = 120.0  # a pause longer than this does not count as reviewing time
TOP_UP_AT = 10  # a session claims its next batch when fewer undecided takes than this lie ahead


def filter_to_dict(f: queries.TakeFilter) -> dict[str, Any]:
    data = asdict(f)
    return {k: (list(v) if isinstance(v, tuple | list) else v) for k, v in data.items()}


def filter_from_dict(data: dict[str, Any]) -> queries.TakeFilter:
    known = queries.TakeFilter.__dataclass_fields__
    clean: dict[str, Any] = {
        k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known
    }
    return queries.TakeFilter(**clean)


def describe_filter(f: queries.TakeFilter, stages: Sequence[str]) -> str:
    """A filter in words, for bin tooltips and the session bar."""
    parts = []
    if f.stage is not None and 0 <= f.stage < len(stages):
        word = {"pending": "to review", "kept": "kept", "rejected": "rejected"}.get(f.status, "reached")
        parts.append(f"{stages[f.stage]}: {word}")
    if f.shots:
        parts.append("shot " + ", ".join(f.shots))
    if f.min_rating:
        parts.append(f"★ ≥ {f.min_rating}")
    if f.tags:
        parts.append("tagged " + ", ".join(f.tags))
    if f.reviewers:
        parts.append("by " + ", ".join(f.reviewers))
    if f.models:
        parts.append("model " + ", ".join(f.models))
    if f.has_audio is not None:
        parts.append("with sound" if f.has_audio else "silent")
    if f.text.strip():
        parts.append(f"“{f.text.strip()}”")
    if f.broken:
        parts.append("looks broken" if f.broken == "any" else f"looks {f.broken}")
    if f.ai:
        parts.append({"yes": "AI-generated", "no": "not AI-generated"}.get(f.ai, "AI unknown"))
    if f.ids:
        parts.append(f"{len(f.ids)} chosen takes")
    return " · ".join(parts) or "all takes"


@dataclass
class Session:
    """One reviewer's pass over a queue at one stage."""

    stage: int
    stage_name: str
    filter: dict[str, Any]
    queue: list[int]  # take ids still in the queue, in order
    total: int  # how many the queue started with
    position: int = 0
    decided: list[int] = field(default_factory=list)  # takes given a verdict in this session
    kept: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)  # they left the queue
    started: float = field(default_factory=time.time)
    active_s: float = 0.0
    last_action: float = 0.0
    auto_advance: bool = True
    pool: int = 0  # claimed in batches: how many takes the session's filter held in all (0: all claimed)
    team: bool = False  # a shared (PostgreSQL) project: the batch claimed is shown as the reviewer's own
    rejected_at: dict[int, int] = field(default_factory=dict, repr=False)  # where rejected takes stood

    @property
    def current(self) -> int | None:
        return self.queue[self.position] if 0 <= self.position < len(self.queue) else None

    def move(self, delta: int) -> int | None:
        if self.queue:
            self.position = max(0, min(len(self.queue) - 1, self.position + delta))
        return self.current

    def go_to(self, take_id: int) -> None:
        if take_id in self.queue:
            self.position = self.queue.index(take_id)

    def record(self, take_id: int, verdict: str) -> None:
        """A verdict was given to ``take_id`` in this session: count it, drop it from the queue if rejected."""
        now = time.time()
        if self.last_action:
            self.active_s += min(now - self.last_action, IDLE_GAP_S)
        self.last_action = now
        if take_id in self.kept:
            self.kept.remove(take_id)
        if verdict == "clear":
            if take_id in self.decided:
                self.decided.remove(take_id)
            return
        if take_id not in self.decided:
            self.decided.append(take_id)
        if verdict == "keep":
            self.kept.append(take_id)
        elif verdict == "reject" and take_id in self.queue:
            index = self.queue.index(take_id)
            self.rejected_at[take_id] = index
            self.queue.pop(index)
            self.rejected.append(take_id)
            if index < self.position or self.position >= len(self.queue):
                self.position = max(0, min(self.position - (index < self.position), len(self.queue) - 1))

    def restore(self, take_id: int, index: int) -> None:
        """Put a take back at ``index`` (its reject was undone)."""
        if take_id not in self.queue:
            self.queue.insert(min(index, len(self.queue)), take_id)
            if index <= self.position and len(self.queue) > 1:
                self.position += 1
        if take_id in self.rejected:
            self.rejected.remove(take_id)
        if take_id in self.decided:
            self.decided.remove(take_id)

    def takes_per_hour(self) -> float:
        hours = (self.active_s + (30.0 if self.decided else 0.0)) / 3600
        return len(self.decided) / hours if hours > 0 else 0.0

    def verdict(self, take_id: int) -> str | None:
        """The verdict this session gave ``take_id`` (None: none yet)."""
        if take_id in self.kept:
            return m.VERDICT_KEEP
        if take_id in self.rejected:
            return m.VERDICT_REJECT
        return None

    def settle(self, take_id: int, verdict: str | None) -> None:
        """Make the session's counts say what the project now says of ``take_id`` (after an undo or a
        redo: the verdict the log leaves in effect, which need not be the one undone)."""
        index = self.rejected_at.get(take_id, len(self.queue))
        if verdict == m.VERDICT_REJECT:
            self.record(take_id, m.VERDICT_REJECT)
            return
        if take_id in self.rejected:
            self.restore(take_id, index)
        self.record(take_id, verdict if verdict is not None else m.VERDICT_CLEAR)

    def progress(self) -> str:
        """“312 of 4,870 · 41 kept · 620 takes/h”; in team mode “batch: 50 of your 312 · …”."""
        if self.pool and self.team:
            text = f"batch: {len(self.decided):,} of your {self.total:,} (of {self.pool:,})"
        else:  # alone, the batches are a detail: the whole queue counts
            text = f"{len(self.decided):,} of {max(self.total, self.pool):,}"
        text += f" · {len(self.kept):,} kept"
        rate = self.takes_per_hour()
        if len(self.decided) >= 3 and rate:
            text += f" · {rate:,.0f} takes/h"
        return text

    def state(self) -> dict[str, Any]:
        """Everything but the queue (saved once, at the start): small enough to save after every key."""
        return {
            "stage": self.stage, "stage_name": self.stage_name, "filter": self.filter, "total": self.total,
            "current": self.current, "decided": self.decided, "kept": self.kept, "rejected": self.rejected,
            "started": self.started, "active_s": self.active_s, "last_action": self.last_action,
            "auto_advance": self.auto_advance, "pool": self.pool, "team": self.team,
        }  # fmt: skip

    @classmethod
    def from_saved(cls, state: dict[str, Any], original: list[int]) -> Session:
        gone = set(state.get("rejected", []))
        queue = [t for t in original if t not in gone]
        session = cls(
            stage=int(state["stage"]), stage_name=str(state["stage_name"]), filter=dict(state["filter"]),
            queue=queue, total=int(state["total"]), decided=list(state.get("decided", [])),
            kept=list(state.get("kept", [])), rejected=list(state.get("rejected", [])),
            started=float(state.get("started", time.time())), active_s=float(state.get("active_s", 0.0)),
            last_action=float(state.get("last_action", 0.0)), auto_advance=bool(state.get("auto_advance", True)),
            pool=int(state.get("pool", 0)), team=bool(state.get("team", False)),
        )  # fmt: skip
        current = state.get("current")
        if isinstance(current, int):
            session.go_to(current)
        return session


def claim(
    project: Project,
    reviewer: str,
    catalog: Catalog,
    stage: int,
    wanted: Sequence[int],
    count: int | None = None,
) -> list[int]:
    """The takes a session may review: claimed, so that nobody else triages them at this stage while it
    holds them (``team.claim``: a batch, or ``count``); at a voted stage all of them that wait there,
    unclaimed, since every reviewer votes on the same shortlist."""
    if stage in votes.rules(project).voting:
        waiting = [
            t for t in wanted
            if t in catalog.row_of and catalog.stage_pos[catalog.row_of[t]] == stage
            and not catalog.rejected[catalog.row_of[t]]
        ]  # fmt: skip
        return waiting if count is None else waiting[:count]
    return team.claim(project, reviewer, stage, list(wanted), count=count)


def top_up(project: Project, reviewer: str, catalog: Catalog, session: Session, need: int = 0) -> list[int]:
    """Near the end of what the session holds (``TOP_UP_AT`` undecided takes ahead or fewer, or fewer
    than ``need``: a survey page to fill), claim the next batch of its filter (at least enough for
    ``need``) and add it to the queue; the takes added (none: nothing to do or left)."""
    wanted = top_up_wanted(catalog, session, need)
    if wanted is None:
        return []
    return add_claimed(session, claim(project, reviewer, catalog, session.stage, *wanted))


def top_up_wanted(catalog: Catalog, session: Session, need: int = 0) -> tuple[list[int], int | None] | None:
    """What ``top_up`` would claim (the takes of the session's filter it has not seen, and how many: None
    for a batch), or None when there is nothing to do; so that the claim may run elsewhere."""
    ahead = [t for t in session.queue[session.position :] if t not in session.decided]
    if len(ahead) > max(TOP_UP_AT, need - 1):
        return None
    known = set(session.queue) | set(session.decided)
    rows = catalog.select(filter_from_dict(session.filter))
    wanted = [int(t) for t in catalog.ids[rows] if int(t) not in known]
    count = need - len(ahead) if need - len(ahead) > team.BATCH else None  # None: a batch
    return (wanted, count) if wanted else None


def add_claimed(session: Session, claimed: Sequence[int]) -> list[int]:
    """The takes claimed join the end of the queue (any it holds already are not added twice)."""
    known = set(session.queue) | set(session.decided)
    more = [t for t in claimed if t not in known]
    session.queue.extend(more)
    session.total += len(more)
    return more


def resume(project: Project, reviewer: str, catalog: Catalog, saved: Session) -> list[int]:
    """Take up a saved session again: claim its undecided takes; the ones gone meanwhile (decided or
    claimed by others) leave its queue and are returned."""
    undecided = [t for t in saved.queue if t not in saved.decided]
    mine = set(claim(project, reviewer, catalog, saved.stage, undecided, count=len(undecided)))
    gone = [t for t in undecided if t not in mine]
    current = saved.current
    saved.queue = [t for t in saved.queue if t not in gone]
    if current is not None and current in saved.queue:
        saved.go_to(current)
    else:
        saved.position = min(saved.position, max(0, len(saved.queue) - 1))
    return gone


def session_key(reviewer: str) -> str:
    return f"session:{reviewer}"


def queue_key(reviewer: str) -> str:
    return f"session-queue:{reviewer}"


def save_session(project: Project, reviewer: str, session: Session | None, with_queue: bool = False) -> None:
    """Save where the session stands; ``with_queue`` also saves its queue (at the start of a session)."""
    if session is None:
        project.set_setting(session_key(reviewer), None)
        project.set_setting(queue_key(reviewer), None)
        return
    if with_queue:
        original = list(session.queue)
        for take_id in session.rejected:  # the queue as it started: rejected takes are derived from it
            if take_id not in original:
                original.append(take_id)
        project.set_setting(queue_key(reviewer), original)
    project.set_setting(session_key(reviewer), session.state())


def load_session(project: Project, reviewer: str) -> Session | None:
    state = project.setting(session_key(reviewer))
    original = project.setting(queue_key(reviewer))
    if not isinstance(state, dict) or not isinstance(original, list):
        return None
    try:
        return Session.from_saved(state, [int(t) for t in original])
    except (KeyError, TypeError, ValueError):
        return None  # written by a different version: start afresh rather than fail


@dataclass
class UndoEntry:
    label: str
    event_ids: list[int]
    take_ids: list[int]
    verdict: str | None = None
    # a survey's page rule: the page it turned (cells, and the stacks among them), shown again on undo
    page: tuple[list[int], dict[int, list[int]]] | None = None


class UndoStack:
    """Ctrl+Z / Ctrl+Shift+Z over the event log: undo appends undo events, redo undoes those."""

    def __init__(self, project: Project, reviewer: Callable[[], str]) -> None:
        self.project = project
        self.reviewer = reviewer
        self.done: list[UndoEntry] = []
        self.undone: list[UndoEntry] = []

    def push(self, entry: UndoEntry) -> None:
        if entry.event_ids:
            self.done.append(entry)
            self.undone.clear()

    def undo(self) -> tuple[UndoEntry, Change]:
        if not self.done:
            raise KnownError("Nothing to undo")
        entry = self.done.pop()
        change = undo(self.project, entry.event_ids, self.reviewer())
        self.undone.append(replace(entry, event_ids=change.event_ids))
        return entry, change

    def redo(self) -> tuple[UndoEntry, Change]:
        if not self.undone:
            raise KnownError("Nothing to redo")
        entry = self.undone.pop()
        change = undo(self.project, entry.event_ids, self.reviewer())  # undoing the undo redoes
        self.done.append(replace(entry, event_ids=change.event_ids))
        return entry, change


BINS_KEY = "bins"


def load_bins(project: Project) -> dict[str, dict[str, Any]]:
    data = project.setting(BINS_KEY) or {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def save_bin(project: Project, name: str, f: queries.TakeFilter) -> None:
    name = " ".join(name.split())
    if not name:
        raise KnownError("A bin needs a name")
    bins = load_bins(project)
    bins[name] = filter_to_dict(f)
    project.set_setting(BINS_KEY, bins)


def delete_bin(project: Project, name: str) -> None:
    bins = load_bins(project)
    bins.pop(name, None)
    project.set_setting(BINS_KEY, bins)
