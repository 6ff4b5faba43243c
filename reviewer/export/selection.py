"""What a shot list contains: the takes kept at a stage, in shot order, with everything editorial needs.

A shot list is either every take kept at a chosen stage, shot by shot, each over its whole length
(``select_clips``), or the cut: each shot's hero over its trimmed range (``select_heroes``). Rows are read with Core queries in large batches (70,000
takes in well under a second), notes in one pass over the log.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from opentimelineio import opentime
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.media.credentials import SigningKey
from reviewer.review.decisions import undone_ids
from reviewer.review.shots import cut
from reviewer.store import local, queries
from reviewer.store import models as m
from reviewer.store.db import Project
from reviewer.untrusted import json_value

NAMESPACE = "take_reviewer"  # our key in OTIO metadata
_RISKY_NUMBER = re.compile(r"NaN|Infinity|\d{19}|\d[eE][+-]?\d{3}")  # a scan in C before any walk in Python


@dataclass(frozen=True)
class ClipNote:
    text: str
    frame_in: int
    frame_out: int
    reviewer: str


@dataclass(slots=True)
class Clip:
    take_id: int
    shot: str
    rank: int  # 1-based within its shot
    name: str
    path_text: str
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
    decided_at: str | None  # ISO 8601, UTC
    content_hash: str
    ai_generated: bool | None  # None: unknown (reviewer.store.disclosure)
    ai_basis: str  # the kind of basis: c2pa, c2pa-untrusted, aigc-label, ..., declared, rule, default
    ai_basis_text: str  # the line a reader sees
    ai_made_by: str  # the model or service the evidence names ("" when none)
    ai_source_type: str  # the IPTC digital source type the evidence gives ("" when none)
    generator: str
    model: str
    prompt: str
    negative_prompt: str
    seed: str
    params_raw: dict[str, Any] | str | None  # JSON text as SQLite gives it: parsed when asked for
    provenance_source: str
    notes: list[ClipNote] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.path_text)

    @property
    def params(self) -> dict[str, Any]:
        """The generator's parameters as strict JSON can carry them (ingest stores them so; a project
        written before, or by hand, may hold a NaN or a number no double holds: made text here)."""
        raw = self.params_raw
        if isinstance(raw, str):
            if not raw or raw == "{}":
                return {}
            risky = _RISKY_NUMBER.search(raw) is not None
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = {}
            if risky:
                raw = json_value(raw)
        elif isinstance(raw, dict):
            raw = json_value(raw)
        return dict(raw) if isinstance(raw, dict) else {}

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
            "ai_basis": self.ai_basis,
            "ai_basis_text": self.ai_basis_text,
            "generator": self.generator or None,
            "model": self.model or None,
            "prompt": self.prompt or None,
            "negative_prompt": self.negative_prompt or None,
            "seed": self.seed or None,
            "params": self.params,
            "source": self.provenance_source or None,
            "content_hash": self.content_hash,
        }


@contextmanager
def bulk() -> Iterator[None]:
    """Cyclic garbage collection paused while tens of thousands of rows become objects: none of them
    form cycles, and the collector would walk the growing heap again and again (a tenth of an export)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_DROP_FRAME = (Fraction(30000, 1001), Fraction(60000, 1001))


def has_timecode(rate: Fraction) -> bool:
    """Whether SMPTE timecode exists at this rate (16 fps, common for generated video, has none)."""
    return bool(opentime.RationalTime.is_valid_timecode_rate(float(rate)))


def timecode(frame: int, rate: Fraction) -> str:
    """HH:MM:SS:FF of a frame number (drop-frame at 29.97 and 59.94, from OpenTimelineIO); other rates
    count whole frames per second (23.976 counts 24, as its timecode does; rates SMPTE does not know,
    like 16 fps, count their own), so that the numbers always say where the frame is."""
    return timecoder(rate)(frame)


