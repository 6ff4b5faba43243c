"""Hostile and unlucky input (issue 21): nothing hangs, nothing leaks, no traceback reaches a user.

Real files, real processes: the CLI runs in subprocesses, two ingests race for real, an ingest is
killed with SIGKILL, a full disk and read-only storage are real tmpfs mounts (as root; CI runs as
root, so there these never skip).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from reviewer.errors import KnownError, ProjectError
from reviewer.export.formats import Options, check_template, export
from reviewer.export.selection import select_clips
from reviewer.ingest import provenance, worker
from reviewer.ingest.ingest import ingest
from reviewer.review.decisions import Decision, decide
from reviewer.store import models as m
from reviewer.store import queries, secrets
from reviewer.store.db import open_project
from reviewer.untrusted import dumps, fit_bytes, for_terminal, one_line, strict_loads, strip_bidi
from tests.conftest import ClipFactory, place

ESCAPES = "\x1b]0;pwned\x07\x1b[2J"
TIMELINE_FORMATS = ("otio", "edl", "fcpxml", "ale")


def run_cli(*args: str, timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", *args], capture_output=True, text=True, timeout=timeout,
        env=os.environ.copy(), **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def need_root(what: str) -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail(f"{what} needs root to mount a file system, and CI runs as root")
        pytest.skip(f"{what} needs root to mount a small file system")


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def strict_outputs(project_target: Path | str, stage: str, out: Path) -> None:
    """Every timeline and list format of what is kept at ``stage``, each read back by a strict reader."""
    project = open_project(project_target, create=False)
    try:
        selection = select_clips(project, stage)
        with project.sessions() as session:
            ids = list(session.scalars(select(m.Take.id)))
            for row in queries.take_rows(session, ids):
                assert strict_loads(dumps(row))["id"] == row["id"]
    finally:
        project.close()
    out.mkdir(parents=True, exist_ok=True)
    for fmt in (*TIMELINE_FORMATS, "csv", "json"):
        target = out / f"shots.{fmt}"
        if fmt == "fcpxml" and any(one_line(c.path_text) != c.path_text for c in selection.clips):
            with pytest.raises(KnownError, match="control characters in their file path"):
                export(selection, fmt, target, Options(force=True))
            continue
        written = export(selection, fmt, target, Options(force=True))
        text = written[0].read_text(encoding="utf-8")
        if fmt == "json":
            assert len(strict_loads(text)["clips"]) == len(selection.clips)
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(text), strict=True))
            assert len(rows) == len(selection.clips) + 1
        else:
            adapter = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcp_xml", "ale": "ale"}[fmt]
            kwargs = {"rate": 24} if fmt == "edl" else {}
            timeline = otio.adapters.read_from_string(text, adapter, **kwargs)
            assert len(list(timeline.find_clips())) == len(selection.clips)
    copied = export(selection, "selects", out / "selects", Options())
    assert len(copied) == len(selection.clips) + 1  # and shot_list.csv
    for path in copied:
        assert path.is_file() and len(path.name.encode()) <= 255
        assert one_line(path.name) == path.name and strip_bidi(path.name) == path.name


# --- 1. a hang in the infotext parser; a time budget per file ---------------------------------------


def test_infotext_params_are_parsed_as_before() -> None:
    line = (
        'Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Lora hashes: "a: 1, b: 2", Version: v1.6.0'
    )
    assert provenance.infotext_params(line) == [
        ("Steps", "20"), ("Sampler", "Euler a"), ("CFG scale", "7.5"), ("Seed", "1234"),
        ("Lora hashes", '"a: 1, b: 2"'), ("Version", "v1.6.0"),
    ]  # fmt: skip
    prov = provenance.parse_infotext(f"a red truck\nNegative prompt: blurry\n{line}")
    assert (prov.prompt, prov.negative_prompt, prov.seed) == ("a red truck", "blurry", "1234")
    assert prov.generator == "A1111 v1.6.0" and prov.params["Lora hashes"] == "a: 1, b: 2"
    # A stretch that is not "key: value" is passed over to the next comma, as the old pattern did.
    assert provenance.infotext_params("Steps: 3, ((junk)) no colon here, Seed: 9") == [
        ("Steps", "3"),
        ("Seed", "9"),
    ]
    assert provenance.infotext_params('Steps: 1, Note: "unterminated, Seed: 2') == [
        ("Steps", "1"),
        ("Note", '"unterminated, Seed: 2'),
    ]


def test_a_hostile_sidecar_does_not_stall_the_batch(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / "hostile.mp4")
    place(clip(".mp4", frames=12, seed=2), media / "SH010" / "good.mp4")
    # 300 KB after "Steps:" without a colon took the old pattern past 90 s at 100% CPU.
    (media / "SH010" / "hostile.txt").write_text("a prompt\nSteps: 20, " + "a" * 300_000, encoding="utf-8")
    (media / "SH010" / "good.txt").write_text("a good prompt\nSteps: 20, Seed: 7", encoding="utf-8")
    # A ComfyUI graph whose nodes all link to each other: an unbounded walk is exponential.
    dense = {
        str(k): {"class_type": "ConditioningCombine",
                 "inputs": {f"in{j}": [str(j), 0] for j in range(40) if j != k}}
        for k in range(40)
    }  # fmt: skip
    dense["s"] = {"class_type": "KSampler", "inputs": {"positive": ["0", 0], "seed": 5}}
    place(clip(".mp4", frames=12, seed=3), media / "SH010" / "dense.mp4")
    (media / "SH010" / "dense.json").write_text(json.dumps(dense), encoding="utf-8")
    project = tmp_path / "p.trproj"
    started = time.monotonic()
    result = run_cli("ingest", str(project), str(media), "--workers", "0", timeout=60)
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert time.monotonic() - started < 60
    rows = {
        r["name"]: r for r in map(json.loads, run_cli("takes", str(project), "--json").stdout.splitlines())
    }
    assert set(rows) == {"hostile.mp4", "good.mp4", "dense.mp4"}
    assert rows["good.mp4"]["seed"] == "7" and rows["dense.mp4"]["seed"] == "5"
    assert rows["hostile.mp4"]["prompt"] == "a prompt" and rows["hostile.mp4"]["params"]["Steps"] == "20"


def test_metadata_over_its_budget_is_stored_with_the_reason(tmp_path: Path, clip: ClipFactory) -> None:
    video = place(clip(".mp4", frames=12, seed=1), tmp_path / "slow.mp4")
    graph = {str(k): {"class_type": "CLIPTextEncode", "inputs": {"text": f"p{k}"}} for k in range(4000)}
    (tmp_path / "slow.json").write_text(json.dumps(graph), encoding="utf-8")
    prov, why = worker.metadata(video, {}, seconds=0.0)
    assert prov.empty() and why.startswith("metadata not read: reading its metadata took over")
    prov, why = worker.metadata(video, {}, seconds=5.0)
    assert why == "" and prov.prompt.startswith("p")
    # Inside one long step the interval timer stops it (in a process's main thread, as in the pool).
    with pytest.raises(provenance.OverBudget), worker.hard_limit(0.2):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            sum(range(1000))
    # and the take is stored all the same, with the reason, and the CLI says so
    project = open_project(tmp_path / "p.trproj")
    try:
        original = worker.METADATA_BUDGET_S
        worker.METADATA_BUDGET_S = 0.0
        try:
            notes: list[tuple[str, str]] = []
            report = ingest(project, [video], workers=0, on_note=lambda p, r: notes.append((p, r)))
        finally:
            worker.METADATA_BUDGET_S = original
        assert report.added == 1 and [Path(p).name for p, _ in notes] == ["slow.mp4"]
        with project.sessions() as session:
            take = session.scalars(select(m.Take)).one()
            assert "metadata not read" in take.probe_warning and take.prompt == ""
    finally:
        project.close()


# --- 2. numbers that break timelines and JSON -------------------------------------------------------


def one_take(tmp_path: Path, clip: ClipFactory, sidecar: str | None = None) -> tuple[Path, int]:
    """A project of one ingested take (with a JSON sidecar when given): its file and the take's id."""
    video = place(clip(".mp4", frames=12, seed=1), tmp_path / "media" / "SH010" / "take.mp4")
    if sidecar is not None:
        video.with_suffix(".json").write_text(sidecar, encoding="utf-8")
    project_file = tmp_path / "p.trproj"
    with open_project(project_file) as project:
        ingest(project, [tmp_path / "media"], workers=0)
        with project.sessions() as session:
            return project_file, session.scalars(select(m.Take.id)).one()


