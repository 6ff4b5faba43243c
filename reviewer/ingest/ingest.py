"""Ingest: scan paths, probe every new or changed video in a pool of worker processes, store the takes.

Incremental: a file whose size and mtime are as stored is not read again; a changed one is re-hashed
and re-probed; a file at a new path whose content hash matches a take whose file is gone is that take,
moved, and keeps its decisions. Unreadable files are stored as problems with a one-line reason and the
batch goes on. Posters come from the probe's own decode; filmstrips are a second phase in the same
pool, so extracting them never holds up the probing of the next file.

This process alone writes to the project (workers return plain data), in batched transactions. Two
ingests into one project take turns: each holds the project's ingest lock from scanning until its takes
are stored (the later one waits, says so, then finds the files the first stored unchanged). A full disk
stops the run with a plain message; every batch stored before it is kept.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reviewer.errors import KnownError, ProjectError
from reviewer.ingest import worker
from reviewer.ingest.scan import scan
from reviewer.ingest.shots import DEFAULT_SHOT_PATTERNS, shot_code_from_text, shot_from_path, sort_key
from reviewer.media import cache
from reviewer.media.analysis import SENSITIVITY, VERSION, Analysis
from reviewer.store import disclosure, lineage, local
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy

ProgressFn = Callable[[str, int, int], None]
ProblemFn = Callable[[str, str], None]
WaitFn = Callable[[], None]
COMMIT_EVERY = 250
INLINE_BELOW = 4  # fewer files than this are probed in this process: a pool would cost more than it saves


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(
        default_factory=list
    )  # takes stored with a warning (metadata not read)
    filmstrips: int = 0
    # why the analysis pass could not keep filmstrips, posters or proxies in the cache ("": it could)
    cache_problem: str = ""
    probe_seconds: float = 0.0  # from the first file handed to a worker to the last result stored
    startup_seconds: float = 0.0  # of that, until the first result (worker processes starting)
    seconds: float = 0.0

    def stored_text(self) -> str:
        stored = self.added + self.updated + self.moved
        return f"{stored} takes were stored before it stopped, and are kept."

    @property
    def readable(self) -> int:
        return self.added + self.updated + self.moved + self.unchanged

    @property
    def probed(self) -> int:
        return self.added + self.updated + self.moved + len(self.problems)

    @property
    def steady_rate(self) -> float:
        """Files probed per second once the workers were up."""
        running = self.probe_seconds - self.startup_seconds
        return (self.probed - 1) / running if self.probed > 1 and running > 0 else 0.0

    def summary(self) -> str:
        parts = [
            f"{self.added} new",
            f"{self.updated} updated",
            f"{self.moved} moved",
            f"{self.unchanged} unchanged",
        ]
        text = f"Ingested {self.readable} takes ({', '.join(parts)}), {len(self.problems)} unreadable"
        text += f" in {self.seconds:.1f} s"
        if self.probed > 1:
            text += f" ({self.steady_rate:.0f} files/s probed once the workers were up)"
        return text + "."


class Cancelled(Exception):
    pass


def _pool_map(
    executor: Executor | None,
    fn: Callable[..., Any],
    jobs: Iterable[tuple[Any, ...]],
    window: int,
    cancel: Callable[[], bool],
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """``(args, fn(*args))`` for every job, as they finish, with at most ``window`` in flight."""
    if executor is None:
        for args in jobs:
            if cancel():
                raise Cancelled
            yield args, fn(*args)
        return
    pending: dict[Future[Any], tuple[Any, ...]] = {}
    it = iter(jobs)
    exhausted = False
    while pending or not exhausted:
        while not exhausted and len(pending) < window:
            try:
                args = next(it)
            except StopIteration:
                exhausted = True
                break
            pending[executor.submit(fn, *args)] = args
        if not pending:
            break
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            args = pending.pop(fut)
            yield args, fut.result()
        if cancel():
            for fut in pending:
                fut.cancel()
            raise Cancelled


class Ingestor:
    def __init__(
        self,
        project: Project,
        *,
        workers: int | None = None,
        cache_root: Path | None = None,
        progress: ProgressFn | None = None,
        on_problem: ProblemFn | None = None,
        cancel: Callable[[], bool] | None = None,
        on_note: ProblemFn | None = None,
        on_wait: WaitFn | None = None,
        proxies: bool = True,
    ) -> None:
        self.project = project
        self.proxies = proxies  # the analysis pass also writes each take's proxy (reviewer.media.proxy)
        self.on_note = on_note or (lambda path, reason: None)
        self.on_wait = on_wait
        self.workers = workers if workers is not None else (os.cpu_count() or 2)
        self.cache_root = str(cache_root or cache.cache_root())
        self.progress = progress or (lambda phase, done, total: None)
        self.on_problem = on_problem or (lambda path, reason: None)
        self.cancel = cancel or (lambda: False)
        self.patterns = tuple(project.setting("shot_patterns", DEFAULT_SHOT_PATTERNS))
        self.trust_pem = trust_anchors(project)
        self.stored_ids: set[int] = set()  # the takes this ingestor stored (new, changed or moved)

    # --- media roots --------------------------------------------------------------------------

    def _roots(self, session: Session) -> dict[int, Path]:
        """The media roots as this workstation mounts them (``store.local``)."""
        return {rid: Path(path) for rid, path in local.root_paths(session).items()}

    def _root_for(self, session: Session, roots: dict[int, Path], given: Path) -> tuple[int, Path]:
        """The media root ``given`` lies under (the deepest), or a new root at ``given`` itself."""
        under = [(rid, root) for rid, root in roots.items() if given == root or root in given.parents]
        if under:
            return max(under, key=lambda item: len(item[1].parts))
        base = given if given.is_dir() else given.parent
        names = set(session.scalars(select(m.MediaRoot.name)))
        name, n = base.name or "media", 2
        while name in names:
            name, n = f"{base.name or 'media'}-{n}", n + 1
        root = m.MediaRoot(name=name, path=str(base))
        session.add(root)
        session.flush()
        roots[root.id] = base
        return root.id, base

    @staticmethod
    def _deepest(roots: dict[int, Path], path: Path, default: tuple[int, Path]) -> tuple[int, Path]:
        under = [(rid, root) for rid, root in roots.items() if root in path.parents]
        return max(under, key=lambda item: len(item[1].parts)) if under else default

    # --- the run ------------------------------------------------------------------------------

    def run(
        self, paths: Iterable[Path], *, filmstrips: bool = True, defer: Callable[[Path], bool] | None = None
    ) -> IngestReport:
        """Ingest ``paths`` (files and folders); files for which ``defer`` says so are left for later
        (a watcher's files still being written)."""
        report = IngestReport()
        started = time.perf_counter()
        executor: Executor | None = None
        seen_ids: set[int] = set()
        try:
            with self.project.exclusive("ingest", self.on_wait):
                executor = self._probe_all(paths, report, seen_ids, defer)
            if filmstrips:
                self._filmstrip_phase(executor, seen_ids, report)
        except ProjectError as exc:
            raise ProjectError(f"{exc} {report.stored_text()}") from None
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        report.seconds = time.perf_counter() - started
        return report

    def _probe_all(
        self,
        paths: Iterable[Path],
        report: IngestReport,
        seen_ids: set[int],
        defer: Callable[[Path], bool] | None = None,
    ) -> Executor | None:
        """Scan, probe and store every new or changed file (under the ingest lock); the pool, kept for
        the analysis pass."""
        scan_errors: list[tuple[str, str]] = []
        files: list[tuple[int, Path, str]] = []  # root id, absolute path, relpath (posix)
        scanned_folders: list[tuple[int, str]] = []
        with self.project.session() as session:
            roots = self._roots(session)
            for given in paths:
                given = Path(os.path.abspath(os.path.expanduser(given)))
                root_id, root = self._root_for(session, roots, given)
                if given.is_dir():
                    scanned_folders.append((root_id, PurePosixPath(given.relative_to(root)).as_posix()))
                for path in scan(given, scan_errors):
                    if defer is not None and defer(path):
                        continue
                    # the deepest root holding the file: ingesting a folder above an existing root
                    # must find the takes already stored under that root, not store them again
                    file_root, base = self._deepest(roots, path, (root_id, root))
                    files.append((file_root, path, PurePosixPath(path.relative_to(base)).as_posix()))
            known = {
                (t.root_id, t.relpath): (t.id, t.size, t.mtime, t.missing)
                for t in session.execute(
                    select(
                        m.Take.root_id, m.Take.relpath, m.Take.id, m.Take.size, m.Take.mtime, m.Take.missing
                    )
                )
            }
        self._store_problems(scan_errors, report)

        todo: list[tuple[int, Path, str]] = []
        for root_id, path, rel in files:
            entry = known.get((root_id, rel))
            if entry is not None:
                try:
                    st = path.stat()
                except OSError:
                    st = None
                if st is not None and st.st_size == entry[1] and st.st_mtime == entry[2] and not entry[3]:
                    report.unchanged += 1
                    seen_ids.add(entry[0])
                    continue
            todo.append((root_id, path, rel))

        by_path = {str(path): (root_id, rel) for root_id, path, rel in todo}
        jobs = [(str(path), self.cache_root, self.trust_pem) for _, path, _ in todo]
        executor = self._executor(len(jobs))
        try:
            self._probe_phase(executor, jobs, by_path, report, seen_ids)
            self._mark_missing(scanned_folders, seen_ids)
            with self.project.session() as session:
                lineage.update(session, self.stored_ids)
        except BaseException:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
            raise
        return executor

    def _executor(self, jobs: int) -> Executor | None:
        if self.workers <= 0 or jobs < INLINE_BELOW:
            return None
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=worker.worker_init, initargs=(os.getpid(),)
        )

    def _problem(self, report: IngestReport, path: str, reason: str) -> None:
        report.problems.append((path, reason))
        self.on_problem(path, reason)

    def _probe_phase(
        self,
        executor: Executor | None,
        jobs: list[tuple[str, str, str]],
        by_path: dict[str, tuple[int, str]],
        report: IngestReport,
        seen_ids: set[int],
    ) -> None:
        total = len(jobs)
        self.progress("probe", 0, total)
        batch: list[worker.Probed | worker.Failure] = []
        last_commit = started = time.perf_counter()
        for done, (_args, result) in enumerate(
            _pool_map(executor, worker.probe_file, jobs, self.workers * 8, self.cancel), start=1
        ):
            if done == 1:
                report.startup_seconds = time.perf_counter() - started
            batch.append(result)
            if len(batch) >= COMMIT_EVERY or time.perf_counter() - last_commit > 1.0:
                self._store(batch, by_path, report, seen_ids)
                batch, last_commit = [], time.perf_counter()
            self.progress("probe", done, total)
        self._store(batch, by_path, report, seen_ids)
        report.probe_seconds = time.perf_counter() - started

    def _store(
        self,
        results: list[worker.Probed | worker.Failure],
        by_path: dict[str, tuple[int, str]],
        report: IngestReport,
        seen_ids: set[int],
    ) -> None:
        """Write one batch of results in one transaction, with a handful of queries for the whole batch."""
        if not results:
            return
        probed = [r for r in results if isinstance(r, worker.Probed)]
        failures = [r for r in results if isinstance(r, worker.Failure)]
        with self.project.session() as session:
            shots = {s.code: s for s in session.scalars(select(m.Shot))}
            roots = self._roots(session)
            keys = [by_path[r.path] for r in probed]
            existing = {
                (t.root_id, t.relpath): t
                for t in session.scalars(select(m.Take).where(m.Take.relpath.in_([rel for _, rel in keys])))
            }
            fresh = [r for r, key in zip(probed, keys, strict=True) if key not in existing]
            by_hash: dict[str, list[m.Take]] = {}
            if fresh:
                hashes = list({r.content_hash for r in fresh})
                for t in session.scalars(select(m.Take).where(m.Take.content_hash.in_(hashes))):
                    by_hash.setdefault(t.content_hash, []).append(t)
            touched: list[m.Take] = []
            for result, (root_id, rel) in zip(probed, keys, strict=True):
                take = existing.get((root_id, rel))
                kind = "updated"
                if take is None:
                    take, kind = self._moved_or_new(
                        session, roots, by_hash.get(result.content_hash, []), root_id, rel
                    )
                    existing[(root_id, rel)] = take
                setattr(report, kind, getattr(report, kind) + 1)
                if result.probe.warning and "metadata not read" in result.probe.warning:
                    report.notes.append((result.path, result.probe.warning))
                    self.on_note(result.path, result.probe.warning)
                self._fill(take, result, rel)
                self._assign_shot(session, shots, take, result, rel)
                touched.append(take)
            session.flush()
            disclosure.refresh(session, [t.id for t in touched])
            self.stored_ids.update(t.id for t in touched)
            seen_ids.update(t.id for t in touched)
            if probed:
                session.execute(delete(m.Problem).where(m.Problem.path.in_([r.path for r in probed])))
            self._add_problems(session, [(f.path, f.reason) for f in failures], report)

    def _store_problems(self, problems: list[tuple[str, str]], report: IngestReport) -> None:
        if problems:
            with self.project.session() as session:
                self._add_problems(session, problems, report)

    def _add_problems(self, session: Session, problems: list[tuple[str, str]], report: IngestReport) -> None:
        """Each unreadable path reported and stored (``reviewer problems``), once, with its latest reason."""
        known = {
            p.path: p
            for p in session.scalars(
                select(m.Problem).where(m.Problem.path.in_([path for path, _ in problems]))
            )
        }
        for path, reason in problems:
            self._problem(report, path, reason)
            problem = known.get(path)
            if problem is None:
                known[path] = problem = m.Problem(path=path, reason=reason)
                session.add(problem)
            else:
                problem.reason, problem.at = reason, m.utcnow()

    @staticmethod
    def _moved_or_new(
        session: Session, roots: dict[int, Path], same_content: list[m.Take], root_id: int, rel: str
    ) -> tuple[m.Take, str]:
        """A take whose file has gone and whose content this is has moved here; else a new take."""
        for candidate in same_content:
            if not (roots[candidate.root_id] / candidate.relpath).exists():
                same_content.remove(candidate)
                candidate.root_id, candidate.relpath = root_id, rel
                return candidate, "moved"
        take = m.Take(root_id=root_id, relpath=rel)
        take.state = m.TakeState(stage_pos=0)
        session.add(take)
        return take, "added"

    @staticmethod
    def _fill(take: m.Take, result: worker.Probed, rel: str) -> None:
        p, prov = result.probe, result.provenance
        take.name = PurePosixPath(rel).name
        take.content_hash, take.size, take.mtime, take.missing = (
            result.content_hash,
            result.size,
            result.mtime,
            False,
        )
        take.container, take.video_codec, take.codec_profile = p.container, p.video_codec, p.codec_profile
        take.pix_fmt, take.bit_depth, take.color_range, take.color_space = (
            p.pix_fmt,
            p.bit_depth,
            p.color_range,
            p.color_space,
        )
        take.width, take.height, take.rotation = p.width, p.height, p.rotation
        take.sar_num, take.sar_den = p.sar.numerator, p.sar.denominator
        take.fps_num, take.fps_den, take.vfr = p.fps.numerator, p.fps.denominator, p.vfr
        take.frame_count, take.duration_s, take.start_time_s, take.bit_rate = (
            p.frame_count,
            p.duration_s,
            p.start_time_s,
            p.bit_rate,
        )
        take.has_audio, take.audio_codec = p.has_audio, p.audio_codec
        take.audio_channels, take.audio_rate = p.audio_channels, p.audio_rate
        take.probe_warning = p.warning
        take.generator, take.model, take.prompt = prov.generator, prov.model, prov.prompt
        take.negative_prompt, take.seed, take.params = prov.negative_prompt, prov.seed, prov.params
        take.provenance_source = prov.source
        take.evidence = result.evidence
        take.updated_at = m.utcnow()

    def _assign_shot(
        self, session: Session, shots: dict[str, m.Shot], take: m.Take, result: worker.Probed, rel: str
    ) -> None:
        if take.shot_source == "by hand":
            return
        code, where = "", ""
        if result.provenance.shot:
            code, where = shot_code_from_text(result.provenance.shot), "metadata"
        else:
            code, where = shot_from_path(PurePosixPath(rel), self.patterns)
        if not code:
            return
        shot = shots.get(code)
        if shot is None:
            shot = m.Shot(code=code, title="", description="", sort_order=sort_key(code))
            session.add(shot)
            session.flush()
            shots[code] = shot
        take.shot_id, take.shot_source = shot.id, where

    def _mark_missing(self, scanned: list[tuple[int, str]], seen_ids: set[int]) -> None:
        """Takes under a scanned folder whose file has gone are flagged missing (never deleted)."""
        if not scanned:
            return
        with self.project.session() as session:
            roots = self._roots(session)
            for root_id, prefix in scanned:
                query = select(m.Take).where(m.Take.root_id == root_id, m.Take.missing.is_(False))
                if prefix not in ("", "."):
                    query = query.where(m.Take.relpath.startswith(prefix + "/", autoescape=True))
                for take in session.scalars(query):
                    if take.id not in seen_ids and not (roots[root_id] / take.relpath).exists():
                        take.missing = True

    def analyze(self, force: bool = False) -> IngestReport:
        """``reviewer analyze``: the analysis pass over every take of the project still without one."""
        report = IngestReport()
        started = time.perf_counter()
        executor = self._executor(1_000_000)
        try:
            analyze_takes(self.project, executor, None, report, self.cache_root, self.workers, self.cancel,
                          self.progress, self.on_problem, force=force, proxies=self.proxies)  # fmt: skip
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        report.seconds = time.perf_counter() - started
        return report

    def _filmstrip_phase(self, executor: Executor | None, take_ids: set[int], report: IngestReport) -> None:
        """The analysis pass over these takes: one decode each for the filmstrip and the quality signals."""
        analyze_takes(self.project, executor, take_ids, report, self.cache_root, self.workers, self.cancel,
                      self.progress, self.on_problem, proxies=self.proxies)  # fmt: skip


