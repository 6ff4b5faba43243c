"""The command line: open the GUI, ingest, list takes and problems, the funnel, decide, the demo.

Errors of the environment (``KnownError``) print one line and exit 1; anything else is a bug and
shows its traceback. Listing commands write JSON Lines with ``--json`` so scripts can read them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select

from reviewer.errors import KnownError
from reviewer.media.proxy import existing_proxy
from reviewer.review.decisions import Decision, decide, default_reviewer
from reviewer.store import lineage, queries, secrets
from reviewer.store import models as m
from reviewer.store.db import Project, open_project
from reviewer.untrusted import dumps, for_terminal


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


COMMANDS: list[Command] = []
ORDER = [
    "open",
    "analyze",
    "ingest",
    "watch",
    "takes",
    "problems",
    "roots",
    "migrate",
    "stats",
    "team",
    "vote",
    "votes",
    "survey",
    "decide",
    "declare",
    "disclosure",
    "shots",
    "hero",
    "frame",
    "export",
    "verify",
    "retry",
    "lineage",
    "demo",
]  # as ``reviewer --help`` lists them


def command(
    name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register a subcommand: its name, its one-line help, the function that declares its arguments
    (written just above the handler) and the handler."""

    def register(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS.append(Command(name, help, arguments, handler))
        return handler

    return register


class Progress:
    """A one-line progress bar on a terminal; silent when stderr is not one."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started: dict[str, float] = {}
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        now = time.monotonic()
        self.started.setdefault(phase, now)
        if done not in (0, total) and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = int(width * done / total)
        elapsed = now - self.started[phase]
        rate = done / elapsed if elapsed > 0 else 0.0
        line = f"\r{phase:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:.0f}/s"
        self.stream.write(line)
        if done == total:
            self.stream.write("\n")
        self.stream.flush()

    def clear_line(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")


def _open(args: argparse.Namespace, create: bool = False) -> Project:
    return open_project(args.project, create=create)


def _ingestor(args: argparse.Namespace, project: Project) -> Any:
    """An Ingestor with a progress bar on the terminal and one line per unreadable file."""
    from reviewer.ingest.ingest import Ingestor

    progress = Progress()

    def on_problem(path: str, reason: str) -> None:
        progress.clear_line()
        print(f"unreadable: {for_terminal(path)}: {for_terminal(reason)}", file=sys.stderr)

    def on_note(path: str, reason: str) -> None:
        progress.clear_line()
        print(f"stored without provenance: {for_terminal(path)}: {for_terminal(reason)}", file=sys.stderr)

    def on_wait() -> None:
        print("Another ingest into this project is running; waiting for it to finish…", file=sys.stderr)

    return Ingestor(project, workers=args.workers, progress=progress, on_problem=on_problem, on_note=on_note,
                    on_wait=on_wait, proxies=not args.no_proxies)  # fmt: skip


def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core; 0: none)"
    )
    p.add_argument("--no-filmstrips", action="store_true", help="probe and posters only; filmstrips later")
    p.add_argument(
        "--no-proxies", action="store_true", help="write no survey proxies (made later by analyze)"
    )


@command("ingest", "add the video files under PATHs to a project (creates it)", _ingest_arguments)
def cmd_ingest(args: argparse.Namespace) -> int:
    from reviewer.store.db import project_url

    new = "://" not in str(args.project) and not Path(project_url(args.project)[len("sqlite:///") :]).exists()
    with _open(args, create=True) as project:
        if new and project.path is not None:
            print(for_terminal(f"New project: {project.path}"), file=sys.stderr)
        report = _ingestor(args, project).run(
            [Path(p) for p in args.paths], filmstrips=not args.no_filmstrips
        )
    print(report.summary())
    _cache_warning(report)
    return 0


def _cache_warning(report: Any) -> None:
    if report.cache_problem:
        print(f"warning: {for_terminal(report.cache_problem)}", file=sys.stderr)


def _watch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("paths", nargs="*", metavar="PATH", help="folders to add to the project's watched folders")
    p.add_argument(
        "--poll", action="store_true", help="poll these folders (network shares: no notifications)"
    )
    p.add_argument("--remove", action="append", metavar="PATH", help="stop watching this folder (repeatable)")
    p.add_argument("--list", action="store_true", help="list the watched folders and exit")
    p.add_argument("--once", action="store_true", help="ingest what is there and complete, then exit")
    p.add_argument("--settle", type=float, default=None, help="seconds a file must stand still (default 1)")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core; 0: none)"
    )
    p.add_argument("--no-analysis", action="store_true", help="probe and posters only; analyse later")
    p.add_argument("--no-proxies", action="store_true", help="write no survey proxies")


@command(
    "watch",
    "watch folders and ingest each take once it is complete (the folders are kept in the project)",
    _watch_arguments,
)
def cmd_watch(args: argparse.Namespace) -> int:
    from reviewer.ingest import watch

    with _open(args, create=bool(args.paths)) as project:
        for path in args.remove or ():
            if not watch.remove_folder(project, path):
                raise KnownError(f"{path} is not a watched folder of this project")
            print(for_terminal(f"No longer watching {path}"))
        for path in args.paths:
            folder = watch.add_folder(project, Path(path), poll=args.poll, by=default_reviewer())
            print(for_terminal(f"Watched folder: {folder.path}{' (polled)' if folder.poll else ''}"))
        folders = watch.folders(project)
        if args.list or (args.remove and not args.paths):
            for f in folders:
                print(for_terminal(f"{f.path}{'  (polled)' if f.poll else ''}  added by {f.added_by or '-'}"))
            return 0
        if not folders:
            raise KnownError("This project watches no folders: give one or more PATHs")
        watcher = watch.Watcher(
            project, folders, settle=args.settle if args.settle is not None else watch.SETTLE_S,
            workers=args.workers, analyze=not (args.no_analysis or args.once), proxies=not args.no_proxies,
            on_event=lambda e: print(for_terminal(e.line()), flush=True),
        )  # fmt: skip
        watcher.start()
        try:
            if args.once:
                watcher.wait_idle(timeout=3600)
            else:
                while True:
                    time.sleep(3600)
        finally:
            watcher.stop()
        n = len(watcher.ingested_ids)
        print(f"{n} take{'s' if n != 1 else ''} ingested while watching")
        if args.once and watcher.ingested_ids and not args.no_analysis:
            report = _ingestor(args, project).analyze()
            print(f"{report.filmstrips} takes analysed in {report.seconds:.1f} s")
            _cache_warning(report)
    return 0


def _analyze_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core; 0: none)"
    )
    p.add_argument("--force", action="store_true", help="analyse again even where a current analysis exists")
    p.add_argument(
        "--no-proxies", action="store_true", help="write no survey proxies (less disk, slower survey)"
    )
    p.add_argument(
        "--sensitivity",
        choices=["low", "normal", "high"],
        help='how sure a finding must be for "Looks broken" (stored in the project; re-sorts every analysis)',
    )


@command(
    "analyze",
    "the quality signals of every take (frozen, black, cuts, flicker, duplicates, sound)",
    _analyze_arguments,
)
def cmd_analyze(args: argparse.Namespace) -> int:
    from reviewer.ingest.ingest import set_signal_sensitivity

    with _open(args) as project:
        if args.sensitivity:
            changed = set_signal_sensitivity(project, args.sensitivity)
            print(f"Sensitivity {args.sensitivity}: {changed} takes sorted anew")
        report = _ingestor(args, project).analyze(force=args.force)
        with project.sessions() as session:
            broken = queries.broken_counts(session)
    print(f"{report.filmstrips} takes analysed in {report.seconds:.1f} s")
    _cache_warning(report)
    if broken["total"]:
        parts = ", ".join(f"{n} {k}" for k, n in broken.items() if k != "total" and n)
        print(f"{broken['total']} takes look broken: {parts}")
    return 0


def _filter(args: argparse.Namespace, project: Project) -> queries.TakeFilter:
    f = queries.TakeFilter(
        shots=args.shot or (),
        text=args.text or "",
        models=args.model or (),
        tags=args.tag or (),
        ai=args.ai,
    )
    if args.stage:
        with project.sessions() as session:
            names = [n.lower() for n in queries.stage_names(session)]
        if args.stage.lower() not in names:
            raise KnownError(f"No stage called {args.stage!r} (stages: {', '.join(names)})")
        f.stage = names.index(args.stage.lower())
        f.status = args.status
    return f


def _selection_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stage", help="only takes that reached this stage (see --status)")
    p.add_argument("--status", choices=["reached", "pending", "kept", "rejected"], default="reached")
    p.add_argument("--shot", action="append", help="only this shot (repeatable)")
    p.add_argument("--tag", action="append", help="only takes with this tag (repeatable)")
    p.add_argument("--model", action="append", help="only this model (repeatable)")
    p.add_argument("--text", help="full-text search over prompts, names and models")
    p.add_argument("--ai", choices=["yes", "no", "unknown"], help="only takes whose AI disclosure says this")


def _takes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    _selection_arguments(p)
    p.add_argument("--broken", action="store_true", help="only takes the analysis says look broken")
    p.add_argument("--duplicates-of", metavar="TAKE", help="only near-duplicates of this take (by picture)")


@command("takes", "list takes (JSON Lines with --json)", _takes_arguments)
def cmd_takes(args: argparse.Namespace) -> int:
    with _open(args) as project, project.sessions() as session:
        f = _filter(args, project)
        if args.duplicates_of:
            from reviewer.review.duplicates import near_duplicates

            take = queries.find_take(session, args.duplicates_of)
            if take is None:
                raise KnownError(f"No take {args.duplicates_of!r} in this project")
            f.ids = [t for t, _d in near_duplicates(session, take)] or [-1]
        ids: list[int] = list(session.scalars(queries.select_takes(session, f)))
        if args.broken:
            broken = set(session.scalars(select(m.TakeAnalysis.take_id).where(m.TakeAnalysis.broken != "")))
            ids = [t for t in ids if t in broken]
        out = sys.stdout
        relations = lineage.lineage_of(session, ids) if args.json else {}
        for row in queries.take_rows(session, ids):
            if args.json:
                row.update(relations.get(row["id"], {"parent": None, "family": None}))
                found = existing_proxy(row["content_hash"])
                row["proxy"] = str(found) if found is not None else None  # this workstation's cache
                out.write(dumps(row) + "\n")
            else:
                verdict = row["verdict"] or "-"
                out.write(for_terminal(
                    f"{row['id']:>6}  {row['shot'] or '-':<8} {row['stage']:<10} {verdict:<7} "
                    f"{row['width']}x{row['height']} {row['video_codec']:<6} {row['path']}"
                ) + "\n")  # fmt: skip
    return 0


def _retry_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "takes", nargs="*", metavar="TAKE", help="take ids, paths or unique file names (or a filter)"
    )
    _selection_arguments(p)
    p.add_argument("--seeds", type=int, default=1, help="variants per take, each with new seeds (default 1)")
    p.add_argument("-o", "--output", required=True, type=Path, help="the folder to write the retry list into")
    p.add_argument(
        "--negative-add", default="", metavar="TEXT", help='add to the negative prompt ("morphing")'
    )
    p.add_argument("--prompt-add", default="", metavar="TEXT", help="add to the positive prompt")
    p.add_argument("--seed", type=int, default=None, help="the first new seed (default: random)")
    p.add_argument(
        "--submit", metavar="URL", help="post the graphs to this ComfyUI server (http://host:8188)"
    )


@command(
    "retry",
    "a retry list back to the generator: ComfyUI graphs with new seeds and edits, a sheet for the rest",
    _retry_arguments,
)
def cmd_retry(args: argparse.Namespace) -> int:
    from reviewer.export import retry

    with _open(args) as project:
        if args.takes:
            ids = _takes(project, args.takes)
        elif any((args.stage, args.shot, args.tag, args.model, args.text, args.ai)):
            with project.sessions() as session:
                ids = list(session.scalars(queries.select_takes(session, _filter(args, project))))
        else:
            raise KnownError("Say which takes to retry: give TAKEs or a filter (--stage, --shot, --tag...)")
        if not ids:
            raise KnownError("No take matches: nothing to retry")
        plan = retry.plan_retry(project, ids, args.output, seeds=args.seeds, negative_add=args.negative_add,
                                prompt_add=args.prompt_add, first_seed=args.seed)  # fmt: skip
        parents = len({g.parent["id"] for g in plan.graphs})
        print(for_terminal(f"{len(plan.graphs)} ComfyUI graphs for {parents} takes in {args.output}"))
        for warning in sorted({f"take {g.parent['id']}: {w}" for g in plan.graphs for w in g.warnings}):
            print(for_terminal(f"  note: {warning}"), file=sys.stderr)
        if plan.sheet:
            print(
                for_terminal(f"{len(plan.sheet)} takes without a ComfyUI graph: {args.output / retry.SHEET}")
            )
        if args.submit and plan.graphs:
            name = str(project.setting("name", "") or "")
            retry.submit(plan, args.submit, project_name=name)
            for g in plan.graphs:
                if g.prompt_id:
                    print(for_terminal(f"{g.file}: queued as prompt {g.prompt_id}"))
                else:
                    print(for_terminal(f"{g.file}: refused by the server: {g.refused}"), file=sys.stderr)
            refused = sum(1 for g in plan.graphs if g.refused)
            print(f"{len(plan.graphs) - refused} queued on {for_terminal(args.submit)}, {refused} refused")
            return 1 if refused else 0
    return 0


def _lineage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("take", help="a take id, path or unique file name")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--parent", metavar="TAKE", help="set this take's parent by hand")
    how.add_argument("--no-parent", action="store_true", help="clear a parent set by hand")
    p.add_argument("--json", action="store_true")
    _reviewer_option(p)


@command("lineage", "a take's family: parent, siblings (same prompt family) and children", _lineage_arguments)
def cmd_lineage(args: argparse.Namespace) -> int:
    from reviewer.review.family import family_of

    with _open(args) as project:
        (take_id,) = _takes(project, [args.take])
        if args.parent or args.no_parent:
            parent = _takes(project, [args.parent])[0] if args.parent else None
            with project.session() as session:
                try:
                    lineage.set_parent(session, take_id, parent, args.reviewer or default_reviewer())
                except ValueError as exc:
                    raise KnownError(f"Cannot set that parent: {exc}") from None
        with project.session() as session:
            lineage.update(session)
        with project.sessions() as session:
            family = family_of(session, take_id)
    if args.json:
        print(dumps(family.as_dict()))
        return 0
    for line in family.lines():
        print(for_terminal(line))
    return 0


def _problems_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--json", action="store_true")


@command("problems", "list the files that could not be read", _problems_arguments)
def cmd_problems(args: argparse.Namespace) -> int:
    with _open(args) as project, project.sessions() as session:
        for p in queries.problems(session):
            if args.json:
                print(dumps({"path": p.path, "reason": p.reason, "at": p.at.isoformat()}))
            else:
                print(f"{for_terminal(p.path)}: {for_terminal(p.reason)}")
    return 0


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="the project to copy (a .trproj file, a folder or a database URL)")
    p.add_argument("target", help="the new project (a new .trproj file, or an empty PostgreSQL database URL)")


@command(
    "migrate",
    "copy a whole project into a new one, between a SQLite file and PostgreSQL (either way)",
    _migrate_arguments,
)
def cmd_migrate(args: argparse.Namespace) -> int:
    from reviewer.store.transfer import migrate

    started = time.monotonic()
    copied = migrate(args.source, args.target, progress=Progress())
    print(
        f"{copied.takes:,} takes and {copied.events:,} events copied to {secrets.redact(args.target)} in "
        f"{time.monotonic() - started:.1f} s; every table has the same rows on both sides"
    )
    return 0


def _roots_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--map", nargs=2, metavar=("STORED", "LOCAL"), help="read STORED/... from LOCAL/... here")
    p.add_argument("--unmap", metavar="STORED", help="forget a mapping")


@command(
    "roots",
    "the media roots and where this workstation finds them (map shared storage mounted elsewhere)",
    _roots_arguments,
)
def cmd_roots(args: argparse.Namespace) -> int:
    from reviewer.store import local

    if args.map:
        stored, here = args.map
        local.set_mapping(stored, str(Path(here).expanduser()))
    if args.unmap:
        local.set_mapping(args.unmap, None)
    with open_project(args.project, create=False) as project, project.sessions() as session:
        rows = local.roots(session)
    for name, stored, here, takes in rows:
        state = "found" if Path(here).is_dir() else "NOT FOUND here: map it with --map STORED LOCAL"
        mapped = f" -> {here}" if here != stored else ""
        print(for_terminal(f"{name}: {stored}{mapped}  ({takes:,} takes; {state})"))
    print(f"this workstation's mapping: {local.path_map_file()}")
    return 0


def _stats_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--json", action="store_true")


@command("stats", "the funnel: counts per stage, overall and per shot", _stats_arguments)
def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as project, project.sessions() as session:
        f = queries.funnel(session)
    if args.json:
        print(dumps(f.as_dict()))
        return 0
    print(f"{f.total} takes, {f.selected} selected")
    header = f"{'':<12}" + "".join(f"{s.name:>28}" for s in f.stages)
    print(for_terminal(header))
    print(f"{'':<12}" + "".join(f"{'reached kept rej pending':>28}" for _ in f.stages))

    def line(label: str, counts: list[queries.StageCount]) -> str:
        cells = "".join(f"{c.reached:>10}{c.kept:>6}{c.rejected:>5}{c.pending:>7}" for c in counts)
        return f"{label:<12}{cells}"

    print(line("all", f.stages))
    for code, counts in f.per_shot.items():
        print(for_terminal(line(code, counts)))
    return 0


def _decide_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("take", help="take id, path or unique file name")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--keep", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    verdict.add_argument("--clear", action="store_true")
    p.add_argument("--stage", help="the stage the verdict is for (default: where the take stands)")
    p.add_argument("--rating", type=int, choices=range(0, 6), metavar="0-5")
    p.add_argument("--tag", action="append", help="add a tag (repeatable)")
    p.add_argument("--untag", action="append", help="remove a tag (repeatable)")
    p.add_argument("--note", help="a note, at --frame or over --range if given")
    p.add_argument("--frame", type=int, help="the frame a note is pinned to")
    p.add_argument("--range", type=int, nargs=2, metavar=("IN", "OUT"), help="the frame range of a note")
    _reviewer_option(p)


@command("decide", "record a decision on a take (for scripts)", _decide_arguments)
def cmd_decide(args: argparse.Namespace) -> int:
    verdict = "keep" if args.keep else "reject" if args.reject else "clear" if args.clear else None
    with _open(args) as project:
        with project.sessions() as session:
            take_id = queries.find_take(session, args.take)
        if take_id is None:
            raise KnownError(
                f"No take {args.take!r} in this project (give an id, a path or a unique file name)"
            )
        frame_in, frame_out = (args.frame, args.frame) if args.frame is not None else (None, None)
        if args.range:
            frame_in, frame_out = args.range
        decision = Decision(
            verdict=verdict,
            stage=args.stage,
            rating=args.rating,
            tags_added=tuple(args.tag or ()),
            tags_removed=tuple(args.untag or ()),
            note=args.note,
            frame_in=frame_in,
            frame_out=frame_out,
        )
        change = decide(project, take_id, decision, args.reviewer or default_reviewer())
        with project.sessions() as session:
            row = next(queries.take_rows(session, [take_id]))
    print(for_terminal(
        f"take {take_id}: stage {row['stage']}, verdict {row['verdict'] or '-'}, rating {row['rating']}, "
        f"tags {', '.join(row['tags']) or '-'} (event {change.event_ids[0]})"
    ))  # fmt: skip
    return 0


def _declare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("ai", help="yes (AI-generated), no (camera, stock, hand-made), unknown, or evidence "
                   "(withdraw: the file's own evidence decides again)")  # fmt: skip
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help="take ids, paths or file names; or a folder (plates/ anywhere, or a path inside a media "
                   "root) for a folder rule over every take in it, now and later")  # fmt: skip
    p.add_argument("--why", default="", help="the reason, kept in the log")
    p.add_argument("--takes", action="store_true", help="the targets are takes, even where one is a folder")
    _reviewer_option(p)


@command(
    "declare",
    "declare takes, or every take in a folder, AI-generated or not where the files have no evidence",
    _declare_arguments,
)
def cmd_declare(args: argparse.Namespace) -> int:
    from reviewer.review import disclosure
    from reviewer.store.disclosure import EVIDENCE, answer

    ai = EVIDENCE if args.ai.strip().lower() == EVIDENCE else answer(args.ai)
    who = args.reviewer or default_reviewer()
    with _open(args) as project:
        takes: list[int] = []
        folders: list[str] = []
        with project.sessions() as session:
            for target in args.targets:
                if not args.takes and (target.endswith("/") or Path(target).expanduser().is_dir()):
                    folders.append(target)
                    continue
                take_id = queries.find_take(session, target)
                if take_id is None:
                    raise KnownError(
                        f"No take {target!r} in this project (give an id, a path or a file name; a folder ends with /)"
                    )
                takes.append(take_id)
        for folder in folders:
            if ai == EVIDENCE:
                covered = disclosure.remove_rule(project, folder, reviewer=who)
                print(
                    for_terminal(
                        f"folder rule for {folder} removed ({covered} takes decide by their evidence again)"
                    )
                )
            else:
                rule, covered = disclosure.add_rule(project, folder, ai, why=args.why, reviewer=who)
                print(for_terminal(f"{rule.text()}: covers {covered} takes now, and new takes in it"))
        if takes:
            disclosure.declare(project, takes, ai, why=args.why, reviewer=who)
            print(for_terminal(f"{len(takes)} takes declared {ai}"))
    return 0


def _disclosure_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--default", choices=["yes", "no", "unknown"], help="the answer for takes with no evidence"
    )
    p.add_argument("--trust-anchors", metavar="PEM", help="C2PA signers chaining to these certificates are trusted "
                   "('' to clear)")  # fmt: skip
    p.add_argument(
        "--sign-cert", metavar="PEM", help="certificate chain (signer first) for signing the selects"
    )
    p.add_argument("--sign-key", metavar="PEM", help="its private key (a passphrase comes from "
                   "$REVIEWER_C2PA_PASSPHRASE, never from the project)")  # fmt: skip
    p.add_argument(
        "--no-signing", action="store_true", help="sign nothing (selects are copied without a manifest)"
    )


@command(
    "disclosure",
    "how many takes are AI-generated and on what basis; the default, folder rules, C2PA trust and signing",
    _disclosure_arguments,
)
def cmd_disclosure(args: argparse.Namespace) -> int:
    from reviewer.export.selection import SIGNING_KEY
    from reviewer.ingest.ingest import TRUST_KEY
    from reviewer.review import disclosure

    with _open(args) as project:
        if args.default:
            changed = disclosure.set_default(project, args.default)
            print(
                for_terminal(f"default for takes without evidence: {args.default} ({changed} takes changed)")
            )
        if args.trust_anchors is not None:
            from reviewer.ingest.ingest import set_trust_anchors

            pem = Path(args.trust_anchors) if args.trust_anchors else None
            again = set_trust_anchors(project, pem)
            print(for_terminal(
                (f"trust anchors set to {pem}" if pem else "trust anchors cleared")
                + f"; {again} signed takes are read again by the next ingest"
            ))  # fmt: skip
        if args.no_signing:
            project.set_setting(SIGNING_KEY, None)
        elif args.sign_cert or args.sign_key:
            if not (args.sign_cert and args.sign_key):
                raise KnownError("Give both --sign-cert and --sign-key")
            from reviewer.media.credentials import SigningKey

            key = SigningKey(
                Path(args.sign_cert).expanduser().resolve(), Path(args.sign_key).expanduser().resolve()
            )
            key.signer()  # refuse a certificate or key that cannot sign, now rather than at the export
            project.set_setting(SIGNING_KEY, {"certificate": str(key.certificate), "key": str(key.key)})
        counts = disclosure.counts(project)
        with project.sessions() as session:
            bases = dict(
                session.execute(select(m.Take.ai_basis, func.count()).group_by(m.Take.ai_basis)).all()
            )
        print(for_terminal(
            f"AI-generated {counts['yes']}, not AI-generated {counts['no']}, unknown {counts['unknown']}; by basis: "
            + ", ".join(f"{k} {v}" for k, v in sorted(bases.items(), key=lambda kv: -kv[1]))
        ))  # fmt: skip
        with project.sessions() as session:
            from reviewer.store import disclosure as stored

            print(f"default for takes without evidence: {stored.default(session)}")
            for rule in stored.rules(session):
                print(for_terminal(f"  {rule.text()} — by {rule.by or '?'} at {rule.at[:16]}"))
        signing = project.setting(SIGNING_KEY)
        print(
            for_terminal(
                f"selects signed with {signing['certificate']}"
                if signing
                else "selects are not signed (no certificate set)"
            )
        )
        trust = project.setting(TRUST_KEY)
        print(
            for_terminal(
                f"C2PA trust anchors: {trust}"
                if trust
                else "C2PA trust anchors: none (signed files read as untrusted)"
            )
        )
    return 0


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--trust-anchors", metavar="PEM", help="trust C2PA signers chaining to these certificates")
    p.add_argument("--json", action="store_true", help="one JSON object per file")


@command("verify", "read and check the C2PA manifest chain of files (what a producer checks before delivery)",
         _verify_arguments)  # fmt: skip
def cmd_verify(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from reviewer.media import credentials

    trust = ""
    if args.trust_anchors:
        try:
            trust = Path(args.trust_anchors).expanduser().read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise KnownError(f"Cannot read {args.trust_anchors}: {exc.strerror or exc}") from None
    worst = 0
    for given in args.paths:
        path = Path(given)
        try:
            found = credentials.read(path, trust) if path.is_file() else None
            error = "" if path.is_file() else "no such file"
        except credentials.CredentialsError as exc:
            found, error = None, str(exc)
        except OSError as exc:
            found, error = None, exc.strerror or str(exc)
        if args.json:
            data: dict[str, object] = {"path": str(path), "manifest": None, "error": error or None}
            if found is not None:
                data["manifest"] = {**found.as_dict(), "chain": [asdict(mf) for mf in found.chain]}
            print(dumps(data))
        else:
            print(for_terminal(verify_text(path, found, error)))
        if found is None or found.validation == "invalid":
            worst = 1
    return worst


def verify_text(path: Path, found: object, error: str) -> str:
    from reviewer.media import credentials

    if not isinstance(found, credentials.Credentials):
        return f"{path}: {error or 'no C2PA manifest'}"
    lines = [f"{path}: {found.validation.upper()}" + (f" ({', '.join(found.codes)})" if found.codes else "")]
    for depth, mf in enumerate(found.chain):
        pad = "  " * (depth + 1)
        lines.append(f"{pad}{mf.label}  {mf.title}")
        lines.append(f"{pad}  signed by {mf.issuer or '?'}{' at ' + mf.signed_at if mf.signed_at else ''}; "
                     f"claim generator {mf.claim_generator or '?'}")  # fmt: skip
        if mf.actions or mf.digital_source_types:
            lines.append(
                f"{pad}  actions {', '.join(mf.actions) or '-'}; source {', '.join(mf.digital_source_types) or '-'}"
            )
        if mf.agents:
            lines.append(f"{pad}  by {', '.join(mf.agents)}")
        own = [a for a in mf.assertions if not a.startswith(("c2pa.", "stds."))]
        if own:
            lines.append(f"{pad}  assertions {', '.join(own)}")
        for ingredient in mf.ingredients:
            lines.append(f"{pad}  ingredient {ingredient['title']} ({ingredient['relationship']})"
                         + ("" if ingredient["manifest"] else ", no manifest"))  # fmt: skip
    return "\n".join(lines)


def _stage_position(project: Project, name: str) -> tuple[int, str]:
    with project.sessions() as session:
        names = queries.stage_names(session)
    for k, stage in enumerate(names):
        if stage.lower() == name.strip().lower():
            return k, stage
    raise KnownError(f"No stage called {name!r} in this project (stages: {', '.join(names)})")


def _team_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--voting", nargs="*", metavar="STAGE", help="the stages voted on (none: no votes)")
    p.add_argument(
        "--lead", nargs="*", metavar="NAME", help="the reviewers whose verdict settles a voted stage"
    )


@command("team", "team rules: the stages the team votes on, and the leads who decide them", _team_arguments)
def cmd_team(args: argparse.Namespace) -> int:
    from reviewer.review import votes

    with _open(args) as project:
        voting = [_stage_position(project, s)[0] for s in args.voting] if args.voting is not None else None
        rules = votes.set_rules(project, voting=voting, leads=args.lead)
        with project.sessions() as session:
            names = queries.stage_names(session)
    voted = ", ".join(names[k] for k in rules.voting if k < len(names)) or "none"
    print(
        for_terminal(f"voted stages: {voted}; leads: {', '.join(rules.leads) or 'none (votes are advisory)'}")
    )
    for k in rules.voting:
        if k in rules.revealed:
            print(for_terminal(
                f"  {names[k]}: votes revealed by {rules.revealed[k]['by']} at {rules.revealed[k]['at']}"
            ))  # fmt: skip
    return 0


def _takes(project: Project, refs: Sequence[str]) -> list[int]:
    ids = []
    with project.sessions() as session:
        for ref in refs:
            take_id = queries.find_take(session, ref)
            if take_id is None:
                raise KnownError(
                    f"No take {ref!r} in this project (give an id, a path or a unique file name)"
                )
            ids.append(take_id)
    return ids


def _survey_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--stage", "-s", help="the stage whose rule to set (with --rule)")
    p.add_argument("--rule", choices=("reject", "keep", "leave"), help="what Enter does with unmarked takes")


@command(
    "survey",
    "the survey's page rule per stage: what Enter does with the takes left unmarked on a page",
    _survey_arguments,
)
def cmd_survey(args: argparse.Namespace) -> int:
    from reviewer.review import survey

    if (args.stage is None) != (args.rule is None):
        raise KnownError("Give both --stage and --rule to set a rule, or neither to list them")
    with _open(args) as project, project.sessions() as session:
        names = queries.stage_names(session)
        if args.stage is not None:
            if args.stage not in names:
                raise KnownError(f"No stage {args.stage!r}: the stages are {', '.join(names)}")
            survey.set_page_rule(project, args.stage, args.rule)
        for position, name in enumerate(names):
            print(f"{name}: {survey.page_rule(project, name, position)}")
    return 0


def _vote_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("takes", nargs="+", help="take ids, paths or unique file names")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--keep", action="store_true")
    how.add_argument("--reject", action="store_true")
    _reviewer_option(p)


@command("vote", "a blind vote, keep or reject, on takes waiting at a voted stage", _vote_arguments)
def cmd_vote(args: argparse.Namespace) -> int:
    from reviewer.review import votes

    with _open(args) as project:
        change = votes.cast(
            project, _takes(project, args.takes), "keep" if args.keep else "reject", args.reviewer
        )
    print(
        f"voted {'keep' if args.keep else 'reject'} on {len(change.take_ids)} takes (hidden until revealed)"
    )
    return 0


def _votes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--stage", "-s", required=True)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--reveal", action="store_true", help="show everyone's votes to everyone (leads only)")
    shown.add_argument("--hide", action="store_true", help="hide them again for a new round (leads only)")
    p.add_argument("--json", action="store_true")
    _reviewer_option(p)


@command("votes", "the votes at a stage, as you may see them; a lead reveals them", _votes_arguments)
def cmd_votes(args: argparse.Namespace) -> int:
    from reviewer.review import votes

    viewer = args.reviewer or default_reviewer()
    with _open(args) as project:
        stage, name = _stage_position(project, args.stage)
        if args.reveal or args.hide:
            votes.reveal(project, stage, viewer, show=bool(args.reveal))
        rules = votes.rules(project)
        with project.sessions() as session:
            waiting = list(
                session.scalars(
                    select(m.TakeState.take_id)
                    .where(m.TakeState.stage_pos == stage, m.TakeState.rejected.is_(False))
                    .order_by(m.TakeState.take_id)
                )
            )
            tallies = votes.tally(session, stage, waiting, viewer, rules.is_revealed(stage))
            names = {r["id"]: r["name"] for r in queries.take_rows(session, waiting)}
    if args.json:
        print(dumps({"stage": name, "revealed": rules.is_revealed(stage),
                     "takes": [{"id": t, "name": names[t], **tallies[t].as_dict()} for t in waiting]},
                    indent=2))  # fmt: skip
        return 0
    state = "revealed" if rules.is_revealed(stage) else "hidden until a lead reveals them"
    print(for_terminal(f"{name}: {len(waiting)} takes waiting, votes {state}"))
    for t in waiting:
        print(for_terminal(f"  {t:>6}  {names[t]}: {tallies[t].text()}"))
    return 0


def _shots_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--import",
        dest="import_csv",
        metavar="CSV",
        help="shots from a CSV (code, title, description, target duration)",
    )
    p.add_argument(
        "--fps", type=float, default=24.0, help="rate for durations given in seconds or timecode (24)"
    )
    p.add_argument("--add", metavar="CODE", help="add a shot at the end of the board")
    p.add_argument("--title", help="the added shot's title")
    p.add_argument("--order", nargs="+", metavar="CODE", help="put these shots first, in this order")
    p.add_argument("--json", action="store_true")


@command("shots", "the shot board: counts, best rating, hero; import or add shots", _shots_arguments)
def cmd_shots(args: argparse.Namespace) -> int:
    from reviewer.review import shots

    with _open(args) as project:
        if args.import_csv:
            result = shots.import_csv(project, Path(args.import_csv), fps=args.fps)
            print(f"{len(result.created)} shots created, {len(result.updated)} updated")
        if args.add:
            shots.create_shot(project, args.add, title=args.title or "")
        if args.order:
            shots.reorder(project, args.order)
        with project.sessions() as session:
            board = shots.board(session)
    if args.json:
        for r in board:
            hero = r.hero
            print(dumps({
                "code": r.code, "title": r.title, "description": r.description, "target_frames": r.target_frames,
                "takes": r.takes, "keepers": r.keepers, "best_rating": r.best_rating, "warning": r.warning,
                "stages": [vars(c) for c in r.counts],
                "hero": None if hero is None else {
                    "take": hero.take_id, "name": hero.name, "path": hero.path,
                    "in": hero.frame_in, "out": hero.frame_out, "frames": hero.frames,
                },
            }))  # fmt: skip
        return 0
    for r in board:
        chosen = f"{r.hero.name} [{r.hero.frame_in}-{r.hero.frame_out}]" if r.hero else "-"
        stages = "  ".join(f"{c.name} {c.pending}/{c.kept}/{c.rejected}" for c in r.counts)
        warning = f"  ! {r.warning}" if r.warning else ""
        print(for_terminal(
            f"{r.code:<10} {r.takes:>6} takes  {stages}  best {r.best_rating or '-'}  hero {chosen}{warning}"
        ))  # fmt: skip
    return 0


def _hero_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("take", help="take id, path or unique file name (with --clear: the shot code)")
    p.add_argument("--trim", type=int, nargs=2, metavar=("IN", "OUT"), help="the hero's frame range")
    p.add_argument("--clear", action="store_true", help="the shot named has no hero any more")
    _reviewer_option(p)


@command("hero", "make a take the hero of its shot (or --clear a shot's hero)", _hero_arguments)
def cmd_hero(args: argparse.Namespace) -> int:
    from reviewer.review import shots

    with _open(args) as project:
        who = args.reviewer or default_reviewer()
        if args.clear:
            shots.clear_hero(project, args.take, who)
            print(for_terminal(f"shot {args.take} has no hero now"))
            return 0
        with project.sessions() as session:
            take_id = queries.find_take(session, args.take)
        if take_id is None:
            raise KnownError(
                f"No take {args.take!r} in this project (give an id, a path or a unique file name)"
            )
        frame_in, frame_out = args.trim or (None, None)
        shots.set_hero(project, take_id, frame_in, frame_out, who)
        with project.sessions() as session:
            row = next(queries.take_rows(session, [take_id]))
    print(for_terminal(f"take {take_id} is the hero of {row['shot']}"))
    return 0


def _frame_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--frame", type=int, help="frame number, from 0")
    where.add_argument("--time", type=float, help="seconds from the first frame")
    p.add_argument("-o", "--output", required=True, help="the PNG file to write")


@command("frame", "write one frame of a video file as a PNG still (frame-exact)", _frame_arguments)
def cmd_frame(args: argparse.Namespace) -> int:
    from reviewer.media.frames import FrameReader
    from reviewer.media.images import encode_png

    path = Path(args.file)
    with FrameReader(path) as reader:
        if args.frame is not None:
            number = args.frame
        else:
            number = reader.index.frame_at(args.time)
        if not 0 <= number < len(reader):
            raise KnownError(f"{path.name} has frames 0 to {len(reader) - 1}; there is no frame {number}")
        frame = reader.seek(number)
    out = Path(args.output)
    try:
        out.write_bytes(encode_png(frame.rgb))
    except OSError as exc:
        raise KnownError(f"Cannot write {out}: {exc.strerror}") from None
    height, width = frame.rgb.shape[:2]
    print(for_terminal(f"frame {frame.number} of {path.name} ({width}x{height}) written to {out}"))
    return 0


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--format", "-f", required=True, help="otio, otioz, edl, fcpxml, ale, csv, json, selects, pdf"
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--stage", "-s", help="the takes kept at this stage (e.g. Shortlist), whole")
    which.add_argument(
        "--heroes", action="store_true", help="the cut: each shot's hero with its trim, in shot order"
    )
    p.add_argument("-o", "--output", required=True, help="the file to write (a new folder for selects)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--split-by-rate", action="store_true", help="edl, ale: one file per frame rate")
    p.add_argument("--excel", action="store_true", help="csv: UTF-8 with a byte order mark, for Excel")
    p.add_argument("--template", default="{shot}_{rank}_{name}", help="selects: file names ({shot} {rank} {name} "
                   "{stem} {ext} {take_id} {model} {seed} {rating})")  # fmt: skip
    p.add_argument("--link", action="store_true", help="selects: hard links instead of copies where possible")


@command(
    "export",
    "write the cut (--heroes) or the takes kept at a stage as a shot list: otio, otioz, edl, fcpxml, ale, csv, json, selects, pdf",
    _export_arguments,
)
def cmd_export(args: argparse.Namespace) -> int:
    from reviewer.export.formats import Options, export, formats
    from reviewer.export.selection import select_clips, select_heroes

    fmt = args.format.lower()
    if fmt not in formats():
        export_formats = ", ".join(formats())
        raise KnownError(f"Unknown format {args.format!r}: choose one of {export_formats}")
    with open_project(args.project, create=False) as project:
        selection = select_heroes(project) if args.heroes else select_clips(project, args.stage)
    options = Options(force=args.force, split_by_rate=args.split_by_rate, excel=args.excel, template=args.template,
                      link=args.link)  # fmt: skip
    written = export(selection, fmt, Path(args.output), options)
    print(for_terminal(f"{selection.summary()}: {', '.join(str(p) for p in written[:3])}"
                       f"{' …' if len(written) > 3 else ''}"))  # fmt: skip
    for notice in selection.notices:
        print(for_terminal(notice))
    return 0


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", help="where to write it (default: ~/TakeReviewerDemo)")
    p.add_argument("--no-gui", action="store_true", help="only write it")
    p.add_argument("--force", action="store_true", help="write it again even if it exists")


@command("demo", "write a demo project made of generated takes and open it", _demo_arguments)
def cmd_demo(args: argparse.Namespace) -> int:
    from reviewer.demo import write_demo

    target = Path(args.dir or Path.home() / "TakeReviewerDemo")
    progress = Progress()
    project_file = write_demo(target, progress=progress, force=args.force)
    print(for_terminal(f"Demo project written: {project_file}"))
    if args.no_gui:
        return 0
    return _gui(str(project_file))


def _open_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file, folder or database URL")
    p.add_argument("--quit-after-load", action="store_true",
                   help="exit once every take is loaded (0) or the project failed to open (1): a smoke test")  # fmt: skip


@command("open", "open a project in the GUI", _open_arguments)
def cmd_open(args: argparse.Namespace) -> int:
    return _gui(args.project, quit_after_load=args.quit_after_load)


def _gui(project: str | None, quit_after_load: bool = False) -> int:
    from reviewer.ui.app import run_gui

    return run_gui(project, quit_after_load=quit_after_load)


def _reviewer_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as", dest="reviewer", help="reviewer name (default: $TAKE_REVIEWER_USER or the OS user)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewer", description="Take Reviewer: triage generated video takes down to a shot list."
    )
    parser.add_argument("--version", action="store_true", help="the versions of this build and its parts")
    sub = parser.add_subparsers(dest="command")
    for c in sorted(COMMANDS, key=lambda c: ORDER.index(c.name)):
        p = sub.add_parser(c.name, help=c.help)
        c.arguments(p)
        p.set_defaults(func=c.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Any = getattr(args, "func", None)
    if args.version:
        from reviewer.about import text

        try:
            from reviewer.ui.app import qt_version
            from reviewer.ui.audio import sound_output

            qt: str | None = qt_version()
            sound: str | None = sound_output()
        except ImportError:  # Qt's libraries missing: the command line still answers
            qt = sound = None
        print(text(qt=qt, sound=sound))
        return 0
    try:
        if func is None:
            return _gui(None)
        return int(func(args))
    except KnownError as exc:
        print(f"reviewer: {for_terminal(exc, newlines=True)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("reviewer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
