"""Every export read back by an independent reader: OTIO by opentimelineio, EDL by the cmx3600 adapter,
FCP XML by the fcp adapter, ALE by the ale adapter, CSV by the csv module, the PDF by pdftotext.

The project has real files at 24, 23.976 and 29.97 fps, notes, and hostile provenance (a prompt that a
spreadsheet would run, a model name that walks up the folder tree).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio
import pytest
from opentimelineio import opentime

from reviewer.cli import main
from reviewer.errors import KnownError
from reviewer.export.formats import Options, export, safe_name
from reviewer.export.selection import NAMESPACE, Selection, disclosed, select_clips, select_heroes
from reviewer.ingest.ingest import ingest
from reviewer.review import disclosure, shots
from reviewer.review.decisions import Decision, decide
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place

NTSC = Fraction(24000, 1001)
DF = Fraction(30000, 1001)
TAKES = {  # relative path: (fps, frames, seed)
    "SH010/a.mp4": (Fraction(24), 48, 41),
    "SH010/b.mov": (NTSC, 36, 42),
    "SH020/c.mp4": (NTSC, 30, 43),
    "SH030/d.mp4": (DF, 40, 44),
    "SH030/out.mp4": (Fraction(24), 24, 45),  # rejected: not in the shot list
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, clip_store: Path) -> Path:
    from reviewer.media.synth import ClipSpec, write_clip

    root = tmp_path_factory.mktemp("export")
    media = root / "media"
    for rel, (fps, frames, seed) in TAKES.items():
        src = clip_store / f"export-{seed}{Path(rel).suffix}"
        if not src.exists():
            write_clip(src, ClipSpec(fps=fps, frames=frames, seed=seed, audio=rel.endswith(".mov")))
        place(src, media / rel)
    (media / "SH010" / "a.json").write_text(json.dumps({
        "generator": "ComfyUI", "model": "../../etc/passwd", "seed": 1234,
        "prompt": '=HYPERLINK("http://evil.example","click") a red truck, dawn',
        "negative_prompt": "-blurry, extra fingers",
    }))  # fmt: skip
    (media / "SH020" / "c.json").write_text(json.dumps({"generator": "ComfyUI", "model": "wan2.2", "seed": 7,
                                                        "prompt": "the truck, unchanged"}))  # fmt: skip
    path = root / "export.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    ids = {row_name: take_id for take_id, row_name in _names(project)}
    for name in ("a.mp4", "b.mov", "c.mp4", "d.mp4"):
        decide(project, ids[name], Decision(verdict="keep", rating=4), reviewer="anna")
    decide(project, ids["out.mp4"], Decision(verdict="reject"))
    decide(project, ids["a.mp4"], Decision(note="the hand melts", frame_in=10, frame_out=14), reviewer="ben")
    decide(
        project, ids["d.mp4"], Decision(note="flicker on the sign", frame_in=3, frame_out=3), reviewer="ben"
    )
    decide(project, ids["b.mov"], Decision(tags_added=("continuity",)))
    # a and c carry generator metadata (sidecars); b is declared a camera plate; d has no evidence at all
    disclosure.declare(project, ids["b.mov"], "no", why="camera plate", reviewer="anna")
    project.close()
    return path


def _names(project: Project) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from reviewer.store import models as m

    with project.sessions() as session:
        return [(r.id, r.name) for r in session.execute(select(m.Take.id, m.Take.name))]


@pytest.fixture
def proj(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built project (exports never change it, but tests may decide more)."""
    copy = tmp_path / "p.trproj"
    shutil.copyfile(built, copy)
    return copy


@pytest.fixture
def selection(proj: Path) -> Selection:
    project = open_project(proj)
    try:
        return select_clips(project, "triage")
    finally:
        project.close()


def only(selection: Selection, rate: Fraction) -> Selection:
    return Selection(selection.project, selection.stage, [c for c in selection.clips if c.rate == rate])