def test_huge_and_non_finite_numbers_come_out_as_strict_json_and_timelines(
    tmp_path: Path, clip: ClipFactory
) -> None:
    sidecar = ('{"prompt": "a truck", "seed": 12, "huge": ' + "9" * 400 + ', "inf": 1e999, "nan": NaN, '
               '"ninf": -Infinity, "fine": 1.5, "big_ok": 12345678901234567890}')  # fmt: skip
    project_file, take_id = one_take(tmp_path, clip, sidecar)
    with open_project(project_file) as project:
        with project.sessions() as session:
            params = session.get_one(m.Take, take_id).params
        assert params["inf"] == "inf" and params["nan"] == "nan" and params["ninf"] == "-inf"
        assert params["huge"].startswith("999") and params["fine"] == 1.5
        assert params["big_ok"] == "12345678901234567890"  # beyond 64 bits: text, exactly
        decide(project, take_id, Decision(verdict="keep"))
    strict_outputs(project_file, "Triage", tmp_path / "out")
    for line in run_cli("takes", str(project_file), "--json").stdout.splitlines():
        strict_loads(line)


def test_a_project_written_before_the_fix_still_exports(tmp_path: Path, clip: ClipFactory) -> None:
    """A NaN or a 400-digit number already in a project (an older version, an edit by hand)."""
    project_file, take_id = one_take(tmp_path, clip)
    project = open_project(project_file)
    try:
        with project.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE takes SET params = ? WHERE id = ?", ('{"a": NaN, "b": ' + "7" * 400 + "}", take_id)
            )
        decide(project, take_id, Decision(verdict="keep"))
    finally:
        project.close()
    strict_outputs(project_file, "Triage", tmp_path / "out")