@functools.lru_cache(maxsize=64)
def timecoder(rate: Fraction) -> Callable[[int], str]:
    """The frame-number-to-timecode function for one rate (made once per rate: exports call it a lot)."""
    fps = float(rate)
    base = max(1, round(rate))
    drop = rate in _DROP_FRAME
    known: dict[int, str] = {}  # takes are short: the same few hundred frame numbers come back

    def counted(frame: int) -> str:
        text = known.get(frame)
        if text is None:
            if drop:
                text = str(opentime.to_timecode(opentime.RationalTime(frame, fps), fps))
            else:
                seconds, frames = divmod(frame, base)
                text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"
            if len(known) < 100_000:
                known[frame] = text
        return text

    return counted


@dataclass(frozen=True)
class Missing:
    """A shot of the cut without a hero: a gap of its target length in the timeline formats."""

    shot: str
    before: int  # the index in ``clips`` of the clip it comes before (``len(clips)``: at the end)
    frames: int  # at the selection's gap rate


HEROES = "Heroes"  # the selection's name when it is the cut rather than a stage


@dataclass
class Selection:
    project: str
    stage: str
    clips: list[Clip]
    exported_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    missing: list[Missing] = field(default_factory=list)
    cut: bool = False  # the heroes over their trims, rather than the takes kept at a stage
    # the project's C2PA signing certificate and key (files it names), for the selects folder's copies
    signing: SigningKey | None = None
    notices: list[str] = field(default_factory=list)  # what an export wants its caller to say

    def rates(self) -> list[Fraction]:
        return sorted({c.rate for c in self.clips})

    def summary(self) -> str:
        """ "12 heroes of 14 shots (SH040, SH090 without one: …)" or "600 takes of 12 shots kept at Selects"."""
        shots = len({c.shot for c in self.clips})
        if not self.cut:
            return f"{len(self.clips)} takes of {shots} shots kept at {self.stage}"
        text = f"{len(self.clips)} heroes of {shots + len(self.missing)} shots"
        if self.missing:
            names = ", ".join(g.shot for g in self.missing[:6]) + (" …" if len(self.missing) > 6 else "")
            text += f" ({names} without one: gaps of their target length in the timeline)"
        return text

    def gap_rate(self) -> Fraction:
        """The rate gaps count in: the rate most of the clips run at (24 if there are none)."""
        counts: dict[Fraction, int] = defaultdict(int)
        for c in self.clips:
            counts[c.rate] += 1
        return max(counts, key=lambda r: counts[r]) if counts else Fraction(24)


def stage_position(session: Session, name: str) -> tuple[int, str]:
    stages = list(session.execute(select(m.Stage.position, m.Stage.name).order_by(m.Stage.position)))
    for position, stage in stages:
        if stage.lower() == name.strip().lower():
            return position, stage
    known = ", ".join(s for _, s in stages)
    raise KnownError(f"No stage called {name!r} in this project (stages: {known})")


def select_clips(project: Project, stage: str, take_ids: Sequence[int] | None = None) -> Selection:
    """The takes kept at ``stage`` in shot order (or, with ``take_ids``, those takes in that order)."""
    with bulk(), project.sessions() as session:
        position, stage_name = stage_position(session, stage)
        if take_ids is None:
            # One query: the filter's joins, conditions and order, with the columns a clip needs.
            f = queries.TakeFilter(stage=position, status=queries.STATUS_KEPT)
            rows = queries.fetch_raw(session, queries.select_takes(session, f).with_only_columns(*_COLUMNS))
        else:
            rows = _rows_of(session, [int(t) for t in take_ids])
        if not rows:
            raise KnownError(f"Nothing to export: no take has been kept at {stage_name} yet")
        clips = _clips(session, rows)
        name = project.setting("name") or (project.path.stem if project.path else "project")
    return Selection(project=str(name), stage=stage_name, clips=clips, signing=signing_key(project))


