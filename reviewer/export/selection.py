"""What a shot list contains: the takes kept at a stage, in shot order, with everything editorial needs.

Until heroes and trims exist (the shots work), a shot list is every take kept at the chosen stage,
shot by shot, each over its whole length. Rows are read with Core queries in large batches (70,000
takes in well under a second), notes in one pass over the log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from opentimelineio import opentime
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.review.decisions import undone_ids
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project

NAMESPACE = "take_reviewer"  # our key in OTIO metadata


@dataclass(frozen=True)
class ClipNote:
    text: str
    frame_in: int
    frame_out: int
    reviewer: str


@dataclass
class Clip:
    take_id: int
    shot: str
    rank: int  # 1-based within its shot
    name: str
    path: Path
    rate: Fraction
    frame_count: int
    first: int  # the in-out range, inclusive frame numbers
    last: int
    width: int
    height: int
    codec: str
    has_audio: bool
    stage: str
    verdict: str
    rating: int | None
    tags: list[str]
    reviewer: str | None
    decided_at: dt.datetime | None
    content_hash: str
    ai_generated: bool
    generator: str
    model: str
    prompt: str
    negative_prompt: str
    seed: str
    params: dict[str, Any]
    provenance_source: str
    notes: list[ClipNote] = field(default_factory=list)

    @property
    def duration(self) -> int:
        return self.last - self.first + 1

    @property
    def fps(self) -> float:
        return float(self.rate)

    def timecode(self, frame: int) -> str:
        """A source frame as timecode at the take's own rate (drop-frame at 29.97 and 59.94)."""
        return timecode(frame, self.rate)

    @property
    def smpte(self) -> bool:
        return has_timecode(self.rate)

    def rate_text(self) -> str:
        return (
            str(self.rate.numerator)
            if self.rate.denominator == 1
            else f"{self.rate.numerator}/{self.rate.denominator}"
        )

    def provenance(self) -> dict[str, Any]:
        return {
            "ai_generated": self.ai_generated,
            "generator": self.generator or None,
            "model": self.model or None,
            "prompt": self.prompt or None,
            "negative_prompt": self.negative_prompt or None,
            "seed": self.seed or None,
            "params": self.params,
            "source": self.provenance_source or None,
            "content_hash": self.content_hash,
        }


def has_timecode(rate: Fraction) -> bool:
    """Whether SMPTE timecode exists at this rate (16 fps, common for generated video, has none)."""
    return bool(opentime.RationalTime.is_valid_timecode_rate(float(rate)))


def timecode(frame: int, rate: Fraction) -> str:
    """HH:MM:SS:FF of a frame number; at rates SMPTE does not know (16, 12, 8 fps), counted at that
    rate rounded to whole frames per second, so that the numbers still say where the frame is."""
    fps = float(rate)
    if has_timecode(rate):
        return str(opentime.to_timecode(opentime.RationalTime(frame, fps), fps))
    base = max(1, round(fps))
    seconds, frames = divmod(frame, base)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"


@dataclass
class Selection:
    project: str
    stage: str
    clips: list[Clip]
    exported_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def rates(self) -> list[Fraction]:
        return sorted({c.rate for c in self.clips})


def stage_position(session: Session, name: str) -> tuple[int, str]:
    stages = list(session.execute(select(m.Stage.position, m.Stage.name).order_by(m.Stage.position)))
    for position, stage in stages:
        if stage.lower() == name.strip().lower():
            return position, stage
    known = ", ".join(s for _, s in stages)
    raise KnownError(f"No stage called {name!r} in this project (stages: {known})")


def select_clips(project: Project, stage: str, take_ids: Sequence[int] | None = None) -> Selection:
    """The takes kept at ``stage`` in shot order (or, with ``take_ids``, those takes in that order)."""
    with project.sessions() as session:
        position, stage_name = stage_position(session, stage)
        ids: list[int]
        if take_ids is None:
            f = queries.TakeFilter(stage=position, status=queries.STATUS_KEPT)
            found: list[Any] = list(session.execute(queries.select_takes(session, f)).scalars())
            ids = [int(t) for t in found]
        else:
            ids = [int(t) for t in take_ids]
        if not ids:
            raise KnownError(f"Nothing to export: no take has been kept at {stage_name} yet")
        clips = _clips(session, ids)
        name = project.setting("name") or (project.path.stem if project.path else "project")
    return Selection(project=str(name), stage=stage_name, clips=clips)


