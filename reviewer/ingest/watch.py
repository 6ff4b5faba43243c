"""Watch folders: takes ingested as the generators write them, while the team reviews.

A ``Watcher`` hears the file system's notifications (``watchdog``: inotify, FSEvents, ReadDirectoryChanges)
for the project's watched folders, or polls them where notifications do not arrive (network shares, or
when asked). A file is ingested only once it is complete: its size and modification time have stood
still for ``settle`` seconds *and* it reads as a video (an MP4 being written has no index until its
writer closes it; a stream format opens early, which is why the size must stand still too). Then it is
probed and gets its poster at once; its analysis and proxy follow in the background.

Several watchers may watch one folder (two workstations, one shared project): ingests into a project
take turns under its ingest lock, and the later one finds the file already stored, unchanged, so no file
is ingested twice. The folders are stored in the project (``watch_folders``), so watching resumes after
a restart, and a first pass on start ingests what arrived while nobody watched.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from reviewer.errors import KnownError
from reviewer.ingest.ingest import Cancelled, Ingestor
from reviewer.ingest.scan import ANIMATED_IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_take_name
from reviewer.media.probe import readable
from reviewer.store import models as m
from reviewer.store.db import Project

SETTLE_S = 1.0  # a file's size and time stand still this long before it is read as complete
TICK_S = 0.25  # how often the files waiting to be complete are looked at
POLL_S = 2.0  # how often a polled folder is listed
GIVE_UP_S = 120.0  # a file that stands still this long but never reads is ingested anyway: reported
RETRY_FOLDER_S = 10.0  # a folder that cannot be watched (not mounted) is tried again this often
NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "9p", "fuse.sshfs", "fuse.rclone", "davfs", "fuse.gcsfuse",
     "fuse.s3fs", "ceph", "glusterfs", "fuse.glusterfs", "lustre", "gpfs", "beegfs"}
)  # fmt: skip
_SUFFIXES = VIDEO_EXTENSIONS | ANIMATED_IMAGE_EXTENSIONS


# --- the project's folders -------------------------------------------------------------------------


@dataclass(frozen=True)
class Folder:
    path: str
    poll: bool
    added_by: str


def folders(project: Project) -> list[Folder]:
    with project.sessions() as session:
        return [
            Folder(f.path, f.poll, f.added_by)
            for f in session.scalars(select(m.WatchFolder).order_by(m.WatchFolder.id))
        ]


def add_folder(project: Project, path: Path | str, *, poll: bool = False, by: str = "") -> Folder:
    """Store a folder to watch (again: its polling setting changes). It must be a folder here. Two
    workstations adding the same folder at once both end up with the one row."""
    where = Path(os.path.abspath(os.path.expanduser(path)))
    if not where.is_dir():
        raise KnownError(f"Cannot watch {where}: it is not a folder here")
    for attempt in range(2):
        try:
            with project.session() as session:
                row = session.scalar(select(m.WatchFolder).where(m.WatchFolder.path == str(where)))
                if row is None:
                    row = m.WatchFolder(path=str(where), poll=poll, added_by=by)
                    session.add(row)
                else:
                    row.poll = poll
                session.flush()
                return Folder(row.path, row.poll, row.added_by)
        except IntegrityError:  # the other one stored it a moment ago: this one updates it
            if attempt:
                raise
    raise AssertionError("unreachable")


def remove_folder(project: Project, path: Path | str) -> bool:
    where = str(Path(os.path.abspath(os.path.expanduser(path))))
    with project.session() as session:
        row = session.scalar(select(m.WatchFolder).where(m.WatchFolder.path == where))
        if row is None:
            return False
        session.delete(row)
        return True


def on_network_share(path: Path) -> bool:
    """Whether ``path`` lies on a network file system (Linux: /proc/mounts), where notifications of
    other machines' writes do not arrive and only polling sees them."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    best, kind = "", ""
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
            best, kind = point, parts[2]
    return kind in NETWORK_FILE_SYSTEMS


# --- the watcher -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchEvent:
    """One line of the watch log: ``kind`` is watching, polling, ingested, unreadable, waiting, error."""

    at: float
    kind: str
    path: str
    text: str

    def line(self) -> str:
        return f"{time.strftime('%H:%M:%S', time.localtime(self.at))}  {self.text}"


@dataclass
class _Candidate:
    size: int
    mtime_ns: int
    since: float  # when its size and time last changed
    first: float  # when it was first seen


