"""Watch folders: real files written by real processes are ingested once, when complete, and only once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reviewer.ingest import watch
from reviewer.media import cache
from reviewer.store import models as m
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place

# A generator writing its MP4 frame by frame, pausing between frames (PyAV: the index is written last).
SLOW_WRITER = """
import sys, time
from fractions import Fraction
import av, numpy as np
path, frames, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with av.open(path, "w") as out:
    stream = out.add_stream("libx264", rate=24, options={"g": "12"})
    stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
    for i in range(frames):
        picture = np.full((96, 160, 3), (i * 7) % 255, np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
            out.mux(packet)
        time.sleep(pause)
    for packet in stream.encode():
        out.mux(packet)
"""


def until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(step)
    return check()


def take_names(project: Project) -> list[str]:
    with project.sessions() as session:
        return list(session.scalars(select(m.Take.name).order_by(m.Take.id)))


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[Callable[..., watch.Watcher]]:
    started: list[watch.Watcher] = []

    def start(project: Project, folder: Path, **kwargs: object) -> watch.Watcher:
        poll = bool(kwargs.pop("poll", False))
        kwargs.setdefault("settle", 0.4)
        kwargs.setdefault("workers", 0)
        kwargs.setdefault("analyze", False)
        w = watch.Watcher(project, [watch.Folder(str(folder), poll, "")], **kwargs)  # type: ignore[arg-type]
        started.append(w)
        w.start()
        assert until(lambda: any(e.kind in ("watching", "polling") for e in w.log), timeout=10)
        return w

    yield start
    for w in started:
        w.stop()


def test_a_take_written_slowly_is_ingested_only_once_it_is_complete(
    project: Project, tmp_path: Path, watching: Callable[..., watch.Watcher]
) -> None:
    out = tmp_path / "ComfyUI" / "output"
    out.mkdir(parents=True)
    watcher = watching(project, out)
    assert until(lambda: [e.kind for e in watcher.log] == ["watching"], timeout=5)
    target = out / "LTX_00001_.mp4"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target), "48", "0.06"])
    try:
        seen_growing = False
        while writer.poll() is None:
            assert take_names(project) == [], "ingested while its writer was still writing it"
            seen_growing = seen_growing or (target.exists() and target.stat().st_size > 0)
            time.sleep(0.1)
        assert writer.returncode == 0
    finally:
        writer.kill()
    assert seen_growing  # the file was there, growing, for the whole time it was being written
    assert until(lambda: take_names(project) == ["LTX_00001_.mp4"], timeout=15)  # bench/watch.py: ~1.2 s
    with project.sessions() as session:
        take = session.scalars(select(m.Take)).one()
        assert take.frame_count == 48 and take.probe_warning == ""
        assert cache.poster_path(take.content_hash).is_file()  # the poster at once, with the probe
    assert until(lambda: watcher.ingested_ids == [take.id], timeout=2), watcher.log
    assert [e.kind for e in watcher.log if e.kind == "ingested"] == ["ingested"]


def test_a_burst_of_two_hundred_files_arrives_each_once(
    project: Project, tmp_path: Path, clip: ClipFactory, watching: Callable[..., watch.Watcher]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    watcher = watching(project, out, workers=2)
    sources = [clip(".mp4", width=64, height=36, frames=2, seed=i) for i in range(8)]
    for i in range(200):
        part = out / f"batch_{i % 4}" / f".take_{i:03}.mp4.part"  # written under a temporary name...
        place(sources[i % 8], part)
        os.replace(part, part.with_name(f"take_{i:03}.mp4"))  # ...and renamed when done, as downloads are
    assert until(lambda: len(take_names(project)) == 200, timeout=60)
    assert watcher.wait_idle(10)
    time.sleep(1.0)  # any late second ingest would show now
    names = take_names(project)
    assert len(names) == 200 and len(set(names)) == 200
    assert len(watcher.ingested_ids) == 200 == len(set(watcher.ingested_ids))
    with project.sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Problem)) == 0
        roots = list(session.scalars(select(m.MediaRoot.path)))
    assert roots == [str(out)]  # one media root: the watched folder, not one per subfolder


def test_what_arrived_while_nobody_watched_is_ingested_on_start(
    tmp_path: Path, clip: ClipFactory, watching: Callable[..., watch.Watcher]
) -> None:
    out = tmp_path / "out"
    project = open_project(tmp_path / "p.trproj")
    try:
        out.mkdir()
        assert watch.add_folder(project, out, by="ana").path == str(out)
        assert [f.path for f in watch.folders(project)] == [str(out)]  # stored in the project
        place(clip(".mp4", seed=40), out / "old.mp4")
        past = time.time() - 60
        os.utime(out / "old.mp4", (past, past))
        watching(project, Path(watch.folders(project)[0].path))
        assert until(lambda: take_names(project) == ["old.mp4"], timeout=5)
        assert watch.remove_folder(project, out) and watch.folders(project) == []
    finally:
        project.close()


def test_polling_finds_new_takes_where_notifications_do_not_arrive(
    project: Project, tmp_path: Path, clip: ClipFactory, watching: Callable[..., watch.Watcher]
) -> None:
    out = tmp_path / "share"
    out.mkdir()
    watcher = watching(project, out, poll=True, poll_interval=0.3)
    assert until(lambda: [e.kind for e in watcher.log] == ["polling"], timeout=5)
    place(clip(".mkv", codec="vp9", seed=41), out / "a.mkv")
    assert until(lambda: take_names(project) == ["a.mkv"], timeout=5)


def test_a_watcher_falls_back_to_polling_when_notifications_fail(
    project: Project, tmp_path: Path, clip: ClipFactory, watching: Callable[..., watch.Watcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    class NoNotifications:
        def schedule(self, *args: object, **kwargs: object) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watch, "Observer", NoNotifications)
    out = tmp_path / "out"
    out.mkdir()
    watcher = watching(project, out, poll_interval=0.3)
    assert until(lambda: [e.kind for e in watcher.log] == ["polling", "polling"], timeout=5)
    assert "inotify watch limit reached" in watcher.log[0].text
    place(clip(".mp4", seed=42), out / "b.mp4")
    assert until(lambda: take_names(project) == ["b.mp4"], timeout=5)


def test_an_unreadable_file_is_reported_once_it_stands_still(
    project: Project, tmp_path: Path, watching: Callable[..., watch.Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "GIVE_UP_S", 1.0)
    out = tmp_path / "out"
    out.mkdir()
    watcher = watching(project, out)
    (out / "not a video.mp4").write_text("<html>an error page saved as a video</html>")
    assert until(lambda: any(e.kind == "unreadable" for e in watcher.log), timeout=6)
    assert take_names(project) == []
    with project.sessions() as session:
        assert [Path(p.path).name for p in session.scalars(select(m.Problem))] == ["not a video.mp4"]


def test_two_watchers_on_one_project_never_ingest_a_file_twice(tmp_path: Path, clip: ClipFactory) -> None:
    """Two workstations (two processes) watch one folder into one project: each take is stored once."""
    out = tmp_path / "out"
    out.mkdir()
    project_file = tmp_path / "shared.trproj"
    open_project(project_file).close()
    command = [sys.executable, "-m", "reviewer", "watch", str(project_file), str(out), "--settle", "0.3",
               "--workers", "0", "--no-analysis"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    watchers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    project = open_project(project_file)
    try:
        time.sleep(2.0)  # both up and watching
        sources = [clip(".mp4", width=64, height=36, frames=2, seed=50 + i) for i in range(30)]
        for i, source in enumerate(sources):
            place(source, out / f"t{i:02}.mp4")
            time.sleep(0.02)
        assert until(lambda: len(take_names(project)) == 30, timeout=30)
        time.sleep(2.0)
    finally:
        for p in watchers:
            p.send_signal(signal.SIGINT)
        outputs = [p.communicate(timeout=30) for p in watchers]
        project.close()
    logs = [stdout for stdout, _ in outputs]
    ingested = [line.split("Ingested ", 1)[1].split(" (take")[0] for log in logs for line in log.splitlines()
                if "Ingested " in line]  # fmt: skip
    assert sorted(ingested) == [f"t{i:02}.mp4" for i in range(30)]  # each by one of the two, once
    assert all("Traceback" not in stderr and "error" not in stderr.lower() for _, stderr in outputs), outputs
    project = open_project(project_file)
    try:
        assert len(take_names(project)) == 30
    finally:
        project.close()


def test_watch_on_the_command_line_once(tmp_path: Path, clip: ClipFactory) -> None:
    out = tmp_path / "gen out"
    place(clip(".mp4", seed=60), out / "SH010" / "x.mp4")
    past = time.time() - 60
    os.utime(out / "SH010" / "x.mp4", (past, past))
    project_file = tmp_path / "p.trproj"
    run = [sys.executable, "-m", "reviewer", "watch", str(project_file)]
    done = subprocess.run([*run, str(out), "--once", "--workers", "0"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Ingested x.mp4 (take 1)" in done.stdout and "1 takes analysed" in done.stdout
    listed = subprocess.run([*run, "--list"], capture_output=True, text=True)
    assert listed.stdout.startswith(str(out))
    removed = subprocess.run([*run, "--remove", str(out)], capture_output=True, text=True)
    assert removed.returncode == 0 and "No longer watching" in removed.stdout
    nothing = subprocess.run(run, capture_output=True, text=True)
    assert nothing.returncode == 1 and "watches no folders" in nothing.stderr
