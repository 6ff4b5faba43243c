"""Export benchmark: 70,000 kept takes to CSV and to OpenTimelineIO (target: at most 2 s each).

    python bench/export.py [--takes 70000] [--keep DIR]

The project is synthetic (every take kept at Triage, with provenance and a rating). Each figure is the
whole export as ``reviewer export`` runs it: reading the selection from the store, building, writing.
Beside it, in the same process: the bare cost of writing the same rows with the csv module from
ready-made Python lists, and of serialising an OTIO timeline that is already built, so the share of
our own work is visible.
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

from reviewer.export.formats import CSV_COLUMNS, Options, export, row_values, timeline
from reviewer.export.selection import select_clips
from reviewer.store import synthetic
from reviewer.store.db import open_project


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=70_000)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated project in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"all-kept-{args.takes}.trproj"
    print(f"export benchmark in {work} ({os.cpu_count()} cores)")
    if not path.exists():
        started = time.perf_counter()
        project = open_project(path)
        synthetic.fill(project, args.takes, decided=1.0, keep=1.0)
        project.close()
        print(
            f"  {args.takes:,} synthetic takes, all kept at Triage, written in {time.perf_counter() - started:.0f} s"
        )
    project = open_project(path)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for fmt, suffix in (("csv", ".csv"), ("json", ".json"), ("otio", ".otio")):
        started = time.perf_counter()
        selection = select_clips(project, "Triage")
        selected = time.perf_counter() - started
        export(selection, fmt, out / f"list{suffix}", Options(force=True))
        total = time.perf_counter() - started
        size = (out / f"list{suffix}").stat().st_size / 1e6
        print(f"  {fmt:5} {len(selection.clips):,} takes in {total:.2f} s (reading the selection {selected:.2f} s; "
              f"{size:.0f} MB written; target <= 2 s)")  # fmt: skip
    ids = [c.take_id for c in selection.clips]
    for count in (600, 7_000):  # a shortlist, and a triage keep of 10%
        for fmt, suffix in (("csv", ".csv"), ("otio", ".otio")):
            started = time.perf_counter()
            part = select_clips(project, "Triage", take_ids=ids[:count])
            export(part, fmt, out / f"part{suffix}", Options(force=True))
            print(f"  {fmt:5} {count:,} takes in {time.perf_counter() - started:.2f} s")
    rows = [[str(v) for v in row_values(c)] for c in selection.clips]
    started = time.perf_counter()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    (out / "bare.csv").write_text(buffer.getvalue())
    bare_csv = time.perf_counter() - started
    tl = timeline(selection)
    started = time.perf_counter()
    otio.adapters.write_to_file(tl, str(out / "bare.otio"), indent=-1)
    bare_otio = time.perf_counter() - started
    # The library's floor: the same clips, files and ranges with no metadata at all, built and written.
    started = time.perf_counter()
    track = otio.schema.Track()
    for c in selection.clips:
        fps = float(c.rate)
        track.append(otio.schema.Clip(
            name=c.name,
            media_reference=otio.schema.ExternalReference(target_url=c.path_text, available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(c.frame_count, fps))),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(c.first, fps), otio.opentime.RationalTime(c.duration, fps)),
        ))  # fmt: skip
    otio.adapters.write_to_file(track, str(out / "floor.otio"), indent=-1)
    floor = time.perf_counter() - started
    print(f"  baselines in the same run: the csv module writing ready rows {bare_csv:.2f} s; "
          f"OTIO serialising our built timeline {bare_otio:.2f} s; OTIO building and writing the same "
          f"clips with no metadata at all {floor:.2f} s")  # fmt: skip
    project.close()
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