def analyze_takes(
    project: Project,
    executor: Executor | None,
    take_ids: set[int] | None,
    report: IngestReport,
    cache_root: str,
    workers: int,
    cancel: Callable[[], bool] = lambda: False,
    progress: Callable[[str, int, int], None] = lambda *_: None,
    on_problem: Callable[[str, str], None] = lambda *_: None,
    force: bool = False,
    proxies: bool = True,
) -> None:
    """Analyse the takes that have no current analysis (or no filmstrip, or with ``proxies`` no proxy on
    this workstation): those waiting at the earliest stage first, the way a review queue meets them.
    ``take_ids`` None: the whole project."""
    with project.sessions() as session:
        roots = {rid: Path(path) for rid, path in local.root_paths(session).items()}
        current = {
            r.take_id: r.content_hash
            for r in session.execute(
                select(m.TakeAnalysis.take_id, m.TakeAnalysis.content_hash).where(
                    m.TakeAnalysis.version == VERSION
                )
            )
        }
        rows = session.execute(
            select(m.Take.id, m.Take.root_id, m.Take.relpath, m.Take.content_hash, m.Take.frame_count)
            .join(m.TakeState, m.TakeState.take_id == m.Take.id)
            .where(m.Take.missing.is_(False))
            .order_by(m.TakeState.rejected, m.TakeState.stage_pos, m.Take.id)
        ).all()
    root = Path(cache_root)
    # A cache that cannot be written (a full disk, a folder without permission) costs the pictures,
    # never the findings: the takes are analysed and stored, and the reason is reported once.
    unwritable = cache.unwritable(root)
    keep = not unwritable
    if unwritable:
        report.cache_problem = _cache_problem(root, unwritable)
    if proxies and keep:
        cache.drop_old_proxies(root)
    # A pool with a worker per core keeps every core busy with a take of its own: each decodes on one
    # thread (a decoder's threads cost a tenth more work). Inline, the decoder has the cores.
    threads = 1 if executor is not None and workers >= (os.cpu_count() or 1) else 0
    jobs = [
        (str(roots[r.root_id] / r.relpath), r.content_hash, r.frame_count, cache_root, proxies, threads, keep)
        for r in rows
        if (take_ids is None or r.id in take_ids)
        and (
            force
            or current.get(r.id) != r.content_hash
            or (keep and not cache.filmstrip_path(r.content_hash, root).exists())
            or (keep and not cache.poster_path(r.content_hash, root).exists())
            or (
                keep
                and proxies
                and not cache.proxy_path(r.content_hash, root).exists()
                and not cache.no_proxy_path(r.content_hash, root).exists()
            )
        )
    ]
    take_of = {(str(roots[r.root_id] / r.relpath)): (r.id, r.content_hash) for r in rows}
    sensitivity = signal_sensitivity(project)
    total = len(jobs)
    progress("analysis", 0, total)
    batch: list[dict[str, Any]] = []

    @retry_busy
    def write() -> None:
        with project.session() as session:
            for values in batch:
                session.merge(m.TakeAnalysis(**values))

    def store() -> None:
        if not batch:
            return
        try:
            write()
        except IntegrityError:  # another analysis of the same take (another window) stored it first
            write()  # merge sees its row now, and updates it
        batch.clear()

    try:
        for done, (args, result) in enumerate(
            _pool_map(executor, worker.analyze_take, jobs, workers * 4, cancel), start=1
        ):
            if isinstance(result, worker.Failure):
                on_problem(args[0], f"analysis: {result.reason}")
            else:
                if result.cache_problem and not report.cache_problem:
                    report.cache_problem = _cache_problem(root, result.cache_problem)
                take_id, content_hash = take_of[args[0]]
                found = Analysis.from_dict(result.data)
                batch.append({
                    "take_id": take_id, "version": found.version, "content_hash": content_hash,
                    "analyzed_at": m.utcnow(), "broken": ",".join(found.broken(sensitivity)),
                    "data": result.data,
                })  # fmt: skip
                report.filmstrips += 1
                if len(batch) >= 200:
                    store()
            progress("analysis", done, total)
    finally:
        store()  # stopped or not, what was analysed is kept