def test_the_selection_is_the_kept_takes_in_shot_order(selection: Selection) -> None:
    assert [(c.shot, c.rank, c.name) for c in selection.clips] == [
        ("SH010", 1, "a.mp4"), ("SH010", 2, "b.mov"), ("SH020", 1, "c.mp4"), ("SH030", 1, "d.mp4"),
    ]  # fmt: skip
    a, b, c, d = selection.clips
    assert (a.rate, b.rate, c.rate, d.rate) == (Fraction(24), NTSC, NTSC, DF)
    assert (a.first, a.last, b.last, d.last) == (0, 47, 35, 39)
    assert [(n.text, n.frame_in, n.frame_out, n.reviewer) for n in a.notes] == [
        ("the hand melts", 10, 14, "ben")
    ]
    assert b.tags == ["continuity"] and a.rating == 4 and a.reviewer == "ben"


def test_otio_round_trip_is_frame_exact(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "cut.otio"
    export(selection, "otio", out, Options())
    tl = otio.adapters.read_from_file(str(out))
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == [c.name for c in selection.clips]
    for clip, ours in zip(clips, selection.clips, strict=True):
        rate = float(ours.rate)
        assert clip.source_range == opentime.TimeRange(
            opentime.RationalTime(ours.first, rate), opentime.RationalTime(ours.duration, rate)
        )
        assert clip.source_range.duration.rate == rate  # 23.976 is 24000/1001, not a rounded 23.976
        assert otio.url_utils.filepath_from_url(clip.media_reference.target_url) == str(ours.path)
        assert clip.media_reference.available_range.duration.value == ours.frame_count
        meta = clip.metadata[NAMESPACE]
        assert meta["shot"] == ours.shot and meta["provenance"]["content_hash"] == ours.content_hash
        assert meta["provenance"]["ai_generated"] is ours.ai_generated
        assert meta["provenance"]["ai_basis"] == ours.ai_basis and meta["provenance"]["ai_basis_text"]
    assert [(c.name, c.ai_generated, c.ai_basis) for c in selection.clips] == [
        ("a.mp4", True, "generator-metadata"), ("b.mov", False, "declared"), ("c.mp4", True, "generator-metadata"),
        ("d.mp4", None, "default"),
    ]  # fmt: skip
    a = clips[0]
    assert a.metadata[NAMESPACE]["provenance"]["prompt"].startswith("=HYPERLINK")  # kept as data, untouched
    (marker,) = a.markers
    assert marker.name == "the hand melts"
    assert marker.marked_range == opentime.TimeRange(
        opentime.RationalTime(10, 24), opentime.RationalTime(5, 24)
    )
    # Each note signed by its reviewer (ben wrote both: one converted value must not serve two markers).
    assert [(c.name, mk.name, mk.metadata[NAMESPACE]["reviewer"]) for c in clips for mk in c.markers] == [
        ("a.mp4", "the hand melts", "ben"), ("d.mp4", "flicker on the sign", "ben"),
    ]  # fmt: skip
    assert opentime.to_timecode(tl.global_start_time, 24) == "01:00:00:00"
    assert tl.metadata[NAMESPACE]["contains_ai_generated_content"] is True
    counts = tl.metadata[NAMESPACE]["ai_disclosure"]
    assert (counts["generated"], counts["not_generated"], counts["unknown"], counts["without_evidence"]) == (
        2,
        1,
        1,
        1,
    )


def test_otioz_bundles_the_media(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "cut.otioz"
    export(selection, "otioz", out, Options())
    extracted = tmp_path / "unpacked"
    extracted.mkdir()
    tl = otio.adapters.read_from_file(str(out), extract_to_directory=str(extracted))
    clips = list(tl.find_clips())
    assert len(clips) == 4
    for clip, ours in zip(clips, selection.clips, strict=True):
        bundled = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))
        if not bundled.is_absolute():
            bundled = extracted / bundled
        assert bundled.read_bytes() == ours.path.read_bytes()


