"""Work sharing on both stores: claims never overlap, lapse when not renewed, and come back on release;
five reviewer processes deciding at full speed lose nothing and never share a take."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from reviewer.errors import ProjectError
from reviewer.review import team
from reviewer.review.decisions import Decision, decide
from reviewer.store import db
from reviewer.store import models as m
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes


def test_claims_never_overlap_and_are_given_back(project: Project) -> None:
    ids = add_takes(project, 10)
    anna = team.claim(project, "anna", 0, ids, count=4)
    assert anna == ids[:4]
    ben = team.claim(project, "ben", 0, ids, count=4)
    assert ben == ids[4:8]  # anna's are skipped, not waited for
    assert team.claim(project, "anna", 0, ids, count=4) == ids[:4]  # one's own claim again: the same takes
    held = team.held_by_others(project, "chloe", 0)
    assert sorted(held) == ids[:8] and held[ids[0]].startswith("anna@")
    assert team.lease_counts(project) == {"anna": 4, "ben": 4}

    decide(project, ids[4], Decision(verdict="keep"), reviewer="ben")  # decided: no longer waiting here
    assert team.claim(project, "chloe", 0, ids, count=10) == ids[8:]
    assert team.release(project, "ben") == 4
    assert team.claim(project, "chloe", 0, ids, count=10) == [ids[5], ids[6], ids[7], ids[8], ids[9]]
    assert team.claim(project, "chloe", 1, [ids[4]], count=1) == [ids[4]]  # the kept one, at the next stage


def test_a_lease_that_is_not_renewed_lapses(project: Project) -> None:
    ids = add_takes(project, 3)
    assert team.claim(project, "dead", 0, ids, lease=dt.timedelta(seconds=0.3)) == ids
    assert team.claim(project, "alive", 0, ids) == []
    assert team.renew(project, "dead", ids, lease=dt.timedelta(seconds=0.3)) == 3
    time.sleep(0.5)
    assert team.renew(project, "dead", ids) == 0  # too late: a lapsed lease is not revived
    assert team.claim(project, "alive", 0, ids) == ids


LOAD_CHILD = textwrap.dedent(
    """
    import sys
    from reviewer.review import team
    from reviewer.review.decisions import Decision, decide
    from reviewer.store.db import open_project
    project = open_project(sys.argv[1], create=False)
    me, pool = sys.argv[2], [int(t) for t in sys.argv[3].split(",")]
    while True:
        batch = team.claim(project, me, 0, pool, count=25)
        if not batch:
            break
        print("claimed", *batch, flush=True)
        for take_id in batch:
            decide(project, take_id, Decision(verdict="keep" if take_id % 3 else "reject", rating=take_id % 6),
                   reviewer=me)
            print("decided", take_id, flush=True)
    project.close()
    """
)


def test_five_reviewers_at_full_speed_lose_nothing_and_share_nothing(project: Project) -> None:
    per_reviewer = int(os.environ.get("REVIEWER_LOAD_DECISIONS", "2000"))
    ids = add_takes(project, 5 * per_reviewer)
    pool = ",".join(map(str, ids))
    names = [f"r{k}" for k in range(5)]
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD_CHILD, project.url, name, pool],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    took = time.monotonic() - started
    claimed: Counter[int] = Counter()
    decided: dict[str, list[int]] = {}
    for name, proc, (out, err) in zip(names, procs, outputs, strict=True):
        assert proc.returncode == 0 and err == "", f"{name} failed after {took:.0f} s: {err[-2000:]}"
        lines = [line.split() for line in out.splitlines()]
        claimed.update(int(t) for line in lines if line[0] == "claimed" for t in line[1:])
        decided[name] = [int(line[1]) for line in lines if line[0] == "decided"]
    assert max(claimed.values()) == 1  # no take claimed twice
    assert sorted(claimed) == ids  # and every take claimed once
    assert sorted(t for got in decided.values() for t in got) == ids
    with project.sessions() as session:  # the log holds exactly one decision per take, by its claimer
        events = session.execute(select(m.Event.take_id, m.Reviewer.name).join(m.Reviewer)).all()
        assert sorted(t for t, _ in events) == ids
        by = dict(events)
        assert all(by[t] == name for name, got in decided.items() for t in got)
        kept = session.scalar(select(func.count()).select_from(m.TakeState).where(m.TakeState.stage_pos == 1))
        assert kept == sum(1 for t in ids if t % 3)
    shares = ", ".join(str(len(got)) for got in decided.values())
    print(f"{project.engine.dialect.name}: {len(ids)} decisions by 5 processes ({shares}) in {took:.1f} s")


KILLED_CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from reviewer.review import team
    from reviewer.store.db import open_project
    project = open_project(sys.argv[1], create=False)
    pool = [int(t) for t in sys.argv[2].split(",")]
    batch = team.claim(project, "doomed", 0, pool, count=5, lease=dt.timedelta(seconds=1.5))
    print(*batch, flush=True)
    time.sleep(60)  # killed here, mid-batch, without giving anything back
    """
)


def test_a_workstation_killed_mid_batch_gets_its_takes_back_when_the_lease_lapses(project: Project) -> None:
    ids = add_takes(project, 8)
    with subprocess.Popen([sys.executable, "-c", KILLED_CHILD, project.url, ",".join(map(str, ids))],
                          stdout=subprocess.PIPE, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None
        held = [int(t) for t in proc.stdout.readline().split()]
        proc.kill()
        proc.wait()
    assert held == ids[:5]
    assert team.claim(project, "alive", 0, ids) == ids[5:]  # the dead workstation's takes are still held
    assert sorted(team.held_by_others(project, "alive", 0)) == held
    time.sleep(1.6)
    assert team.claim(project, "alive", 0, ids) == ids  # lapsed: back in the pool


def _hold_write_lock(path: str, seconds: float, started: threading.Event) -> None:
    """Another process's writer, as SQLite sees it: the write lock taken and kept for ``seconds``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture
def busy(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """``hold(seconds)`` locks a fresh SQLite project (one take) from another connection, in a thread;
    SQLite's own busy wait is cut to 50 ms, so only our retry can outlast a lock."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    project = db.open_project(tmp_path / "busy.trproj")
    (take,) = add_takes(project, 1)
    holders: list[threading.Thread] = []

    def hold(seconds: float) -> None:
        started = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(str(project.path), seconds, started))
        holder.start()
        holders.append(holder)
        assert started.wait(5)

    yield project, take, hold
    for holder in holders:
        holder.join()
    project.close()


def _events(project: Project) -> int:
    with project.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(m.Event)) or 0)


def test_a_busy_sqlite_file_is_waited_out_not_reported(busy) -> None:  # type: ignore[no-untyped-def]
    project, take, hold = busy
    hold(0.6)
    began = time.monotonic()
    decide(project, take, Decision(verdict="keep"), reviewer="anna")  # no "database is locked"
    assert time.monotonic() - began >= 0.4  # it did wait for the other writer, past SQLite's own 50 ms
    assert _events(project) == 1


def test_a_file_busy_for_too_long_is_a_clear_error_and_records_nothing(busy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project, take, hold = busy
    monkeypatch.setattr(db, "BUSY_PATIENCE_S", 0.3)
    hold(1.5)
    with pytest.raises(ProjectError, match=r"stayed busy.*nothing was recorded"):
        decide(project, take, Decision(verdict="keep"), reviewer="anna")
    assert _events(project) == 0
