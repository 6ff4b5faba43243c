"""Decisions: append an event, derive the take's state from its events, undo and redo.

The event log is the truth. A take's state is the fold of its events in effect (an event is in effect
unless an undo in effect points at it, so undoing an undo redoes). Walking the stages in order, a
keep at a stage moves the take on to the next, a reject drops it there, and no verdict leaves it
waiting there. Each decision is one transaction: the event and the recomputed state commit together,
and with SQLite ``synchronous=FULL`` they are on disk when ``decide`` returns.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.store import disclosure
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy


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


PAGE_RULE = "page-rule"
FOLDER_RULE = "rule"  # a folder rule's AI declaration, logged on each take it covered when it was made
SOURCES = (PAGE_RULE, FOLDER_RULE)
DECLARATIONS = (*disclosure.ANSWERS, disclosure.EVIDENCE)


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
    source: str | None = None  # None: by the reviewer's key; "page-rule": by the survey's page rule
    # an AI disclosure: "yes", "no", "unknown", or "evidence" to give it back to the file's evidence;
    # ``note`` then says why (it is the declaration's reason, not a note on the picture)
    declare: str | None = None

    def validate(self) -> None:
        if self.verdict is not None and self.verdict not in m.VERDICTS:
            raise KnownError(f"Unknown verdict {self.verdict!r}: use keep, reject or clear")
        if self.rating is not None and not 0 <= self.rating <= 5:
            raise KnownError(f"A rating is 0 to 5, not {self.rating}")
        if self.frame_in is not None and self.frame_out is not None and self.frame_out < self.frame_in:
            raise KnownError("A note's range ends before it starts")
        if self.is_empty():
            raise KnownError("Nothing to decide: give a verdict, a rating, a tag or a note")
        if self.declare is not None and self.declare not in DECLARATIONS:
            raise KnownError(f"Declare yes, no, unknown or evidence, not {self.declare!r}")
        if self.source is not None and self.source not in SOURCES:
            raise KnownError(f"Unknown source of a decision {self.source!r}")

    def is_empty(self) -> bool:
        return (
            self.verdict is None
            and self.rating is None
            and not self.tags_added
            and not self.tags_removed
            and not self.note
            and self.declare is None
        )


@dataclass
class Change:
    """What a mutation changed, so that views can decide whether to refresh (one per operation)."""

    take_ids: set[int] = field(default_factory=set)
    event_ids: list[int] = field(default_factory=list)
    funnel: bool = False  # stage counts may have moved
    tags: bool = False


Db = Session | Connection  # the hot path runs on a bare connection; the rest may pass a session


def _new_id(session: Db, stmt: Insert) -> int:
    """Run an INSERT of one row and return its primary key."""
    new_id: Any = session.execute(stmt.returning(literal_column("id"))).scalar_one()
    return int(new_id)


def reviewer_id(session: Db, name: str) -> int:
    found = session.execute(_Q_REVIEWER, {"b_name": name}).scalar()
    if found is not None:
        return found
    return _new_id(session, insert(m.Reviewer).values(name=name, created_at=m.utcnow()))


@dataclass(frozen=True)
class StageRow:
    id: int
    name: str
    position: int


def stages(session: Db) -> list[StageRow]:
    rows = session.execute(_Q_STAGES)
    return [StageRow(*row) for row in rows]


def _stage_by_name(all_stages: Sequence[StageRow], name: str) -> StageRow:
    for stage in all_stages:
        if stage.name.lower() == name.lower():
            return stage
    known = ", ".join(s.name for s in all_stages)
    raise KnownError(f"No stage called {name!r} in this project (stages: {known})")


def _tag_ids(session: Db, names: Iterable[str]) -> dict[str, int]:
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    found = {
        name: id_ for id_, name in session.execute(select(m.Tag.id, m.Tag.name).where(m.Tag.name.in_(wanted)))
    }
    for name in wanted - found.keys():
        found[name] = _new_id(session, insert(m.Tag).values(name=name, kind="free"))
    return found


def clean_tag(name: str) -> str:
    return " ".join(name.split())[:200]


class _EventLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def undoes_id(self) -> int | None: ...


E = TypeVar("E", bound=_EventLike)


def effective_events(events: Sequence[E]) -> list[E]:
    """The events in effect, in log order: undo events toggle the event they point at."""
    undone = undone_ids(events)
    return [e for e in events if e.undoes_id is None and e.id not in undone]


def undone_ids(events: Sequence[_EventLike]) -> set[int]:
    """The ids of the events that are undone (by an undo that is itself in effect)."""
    in_effect: dict[int, bool] = {}
    undoers: dict[int, list[int]] = {}
    for e in events:
        if e.undoes_id is not None:
            undoers.setdefault(e.undoes_id, []).append(e.id)
    for e in sorted(events, key=lambda ev: ev.id, reverse=True):
        in_effect[e.id] = not any(in_effect.get(u, False) for u in undoers.get(e.id, ()))
    return {e.id for e in events if not in_effect[e.id]}


_EVENT_COLUMNS = (
    m.Event.id,
    m.Event.source,
    m.Event.undoes_id,
    m.Event.stage_id,
    m.Event.verdict,
    m.Event.rating,
    m.Event.tags_added,
    m.Event.tags_removed,
    m.Event.note,
    m.Event.reviewer_id,
    m.Event.at,
    m.Event.shot_from_id,
    m.Event.shot_to_id,
    m.Event.hero,
    m.Event.hero_shot_id,
    m.Event.vote,
    m.Event.ai_declared,
)


# The hot path (one key press = one decision) runs prebuilt Core statements with bound parameters:
# SQLAlchemy then compiles each once and reuses it, and a decision stays a few milliseconds.
_T_EVENTS = cast(Table, m.Event.__table__)
_T_STATE = cast(Table, m.TakeState.__table__)
_Q_EVENTS = select(*_EVENT_COLUMNS).where(m.Event.take_id == bindparam("b_take")).order_by(m.Event.id)
_Q_TAGS_OF = (
    select(m.Tag.id, m.Tag.name)
    .join(m.TakeTag, m.TakeTag.tag_id == m.Tag.id)
    .where(m.TakeTag.take_id == bindparam("b_take"))
)
_STATE_FIELDS = (
    "stage_pos",
    "rejected",
    "rating",
    "note_count",
    "last_event_id",
    "last_reviewer_id",
    "decided_at",
)
_U_STATE = (
    _T_STATE.update()
    .where(_T_STATE.c.take_id == bindparam("b_take"))
    .values({f: bindparam(f) for f in _STATE_FIELDS})
)
_I_EVENT = _T_EVENTS.insert().returning(_T_EVENTS.c.id)
_Q_STAGES = select(m.Stage.id, m.Stage.name, m.Stage.position).order_by(m.Stage.position)
_Q_REVIEWER = select(m.Reviewer.id).where(m.Reviewer.name == bindparam("b_name"))
_Q_TAKE_STATES = (
    select(m.Take.id, func.coalesce(m.TakeState.stage_pos, 0), m.Take.shot_id)
    .outerjoin(m.TakeState, m.TakeState.take_id == m.Take.id)
    .where(m.Take.id.in_(bindparam("b_ids", expanding=True)))
)


def _insert_event(session: Db, **values: Any) -> int:
    new_id: Any = session.execute(_I_EVENT, {**m.EVENT_DEFAULTS, **values}).scalar_one()
    return int(new_id)


def recompute_state(session: Db, take_id: int, all_stages: Sequence[StageRow]) -> None:
    """Rebuild the take's cached state, tags and shot from its events (Core statements: this is the hot path)."""
    events = session.execute(_Q_EVENTS, {"b_take": take_id}).all()
    undone = undone_ids(events)
    live = [e for e in events if e.undoes_id is None and e.id not in undone]
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
        if e.note and e.ai_declared is None:
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
    decided = [e for e in live if e.vote is None]  # a vote is not a decision: it leaves who and when alone
    last = decided[-1] if decided else None
    values = {
        "stage_pos": position,
        "rejected": rejected,
        "rating": rating,
        "note_count": notes,
        "last_event_id": last.id if last else None,
        "last_reviewer_id": last.reviewer_id if last else None,
        "decided_at": last.at if last else None,
    }
    updated = session.execute(_U_STATE, {"b_take": take_id, **values})
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(_T_STATE.insert(), {"take_id": take_id, **values})
    current = {name: tag_id for tag_id, name in session.execute(_Q_TAGS_OF, {"b_take": take_id})}
    if set(current) != tags:
        gone = [current[n] for n in current.keys() - tags]
        if gone:
            session.execute(delete(m.TakeTag).where(m.TakeTag.take_id == take_id, m.TakeTag.tag_id.in_(gone)))
        new = _tag_ids(session, tags - current.keys())
        if new:
            session.execute(insert(m.TakeTag), [{"take_id": take_id, "tag_id": t} for t in new.values()])
    moves = [e for e in events if e.shot_to_id is not None or e.shot_from_id is not None]
    if moves:
        live_moves = [e for e in moves if e.undoes_id is None and e.id not in undone]
        shot_id = live_moves[-1].shot_to_id if live_moves else moves[0].shot_from_id
        source = "manual" if live_moves else None
        values_take: dict[str, object] = {"shot_id": shot_id}
        if source:
            values_take["shot_source"] = source
        session.execute(update(m.Take).where(m.Take.id == take_id).values(**values_take))
    if any(e.ai_declared is not None for e in events):
        _declare(session, take_id, live)
    # A take can be the hero of a shot only through its own hero events: only then can this matter.
    for shot in sorted({e.hero_shot_id for e in events if e.hero_shot_id is not None}):
        recompute_hero(session, shot, all_stages)


