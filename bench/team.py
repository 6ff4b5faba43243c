"""Team-mode benchmark: a decision's round trip on PostgreSQL over loopback TCP beside SQLite, in the
same run, and five reviewer processes deciding at full speed on each.

    python bench/team.py [--decisions 2000] [--processes 5]

Both stores are durable as in use: SQLite with synchronous=FULL, PostgreSQL with fsync and synchronous
commit on (a throwaway cluster of the benchmark's own, reached over 127.0.0.1). A round trip is one
``decide`` call as the GUI makes it on a key press: the event, the derived state, the commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL helper

from reviewer.review import team
from reviewer.review.decisions import Decision, decide
from reviewer.store import synthetic
from reviewer.store.db import open_project
from tests import pgcluster

CHILD = """
import sys, time
from reviewer.review import team
from reviewer.review.decisions import Decision, decide
from reviewer.store.db import open_project
project = open_project(sys.argv[1], create=False)
me, pool = sys.argv[2], [int(t) for t in sys.argv[3].split(",")]
done = 0
while True:  # until the pool is empty: every take decided once, by whoever claimed it
    batch = team.claim(project, me, 0, pool, count=25)
    if not batch:
        break
    for take_id in batch:
        decide(project, take_id, Decision(verdict="keep" if take_id % 3 else "reject"), reviewer=me)
        done += 1
print(done)
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def pending(url: str, count: int) -> list[int]:
    project = open_project(url, create=False)
    from sqlalchemy import select

    from reviewer.store import models as m

    with project.sessions() as session:
        ids = list(
            session.scalars(
                select(m.TakeState.take_id).where(m.TakeState.stage_pos == 0, m.TakeState.rejected.is_(False))
                .order_by(m.TakeState.take_id).limit(count)
            )
        )  # fmt: skip
    project.close()
    return ids


def round_trips(url: str, decisions: int) -> tuple[list[float], list[float]]:
    ids = pending(url, decisions + 200)
    project = open_project(url, create=False)
    times = []
    for take_id in ids[:decisions]:
        started = time.perf_counter()
        decide(project, take_id, Decision(verdict="keep" if take_id % 3 else "reject", rating=take_id % 6),
               reviewer="bench")  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
    claims = []
    rest = ids[decisions:]
    for start in range(0, len(rest), 25):
        started = time.perf_counter()
        team.claim(project, "bench", 0, rest[start : start + 25], count=25)
        claims.append((time.perf_counter() - started) * 1000)
    team.release(project, "bench")
    project.close()
    return times, claims


def crowd(url: str, processes: int, each: int) -> tuple[float, int]:
    pool = ",".join(map(str, pending(url, processes * each)))
    started = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, url, f"r{k}", pool], stdout=subprocess.PIPE, text=True)
        for k in range(processes)
    ]
    done = sum(int(p.communicate()[0].strip() or 0) for p in procs)
    return time.monotonic() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=5)
    args = parser.parse_args()
    takes = args.decisions + 200 + args.processes * args.decisions
    work = Path(tempfile.mkdtemp(prefix="bench-team-"))
    cluster = pgcluster.start(fsync=True, tcp=True)
    print(f"team benchmark ({os.cpu_count()} cores): {args.decisions:,} round trips, then {args.processes} "
          f"processes x {args.decisions:,} decisions, on each store")  # fmt: skip
    try:
        targets = {"SQLite": str(work / "bench.trproj"), "PostgreSQL": cluster.create_database()}
        results = {}
        for name, url in targets.items():
            project = open_project(url)
            synthetic.fill(project, takes, decided=0.0)
            project.close()
            times, claims = round_trips(url, args.decisions)
            took, done = crowd(url, args.processes, args.decisions)
            results[name] = times
            print(f"  {name:10} decision round trip p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms, "
                  f"mean {statistics.fmean(times):.2f} ms; claim of 25 p99 {pct(claims, 99):.2f} ms; "
                  f"{args.processes} processes: {done:,} decisions in {took:.1f} s ({done / took:.0f}/s)")  # fmt: skip
        ratio = pct(results["PostgreSQL"], 99) / pct(results["SQLite"], 99)
        print(f"  PostgreSQL over loopback / SQLite, p99 round trip: {ratio:.2f}x")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
