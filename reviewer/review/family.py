"""A take's family, for the family view and ``reviewer lineage``: its parent, its siblings (the same
prompt family: other seeds, small prompt edits) and its children, each with what differs from the take
(the prompt word by word, as compare marks it, and the parameters that are not the same).

And the dashboard's "which change helped": keep rates per prompt family, and per kind of change from a
parent to its children (a new seed only, an edited negative prompt, another cfg...).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from reviewer.review.compare import Piece, word_diff
from reviewer.store import models as m
from reviewer.store import queries

MAX_SIBLINGS = 200
# parameters that say nothing about the generation (where it came from, how it was written)
QUIET_PARAMS = frozenset({"graph_hash", "loads", "retry_of", "parent", "prompt_from", "samplers"})


@dataclass
class Member:
    id: int
    name: str
    shot: str | None
    stage: str
    verdict: str | None
    rating: int | None
    seed: str
    prompt: str
    negative_prompt: str
    model: str
    relation: str  # "self", "parent", "sibling", "child"
    basis: str = ""  # of a parent or child relation
    same_graph: bool = False  # the same ComfyUI graph but for seeds, prompts and inputs
    differs: list[str] = field(default_factory=list)  # what is not the same as the take's
    prompt_diff: list[Piece] = field(default_factory=list)  # this one's prompt, changed words marked
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FamilyView:
    take: Member
    family_id: int | None
    label: str
    size: int  # takes in the family
    kept: int  # of them, kept at the first stage or beyond
    rejected: int
    parent: Member | None
    parent_ref: str  # a parent named by the file but not in the project
    siblings: list[Member]
    children: list[Member]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for member in [out["take"], out["parent"], *out["siblings"], *out["children"]]:
            if member is not None:
                member["prompt_diff"] = [[p["text"], p["changed"]] for p in member["prompt_diff"]]
        return out

    def lines(self) -> list[str]:
        t = self.take
        out = [f"take {t.id} {t.name}  {t.stage} {t.verdict or '-'}  seed {t.seed or '-'}"]
        out.append(
            f"family {self.family_id}: {self.size} takes, {self.kept} kept, {self.rejected} rejected  “{self.label}”"
            if self.family_id is not None
            else "family: none (no prompt)"
        )
        if self.parent is not None:
            out.append(f"parent ({self.parent.basis}): {_line(self.parent)}")
        elif self.parent_ref:
            out.append(f"parent named but not in the project: {self.parent_ref}")
        for label, members in (("sibling", self.siblings), ("child", self.children)):
            for member in members:
                out.append(f"{label}: {_line(member)}")
        return out


def _line(member: Member) -> str:
    differs = f"  differs: {', '.join(member.differs)}" if member.differs else ""
    changed = " ".join(p.text.strip() for p in member.prompt_diff if p.changed)
    words = f"  words: {changed}" if changed else ""
    return f"{member.id} {member.name}  {member.stage} {member.verdict or '-'}  seed {member.seed or '-'}{differs}{words}"


def _params(take: m.Take) -> dict[str, Any]:
    params = take.params if isinstance(take.params, dict) else {}
    return {k: v for k, v in params.items() if k not in QUIET_PARAMS}


def differences(a: m.Take, b: m.Take) -> list[str]:
    """What differs from ``a`` to ``b``: "seed", "prompt", "negative prompt", "model", and each parameter."""
    out = []
    if a.seed != b.seed:
        out.append("seed")
    if a.prompt.split() != b.prompt.split():
        out.append("prompt")
    if a.negative_prompt.split() != b.negative_prompt.split():
        out.append("negative prompt")
    if a.model != b.model:
        out.append("model")
    pa, pb = _params(a), _params(b)
    out += sorted(k for k in set(pa) | set(pb) if pa.get(k) != pb.get(k))
    return out


def _member(
    take: m.Take, state: m.TakeState, shot: str | None, names: list[str], relation: str, me: m.Take | None
) -> Member:
    stage, verdict = queries.stage_and_verdict(state, names)
    member = Member(
        take.id, take.name, shot, stage, verdict, state.rating, take.seed, take.prompt, take.negative_prompt,
        take.model, relation, params=_params(take),
    )  # fmt: skip
    if me is not None and take.id != me.id:
        member.differs = differences(me, take)
        member.prompt_diff = word_diff(me.prompt, take.prompt)
        mine, theirs = (me.params or {}).get("graph_hash"), (take.params or {}).get("graph_hash")
        member.same_graph = bool(mine) and mine == theirs
    else:
        member.prompt_diff = [Piece(take.prompt, False)] if take.prompt else []
    return member


def _rows(session: Session, query: Any) -> list[tuple[m.Take, m.TakeState, str | None]]:
    return [
        (t, s, code)
        for t, s, code in session.execute(
            query.join(m.TakeState, m.TakeState.take_id == m.Take.id).outerjoin(
                m.Shot, m.Shot.id == m.Take.shot_id
            )
        ).all()
    ]


def family_of(session: Session, take_id: int) -> FamilyView:
    """The family view of one take (its lineage as last worked out: ``store.lineage.update``)."""
    names = queries.stage_names(session)
    mine = _rows(session, select(m.Take, m.TakeState, m.Shot.code).where(m.Take.id == take_id))
    if not mine:
        raise LookupError(f"no take {take_id}")
    me, my_state, my_shot = mine[0]
    row = session.get(m.TakeLineage, take_id)
    family_id = row.family_id if row is not None else None
    parent = None
    if row is not None and row.parent_id is not None:
        found = _rows(session, select(m.Take, m.TakeState, m.Shot.code).where(m.Take.id == row.parent_id))
        if found:
            parent = _member(*found[0], names, "parent", me)
            parent.basis = row.basis
    bases = {
        tid: basis
        for tid, basis in session.execute(
            select(m.TakeLineage.take_id, m.TakeLineage.basis).where(m.TakeLineage.parent_id == take_id)
        )
    }
    children = []
    for t, s, code in _rows(
        session, select(m.Take, m.TakeState, m.Shot.code).where(m.Take.id.in_(bases)).order_by(m.Take.id)
    ):
        child = _member(t, s, code, names, "child", me)
        child.basis = bases.get(t.id, "")
        children.append(child)
    siblings: list[Member] = []
    label, size, kept, rejected = "", 0, 0, 0
    if family_id is not None:
        label = session.scalar(select(m.Family.label).where(m.Family.id == family_id)) or ""
        in_family = select(m.TakeLineage.take_id).where(m.TakeLineage.family_id == family_id)
        counts = session.execute(
            select(
                func.count(),
                func.sum(case((m.TakeState.stage_pos > 0, 1), else_=0)),
                func.sum(case(((m.TakeState.stage_pos == 0) & m.TakeState.rejected, 1), else_=0)),
            ).where(m.TakeState.take_id.in_(in_family))
        ).one()
        size, kept, rejected = int(counts[0] or 0), int(counts[1] or 0), int(counts[2] or 0)
        related = {take_id} | ({parent.id} if parent else set()) | {c.id for c in children}
        for t, s, code in _rows(
            session,
            select(m.Take, m.TakeState, m.Shot.code)
            .where(m.Take.id.in_(in_family), m.Take.id.not_in(related))
            .order_by(m.Take.id)
            .limit(MAX_SIBLINGS),
        ):
            siblings.append(_member(t, s, code, names, "sibling", me))
    return FamilyView(
        _member(me, my_state, my_shot, names, "self", None), family_id, label, size, kept, rejected, parent,
        row.ref if row is not None and row.parent_id is None else "", siblings, children,
    )  # fmt: skip


# --- which change helped -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    what: str
    takes: int  # decided at the first stage
    kept: float  # share kept


def family_keep_rates(session: Session, limit: int = 12) -> list[Rate]:
    """Per prompt family (largest first), the share kept of the takes decided at the first stage."""
    decided = (m.TakeState.stage_pos > 0) | m.TakeState.rejected
    kept = func.sum(case((m.TakeState.stage_pos > 0, 1), else_=0))
    rows = session.execute(
        select(m.Family.label, func.count(), kept)
        .join(m.TakeLineage, m.TakeLineage.family_id == m.Family.id)
        .join(m.TakeState, m.TakeState.take_id == m.TakeLineage.take_id)
        .where(decided)
        .group_by(m.Family.id, m.Family.label)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    return [Rate(str(label), int(n), float(k or 0) / n) for label, n, k in rows if n]


def change_keep_rates(session: Session) -> list[Rate]:
    """For takes made from another (a retry, an image-to-video, an extend), the share kept per kind of
    change from the parent ("seed", "negative prompt", "cfg"...), beside "(their parents)": the keep
    rate of the takes they were made from. A change whose children are kept more often helped."""
    parent = aliased(m.Take)
    child = aliased(m.Take)
    child_state = aliased(m.TakeState)
    parent_state = aliased(m.TakeState)
    rows = session.execute(
        select(
            parent,
            child,
            child_state.stage_pos,
            child_state.rejected,
            parent_state.stage_pos,
            parent_state.rejected,
        )
        .select_from(m.TakeLineage)
        .join(child, child.id == m.TakeLineage.take_id)
        .join(parent, parent.id == m.TakeLineage.parent_id)
        .join(child_state, child_state.take_id == child.id)
        .join(parent_state, parent_state.take_id == parent.id)
    ).all()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    parents: dict[int, bool] = {}
    for p, c, c_pos, c_rej, p_pos, p_rej in rows:
        if p_pos > 0 or p_rej:
            parents[p.id] = p_pos > 0
        if not (c_pos > 0 or c_rej):
            continue
        for what in differences(p, c) or ["nothing"]:
            totals[what][0] += 1
            totals[what][1] += c_pos > 0
    out = [Rate(what, n, k / n) for what, (n, k) in sorted(totals.items(), key=lambda kv: -kv[1][0])]
    if parents:
        out.append(Rate("(their parents)", len(parents), sum(parents.values()) / len(parents)))
    return out


def load_family(project: Any, take_id: int) -> FamilyView:
    """(a worker, or at once locally) The family view of a take; its lineage worked out first if it was
    stored before lineage was (a project from an earlier version)."""
    from reviewer.store import lineage

    with project.sessions() as session:
        known = session.get(m.TakeLineage, take_id) is not None
    if not known:  # this take at once; the rest of a project from before lineage in the background
        with project.session() as session:
            lineage.update(session, [take_id], backfill=False)
    with project.sessions() as session:
        return family_of(session, take_id)


def set_parent_by_hand(project: Any, take_id: int, parent: str | None, by: str) -> FamilyView:
    """A parent given by a reviewer (an id, a path or a unique file name; None clears it), then the view."""
    from reviewer.store import lineage

    with project.sessions() as session:
        parent_id = queries.find_take(session, parent) if parent else None
    if parent and parent_id is None:
        raise LookupError(f"No take {parent!r} in this project (give an id or a unique file name)")
    with project.session() as session:
        lineage.set_parent(session, take_id, parent_id, by)
    return load_family(project, take_id)