def _declare(session: Db, take_id: int, live: Sequence[Any]) -> None:
    """Store the declaration in effect and the disclosure that follows from it."""
    who = {e.reviewer_id for e in live if e.ai_declared is not None}
    names = dict(session.execute(select(m.Reviewer.id, m.Reviewer.name).where(m.Reviewer.id.in_(who))).all())
    declared = disclosure.declaration_of(live, names)
    session.execute(update(m.Take).where(m.Take.id == take_id).values(declaration=declared))
    disclosure.refresh(session, [take_id])


def recompute_hero(session: Db, shot_id: int, all_stages: Sequence[StageRow] | None = None) -> None:
    """Rebuild the shot's hero cache from the hero events in effect."""
    all_stages = stages(session) if all_stages is None else all_stages
    take_ids = list(
        session.execute(select(m.Event.take_id).where(m.Event.hero_shot_id == shot_id).distinct()).scalars()
    )
    hero: tuple[int, int | None, int | None] | None = None
    if take_ids:
        events = session.execute(
            select(
                m.Event.id, m.Event.undoes_id, m.Event.take_id, m.Event.hero, m.Event.hero_shot_id,
                m.Event.frame_in, m.Event.frame_out,
            )
            .where(m.Event.take_id.in_(take_ids))
            .order_by(m.Event.id)
        ).all()  # fmt: skip
        undone = undone_ids(events)
        live = [e for e in events if e.undoes_id is None and e.id not in undone and e.hero_shot_id == shot_id]
        # The newest hero choice that still qualifies wins; a clearing event ends the search.
        for e in reversed(live):
            if not e.hero:
                break
            if _qualifies(session, e.take_id, shot_id, len(all_stages)):
                hero = (e.take_id, e.frame_in, e.frame_out)
                break
    values = (
        {"hero_take_id": hero[0], "hero_in": hero[1], "hero_out": hero[2]}
        if hero
        else {"hero_take_id": None, "hero_in": None, "hero_out": None}
    )
    session.execute(update(m.Shot).where(m.Shot.id == shot_id).values(**values))


