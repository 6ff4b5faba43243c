"""The command line (reviewer/cli.py), run in-process through ``main``: each subcommand registered
beside its handler, documented in the README, and the usual path from ingest to a shot list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewer import cli
from tests.conftest import ClipFactory, place

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_subcommand_has_its_arguments_and_handler_beside_it() -> None:
    names = [c.name for c in cli.COMMANDS]
    assert sorted(names) == sorted(cli.ORDER) and len(set(names)) == len(names)
    for c in cli.COMMANDS:
        assert c.handler.__name__ == "cmd_" + c.name
        assert c.arguments.__name__ == f"_{c.name}_arguments"
        assert c.help and c.help[0].islower()  # a line that follows "reviewer NAME:"


def test_the_readme_lists_every_subcommand() -> None:
    block = README.read_text(encoding="utf-8").split("## Command line", 1)[1].split("```", 2)[1]
    listed = set(re.findall(r"(?m)^reviewer ([a-z]+)", block))
    assert listed == set(cli.ORDER)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_from_ingest_to_a_shot_list(
    tmp_path: Path, clip: ClipFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "media"
    place(clip(".mp4", frames=12, seed=1), media / "SH010" / "a.mp4")
    place(clip(".mp4", frames=12, seed=2), media / "SH020" / "b.mp4")
    (media / "SH020" / "bad.mp4").write_bytes(b"nope")
    project = str(tmp_path / "spot")
    code, out, err = run(capsys, "ingest", project, str(media), "--workers", "0")
    assert code == 0 and out.startswith("Ingested 2 takes (2 new") and "unreadable: " in err
    assert "New project: " in err and (tmp_path / "spot.trproj").is_file()
    code, out, _ = run(
        capsys, "decide", project, "a.mp4", "--keep", "--rating", "4", "--tag", "hands/anatomy"
    )
    assert code == 0 and "stage Shortlist" in out and "rating 4" in out  # kept at Triage: now at Shortlist
    code, out, _ = run(capsys, "stats", project, "--json")
    stages = json.loads(out)["stages"]
    assert code == 0 and stages[0]["kept"] == 1 and stages[0]["reached"] == 2
    code, out, _ = run(capsys, "takes", project, "--json", "--stage", "Triage", "--status", "kept")
    assert code == 0 and [json.loads(line)["name"] for line in out.splitlines()] == ["a.mp4"]
    code, out, _ = run(capsys, "problems", project)
    assert code == 0 and "bad.mp4" in out
    code, out, _ = run(
        capsys, "export", project, "-f", "csv", "--stage", "Triage", "-o", str(tmp_path / "s.csv")
    )
    assert code == 0 and (tmp_path / "s.csv").read_text(encoding="utf-8").count("a.mp4") == 2  # take and file


def test_an_environment_error_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "takes", str(tmp_path / "missing.trproj"))
    assert code == 1 and out == "" and err == f"reviewer: No project at {tmp_path / 'missing.trproj'}\n"
    code, _out, err = run(capsys, "decide", str(tmp_path / "missing.trproj"), "1", "--keep")
    assert code == 1 and err.startswith("reviewer: No project at")


def test_bad_arguments_are_argparse_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["decide"])
    assert exited.value.code == 2 and "usage: reviewer decide" in capsys.readouterr().err
