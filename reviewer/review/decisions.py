"""Decisions: append an event, derive the take's state from its events, undo and redo.

The event log is the truth. A take's state is the fold of its events in effect (an event is in effect
unless an undo in effect points at it, so undoing an undo redoes). Walking the stages in order, a
keep at a stage moves the take on to the next, a reject drops it there, and no verdict leaves it
waiting there. Each decision is one transaction: the event and the recomputed state commit together,
and with SQLite ``synchronous=FULL`` they are on disk when ``decide`` returns.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.store import models as m
from reviewer.store.db import Project


def default_reviewer() -> str:
    """The reviewer's name: ``$TAKE_REVIEWER_USER``, else the operating system's user."""
    name = os.environ.get("TAKE_REVIEWER_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def workstation() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class Decision:
    """What a reviewer says about one take; fields left None say nothing."""

    verdict: str | None = None
    stage: str | None = None  # the stage's name; None: the stage the take stands at
    rating: int | None = None
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    note: str | None = None
    frame_in: int | None = None
    frame_out: int | None = None

    def validate(self) -> None:
        if self.verdict is not None and self.verdict not in m.VERDICTS:
            raise KnownError(f"Unknown verdict {self.verdict!r}: use keep, reject or clear")
        if self.rating is not None and not 0 <= self.rating <= 5:
            raise KnownError(f"A rating is 0 to 5, not {self.rating}")
        if self.frame_in is not None and self.frame_out is not None and self.frame_out < self.frame_in:
            raise KnownError("A note's range ends before it starts")
        if self.is_empty():
            raise KnownError("Nothing to decide: give a verdict, a rating, a tag or a note")

    def is_empty(self) -> bool:
        return (
            self.verdict is None
            and self.rating is None
            and not self.tags_added
            and not self.tags_removed
            and not self.note
        )


@dataclass
class Change:
    """What a mutation changed, so that views can decide whether to refresh (one per operation)."""

    take_ids: set[int] = field(default_factory=set)
    event_ids: list[int] = field(default_factory=list)
    funnel: bool = False  # stage counts may have moved
    tags: bool = False


def reviewer_id(session: Session, name: str) -> int:
    found = session.scalar(select(m.Reviewer.id).where(m.Reviewer.name == name))
    if found is not None:
        return found
    reviewer = m.Reviewer(name=name)
    session.add(reviewer)
    session.flush()
    return reviewer.id


def stages(session: Session) -> list[m.Stage]:
    return list(session.scalars(select(m.Stage).order_by(m.Stage.position)))


def _stage_by_name(all_stages: Sequence[m.Stage], name: str) -> m.Stage:
    for stage in all_stages:
        if stage.name.lower() == name.lower():
            return stage
    known = ", ".join(s.name for s in all_stages)
    raise KnownError(f"No stage called {name!r} in this project (stages: {known})")


def _tag_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    found = {t.name: t.id for t in session.scalars(select(m.Tag).where(m.Tag.name.in_(wanted)))}
    for name in wanted - found.keys():
        tag = m.Tag(name=name, kind="free")
        session.add(tag)
        session.flush()
        found[name] = tag.id
    return found


def clean_tag(name: str) -> str:
    return " ".join(name.split())[:200]


def effective_events(events: Sequence[m.Event]) -> list[m.Event]:
    """The events in effect, in log order: undo events toggle the event they point at."""
    in_effect: dict[int, bool] = {}
    undoers: dict[int, list[int]] = {}
    for e in events:
        if e.undoes_id is not None:
            undoers.setdefault(e.undoes_id, []).append(e.id)
    for e in sorted(events, key=lambda ev: ev.id, reverse=True):
        in_effect[e.id] = not any(in_effect.get(u, False) for u in undoers.get(e.id, ()))
    return [e for e in events if e.undoes_id is None and in_effect[e.id]]


@dataclass(frozen=True)
class Note:
    text: str
    frame_in: int | None
    frame_out: int | None
    reviewer: str


def notes_of(session: Session, take_id: int) -> list[Note]:
    """The notes on a take that are in effect (not undone), oldest first."""
    events = list(session.scalars(select(m.Event).where(m.Event.take_id == take_id).order_by(m.Event.id)))
    return [
        Note(e.note, e.frame_in, e.frame_out, e.reviewer.name) for e in effective_events(events) if e.note
    ]


def recompute_state(session: Session, take_id: int, all_stages: Sequence[m.Stage]) -> m.TakeState:
    """Rebuild the take's cached state and tags from its events."""
    events = list(session.scalars(select(m.Event).where(m.Event.take_id == take_id).order_by(m.Event.id)))
    live = effective_events(events)
    verdicts: dict[int, str] = {}
    rating: int | None = None
    tags: set[str] = set()
    notes = 0
    for e in live:
        if e.verdict is not None and e.stage_id is not None:
            if e.verdict == m.VERDICT_CLEAR:
                verdicts.pop(e.stage_id, None)
            else:
                verdicts[e.stage_id] = e.verdict
        if e.rating is not None:
            rating = e.rating
        tags.update(e.tags_added or ())
        tags.difference_update(e.tags_removed or ())
        if e.note:
            notes += 1
    position, rejected = 0, False
    for stage in all_stages:
        verdict = verdicts.get(stage.id)
        if verdict == m.VERDICT_KEEP:
            position = stage.position + 1
            continue
        position = stage.position
        rejected = verdict == m.VERDICT_REJECT
        break
    state = session.get(m.TakeState, take_id)
    if state is None:
        state = m.TakeState(take_id=take_id)
        session.add(state)
    state.stage_pos, state.rejected, state.rating, state.note_count = position, rejected, rating, notes
    last = live[-1] if live else None
    state.last_event_id = last.id if last else None
    state.last_reviewer_id = last.reviewer_id if last else None
    state.decided_at = last.at if last else None
    session.execute(delete(m.TakeTag).where(m.TakeTag.take_id == take_id))
    for tag_id in _tag_ids(session, tags).values():
        session.add(m.TakeTag(take_id=take_id, tag_id=tag_id))
    return state


