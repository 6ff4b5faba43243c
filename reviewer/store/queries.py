"""Read-side queries over a project: filtered take lists, rows for listings, the funnel counts.

Written for 70,000 takes: filters are single indexed SQL queries, tags are fetched in one grouped
query per page of takes, and the funnel is one GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select
from sqlalchemy.orm import Session

from reviewer.store import local
from reviewer.store import models as m
from reviewer.store.dialect import text_match
from reviewer.store.disclosure import c2pa_of
from reviewer.untrusted import json_value

STATUS_PENDING = "pending"
STATUS_KEPT = "kept"
STATUS_REJECTED = "rejected"
STATUS_REACHED = "reached"


@dataclass
class TakeFilter:
    """Conditions that combine (AND). ``stage`` is a stage position; ``status`` says what about it."""

    stage: int | None = None
    status: str = STATUS_REACHED
    shots: Sequence[str] = ()
    min_rating: int | None = None
    tags: Sequence[str] = ()
    reviewers: Sequence[str] = ()
    models: Sequence[str] = ()
    has_audio: bool | None = None
    text: str = ""
    include_missing: bool = True
    ids: Sequence[int] = field(default_factory=tuple)
    broken: str | None = None  # "any": the analysis says it looks broken; or one reason ("frozen", "cut"...)
    ai: str | None = None  # "yes", "no" or "unknown": the take's AI disclosure (reviewer.store.disclosure)


def select_takes(session: Session, f: TakeFilter) -> Select[tuple[int]]:
    """The ids of the takes matching ``f``, in shot order then name."""
    q: Select[Any] = (
        select(m.Take.id)
        .join(m.TakeState, m.TakeState.take_id == m.Take.id)
        .outerjoin(m.Shot, m.Shot.id == m.Take.shot_id)
    )
    if f.stage is not None:
        pos, rej = m.TakeState.stage_pos, m.TakeState.rejected
        if f.status == STATUS_PENDING:
            q = q.where(pos == f.stage, rej.is_(False))
        elif f.status == STATUS_KEPT:
            q = q.where(pos > f.stage)
        elif f.status == STATUS_REJECTED:
            q = q.where(pos == f.stage, rej.is_(True))
        else:
            q = q.where(pos >= f.stage)
    if f.shots:
        q = q.where(m.Shot.code.in_(list(f.shots)))
    if f.min_rating is not None:
        q = q.where(m.TakeState.rating >= f.min_rating)
    for tag in f.tags:
        q = q.where(
            m.Take.id.in_(
                select(m.TakeTag.take_id).join(m.Tag, m.Tag.id == m.TakeTag.tag_id).where(m.Tag.name == tag)
            )
        )
    if f.reviewers:
        q = q.join(m.Reviewer, m.Reviewer.id == m.TakeState.last_reviewer_id).where(
            m.Reviewer.name.in_(list(f.reviewers))
        )
    if f.models:
        q = q.where(m.Take.model.in_(list(f.models)))
    if f.has_audio is not None:
        q = q.where(m.Take.has_audio.is_(f.has_audio))
    if f.text.strip():
        q = q.where(text_match(session, f.text))
    if not f.include_missing:
        q = q.where(m.Take.missing.is_(False))
    if f.ids:
        q = q.where(m.Take.id.in_(list(f.ids)))
    if f.ai == "unknown":
        q = q.where(m.Take.ai_generated.is_(None))
    elif f.ai in ("yes", "no"):
        q = q.where(m.Take.ai_generated.is_(f.ai == "yes"))
    if f.broken:
        found = select(m.TakeAnalysis.take_id).where(m.TakeAnalysis.broken != "")
        if f.broken != "any":
            padded = "," + m.TakeAnalysis.broken + ","
            found = found.where(padded.contains(f",{f.broken},"))
        q = q.where(m.Take.id.in_(found))
    ordered: Select[tuple[int]] = q.order_by(
        func.coalesce(m.Shot.sort_order, 1_000_000_000), m.Shot.code, m.Take.relpath, m.Take.id
    )
    return ordered


def fetch_raw(session: Session | Connection, query: Any) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as plain tuples, straight from the DB-API cursor, values as the driver
    gives them (SQLite: booleans as 0/1, JSON and datetimes as text).

    For tens of thousands of rows: SQLAlchemy's row objects and per-value type processing cost more
    than the query itself, and the callers (the catalogue, exports) convert the few typed columns.
    """
    conn = session.connection() if isinstance(session, Session) else session
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params  # a property that builds the dict anew on every access: read it once
    if compiled.positiontup is not None:
        named = params
        params = [named[name] for name in compiled.positiontup]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def stage_names(session: Session) -> list[str]:
    return list(session.scalars(select(m.Stage.name).order_by(m.Stage.position)))