def test_edl_refuses_mixed_rates_then_splits_them_and_reads_back(
    selection: Selection, tmp_path: Path
) -> None:
    out = tmp_path / "edl" / "cut.edl"
    out.parent.mkdir()
    with pytest.raises(KnownError, match=r"3 frame rates \(23.976 fps, 24 fps, 29.97 fps\)"):
        export(selection, "edl", out, Options())
    assert list(out.parent.iterdir()) == []  # nothing partial
    written = export(selection, "edl", out, Options(split_by_rate=True))
    assert [p.name for p in written] == ["cut_23.976fps.edl", "cut_24fps.edl", "cut_29.97fps.edl"]
    for path, rate in zip(written, (NTSC, Fraction(24), DF), strict=True):
        text = path.read_text()
        ours = only(selection, rate).clips
        fps = float(rate)
        assert ("FCM: DROP FRAME" if rate == DF else "FCM: NON-DROP FRAME") in text.splitlines()[1]
        tl = otio.adapters.read_from_string(text, "cmx_3600", rate=fps)
        clips = list(tl.find_clips())
        assert [c.name for c in clips] == [c.name for c in ours]
        for clip, c in zip(clips, ours, strict=True):
            assert clip.source_range.start_time.to_frames() == c.first
            assert clip.source_range.duration.to_frames() == c.duration
            assert f"* FROM CLIP NAME:  {c.name}" in text and f"* FROM FILE: {c.path}" in text
            lines = text.splitlines()
            after_name = lines[lines.index(f"* FROM CLIP NAME:  {c.name}") + 1]
            assert after_name.startswith(f"* AI-generated: {disclosed(c.ai_generated)} ({c.ai_basis}: ")
        first_event = next(line for line in text.splitlines() if line.startswith("001"))
        assert first_event.split()[-2] == ("01:00:00;00" if rate == DF else "01:00:00:00")
    text24 = written[1].read_text()
    assert "* LOC: 00:00:00:10 RED     THE HAND MELTS" in text24
    tl = otio.adapters.read_from_string(text24, "cmx_3600", rate=24)
    (marker,) = next(iter(tl.find_clips())).markers
    assert marker.marked_range.start_time.to_frames() == 10
    assert "* LOC: 00:00:00;03 RED     FLICKER ON THE SIGN" in written[2].read_text()


