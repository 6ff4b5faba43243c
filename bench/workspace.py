"""Workspace benchmark on 70,000 takes: open, filter, decide, memory (offscreen Qt, 2 cores).

    python bench/workspace.py [--takes 70000] [--keep DIR]

The takes' rows are synthetic (``reviewer.store.synthetic``: a month of triage by five reviewers);
the files need not exist for the browser's figures. The GUI runs in a fresh process of its own, so its
memory is the window's and not the generator's. Printed beside each figure: its target from the issue
and, where there is one, a baseline measured in the same process (the same filter done by the store's
SQL query; the bare commit of one row with ``synchronous=FULL``).
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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def make_project(path: Path, takes: int) -> None:
    from reviewer.store import synthetic
    from reviewer.store.db import open_project

    started = time.perf_counter()
    project = open_project(path)
    synthetic.fill(project, takes)
    project.close()
    print(f"  {takes:,} synthetic takes written in {time.perf_counter() - started:.0f} s")


def gui(path: Path) -> None:
    """Runs in its own process: open the window, then filter and decide as a reviewer would."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from reviewer.review.decisions import Decision, decide
    from reviewer.store import queries
    from reviewer.store.db import open_project
    from reviewer.ui.app import application
    from reviewer.ui.project_window import ProjectWindow

    app = application()
    rss_before = rss_mb()
    started = time.perf_counter()
    window = ProjectWindow(open_project(path))
    window.analysis.started = True  # the rows have no files: no analysis pass competing for the cores
    window.resize(1600, 1000)
    window.show()
    while window.model.rowCount() == 0:
        app.processEvents()
    window.repaint()
    first_screen = time.perf_counter() - started
    while not window.listing.complete:
        app.processEvents()
        time.sleep(0.001)
    window.repaint()
    complete = time.perf_counter() - started
    total = len(window.listing.catalog) if window.listing.catalog else 0
    print(f"  open {total:,} takes: first screen painted in {first_screen * 1000:.0f} ms (target <= 1000 ms); "
          f"every take indexed for filters in {complete * 1000:.0f} ms")  # fmt: skip

    filters = [
        queries.TakeFilter(stage=0, status="pending"),
        queries.TakeFilter(stage=0, status="rejected", tags=("flicker",)),
        queries.TakeFilter(shots=("SH050",)),
        queries.TakeFilter(models=("veo-3",), min_rating=3),
        queries.TakeFilter(reviewers=("anna",), stage=1, status="reached"),
        queries.TakeFilter(has_audio=True),
        queries.TakeFilter(),
    ]
    ours, sql = [], []
    window.browser_stack.setCurrentWidget(window.table)
    for _round in range(3):
        for f in filters:
            t = time.perf_counter()
            window.listing.set_filter(f)
            window.table.viewport().repaint()
            ours.append((time.perf_counter() - t) * 1000)
            with window.project.sessions() as session:
                t = time.perf_counter()
                list(session.scalars(queries.select_takes(session, f)))
                sql.append((time.perf_counter() - t) * 1000)
    print(f"  filter change to table painted: p50 {pct(ours, 50):.1f} ms, max {max(ours):.1f} ms (target <= 100 ms); "
          f"baseline, the store's SQL query for the same filters (ids only, no table): p50 {pct(sql, 50):.0f} ms, "
          f"max {max(sql):.0f} ms = {max(sql) / max(ours):.1f}x our worst case")  # fmt: skip

    text_times = []
    for word in ("truck", "golden retriever", "drone", "coffee cup", "rain"):
        t = time.perf_counter()
        window.listing.set_filter(queries.TakeFilter(text=word))
        while window.listing.filter.text != word or word not in window.listing.text_cache:
            app.processEvents()
            time.sleep(0.0005)
        app.processEvents()
        window.table.viewport().repaint()
        text_times.append((time.perf_counter() - t) * 1000)
    print(f"  text search (FTS in a worker) to table painted: p50 {pct(text_times, 50):.0f} ms, "
          f"max {max(text_times):.0f} ms")  # fmt: skip

    # Scroll the whole grid once (tiles painted all the way down), then memory.
    window.browser_stack.setCurrentWidget(window.grid)
    window.listing.set_filter(queries.TakeFilter())
    bar = window.grid.verticalScrollBar()
    for value in range(0, bar.maximum() + 1, max(1, bar.maximum() // 200)):
        bar.setValue(value)
        window.grid.viewport().repaint()
        app.processEvents()
    print(f"  RSS with {total:,} takes loaded, grid scrolled end to end, 25 filters applied: {rss_mb():.0f} MB "
          f"(target <= 600 MB; {rss_before:.0f} MB before the window)")  # fmt: skip

    # Decisions: the commit alone (what makes it durable), then the whole key press in a session.
    window.listing.set_filter(queries.TakeFilter(stage=0, status="pending"))
    ids = window.model.take_ids()
    commits = []
    for take_id in ids[-300:]:
        t = time.perf_counter()
        decide(window.project, take_id, Decision(rating=3), window.reviewer)
        commits.append((time.perf_counter() - t) * 1000)
    window.triage.start()
    presses = []
    for k in range(300):
        target = QApplication.focusWidget() or window
        t = time.perf_counter()
        QTest.keyClick(target, Qt.Key.Key_X if k % 4 else Qt.Key.Key_P)
        presses.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    bare = []
    for k in range(300):
        t = time.perf_counter()
        con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bench', ?)", (str(k),))
        con.commit()
        bare.append((time.perf_counter() - t) * 1000)
    con.close()
    print(f"  decision commit (event + derived state, synchronous=FULL): p50 {pct(commits, 50):.2f} ms, "
          f"p99 {pct(commits, 99):.2f} ms (target p99 <= 5 ms); a bare one-row commit: p50 {pct(bare, 50):.2f} ms, "
          f"p99 {pct(bare, 99):.2f} ms")  # fmt: skip
    print(f"  whole key press in a session (commit, catalogue, repaint, next take, panel): "
          f"p50 {pct(presses, 50):.1f} ms, p99 {pct(presses, 99):.1f} ms")  # fmt: skip
    sys.stdout.flush()
    os._exit(0)  # PySide's teardown at exit is not what is measured


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=70_000)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated project in this folder")
    parser.add_argument("--gui", type=Path, help=argparse.SUPPRESS)  # internal: the measuring process
    args = parser.parse_args()
    if args.gui:
        gui(args.gui)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"synthetic-{args.takes}.trproj"
    print(f"workspace benchmark in {work} ({os.cpu_count()} cores)")
    if not source.exists():
        make_project(source, args.takes)
    path = work / "run.trproj"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # a WAL left by an earlier run must not meet a fresh copy
    shutil.copyfile(source, path)  # every run decides on a fresh copy
    env = {
        **os.environ,
        "TAKE_REVIEWER_CONFIG": str(work / "config"),
        "XDG_CONFIG_HOME": str(work / "config"),
    }
    subprocess.run([sys.executable, __file__, "--gui", str(path)], check=True, env=env)
    for done in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        done.unlink(missing_ok=True)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