def _cache_problem(root: Path, reason: str) -> str:
    return (
        f"The cache folder {root} cannot be written ({reason}): the findings are stored, but filmstrips, "
        "posters and survey proxies are not kept (set TAKE_REVIEWER_CACHE to a folder that can be written)"
    )


SENSITIVITY_KEY = "signal_sensitivity"


def signal_sensitivity(project: Project) -> str:
    """How sure a finding must be to count as "Looks broken" in this project (``SENSITIVITY``)."""
    value = str(project.setting(SENSITIVITY_KEY, "normal"))
    return value if value in SENSITIVITY else "normal"


def set_signal_sensitivity(project: Project, sensitivity: str) -> int:
    """Set the project's sensitivity and sort every stored analysis into "Looks broken" again by it (no
    decode: the findings and their strengths are stored); the number of takes whose reasons changed."""
    if sensitivity not in SENSITIVITY:
        raise KnownError(f"No sensitivity {sensitivity!r} (choose from: {', '.join(SENSITIVITY)})")
    project.set_setting(SENSITIVITY_KEY, sensitivity)

    @retry_busy
    def write() -> int:
        changed = 0
        with project.session() as session:
            for row in session.scalars(select(m.TakeAnalysis).where(m.TakeAnalysis.version == VERSION)):
                broken = ",".join(Analysis.from_dict(row.data).broken(sensitivity))
                if broken != row.broken:
                    row.broken = broken
                    changed += 1
        return changed

    return write()