class _Handler(FileSystemEventHandler):
    def __init__(self, inbox: queue.SimpleQueue[str]) -> None:
        self.inbox = inbox

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        path = os.fsdecode(path)
        name = os.path.basename(path)
        if not name.startswith(".") and os.path.splitext(name)[1].lower() in _SUFFIXES:
            self.inbox.put(path)


class Watcher:
    """Watch folders and ingest what is complete; ``on_event`` hears every line of the log (from the
    watcher's thread). ``analyze`` runs the analysis pass (signals, filmstrip, proxy) in a thread of its
    own after each ingest; a GUI runs its own background pass instead."""

    def __init__(
        self,
        project: Project,
        watched: Iterable[Folder],
        *,
        settle: float = SETTLE_S,
        poll_interval: float = POLL_S,
        workers: int | None = None,
        analyze: bool = True,
        proxies: bool = True,
        on_event: Callable[[WatchEvent], None] | None = None,
        on_ingested: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.project = project
        self.watched = list(watched)
        self.settle = settle
        self.poll_interval = poll_interval
        self.workers = workers
        self.analyze = analyze
        self.proxies = proxies
        self.on_event = on_event or (lambda event: None)
        self.on_ingested = on_ingested or (lambda ids: None)
        self.inbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.pending: dict[str, _Candidate] = {}
        self.observers: dict[str, BaseObserver] = {}
        self.unwatched: dict[str, float] = {}  # folders not watched yet: when to try again
        self.stopping = threading.Event()
        self.idle = threading.Event()  # nothing waiting and nothing being ingested
        self.analysis_wanted = threading.Event()
        self.threads: list[threading.Thread] = []
        self.ingested_ids: list[int] = []  # every take this watcher stored, in order
        self.log: list[WatchEvent] = []

    # --- the log ---

    def _say(self, kind: str, path: str, text: str) -> None:
        event = WatchEvent(time.time(), kind, path, text)
        self.log = [*self.log[-499:], event]
        with contextlib.suppress(Exception):  # a listener's failure must not stop the watching
            self.on_event(event)

    # --- start and stop ---

    def start(self) -> Watcher:
        """Watch in threads of its own (the first pass over the folders too): returns at once."""
        for folder in self.watched:
            self.unwatched[folder.path] = 0.0
        loop = threading.Thread(target=self._loop, name="watch", daemon=True)
        self.threads.append(loop)
        if self.analyze:
            self.threads.append(
                threading.Thread(target=self._analysis_loop, name="watch-analysis", daemon=True)
            )
        for thread in self.threads:
            thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.analysis_wanted.set()
        for observer in self.observers.values():
            observer.stop()
        for observer in self.observers.values():
            with contextlib.suppress(RuntimeError):
                observer.join(timeout)
        for thread in self.threads:
            thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing waits to be complete or ingested (tests, ``--once``)."""
        return self.idle.wait(timeout)

    def _watch_folders(self) -> None:
        now = time.monotonic()
        for folder in self.watched:
            if folder.path not in self.unwatched or self.unwatched[folder.path] > now:
                continue
            path = Path(folder.path)
            if not path.is_dir():
                self.unwatched[folder.path] = now + RETRY_FOLDER_S
                if self.unwatched.get(folder.path + "\0said") is None:
                    self.unwatched[folder.path + "\0said"] = now
                    self._say(
                        "error", folder.path, f"Not a folder here (not mounted?): {folder.path}; trying again"
                    )
                continue
            poll = folder.poll or on_network_share(path)
            observer = self._observer(path, poll)
            if observer is None:
                self.unwatched[folder.path] = now + RETRY_FOLDER_S
                continue
            self.observers[folder.path] = observer
            self.unwatched.pop(folder.path, None)
            self.unwatched.pop(folder.path + "\0said", None)
            self._catch_up(path)

    def _observer(self, path: Path, poll: bool) -> BaseObserver | None:
        handler = _Handler(self.inbox)
        if not poll:
            try:
                observer: BaseObserver = Observer()
                observer.schedule(handler, str(path), recursive=True)
                observer.start()
            except OSError as exc:  # out of inotify watches, or notifications not offered here
                self._say(
                    "polling", str(path), f"Notifications unavailable ({exc.strerror or exc}); polling {path}"
                )
            else:
                self._say("watching", str(path), f"Watching {path}")
                return observer
        try:
            observer = PollingObserver(timeout=self.poll_interval)
            observer.schedule(handler, str(path), recursive=True)
            observer.start()
        except OSError as exc:
            self._say("error", str(path), f"Cannot watch {path}: {exc.strerror or exc}")
            return None
        self._say("polling", str(path), f"Polling {path} every {self.poll_interval:g} s")
        return observer

    def _catch_up(self, folder: Path) -> None:
        """What arrived while nobody watched: files that stand still are ingested in one run (its ingest
        skips the unchanged ones quickly), files written a moment ago wait to be complete."""
        now_wall = time.time()
        recent: list[str] = []

        def defer(path: Path) -> bool:
            try:
                st = path.stat()
            except OSError:
                return False
            if now_wall - st.st_mtime < max(self.settle * 3, 5.0):
                recent.append(str(path))
                return True
            return False

        self._ingest([folder], defer=defer)
        for path in recent:
            self.inbox.put(path)

    # --- the loop ---

    def _loop(self) -> None:
        try:
            self._watch_folders()
        except Exception as exc:  # logged; the folders are tried again on the next tick
            self._say("error", "", f"Could not start watching: {exc}")
        while not self.stopping.wait(TICK_S):
            try:
                self._tick()
            except Exception as exc:  # a failure is logged, the watching goes on
                self._say("error", "", f"Watching stopped a moment: {exc}")

    def _tick(self) -> None:
        if self.unwatched:
            self._watch_folders()
        now = time.monotonic()
        while True:
            try:
                path = self.inbox.get_nowait()
            except queue.Empty:
                break
            self.idle.clear()
            if path not in self.pending:
                self.pending[path] = _Candidate(-1, -1, now, now)
        ready: list[Path] = []
        for path, c in list(self.pending.items()):
            try:
                st = os.stat(path)
            except OSError:
                del self.pending[
                    path
                ]  # gone again (a temporary file renamed): its new name comes as an event
                continue
            if (st.st_size, st.st_mtime_ns) != (c.size, c.mtime_ns):
                c.size, c.mtime_ns, c.since = st.st_size, st.st_mtime_ns, now
                continue
            if now - c.since < self.settle:
                continue
            if not is_take_name(path, os.path.basename(path)):
                del self.pending[path]  # a still PNG or WebP beside the takes
                continue
            why = readable(Path(path))
            if not why or now - c.first > GIVE_UP_S:
                ready.append(Path(path))
                del self.pending[path]
            else:
                c.since = now  # stood still but does not read yet: look again after another while
        if ready:
            self._ingest(ready)
        if not self.pending and self.inbox.empty():
            self.idle.set()

    def _ingest(self, paths: list[Path], defer: Callable[[Path], bool] | None = None) -> None:
        problems: list[tuple[str, str]] = []
        ingestor = Ingestor(
            self.project, workers=self.workers if len(paths) > 1 or defer else 0, proxies=self.proxies,
            on_problem=lambda path, reason: problems.append((path, reason)),
            on_wait=lambda: self._say("waiting", "", "Another ingest into this project is running; waiting"),
            cancel=self.stopping.is_set,
        )  # fmt: skip
        try:
            report = ingestor.run(paths, filmstrips=False, defer=defer)
        except Cancelled:
            return
        except KnownError as exc:
            self._say("error", "", f"Could not ingest: {exc}")
            return
        for path, reason in problems:
            self._say("unreadable", path, f"Unreadable: {path}: {reason}")
        ids = sorted(ingestor.stored_ids)
        if ids:
            with self.project.sessions() as session:
                query = select(m.Take.id, m.Take.name).where(m.Take.id.in_(ids))
                names = {tid: name for tid, name in session.execute(query)}
            for tid in ids:
                self._say("ingested", names.get(tid, ""), f"Ingested {names.get(tid, tid)} (take {tid})")
            self.ingested_ids += ids
            with contextlib.suppress(Exception):
                self.on_ingested(ids)
            self.analysis_wanted.set()
        elif report.added + report.updated + report.moved == 0 and not problems and defer is None:
            pass  # another watcher had stored them: nothing new

    def _analysis_loop(self) -> None:
        while True:
            self.analysis_wanted.wait()
            if self.stopping.is_set():
                return
            self.analysis_wanted.clear()
            ingestor = Ingestor(
                self.project, workers=self.workers, proxies=self.proxies, cancel=self.stopping.is_set
            )
            try:
                report = ingestor.analyze()
            except Cancelled:
                return
            except Exception as exc:  # logged; the next ingest tries again
                self._say("error", "", f"Analysis failed: {exc}")
                continue
            if report.cache_problem:
                self._say("error", "", report.cache_problem)
            if report.filmstrips:
                self._say(
                    "analysed",
                    "",
                    f"Analysed {report.filmstrips} take{'s' if report.filmstrips != 1 else ''}",
                )