# --- 4. terminal escapes, control and bidi characters -----------------------------------------------


def test_names_and_prompts_cannot_drive_the_terminal(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    evil = f"{ESCAPES}take\u202egpm.mp4"
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / evil)
    (media / "SH010" / f"{ESCAPES}broken.mp4").write_bytes(b"not a video")
    (media / "SH010" / f"{ESCAPES}take\u202egpm.json").write_text(
        json.dumps({"prompt": "red\rtruck\x9b2J \u202eeno", "model": "m\x1b[31m"}), encoding="utf-8"
    )
    project = tmp_path / "p.trproj"
    outputs = [run_cli("ingest", str(project), str(media), "--workers", "0")]
    outputs += [
        run_cli("takes", str(project)),
        run_cli("problems", str(project)),
        run_cli("takes", str(project), "--json"),
    ]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        no_traceback(result)
        for stream in (result.stdout, result.stderr):
            assert (
                "\x1b" not in stream
                and "\x07" not in stream
                and "\u202e" not in stream
                and "\x9b" not in stream
            )
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in outputs[1].stdout + outputs[2].stdout  # shown, escaped
    row = json.loads(outputs[3].stdout.splitlines()[0])
    assert row["name"] == evil  # JSON keeps the name exactly (escaped, and any reader turns it back)
    assert row["prompt"] == "red\ntruck2J eno" and row["model"] == "m[31m"
    # and a selects folder's names carry no bidi controls
    p = open_project(project, create=False)
    try:
        decide(p, row["id"], Decision(verdict="keep"))
        written = export(
            select_clips(p, "Triage"), "selects", tmp_path / "selects", Options(template="{name}")
        )
    finally:
        p.close()
    assert written[0].name == "]0;pwned_[2Jtakegpm.mp4"
    assert for_terminal("a\tb\nc\x85\u2067") == "a\\x09b\\x0ac\\x85\\u2067"


# --- 5. file names counted in bytes -----------------------------------------------------------------


def test_a_long_name_of_accented_letters_fits_the_file_system(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    name = "é" * 120 + ".mp4"  # 244 bytes: legal; "SH010_01_" in front would make 253, the ".mp4" 257
    assert len(name.encode()) == 244
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / name)
    project = open_project(tmp_path / "p.trproj")
    try:
        ingest(project, [media], workers=0)
        with project.sessions() as session:
            take_id = session.scalars(select(m.Take.id)).one()
        decide(project, take_id, Decision(verdict="keep"))
        selection = select_clips(project, "Triage")
    finally:
        project.close()
    written = export(selection, "selects", tmp_path / ("ü" * 125), Options())  # a 250-byte folder too
    copied = written[0]
    assert copied.is_file() and copied.suffix == ".mp4" and len(copied.name.encode()) <= 255
    assert copied.name.startswith("SH010_01_ééé")
    assert fit_bytes("é" * 10, 5) == "éé" and fit_bytes("e\u0301" * 3, 4) == "e\u0301"