def select_heroes(project: Project) -> Selection:
    """The cut: each shot's hero over its trimmed range, in board order. Shots without a hero are
    listed in ``missing`` (the timeline formats hold a gap of their target length)."""
    with bulk(), project.sessions() as session:
        items = cut(session)
        heroes = [item for item in items if item.hero is not None]
        if not heroes:
            raise KnownError(
                "Nothing to export: no shot has a hero yet (choose one with H at the last stage, or "
                "`reviewer hero`)"
            )
        clips = _clips(session, _rows_of(session, [item.hero.take_id for item in heroes if item.hero]))
        name = project.setting("name") or (project.path.stem if project.path else "project")
    missing: list[Missing] = []
    placed = 0
    for item in items:
        if item.hero is None:
            missing.append(Missing(item.code, placed, item.length))
            continue
        clip = clips[placed]
        clip.first, clip.last = item.hero.frame_in, min(item.hero.frame_out, clip.frame_count - 1)
        clip.rank, clip.verdict = 1, "hero"
        placed += 1
    return Selection(
        project=str(name), stage=HEROES, clips=clips, missing=missing, cut=True, signing=signing_key(project)
    )


SIGNING_KEY = "c2pa.signing"


def signing_key(project: Project) -> SigningKey | None:
    """The certificate chain and key the project signs its selects with (paths in its settings; the
    key itself is never stored), or None."""
    found = project.setting(SIGNING_KEY)
    if not isinstance(found, dict) or not found.get("certificate") or not found.get("key"):
        return None
    return SigningKey(Path(str(found["certificate"])).expanduser(), Path(str(found["key"])).expanduser())


def _rows_of(session: Session, take_ids: list[int]) -> list[tuple[Any, ...]]:
    """Raw clip rows (``_COLUMNS``) of these takes, in this order."""
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(take_ids), 20_000):
        query = _query().where(m.Take.id.in_(take_ids[start : start + 20_000]))
        found.update({row[0]: row for row in queries.fetch_raw(session, query)})
    absent = [t for t in take_ids if t not in found]
    if absent:
        raise KnownError(f"No take {absent[0]} in this project")
    return [found[t] for t in take_ids]


_T, _S = m.Take, m.TakeState
_COLUMNS = (
    _T.id, m.Shot.code, _T.name, _T.root_id, _T.relpath, _T.fps_num, _T.fps_den, _T.frame_count, _T.width,
    _T.height, _T.video_codec, _T.has_audio, _S.stage_pos, _S.rejected, _S.rating, _S.last_reviewer_id,
    _S.decided_at, _T.content_hash, _T.ai_generated, _T.ai_basis, _T.ai_basis_text, _T.evidence, _T.generator, _T.model, _T.prompt, _T.negative_prompt,
    _T.seed, _T.params, _T.provenance_source, _S.note_count,
)  # fmt: skip


def _query() -> Any:
    return select(*_COLUMNS).join(_S, _S.take_id == _T.id).outerjoin(m.Shot, m.Shot.id == _T.shot_id)


