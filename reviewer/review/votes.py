"""Blind votes at the later stages: several reviewers vote keep or reject on the same shortlist without
seeing each other's votes, the votes are revealed together, the agreement is shown, and a lead's
verdict settles the stage.

The team's rules are project settings: which stages are voted on (``team.voting``: stage positions)
and who leads (``team.leads``: reviewer names). At a voted stage a reviewer who is not a lead votes
instead of deciding; a lead decides as anywhere else. A vote is an event (``Event.vote``) like any
decision: who, when, from which workstation, undoable; it changes no state. Each reviewer's last vote
on a take at a stage counts. Until the stage is revealed (``team.revealed``: who revealed it, when),
a reviewer sees only their own vote and how many have voted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.review.decisions import (
    Change,
    Db,
    _insert_event,
    default_reviewer,
    reviewer_id,
    stages,
    undone_ids,
    workstation,
)
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy

VOTES = (m.VERDICT_KEEP, m.VERDICT_REJECT)


@dataclass
class Rules:
    voting: list[int] = field(default_factory=list)  # stage positions where the team votes
    leads: list[str] = field(default_factory=list)  # reviewers whose verdict settles a voted stage
    revealed: dict[int, dict[str, str]] = field(default_factory=dict)  # stage -> {"by", "at"}

    def votes_at(self, stage: int, reviewer: str) -> bool:
        """Whether ``reviewer`` votes (rather than decides) at ``stage``."""
        return stage in self.voting and reviewer not in self.leads

    def is_revealed(self, stage: int) -> bool:
        return stage in self.revealed


def rules(project: Project) -> Rules:
    """The team's rules, in one query (asked before every verdict in the GUI)."""
    keys = ("team.voting", "team.leads", "team.revealed")
    with project.sessions() as session:
        query = select(m.Setting.key, m.Setting.value).where(m.Setting.key.in_(keys))
        found: dict[str, Any] = {key: value for key, value in session.execute(query)}
    return Rules(
        voting=[int(s) for s in found.get("team.voting") or []],
        leads=[str(n) for n in found.get("team.leads") or []],
        revealed={int(k): dict(v) for k, v in (found.get("team.revealed") or {}).items()},
    )


def set_rules(
    project: Project, voting: Sequence[int] | None = None, leads: Sequence[str] | None = None
) -> Rules:
    if voting is not None:
        project.set_setting("team.voting", sorted({int(s) for s in voting}))
    if leads is not None:
        project.set_setting("team.leads", sorted({n.strip() for n in leads if n.strip()}))
    return rules(project)


def reveal(project: Project, stage: int, reviewer: str | None = None, show: bool = True) -> Rules:
    """Show every vote at ``stage`` to everyone (``show`` False: hide them again, for a new round)."""
    current = rules(project)
    who = reviewer or default_reviewer()
    if current.leads and who not in current.leads:
        raise KnownError(f"Only a lead ({', '.join(current.leads)}) reveals the votes")
    revealed = {str(k): v for k, v in current.revealed.items()}
    if show:
        revealed[str(stage)] = {"by": who, "at": m.utcnow().isoformat()}
    else:
        revealed.pop(str(stage), None)
    project.set_setting("team.revealed", revealed)
    return rules(project)


@retry_busy
def cast(project: Project, take_ids: int | Sequence[int], vote: str, reviewer: str | None = None) -> Change:
    """Vote ``vote`` (keep or reject) on takes waiting at a voted stage; one event each, one transaction."""
    if vote not in VOTES:
        raise KnownError(f"A vote is {' or '.join(VOTES)}, not {vote!r}")
    ids = [take_ids] if isinstance(take_ids, int) else list(take_ids)
    who_name = reviewer or default_reviewer()
    team = rules(project)
    with project.engine.begin() as conn:
        all_stages = stages(conn)
        who, host, now = reviewer_id(conn, who_name), workstation(), m.utcnow()
        change = Change()
        waiting = dict(
            conn.execute(
                select(m.TakeState.take_id, m.TakeState.stage_pos).where(
                    m.TakeState.take_id.in_(ids), m.TakeState.rejected.is_(False)
                )
            ).all()
        )
        for take_id in ids:
            pos = waiting.get(take_id)
            if pos is None or pos >= len(all_stages):
                raise KnownError(
                    f"Take {take_id} waits at no stage (rejected or selected): nothing to vote on"
                )
            if pos not in team.voting:
                raise KnownError(f"{all_stages[pos].name} is not a voted stage: decide there instead")
            event_id = _insert_event(
                conn, take_id=take_id, reviewer_id=who, at=now, workstation=host, stage_id=all_stages[pos].id,
                vote=vote,
            )  # fmt: skip
            change.event_ids.append(event_id)
            change.take_ids.add(take_id)
        return change


@dataclass
class Tally:
    """The votes on one take at one stage, as one viewer may see them."""

    count: int = 0  # reviewers who voted
    mine: str | None = None
    revealed: bool = False
    by: dict[str, str] = field(default_factory=dict)  # reviewer -> vote, only when revealed

    @property
    def keep(self) -> int:
        return sum(1 for v in self.by.values() if v == m.VERDICT_KEEP)

    @property
    def reject(self) -> int:
        return sum(1 for v in self.by.values() if v == m.VERDICT_REJECT)

    @property
    def agreement(self) -> float | None:
        """The share of the larger side, 0.5 to 1 (None until revealed, or with no votes)."""
        if not self.revealed or not self.by:
            return None
        return max(self.keep, self.reject) / len(self.by)

    def text(self) -> str:
        if not self.count:
            return "no votes yet"
        if not self.revealed:
            own = f"; yours: {self.mine}" if self.mine else ""
            return f"{self.count} voted (hidden until revealed{own})"
        names = ", ".join(f"{n} {v}" for n, v in sorted(self.by.items()))
        return f"keep {self.keep} · reject {self.reject} — agreement {self.agreement:.0%} ({names})"

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mine": self.mine, "revealed": self.revealed, "votes": dict(self.by),
                "agreement": self.agreement}  # fmt: skip


def tally(session: Db, stage: int, take_ids: Sequence[int], viewer: str, revealed: bool) -> dict[int, Tally]:
    """Each take's votes at ``stage`` (the last vote of each reviewer counts; undone ones do not)."""
    all_stages = stages(session)
    if not 0 <= stage < len(all_stages):
        return {}
    stage_id = all_stages[stage].id
    out = {t: Tally(revealed=revealed) for t in take_ids}
    for start in range(0, len(take_ids), 2000):
        chunk = list(take_ids[start : start + 2000])
        rows = session.execute(
            select(
                m.Event.id,
                m.Event.take_id,
                m.Event.undoes_id,
                m.Event.vote,
                m.Event.stage_id,
                m.Reviewer.name,
            )
            .join(m.Reviewer, m.Reviewer.id == m.Event.reviewer_id)
            .where(m.Event.take_id.in_(chunk))
            .order_by(m.Event.id)
        ).all()
        undone = undone_ids(rows)
        last: dict[int, dict[str, str]] = {}
        for r in rows:
            if r.vote and r.stage_id == stage_id and r.undoes_id is None and r.id not in undone:
                last.setdefault(r.take_id, {})[r.name] = r.vote
        for take_id, votes in last.items():
            t = out[take_id]
            t.count, t.mine = len(votes), votes.get(viewer)
            if revealed:
                t.by = votes
    return out
