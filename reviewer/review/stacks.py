"""Stacks: takes of one shot that are the same take for a reviewer's purposes, folded under one.

Two takes of a shot stack when they were made by the same model from the same prompt and seed (a
re-render or a re-upload), or when the analysis pass's perceptual hashes find their pictures
near-identical (``duplicates.stacks``: a re-encode, a rescale). The browser shows a stack once, by its
representative, and a verdict given to the representative goes to the whole stack.

Grouping reads the store (a worker's job at 70,000 takes); folding works on the catalogue's arrays and
the rows of the current filter, so it follows every filter, sort and decision at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.review.catalog import Catalog
from reviewer.review.duplicates import stacks as picture_stacks
from reviewer.store import models as m


def find(session: Session) -> list[list[int]]:
    """Groups of two or more take ids that stack (same shot; same model, prompt and seed, or
    near-identical pictures), each in id order, the groups in order of their first id."""
    parent: dict[int, int] = {}

    def root(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]  # halve the path
            a = parent[a]
        return a

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    shot_of: dict[int, int | None] = {}
    same: dict[tuple[int | None, str, str, str], int] = {}
    query = select(m.Take.id, m.Take.shot_id, m.Take.model, m.Take.prompt, m.Take.seed).where(
        m.Take.missing.is_(False)
    )
    for take_id, shot_id, model, prompt, seed in session.execute(query):
        shot_of[take_id] = shot_id
        if not prompt or not seed:  # nothing to say they are the same generation
            continue
        key = (shot_id, model or "", prompt.strip(), str(seed).strip())
        first = same.setdefault(key, take_id)
        if first != take_id:
            join(first, take_id)
    for group in picture_stacks(session):
        by_shot: dict[int | None, list[int]] = defaultdict(list)
        for take_id in group:
            if take_id in shot_of:
                by_shot[shot_of[take_id]].append(take_id)
        for members in by_shot.values():
            for other in members[1:]:
                join(members[0], other)
    groups: dict[int, list[int]] = defaultdict(list)
    for take_id in list(parent):
        groups[root(take_id)].append(take_id)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])


@dataclass
class Stacks:
    """Stack numbers per catalogue row (-1: none), from ``find``'s groups."""

    of_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def build(cls, cat: Catalog, groups: list[list[int]]) -> Stacks:
        of_row = np.full(len(cat.ids), -1, np.int64)
        for number, group in enumerate(groups):
            rows = [cat.row_of[t] for t in group if t in cat.row_of]
            if len(rows) > 1:
                of_row[rows] = number
        return cls(of_row)

    def stack_of(self, cat_row: int) -> int:
        return int(self.of_row[cat_row]) if 0 <= cat_row < len(self.of_row) else -1


@dataclass
class Folded:
    rows: np.ndarray  # the listing with each closed stack shown once
    members: dict[int, list[int]]  # per shown representative (catalogue row): its stack's rows in the listing
    open_members: dict[int, tuple[int, int]]  # per row of an open stack: (place, size), place from 1


def fold(cat: Catalog, stacks: Stacks, rows: np.ndarray, open_stacks: frozenset[int] = frozenset()) -> Folded:
    """``rows`` (catalogue rows in display order) with each stack shown once, by its representative:
    the member with the best rating, then the first in display order. Members the filter leaves out
    are not in the stack here. Stacks in ``open_stacks`` show all their members, marked.

    A stack is split by shot at fold time, so a take moved to another shot leaves its stack at once.
    """
    if len(rows) == 0 or len(stacks.of_row) != len(cat.ids):
        return Folded(rows, {}, {})
    number = stacks.of_row[rows]
    stacked = np.flatnonzero(number >= 0)
    if len(stacked) == 0:
        return Folded(rows, {}, {})
    # Sort the stacked places by (stack, shot, best rating first, display order).
    place = stacked
    key_stack, key_shot = number[place], cat.shot[rows[place]].astype(np.int64)
    rating = cat.rating[rows[place]].astype(np.int64)
    order = np.lexsort((place, -rating, key_shot, key_stack))
    place, key_stack, key_shot = place[order], key_stack[order], key_shot[order]
    starts = np.flatnonzero(np.r_[True, (key_stack[1:] != key_stack[:-1]) | (key_shot[1:] != key_shot[:-1])])
    ends = np.r_[starts[1:], len(place)]
    hide = np.zeros(len(rows), bool)
    members: dict[int, list[int]] = {}
    open_members: dict[int, tuple[int, int]] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < 2:
            continue
        group = np.sort(place[start:end])  # display order
        group_rows = [int(r) for r in rows[group]]
        representative = int(rows[place[start]])
        if int(key_stack[start]) in open_stacks:
            for k, r in enumerate(group_rows, 1):
                open_members[r] = (k, len(group_rows))
            continue
        members[representative] = [representative, *(r for r in group_rows if r != representative)]
        hide[group] = True
        hide[place[start]] = False
    return Folded(rows[~hide], members, open_members)
