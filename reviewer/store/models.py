"""SQLAlchemy 2 models of a project: its takes, shots, stages, reviewers and the decision log.

The decision log (``Event``) is append-only and the truth; ``TakeState`` and ``TakeTag`` are caches
derived from it per take (see ``reviewer.review.decisions``) so that filters over 70,000 takes are plain
indexed queries. Nothing here is SQLite-specific: dialect-only features (FTS5) live in
``reviewer.store.dialect``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VERDICT_KEEP = "keep"
VERDICT_REJECT = "reject"
VERDICT_CLEAR = "clear"
VERDICTS = (VERDICT_KEEP, VERDICT_REJECT, VERDICT_CLEAR)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time, stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Setting(Base):
    """A project-wide setting, stored as JSON under a key (shot rules, project name, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class MediaRoot(Base):
    """A named folder that take paths are relative to; mapped per workstation in team mode."""

    __tablename__ = "media_roots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(Text)


class Shot(Base):
    """A slot of the storyboard (SH010, SH020, ...), ordered by ``sort_order``."""

    __tablename__ = "shots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0, index=True)
    target_frames: Mapped[int | None] = mapped_column(Integer)
    # The shot's hero (the chosen take) with its trim, derived from the hero events of the log
    # (``reviewer.review.shots``); cleared when the take leaves the shot or is rejected.
    hero_take_id: Mapped[int | None] = mapped_column(
        ForeignKey("takes.id", ondelete="SET NULL", use_alter=True)
    )
    hero_in: Mapped[int | None] = mapped_column(Integer)
    hero_out: Mapped[int | None] = mapped_column(Integer)


class Stage(Base):
    """A step of the funnel. Keep at position p promotes a take to p + 1."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)


class Reviewer(Base):
    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # "defect" for the default taxonomy of generative failures, "free" for the team's own.
    kind: Mapped[str] = mapped_column(String(20), default="free")


class Take(Base):
    """One video file: where it is, what it is (probe) and where it came from (provenance)."""

    __tablename__ = "takes"
    __table_args__ = (
        UniqueConstraint("root_id", "relpath", name="uq_takes_root_relpath"),
        Index("ix_takes_model", "model"),
        Index("ix_takes_shot", "shot_id"),
        Index("ix_takes_hash", "content_hash"),
        Index("ix_takes_has_audio", "has_audio"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("media_roots.id"))
    relpath: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)

    container: Mapped[str] = mapped_column(String(100), default="")
    video_codec: Mapped[str] = mapped_column(String(50), default="")
    codec_profile: Mapped[str] = mapped_column(String(100), default="")
    pix_fmt: Mapped[str] = mapped_column(String(50), default="")
    bit_depth: Mapped[int] = mapped_column(Integer, default=8)
    color_range: Mapped[str] = mapped_column(String(20), default="")
    color_space: Mapped[str] = mapped_column(String(30), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    sar_num: Mapped[int] = mapped_column(Integer, default=1)
    sar_den: Mapped[int] = mapped_column(Integer, default=1)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    fps_num: Mapped[int] = mapped_column(Integer, default=0)
    fps_den: Mapped[int] = mapped_column(Integer, default=1)
    vfr: Mapped[bool] = mapped_column(Boolean, default=False)
    frame_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    start_time_s: Mapped[float] = mapped_column(Float, default=0.0)
    bit_rate: Mapped[int] = mapped_column(BigInteger, default=0)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    audio_codec: Mapped[str] = mapped_column(String(50), default="")
    audio_channels: Mapped[int] = mapped_column(Integer, default=0)
    audio_rate: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the file reads only in part (truncated, damaged packets): what the probe ran into.
    probe_warning: Mapped[str] = mapped_column(Text, default="")

    generator: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(300), default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    # Seeds are up to 2**64 - 1 in ComfyUI: text, not a 64-bit signed integer.
    seed: Mapped[str] = mapped_column(String(40), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    provenance_source: Mapped[str] = mapped_column(String(200), default="")
    # AI disclosure (migration 0008; reviewer.store.disclosure): generated, not, or None for unknown, and
    # on what it rests: the kind of basis, the line a reader sees, what the file itself said (a list of
    # evidence, strongest first) and a reviewer's declaration in effect ({ai, by, why, at} or None)
    ai_generated: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    ai_basis: Mapped[str] = mapped_column(String(30), default="default")
    ai_basis_text: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    declaration: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    shot_id: Mapped[int | None] = mapped_column(ForeignKey("shots.id", ondelete="SET NULL"))
    shot_source: Mapped[str] = mapped_column(String(50), default="")
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    root: Mapped[MediaRoot] = relationship()
    shot: Mapped[Shot | None] = relationship(foreign_keys=[shot_id])
    state: Mapped[TakeState | None] = relationship(back_populates="take", uselist=False)


# An event row's columns besides who, when and which take, as a plain insert must give them: one
# statement inserts many rows only when each has every column.
EVENT_DEFAULTS: dict[str, Any] = {
    "stage_id": None, "verdict": None, "rating": None, "tags_added": [], "tags_removed": [], "note": None,
    "frame_in": None, "frame_out": None, "undoes_id": None, "shot_from_id": None, "shot_to_id": None,
    "hero": None, "hero_shot_id": None, "vote": None, "ai_declared": None,
}  # fmt: skip


class Event(Base):
    """One decision, append-only: verdict at a stage, rating, tags added or removed, a note, a shot move.

    An event with ``undoes_id`` undoes that event (and an undo of an undo is a redo); the current
    state of a take is the fold of its events that are in effect.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_take", "take_id", "id"),
        Index("ix_events_reviewer", "reviewer_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    workstation: Mapped[str] = mapped_column(String(200), default="")
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    verdict: Mapped[str | None] = mapped_column(String(10))
    rating: Mapped[int | None] = mapped_column(Integer)
    tags_added: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags_removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    frame_in: Mapped[int | None] = mapped_column(Integer)
    frame_out: Mapped[int | None] = mapped_column(Integer)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    # a move of the take between shots (migration 0002); the first move keeps where it came from
    shot_from_id: Mapped[int | None] = mapped_column(ForeignKey("shots.id", ondelete="SET NULL"))
    shot_to_id: Mapped[int | None] = mapped_column(ForeignKey("shots.id", ondelete="SET NULL"))
    # hero of a shot (migration 0004): True makes the take the hero of ``hero_shot_id`` with the trim
    # ``frame_in``-``frame_out``, False takes that away
    hero: Mapped[bool | None] = mapped_column(Boolean)
    hero_shot_id: Mapped[int | None] = mapped_column(ForeignKey("shots.id", ondelete="SET NULL"))
    # a blind vote at ``stage_id`` (migration 0006): keep or reject, hidden from the other voters until
    # the stage's votes are revealed; it changes no state (a lead's verdict settles the stage)
    vote: Mapped[str | None] = mapped_column(String(10))
    # how the decision was given (migration 0007): None by the reviewer's own key, "page-rule" by the
    # survey's page rule over the takes left unmarked on a page
    source: Mapped[str | None] = mapped_column(String(20))
    # an AI disclosure declared by a reviewer (migration 0008): "yes", "no", "unknown", or "evidence" to
    # withdraw one; the note says why. With source "rule", a folder rule's declaration for this take.
    ai_declared: Mapped[str | None] = mapped_column(String(10))

    reviewer: Mapped[Reviewer] = relationship()
    stage: Mapped[Stage | None] = relationship()


class TakeState(Base):
    """The current state of a take, derived from its events (a cache, rebuilt on every decision).

    ``stage_pos`` is the position of the stage the take stands at; a take kept at the last stage has
    ``stage_pos == len(stages)`` (selected). ``rejected`` says it was dropped at ``stage_pos``.
    """

    __tablename__ = "take_state"
    __table_args__ = (
        Index("ix_take_state_stage", "stage_pos", "rejected"),
        Index("ix_take_state_rating", "rating"),
        Index("ix_take_state_reviewer", "last_reviewer_id"),
    )

    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"), primary_key=True)
    stage_pos: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    last_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note_count: Mapped[int] = mapped_column(Integer, default=0)
    # Work sharing: a reviewer's session claims the take at a stage until the lease runs out
    # (``reviewer.review.team``). Not decisions: no events, and a lapsed lease is simply free again.
    lease_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    lease_stage: Mapped[int | None] = mapped_column(Integer)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lease_workstation: Mapped[str | None] = mapped_column(String(200))

    take: Mapped[Take] = relationship(back_populates="state")


class TakeAnalysis(Base):
    """The quality signals of a take (``reviewer.media.analysis``), with the version that made them."""

    __tablename__ = "take_analysis"

    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80))  # the bytes it was made from
    analyzed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    broken: Mapped[str] = mapped_column(
        String(100), default="", index=True
    )  # "frozen,cut": the reasons, if any
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class TakeTag(Base):
    """The tags a take carries now (derived from events), indexed both ways for filtering."""

    __tablename__ = "take_tags"
    __table_args__ = (Index("ix_take_tags_tag", "tag_id", "take_id"),)

    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Problem(Base):
    """A file that could not be read, with a one-line reason; removed once it reads."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Family(Base):
    """A prompt family (migration 0009): takes of one generator and model whose prompts are the same but
    for small edits, however many seeds were run (``reviewer.store.lineage``)."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(600), index=True)  # generator and model, lower case
    prompt: Mapped[str] = mapped_column(Text, default="")  # the first take's prompt, normalised
    label: Mapped[str] = mapped_column(Text, default="")  # the first take's prompt as written, shortened


class TakeLineage(Base):
    """Where a take came from among the project's takes (migration 0009): its prompt family and its
    parent, with the basis of that relation ("graph", "retry", "sidecar" or "hand") and what named it.
    A parent named but not (yet) ingested is kept as ``ref`` with no ``parent_id`` and found later."""

    __tablename__ = "take_lineage"

    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"), primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("takes.id", ondelete="SET NULL"), index=True)
    basis: Mapped[str] = mapped_column(String(20), default="")
    ref: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WatchFolder(Base):
    """A folder the project watches for new takes (migration 0009; ``reviewer watch``, the GUI's list)."""

    __tablename__ = "watch_folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    poll: Mapped[bool] = mapped_column(Boolean, default=False)  # network share: no notifications arrive
    added_by: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
