"""Synthetic project rows at production scale, for benchmarks and scale tests.

``fill(project, 70_000)`` writes takes, their states, tags and decision events as a real ingest and a
month of triage would leave them, with no media files behind them (the browser figures do not need
the files). Inserts go through SQLAlchemy Core in large batches; the FTS triggers fire as usual.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update

from reviewer.store import models as m
from reviewer.store.db import Project

MODELS = ("wan2.2-t2v", "ltx-video-0.9.7", "hunyuan-video", "veo-3", "kling-2.1", "cogvideox-5b")
SUBJECTS = ("a red truck", "a woman in a yellow coat", "a golden retriever", "a glass of orange juice",
            "a city street at dusk", "a surfer", "a paper plane", "a robot hand")  # fmt: skip
ACTIONS = ("drives along a coastal road", "turns to the camera", "runs through tall grass",
           "is poured in slow motion", "in the rain", "rides a wave", "glides over rooftops",
           "picks up a coffee cup")  # fmt: skip
FLAWS = ("hands morph", "flicker in the sky", "logo changes shape", "frozen frames", "face drifts",
         "hold a beat longer", "great light, keep")  # fmt: skip
STYLES = ("35mm film, golden hour", "studio lighting, macro", "handheld, documentary",
          "aerial drone shot", "anamorphic, shallow depth of field")  # fmt: skip


def fill(
    project: Project,
    takes: int,
    shots: int = 24,
    seed: int = 7,
    batch: int = 5000,
    decided: float = 0.6,
    keep: float = 0.15,
    funnel: Sequence[float] = (),
    notes: float = 0.0,
) -> None:
    """Add ``takes`` synthetic takes spread over ``shots`` shots: ``decided`` of them have a verdict at
    triage, ``keep`` of those a keep (about 9% kept by default).

    ``funnel`` takes the decided ones further, one share per stage from triage on (``(0.1, 0.2, 0.3)``:
    a tenth kept at triage, a fifth of those at the next stage, and so on; it replaces ``keep``), each
    verdict an event of its own at a later time. ``notes``: the share of takes kept at triage that
    carry a reviewer's note on a range of frames. States are the fold of the events, as a real review
    leaves them."""
    rnd = random.Random(seed)
    shares = tuple(funnel) or (keep,)
    now = dt.datetime.now(dt.UTC)
    with project.session() as session:
        root = m.MediaRoot(name=f"synthetic-{seed}", path="/nonexistent/synthetic")
        session.add(root)
        shot_rows = [m.Shot(code=f"SH{(i + 1) * 10:03d}", sort_order=i) for i in range(shots)]
        session.add_all(shot_rows)
        reviewers = [m.Reviewer(name=n) for n in ("anna", "ben", "chloe", "dev", "emil")]
        session.add_all(reviewers)
        session.flush()
        stage_ids = [s.id for s in session.scalars(select(m.Stage).order_by(m.Stage.position))]
        tag_ids = {t.name: t.id for t in session.scalars(select(m.Tag))}
        first_id = (session.scalar(select(m.Take.id).order_by(m.Take.id.desc()).limit(1)) or 0) + 1
        defect = [name for name in tag_ids if name != "keeper"]
        reviewer_ids = [r.id for r in reviewers]
        for start in range(0, takes, batch):
            take_rows: list[dict[str, Any]] = []
            state_rows: list[dict[str, Any]] = []
            tag_rows: list[dict[str, Any]] = []
            event_rows: list[dict[str, Any]] = []
            for i in range(start, min(takes, start + batch)):
                take_id = first_id + i
                shot = shot_rows[i % shots]
                model = MODELS[rnd.randrange(len(MODELS))]
                prompt = f"{rnd.choice(SUBJECTS)} {rnd.choice(ACTIONS)}, {rnd.choice(STYLES)}"
                take_rows.append({
                    "id": take_id, "root_id": root.id, "relpath": f"{shot.code}/take_{i:06d}.mp4",
                    "name": f"take_{i:06d}.mp4", "content_hash": f"synthetic{seed}-{i:08d}",
                    "size": 4_000_000 + i, "mtime": 0.0, "container": "mov,mp4,m4a,3gp,3g2,mj2",
                    "video_codec": "h264", "pix_fmt": "yuv420p", "width": 1920, "height": 1080,
                    "fps_num": 24, "fps_den": 1, "frame_count": 121, "duration_s": 121 / 24,
                    "has_audio": i % 5 == 0, "generator": "ComfyUI", "model": model, "prompt": prompt,
                    "seed": str(rnd.randrange(2**32)), "params": {"steps": 30, "cfg": 6.0},
                    "provenance_source": "synthetic", "shot_id": shot.id, "shot_source": "folder",
                    "ingested_at": now, "updated_at": now,
                })  # fmt: skip
                is_decided = rnd.random() < decided
                state: dict[str, Any] = {"take_id": take_id, "stage_pos": 0, "rejected": False, "rating": None,
                         "last_reviewer_id": None, "decided_at": None, "note_count": 0}  # fmt: skip
                if is_decided:
                    events, tags = _review(rnd, take_id, shares, stage_ids, reviewer_ids, defect,
                                           now, notes, state)  # fmt: skip
                    event_rows += events
                    tag_rows += ({"take_id": take_id, "tag_id": tag_ids[tag]} for tag in tags)
                state_rows.append(state)
            session.execute(insert(m.Take), take_rows)
            session.execute(insert(m.TakeState), state_rows)
            if tag_rows:
                session.execute(insert(m.TakeTag), tag_rows)
            if event_rows:
                session.execute(insert(m.Event), event_rows)
        latest = select(func.max(m.Event.id)).where(m.Event.take_id == m.TakeState.take_id).scalar_subquery()
        session.execute(
            update(m.TakeState).where(m.TakeState.take_id >= first_id).values(last_event_id=latest)
        )


def _review(
    rnd: random.Random, take_id: int, shares: tuple[float, ...], stage_ids: list[int], reviewers: list[int],
    defects: list[str], now: dt.datetime, notes: float, state: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[str]]:  # fmt: skip
    """One take through the funnel: a verdict event per stage until a reject (or the end), a defect tag
    on half the rejects, a note on ``notes`` of the takes kept at triage; ``state`` becomes their fold.
    The events, and the tags the take ends with."""
    events: list[dict[str, Any]] = []
    tags: list[str] = []
    at: dt.datetime | None = None
    for level, share in enumerate(shares):
        who = reviewers[rnd.randrange(len(reviewers))]
        kept = rnd.random() < share
        if at is None:
            at = now - dt.timedelta(seconds=rnd.randrange(30 * 86400))
        else:  # the next stage's review, hours or days later
            at += dt.timedelta(hours=1 + rnd.randrange(48))
        state.update(stage_pos=level + kept, rejected=not kept, last_reviewer_id=who, decided_at=at)
        event = {**m.EVENT_DEFAULTS, "take_id": take_id, "reviewer_id": who, "at": at, "workstation": "ws",
                 "stage_id": stage_ids[level], "verdict": m.VERDICT_KEEP if kept else m.VERDICT_REJECT}  # fmt: skip
        if kept and level == 0:
            state["rating"] = event["rating"] = rnd.randrange(1, 6)
        elif not kept and rnd.random() < 0.5:
            tags.append(defects[rnd.randrange(len(defects))])
            event["tags_added"] = tags[-1:]
        events.append(event)
        if kept and level == 0 and notes and rnd.random() < notes:
            first = rnd.randrange(100)
            at += dt.timedelta(seconds=20)
            events.append({**m.EVENT_DEFAULTS, "take_id": take_id, "reviewer_id": who, "at": at,
                           "workstation": "ws", "note": f"{rnd.choice(FLAWS)} from f{first}", "frame_in": first,
                           "frame_out": first + rnd.randrange(20)})  # fmt: skip
            state.update(note_count=1, decided_at=at)
        if not kept:
            break
    return events, tags