def _record(
    session: Session,
    take_ids: Sequence[int],
    decision: Decision,
    reviewer: str,
) -> Change:
    decision.validate()
    all_stages = stages(session)
    who = reviewer_id(session, reviewer)
    host = workstation()
    change = Change(
        funnel=decision.verdict is not None, tags=bool(decision.tags_added or decision.tags_removed)
    )
    added = tuple(clean_tag(t) for t in decision.tags_added if clean_tag(t))
    removed = tuple(clean_tag(t) for t in decision.tags_removed if clean_tag(t))
    _tag_ids(session, added)
    for take_id in take_ids:
        state = session.get(m.TakeState, take_id)
        if session.get(m.Take, take_id) is None:
            raise KnownError(f"No take {take_id} in this project")
        stage_id = None
        if decision.verdict is not None:
            if decision.stage is not None:
                stage = _stage_by_name(all_stages, decision.stage)
                reached = state.stage_pos if state else 0
                if stage.position > reached:
                    raise KnownError(
                        f"Take {take_id} has not reached {stage.name} yet; "
                        f"it stands at {_stage_name(all_stages, reached)}"
                    )
            else:
                position = min(state.stage_pos if state else 0, len(all_stages) - 1)
                stage = all_stages[position]
            stage_id = stage.id
        event = m.Event(
            take_id=take_id,
            reviewer_id=who,
            workstation=host,
            stage_id=stage_id,
            verdict=decision.verdict,
            rating=decision.rating,
            tags_added=list(added),
            tags_removed=list(removed),
            note=decision.note.strip() if decision.note else None,
            frame_in=decision.frame_in,
            frame_out=decision.frame_out,
        )
        session.add(event)
        session.flush()
        change.event_ids.append(event.id)
        recompute_state(session, take_id, all_stages)
        change.take_ids.add(take_id)
    return change


def _stage_name(all_stages: Sequence[m.Stage], position: int) -> str:
    if position >= len(all_stages):
        return "the end of the funnel (selected)"
    return all_stages[position].name


def decide(
    project: Project, take_ids: int | Sequence[int], decision: Decision, reviewer: str | None = None
) -> Change:
    """Record ``decision`` for one take or many (one event each) in one durable transaction."""
    ids = [take_ids] if isinstance(take_ids, int) else list(take_ids)
    with project.session() as session:
        return _record(session, ids, decision, reviewer or default_reviewer())


def undo(project: Project, event_ids: Sequence[int], reviewer: str | None = None) -> Change:
    """Undo these events (or redo, when they are undos themselves), each with an event of its own."""
    with project.session() as session:
        all_stages = stages(session)
        who = reviewer_id(session, reviewer or default_reviewer())
        change = Change(funnel=True, tags=True)
        for event_id in event_ids:
            target = session.get(m.Event, event_id)
            if target is None:
                raise KnownError(f"No event {event_id} to undo")
            event = m.Event(
                take_id=target.take_id, reviewer_id=who, workstation=workstation(), undoes_id=event_id
            )
            session.add(event)
            session.flush()
            change.event_ids.append(event.id)
            recompute_state(session, target.take_id, all_stages)
            change.take_ids.add(target.take_id)
        return change