TRUST_KEY = "c2pa.trust_anchors"


def trust_anchors(project: Project) -> str:
    """The PEM certificates whose C2PA signers the project trusts ("" for none: a signed manifest then
    reads as intact but untrusted). The project stores the file's path; the file stays where it is."""
    where = project.setting(TRUST_KEY)
    if not where:
        return ""
    try:
        return Path(where).expanduser().read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise KnownError(f"Cannot read the C2PA trust anchors {where}: {exc.strerror or exc}") from None


def set_trust_anchors(project: Project, pem: Path | None) -> int:
    """Trust C2PA signers chaining to the certificates in ``pem`` (None: trust none). Takes whose files
    carry a manifest are read again by the next ingest, which judges them by the new anchors; returns
    how many."""
    if pem is not None:
        pem = pem.expanduser().resolve()
        try:
            pem.read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise KnownError(f"Cannot read the C2PA trust anchors {pem}: {exc.strerror or exc}") from None
    with project.session() as session:
        session.merge(m.Setting(key=TRUST_KEY, value=str(pem) if pem else ""))
        signed = [
            take_id
            for take_id, evidence in session.execute(select(m.Take.id, m.Take.evidence))
            if any(isinstance(e, dict) and str(e.get("kind", "")).startswith("c2pa") for e in evidence or [])
        ]
        for start in range(0, len(signed), 500):
            session.execute(
                update(m.Take).where(m.Take.id.in_(signed[start : start + 500])).values(mtime=-1.0)
            )
    return len(signed)


def ingest(project: Project, paths: Iterable[Path], **kwargs: Any) -> IngestReport:
    filmstrips = kwargs.pop("filmstrips", True)
    return Ingestor(project, **kwargs).run(paths, filmstrips=filmstrips)