def _clips(session: Session, ids: list[int]) -> list[Clip]:
    stage_names = [n for (n,) in session.execute(select(m.Stage.name).order_by(m.Stage.position))]
    roots = {r.id: Path(r.path) for r in session.execute(select(m.MediaRoot.id, m.MediaRoot.path))}
    reviewers = {r.id: r.name for r in session.execute(select(m.Reviewer.id, m.Reviewer.name))}
    t, s = m.Take, m.TakeState
    columns = (
        t.id, m.Shot.code, t.name, t.root_id, t.relpath, t.fps_num, t.fps_den, t.frame_count, t.width, t.height,
        t.video_codec, t.has_audio, s.stage_pos, s.rejected, s.rating, s.last_reviewer_id, s.decided_at,
        t.content_hash, t.ai_generated, t.generator, t.model, t.prompt, t.negative_prompt, t.seed, t.params,
        t.provenance_source, s.note_count,
    )  # fmt: skip
    by_id: dict[int, Any] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = (
            select(*columns)
            .join(s, s.take_id == t.id)
            .outerjoin(m.Shot, m.Shot.id == t.shot_id)
            .where(t.id.in_(chunk))
        )
        by_id.update({row.id: row for row in session.execute(query)})
    tags: dict[int, list[str]] = queries.tags_of(session, ids)
    with_notes = [i for i in ids if i in by_id and by_id[i].note_count]
    notes = _notes(session, with_notes, reviewers)
    clips: list[Clip] = []
    ranks: dict[str, int] = defaultdict(int)
    for take_id in ids:
        row = by_id.get(take_id)
        if row is None:
            raise KnownError(f"No take {take_id} in this project")
        if not row.fps_num or not row.fps_den:
            raise KnownError(
                f"{row.name} has no frame rate (it could not be probed): re-ingest or leave it out"
            )
        shot = row.code or "(no shot)"
        ranks[shot] += 1
        frames = max(1, int(row.frame_count or 1))
        pos = row.stage_pos
        verdict = "selected" if pos >= len(stage_names) else ("rejected" if row.rejected else "kept")
        stage = stage_names[min(pos, len(stage_names) - 1)]
        clips.append(
            Clip(
                take_id=take_id, shot=shot, rank=ranks[shot], name=row.name,
                path=roots.get(row.root_id, Path("/")) / row.relpath, rate=Fraction(row.fps_num, row.fps_den),
                frame_count=frames, first=0, last=frames - 1, width=row.width, height=row.height,
                codec=row.video_codec, has_audio=bool(row.has_audio), stage=stage, verdict=verdict,
                rating=row.rating, tags=tags.get(take_id, []),
                reviewer=reviewers.get(row.last_reviewer_id) if row.last_reviewer_id else None,
                decided_at=_utc(row.decided_at), content_hash=row.content_hash,
                ai_generated=bool(row.ai_generated), generator=row.generator or "", model=row.model or "",
                prompt=row.prompt or "", negative_prompt=row.negative_prompt or "", seed=row.seed or "",
                params=dict(row.params or {}), provenance_source=row.provenance_source or "",
                notes=notes.get(take_id, []),
            )
        )  # fmt: skip
    return clips


def _notes(session: Session, take_ids: list[int], reviewers: dict[int, str]) -> dict[int, list[ClipNote]]:
    """The notes in effect per take (undone ones left out), clamped to the take's frames later."""
    events: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(take_ids), 5000):
        chunk = take_ids[start : start + 5000]
        found = session.execute(
            select(
                m.Event.id, m.Event.take_id, m.Event.undoes_id, m.Event.note, m.Event.frame_in,
                m.Event.frame_out, m.Event.reviewer_id,
            ).where(m.Event.take_id.in_(chunk)).order_by(m.Event.id)
        )  # fmt: skip
        for row in found:
            events[row.take_id].append(row)
    out: dict[int, list[ClipNote]] = {}
    for take_id, rows in events.items():
        undone = undone_ids(rows)
        out[take_id] = [
            ClipNote(
                text=r.note,
                frame_in=r.frame_in or 0,
                frame_out=r.frame_out if r.frame_out is not None else (r.frame_in or 0),
                reviewer=reviewers.get(r.reviewer_id, ""),
            )
            for r in rows
            if r.note and r.undoes_id is None and r.id not in undone
        ]
    return out


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
