"""Work sharing between reviewers: a session claims takes at its stage so that two people never triage
the same take in the same stage.

A claim is a lease on the take's state row (``take_state.lease_*``): who, at which stage, from which
workstation, until when. Claiming picks takes waiting at the stage whose lease is free (none, lapsed,
another stage, or one's own) and takes them in one conditional UPDATE, so two claims can never both
win a take: on PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED`` (a claim in progress
elsewhere is skipped, not waited for), on SQLite writers take turns and the condition is re-checked by
the UPDATE itself. A session renews its leases while it runs and releases what it did not decide when
it ends; a workstation that dies simply stops renewing, and its takes are free when the lease lapses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from reviewer.review.decisions import reviewer_id, workstation
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy

LEASE = dt.timedelta(minutes=10)  # renewed every RENEW while the session runs
RENEW = dt.timedelta(minutes=2)
BATCH = 50  # takes claimed at a time

_S = m.TakeState


def _free(me: int, stage: int, now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        _S.lease_until.is_(None),
        _S.lease_until < now,
        _S.lease_stage.is_distinct_from(stage),
        _S.lease_reviewer_id == me,
    )


def claim(
    project: Project,
    reviewer: str,
    stage: int,
    candidates: Sequence[int],
    count: int | None = None,
    lease: dt.timedelta = LEASE,
) -> list[int]:
    """Claim up to ``count`` (default ``BATCH``) of ``candidates`` (take ids, in the order wanted) that
    wait undecided at ``stage`` and that nobody else holds; the takes claimed, in that order (ones
    already held by this reviewer count too)."""
    count = BATCH if count is None else count
    wanted = list(dict.fromkeys(int(t) for t in candidates))
    got: list[int] = []
    for start in range(0, len(wanted), 2000):
        if len(got) >= count:
            break
        chunk = wanted[start : start + 2000]
        got += _claim_some(project, reviewer, stage, chunk, count - len(got), lease)
    order = {t: k for k, t in enumerate(wanted)}
    return sorted(got, key=order.__getitem__)


@retry_busy
def _claim_some(
    project: Project, reviewer: str, stage: int, chunk: list[int], count: int, lease: dt.timedelta
) -> list[int]:
    with project.engine.begin() as conn:
        me = reviewer_id(conn, reviewer)
        now = m.utcnow()
        pending = and_(_S.take_id.in_(chunk), _S.stage_pos == stage, _S.rejected.is_(False))
        query = select(_S.take_id).where(pending, _free(me, stage, now))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        free = set(conn.execute(query).scalars())
        picked = [t for t in chunk if t in free][:count]
        if not picked:
            return []
        until = now + lease
        conn.execute(
            update(_S)
            .where(_S.take_id.in_(picked), pending, _free(me, stage, now))
            .values(
                lease_reviewer_id=me, lease_stage=stage, lease_until=until, lease_workstation=workstation()
            )
        )
        # What is ours now (on SQLite another writer may have won some between the read and the write).
        mine = select(_S.take_id).where(
            _S.take_id.in_(picked),
            _S.lease_reviewer_id == me,
            _S.lease_stage == stage,
            _S.lease_until == until,
        )
        return list(conn.execute(mine).scalars())


@retry_busy
def renew(project: Project, reviewer: str, take_ids: Sequence[int], lease: dt.timedelta = LEASE) -> int:
    """Extend this reviewer's leases on these takes; how many are still held."""
    if not take_ids:
        return 0
    with project.engine.begin() as conn:
        me = reviewer_id(conn, reviewer)
        now = m.utcnow()
        held = 0
        for start in range(0, len(take_ids), 2000):
            chunk = list(take_ids[start : start + 2000])
            result = conn.execute(
                update(_S)
                .where(_S.take_id.in_(chunk), _S.lease_reviewer_id == me, _S.lease_until >= now)
                .values(lease_until=now + lease)
            )
            held += result.rowcount or 0
        return held


@retry_busy
def release(project: Project, reviewer: str, take_ids: Sequence[int] | None = None) -> int:
    """Give back this reviewer's leases (on these takes, or all of them); how many."""
    with project.engine.begin() as conn:
        me = reviewer_id(conn, reviewer)
        query = update(_S).where(_S.lease_reviewer_id == me)
        if take_ids is not None:
            query = query.where(_S.take_id.in_(list(take_ids)))
        result = conn.execute(
            query.values(lease_reviewer_id=None, lease_stage=None, lease_until=None, lease_workstation=None)
        )
        return result.rowcount or 0


def held_by_others(project: Project, reviewer: str, stage: int) -> dict[int, str]:
    """Takes waiting at ``stage`` that other reviewers hold now: take id -> "name@workstation"."""
    with project.engine.connect() as conn:
        rows = conn.execute(
            select(_S.take_id, m.Reviewer.name, _S.lease_workstation)
            .join(m.Reviewer, m.Reviewer.id == _S.lease_reviewer_id)
            .where(_S.lease_stage == stage, _S.lease_until >= m.utcnow(), m.Reviewer.name != reviewer)
        )
        return {t: f"{name}@{host}" if host else name for t, name, host in rows}


def lease_counts(project: Project) -> dict[str, int]:
    """Takes held now per reviewer (for the team's view of who is on what)."""
    with project.engine.connect() as conn:
        rows = conn.execute(
            select(m.Reviewer.name, func.count())
            .join(_S, _S.lease_reviewer_id == m.Reviewer.id)
            .where(_S.lease_until >= m.utcnow())
            .group_by(m.Reviewer.name)
        )
        return {name: int(n) for name, n in rows}