def _qualifies(session: Db, take_id: int, shot_id: int, stage_count: int) -> bool:
    row = session.execute(
        select(m.Take.shot_id, m.TakeState.stage_pos, m.TakeState.rejected)
        .outerjoin(m.TakeState, m.TakeState.take_id == m.Take.id)
        .where(m.Take.id == take_id)
    ).first()
    if row is None or row.shot_id != shot_id:
        return False
    return (row.stage_pos or 0) >= stage_count - 1 and not row.rejected


def _take_states(session: Db, take_ids: Sequence[int]) -> dict[int, tuple[int, int | None]]:
    """take id -> (stage position, shot id) for the takes that exist."""
    out: dict[int, tuple[int, int | None]] = {}
    for start in range(0, len(take_ids), 5000):
        chunk = list(take_ids[start : start + 5000])
        rows = session.execute(_Q_TAKE_STATES, {"b_ids": chunk})
        out.update({take_id: (pos, shot) for take_id, pos, shot in rows})
    return out


def _record(
    session: Db,
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
    known = _take_states(session, take_ids)
    named_stage = _stage_by_name(all_stages, decision.stage) if decision.stage is not None else None
    voted = _voted_stages(session, reviewer) if decision.verdict is not None else set()
    now = m.utcnow()
    for take_id in take_ids:
        if take_id not in known:
            raise KnownError(f"No take {take_id} in this project")
        reached = known[take_id][0]
        stage_id = None
        if decision.verdict is not None:
            if named_stage is not None:
                if named_stage.position > reached:
                    raise KnownError(
                        f"Take {take_id} has not reached {named_stage.name} yet; "
                        f"it stands at {_stage_name(all_stages, reached)}"
                    )
                stage_id = named_stage.id
            else:
                stage_id = all_stages[min(reached, len(all_stages) - 1)].id
            at = next(s for s in all_stages if s.id == stage_id)
            if at.position in voted:
                raise KnownError(
                    f"At {at.name} the team votes and a lead's verdict settles it: vote on take {take_id}, "
                    "or ask a lead"
                )
        event_id = _insert_event(
            session,
            take_id=take_id,
            reviewer_id=who,
            at=now,
            workstation=host,
            stage_id=stage_id,
            verdict=decision.verdict,
            rating=decision.rating,
            tags_added=list(added),
            tags_removed=list(removed),
            note=decision.note.strip() if decision.note else None,
            frame_in=decision.frame_in,
            frame_out=decision.frame_out,
            source=decision.source,
            ai_declared=decision.declare,
        )
        change.event_ids.append(event_id)
        recompute_state(session, take_id, all_stages)
        change.take_ids.add(take_id)
    return change


def _voted_stages(session: Db, reviewer: str) -> set[int]:
    """The stages where ``reviewer`` votes rather than decides (``reviewer.review.votes``)."""
    found: dict[str, Any] = dict(
        session.execute(
            select(m.Setting.key, m.Setting.value).where(m.Setting.key.in_(["team.voting", "team.leads"]))
        ).all()
    )
    leads = found.get("team.leads") or []
    if not leads or reviewer in leads:
        return set()
    return {int(s) for s in found.get("team.voting") or []}


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
        Note(e.note, e.frame_in, e.frame_out, e.reviewer.name)
        for e in effective_events(events)
        if e.note and e.ai_declared is None
    ]


