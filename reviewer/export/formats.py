"""Shot lists out: OpenTimelineIO (and .otioz), CMX3600 EDL, FCP7 XML, ALE, CSV, JSON, a selects folder.

Timelines are built with the ``opentimelineio`` library and written by its adapters (otio-cmx3600,
otio-fcp, otio-ale); CSV and JSON are ours. Every file is written beside its target under a temporary
name and renamed into place at the end, so a failed export leaves nothing half-written; an existing
target is replaced only with ``force``. The contact sheet (a PDF, drawn with Qt) lives in
``reviewer.ui.contact_sheet`` and registers itself here as the format ``pdf`` (``formats()``).
"""

from __future__ import annotations

import csv
import errno
import functools
import io
import json
import operator
import os
import re
import shutil
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio import opentime
from opentimelineio._otio import PyAny  # the binding `metadata[...] = ` passes through unconverted

from reviewer import __version__
from reviewer.errors import KnownError
from reviewer.export.selection import NAMESPACE, Clip, Missing, Selection, bulk, disclosed, timecoder
from reviewer.media import credentials
from reviewer.media.credentials import sign_copy
from reviewer.untrusted import NAME_MAX, byte_length, fit_bytes, one_line, strip_bidi

DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
CSV_COLUMNS = (
    "shot", "rank", "take", "file", "folder", "in_tc", "out_tc", "duration_tc", "in_frame", "out_frame",
    "duration_frames", "fps", "resolution", "codec", "audio", "stage", "verdict", "rating", "tags", "notes",
    "reviewer", "decided_at", "ai_generated", "ai_basis", "ai_basis_text", "generator", "model", "prompt", "negative_prompt", "seed",
    "content_hash",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Options:
    force: bool = False
    split_by_rate: bool = False  # EDL and ALE: one file per frame rate instead of refusing mixed rates
    excel: bool = False  # CSV: UTF-8 with a byte order mark, for Excel
    template: str = "{shot}_{rank}_{name}"  # selects folder
    link: bool = False  # selects folder: hard links instead of copies


# --- writing safely ----------------------------------------------------------------------------------


def check_target(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise KnownError(f"{out} exists already: add --force to replace it")
    if out.is_dir() and force and any(out.iterdir()):
        raise KnownError(f"{out} is a folder with files in it; give a file name")
    parent = out.parent
    if not parent.is_dir():
        raise KnownError(f"Cannot write {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise KnownError(f"Cannot write {out}: no permission to write in {parent}")


@contextmanager
def atomic_file(out: Path, force: bool) -> Iterator[Path]:
    """A temporary path beside ``out``; renamed to ``out`` when the block succeeds, removed if it fails."""
    check_target(out, force)
    tmp = out.with_name(f".{fit_bytes(out.name, NAME_MAX - 24)}.partial-{os.getpid()}")
    try:
        yield tmp
        if out.is_dir():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise KnownError(f"Cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(out: Path, text: str, force: bool, encoding: str = "utf-8") -> Path:
    with atomic_file(out, force) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")
    return out


# --- OpenTimelineIO ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def rate_label(rate: Fraction) -> str:
    """24, 23.976, 29.97: how editors name a rate."""
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}".rstrip("0").rstrip(".")


def start_timecode(rate: Fraction) -> opentime.RationalTime:
    """01:00:00:00 at ``rate`` (01:00:00;00 drop-frame at 29.97 and 59.94)."""
    fps = float(rate)
    text = "01:00:00;00" if rate in DROP_FRAME_RATES else "01:00:00:00"
    return opentime.from_timecode(text, fps)


def clip_metadata(c: Clip) -> dict[str, Any]:
    return {
        "take_id": c.take_id,
        "shot": c.shot,
        "rank": c.rank,
        "stage": c.stage,
        "verdict": c.verdict,
        "rating": c.rating,
        "tags": list(c.tags),
        "reviewer": c.reviewer,
        "decided_at": c.decided_at,
        "frame_rate": c.rate_text(),
        "resolution": f"{c.width}x{c.height}",
        "codec": c.codec,
        "provenance": c.provenance(),
    }


def disclosure_counts(selection: Selection) -> dict[str, Any]:
    """How much of a shot list is generated, by which models, and how much rests on no evidence."""
    generated = [c for c in selection.clips if c.ai_generated]
    models: dict[str, int] = {}
    for c in generated:
        models[c.ai_made_by or "unnamed model"] = models.get(c.ai_made_by or "unnamed model", 0) + 1
    return {
        "clips": len(selection.clips),
        "generated": len(generated),
        "not_generated": sum(1 for c in selection.clips if c.ai_generated is False),
        "unknown": sum(1 for c in selection.clips if c.ai_generated is None),
        "without_evidence": sum(1 for c in selection.clips if c.ai_basis == "default"),
        "models": dict(sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def ai_comment(c: Clip) -> str:
    """The line EDL and FCP XML comments carry: "AI-generated: yes (c2pa-untrusted: C2PA manifest ...)"."""
    return one_line(f"AI-generated: {disclosed(c.ai_generated)} ({c.ai_basis}: {c.ai_basis_text})")[:400]


def metadata_values(dicts: list[dict[str, Any]]) -> list[Any]:
    """Plain dicts as OTIO metadata values, converted in C++ in one pass.

    Setting ``clip.metadata[key] = dict`` converts value by value in Python (about 0.3 ms a clip, 20 s
    for 70,000 clips). Here the library's own JSON reader parses all of them at once, and each comes
    back as an AnyDictionary ready to set: about a third of that time, and the same values.
    """
    if not dicts:
        return []
    holder = otio.core.deserialize_json_from_string(
        json.dumps(
            {"OTIO_SCHEMA": "SerializableObjectWithMetadata.1", "name": "", "metadata": {"items": dicts}},
            ensure_ascii=False,
            allow_nan=False,
        )
    )
    return [PyAny(d) for d in holder.metadata["items"]]


@functools.lru_cache(maxsize=4096)
def folder_url(folder: str) -> str:
    return str(otio.url_utils.url_from_filepath(folder))


def file_url(path: str) -> str:
    """``url_from_filepath`` of a file, worked out once per folder (takes share a few folders)."""
    folder, name = os.path.split(path)
    return (
        f"{folder_url(folder).rstrip('/')}/{name}" if folder else str(otio.url_utils.url_from_filepath(path))
    )


@functools.lru_cache(maxsize=4096)
def frame_range(start: int, frames: int, fps: float) -> opentime.TimeRange:
    """``frames`` frames from frame ``start`` (a value: copied where it is set, so one serves every
    take of the same length and rate, and takes come in a few lengths)."""
    return opentime.TimeRange(opentime.RationalTime(start, fps), opentime.RationalTime(frames, fps))


Namespaces = Callable[[Clip], dict[str, dict[str, Any]]]


def timeline(
    selection: Selection, plain_paths: bool = False, extra: Namespaces | None = None, lines: bool = False
) -> otio.schema.Timeline:
    """One video track: the clips in shot order at their own rates, notes as markers, provenance in metadata.

    ``extra``: more metadata for each clip, by namespace (the same namespaces for every clip), for the
    adapters that read their own (``cmx_3600``, ``ALE``). ``lines``: names, notes and paths made one
    line each and fit for XML (EDL, ALE and FCP XML cannot carry a control character in them)."""
    text: Callable[[str], str] = one_line if lines else str
    tl = otio.schema.Timeline(name=text(f"{selection.project} - {selection.stage}"))
    tl.metadata[NAMESPACE] = {
        "project": selection.project,
        "stage": selection.stage,
        "exported_at": selection.exported_at.isoformat(),
        "exporter": f"Take Reviewer {__version__}",
        "contains_ai_generated_content": any(c.ai_generated for c in selection.clips),
        "ai_disclosure": disclosure_counts(selection),
    }
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    extras = [extra(c) for c in selection.clips] if extra else []
    spaces = [NAMESPACE, *(extras[0] if extras else ())]
    dicts = [clip_metadata(c) for c in selection.clips]
    if extras:  # clip after clip, each clip's namespaces in the order of ``spaces``
        dicts = [d for own, more in zip(dicts, extras, strict=True) for d in (own, *more.values())]
    metadata = iter(metadata_values(dicts))
    gaps = {g.before: g for g in selection.missing}
    gap_fps = float(selection.gap_rate())
    # Each value is taken (moved) by the object it is set on: one per marker, converted in one pass.
    signatures = iter(metadata_values([{"reviewer": n.reviewer} for c in selection.clips for n in c.notes]))
    for k, c in enumerate(selection.clips):
        if k in gaps:
            track.append(gap(gaps.pop(k), gap_fps))
        fps = float(c.rate)
        reference = otio.schema.ExternalReference(
            target_url=text(c.path_text) if plain_paths else file_url(c.path_text),
            available_range=frame_range(0, c.frame_count, fps),
        )
        clip = otio.schema.Clip(
            name=text(c.name), media_reference=reference, source_range=frame_range(c.first, c.duration, fps)
        )
        for space in spaces:
            clip.metadata[space] = next(metadata)
        for note in c.notes:
            first = max(c.first, min(note.frame_in, c.last))
            last = max(first, min(note.frame_out, c.last))
            marker = otio.schema.Marker(
                name=text(note.text),
                marked_range=opentime.TimeRange(
                    opentime.RationalTime(first, fps), opentime.RationalTime(last - first + 1, fps)
                ),
                color=otio.schema.MarkerColor.RED,
            )
            marker.metadata[NAMESPACE] = next(signatures)
            clip.markers.append(marker)
        track.append(clip)
    for missing in gaps.values():  # shots after the last hero
        track.append(gap(missing, gap_fps))
    tl.tracks.append(track)
    if selection.clips and selection.clips[0].smpte:
        tl.global_start_time = start_timecode(selection.clips[0].rate)
    return tl


def gap(missing: Missing, fps: float) -> otio.schema.Gap:
    """A shot without a hero: a gap of its target length, so the shots after it keep their place."""
    return otio.schema.Gap(
        name=f"{missing.shot} (no hero)",
        source_range=opentime.TimeRange(
            opentime.RationalTime(0, fps), opentime.RationalTime(missing.frames, fps)
        ),
        metadata={NAMESPACE: {"shot": missing.shot, "missing": "no hero"}},
    )


INDENT_UP_TO = 2000  # clips: larger timelines are written without indenting (a third of the size and time)


def write_otio(selection: Selection, out: Path, options: Options) -> list[Path]:
    tl = timeline(selection)
    indent = 4 if len(selection.clips) <= INDENT_UP_TO else -1
    return [write_text(out, otio.adapters.write_to_string(tl, "otio_json", indent=indent), options.force)]


def write_otioz(selection: Selection, out: Path, options: Options) -> list[Path]:
    """The timeline with its media bundled (a zip OpenTimelineIO reads directly)."""
    missing = [c.path for c in selection.clips if not c.path.is_file()]
    if missing:
        raise KnownError(f"{len(missing)} media files are missing, e.g. {missing[0]}: cannot bundle them")
    tl = timeline(selection)
    with atomic_file(out, options.force) as tmp:
        otio.adapters.write_to_file(tl, str(tmp), adapter_name="otioz")
    return [out]


# --- EDL and ALE (one frame rate per file) ------------------------------------------------------------


def need_timecode(selection: Selection, what: str) -> None:
    """EDL, ALE and FCP XML count in SMPTE timecode: refuse takes at rates that have none, by name."""
    odd = [c for c in selection.clips if not c.smpte]
    if odd:
        rates = ", ".join(sorted({f"{rate_label(c.rate)} fps" for c in odd}))
        raise KnownError(
            f"{len(odd)} takes run at a rate that has no SMPTE timecode ({rates}), e.g. {odd[0].name}, and an "
            f"{what} needs one. Conform them to an editorial rate first, or export OTIO, CSV or JSON, which "
            "keep any rate"
        )


def by_rate(selection: Selection, what: str, options: Options) -> list[tuple[Fraction, Selection]]:
    need_timecode(selection, what)
    rates = selection.rates()
    if len(rates) > 1 and not options.split_by_rate:
        listed = ", ".join(f"{rate_label(r)} fps" for r in rates)
        raise KnownError(
            f"The takes have {len(rates)} frame rates ({listed}) and an {what} has one: export with "
            f"--split-by-rate for one {what} per rate, or use OTIO or FCP XML, which keep each take's rate"
        )
    if len(rates) == 1:
        return [(rates[0], selection)]  # gaps for shots without a hero stay in place
    # One file per rate: a gap's place in the cut means nothing in a file of some of its shots.
    return [
        (rate, Selection(selection.project, selection.stage, [c for c in selection.clips if c.rate == rate],
                         selection.exported_at))
        for rate in rates
    ]  # fmt: skip


def split_path(out: Path, rate: Fraction, split: bool) -> Path:
    return out.with_name(f"{out.stem}_{rate_label(rate)}fps{out.suffix}") if split else out


_EVENT = re.compile(
    r"^(?P<head>\d{3}\s+\S+\s+\S+\s+\S+(?:\s+\d{3})?\s+\S+\s+\S+\s+)(?P<rin>\S+)(?P<gap>\s+)(?P<rout>\S+)(?P<tail>\s*)$"
)


def edl_text(selection: Selection, rate: Fraction) -> str:
    """A CMX3600 EDL from the OTIO adapter, with the FCM line and record timecode from 01:00:00:00."""
    if len(selection.clips) > 999:
        raise KnownError(
            f"A CMX3600 EDL holds at most 999 events and this one would have {len(selection.clips):,}: "
            "export OTIO or FCP XML instead, or a later stage"
        )
    fps = float(rate)
    # File-based sources: AX reels, conformed by clip name and the file's path (a path, not a URL).
    tl = timeline(selection, plain_paths=True, extra=lambda c: {"cmx_3600": {"reel": "AX"}}, lines=True)
    text = otio.adapters.write_to_string(tl, "cmx_3600", rate=fps, style="nucoda")
    comments = iter([ai_comment(c) for c in selection.clips])
    offset = start_timecode(rate)
    drop = rate in DROP_FRAME_RATES
    lines = []
    for line in text.splitlines():
        match = _EVENT.match(line)
        if match:
            rec_in = opentime.from_timecode(match["rin"], fps) + offset
            rec_out = opentime.from_timecode(match["rout"], fps) + offset
            line = f"{match['head']}{opentime.to_timecode(rec_in, fps)}{match['gap']}{opentime.to_timecode(rec_out, fps)}"
        lines.append(line)
        if line.startswith("* FROM CLIP NAME:"):
            lines.append(f"* {next(comments, '')}")
        if line.startswith("TITLE:"):
            lines.append("FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME")
    return "\n".join(lines) + "\n"


def write_edl(selection: Selection, out: Path, options: Options) -> list[Path]:
    groups = by_rate(selection, "EDL", options)
    texts = [(split_path(out, rate, len(groups) > 1), edl_text(part, rate)) for rate, part in groups]
    return _write_all(texts, options)


ALE_COLUMNS = (
    "Name", "Tape", "Start", "End", "Duration", "Source File", "Shot", "Rank", "Verdict", "Rating", "Tags",
    "Notes", "Reviewer", "AI Generated", "AI Basis", "Generator", "Model", "Prompt", "Seed", "Content Hash",
)  # fmt: skip


def ale_columns(c: Clip) -> dict[str, dict[str, Any]]:
    """A clip's own ALE columns, each on one line (the file is one line per clip, tab separated)."""
    values = {
        "Tape": "AX", "Shot": c.shot, "Rank": str(c.rank), "Verdict": c.verdict,
        "Rating": "" if c.rating is None else str(c.rating), "Tags": ", ".join(c.tags),
        "Notes": " | ".join(f"f{n.frame_in}: {n.text}" for n in c.notes), "Reviewer": c.reviewer or "",
        "AI Generated": disclosed(c.ai_generated), "AI Basis": f"{c.ai_basis}: {c.ai_basis_text}", "Generator": c.generator, "Model": c.model,
        "Prompt": c.prompt, "Seed": c.seed, "Content Hash": c.content_hash,
    }  # fmt: skip
    return {"ALE": {key: " ".join(one_line(value).split()) for key, value in values.items()}}


def ale_text(selection: Selection, rate: Fraction) -> str:
    # "Source File" is the adapter's, from each clip's media: a path, as Avid shows it, not a URL.
    tl = timeline(selection, plain_paths=True, extra=ale_columns, lines=True)
    text = otio.adapters.write_to_string(tl, "ale", columns=list(ALE_COLUMNS), fps=float(rate))
    # The header says the rate as editors and Avid write it: 23.976, not 23.976023976023978.
    return re.sub(r"(?m)^FPS\t.*$", f"FPS\t{rate_label(rate)}", text)


def write_ale(selection: Selection, out: Path, options: Options) -> list[Path]:
    groups = by_rate(selection, "ALE", options)
    texts = [(split_path(out, rate, len(groups) > 1), ale_text(part, rate)) for rate, part in groups]
    return _write_all(texts, options)


def _write_all(texts: list[tuple[Path, str]], options: Options) -> list[Path]:
    for path, _ in texts:
        check_target(path, options.force)  # all or nothing: refuse before writing the first
    written: list[Path] = []
    try:
        for path, text in texts:
            written.append(write_text(path, text, options.force))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def write_fcpxml(selection: Selection, out: Path, options: Options) -> list[Path]:
    """FCP7 XML (xmeml) through the OpenTimelineIO FCP adapter, for Premiere and Resolve."""
    need_timecode(selection, "FCP XML")
    odd = [c for c in selection.clips if one_line(c.path_text) != c.path_text]
    if odd:  # the file's path is the link in FCP XML, and XML 1.0 has no way to write these characters
        raise KnownError(
            f"{len(odd)} takes have control characters in their file path, e.g. {one_line(odd[0].path_text)!r}, "
            "which FCP XML cannot hold: rename them, or export OTIO, EDL, ALE, CSV or JSON"
        )
    # the disclosure as each clip item's master comment, which Premiere and Resolve show in a column
    tl = timeline(
        selection, lines=True, extra=lambda c: {"fcp_xml": {"comments": {"mastercomment1": ai_comment(c)}}}
    )
    return [write_text(out, otio.adapters.write_to_string(tl, "fcp_xml"), options.force)]


# --- CSV and JSON for production ------------------------------------------------------------------------


def row_values(c: Clip, tc: Callable[[int], str] | None = None, fps: str | None = None) -> list[Any]:
    """One clip's cells in ``CSV_COLUMNS`` order (``tc`` and ``fps``: its rate's timecoder and label,
    when the caller has them at hand)."""
    path = c.path_text
    notes = " | ".join(
        f"f{n.frame_in}" + (f"-{n.frame_out}" if n.frame_out != n.frame_in else "") + f" {n.reviewer}: {n.text}"
        for n in c.notes
    ) if c.notes else ""  # fmt: skip
    tc = tc or timecoder(c.rate)
    duration = c.last - c.first + 1
    return [
        c.shot, c.rank, c.name, path, path[: max(path.rfind("/"), path.rfind(os.sep))] or os.path.dirname(path),
        tc(c.first), tc(c.last), tc(duration), c.first, c.last, duration, fps or rate_label(c.rate),
        f"{c.width}x{c.height}", c.codec or "",
        "yes" if c.has_audio else "no", c.stage, c.verdict, "" if c.rating is None else c.rating,
        ", ".join(c.tags), notes, c.reviewer or "", c.decided_at or "", disclosed(c.ai_generated), c.ai_basis,
        c.ai_basis_text, c.generator, c.model, c.prompt, c.negative_prompt, c.seed, c.content_hash,
    ]  # fmt: skip


def rows(clips: list[Clip]) -> Iterator[list[Any]]:
    """Every clip's cells, with each rate's timecoder and label looked up once per rate: a selection
    shares one Fraction per rate, and hashing a Fraction costs more than the rest of a row."""
    per_rate: dict[int, tuple[Callable[[int], str], str]] = {}
    for c in clips:
        found = per_rate.get(id(c.rate))
        if found is None:
            found = per_rate[id(c.rate)] = (timecoder(c.rate), rate_label(c.rate))
        yield row_values(c, *found)


_FORMULA_CHARS = frozenset(FORMULA_START)
# The columns that can hold text from outside (names, paths, metadata): the others are numbers,
# timecodes and our own words, and need no check.
_TEXT_COLUMNS = tuple(
    CSV_COLUMNS.index(c)
    for c in ("shot", "take", "file", "folder", "codec", "tags", "notes", "reviewer", "generator", "model",
              "prompt", "negative_prompt", "seed", "content_hash")
)  # fmt: skip


_PICK_TEXT = operator.itemgetter(*_TEXT_COLUMNS)
_RISKY = re.compile("\x00[" + re.escape("".join(FORMULA_START)) + "]")  # a literal first: a fast scan


def safe_row(values: list[Any]) -> list[Any]:
    """The row with every text cell a spreadsheet would execute given a leading quote (in place)."""
    if _RISKY.search("\x00" + "\x00".join(_PICK_TEXT(values))):  # one C-level test for the usual, clean row
        for k in _TEXT_COLUMNS:
            value = values[k]
            if value and value[:1] in _FORMULA_CHARS:
                values[k] = "'" + value
    return values


def csv_text(selection: Selection) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(map(safe_row, rows(selection.clips)))
    return buffer.getvalue()


def write_csv(selection: Selection, out: Path, options: Options) -> list[Path]:
    encoding = "utf-8-sig" if options.excel else "utf-8"
    return [write_text(out, csv_text(selection), options.force, encoding=encoding)]


def json_data(selection: Selection) -> dict[str, Any]:
    clips = []
    for c, values in zip(selection.clips, rows(selection.clips), strict=True):
        row = dict(zip(CSV_COLUMNS, values, strict=True))
        for key in (
            "ai_generated",
            "ai_basis",
            "ai_basis_text",
            "generator",
            "model",
            "prompt",
            "negative_prompt",
            "seed",
            "content_hash",
            "notes",
        ):
            row.pop(key)
        row["rating"] = c.rating
        row["tags"] = list(c.tags)
        row["audio"] = c.has_audio
        row["notes"] = [
            {"text": n.text, "frame_in": n.frame_in, "frame_out": n.frame_out, "reviewer": n.reviewer}
            for n in c.notes
        ]
        row["provenance"] = c.provenance()
        clips.append(row)
    return {
        "project": selection.project,
        "stage": selection.stage,
        "exported_at": selection.exported_at.isoformat(),
        "exporter": f"Take Reviewer {__version__}",
        "contains_ai_generated_content": any(c.ai_generated for c in selection.clips),
        "ai_disclosure": disclosure_counts(selection),
        "clips": clips,
    }


def write_json(selection: Selection, out: Path, options: Options) -> list[Path]:
    """One clip per line: readable, diffable, and written by json's C encoder (indenting is pure Python)."""
    data = json_data(selection)
    clips = data.pop("clips")
    head = json.dumps(data, ensure_ascii=False, allow_nan=False)[:-1]
    body = ",\n".join(json.dumps(clip, ensure_ascii=False, allow_nan=False) for clip in clips)
    return [write_text(out, f'{head}, "clips": [\n{body}\n]}}\n', options.force)]


# --- the selects folder --------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|]+")
TEMPLATE_FIELDS = ("shot", "rank", "name", "stem", "ext", "take_id", "model", "seed", "rating")
NAME_BYTES = NAME_MAX - 16  # room for the "_12" that keeps two takes apart and a ".partial" while copying


def safe_name(text: str, limit: int = NAME_BYTES) -> str:
    """A file name from untrusted text: no separators, no control or bidi characters, no leading dots,
    at most ``limit`` bytes of UTF-8 (file systems count bytes: 255 of them on Linux)."""
    name = _UNSAFE.sub("_", strip_bidi(text)).strip(" ._")
    name = re.sub(r"_{2,}", "_", name)
    name = fit_bytes(name, limit).rstrip(" .")
    if not name or name in (".", ".."):
        name = "take"
    return name


def check_template(template: str) -> None:
    """Refuse a name template that uses anything but the documented fields: no attributes or items
    (``{shot.__class__}``), no conversions, no nested fields; a message names what may be used."""
    allowed = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise KnownError(
            f"The name template {template!r} is not valid ({exc}); it may use {allowed}"
        ) from None
    for _literal, field_name, spec, conversion in parts:
        if field_name is None:
            continue
        if field_name not in TEMPLATE_FIELDS:
            shown = "{" + field_name + "}" if field_name else "{}"
            raise KnownError(
                f"The name template {template!r} uses {shown}, which is not a field: it may use {allowed}"
            )
        if conversion or (spec and "{" in spec):
            raise KnownError(
                f"The name template {template!r} converts or nests {{{field_name}}}: write the field plainly; "
                f"it may use {allowed}"
            )


def selects_name(c: Clip, template: str) -> str:
    """The copy's name (``template`` checked by ``check_template`` first)."""
    path = Path(c.name)
    ext = _UNSAFE.sub("", strip_bidi(path.suffix.lower().lstrip(".")))[:15]
    suffix = f".{ext}" if ext else ""
    values = {
        "shot": c.shot, "rank": f"{c.rank:02d}", "name": path.stem, "stem": path.stem, "ext": path.suffix.lstrip("."),
        "take_id": str(c.take_id), "model": c.model, "seed": c.seed, "rating": "" if c.rating is None else str(c.rating),
    }  # fmt: skip
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise KnownError(
            f"The name template {template!r} is not valid ({exc}); it may use {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}"
        ) from None
    return safe_name(text, NAME_BYTES - byte_length(suffix)) + suffix


def write_selects(selection: Selection, out: Path, options: Options) -> list[Path]:
    """The kept takes copied (or hard-linked) into a new folder, named by the template, plus the shot list."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise KnownError(f"{out} exists and is not an empty folder: the selects go into a new folder")
    if not out.parent.is_dir():
        raise KnownError(f"Cannot write {out}: the folder {out.parent} does not exist")
    missing = [c.path for c in selection.clips if not c.path.is_file()]
    if missing:
        raise KnownError(f"{len(missing)} media files are missing, e.g. {missing[0]}")
    check_template(options.template)
    signer = None
    if selection.signing is not None:
        if options.link:
            raise KnownError(
                "Hard links cannot be signed (a manifest changes the file, and the link is the original): "
                "export the selects as copies, or unset the project's signing certificate"
            )
        signer = selection.signing.signer()
    else:
        selection.notices.append(
            "No signing certificate is set for this project (reviewer disclosure PROJECT --sign-cert ... "
            "--sign-key ...): the copies carry no manifest of ours"
        )
    tmp = out.with_name(f".{fit_bytes(out.name, NAME_BYTES - 24)}.partial-{os.getpid()}")
    used: set[str] = set()
    written: list[Path] = []
    try:
        tmp.mkdir()
        for c in selection.clips:
            name = selects_name(c, options.template)
            stem, suffix = Path(name).stem, Path(name).suffix
            k = 2
            while name.lower() in used:  # never two takes under one name, never an overwrite
                name = f"{stem}_{k}{suffix}"
                k += 1
            used.add(name.lower())
            target = tmp / name
            if signer is None:
                _place(c.path, target, options.link)
            elif sign_copy(c.path, target, signer, **review_manifest(selection, c, name)) != target:
                written.append(out / credentials.sidecar_of(target).name)  # a sidecar: WebM, Matroska
            written.append(out / name)
        listing = csv_text(selection)
        (tmp / "shot_list.csv").write_text(listing, encoding="utf-8", newline="")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise KnownError(f"Cannot write the selects to {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [*written, out / "shot_list.csv"]


REVIEW_ASSERTION = "com.takereviewer.review"


def review_manifest(selection: Selection, c: Clip, name: str) -> dict[str, Any]:
    """What our manifest on a selects copy says: the review's decision, under our own label."""
    return {
        "title": name,
        "claim_generator": ("Take Reviewer", __version__),
        "digital_source_type": c.ai_source_type or None,
        "assertion": (
            REVIEW_ASSERTION,
            {
                "project": selection.project, "stage": selection.stage, "verdict": c.verdict,
                "stands_at": c.stage, "shot": c.shot,
                "rank": c.rank, "rating": c.rating, "reviewer": c.reviewer, "decided_at": c.decided_at,
                "tags": list(c.tags), "take": c.name, "content_hash": c.content_hash,
                "ai_generated": c.ai_generated, "ai_basis": c.ai_basis, "ai_basis_text": c.ai_basis_text,
                "exported_at": selection.exported_at.isoformat(),
            },
        ),
    }  # fmt: skip


def _place(src: Path, dst: Path, link: bool) -> None:
    if link:
        try:
            os.link(src, dst)
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
    shutil.copy2(src, dst)


# --- the registry ------------------------------------------------------------------------------------

Writer = Callable[[Selection, Path, Options], list[Path]]
FORMATS: dict[str, tuple[Writer, str]] = {
    "otio": (write_otio, "OpenTimelineIO timeline (.otio)"),
    "otioz": (write_otioz, "OpenTimelineIO with the media bundled (.otioz)"),
    "edl": (write_edl, "CMX3600 EDL (.edl)"),
    "fcpxml": (write_fcpxml, "Final Cut Pro 7 XML for Premiere and Resolve (.xml)"),
    "ale": (write_ale, "Avid Log Exchange (.ale)"),
    "csv": (write_csv, "shot list for production (.csv)"),
    "json": (write_json, "shot list for production (.json)"),
    "selects": (write_selects, "folder of the kept takes, renamed, with the shot list"),
}
SUFFIXES = {"otio": ".otio", "otioz": ".otioz", "edl": ".edl", "fcpxml": ".xml", "ale": ".ale", "csv": ".csv",
            "json": ".json", "selects": ""}  # fmt: skip

# Formats drawn by other layers register themselves through this entry point group (the contact sheet:
# ``pdf``, drawn with Qt in reviewer.ui.contact_sheet), so this layer never imports them and ``export``
# is the one way to write any format. From a source tree that is not installed, the package's own
# entry points are not known: the same table stands in for them.
PLUGIN_GROUP = "take_reviewer.export_formats"
OWN_PLUGINS = {"pdf": "reviewer.ui.contact_sheet:register"}
UNAVAILABLE: dict[str, str] = {}  # format -> why it cannot be written here (its plugin failed to load)
_plugins_loaded = False


def register_format(name: str, writer: Writer, description: str, suffix: str) -> None:
    FORMATS[name] = (writer, description)
    SUFFIXES[name] = suffix
    UNAVAILABLE.pop(name, None)


def formats() -> dict[str, tuple[Writer, str]]:
    """Every format that can be written, the registered plugins loaded on first use."""
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for name, target in _plugin_targets().items():
            if name in FORMATS:
                continue
            try:
                _load(target)()
            except ImportError as exc:  # e.g. Qt's libraries missing on a headless server
                UNAVAILABLE[name] = f"{name} cannot be written on this machine: {exc}"
    return FORMATS


def _plugin_targets() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        distribution("take-reviewer")
    except PackageNotFoundError:
        targets = dict(OWN_PLUGINS)
    else:
        targets = {}
    targets.update({ep.name: ep.value for ep in entry_points(group=PLUGIN_GROUP)})
    return targets


def _load(target: str) -> Callable[[], None]:
    import importlib

    module, _, attr = target.partition(":")
    found: Callable[[], None] = getattr(importlib.import_module(module), attr)
    return found


def export(selection: Selection, fmt: str, out: Path, options: Options) -> list[Path]:
    """Write ``selection`` as ``fmt`` to ``out``; the paths written."""
    entry = formats().get(fmt)
    if entry is None:
        if fmt in UNAVAILABLE:
            raise KnownError(UNAVAILABLE[fmt])
        raise KnownError(f"Unknown format {fmt!r}: choose one of {', '.join(formats())}")
    with bulk():
        return entry[0](selection, out.expanduser(), options)
