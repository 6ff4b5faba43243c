"""The team's view of the funnel in numbers: stages, throughput per reviewer, keep rates, defects, coverage.

One call reads everything the dashboard draws, in a handful of grouped queries (a few tens of
milliseconds at 70,000 takes), so it can run in a worker every few seconds while the dashboard is open.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from reviewer.review import family
from reviewer.review import shots as shot_board
from reviewer.store import models as m
from reviewer.store import queries


@dataclass
class Dashboard:
    stages: list[tuple[str, int]]  # takes that reached each stage, then "selected" and "heroes"
    per_hour: dict[str, float]  # reviewer -> verdicts per hour over the last ``window`` hours of their work
    per_day: dict[str, dict[str, int]]  # reviewer -> day (ISO) -> verdicts
    keep_rate_model: list[tuple[str, int, float]]  # model, takes decided at Triage, kept share
    keep_rate_prompt: list[tuple[str, int, float]]
    defects: list[tuple[str, int]]  # tag, takes carrying it
    coverage: list[tuple[str, int, int, bool]] = field(default_factory=list)  # shot, takes, keepers, hero
    # prompt family (its first prompt), takes decided at Triage, kept share; and per change from a parent
    keep_rate_family: list[tuple[str, int, float]] = field(default_factory=list)
    keep_rate_change: list[tuple[str, int, float]] = field(default_factory=list)


def _keep_rates(session: Session, column: object, limit: int) -> list[tuple[str, int, float]]:
    """Of the takes decided at the first stage, the share kept, per value of ``column``."""
    decided = (m.TakeState.stage_pos > 0) | m.TakeState.rejected
    kept = func.sum(case((m.TakeState.stage_pos > 0, 1), else_=0))
    rows = session.execute(
        select(column, func.count(), kept)  # type: ignore[call-overload]
        .join(m.TakeState, m.TakeState.take_id == m.Take.id)
        .where(decided)
        .group_by(column)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    return [(str(value or "(unknown)"), int(n), float(k or 0) / n if n else 0.0) for value, n, k in rows]


def load(session: Session, now: dt.datetime | None = None, window_hours: float = 24.0) -> Dashboard:
    now = now or m.utcnow()
    funnel = queries.funnel(session)
    heroes = (
        session.scalar(select(func.count()).select_from(m.Shot).where(m.Shot.hero_take_id.is_not(None))) or 0
    )
    stages = [(s.name, s.reached) for s in funnel.stages] + [
        ("Selected", funnel.selected),
        ("Heroes", heroes),
    ]

    since = now - dt.timedelta(days=30)
    verdicts = session.execute(
        select(m.Reviewer.name, m.Event.at)
        .join(m.Reviewer, m.Reviewer.id == m.Event.reviewer_id)
        .where(m.Event.verdict.is_not(None), m.Event.at >= since)
        .order_by(m.Event.at)
    ).all()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    recent: dict[str, list[dt.datetime]] = defaultdict(list)
    for name, at in verdicts:
        per_day[name][at.date().isoformat()] += 1
        if at >= now - dt.timedelta(hours=window_hours):
            recent[name].append(at)
    per_hour = {}
    for name, times in recent.items():
        # verdicts per hour of the time spent: from the first to the last decision, at least 6 minutes
        span = max((times[-1] - times[0]).total_seconds() / 3600, 0.1)
        per_hour[name] = len(times) / span
    defects = session.execute(
        select(m.Tag.name, func.count())
        .join(m.TakeTag, m.TakeTag.tag_id == m.Tag.id)
        .group_by(m.Tag.name)
        .order_by(func.count().desc(), m.Tag.name)
        .limit(15)
    ).all()
    coverage = [(r.code, r.takes, r.keepers, r.hero is not None) for r in shot_board.board(session)]
    return Dashboard(
        stages=stages,
        per_hour=dict(sorted(per_hour.items(), key=lambda kv: -kv[1])),
        per_day={k: dict(v) for k, v in per_day.items()},
        keep_rate_model=_keep_rates(session, m.Take.model, 12),
        keep_rate_prompt=_keep_rates(session, m.Take.prompt, 10),
        defects=[(name, int(n)) for name, n in defects],
        coverage=coverage,
        keep_rate_family=[(r.what, r.takes, r.kept) for r in family.family_keep_rates(session, 10)],
        keep_rate_change=[(r.what, r.takes, r.kept) for r in family.change_keep_rates(session)[:12]],
    )