def test_fcp_xml_reads_back(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "cut.xml"
    export(selection, "fcpxml", out, Options())
    tl = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == [c.name for c in selection.clips]
    for clip, ours in zip(clips, selection.clips, strict=True):
        assert round(clip.source_range.duration.rate, 3) == round(float(ours.rate), 3)
        assert otio.url_utils.filepath_from_url(clip.media_reference.target_url) == str(ours.path)
    # Frames as the file states them (xmeml counts frames at a timebase, NTSC flagged): exact.
    items = ElementTree.parse(out).getroot().iter("clipitem")
    for item, ours in zip(items, selection.clips, strict=True):
        comment = item.findtext("comments/mastercomment1") or ""
        assert comment.startswith(f"AI-generated: {disclosed(ours.ai_generated)} ({ours.ai_basis}: ")
        rate = item.find("rate")
        assert rate is not None
        timebase, ntsc = int(rate.findtext("timebase") or 0), rate.findtext("ntsc") == "TRUE"
        assert (Fraction(timebase * 1000, 1001) if ntsc else Fraction(timebase)) == ours.rate
        assert (int(item.findtext("in") or -1), int(item.findtext("out") or -1)) == (
            ours.first,
            ours.last + 1,
        )


def test_ale_at_23976_says_so_and_reads_back(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "log.ale"
    part = only(selection, NTSC)
    export(part, "ale", out, Options())
    text = out.read_text()
    assert "FPS\t23.976\n" in text
    tl = otio.adapters.read_from_file(str(out), adapter_name="ale")
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == ["b.mov", "c.mp4"]
    for clip, ours in zip(clips, part.clips, strict=True):
        assert clip.source_range.duration.rate == pytest.approx(24000 / 1001)
        assert clip.source_range.duration.to_frames() == ours.duration
        assert clip.metadata["ALE"]["Shot"] == ours.shot
        assert clip.metadata["ALE"]["Content Hash"] == ours.content_hash
        assert clip.media_reference.target_url == str(ours.path)  # "Source File": a path, as Avid has it
        assert clip.metadata["ALE"]["Tags"] == ", ".join(ours.tags)
        assert clip.metadata["ALE"]["Prompt"] == " ".join(ours.prompt.split())  # one line per clip
        assert clip.metadata["ALE"]["AI Generated"] == disclosed(ours.ai_generated)
        assert clip.metadata["ALE"]["AI Basis"].startswith(f"{ours.ai_basis}: ")
    assert clips[0].metadata["ALE"]["Tags"] == "continuity"


def test_csv_for_production_is_safe_in_a_spreadsheet(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "list.csv"
    export(selection, "csv", out, Options(excel=True))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["shot"], r["rank"], r["take"]) for r in rows] == [
        (c.shot, str(c.rank), c.name) for c in selection.clips
    ]
    a, b, _c, d = rows
    assert a["prompt"].startswith("'=HYPERLINK(")  # neutralised: shown, never run
    assert a["negative_prompt"].startswith("'-blurry")
    assert a["model"] == "../../etc/passwd"  # data is data in a CSV
    assert (a["in_tc"], a["out_tc"], a["duration_tc"], a["duration_frames"], a["fps"]) == (
        "00:00:00:00", "00:00:01:23", "00:00:02:00", "48", "24"
    )  # fmt: skip
    assert (b["fps"], b["duration_frames"], b["audio"], b["tags"]) == ("23.976", "36", "yes", "continuity")
    assert (d["fps"], d["out_tc"]) == ("29.97", "00:00:01;09")
    assert a["notes"] == "f10-14 ben: the hand melts"
    assert a["ai_generated"] == "yes" and a["content_hash"].startswith("b2s3-")
    assert [(r["ai_generated"], r["ai_basis"]) for r in rows] == [
        ("yes", "generator-metadata"),
        ("no", "declared"),
        ("yes", "generator-metadata"),
        ("unknown", "default"),
    ]
    assert b["ai_basis_text"] == "declared not AI-generated by anna: camera plate"
    assert a["folder"] == str(Path(a["file"]).parent)


def test_json_shot_list(selection: Selection, tmp_path: Path) -> None:
    out = tmp_path / "list.json"
    export(selection, "json", out, Options())
    data = json.loads(out.read_text())
    assert data["stage"] == "Triage" and data["contains_ai_generated_content"] is True
    assert [c["take"] for c in data["clips"]] == ["a.mp4", "b.mov", "c.mp4", "d.mp4"]
    first = data["clips"][0]
    assert data["ai_disclosure"]["generated"] == 2 and data["ai_disclosure"]["without_evidence"] == 1
    assert [c["provenance"]["ai_generated"] for c in data["clips"]] == [True, False, True, None]
    assert data["clips"][3]["provenance"]["ai_basis"] == "default"
    assert first["provenance"]["seed"] == "1234" and first["provenance"]["model"] == "../../etc/passwd"
    assert first["notes"] == [{"text": "the hand melts", "frame_in": 10, "frame_out": 14, "reviewer": "ben"}]


def test_selects_folder_names_are_safe_unique_and_never_overwrite(
    selection: Selection, tmp_path: Path
) -> None:
    out = tmp_path / "selects"
    written = export(selection, "selects", out, Options(template="{model}_{shot}"))
    names = sorted(p.name for p in out.iterdir())
    assert "shot_list.csv" in names
    assert all("/" not in n and not n.startswith(".") for n in names)
    assert "etc_passwd_SH010.mp4" in names  # ../../etc/passwd cannot climb out
    assert (out / "_SH030.mp4").exists() is False  # empty fields do not leave odd leading underscores
    files = [p for p in written if p.name != "shot_list.csv"]
    assert len({p.name.lower() for p in files}) == 4
    for path, c in zip(files, selection.clips, strict=True):
        assert path.read_bytes() == c.path.read_bytes()
    with pytest.raises(KnownError, match="not an empty folder"):
        export(selection, "selects", out, Options(force=True))
    linked = export(selection, "selects", tmp_path / "linked", Options(link=True))
    assert linked[0].stat().st_ino == selection.clips[0].path.stat().st_ino
    with pytest.raises(KnownError, match="template"):
        export(selection, "selects", tmp_path / "bad", Options(template="{nope}"))
    assert not (tmp_path / "bad").exists()


def test_safe_names() -> None:
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("a\x00b\nc") == "a_b_c"
    assert safe_name("..") == "take" and safe_name("") == "take"
    assert len(safe_name("x" * 1000).encode()) <= 255 - 16  # bytes, with room for "_12" and the suffix
    accented = safe_name("é" * 200)  # 400 bytes: cut between letters, never inside one
    assert accented == "é" * ((255 - 16) // 2) and len(accented.encode()) <= 239


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_contact_sheet_pdf(selection: Selection, tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from reviewer.ui.contact_sheet import write_pdf

    out = tmp_path / "sheet.pdf"
    write_pdf(selection, out, Options())
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "AI-generated content: 2 of 4 takes" in text
    assert "1 not generated; 1 unknown; 1 rest on no evidence" in text
    assert "Basis: declared not AI-generated by anna: camera plate" in text
    assert "AI generation unknown" in text
    for c in selection.clips:
        assert f"{c.shot} · #{c.rank}" in text and c.name in text
    assert "the hand melts" in text and "seed 1234" in text


def test_bad_requests_say_why_and_write_nothing(
    proj: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "list.csv"
    out.parent.mkdir()
    args = [str(proj), "-f", "csv", "-o", str(out)]
    assert main(["export", *args, "-s", "Dailies"]) == 1
    assert "No stage called 'Dailies'" in capsys.readouterr().err
    assert main(["export", *args, "-s", "Selects"]) == 1
    assert "no take has been kept at Selects" in capsys.readouterr().err
    assert (
        main(["export", str(proj), "-f", "csv", "-s", "Triage", "-o", str(tmp_path / "nope" / "x.csv")]) == 1
    )
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", str(proj), "-f", "mp4", "-s", "Triage", "-o", str(out)]) == 1
    assert "Unknown format 'mp4'" in capsys.readouterr().err
    out.write_text("keep me")
    assert main(["export", *args, "-s", "Triage"]) == 1
    assert "add --force" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["export", *args, "-s", "Triage", "--force"]) == 0
    assert out.read_text().startswith("shot,rank,take")
    assert sorted(p.name for p in out.parent.iterdir()) == ["list.csv"]  # no temporary files left


def test_rates_without_timecode_are_refused_by_name(proj: Path, tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "more"
    place(clip(".mp4", fps=Fraction(16), frames=32, seed=46), media / "SH040" / "wan16.mp4")
    project = open_project(proj)
    ingest(project, [media], workers=0)
    (take_id,) = [t for t, name in _names(project) if name == "wan16.mp4"]
    decide(project, take_id, Decision(verdict="keep"))
    selection = select_clips(project, "Triage")
    project.close()
    for fmt in ("edl", "ale", "fcpxml"):
        with pytest.raises(
            KnownError, match=r"1 takes run at a rate that has no SMPTE timecode \(16 fps\), e.g. wan16"
        ):
            export(selection, fmt, tmp_path / f"x.{fmt}", Options(split_by_rate=True))
    export(selection, "otio", tmp_path / "x.otio", Options())  # OTIO keeps any rate
    clip16 = list(otio.adapters.read_from_file(str(tmp_path / "x.otio")).find_clips())[-1]
    assert clip16.source_range.duration.rate == 16 and clip16.source_range.duration.value == 32
    rows = list(csv.DictReader(io.StringIO(export_csv(selection, tmp_path))))
    assert (rows[-1]["fps"], rows[-1]["duration_tc"]) == ("16", "00:00:02:00")


def export_csv(selection: Selection, tmp_path: Path) -> str:
    out = tmp_path / "x.csv"
    export(selection, "csv", out, Options(force=True))
    return out.read_text()


@pytest.fixture
def cut_project(proj: Path) -> Path:
    """Heroes for SH010 (b.mov trimmed to 5-30) and SH020 (c.mp4 whole), both 23.976; SH030 has none
    and a target of 60 frames; a new SH005 at the top of the board has none and no target."""
    project = open_project(proj)
    ids = {name: take_id for take_id, name in _names(project)}
    for name in ("b.mov", "c.mp4"):
        decide(project, ids[name], Decision(verdict="keep"))  # Shortlist -> Selects, the last stage
    shots.set_hero(project, ids["b.mov"], 5, 30)
    shots.set_hero(project, ids["c.mp4"])
    shots.update_shot(project, "SH030", target_frames=60)
    shots.create_shot(project, "SH005")
    shots.reorder(project, ["SH005", "SH010", "SH020", "SH030"])
    project.close()
    return proj


def heroes_of(path: Path) -> Selection:
    project = open_project(path)
    try:
        return select_heroes(project)
    finally:
        project.close()


def test_the_cut_is_the_heroes_over_their_trims_with_gaps(cut_project: Path, tmp_path: Path) -> None:
    cut = heroes_of(cut_project)
    assert [(c.shot, c.name, c.first, c.last, c.verdict) for c in cut.clips] == [
        ("SH010", "b.mov", 5, 30, "hero"), ("SH020", "c.mp4", 0, 29, "hero"),
    ]  # fmt: skip
    assert [(g.shot, g.before, g.frames) for g in cut.missing] == [("SH005", 0, 48), ("SH030", 2, 60)]
    assert cut.summary().startswith("2 heroes of 4 shots (SH005, SH030 without one")

    export(cut, "otio", tmp_path / "cut.otio", Options())
    (track,) = otio.adapters.read_from_file(str(tmp_path / "cut.otio")).tracks
    kinds = [(type(item).__name__, item.name, item.source_range) for item in track]
    r = float(NTSC)

    def span(first: int, count: int) -> opentime.TimeRange:
        return opentime.TimeRange(opentime.RationalTime(first, r), opentime.RationalTime(count, r))

    assert kinds == [
        ("Gap", "SH005 (no hero)", span(0, 48)), ("Clip", "b.mov", span(5, 26)),
        ("Clip", "c.mp4", span(0, 30)), ("Gap", "SH030 (no hero)", span(0, 60)),
    ]  # fmt: skip
    assert track[1].metadata[NAMESPACE]["verdict"] == "hero"

    # The EDL keeps the gaps as holes in record time: the clips sit where the cut puts them.
    export(cut, "edl", tmp_path / "cut.edl", Options())
    text = (tmp_path / "cut.edl").read_text()
    events = [line.split() for line in text.splitlines() if line[:3].isdigit()]
    assert [(e[4], e[5], e[6], e[7]) for e in events] == [
        ("00:00:00:05", "00:00:01:07", "01:00:02:00", "01:00:03:02"),
        ("00:00:00:00", "00:00:01:06", "01:00:03:02", "01:00:04:08"),
    ]
    read = otio.adapters.read_from_string(text, "cmx_3600", rate=r)
    assert [c.source_range.start_time.to_frames() for c in read.find_clips()] == [5, 0]

    export(cut, "fcpxml", tmp_path / "cut.xml", Options())
    items = list(ElementTree.parse(tmp_path / "cut.xml").getroot().iter("clipitem"))
    assert [(int(i.findtext("start") or -1), int(i.findtext("in") or -1)) for i in items] == [
        (48, 5),
        (74, 0),
    ]

    export(cut, "csv", tmp_path / "cut.csv", Options())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "cut.csv").read_text())))
    assert [(r["shot"], r["take"], r["in_frame"], r["out_frame"], r["duration_frames"], r["verdict"])
            for r in rows] == [("SH010", "b.mov", "5", "30", "26", "hero"),
                               ("SH020", "c.mp4", "0", "29", "30", "hero")]  # fmt: skip