def _stage_name(all_stages: Sequence[StageRow], position: int) -> str:
    if position >= len(all_stages):
        return "the end of the funnel (selected)"
    return all_stages[position].name


@retry_busy
def decide(
    project: Project, take_ids: int | Sequence[int], decision: Decision, reviewer: str | None = None
) -> Change:
    """Record ``decision`` for one take or many (one event each) in one durable transaction."""
    ids = [take_ids] if isinstance(take_ids, int) else list(take_ids)
    with project.engine.begin() as conn:
        return _record(conn, ids, decision, reviewer or default_reviewer())


def decide_in(conn: Connection, take_ids: Sequence[int], decision: Decision, reviewer: str) -> Change:
    """``decide`` inside a transaction the caller holds (several decisions made in one commit)."""
    return _record(conn, list(take_ids), decision, reviewer)


@retry_busy
def undo(project: Project, event_ids: Sequence[int], reviewer: str | None = None) -> Change:
    """Undo these events (or redo, when they are undos themselves), each with an event of its own."""
    with project.engine.begin() as session:
        all_stages = stages(session)
        who = reviewer_id(session, reviewer or default_reviewer())
        host, now = workstation(), m.utcnow()
        change = Change(funnel=True, tags=True)
        for event_id in event_ids:
            take_id = session.scalar(select(m.Event.take_id).where(m.Event.id == event_id))
            if take_id is None:
                raise KnownError(f"No event {event_id} to undo")
            undo_id = _insert_event(
                session, take_id=take_id, reviewer_id=who, at=now, workstation=host, undoes_id=event_id
            )
            change.event_ids.append(undo_id)
            recompute_state(session, take_id, all_stages)
            change.take_ids.add(take_id)
        return change


def shot_id(session: Db, code: str, create: bool = True) -> int:
    """The id of the shot ``code`` (created at the end of the board when ``create``)."""
    code = code.strip()
    if not code:
        raise KnownError("A shot needs a code (like SH010)")
    found = session.scalar(select(m.Shot.id).where(m.Shot.code == code))
    if found is not None:
        return found
    if not create:
        raise KnownError(f"No shot {code!r} in this project")
    last = session.scalar(select(func.max(m.Shot.sort_order))) or 0
    return _new_id(session, insert(m.Shot).values(code=code, sort_order=last + 10))


