"""Export benchmark: shot lists out of a project of 70,000 decisions (target: CSV and OTIO in at most 2 s).

    python bench/export.py [--takes 70000] [--keep DIR]

Two synthetic projects, with no media behind them (an export reads the store, not the files):

1. The case we are built for: 70,000 takes, every one decided (70,000 decisions), through the funnel
   of a real review: a tenth kept at Triage, a fifth of those at Shortlist, a third of those at
   Selects, with ratings, defect tags and reviewers' notes. Every format is exported from every stage
   as ``reviewer export`` does it (reading the selection from the store, building, writing), and
   measured against the 2 s target.
2. The extreme: all 70,000 kept at Triage, so every one of them is a row of the CSV and a clip of the
   timeline. Beside it, in the same process, the baselines: the csv module writing the same rows from
   ready-made Python lists, and the opentimelineio library building and writing the same clips with
   no metadata at all (its own floor; the timeline must be built with the library).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

import opentimelineio as otio

from reviewer.errors import KnownError
from reviewer.export.formats import CSV_COLUMNS, SUFFIXES, Options, export, row_values
from reviewer.export.selection import Clip, Selection, select_clips
from reviewer.store import synthetic
from reviewer.store.db import Project, open_project

TARGET_S = 2.0
FUNNEL = (0.10, 0.20, 0.35)  # kept at Triage, Shortlist, Selects
FORMATS = ("csv", "json", "otio", "fcpxml", "ale", "edl")


def project_at(path: Path, takes: int, **fill: object) -> Project:
    if not path.exists():
        started = time.perf_counter()
        project = open_project(path)
        synthetic.fill(project, takes, **fill)  # type: ignore[arg-type]
        project.close()
        print(f"  ({takes:,} synthetic takes written in {time.perf_counter() - started:.0f} s)")
    return open_project(path)


def timed(fmt: str, stage: str, project: Project, out: Path) -> tuple[float, Selection, Path]:
    """One export as the CLI runs it: the selection read from the store, then built and written."""
    target = out / f"{stage}{SUFFIXES[fmt]}"
    started = time.perf_counter()
    selection = select_clips(project, stage)
    export(selection, fmt, target, Options(force=True))
    return time.perf_counter() - started, selection, target


def verdict(seconds: float, fmt: str) -> str:
    if fmt not in ("csv", "otio"):
        return ""
    return "within target" if seconds <= TARGET_S else f"OVER the {TARGET_S:.0f} s target"


def the_case(work: Path, takes: int) -> None:
    print(f"\n1. {takes:,} takes, every one decided; kept {FUNNEL[0]:.0%} at Triage, {FUNNEL[1]:.0%} of those at "
          f"Shortlist, {FUNNEL[2]:.0%} of those at Selects")  # fmt: skip
    project = project_at(work / f"funnel-{takes}.trproj", takes, decided=1.0, funnel=FUNNEL, notes=0.3)
    out = work / "out-funnel"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    slowest: dict[str, float] = {}
    for stage in ("Triage", "Shortlist", "Selects"):
        for fmt in FORMATS:
            try:
                seconds, selection, target = timed(fmt, stage, project, out)
            except KnownError as exc:  # a CMX3600 EDL holds 999 events: said, and nothing written
                print(f"  {stage:9} {fmt:6} refused: {str(exc)[:90]}")
                continue
            slowest[fmt] = max(slowest.get(fmt, 0.0), seconds)
            notes = sum(len(c.notes) for c in selection.clips)
            print(f"  {stage:9} {fmt:6} {len(selection.clips):6,} takes ({notes:,} notes) in {seconds:5.2f} s "
                  f"({target.stat().st_size / 1e6:5.1f} MB)  {verdict(seconds, fmt)}")  # fmt: skip
    met = all(slowest[f] <= TARGET_S for f in ("csv", "otio"))
    print(f"  slowest CSV {slowest['csv']:.2f} s, OTIO {slowest['otio']:.2f} s: "
          f"{'the 2 s target holds at every stage' if met else 'the 2 s target is MISSED'}")  # fmt: skip
    project.close()


def the_extreme(work: Path, takes: int) -> None:
    print(f"\n2. The extreme: all {takes:,} takes kept at Triage (every one a row and a clip)")
    project = project_at(work / f"all-kept-{takes}.trproj", takes, decided=1.0, keep=1.0)
    out = work / "out-all"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    figures: dict[str, float] = {}
    selection: Selection | None = None
    for fmt in ("csv", "json", "otio"):
        started = time.perf_counter()
        selection = select_clips(project, "Triage")
        selected = time.perf_counter() - started
        figures[fmt], selection, target = timed(fmt, "Triage", project, out)
        print(f"  {fmt:5} {len(selection.clips):,} takes in {figures[fmt]:.2f} s (reading the selection "
              f"{selected:.2f} s; {target.stat().st_size / 1e6:.0f} MB)  {verdict(figures[fmt], fmt)}")  # fmt: skip
    assert selection is not None
    clips = selection.clips
    bare_csv = bare_rows(clips, out / "bare.csv")
    floor = library_floor(clips, out / "floor.otio")
    print(f"  baselines in the same run: the csv module writing the same rows, ready-made: {bare_csv:.2f} s "
          f"(CSV export / this: {figures['csv'] / bare_csv:.1f}x); opentimelineio building and writing the "
          f"same clips with no metadata: {floor:.2f} s (OTIO export / this: {figures['otio'] / floor:.1f}x)")  # fmt: skip
    for count in (1_000, 7_000, 14_000, 35_000):  # where OTIO crosses the target
        part = [c.take_id for c in clips[:count]]
        started = time.perf_counter()
        export(select_clips(project, "Triage", take_ids=part), "otio", out / "part.otio", Options(force=True))
        seconds = time.perf_counter() - started
        print(f"  otio  {count:,} of them in {seconds:.2f} s  {verdict(seconds, 'otio')}")
    project.close()


def bare_rows(clips: list[Clip], out: Path) -> float:
    """Seconds the csv module takes to write the rows, given them ready as lists of strings."""
    rows = [[str(v) for v in row_values(c)] for c in clips]
    started = time.perf_counter()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    out.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return time.perf_counter() - started


def library_floor(clips: list[Clip], out: Path) -> float:
    """Seconds the library takes to build and write the same clips with no metadata."""
    started = time.perf_counter()
    track = otio.schema.Track()
    for c in clips:
        fps = float(c.rate)
        track.append(otio.schema.Clip(
            name=c.name,
            media_reference=otio.schema.ExternalReference(target_url=c.path_text, available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(c.frame_count, fps))),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(c.first, fps), otio.opentime.RationalTime(c.duration, fps)),
        ))  # fmt: skip
    otio.adapters.write_to_file(track, str(out), indent=-1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=70_000)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated projects in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"export benchmark in {work} ({os.cpu_count()} cores); each figure is a whole export: the "
          "selection read from the store, the file built and written")  # fmt: skip
    the_case(work, args.takes)
    the_extreme(work, args.takes)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
