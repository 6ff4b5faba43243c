"""Lineage: which prompt family a take belongs to, and which take it was made from.

A **family** is the takes of one generator and model whose prompts are the same but for small edits
(word for word, after case and punctuation are set aside, at least ``SIMILAR`` alike), however many
seeds were run: the unit a team learns from ("this prompt breaks the hands"). A take's family is fixed
when it is first stored; a new family starts with the first take whose prompt is like no other's.

A **parent** is the take another was made from, with the basis it rests on, strongest first:
"hand" (a reviewer set it), "retry" (our retry list's file-name prefix ``tr<id>-`` or its metadata,
``reviewer.ingest.retry``), "sidecar" (a ``parent`` field) and "graph" (a ComfyUI loader node naming
another take's file or its first frame: image-to-video, extend, video-to-video). A parent named but not
ingested yet is kept by name and found by a later update.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.store import models as m

SIMILAR = 0.8  # word-level likeness of two prompts for one family
BASES = ("hand", "retry", "sidecar", "graph")  # strongest first
RETRY_PREFIX = re.compile(r"^tr(\d+)-")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FRAME_SUFFIX = re.compile(r"^[ _.-]*(?:first|last|start|end|frame|f)?[ _.-]*\d{0,6}[ _.-]*$", re.I)


def prompt_words(prompt: str) -> list[str]:
    return _WORD.findall(prompt.lower())[:400]


def family_key(generator: str, model: str) -> str:
    return f"{generator.strip().lower()}|{model.strip().lower()}"[:600]


def alike(a: Sequence[str], b: Sequence[str]) -> bool:
    """Two prompts (as words) are one family's: the same, or the same but for small edits."""
    if list(a) == list(b):
        return True
    if not a or not b or min(len(a), len(b)) / max(len(a), len(b)) < SIMILAR - 0.2:
        return False
    sa, sb = set(a), set(b)
    if len(sa & sb) / len(sa | sb) < 0.5:
        return False
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).ratio() >= SIMILAR


@dataclass
class _Families:
    """The families of the keys in play: exact prompts first (most takes are seeds of one prompt)."""

    session: Session
    exact: dict[tuple[str, str], int]
    by_key: dict[str, list[tuple[int, list[str]]]]

    @classmethod
    def load(cls, session: Session, keys: Iterable[str]) -> _Families:
        exact: dict[tuple[str, str], int] = {}
        by_key: dict[str, list[tuple[int, list[str]]]] = {}
        keys = list(set(keys))
        for start in range(0, len(keys), 500):
            for fid, key, prompt in session.execute(
                select(m.Family.id, m.Family.key, m.Family.prompt).where(
                    m.Family.key.in_(keys[start : start + 500])
                )
            ):
                exact[(key, prompt)] = fid
                by_key.setdefault(key, []).append((fid, prompt.split(" ") if prompt else []))
        return cls(session, exact, by_key)

    def of(self, generator: str, model: str, prompt: str) -> int | None:
        words = prompt_words(prompt)
        if not words:
            return None  # no prompt: a camera clip, or a take whose metadata was not read
        key, normal = family_key(generator, model), " ".join(words)
        found = self.exact.get((key, normal))
        if found is None:
            for fid, other in self.by_key.get(key, []):
                if alike(words, other):
                    found = fid
                    break
        if found is None:
            label = " ".join(prompt.split())
            family = m.Family(key=key, prompt=normal, label=label[:200] + ("…" if len(label) > 200 else ""))
            self.session.add(family)
            self.session.flush()
            found = family.id
            self.by_key.setdefault(key, []).append((found, words))
        self.exact[(key, normal)] = found
        return found


def _stem(name: str) -> str:
    return PurePosixPath(name).stem


