"""What others changed since we last looked: the event log read from a high-water mark.

Every decision, note, move and hero is an event with a growing id, so one indexed query per poll says
which takes changed (by whom) since the last one, on SQLite and PostgreSQL alike; a grown highest take
id says that takes were ingested elsewhere. The GUI polls this every second or so in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from reviewer.store import models as m
from reviewer.store.db import Project

LIMIT = 20_000  # events read per poll at most: a bulk decision elsewhere arrives over a few polls


@dataclass
class Seen:
    last_event: int  # the highest event id read
    last_take: int  # the highest take id known
    events: list[tuple[int, int, str, str]] = field(
        default_factory=list
    )  # (event, take, reviewer, workstation)

    def by_reviewer(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _e, _t, name, _w in self.events:
            counts[name] = counts.get(name, 0) + 1
        return counts


def mark(project: Project) -> Seen:
    """Where the log stands now (nothing to report)."""
    with project.engine.connect() as conn:
        last_event = conn.execute(select(func.max(m.Event.id))).scalar() or 0
        last_take = conn.execute(select(func.max(m.Take.id))).scalar() or 0
    return Seen(int(last_event), int(last_take))


def since(project: Project, seen: Seen) -> Seen:
    """The events after ``seen.last_event``, and the highest take id now."""
    with project.engine.connect() as conn:
        rows = conn.execute(
            select(m.Event.id, m.Event.take_id, m.Reviewer.name, m.Event.workstation)
            .join(m.Reviewer, m.Reviewer.id == m.Event.reviewer_id)
            .where(m.Event.id > seen.last_event)
            .order_by(m.Event.id)
            .limit(LIMIT)
        ).all()
        last_take = conn.execute(select(func.max(m.Take.id))).scalar() or 0
    events = [(int(e), int(t), str(name), str(host or "")) for e, t, name, host in rows]
    return Seen(events[-1][0] if events else seen.last_event, int(last_take), events)