# --- 6. name templates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{shot.foo}",
        "{shot.__class__.__mro__}",
        "{name[0]}",
        "{name!r}",
        "{0}",
        "{}",
        "{nope}",
        "{shot:{name}}",
        "{",
    ],
)
def test_templates_use_only_their_fields(template: str, tmp_path: Path) -> None:
    with pytest.raises(KnownError, match=r"\{shot\}, \{rank\}, \{name\}"):
        check_template(template)


def test_a_bad_template_on_the_command_line_is_a_message(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / "a.mp4")
    project = tmp_path / "p.trproj"
    assert run_cli("ingest", str(project), str(media), "--workers", "0").returncode == 0
    assert run_cli("decide", str(project), "a.mp4", "--keep").returncode == 0
    for template in ("{shot.foo}", "{shot.__class__.__mro__}"):
        result = run_cli("export", str(project), "-f", "selects", "--stage", "Triage", "-o",
                         str(tmp_path / "sel"), "--template", template)  # fmt: skip
        assert result.returncode == 1 and "it may use {shot}, {rank}" in result.stderr
        no_traceback(result)
        assert not (tmp_path / "sel").exists()
    check_template("{shot}_{rank:>03}_{name}")  # a format spec is fine


# --- 7. a full disk ---------------------------------------------------------------------------------


def test_a_full_disk_during_ingest_is_a_message_and_keeps_what_was_stored(
    tmp_path: Path, clip: ClipFactory
) -> None:
    need_root("the full-disk test")
    media = tmp_path / "media"
    for k in range(60):
        take = place(clip(".mp4", frames=12, seed=1), media / "SH010" / f"take_{k:03}.mp4")
        # each take carries a long prompt: the project grows by about 64 KB a take
        take.with_suffix(".txt").write_text(f"{k} " + "lorem ipsum " * 5400, encoding="utf-8")
    with tmpfs(tmp_path / "small", "1m") as small:
        project = small / "p.trproj"
        first = run_cli(
            "ingest",
            str(project),
            str(media / "SH010" / "take_000.mp4"),
            str(media / "SH010" / "take_001.mp4"),
        )
        assert first.returncode == 0, first.stderr
        result = run_cli("ingest", str(project), str(media), "--workers", "2")
        no_traceback(result)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "The disk holding the project is full" in result.stderr, result.stderr
        assert "stored before it stopped, and are kept" in result.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        p = open_project(project, create=False)
        try:
            with p.sessions() as session:
                kept = session.scalar(select(func.count(m.Take.id)))
        finally:
            p.close()
        assert 2 <= kept < 60
        again = run_cli("ingest", str(project), str(media), "--workers", "2")
        assert again.returncode == 0, again.stderr
        p = open_project(project, create=False)
        try:
            with p.sessions() as session:
                assert session.scalar(select(func.count(m.Take.id))) == 60
        finally:
            p.close()


