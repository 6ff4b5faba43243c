"""The catalogue: every take of the project as columns in memory, for the browser, bins and the funnel.

It holds what the browser shows, filters and sorts on; the take on screen (path, frame rate,
provenance in full) is read from the store when it becomes current (``queries.take_rows``).

Filtering and sorting 70,000 takes in SQL costs hundreds of milliseconds on these machines (most of it
turning rows into Python objects), so the workspace reads what it shows and filters on once, into
numpy arrays and plain lists (about 40 MB for 70,000 takes), and then filters, sorts and counts in
memory in a few milliseconds. Only the text search runs in SQL (FTS). After a decision, ``refresh``
re-reads the changed takes; nothing here is a second source of truth: the store stays it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.dialect import text_match
from reviewer.untrusted import for_terminal as shown

NO_SHOT = "(no shot)"

# The browser's columns: (key, title). Keys are also the sort keys.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("shot", "Shot"),
    ("name", "Name"),
    ("duration", "Duration"),
    ("resolution", "Resolution"),
    ("codec", "Codec"),
    ("model", "Model"),
    ("seed", "Seed"),
    ("prompt", "Prompt"),
    ("stage", "Stage"),
    ("verdict", "Verdict"),
    ("rating", "Rating"),
    ("tags", "Tags"),
    ("signals", "Looks"),
    ("ai", "AI"),
    ("reviewer", "Reviewer"),
    ("date", "Decided"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
AI_CODES = {"yes": 1, "no": 0, "unknown": -1}


def ai_cell(code: int, basis: str) -> str:
    """The AI column: "AI · c2pa", "not AI · rule", "unknown" (the Take panel says the basis in full)."""
    if code < 0:
        return "unknown" if basis in ("default", "") else f"unknown · {basis}"
    return f"{'AI' if code else 'not AI'} · {basis}"


class Vocabulary:
    """Strings stored once, rows hold their codes (models, codecs, shots, reviewers)."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.codes: dict[str, int] = {}

    def encode(self, values: Iterable[str]) -> np.ndarray:
        """Codes for many values at once (new values join the vocabulary)."""
        items = list(values)
        for value in dict.fromkeys(items):
            if value not in self.codes:
                self.codes[value] = len(self.values)
                self.values.append(value)
        codes = self.codes
        return np.fromiter((codes[v] for v in items), np.int32, len(items))

    def rename(self, old: str, new: str) -> None:
        """Every row holding ``old`` now holds ``new`` (a shot renamed): one entry changes, no row does."""
        code = self.codes.pop(old, None)
        if code is None:
            return
        merged = self.codes.get(new)
        self.values[code] = new
        if merged is None:
            self.codes[new] = code

    def code(self, value: str) -> int:
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found


def _columns() -> tuple[Any, ...]:
    return (
        m.Take.id,
        m.Shot.code,
        m.Take.name,
        m.Take.relpath,
        m.Take.content_hash,
        m.Take.duration_s,
        m.Take.width,
        m.Take.height,
        m.Take.video_codec,
        m.Take.model,
        m.Take.seed,
        m.Take.prompt,
        m.Take.has_audio,
        m.Take.missing,
        m.TakeState.stage_pos,
        m.TakeState.rejected,
        m.TakeState.rating,
        m.TakeState.last_reviewer_id,
        m.TakeState.decided_at,
        m.TakeState.note_count,
        m.TakeAnalysis.broken,
        m.Take.ai_generated,
        m.Take.ai_basis,
    )


@dataclass
class Update:
    """Takes re-read from the store, to be applied to a loaded catalogue (``Catalog.apply``)."""

    take_ids: list[int]
    rows: list[Any]  # ``_base_query`` rows
    tags: dict[int, tuple[str, ...]]
    reviewers: dict[int, str]
    shot_order: dict[str, tuple[int, str]]


def read_shot_order(session: Session | Connection) -> dict[str, tuple[int, str]]:
    """Each shot's place on the board (shots without one after the others, by code)."""
    return {
        code: (order if order is not None else 1_000_000_000, code)
        for code, order in session.execute(select(m.Shot.code, m.Shot.sort_order))
    }