def test_the_cut_from_the_command_line(
    cut_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cut.otio"
    assert main(["export", str(cut_project), "-f", "otio", "--heroes", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "2 heroes of 4 shots (SH005, SH030 without one" in said and str(out) in said
    assert len(list(otio.adapters.read_from_file(str(out)).find_clips())) == 2
    with pytest.raises(SystemExit):  # a stage or the heroes, not both
        main(["export", str(cut_project), "-f", "otio", "--heroes", "-s", "Triage", "-o", str(out)])
    capsys.readouterr()
    assert main(["export", str(proj_without_heroes(cut_project, tmp_path)), "-f", "csv", "--heroes",
                 "-o", str(tmp_path / "x.csv")]) == 1  # fmt: skip
    assert "no shot has a hero yet" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_contact_sheet_of_the_cut_and_the_dialog_offers_it(qtbot, cut_project: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from reviewer.ui.export_dialog import ExportDialog

    project = open_project(cut_project)
    dialog = ExportDialog(project, ["Triage", "Shortlist", "Selects"])
    qtbot.addWidget(dialog)
    assert dialog.stage.currentData() is None  # the project has heroes: the cut comes first
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    dialog.output.setText(str(tmp_path / "cut.pdf"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.written != [], timeout=10_000)
    assert dialog.message.text().startswith("2 heroes of 4 shots (SH005, SH030 without one")
    project.close()
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "cut.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    order = [
        text.index(s) for s in ("SH005 · no hero yet", "SH010 · hero", "SH020 · hero", "SH030 · no hero yet")
    ]
    assert order == sorted(order)
    assert "26 frames (5–30)" in text and "a gap of 60 frames" in text


def proj_without_heroes(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "none.trproj"
    shutil.copyfile(path, copy)
    project = open_project(copy)
    for code in ("SH010", "SH020"):
        shots.clear_hero(project, code)
    project.close()
    return copy


def test_export_from_the_gui(qtbot, proj: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from reviewer.ui.export_dialog import ExportDialog

    project = open_project(proj)
    dialog = ExportDialog(project, ["Triage", "Shortlist", "Selects"])
    qtbot.addWidget(dialog)
    assert dialog.stage.currentData() == "Selects"  # no heroes yet: the last stage's survivors
    dialog.stage.setCurrentIndex(dialog.stage.findData("Triage"))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.output.setText(str(tmp_path / "gui.csv"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.written != [], timeout=10_000)
    assert "4 takes of 3 shots kept at Triage written: gui.csv" in dialog.message.text()
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "gui.csv").read_text())))) == 4
    dialog.start()  # the same again: refused, said in the dialog, nothing replaced
    qtbot.waitUntil(lambda: "add --force" in dialog.message.text(), timeout=10_000)
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    assert dialog.output.text().endswith("gui.pdf")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.written and dialog.written[0].suffix == ".pdf", timeout=10_000)
    assert (tmp_path / "gui.pdf").read_bytes().startswith(b"%PDF")
    project.close()


def test_the_dialog_stays_live_while_a_long_contact_sheet_is_drawn(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A sheet of hundreds of takes takes seconds to draw: in the worker, so the GUI thread goes on
    handling events (a timer every 10 ms is never held up for the length of the export)."""
    from PySide6.QtCore import QTimer

    from reviewer.store import synthetic
    from reviewer.ui.export_dialog import ExportDialog

    project = open_project(tmp_path / "many.trproj")
    synthetic.fill(project, 2000, shots=6, seed=2, decided=1.0, keep=0.5, notes=0.5)
    dialog = ExportDialog(project, ["Triage", "Shortlist", "Selects"])
    qtbot.addWidget(dialog)
    dialog.stage.setCurrentIndex(dialog.stage.findData("Triage"))
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    dialog.output.setText(str(tmp_path / "sheet.pdf"))
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    started = time.perf_counter()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.written != [], timeout=60_000)
    took = time.perf_counter() - started
    timer.stop()
    project.close()
    kept = int(dialog.message.text().split()[0])
    assert 850 < kept < 1150 and dialog.message.text().endswith("written: sheet.pdf")
    assert (tmp_path / "sheet.pdf").read_bytes().count(b"/Type /Page\n") == -(-kept // 4)  # 4 rows a page
    # Long enough for the gaps to tell (fifteen of the timer's periods at least): on the GUI thread one
    # gap would be all of it. About 0.45 s here; a run of 1,200 takes once drew in 0.27 s.
    assert took > 0.15
    gaps = [later - earlier for earlier, later in itertools.pairwise([started, *ticks])]
    assert max(gaps) < took / 2, f"the GUI thread was held up {max(gaps):.2f} s of a {took:.2f} s export"


def test_a_large_timeline_is_compact_and_every_clip_keeps_its_metadata(tmp_path: Path) -> None:
    from reviewer.export.formats import INDENT_UP_TO
    from reviewer.store import synthetic

    project = open_project(tmp_path / "big.trproj")
    synthetic.fill(project, INDENT_UP_TO + 100, decided=1.0, keep=1.0)
    selection = select_clips(project, "Triage")
    project.close()
    out = tmp_path / "big.otio"
    export(selection, "otio", out, Options())
    assert out.read_text().count("\n") < 5  # no indentation past INDENT_UP_TO clips
    clips = list(otio.adapters.read_from_file(str(out)).find_clips())
    assert len(clips) == len(selection.clips) == INDENT_UP_TO + 100
    for clip, ours in zip(clips, selection.clips, strict=True):  # the batch conversion kept every value
        meta = clip.metadata[NAMESPACE]
        assert (meta["take_id"], meta["rank"], meta["rating"], meta["decided_at"]) == (
            ours.take_id, ours.rank, ours.rating, ours.decided_at
        )  # fmt: skip
        assert (
            meta["provenance"]["prompt"] == ours.prompt and dict(meta["provenance"]["params"]) == ours.params
        )
        assert clip.media_reference.target_url == otio.url_utils.url_from_filepath(ours.path_text)


def test_the_pdf_is_a_registered_format_written_by_export_from_the_command_line(tmp_path: Path, clip) -> None:  # type: ignore[no-untyped-def]
    """The contact sheet is drawn with Qt in reviewer.ui; it registers itself as a format (an entry
    point), so the command line writes it through ``export`` like any other, importing no GUI module."""
    import subprocess
    import sys

    from reviewer.export.formats import formats
    from tests.conftest import place

    assert "pdf" in formats()
    media = tmp_path / "media"
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / "a.mp4")
    project = tmp_path / "p.trproj"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reviewer", *args], capture_output=True, text=True, timeout=120
        )

    assert run("ingest", str(project), str(media), "--workers", "0").returncode == 0
    assert run("decide", str(project), "a.mp4", "--keep").returncode == 0
    result = run("export", str(project), "-f", "pdf", "--stage", "Triage", "-o", str(tmp_path / "sheet.pdf"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
    wrong = run("export", str(project), "-f", "gif", "--stage", "Triage", "-o", str(tmp_path / "x"))
    assert (
        wrong.returncode == 1
        and "choose one of otio, otioz, edl, fcpxml, ale, csv, json, selects, pdf" in wrong.stderr
    )