def move_to_shot(
    project: Project, take_ids: int | Sequence[int], code: str, reviewer: str | None = None
) -> Change:
    """Reassign takes to the shot ``code`` (created if new): one event each, undoable like a decision."""
    ids = [take_ids] if isinstance(take_ids, int) else list(take_ids)
    with project.session() as session:
        all_stages = stages(session)
        target = shot_id(session, code)
        who = reviewer_id(session, reviewer or default_reviewer())
        host, now = workstation(), m.utcnow()
        known = _take_states(session, ids)
        change = Change(funnel=True)
        for take_id in ids:
            if take_id not in known:
                raise KnownError(f"No take {take_id} in this project")
            if known[take_id][1] == target:
                continue
            event_id = _insert_event(
                session,
                take_id=take_id,
                reviewer_id=who,
                at=now,
                workstation=host,
                shot_from_id=known[take_id][1],
                shot_to_id=target,
            )
            change.event_ids.append(event_id)
            recompute_state(session, take_id, all_stages)
            change.take_ids.add(take_id)
        return change


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a take's decision history, as the tagging panel shows it."""

    event_id: int
    at: dt.datetime
    reviewer: str
    workstation: str
    text: str
    undone: bool


def history(
    session: Session, take_id: int, viewer: str | None = None, revealed: Sequence[int] = ()
) -> list[HistoryEntry]:
    """Every event of the take, newest first, described in words; undone ones flagged. A blind vote
    says how it went only to its voter (``viewer``) or once its stage is ``revealed``."""
    rows = session.execute(
        select(*_EVENT_COLUMNS, m.Event.workstation, m.Event.frame_in, m.Event.frame_out, m.Reviewer.name)
        .join(m.Reviewer, m.Reviewer.id == m.Event.reviewer_id)
        .where(m.Event.take_id == take_id)
        .order_by(m.Event.id)
    ).all()
    all_stages = stages(session)
    stage_names = {s.id: s.name for s in all_stages}
    open_stages = {s.id for s in all_stages if s.position in revealed}
    shots: dict[int, str] = {r.id: r.code for r in session.execute(select(m.Shot.id, m.Shot.code))}
    undone = undone_ids(rows)
    out = []
    for r in rows:
        parts: list[str] = []
        if r.undoes_id is not None:
            parts.append(f"undid #{r.undoes_id}" if r.id not in undone else f"undid #{r.undoes_id} (redone)")
        if r.verdict:
            how = " (page rule)" if r.source == PAGE_RULE else ""
            parts.append(f"{r.verdict} at {stage_names.get(r.stage_id, '?')}{how}")
        if r.vote:
            seen = r.stage_id in open_stages or (viewer is not None and r.name == viewer)
            vote = f"voted {r.vote}" if seen else "voted (hidden until the votes are revealed)"
            parts.append(f"{vote} at {stage_names.get(r.stage_id, '?')}")
        if r.rating is not None:
            parts.append(f"rated {r.rating}")
        if r.tags_added:
            parts.append("tagged " + ", ".join(r.tags_added))
        if r.tags_removed:
            parts.append("untagged " + ", ".join(r.tags_removed))
        if r.shot_to_id is not None or r.shot_from_id is not None:
            parts.append(
                f"moved {shots.get(r.shot_from_id, 'no shot')} → {shots.get(r.shot_to_id, 'no shot')}"
            )
        if r.hero_shot_id is not None:
            shot_code = shots.get(r.hero_shot_id, "?")
            if r.hero:
                trim = f" (frames {r.frame_in}–{r.frame_out})" if r.frame_in is not None else ""
                parts.append(f"made hero of {shot_code}{trim}")
            else:
                parts.append(f"no longer hero of {shot_code}")
        elif r.ai_declared is not None:
            said = (
                "gave the AI disclosure back to the evidence"
                if r.ai_declared == disclosure.EVIDENCE
                else f"declared {disclosure.word(disclosure.ANSWERS[r.ai_declared])}"
            )
            how = " (folder rule)" if r.source == FOLDER_RULE else ""
            parts.append(f"{said}{how}" + (f": {r.note}" if r.note else ""))
        elif r.note:
            where = ""
            if r.frame_in is not None:
                where = f" at frame {r.frame_in}" + (
                    f"–{r.frame_out}" if r.frame_out not in (None, r.frame_in) else ""
                )
            parts.append(f"note{where}: {r.note}")
        out.append(HistoryEntry(r.id, r.at, r.name, r.workstation, "; ".join(parts), r.id in undone))
    out.reverse()
    return out