def read_update(session: Session | Connection, take_ids: Iterable[int]) -> Update:
    """Read these takes as the catalogue holds them: only the store is touched, so a worker may do it."""
    wanted = sorted(set(take_ids))
    reviewers = {r.id: r.name for r in session.execute(select(m.Reviewer.id, m.Reviewer.name))}
    shot_order = read_shot_order(session)
    rows: list[Any] = []
    found: dict[int, list[str]] = {}
    tag_query = select(m.TakeTag.take_id, m.Tag.name).join(m.Tag, m.Tag.id == m.TakeTag.tag_id)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        rows += session.execute(_base_query().where(m.Take.id.in_(chunk))).all()
        for take_id, tag in session.execute(tag_query.where(m.TakeTag.take_id.in_(chunk))):
            found.setdefault(take_id, []).append(tag)
    tags = {t: tuple(sorted(names)) for t, names in found.items()}
    return Update(wanted, rows, tags, reviewers, shot_order)


def _base_query() -> Any:
    return (
        select(*_columns())
        .join(m.TakeState, m.TakeState.take_id == m.Take.id)
        .outerjoin(m.Shot, m.Shot.id == m.Take.shot_id)
        .outerjoin(m.TakeAnalysis, m.TakeAnalysis.take_id == m.Take.id)
    )


