"""Watch folders: how soon a take written into a watched folder is in the project, beside ``reviewer
ingest`` of the same file in the same run.

    python bench/watch.py [--takes 20] [--burst 200] [--keep DIR]

A ``reviewer watch`` process watches a folder into a fresh project (no analysis: the probe and poster
are what makes a take appear). Then:
- latency: one 1080p H.264 five-second take at a time is written under a temporary name and renamed in
  (as generators and downloads finish a file), and the time from the rename to its row in the project
  is measured (the project read every 20 ms); the baseline is ``reviewer ingest PROJECT FILE`` of the
  same files, one process each, as a user would run it by hand. The target is "within 5 s of the file
  being complete"; an open window shows it within its live poll (about 1 s) after that.
- a live writer: a take encoded frame by frame for about 4 s; it must not be ingested before its writer
  closes it, and the time from the close to its row is measured.
- a burst: ``--burst`` takes renamed in at once; the time until all are in beside ``reviewer ingest`` of
  the same folder into a fresh project.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import make_takes

SLOW_WRITER = """
import sys, time
import av, numpy as np
path = sys.argv[1]
with av.open(path, "w") as out:
    s = out.add_stream("libx264", rate=24, options={"g": "48"})
    s.width, s.height, s.pix_fmt = 1920, 1080, "yuv420p"
    for i in range(96):
        frame = np.full((1080, 1920, 3), (i * 3) % 255, np.uint8)
        for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            out.mux(p)
        time.sleep(0.04)
    for p in s.encode():
        out.mux(p)
"""


def count(project: Path) -> int:
    try:
        with sqlite3.connect(f"file:{project}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("select count(*) from takes").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(project: Path, n: int, timeout: float = 120.0) -> float:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if count(project) >= n:
            return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit(f"only {count(project)} of {n} takes arrived within {timeout:.0f} s")


def reviewer(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer", *args], env=env, capture_output=True, text=True,
                          check=True)  # fmt: skip


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=20, help="takes renamed in one at a time")
    parser.add_argument("--burst", type=int, default=200, help="takes renamed in at once")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated takes in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-watch-"))
    print(f"watch: 1080p H.264 five-second takes in {work} ({os.cpu_count()} cores)")
    takes = sorted((work / "takes").rglob("*.mp4")) if args.keep and (work / "takes").exists() else []
    need = args.takes + args.burst
    if len(takes) != need:
        shutil.rmtree(work / "takes", ignore_errors=True)
        takes = make_takes(work, need)
    for path in takes:
        path.read_bytes()  # the same warm page cache for both contenders
    env = {**os.environ, "TAKE_REVIEWER_CACHE": str(work / "cache")}
    for stale in [work / "watched", work / "burst", *work.glob("*.trproj*")]:
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    watched, project = work / "watched", work / "watch.trproj"
    watched.mkdir()
    watcher = subprocess.Popen([sys.executable, "-m", "reviewer", "watch", str(project), str(watched),
                                "--no-analysis"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(3.0)  # the watcher up
        latencies = []
        for i, take in enumerate(takes[: args.takes]):
            part = watched / f".{take.name}.part"
            shutil.copyfile(take, part)
            started = time.perf_counter()
            os.replace(part, watched / f"one_{i:03}.mp4")
            latencies.append(wait_for(project, i + 1) - started)
        base = []
        for take in takes[: min(args.takes, 10)]:
            started = time.perf_counter()
            reviewer("ingest", str(work / "by_hand.trproj"), str(take), "--no-filmstrips", env=env)
            base.append(time.perf_counter() - started)
        p50, worst = statistics.median(latencies), p95(latencies)
        print(f"  one take renamed in: p50 {p50:.2f} s, p95 {worst:.2f} s, max {max(latencies):.2f} s "
              f"(target: within 5 s: {'met' if worst <= 5 else 'NOT met'}); "
              f"reviewer ingest of one file by hand: p50 {statistics.median(base):.2f} s "
              f"= {p50 / statistics.median(base):.2f}x")  # fmt: skip

        before = count(project)
        writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(watched / "live.mp4")])
        early = False
        while writer.poll() is None:
            early = early or count(project) > before
            time.sleep(0.02)
        closed = time.perf_counter()
        arrived = wait_for(project, before + 1) - closed
        print(f"  a take written live for ~4 s: ingested before it was complete: {'YES' if early else 'no'}; "
              f"{arrived:.2f} s from its writer closing it to its row")  # fmt: skip

        burst_dir = work / "burst"
        for i, take in enumerate(takes[args.takes :]):
            shutil.copyfile(take, watched / f".b{i:04}.part")
        started = time.perf_counter()
        for i in range(args.burst):
            os.replace(watched / f".b{i:04}.part", watched / f"burst_{i:04}.mp4")
        all_in = wait_for(project, before + 1 + args.burst, timeout=600) - started
        burst_dir.mkdir()
        for take in takes[args.takes :]:
            os.link(take, burst_dir / take.name)
        started = time.perf_counter()
        reviewer("ingest", str(work / "burst.trproj"), str(burst_dir), "--no-filmstrips", env=env)
        by_hand = time.perf_counter() - started
        print(f"  a burst of {args.burst}: all in {all_in:.1f} s; reviewer ingest of the same files "
              f"{by_hand:.1f} s = {all_in / by_hand:.2f}x")  # fmt: skip
        total = count(project)
        expected = args.takes + 1 + args.burst
        print(
            f"  takes in the project: {total} of {expected} ({'each once' if total == expected else 'WRONG'})"
        )
    finally:
        watcher.terminate()
        watcher.wait(30)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
