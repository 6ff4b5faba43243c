"""Near-duplicate takes from the analysis pass's perceptual hashes: the same picture re-encoded,
rescaled or re-rendered with the same seed, found across the whole project and folded into stacks.

A take's hashes are eight 64-bit DCT hashes of frames spread over it; two takes' distance is the mean
Hamming distance of those, sample by sample (0: the same pictures; about 32: unrelated).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.store import models as m

NEAR = 8.0  # mean bits apart at most: the same take for a reviewer's purposes
SAMPLES = 8


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per uint64, vectorised."""
    return np.unpackbits(x.view(np.uint8).reshape(*x.shape, 8), axis=-1).sum(axis=-1)


def hash_table(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Take ids and their hashes (n x 8 uint64) for every analysed take."""
    ids, rows = [], []
    for take_id, data in session.execute(select(m.TakeAnalysis.take_id, m.TakeAnalysis.data)):
        hashes = [int(h, 16) for h in (data or {}).get("hashes", [])]
        if len(hashes) == SAMPLES:
            ids.append(take_id)
            rows.append(hashes)
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, SAMPLES), np.uint64)
    return np.asarray(ids, np.int64), np.asarray(rows, np.uint64)


def distances(table: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """The distance from one take's hashes to every row of ``table``."""
    return _popcount(np.bitwise_xor(table, hashes[None, :])).mean(axis=1)


def near_duplicates(session: Session, take_id: int, limit: float = NEAR) -> list[tuple[int, float]]:
    """The other takes within ``limit`` of ``take_id``, nearest first."""
    ids, table = hash_table(session)
    where = np.flatnonzero(ids == take_id)
    if not len(where):
        return []
    d = distances(table, table[where[0]])
    order = np.argsort(d, kind="stable")
    return [(int(ids[k]), float(d[k])) for k in order if ids[k] != take_id and d[k] <= limit]


def stacks(session: Session, limit: float = NEAR) -> list[list[int]]:
    """Groups of near-identical takes (two or more), each in take id order.

    Candidates come from takes sharing a 16-bit band of their middle hash (a close pair almost
    always does), so the work grows with the project rather than with its square; each candidate
    pair is then measured over all eight samples.
    """
    ids, table = hash_table(session)
    n = len(ids)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    middle = table[:, SAMPLES // 2] if n else np.zeros(0, np.uint64)
    for band in range(4):
        buckets: dict[int, list[int]] = defaultdict(list)
        keys = (middle >> np.uint64(16 * band)) & np.uint64(0xFFFF)
        for row, key in enumerate(keys.tolist()):
            buckets[key].append(row)
        for members in buckets.values():
            if len(members) < 2 or len(members) > 500:  # a huge bucket is a flat picture, not a match
                continue
            sub = table[members]
            for i, row in enumerate(members[:-1]):
                d = _popcount(np.bitwise_xor(sub[i + 1 :], sub[i][None, :])).mean(axis=1)
                for j in np.flatnonzero(d <= limit):
                    a, b = find(row), find(members[i + 1 + int(j)])
                    if a != b:
                        parent[b] = a
    groups: dict[int, list[int]] = defaultdict(list)
    for row in range(n):
        groups[find(row)].append(int(ids[row]))
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])