@dataclass
class Catalog:
    stages: list[str]
    shot_order: dict[str, tuple[int, str]]  # code -> (sort order, code)
    reviewers: dict[int, str]
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    row_of: dict[int, int] = field(default_factory=dict)
    shot: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    shots: Vocabulary = field(default_factory=Vocabulary)
    name: list[str] = field(default_factory=list)
    relpath: list[str] = field(default_factory=list)
    content_hash: list[str] = field(default_factory=list)
    duration: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    width: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    height: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    codec: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    codecs: Vocabulary = field(default_factory=Vocabulary)
    model: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    models: Vocabulary = field(default_factory=Vocabulary)
    seed: list[str] = field(default_factory=list)
    prompt: list[str] = field(default_factory=list)
    has_audio: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    stage_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    rating: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # -1: none
    reviewer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # -1: none
    decided_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # epoch s, nan: never
    note_count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    broken: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # analysis: why it looks broken
    brokens: Vocabulary = field(default_factory=Vocabulary)
    ai: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int8)
    )  # AI disclosure: 1 yes, 0 no, -1 unknown
    ai_basis: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    bases: Vocabulary = field(default_factory=Vocabulary)
    tags: list[tuple[str, ...]] = field(default_factory=list)
    _rank_cache: dict[str, np.ndarray] = field(default_factory=dict)

    # --- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, session: Session | Connection, limit: int | None = None) -> Catalog:
        """Every take of the project (one query for the takes, one for their tags).

        With ``limit``, only the first takes in the browser's default order: the first screen of a big
        project, shown while the whole catalogue loads.
        """
        stage_names = [n for (n,) in session.execute(select(m.Stage.name).order_by(m.Stage.position))]
        shot_order = {
            code: (order if order is not None else 1_000_000_000, code)
            for code, order in session.execute(select(m.Shot.code, m.Shot.sort_order))
        }
        reviewers = {r.id: r.name for r in session.execute(select(m.Reviewer.id, m.Reviewer.name))}
        cat = cls(stages=stage_names, shot_order=shot_order, reviewers=reviewers)
        if limit is None:
            cat._set_rows(queries.fetch_raw(session, _base_query().order_by(m.Take.id)))
            cat._load_tags(session, None)
        else:
            cat._set_rows(_first_rows(session, limit))
            cat._load_tags(session, [int(t) for t in cat.ids])
        cat._rank("default")  # the browser's first order, ready before the first screen
        return cat

    def _set_rows(self, rows: Sequence[Any]) -> None:
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(_columns())
        (ids, shot, name, relpath, chash, duration, width, height, codec, model, seed, prompt, audio,
         missing, pos, rejected, rating, reviewer, decided, notes, broken, ai, basis) = cols  # fmt: skip
        self.ids = np.fromiter(ids, np.int64, n)
        self.row_of = {int(t): i for i, t in enumerate(self.ids)}
        self.shot = self.shots.encode(s or NO_SHOT for s in shot)
        # names as shown: a control or bidi character visible as an escape ("take\u202egpm.mp4" must not
        # read as "take4pm.mpg"); the file itself is found through relpath
        self.name, self.relpath, self.content_hash = [shown(x) for x in name], list(relpath), list(chash)
        self.duration = np.fromiter(duration, np.float64, n)
        self.width = np.fromiter(width, np.int32, n)
        self.height = np.fromiter(height, np.int32, n)
        self.codec = self.codecs.encode(c or "" for c in codec)
        self.model = self.models.encode(x or "" for x in model)
        self.seed, self.prompt = [s or "" for s in seed], [p or "" for p in prompt]
        self.has_audio = np.fromiter(audio, bool, n)
        self.missing = np.fromiter(missing, bool, n)
        self.stage_pos = np.fromiter(pos, np.int16, n)
        self.rejected = np.fromiter(rejected, bool, n)
        self.rating = np.fromiter((-1 if r is None else r for r in rating), np.int8, n)
        self.reviewer = np.fromiter((-1 if r is None else r for r in reviewer), np.int32, n)
        self.decided_at = _epochs(decided)
        self.note_count = np.fromiter(notes, np.int32, n)
        self.broken = self.brokens.encode(b or "" for b in broken)
        self.ai = np.fromiter(
            (-1 if a is None else int(bool(a)) for a in ai), np.int8, n
        )  # 1 yes, 0 no, -1 unknown
        self.ai_basis = self.bases.encode(b or "" for b in basis)
        self.tags = [()] * n
        self._rank_cache.clear()

    def _load_tags(self, session: Session | Connection, take_ids: Sequence[int] | None) -> None:
        q = select(m.TakeTag.take_id, m.Tag.name).join(m.Tag, m.Tag.id == m.TakeTag.tag_id)
        found: dict[int, list[str]] = {}
        if take_ids is None:
            for take_id, tag in session.execute(q):
                found.setdefault(take_id, []).append(tag)
        else:
            for start in range(0, len(take_ids), 5000):
                chunk = list(take_ids[start : start + 5000])
                for take_id, tag in session.execute(q.where(m.TakeTag.take_id.in_(chunk))):
                    found.setdefault(take_id, []).append(tag)
            for take_id in take_ids:
                row = self.row_of.get(take_id)
                if row is not None:
                    self.tags[row] = ()
        for take_id, names in found.items():
            row = self.row_of.get(take_id)
            if row is not None:
                self.tags[row] = tuple(sorted(names))

    def shots_changed(self, session: Session | Connection, renamed: dict[str, str] | None = None) -> None:
        """The shot board changed (order, names): re-read the order, rename codes in place."""
        self.take_shots(read_shot_order(session), renamed)

    def take_shots(
        self, shot_order: dict[str, tuple[int, str]], renamed: dict[str, str] | None = None
    ) -> None:
        """The shot board's order as ``read_shot_order`` read it (in a worker, say); codes renamed in place."""
        for old, new in (renamed or {}).items():
            self.shots.rename(old, new)
        self.shot_order = shot_order
        self._rank_cache.pop("shot", None)
        self._rank_cache.pop("default", None)

    def refresh(self, session: Session | Connection, take_ids: Iterable[int]) -> None:
        """Re-read these takes after decisions or moves (by anyone); new takes mean a full reload."""
        update = read_update(session, take_ids)
        if not self.apply(update):
            fresh = Catalog.load(session)
            self.__dict__.update(fresh.__dict__)

    def apply(self, update: Update, skip: Set[int] = frozenset()) -> bool:
        """Take in what ``read_update`` read (in a worker, say), except for the takes in ``skip``
        (changed here since it was read); False, and nothing changed, if it names a take not loaded
        (the caller reloads)."""
        if any(t not in self.row_of for t in update.take_ids):
            return False
        self.reviewers, self.shot_order = update.reviewers, update.shot_order
        for r in update.rows:
            if r.id in skip:
                continue
            i = self.row_of[r.id]
            self.shot[i] = self.shots.code(r.code or NO_SHOT)
            self.stage_pos[i] = r.stage_pos
            self.rejected[i] = r.rejected
            self.rating[i] = -1 if r.rating is None else r.rating
            self.reviewer[i] = -1 if r.last_reviewer_id is None else r.last_reviewer_id
            self.decided_at[i] = _epoch(r.decided_at)
            self.note_count[i] = r.note_count
            self.missing[i] = r.missing
            self.broken[i] = self.brokens.code(r.broken or "")
            self.ai[i] = -1 if r.ai_generated is None else int(bool(r.ai_generated))
            self.ai_basis[i] = self.bases.code(r.ai_basis or "")
        for take_id in update.take_ids:
            if take_id not in skip:
                self.tags[self.row_of[take_id]] = update.tags.get(take_id, ())
        for key in ("signals", "shot", "default", "tags", "ai"):
            self._rank_cache.pop(key, None)
        return True

    # --- what a row shows ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, take_ids: Iterable[int]) -> np.ndarray:
        return np.fromiter((self.row_of[t] for t in take_ids if t in self.row_of), np.int64)

    def shot_code(self, i: int) -> str | None:
        code = self.shots.values[self.shot[i]]
        return None if code == NO_SHOT else code

    def stage_name(self, i: int) -> str:
        pos = int(self.stage_pos[i])
        return self.stages[min(pos, len(self.stages) - 1)] if self.stages else ""

    def verdict(self, i: int) -> str | None:
        """As ``reviewer takes`` says it: keep past the last stage, reject where it was dropped, else None."""
        if self.stage_pos[i] >= len(self.stages):
            return m.VERDICT_KEEP
        return m.VERDICT_REJECT if self.rejected[i] else None

    def status(self, i: int) -> str:
        """Where the take stands in words: 'Shortlist', 'rejected at Triage', 'selected'."""
        pos = int(self.stage_pos[i])
        if pos >= len(self.stages):
            return "selected"
        if self.rejected[i]:
            return f"rejected at {self.stages[pos]}"
        return f"to review at {self.stages[pos]}" if pos == 0 else f"kept → {self.stages[pos]}"

    def cell(self, i: int, key: str) -> str:
        """The text of one browser cell."""
        if key == "shot":
            return self.shot_code(i) or "—"
        if key == "name":
            return self.name[i]
        if key == "duration":
            return f"{self.duration[i]:.2f} s"
        if key == "resolution":
            return f"{self.width[i]}×{self.height[i]}"
        if key == "codec":
            return self.codecs.values[self.codec[i]]
        if key == "model":
            return self.models.values[self.model[i]]
        if key == "seed":
            return self.seed[i]
        if key == "prompt":
            return self.prompt[i]
        if key == "stage":
            return self.stage_name(i)
        if key == "verdict":
            return self.status(i)
        if key == "rating":
            r = int(self.rating[i])
            return "★" * r + "☆" * (5 - r) if r >= 0 else ""
        if key == "tags":
            return ", ".join(self.tags[i])
        if key == "signals":
            return self.brokens.values[self.broken[i]].replace(",", ", ") if len(self.broken) else ""
        if key == "ai":
            return ai_cell(int(self.ai[i]), self.bases.values[self.ai_basis[i]])
        if key == "reviewer":
            return self.reviewers.get(int(self.reviewer[i]), "")
        if key == "date":
            at = self.decided_at[i]
            if np.isnan(at):
                return ""
            return dt.datetime.fromtimestamp(float(at), dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
        raise KeyError(key)

    # --- filters, sorting, counts ---------------------------------------------------------------

    def mask(self, f: queries.TakeFilter, text_rows: np.ndarray | None = None) -> np.ndarray:
        """Which rows match ``f``; the text part must be given as ``text_rows`` (see ``text_rows``)."""
        keep = np.ones(len(self), bool)
        if f.stage is not None:
            pos, rej = self.stage_pos, self.rejected
            if f.status == queries.STATUS_PENDING:
                keep &= (pos == f.stage) & ~rej
            elif f.status == queries.STATUS_KEPT:
                keep &= pos > f.stage
            elif f.status == queries.STATUS_REJECTED:
                keep &= (pos == f.stage) & rej
            else:
                keep &= pos >= f.stage
        if f.shots:
            codes = [self.shots.codes[s] for s in f.shots if s in self.shots.codes]
            keep &= np.isin(self.shot, codes)
        if f.min_rating is not None:
            keep &= self.rating >= f.min_rating
        for tag in f.tags:
            keep &= np.fromiter((tag in t for t in self.tags), bool, len(self))
        if f.reviewers:
            wanted = [rid for rid, name in self.reviewers.items() if name in set(f.reviewers)]
            keep &= np.isin(self.reviewer, wanted)
        if f.models:
            codes = [self.models.codes[x] for x in f.models if x in self.models.codes]
            keep &= np.isin(self.model, codes)
        if f.has_audio is not None:
            keep &= self.has_audio == f.has_audio
        if not f.include_missing:
            keep &= ~self.missing
        if f.ids:
            keep &= np.isin(self.ids, np.asarray(list(f.ids), np.int64))
        if f.broken:
            codes = [
                code for value, code in self.brokens.codes.items()
                if value and (f.broken == "any" or f.broken in value.split(","))
            ]  # fmt: skip
            keep &= np.isin(self.broken, codes)
        if f.ai:
            keep &= self.ai == AI_CODES.get(f.ai, -1)
        if f.text.strip():
            if text_rows is None:
                raise ValueError("a text filter needs the rows of its text search")
            hit = np.zeros(len(self), bool)
            hit[text_rows] = True
            keep &= hit
        return keep

    def text_rows(self, session: Session, text: str) -> np.ndarray:
        """The rows whose name, prompt or model match ``text`` (SQL full-text search)."""
        found = session.scalars(select(m.Take.id).where(text_match(session, text)))
        return self.rows_of(found)

    def select(
        self,
        f: queries.TakeFilter,
        text_rows: np.ndarray | None = None,
        sort: str = "",
        descending: bool = False,
    ) -> np.ndarray:
        """The matching rows in shot order then path, or sorted by a column (stable, ties in shot order)."""
        rows = np.flatnonzero(self.mask(f, text_rows))
        return self.sort(rows, sort, descending)

    def sort(self, rows: np.ndarray, key: str = "", descending: bool = False) -> np.ndarray:
        default = self._rank("default")
        rows = rows[np.argsort(default[rows], kind="stable")]
        if not key:
            return rows[::-1] if descending else rows
        rank = self._rank(key)
        order = np.argsort(-rank[rows] if descending else rank[rows], kind="stable")
        return rows[order]

    def _rank(self, key: str) -> np.ndarray:
        """A number per row that sorts like the column (strings ranked once and cached)."""
        if key in ("stage", "verdict"):
            # the funnel order: further along first is the higher rank, rejected ones at the bottom of a stage
            return self.stage_pos.astype(np.int64) * 2 + (~self.rejected).astype(np.int64)
        numeric = {
            "duration": self.duration,
            "rating": self.rating,
            "date": np.nan_to_num(self.decided_at, nan=-1.0),
            "resolution": self.width.astype(np.int64) * self.height.astype(np.int64),
        }
        if key in numeric:
            return numeric[key]
        cached = self._rank_cache.get(key)
        if cached is not None:
            return cached
        if key == "default":
            values: list[Any] = [
                (*self.shot_order.get(self.shots.values[s], (1_000_000_000, "")), rel, int(t))
                for s, rel, t in zip(self.shot, self.relpath, self.ids, strict=True)
            ]
        elif key == "shot":
            values = [self.shot_order.get(self.shots.values[s], (1_000_000_000, "~")) for s in self.shot]
        elif key == "seed":
            values = [(len(s), s) for s in self.seed]  # numbers as numbers
        elif key == "tags":
            values = [", ".join(t) for t in self.tags]
        elif key == "signals":
            values = [self.brokens.values[b] or "~" for b in self.broken]
        elif key == "ai":
            values = [(int(a), self.bases.values[b]) for a, b in zip(self.ai, self.ai_basis, strict=True)]
        elif key == "reviewer":
            values = [self.reviewers.get(int(r), "").lower() for r in self.reviewer]
        elif key in ("name", "prompt"):
            values = [s.lower() for s in getattr(self, key)]
        elif key in ("codec", "model"):
            vocab: Vocabulary = getattr(self, key + "s")
            by_value = np.argsort(np.argsort([v.lower() for v in vocab.values]))
            rank = by_value[getattr(self, key)] if len(vocab.values) else np.zeros(len(self), np.int64)
            self._rank_cache[key] = rank
            return rank
        else:
            raise KeyError(key)
        order = sorted(range(len(values)), key=values.__getitem__)
        rank = np.empty(len(values), np.int64)
        rank[order] = np.arange(len(values))
        self._rank_cache[key] = rank
        return rank

    def funnel(self, rows: np.ndarray | None = None) -> queries.Funnel:
        """The funnel counts of ``rows`` (all takes by default), overall and per shot, as the store computes them."""
        pos = self.stage_pos if rows is None else self.stage_pos[rows]
        rej = self.rejected if rows is None else self.rejected[rows]
        shot = self.shot if rows is None else self.shot[rows]
        n_stages = len(self.stages)

        def counts(p: np.ndarray, r: np.ndarray) -> list[queries.StageCount]:
            out = []
            for s, name in enumerate(self.stages):
                at = p == s
                out.append(
                    queries.StageCount(
                        name=name,
                        reached=int((p >= s).sum()),
                        kept=int((p > s).sum()),
                        rejected=int((at & r).sum()),
                        pending=int((at & ~r).sum()),
                    )
                )
            return out

        per_shot: dict[str, list[queries.StageCount]] = {}
        present = sorted(
            {int(c) for c in np.unique(shot)},
            key=lambda c: self.shot_order.get(self.shots.values[c], (1_000_000_000, self.shots.values[c])),
        )
        for code in present:
            sel = shot == code
            per_shot[self.shots.values[code]] = counts(pos[sel], rej[sel])
        return queries.Funnel(
            total=len(pos), stages=counts(pos, rej), selected=int((pos >= n_stages).sum()), per_shot=per_shot
        )


def _first_rows(session: Session | Connection, limit: int) -> list[tuple[Any, ...]]:
    """The first ``limit`` takes in the browser's order, shot by shot through the shots index.

    One sorted query over every take would cost a quarter of a second at 70,000; the first shots'
    takes alone are a few milliseconds.
    """
    rows: list[tuple[Any, ...]] = []
    shots = session.execute(select(m.Shot.id).order_by(m.Shot.sort_order, m.Shot.code)).scalars().all()
    for shot_id in [*shots, None]:
        if len(rows) >= limit:
            break
        where = m.Take.shot_id.is_(None) if shot_id is None else m.Take.shot_id == shot_id
        query = _base_query().where(where).order_by(m.Take.relpath, m.Take.id).limit(limit - len(rows))
        rows += [tuple(r) for r in session.execute(query)]
    return rows


def _epochs(values: Sequence[Any]) -> np.ndarray:
    """Seconds since the epoch (NaN for none) from datetimes or SQLite's UTC text (vectorised)."""
    if all(v is None or isinstance(v, str) for v in values):
        stamps = np.array([v or "NaT" for v in values], dtype="datetime64[us]")
        out = stamps.astype(np.int64).astype(np.float64) / 1e6
        out[np.isnat(stamps)] = np.nan
        return out
    return np.fromiter((_epoch(v) for v in values), np.float64, len(values))


def _epoch(value: dt.datetime | str | None) -> float:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is None:
        return float("nan")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()
