"""A key press in a team-mode session with the PostgreSQL server far away: the whole key press (P or
X, from the key to the handler's return) on a direct loopback connection beside the same behind a
proxy that adds ``--delay-ms`` to every round trip (half of it each way), in the same run.

    python bench/team_keys.py [--takes 400] [--presses 60] [--delay-ms 50] [--gap-ms 400]

The takes' rows are synthetic (``reviewer.store.synthetic``); the GUI runs offscreen, each case in a
fresh process. Between key presses the window runs its event loop for ``--gap-ms`` (a reviewer looks
at the take), so the background writes of one press are not counted in the next. After the presses,
every decision must be in the database (the bench fails otherwise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL helper and proxy

from tests import pgcluster
from tests.latency import DelayProxy


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def gui(url: str, presses: int, gap_ms: int) -> None:
    """In its own process: open the window, start a session, press P and X, print the times."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import func, select

    from reviewer.store import models as m
    from reviewer.store.db import open_project
    from reviewer.ui.app import application
    from reviewer.ui.project_window import ProjectWindow

    app = application()
    window = ProjectWindow(open_project(url))
    window.analysis.started = True  # the rows have no files: no analysis pass
    window.show()

    def run_for(ms: float) -> None:
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    while not window.listing.complete:
        run_for(10)
    QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    while window.triage.session is None:
        run_for(10)
    run_for(500)
    times = []
    for k in range(presses):
        target = QApplication.focusWidget() or window
        t = time.perf_counter()
        QTest.keyClick(target, Qt.Key.Key_X if k % 3 else Qt.Key.Key_P)
        times.append((time.perf_counter() - t) * 1000)
        run_for(gap_ms)
    deadline = time.perf_counter() + 30
    while getattr(window, "writes_pending", lambda: False)() and time.perf_counter() < deadline:
        run_for(20)
    with window.project.sessions() as session:
        verdicts = session.execute(
            select(func.count()).select_from(m.Event).where(m.Event.verdict.is_not(None))
        ).scalar_one()
    print(f"{pct(times, 50):.1f} {pct(times, 95):.1f} {max(times):.1f} {verdicts}")
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=400)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--gap-ms", type=int, default=400)
    parser.add_argument("--gui", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gui:
        gui(args.gui[0], int(args.gui[1]), int(args.gui[2]))
        return

    from reviewer.store import synthetic
    from reviewer.store.db import open_project

    cluster = pgcluster.start(fsync=True, tcp=True)
    try:
        print(f"team key presses: {args.takes} synthetic takes, {args.presses} presses (P, X, X, ...) in a "
              f"session, {args.gap_ms} ms between them")  # fmt: skip
        results: dict[str, float] = {}
        for label, delay in (
            ("direct loopback", 0.0),
            (f"+{args.delay_ms:g} ms a round trip", args.delay_ms / 2000),
        ):
            url = cluster.create_database()
            project = open_project(url)
            synthetic.fill(project, args.takes, decided=0.0)
            project.close()
            with DelayProxy((cluster.host, cluster.port), delay) as proxy:
                proxied = url.replace(f"port={cluster.port}", f"port={proxy.port}")
                if delay:
                    with open_project(proxied).engine.connect() as conn:
                        conn.exec_driver_sql("SELECT 1").scalar()
                        t = time.perf_counter()
                        conn.exec_driver_sql("SELECT 1").scalar()
                    print(f"  one SELECT 1 through the proxy takes {(time.perf_counter() - t) * 1000:.0f} ms")
                out = subprocess.run(
                    [sys.executable, __file__, "--gui", proxied, str(args.presses), str(args.gap_ms)],
                    capture_output=True, text=True, timeout=1800,
                )  # fmt: skip
            if out.returncode != 0 or not out.stdout.strip():
                raise SystemExit(f"the GUI run failed:\n{out.stderr[-3000:]}")
            p50, p95, worst, verdicts = out.stdout.split()[-4:]
            results[label] = float(p95)
            print(f"  {label}: key press p50 {p50} ms, p95 {p95} ms, max {worst} ms; "
                  f"{verdicts} of {args.presses} verdicts in the database")  # fmt: skip
            if int(verdicts) != args.presses:
                raise SystemExit("decisions were lost")
        direct, far = results.values()
        print(f"  p95 far / p95 direct = {far / max(direct, 0.001):.2f}x (target: p95 under 30 ms far away)")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