def tags_of(session: Session, take_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if len(take_ids) > 20_000:
        # Most of a project: reading every tag row and keeping the wanted ones beats binding
        # tens of thousands of parameters.
        wanted = set(take_ids)
        for take_id, name in session.execute(
            select(m.TakeTag.take_id, m.Tag.name).join(m.Tag, m.Tag.id == m.TakeTag.tag_id)
        ):
            if take_id in wanted:
                out[take_id].append(name)
        take_ids = ()
    for start in range(0, len(take_ids), 5000):
        chunk = list(take_ids[start : start + 5000])
        rows = session.execute(
            select(m.TakeTag.take_id, m.Tag.name)
            .join(m.Tag, m.Tag.id == m.TakeTag.tag_id)
            .where(m.TakeTag.take_id.in_(chunk))
        )
        for take_id, name in rows:
            out[take_id].append(name)
    for names in out.values():
        names.sort()
    return out


def take_rows(session: Session, take_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """One plain dict per take (the ``reviewer takes --json`` shape), in the order of ``take_ids``."""
    names = stage_names(session)
    roots = {rid: Path(path) for rid, path in local.root_paths(session).items()}
    reviewers: dict[int, str] = {
        row.id: row.name for row in session.execute(select(m.Reviewer.id, m.Reviewer.name))
    }
    for start in range(0, len(take_ids), 2000):
        chunk = list(take_ids[start : start + 2000])
        rows = session.execute(
            select(m.Take, m.TakeState, m.Shot.code)
            .join(m.TakeState, m.TakeState.take_id == m.Take.id)
            .outerjoin(m.Shot, m.Shot.id == m.Take.shot_id)
            .where(m.Take.id.in_(chunk))
        ).all()
        by_id = {row[0].id: row for row in rows}
        tags = tags_of(session, chunk)
        analyses = analyses_of(session, chunk)
        for take_id in chunk:
            if take_id not in by_id:
                continue
            take, state, shot = by_id[take_id]
            row = take_dict(take, state, shot, names, roots, reviewers, tags.get(take_id, []))
            row["signals"] = signals_dict(analyses.get(take_id))
            yield row


def stage_and_verdict(state: m.TakeState, names: Sequence[str]) -> tuple[str, str | None]:
    """The name of the stage a take stands at and its verdict there (None: not yet decided)."""
    if state.stage_pos >= len(names):
        return names[-1], m.VERDICT_KEEP
    return names[state.stage_pos], (m.VERDICT_REJECT if state.rejected else None)


def take_dict(
    take: m.Take,
    state: m.TakeState,
    shot: str | None,
    names: Sequence[str],
    roots: dict[int, Path],
    reviewers: dict[int, str],
    tags: list[str],
) -> dict[str, Any]:
    stage, verdict = stage_and_verdict(state, names)
    return {
        "id": take.id,
        "path": str(roots[take.root_id] / take.relpath),
        "name": take.name,
        "shot": shot,
        "width": take.width,
        "height": take.height,
        "sar": f"{take.sar_num}/{take.sar_den}",
        "fps": f"{take.fps_num}/{take.fps_den}",
        "vfr": take.vfr,
        "frame_count": take.frame_count,
        "duration_s": round(take.duration_s, 6),
        "start_time_s": round(take.start_time_s, 6),
        "container": take.container,
        "video_codec": take.video_codec,
        "pix_fmt": take.pix_fmt,
        "bit_depth": take.bit_depth,
        "has_audio": take.has_audio,
        "audio_codec": take.audio_codec or None,
        "rotation": take.rotation,
        "content_hash": take.content_hash,
        "size": take.size,
        "missing": take.missing,
        "warning": take.probe_warning or None,
        "generator": take.generator or None,
        "model": take.model or None,
        "prompt": take.prompt or None,
        "negative_prompt": take.negative_prompt or None,
        "seed": take.seed or None,
        "params": json_value(take.params or {}),
        "provenance_source": take.provenance_source or None,
        "ai_generated": take.ai_generated,
        "ai_basis": take.ai_basis,
        "ai_basis_text": take.ai_basis_text,
        "c2pa": c2pa_of(take.evidence),
        "declaration": take.declaration,
        "stage": stage,
        "stage_position": state.stage_pos,
        "verdict": verdict,
        "rating": state.rating,
        "tags": tags,
        "notes": state.note_count,
        "reviewer": reviewers.get(state.last_reviewer_id) if state.last_reviewer_id else None,
        "decided_at": state.decided_at.isoformat() if state.decided_at else None,
    }


def signals_dict(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``signals`` object of ``reviewer takes --json``: names with scores and frame ranges, the
    motion and sharpness, and the reasons the take looks broken (None: not analysed yet)."""
    if not data:
        return None
    return {
        "version": data.get("version"),
        "found": data.get("signals", {}),
        "motion": round(float(data.get("motion", 0.0)), 3),
        "sharpness": round(float(data.get("sharpness", 0.0)), 1),
        "broken": data.get("broken", []),
    }


@dataclass
class StageCount:
    name: str
    reached: int = 0
    kept: int = 0
    rejected: int = 0
    pending: int = 0


@dataclass
class Funnel:
    total: int
    stages: list[StageCount]
    selected: int  # kept at the last stage
    per_shot: dict[str, list[StageCount]]

    def as_dict(self) -> dict[str, Any]:
        def counts(items: list[StageCount]) -> list[dict[str, Any]]:
            return [vars(s) for s in items]

        return {
            "total": self.total,
            "selected": self.selected,
            "stages": counts(self.stages),
            "shots": {code: counts(items) for code, items in self.per_shot.items()},
        }


def add_counts(stages: list[StageCount], pos: int, rejected: bool, count: int) -> None:
    """Count ``count`` takes standing at stage ``pos`` (rejected there or not) into every stage's figures."""
    for s, sc in enumerate(stages):
        if pos >= s:
            sc.reached += count
        if pos > s:
            sc.kept += count
        elif pos == s:
            if rejected:
                sc.rejected += count
            else:
                sc.pending += count


def funnel(session: Session) -> Funnel:
    """Counts per stage (reached, kept, rejected, pending), overall and per shot, in one query."""
    names = stage_names(session)
    rows = session.execute(
        select(m.Shot.code, m.Shot.sort_order, m.TakeState.stage_pos, m.TakeState.rejected, func.count())
        .select_from(m.TakeState)
        .join(m.Take, m.Take.id == m.TakeState.take_id)
        .outerjoin(m.Shot, m.Shot.id == m.Take.shot_id)
        .group_by(m.Shot.code, m.Shot.sort_order, m.TakeState.stage_pos, m.TakeState.rejected)
    ).all()
    overall = [StageCount(n) for n in names]
    per_shot: dict[str, list[StageCount]] = {}
    order: dict[str, int] = {}
    total = selected = 0
    for code, sort_order, pos, rejected, count in rows:
        key = code or "(no shot)"
        order[key] = sort_order if sort_order is not None else 1_000_000_000
        shot_counts = per_shot.setdefault(key, [StageCount(n) for n in names])
        total += count
        if pos >= len(names):
            selected += count
        add_counts(overall, pos, rejected, count)
        add_counts(shot_counts, pos, rejected, count)
    ordered = dict(sorted(per_shot.items(), key=lambda kv: (order[kv[0]], kv[0])))
    return Funnel(total=total, stages=overall, selected=selected, per_shot=ordered)


BROKEN_REASONS = ("frozen", "still", "cut", "black", "flicker")


def broken_counts(session: Session) -> dict[str, int]:
    """How many takes look broken, and for which reasons (a take may have several)."""
    counts = dict.fromkeys(("total", *BROKEN_REASONS), 0)
    for (reasons,) in session.execute(select(m.TakeAnalysis.broken).where(m.TakeAnalysis.broken != "")):
        counts["total"] += 1
        for reason in reasons.split(","):
            if reason in counts:
                counts[reason] += 1
    return counts


def analyses_of(session: Session, take_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(take_ids), 5000):
        chunk = list(take_ids[start : start + 5000])
        for take_id, data, broken in session.execute(
            select(m.TakeAnalysis.take_id, m.TakeAnalysis.data, m.TakeAnalysis.broken).where(
                m.TakeAnalysis.take_id.in_(chunk)
            )
        ):
            out[take_id] = {**data, "broken": [b for b in broken.split(",") if b]}
    return out


def problems(session: Session) -> list[m.Problem]:
    return list(session.scalars(select(m.Problem).order_by(m.Problem.path)))


def find_take(session: Session, ref: str) -> int | None:
    """A take by id, by path (absolute or as given), or by a unique file name."""
    ref = ref.strip()
    if ref.isdigit() and session.get(m.Take, int(ref)) is not None:
        return int(ref)
    path = Path(ref).expanduser()
    absolute = Path(path if path.is_absolute() else Path.cwd() / path)
    for root_id, root_path in local.root_paths(session).items():
        base = Path(root_path)
        if base in absolute.parents:
            rel = absolute.relative_to(base).as_posix()
            found = session.scalar(select(m.Take.id).where(m.Take.root_id == root_id, m.Take.relpath == rel))
            if found is not None:
                return found
    matches = list(
        session.scalars(select(m.Take.id).where(or_(m.Take.name == ref, m.Take.relpath == ref)).limit(2))
    )
    return matches[0] if len(matches) == 1 else None
