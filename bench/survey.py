"""Survey benchmark: sixteen takes playing at once from proxies, beside the same page from the originals.

    python bench/run.py survey [--seconds 60] [--keep DIR]

On generated 1080p H.264 five-second takes (8 Mbit/s, as generators deliver them), proxies made first by
the analysis pass. Printed, each figure beside its baseline in the same run:

- proxy cost: the analysis of each take with its proxy written beside without, as the pass's workers
  run it (target at most 15% more CPU time), and the proxies' size beside the originals' (target at
  most 5%); beside it the whole ``reviewer analyze`` pass, start-up and all, with and without;
- ``survey 4x4:`` the real SurveyView (offscreen Qt, 1600x1000) playing a 4x4 page for ``--seconds``:
  frames dropped over all cells at 24 fps (target 0; 30 and 60 fps reported), page flip from Enter to
  every cell showing its first frame (p95 at most 100 ms; the next page opened in the background while
  the reviewer looks at this one, as the survey does), peak RSS (at most 1 GB); the same page from
  the originals beside it;
- single-take session: key press to the next take playing (first frame painted, clock running) in the
  real PlayerWidget, p95 (target at most 50 ms);
- the throughput model: takes an hour for a reviewer who spends 6 s on a 3x3 page, and the tool's own
  waits as a share of the time (targets at least 3,000 takes/h and under 1%).

Each playing run is a fresh process, so that one run's threads and caches do not weigh on the next.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

SIZE = (1600, 1000)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else values[0]


def _encode(args: tuple[Path, int, int] | tuple[Path, int, int, int, int, int, float]) -> Path:
    """A take as generators deliver them: High profile with CABAC and B-frames (x264 veryfast, not the
    test clips' fast-decode settings, which would make every decode, and so every baseline, cheap).
    ``args``: (path, seed, fps), and optionally width, height, bit rate and film grain (levels)."""
    import av

    from reviewer.media.synth import ClipSpec, render_frames

    path, seed, fps, *rest = args
    width, height, rate = (int(v) for v in rest[:3]) if rest else (1920, 1080, 8_000_000)
    grain = float(rest[3]) if rest else 0.0
    spec = ClipSpec(width=width, height=height, fps=Fraction(fps), frames=fps * 5, seed=seed, grain=grain)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = rate
        stream.options = {"preset": "veryfast", "g": str(2 * fps)}
        for i, rgb in enumerate(render_frames(spec)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# Beside the benchmark's clean 1080p takes (the hardest case for the proxy's share: a synthetic picture
# is cheap to decode): takes with film grain, as real footage carries, and 720p takes, as several
# generators deliver. Their figures are reported, not held against the target.
OTHER_TAKES = {
    "1080p with film grain (2 levels), 8 Mbit/s": (1920, 1080, 8_000_000, 2.0),
    "720p, 5 Mbit/s": (1280, 720, 5_000_000, 0.0),
}


def other_proxy_costs(work: Path, cache: Path, count: int = 4) -> dict[str, float]:
    """The proxy's cost (as ``make_proxies``) on ``count`` distinct takes of each of ``OTHER_TAKES``."""
    from concurrent.futures import ProcessPoolExecutor

    out = {}
    for k, (name, (width, height, rate, grain)) in enumerate(OTHER_TAKES.items()):
        folder = work / f"other{k}"
        folder.mkdir(parents=True, exist_ok=True)
        jobs = [
            (folder / f"take_{i}.mp4", 40 + 10 * k + i, 24, width, height, rate, grain) for i in range(count)
        ]
        paths = [job[0] for job in jobs if job[0].exists()]
        if len(paths) < count:
            with ProcessPoolExecutor() as pool:
                paths = list(pool.map(_encode, jobs))
        cpu0, cpu1, _share = make_proxies(rows_for(paths), cache)
        out[name] = 100 * (cpu1 / cpu0 - 1)
    return out


def make_pages(work: Path, fps: int, takes: int, bases: int) -> list[Path]:
    """``takes`` distinct files (own bytes, own content hash) made from ``bases`` encodes."""
    from concurrent.futures import ProcessPoolExecutor

    from run import _remux  # bench/run.py: a copy with its own bytes (a tag differs), the same video

    folder = work / f"{fps}fps"
    done = sorted(folder.glob("take_*.mp4"))
    if len(done) >= takes:
        return done[:takes]
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor() as pool:
        made = list(pool.map(_encode, [(folder / f"_base{i}.mp4", 11 + i, fps) for i in range(bases)]))
    paths = []
    for i in range(takes):
        dst = folder / f"take_{i:03d}.mp4"
        _remux(made[i % bases], dst, i)
        paths.append(dst)
    for base in made:
        base.unlink()
    return paths


def rows_for(paths: list[Path]) -> list[dict]:
    from reviewer.ingest.hashing import content_hash

    rows = []
    for i, p in enumerate(paths):
        rows.append({"id": i + 1, "path": str(p), "name": p.name, "content_hash": content_hash(p),
                     "width": 1920, "height": 1080, "sar": "1/1", "rotation": 0, "fps": "24/1",
                     "frame_count": 120, "missing": False, "signals": None, "shot": "SH010"})  # fmt: skip
    return rows


def make_proxies(rows: list[dict], cache: Path, timed: bool = True) -> tuple[float, float, float]:
    """Proxies for ``rows`` by the analysis pass's own function, as a pool worker runs it (one decoder
    thread: the pool has a worker per core); (CPU seconds without proxies, with; proxy size share). The
    best of three per take, alternating: the machine is noisy."""
    from reviewer.media import cache as thumbs
    from reviewer.media.analysis import analyze

    cpu = [0.0, 0.0]
    size = original = 0
    for row in rows:
        path = Path(row["path"])
        target = thumbs.proxy_path(row["content_hash"], cache)
        if not timed:
            analyze(path, 120, 10, 72, proxy=target, threads=1)
            continue
        best = [float("inf")] * 2
        for _ in range(3):
            for i, proxy in enumerate((None, target)):
                started = time.process_time()
                analyze(path, 120, 10, 72, proxy=proxy, threads=1)
                best[i] = min(best[i], time.process_time() - started)
        cpu = [cpu[0] + best[0], cpu[1] + best[1]]
        size, original = size + target.stat().st_size, original + path.stat().st_size
    return cpu[0], cpu[1], size / max(1, original)


def pass_cost(paths: list[Path], work: Path) -> tuple[list[float], list[float], list[float], list[float]]:
    """The whole ``reviewer analyze --force`` pass (its pool, start-up and database included) over a
    project of ``paths``, without proxies and with (the proxies deleted first), three times alternating:
    (CPU without, CPU with, wall without, wall with), the CPU of the command and its workers."""
    import resource

    project, cache = work / "pass.trproj", work / "pass-cache"
    shutil.rmtree(cache, ignore_errors=True)
    project.unlink(missing_ok=True)
    folder = paths[0].parent
    env = {**os.environ, "TAKE_REVIEWER_CACHE": str(cache)}
    reviewer = [sys.executable, "-m", "reviewer"]
    subprocess.run([*reviewer, "ingest", str(project), str(folder)], env=env, check=True, capture_output=True)
    cpu: list[list[float]] = [[], []]
    wall: list[list[float]] = [[], []]
    for _ in range(3):
        for i, extra in enumerate((["--no-proxies"], [])):
            shutil.rmtree(cache / "proxies", ignore_errors=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([*reviewer, "analyze", "--force", *extra, str(project)], env=env, check=True,
                           capture_output=True)  # fmt: skip
            wall[i].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[i].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return cpu[0], cpu[1], wall[0], wall[1]


def survey_run(rows_file: Path, seconds: int, proxies: bool) -> None:
    """(internal, a fresh process) A 4x4 page of the real SurveyView played for ``seconds``, then page
    flips between two pages; prints one JSON line."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from reviewer.ui.survey import SurveyView

    data = json.loads(rows_file.read_text())
    pages: list[list[dict]] = data["pages"]
    app = QApplication.instance() or QApplication([])
    view = SurveyView()
    view.size_ = 16
    view.prefer_proxy = proxies
    view.resize(*SIZE)
    view.show()
    app.processEvents()

    def settle(until: float) -> None:
        while time.monotonic() < until:
            app.processEvents()
            time.sleep(0.002)

    def flip(page: list[dict], nxt: list[dict]) -> float:
        """Enter to every cell showing its first frame, painted; then the next page is opened."""
        started = time.perf_counter()
        view.show_page(page)
        while not view.all_showing():
            app.processEvents()
            time.sleep(0.0005)
        view.canvas.repaint()
        took = (time.perf_counter() - started) * 1000
        settle(time.monotonic() + 0.3)  # as the survey does: the next page opens once this one plays
        view.prefetch(nxt)
        return took

    flip(pages[0], pages[1])
    settle(time.monotonic() + 1.0)  # the page is up and playing: count from here
    first = {id(c): (c.engine.status.shown, c.engine.status.dropped) for c in view.cells}
    peak = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        peak = max(peak, _rss_mb())
        time.sleep(0.002)
    shown = sum(c.engine.status.shown - first[id(c)][0] for c in view.cells)
    dropped = sum(c.engine.status.dropped - first[id(c)][1] for c in view.cells)
    flips = []
    for k in range(12):
        settle(time.monotonic() + 1.5)  # the reviewer looks at the page; the next one opens meanwhile
        flips.append(flip(pages[(k + 1) % 2], pages[k % 2]))
        peak = max(peak, _rss_mb())
    view.close_all()
    print(json.dumps({"shown": shown, "dropped": dropped, "flips": flips, "rss": peak}))
    sys.stdout.flush()
    os._exit(0)


def session_run(rows_file: Path) -> None:
    """(internal) The single-take session: key press to the next take playing in the real PlayerWidget."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from reviewer.ui.player import PlayerWidget

    rows = json.loads(rows_file.read_text())["pages"][0]
    app = QApplication.instance() or QApplication([])
    player = PlayerWidget()
    player.resize(1200, 760)
    player.show()
    app.processEvents()
    latencies = []
    for i in range(41):
        row, upcoming = rows[i % len(rows)], [rows[(i + k) % len(rows)] for k in (1, 2)]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(e.ready.is_set() for e in player.engines.values()):
            app.processEvents()
            time.sleep(0.001)
        time.sleep(0.3)  # the reviewer looks at the take on screen
        started = time.perf_counter()
        player.load(row, upcoming)  # what the session does on a verdict: the next take, playing
        player.play_at(1.0, from_start=True)
        engine = player.engine
        assert engine is not None
        while engine.starts == 0 or engine.current is None:
            app.processEvents()
        player.view.repaint()
        if i:
            latencies.append((time.perf_counter() - started) * 1000)
    player.close_all()
    print(json.dumps({"latencies": latencies}))
    sys.stdout.flush()
    os._exit(0)


def _child(*args: str, cache: Path) -> dict:
    env = {**os.environ, "TAKE_REVIEWER_CACHE": str(cache), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("run.py")), *args], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_survey(keep: Path | None, seconds: int) -> None:
    work = keep or Path(tempfile.mkdtemp(prefix="bench-survey-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache"
    os.environ["TAKE_REVIEWER_CACHE"] = str(cache)
    print(f"survey benchmark in {work} ({os.cpu_count()} cores), 1080p H.264 five-second takes at 8 Mbit/s")
    results: dict[int, dict[str, dict]] = {}
    for fps in (24, 30, 60):
        rows = rows_for(make_pages(work, fps, 32, 4))
        if fps == 24:
            from reviewer.media import cpuflags

            cpu0, cpu1, share = make_proxies(rows, cache)
            print(f"  proxy cost: analysis of {len(rows)} takes {cpu0:.1f} s CPU without proxies, {cpu1:.1f} s with: "
                  f"+{100 * (cpu1 / cpu0 - 1):.1f}% (target <= 15%); proxy size {100 * share:.1f}% of the "
                  f"originals (target <= 5%); swscale: {cpuflags.tune().reason}")  # fmt: skip
            others = other_proxy_costs(work, cache)
            print("  proxy cost on other takes (reported): "
                  + ", ".join(f"{name} +{cost:.1f}%" for name, cost in others.items()))  # fmt: skip
            c0, c1, w0, w1 = pass_cost([Path(r["path"]) for r in rows], work)
            print("  the whole `reviewer analyze --force` pass over them (2 workers, start-up included), 3 runs: "
                  + ", ".join(f"+{100 * (b / a - 1):.1f}%" for a, b in zip(c0, c1, strict=True)) + " CPU, "
                  + ", ".join(f"+{100 * (b / a - 1):.1f}%" for a, b in zip(w0, w1, strict=True)) + " wall; "
                  f"best of three: +{100 * (min(c1) / min(c0) - 1):.1f}% CPU, +{100 * (min(w1) / min(w0) - 1):.1f}% "
                  f"wall (the runs without proxies alone differ by up to {100 * (max(c0) / min(c0) - 1):.1f}% CPU)")  # fmt: skip
        else:
            make_proxies(rows, cache, timed=False)
        pages = work / f"pages{fps}.json"
        pages.write_text(json.dumps({"pages": [rows[:16], rows[16:32]]}))
        results[fps] = {
            "proxy": _child("survey-run", str(pages), str(seconds), "1", cache=cache),
            "original": _child("survey-run", str(pages), str(seconds), "0", cache=cache),
        }
        if fps == 24:
            session = _child("session-run", str(pages), cache=cache)
    r24 = results[24]["proxy"]

    def drops(r: dict) -> str:
        return f"{r['dropped']} of {r['dropped'] + r['shown']} dropped ({100 * r['dropped'] / max(1, r['dropped'] + r['shown']):.2f}%)"

    print(
        f"survey 4x4: 24 fps {drops(r24)} (target 0) | 30 fps {drops(results[30]['proxy'])} | 60 fps "
        f"{drops(results[60]['proxy'])} | page flip p95 {p95(r24['flips']):.0f} ms (target <= 100) | "
        f"RSS {r24['rss']:.0f} MB (target <= 1024) || from the originals: 24 fps {drops(results[24]['original'])}, "
        f"flip p95 {p95(results[24]['original']['flips']):.0f} ms, RSS {results[24]['original']['rss']:.0f} MB"
    )
    lat = session["latencies"]
    print(f"  single-take session: key to the next take playing p50 {statistics.median(lat):.1f} ms, "
          f"p95 {p95(lat):.1f} ms (target <= 50)")  # fmt: skip
    look_s, cells = 6.0, 9
    wait_s = p95(r24["flips"]) / 1000
    per_hour = cells * 3600 / (look_s + wait_s)
    print(f"  throughput model: {look_s:.0f} s on a 3x3 page, page flip {wait_s * 1000:.0f} ms (p95): "
          f"{per_hour:,.0f} takes/h (target >= 3,000), the tool's waits {100 * wait_s / (look_s + wait_s):.2f}% "
          "of the time (target < 1%)")  # fmt: skip
    if keep is None:
        shutil.rmtree(work)