class _Names:
    """Every take's file name, content hash and id, to find the take a reference names."""

    def __init__(self, session: Session, only: Sequence[int] | None = None) -> None:
        self.names: dict[str, list[int]] = {}
        self.stems: dict[str, list[int]] = {}
        self.hashes: dict[str, int] = {}
        self.ids: set[int] = set()
        query = select(m.Take.id, m.Take.name, m.Take.content_hash)
        rows = (
            session.execute(query)
            if only is None
            else [
                r
                for k in range(0, len(only), 2000)
                for r in session.execute(query.where(m.Take.id.in_(only[k : k + 2000])))
            ]
        )
        for tid, name, digest in rows:
            self.ids.add(tid)
            self.names.setdefault(name.lower(), []).append(tid)
            self.stems.setdefault(_stem(name).lower(), []).append(tid)
            self.hashes.setdefault(digest, tid)

    def find(self, ref: str, exclude: int) -> int | None:
        """The one take ``ref`` names: an id, a content hash, a file name, or a frame of it (a first-frame
        PNG ``name_first.png``, ``name_00000.png``); None when none does, or several do."""
        found = self.matches(ref, exclude)
        return found[0] if len(found) == 1 else None

    def matches(self, ref: str, exclude: int) -> list[int]:
        """Every take ``ref`` may name (see ``find``)."""
        ref = ref.strip()
        if ref.isdigit():
            tid = int(ref)
            return [tid] if tid in self.ids and tid != exclude else []
        if ref in self.hashes:
            return [self.hashes[ref]] if self.hashes[ref] != exclude else []
        name = PurePosixPath(ref.replace("\\", "/")).name.lower()
        found = [t for t in self.names.get(name, []) if t != exclude]
        if not found:
            stem = _stem(name)
            found = [t for t in self.stems.get(stem, []) if t != exclude]
            cut = len(stem)
            while not found and cut > 3:
                cut -= 1
                if stem[cut] in " _.-" and _FRAME_SUFFIX.match(stem[cut:]):
                    found = [t for t in self.stems.get(stem[:cut], []) if t != exclude]
                    found = found or [t for t in self.stems.get(stem[: cut + 1], []) if t != exclude]
        return found


class _LazyNames:
    """The index of names, read only when some take names a parent."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.names: _Names | None = None

    def find(self, ref: str, exclude: int) -> int | None:
        if self.names is None:
            self.names = _Names(self.session)
        return self.names.find(ref, exclude)


def parent_refs(take: m.Take) -> list[tuple[str, str]]:
    """What the take's own file says about its parent, as (basis, reference), strongest first."""
    params: dict[str, Any] = take.params if isinstance(take.params, dict) else {}
    refs: list[tuple[str, str]] = []
    retry = params.get("retry_of")
    if isinstance(retry, dict):
        for key in ("parent_hash", "parent"):
            if retry.get(key) not in (None, ""):
                refs.append(("retry", str(retry[key])))
    match = RETRY_PREFIX.match(take.name)
    if match:
        refs.append(("retry", match[1]))
    if isinstance(params.get("parent"), str | int) and str(params["parent"]).strip():
        refs.append(("sidecar", str(params["parent"])))
    loads = params.get("loads")
    for ref in loads if isinstance(loads, list) else []:
        if isinstance(ref, str):
            refs.append(("graph", ref))
    return refs


def update(session: Session, take_ids: Iterable[int] | None = None, *, backfill: bool = True) -> int:
    """Work out the family and parent of the given takes (stored anew), of every take without either yet
    (unless not ``backfill``), and find the parents named but not found before. Returns how many takes'
    lineage changed. A project of 70,000 takes from before lineage takes about 7 s once; after that an
    ingest's update takes a few hundredths of a second."""
    again = set(take_ids or ())
    unknown: Iterable[int] = (
        session.scalars(
            select(m.Take.id)
            .outerjoin(m.TakeLineage, m.TakeLineage.take_id == m.Take.id)
            .where(m.TakeLineage.take_id.is_(None))
        )
        if backfill
        else ()
    )
    ids = sorted(again | set(unknown))
    waiting = list(
        session.scalars(
            select(m.TakeLineage).where(
                m.TakeLineage.parent_id.is_(None), m.TakeLineage.ref != "", m.TakeLineage.basis != "hand"
            )
        )
    )
    if not ids and not waiting:
        return 0
    todo: list[m.Take] = []
    rows: dict[int, m.TakeLineage] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        todo += session.scalars(select(m.Take).where(m.Take.id.in_(chunk)))
        rows.update(
            {
                r.take_id: r
                for r in session.scalars(select(m.TakeLineage).where(m.TakeLineage.take_id.in_(chunk)))
            }
        )
    families = _Families.load(session, [family_key(t.generator, t.model) for t in todo])
    names = _LazyNames(session)
    changed = 0
    for take in todo:
        row = rows.get(take.id)
        if row is None:
            row = rows[take.id] = m.TakeLineage(take_id=take.id, basis="", ref="", set_by="")
            session.add(row)
        family = families.of(take.generator, take.model, take.prompt)
        before = (row.family_id, row.parent_id, row.basis, row.ref)
        row.family_id = family
        if row.basis != "hand":
            _resolve(row, parent_refs(take), names)
        changed += before != (row.family_id, row.parent_id, row.basis, row.ref)
    waiting = [row for row in waiting if row.take_id not in rows]
    if take_ids is not None and waiting:
        # a parent named before it came can only be one of the takes stored now: only the references
        # that may name one of them are looked at again (an ingest of a few takes into 70,000 stays quick)
        arrived = _Names(session, ids)
        waiting = [row for row in waiting if arrived.matches(row.ref, row.take_id)]
    by_id = {
        t.id: t for t in session.scalars(select(m.Take).where(m.Take.id.in_([r.take_id for r in waiting])))
    }
    for row in waiting:
        if row.take_id in by_id:
            was = (row.parent_id, row.basis, row.ref)
            _resolve(row, parent_refs(by_id[row.take_id]), names)
            changed += was != (row.parent_id, row.basis, row.ref)
    session.flush()
    return changed


