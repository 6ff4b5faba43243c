"""Shots after triage: the shot board, heroes with their trims, "keep this, drop the rest", the cut.

A shot's hero is a decision like any other: an event in the log (``Event.hero`` with the shot and the
trim in ``frame_in``/``frame_out``), undoable, with who and when. ``Shot.hero_take_id`` is its cache,
rebuilt from the log whenever one of the events that could change it is written or undone. A hero
must stand at the last stage and must not be rejected; a take that leaves the shot or is rejected
stops being its hero, and the hero chosen before comes back if that one still qualifies.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.review import decisions as dec
from reviewer.review.decisions import Change, Db
from reviewer.store import local, queries
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy

DEFAULT_FPS = 24.0


# --- heroes --------------------------------------------------------------------------------------


@retry_busy
def set_hero(
    project: Project,
    take_id: int,
    frame_in: int | None = None,
    frame_out: int | None = None,
    reviewer: str | None = None,
) -> Change:
    """Make the take the hero of its shot, trimmed to ``frame_in``-``frame_out`` (None: the whole take).

    The take must stand at the last stage; if it waits there undecided, it is kept there in the same
    event (choosing a hero is choosing it). One event, one transaction, undoable.
    """
    with project.engine.begin() as conn:
        all_stages = dec.stages(conn)
        last = all_stages[-1]
        row = conn.execute(
            select(
                m.Take.name, m.Take.shot_id, m.Take.frame_count, m.TakeState.stage_pos, m.TakeState.rejected
            )
            .outerjoin(m.TakeState, m.TakeState.take_id == m.Take.id)
            .where(m.Take.id == take_id)
        ).first()
        if row is None:
            raise KnownError(f"No take {take_id} in this project")
        if row.shot_id is None:
            raise KnownError(f"{row.name} belongs to no shot: move it to a shot first")
        position = row.stage_pos or 0
        if position < last.position or row.rejected:
            where = "was rejected" if row.rejected else f"stands at {dec._stage_name(all_stages, position)}"
            raise KnownError(f"Only a take at {last.name} can be a hero; {row.name} {where}")
        frames = int(row.frame_count or 0)
        if frame_in is not None and frame_out is not None and frame_out < frame_in:
            frame_in, frame_out = frame_out, frame_in
        if frames:
            if frame_in is not None and not 0 <= frame_in < frames:
                raise KnownError(f"In point {frame_in} is outside the take (frames 0-{frames - 1})")
            if frame_out is not None and not 0 <= frame_out < frames:
                raise KnownError(f"Out point {frame_out} is outside the take (frames 0-{frames - 1})")
        event_id = dec._insert_event(
            conn,
            take_id=take_id,
            reviewer_id=dec.reviewer_id(conn, reviewer or dec.default_reviewer()),
            at=m.utcnow(),
            workstation=dec.workstation(),
            stage_id=last.id if position == last.position else None,
            verdict=m.VERDICT_KEEP if position == last.position else None,
            frame_in=frame_in,
            frame_out=frame_out,
            hero=True,
            hero_shot_id=row.shot_id,
        )
        dec.recompute_state(conn, take_id, all_stages)
        return Change(take_ids={take_id}, event_ids=[event_id], funnel=True)


@retry_busy
def clear_hero(project: Project, code: str, reviewer: str | None = None) -> Change:
    """The shot ``code`` has no hero any more (an event on the take that was its hero)."""
    with project.engine.begin() as conn:
        shot = conn.execute(select(m.Shot.id, m.Shot.hero_take_id).where(m.Shot.code == code)).first()
        if shot is None:
            raise KnownError(f"No shot {code!r} in this project")
        if shot.hero_take_id is None:
            raise KnownError(f"Shot {code} has no hero")
        event_id = dec._insert_event(
            conn,
            take_id=shot.hero_take_id,
            reviewer_id=dec.reviewer_id(conn, reviewer or dec.default_reviewer()),
            at=m.utcnow(),
            workstation=dec.workstation(),
            hero=False,
            hero_shot_id=shot.id,
        )
        dec.recompute_state(conn, shot.hero_take_id, dec.stages(conn))
        return Change(take_ids={shot.hero_take_id}, event_ids=[event_id], funnel=True)


@retry_busy
def keep_only(project: Project, take_id: int, reviewer: str | None = None) -> Change:
    """Keep this take and reject the others of its shot that wait at the same stage (one transaction)."""
    with project.engine.begin() as conn:
        row = conn.execute(
            select(m.Take.name, m.Take.shot_id, m.TakeState.stage_pos, m.TakeState.rejected)
            .outerjoin(m.TakeState, m.TakeState.take_id == m.Take.id)
            .where(m.Take.id == take_id)
        ).first()
        if row is None:
            raise KnownError(f"No take {take_id} in this project")
        if row.rejected:
            raise KnownError(f"{row.name} was rejected; clear that first")
        all_stages = dec.stages(conn)
        position = row.stage_pos or 0
        if position >= len(all_stages):
            raise KnownError(f"{row.name} is already through the last stage")
        shot_clause = m.Take.shot_id.is_(None) if row.shot_id is None else m.Take.shot_id == row.shot_id
        others = list(
            conn.execute(
                select(m.Take.id)
                .join(m.TakeState, m.TakeState.take_id == m.Take.id)
                .where(
                    shot_clause,
                    m.Take.id != take_id,
                    m.TakeState.stage_pos == position,
                    m.TakeState.rejected.is_(False),
                )
                .order_by(m.Take.id)
            ).scalars()
        )
        stage = all_stages[position].name
        change = dec._record(
            conn, [take_id], dec.Decision(verdict=m.VERDICT_KEEP, stage=stage), _who(reviewer)
        )
        if others:
            rejected = dec._record(
                conn, others, dec.Decision(verdict=m.VERDICT_REJECT, stage=stage), _who(reviewer)
            )
            change.take_ids |= rejected.take_ids
            change.event_ids += rejected.event_ids
        return change


def _who(reviewer: str | None) -> str:
    return reviewer or dec.default_reviewer()


# --- the shot board ------------------------------------------------------------------------------


@dataclass
class Hero:
    take_id: int
    name: str
    path: str
    content_hash: str
    fps: str
    frame_count: int
    frame_in: int
    frame_out: int  # inclusive
    rating: int | None
    has_audio: bool = False

    @property
    def frames(self) -> int:
        return self.frame_out - self.frame_in + 1


@dataclass
class ShotRow:
    """One shot of the board, with its funnel, its best rating and its hero."""

    id: int
    code: str
    title: str
    description: str
    sort_order: int
    target_frames: int | None
    counts: list[queries.StageCount] = field(default_factory=list)
    best_rating: int | None = None
    hero: Hero | None = None

    @property
    def takes(self) -> int:
        return self.counts[0].reached if self.counts else 0

    @property
    def keepers(self) -> int:
        """Takes kept through the first stage and not dropped since."""
        if len(self.counts) < 2:
            return 0
        later = self.counts[1:]
        return later[0].reached - sum(c.rejected for c in later)

    @property
    def warning(self) -> str:
        if self.takes == 0:
            return "no takes yet"
        if self.keepers <= 0:
            return "no keeper yet"
        if self.hero is None:
            return "no hero yet"
        return ""


def _hero_query() -> Any:
    return (
        select(
            m.Shot.id, m.Take.id, m.Take.name, m.Take.relpath, m.Take.root_id, m.Take.content_hash,
            m.Take.fps_num, m.Take.fps_den, m.Take.frame_count, m.Shot.hero_in, m.Shot.hero_out,
            m.TakeState.rating, m.Take.has_audio,
        )
        .join(m.Take, m.Take.id == m.Shot.hero_take_id)
        .outerjoin(m.TakeState, m.TakeState.take_id == m.Take.id)
    )  # fmt: skip


def heroes(session: Session | Db) -> dict[int, Hero]:
    out: dict[int, Hero] = {}
    roots = local.root_paths(session)
    for r in session.execute(_hero_query()):
        shot, take, name, relpath, root, content_hash, num, den, count, h_in, h_out, rating, audio = r
        count = int(count or 0)
        lo = h_in if h_in is not None else 0
        hi = h_out if h_out is not None else max(0, count - 1)
        out[shot] = Hero(
            take, name, str(Path(roots.get(root, "/")) / relpath), content_hash, f"{num or 24}/{den or 1}",
            count, lo, hi, rating, bool(audio),
        )  # fmt: skip
    return out


def board(session: Session) -> list[ShotRow]:
    """Every shot in board order with its counts per stage, best rating and hero."""
    names = queries.stage_names(session)
    rows = {
        s.id: ShotRow(s.id, s.code, s.title or "", s.description or "", s.sort_order, s.target_frames)
        for s in session.scalars(select(m.Shot).order_by(m.Shot.sort_order, m.Shot.code))
    }
    for row in rows.values():
        row.counts = [queries.StageCount(n) for n in names]
    counted = session.execute(
        select(m.Take.shot_id, m.TakeState.stage_pos, m.TakeState.rejected, func.count(), func.max(m.TakeState.rating))
        .join(m.TakeState, m.TakeState.take_id == m.Take.id)
        .where(m.Take.shot_id.is_not(None))
        .group_by(m.Take.shot_id, m.TakeState.stage_pos, m.TakeState.rejected)
    )  # fmt: skip
    for shot_id, pos, rejected, count, best in counted:
        found = rows.get(shot_id or 0)
        if found is None:
            continue
        row = found
        if best is not None and not rejected and (row.best_rating is None or best > row.best_rating):
            row.best_rating = best
        queries.add_counts(row.counts, pos, rejected, count)
    for shot_id, hero in heroes(session).items():
        if shot_id in rows:
            rows[shot_id].hero = hero
    return list(rows.values())


def candidates(session: Session, shot_code: str) -> list[int]:
    """The takes of a shot that could be its hero (at the last stage, not rejected), best first."""
    all_stages = dec.stages(session)
    last = all_stages[-1].position
    return list(
        session.execute(
            select(m.Take.id)
            .join(m.TakeState, m.TakeState.take_id == m.Take.id)
            .join(m.Shot, m.Shot.id == m.Take.shot_id)
            .where(m.Shot.code == shot_code, m.TakeState.stage_pos >= last, m.TakeState.rejected.is_(False))
            .order_by(m.TakeState.rating.desc().nulls_last(), m.Take.id)
        ).scalars()
    )


# --- editing the board ---------------------------------------------------------------------------

_CODE = re.compile(r"^[^\s/\\][^/\\]{0,99}$")


def _check_code(code: str) -> str:
    code = code.strip()
    if not code or not _CODE.match(code):
        raise KnownError(f"{code!r} is not a shot code: use something like SH010 (no slashes)")
    return code


def create_shot(
    project: Project,
    code: str,
    title: str = "",
    description: str = "",
    target_frames: int | None = None,
    after: str | None = None,
) -> int:
    """A new shot at the end of the board, or right after the shot ``after``."""
    code = _check_code(code)
    with project.session() as session:
        if session.scalar(select(m.Shot.id).where(m.Shot.code == code)) is not None:
            raise KnownError(f"There is a shot {code} already")
        order = _order_after(session, after)
        shot = m.Shot(
            code=code, title=title, description=description, sort_order=order, target_frames=target_frames
        )
        session.add(shot)
        session.flush()
        return shot.id


def _order_after(session: Session, after: str | None) -> int:
    codes = list(session.execute(select(m.Shot.code).order_by(m.Shot.sort_order, m.Shot.code)).scalars())
    if after is None or after not in codes:
        last = session.scalar(select(func.max(m.Shot.sort_order)))
        return (last or 0) + 10
    _renumber(session, codes)
    return (codes.index(after) + 1) * 10 + 5


def _renumber(session: Session, codes: Sequence[str]) -> None:
    for i, code in enumerate(codes):
        session.execute(update(m.Shot).where(m.Shot.code == code).values(sort_order=(i + 1) * 10))


def update_shot(
    project: Project,
    code: str,
    *,
    new_code: str | None = None,
    title: str | None = None,
    description: str | None = None,
    target_frames: int | bool | None = False,
) -> None:
    """Rename a shot or change its title, description or target length (False: leave it)."""
    with project.session() as session:
        shot = session.scalar(select(m.Shot).where(m.Shot.code == code))
        if shot is None:
            raise KnownError(f"No shot {code!r} in this project")
        if new_code is not None and new_code.strip() != code:
            new_code = _check_code(new_code)
            if session.scalar(select(m.Shot.id).where(m.Shot.code == new_code)) is not None:
                raise KnownError(f"There is a shot {new_code} already")
            shot.code = new_code
        if title is not None:
            shot.title = title
        if description is not None:
            shot.description = description
        if target_frames is not False:
            shot.target_frames = None if target_frames is None else int(target_frames)


def move_shot(project: Project, code: str, delta: int) -> None:
    """Move a shot ``delta`` places up (negative) or down the board."""
    with project.session() as session:
        codes = list(session.execute(select(m.Shot.code).order_by(m.Shot.sort_order, m.Shot.code)).scalars())
        if code not in codes:
            raise KnownError(f"No shot {code!r} in this project")
        i = codes.index(code)
        j = max(0, min(len(codes) - 1, i + delta))
        codes.insert(j, codes.pop(i))
        _renumber(session, codes)


def reorder(project: Project, codes: Sequence[str]) -> None:
    """Put the shots in this order (shots not named keep their order, after these)."""
    with project.session() as session:
        current = list(
            session.execute(select(m.Shot.code).order_by(m.Shot.sort_order, m.Shot.code)).scalars()
        )
        unknown = [c for c in codes if c not in current]
        if unknown:
            raise KnownError("No such shots: " + ", ".join(unknown))
        _renumber(session, [*codes, *(c for c in current if c not in codes)])


def delete_shot(project: Project, code: str) -> None:
    """Remove an empty shot from the board (one with takes must have them moved first)."""
    with project.session() as session:
        shot = session.scalar(select(m.Shot).where(m.Shot.code == code))
        if shot is None:
            raise KnownError(f"No shot {code!r} in this project")
        takes = session.scalar(select(func.count()).select_from(m.Take).where(m.Take.shot_id == shot.id)) or 0
        if takes:
            raise KnownError(f"Shot {code} still has {takes} takes; move them to another shot first")
        session.delete(shot)


# --- importing a shot list ----------------------------------------------------------------------

_HEADERS = {
    "code": ("code", "shot", "shot code", "shot_code", "id", "name"),
    "title": ("title", "shot title", "label"),
    "description": ("description", "desc", "action", "notes"),
    "frames": ("frames", "target frames", "target_frames", "length frames", "duration frames"),
    "duration": ("duration", "target duration", "target_duration", "target", "seconds", "length", "dur"),
}


def parse_duration(text: str, fps: float, unit: str = "seconds") -> int | None:
    """A target length in frames from ``96``/``96f`` (frames), ``4``/``4.5s`` (seconds) or ``00:00:04:00``."""
    text = text.strip().lower()
    if not text:
        return None
    if re.fullmatch(r"\d+:\d{1,2}:\d{1,2}[:;]\d{1,2}", text):
        h, mi, s, f = (int(x) for x in re.split(r"[:;]", text))
        return round((h * 3600 + mi * 60 + s) * round(fps)) + f
    if re.fullmatch(r"\d+:\d{1,2}(\.\d+)?", text):
        minutes, seconds = text.split(":")
        return round((int(minutes) * 60 + float(seconds)) * fps)
    if text.endswith("f") and text[:-1].strip().isdigit():
        return int(text[:-1])
    if text.endswith("s"):
        text, unit = text[:-1].strip(), "seconds"
    try:
        value = float(text)
    except ValueError:
        raise KnownError(f"{text!r} is not a duration (use 4.5, 4.5s, 108f or 00:00:04:12)") from None
    if value < 0:
        raise KnownError(f"A duration cannot be negative ({text})")
    return round(value) if unit == "frames" else round(value * fps)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def import_csv(project: Project, path: Path, fps: float = DEFAULT_FPS) -> ImportResult:
    """Shots from a CSV (code, title, description, target duration): new codes are appended in the
    file's order, known codes are updated; the file's order becomes the board's order for its shots.

    The whole file is checked before anything is written: a bad row names its line and writes nothing.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownError(f"Cannot read {path}: {exc}") from exc
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = next(reader, None)
    if not header:
        raise KnownError(f"{path.name} is empty")
    columns: dict[str, int] = {}
    for i, name in enumerate(h.strip().lower() for h in header):
        for key, names in _HEADERS.items():
            if name in names and key not in columns:
                columns[key] = i
    if "code" not in columns:
        raise KnownError(f"{path.name} has no shot code column (its header needs one of: code, shot)")
    wanted: list[tuple[str, str | None, str | None, int | None]] = []
    seen: set[str] = set()
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue

        def cell(key: str, values: list[str] = values) -> str | None:
            i = columns.get(key)
            return values[i].strip() if i is not None and i < len(values) else None

        code = _check_code(cell("code") or "")
        if code in seen:
            raise KnownError(f"{path.name}, line {line}: shot {code} is listed twice")
        seen.add(code)
        try:
            frames_text, duration_text = cell("frames"), cell("duration")
            if frames_text:
                frames = parse_duration(frames_text, fps, "frames")
            elif duration_text:
                frames = parse_duration(duration_text, fps)
            else:
                frames = None
        except KnownError as exc:
            raise KnownError(f"{path.name}, line {line}: {exc}") from None
        wanted.append((code, cell("title"), cell("description"), frames))
    if not wanted:
        raise KnownError(f"{path.name} lists no shots")
    result = ImportResult()
    with project.session() as session:
        existing = {s.code: s for s in session.scalars(select(m.Shot))}
        order = list(session.execute(select(m.Shot.code).order_by(m.Shot.sort_order, m.Shot.code)).scalars())
        for code, title, description, frames in wanted:
            shot = existing.get(code)
            if shot is None:
                shot = m.Shot(code=code, title=title or "", description=description or "", sort_order=0)
                session.add(shot)
                result.created.append(code)
            else:
                result.updated.append(code)
                if title is not None:
                    shot.title = title
                if description is not None:
                    shot.description = description
            if frames is not None:
                shot.target_frames = frames
        session.flush()
        listed = [c for c, *_ in wanted]
        # Listed shots take the file's order, placed where the first of them already stood.
        first = min((order.index(c) for c in listed if c in existing), default=len(order))
        rest = [c for c in order if c not in listed]
        _renumber(session, rest[:first] + listed + rest[first:])
    return result


# --- the cut -------------------------------------------------------------------------------------


@dataclass
class CutItem:
    """One shot of the sequence: its hero's trimmed range, or a gap of the target length."""

    shot_id: int
    code: str
    title: str
    hero: Hero | None
    target_frames: int | None
    record_in: int = 0  # where it starts in the cut, in frames at the cut's rate
    length: int = 0


def cut(session: Session, gap_frames: int = 48) -> list[CutItem]:
    """The heroes of all shots in board order; a shot without one is a gap of its target length."""
    items: list[CutItem] = []
    record = 0
    found = heroes(session)
    for shot in session.scalars(select(m.Shot).order_by(m.Shot.sort_order, m.Shot.code)):
        hero = found.get(shot.id)
        length = hero.frames if hero else (shot.target_frames or gap_frames)
        items.append(CutItem(shot.id, shot.code, shot.title or "", hero, shot.target_frames, record, length))
        record += length
    return items