def _clips(session: Session, rows: list[tuple[Any, ...]]) -> list[Clip]:
    """Clips from raw rows (``_COLUMNS``), in their order: shared Fractions, paths as text."""
    stage_names = [n for (n,) in session.execute(select(m.Stage.name).order_by(m.Stage.position))]
    roots = local.root_paths(session)  # as this workstation mounts them
    reviewers = {r.id: r.name for r in session.execute(select(m.Reviewer.id, m.Reviewer.name))}
    ids = [row[0] for row in rows]
    tags: dict[int, list[str]] = queries.tags_of(session, ids)
    notes = _notes(session, [row[0] for row in rows if row[-1]], reviewers)
    rates: dict[tuple[int, int], Fraction] = {}
    # Each root once with its separator: os.path.join per take costs more than the rest of the row.
    prefixes = {k: v if v.endswith(("/", os.sep)) else v + os.sep for k, v in roots.items()}
    last = len(stage_names) - 1
    clips: list[Clip] = []
    ranks: dict[str, int] = defaultdict(int)
    for row in rows:
        (take_id, code, name, root_id, relpath, fps_num, fps_den, frame_count, width, height, codec, audio, pos,
         rejected, rating, reviewer_id, decided_at, content_hash, ai, basis, basis_text, evidence, generator, model,
         prompt, negative, seed, params, source, _notes_count) = row  # fmt: skip
        if not fps_num or not fps_den:
            raise KnownError(f"{name} has no frame rate (it could not be probed): re-ingest or leave it out")
        rate = rates.get((fps_num, fps_den))
        if rate is None:
            rate = rates[(fps_num, fps_den)] = Fraction(fps_num, fps_den)
        shot = code or "(no shot)"
        ranks[shot] += 1
        frames = max(1, int(frame_count or 1))
        verdict = "selected" if pos > last else ("rejected" if rejected else "kept")
        clips.append(
            Clip(
                take_id, shot, ranks[shot], name, prefixes.get(root_id, os.sep) + relpath, rate, frames, 0,
                frames - 1, width, height, codec, bool(audio), stage_names[min(pos, last)], verdict, rating,
                tags.get(take_id, []), reviewers.get(reviewer_id) if reviewer_id else None, _iso(decided_at),
                content_hash, None if ai is None else bool(ai), basis or "default", basis_text or "",
                made_by(ai, evidence, model, generator) if ai else "", source_type(ai, evidence), generator or "", model or "", prompt or "", negative or "", seed or "",
                params, source or "", notes.get(take_id, []),
            )
        )  # fmt: skip
    return clips


def disclosed(ai: bool | None) -> str:
    """yes / no / unknown, as the shot lists write a take's ``ai_generated``."""
    return "unknown" if ai is None else "yes" if ai else "no"


def _evidence(evidence: Any) -> list[Any]:
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except ValueError:
            return []
    return evidence if isinstance(evidence, list) else []


def source_type(ai: Any, evidence: Any) -> str:
    """The digital source type a selects copy's manifest states: the manifest's own, else
    trainedAlgorithmicMedia for a take known to be generated ("" when nothing says)."""
    for item in _evidence(evidence):
        c2pa = item.get("c2pa") if isinstance(item, dict) else None
        if isinstance(c2pa, dict) and c2pa.get("digital_source_types") and item.get("ai") is not None:
            return str(c2pa["digital_source_types"][0])
    return "trainedAlgorithmicMedia" if ai else ""


def made_by(ai: Any, evidence: Any, model: str | None, generator: str | None) -> str:
    """The model (or service) a generated take's evidence names: the generator's model, else the AI
    agent or claim generator of its C2PA manifest, else the generator."""
    if model:
        return model
    for item in _evidence(evidence):
        c2pa = item.get("c2pa") if isinstance(item, dict) else None
        if isinstance(c2pa, dict) and item.get("ai"):
            agents = c2pa.get("agents") or []
            if agents:
                return str(agents[0])
            if c2pa.get("claim_generator"):
                return str(c2pa["claim_generator"])
    return generator or ""


def notes_in_effect(session: Session, take_ids: list[int]) -> dict[int, list[ClipNote]]:
    """The notes in effect per take, with their reviewers' names."""
    reviewers = {row.id: row.name for row in session.execute(select(m.Reviewer.id, m.Reviewer.name))}
    return _notes(session, take_ids, reviewers)


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


def _iso(value: dt.datetime | str | None) -> str | None:
    """A stored UTC time as ISO 8601 with its offset (SQLite gives text without one, PostgreSQL a datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > 10 and value[10] == " " and "+" not in value:  # SQLite: "2026-11-23 07:08:40.123"
            return f"{value[:10]}T{value[11:]}+00:00"
        return value.replace(" ", "T", 1) + ("+00:00" if "+" not in value[10:] else "")
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat()