def _resolve(row: m.TakeLineage, refs: list[tuple[str, str]], names: _Names | _LazyNames) -> None:
    """The strongest reference that names a take becomes the parent; else the strongest is kept to find
    later (a retry's output can arrive before its parent was ingested)."""
    for basis, ref in refs:
        parent = names.find(ref, row.take_id)
        if parent is not None:
            row.parent_id, row.basis, row.ref = parent, basis, ref[:1000]
            return
    row.parent_id = None
    row.basis, row.ref = (refs[0][0], refs[0][1][:1000]) if refs else ("", "")


def set_parent(session: Session, take_id: int, parent_id: int | None, by: str) -> None:
    """A parent set (or cleared, with None) by hand: it stands over what the files say."""
    if parent_id == take_id:
        raise ValueError("a take cannot be its own parent")
    if parent_id is not None and take_id in ancestors(session, parent_id):
        raise ValueError("that take descends from this one")
    row = session.get(m.TakeLineage, take_id)
    if row is None:
        update(session, [take_id])
        row = session.get(m.TakeLineage, take_id)
        assert row is not None
    if parent_id is None:
        row.basis, row.ref, row.parent_id, row.set_by = "", "", None, by
        take = session.get(m.Take, take_id)
        if take is not None:
            _resolve(row, parent_refs(take), _Names(session))
    else:
        row.parent_id, row.basis, row.ref, row.set_by = parent_id, "hand", str(parent_id), by
    row.at = m.utcnow()
    session.flush()


def ancestors(session: Session, take_id: int, limit: int = 100) -> list[int]:
    """The take's parent, its parent's parent, and so on (nearest first)."""
    out: list[int] = []
    current: int | None = take_id
    while current is not None and len(out) < limit:
        current = session.scalar(select(m.TakeLineage.parent_id).where(m.TakeLineage.take_id == current))
        if current is None or current in out or current == take_id:
            break
        out.append(current)
    return out


def missing(session: Session) -> bool:
    """Whether some take has no lineage worked out yet (a project from before lineage)."""
    return (
        session.scalar(
            select(m.Take.id)
            .outerjoin(m.TakeLineage, m.TakeLineage.take_id == m.Take.id)
            .where(m.TakeLineage.take_id.is_(None))
            .limit(1)
        )
        is not None
    )


def backfill_all(project: Any) -> int:
    """(a worker) The lineage of every take without one, in one transaction."""
    with project.session() as session:
        return update(session)


def lineage_of(session: Session, take_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``takes --json``'s ``parent`` and ``family`` per take: {parent: {id, basis, ref} | None,
    family: {id, label, size} | None}."""
    out: dict[int, dict[str, Any]] = {}
    rows: dict[int, m.TakeLineage] = {}
    for start in range(0, len(take_ids), 2000):
        chunk = list(take_ids[start : start + 2000])
        rows.update(
            {
                r.take_id: r
                for r in session.scalars(select(m.TakeLineage).where(m.TakeLineage.take_id.in_(chunk)))
            }
        )
    family_ids = {r.family_id for r in rows.values() if r.family_id is not None}
    sizes: dict[int, int] = {}
    labels: dict[int, str] = {}
    if family_ids:
        for fid, n in session.execute(
            select(m.TakeLineage.family_id, func.count())
            .where(m.TakeLineage.family_id.in_(family_ids))
            .group_by(m.TakeLineage.family_id)
        ):
            if fid is not None:
                sizes[fid] = n
        labels = {
            fid: label
            for fid, label in session.execute(
                select(m.Family.id, m.Family.label).where(m.Family.id.in_(family_ids))
            )
        }
    for tid in take_ids:
        row = rows.get(tid)
        parent = None
        family = None
        if row is not None:
            if row.parent_id is not None:
                parent = {"id": row.parent_id, "basis": row.basis, "ref": row.ref}
            elif row.ref:
                parent = {"id": None, "basis": row.basis, "ref": row.ref}  # named, not in the project
            if row.family_id is not None:
                family = {
                    "id": row.family_id,
                    "label": labels.get(row.family_id, ""),
                    "size": sizes.get(row.family_id, 1),
                }
        out[tid] = {"parent": parent, "family": family}
    return out