# --- 8. two ingests at once -------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new project", "existing project"])
def test_two_ingests_at_once_store_every_take_once(tmp_path: Path, clip: ClipFactory, existing: bool) -> None:
    media = tmp_path / "media"
    for k in range(24):
        place(clip(".mp4", frames=12, seed=k % 4), media / f"SH0{k % 3}0" / f"take_{k:02}.mp4")
    project = tmp_path / "p.trproj"
    if existing:
        open_project(project).close()
    env = os.environ.copy()
    command = [sys.executable, "-m", "reviewer", "ingest", str(project), str(media), "--workers", "1"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "already exists" not in err and "IntegrityError" not in err
    p = open_project(project, create=False)
    try:
        with p.sessions() as session:
            names = list(session.scalars(select(m.Take.relpath)))
            roots = list(session.scalars(select(m.MediaRoot.path)))
            stages = list(session.scalars(select(m.Stage.name).order_by(m.Stage.position)))
    finally:
        p.close()
    assert sorted(names) == sorted(set(names)) and len(names) == 24
    assert roots == [str(media)] and stages == ["Triage", "Shortlist", "Selects"]
    assert any("Ingested 24 takes (0 new" in out for out, _ in results)  # the second found them stored


# --- 9. SIGKILL of an ingest ------------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_workers_exit_when_the_ingest_is_killed(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    for k in range(400):
        place(clip(".mp4", frames=48, seed=k % 5), media / "SH010" / f"take_{k:03}.mp4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "ingest", str(tmp_path / "p.trproj"), str(media), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 3:  # two workers and the resource tracker
            workers = _descendants(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 3, "the pool did not start"
        time.sleep(0.5)  # busy with work
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "workers outlived their killed parent"
    finally:
        for pid in _descendants(proc.pid) | {proc.pid}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


# --- 10. passwords ----------------------------------------------------------------------------------

PASSWORD = "s3cret-Pw_91"


def test_a_password_is_never_in_a_message(tmp_path: Path) -> None:
    url = f"postgresql://anna:{PASSWORD}@127.0.0.1:1/spot"  # nothing listens on port 1
    with pytest.raises(ProjectError) as caught:
        open_project(url)
    assert PASSWORD not in str(caught.value) and "anna" in str(caught.value)
    for args in (("takes", url), ("ingest", url, str(tmp_path)), ("migrate", url, str(tmp_path / "x.trproj")),
                 ("roots", url), ("stats", url)):  # fmt: skip
        result = run_cli(*args, timeout=60)
        assert result.returncode == 1 and result.stderr.startswith("reviewer: "), result.stderr
        assert PASSWORD not in result.stderr + result.stdout
        no_traceback(result)
    assert secrets.redact(url) == "postgresql://anna:***@127.0.0.1:1/spot"
    assert secrets.without_password(url) == "postgresql://anna@127.0.0.1:1/spot"
    assert secrets.scrub(f"failed for {PASSWORD} and s3cret-Pw_91", PASSWORD) == "failed for *** and ***"


class MemoryKeyring:
    """A real keyring backend (keyring's own interface), kept in memory: what a desktop's keyring does."""

    def __new__(cls):  # type: ignore[no-untyped-def]
        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def __init__(self) -> None:
                super().__init__()
                self.kept: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.kept.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.kept[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.kept.pop((service, username), None)

        return Backend()


def test_the_password_comes_from_the_keyring_and_stays_out_of_the_url(pg_url: str) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(NoKeyring())
        with pytest.raises(secrets.KeyringMissing, match="no system keyring"):
            secrets.save_password(pg_url.replace("@/", f":{PASSWORD}@/"), PASSWORD)
        backend = MemoryKeyring()
        keyring.set_keyring(backend)
        with_password = pg_url.replace("@/", f":{PASSWORD}@/")
        account = secrets.save_password(with_password, PASSWORD)
        assert backend.kept == {(secrets.SERVICE, account): PASSWORD}
        project = open_project(pg_url)  # no password in the URL: the keyring's (the test server trusts)
        try:
            assert project.engine.url.password == PASSWORD and PASSWORD not in project.url
            assert project.url == pg_url
        finally:
            project.close()
    finally:
        keyring.set_keyring(previous)


# --- 11. where projects are written, read-only storage ----------------------------------------------


def test_a_new_project_path_gets_its_ending(tmp_path: Path, clip: ClipFactory) -> None:
    media = tmp_path / "media"
    place(clip(".mp4", frames=12, seed=1), media / "a.mp4")
    result = run_cli("ingest", str(tmp_path / "spot"), str(media), "--workers", "0")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "spot.trproj").is_file() and not (tmp_path / "spot").exists()
    assert f"New project: {tmp_path / 'spot.trproj'}" in result.stderr
    assert run_cli("takes", str(tmp_path / "spot")).stdout.count("a.mp4") == 1  # found by either name
    legacy = tmp_path / "bare"  # a project file without the ending (older versions made them) still opens
    (tmp_path / "spot.trproj").rename(legacy)
    assert run_cli("takes", str(legacy)).stdout.count("a.mp4") == 1


@contextlib.contextmanager
def read_only_project(tmp_path: Path, clip: ClipFactory) -> Iterator[Path]:
    """A project of one take (a.mp4) on a file system then remounted read-only (a share, an archive)."""
    need_root("the read-only storage test")
    media = tmp_path / "media"
    place(clip(".mp4", frames=24, seed=1), media / "SH010" / "a.mp4")
    with tmpfs(tmp_path / "share", "16m") as share:
        project_file = share / "p.trproj"
        with open_project(project_file) as p:
            ingest(p, [media], workers=0)
        subprocess.run(["mount", "-o", "remount,ro", str(share)], check=True)
        yield project_file


def test_a_project_on_read_only_storage_opens_for_viewing(tmp_path: Path, clip: ClipFactory) -> None:
    with read_only_project(tmp_path, clip) as project_file:
        p = open_project(project_file, create=False)
        try:
            assert p.read_only
            with p.sessions() as session:
                take_id = session.scalars(select(m.Take.id)).one()
            with pytest.raises(ProjectError, match="open read-only"):
                decide(p, take_id, Decision(verdict="keep"))
        finally:
            p.close()
        listed = run_cli("takes", str(project_file))
        assert listed.returncode == 0 and "a.mp4" in listed.stdout, listed.stderr
        refused = run_cli("decide", str(project_file), "a.mp4", "--keep")
        assert refused.returncode == 1 and "open read-only" in refused.stderr
        no_traceback(refused)


# --- the property: any bytes as a tag, a sidecar or a file name -------------------------------------


def _with_tag(src: Path, dst: Path, comment: str) -> None:
    """A copy of ``src`` (remuxed, not re-encoded) whose container carries ``comment``."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata["comment"] = comment
        stream = inp.streams.video[0]
        copied = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = copied
            out.mux(packet)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reviewer.media.synth import ClipSpec, write_clip

    path = tmp_path_factory.mktemp("tiny") / "tiny.mp4"
    write_clip(path, ClipSpec(width=64, height=48, frames=6))
    return path


_TEXTS = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"Steps: 20, " + b"a" * 20_000, b'{"seed": 1e999, "n": NaN, "x": ' + b"9" * 400 + b"}",
                     b"\x1b]0;t\x07\xc2\x9b\xe2\x80\xae<img src=x>", b"\r\n\x00\xff\xfe"]),
)  # fmt: skip


@settings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate], print_blob=True)  # fmt: skip
@given(name=_TEXTS, sidecar=_TEXTS, tag=_TEXTS, kind=st.sampled_from([".json", ".txt"]))
def test_any_bytes_as_tag_sidecar_or_name_give_outputs_every_strict_reader_takes(
    tiny: Path, tmp_path: Path, name: bytes, sidecar: bytes, tag: bytes, kind: str
) -> None:
    """Ingest finishes within its budget and every output parses with its strict reader (shrinking is
    off: one example is a whole ingest and export, and a failure prints its bytes)."""
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        base = Path(folder)
        media = base / "media" / "SH010"
        media.mkdir(parents=True)
        raw = name.replace(b"/", b"_").replace(b"\x00", b"_")[:200].lstrip(b".") or b"x"
        video = Path(os.fsdecode(bytes(media) + b"/" + raw + b".mp4"))
        _with_tag(tiny, video, tag.decode("utf-8", "replace"))
        Path(os.fsdecode(bytes(media) + b"/" + raw + kind.encode())).write_bytes(sidecar)
        project_file = base / "p.trproj"
        project = open_project(project_file)
        started = time.monotonic()
        try:
            report = ingest(project, [base / "media"], workers=0)
            assert time.monotonic() - started < worker.METADATA_BUDGET_S + 20
            assert report.readable + len(report.problems) == 1
            with project.sessions() as session:
                ids = list(session.scalars(select(m.Take.id)))
            if ids:
                note = tag.decode("utf-8", "replace")[:200] or None
                decide(project, ids, Decision(verdict="keep", note=note))
            else:  # a name that is not UTF-8: reported, with its bytes escaped, never a crash
                with project.sessions() as session:
                    problems = queries.problems(session)
                assert len(problems) == 1 and "not UTF-8" in problems[0].reason
                strict_loads(dumps({"path": problems[0].path, "reason": problems[0].reason}))
        finally:
            project.close()
        if ids:
            strict_outputs(project_file, "Triage", base / "out")
