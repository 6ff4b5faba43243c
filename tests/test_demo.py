"""The demo project is a believable small production: shots, codecs, sound, provenance, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "reviewer", "demo", str(root), "--no-gui"], capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Demo project written: {root / 'project.trproj'}"
    return root / "project.trproj"


def cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", *args], capture_output=True, text=True, check=True
    ).stdout


def test_demo_has_eight_shots_of_twelve_mixed_takes(demo: Path) -> None:
    rows = [json.loads(line) for line in cli("takes", str(demo), "--json").splitlines()]
    assert len(rows) == 96
    assert Counter(r["shot"] for r in rows) == {f"SH0{i}0": 12 for i in range(1, 9)}
    codecs = Counter(r["video_codec"] for r in rows)
    assert {"h264", "hevc", "vp9", "av1", "prores", "mjpeg"} <= codecs.keys()
    assert len({(r["width"], r["height"]) for r in rows}) >= 4
    assert len({r["fps"] for r in rows}) >= 4
    assert 5 <= sum(r["has_audio"] for r in rows) <= 40
    assert any(r["bit_depth"] == 10 for r in rows)
    assert all(r["prompt"] and r["seed"] and r["generator"] for r in rows)
    sources = " ".join(r["provenance_source"] for r in rows)
    for kind in ("tag:prompt (ComfyUI)", "tag:comment (JSON)", "sidecar .json", "sidecar .txt", "file name"):
        assert kind in sources


def test_demo_carries_a_first_pass_and_problems(demo: Path) -> None:
    stats = json.loads(cli("stats", str(demo), "--json"))
    triage = stats["stages"][0]
    assert (
        triage["reached"] == 96 and triage["rejected"] > 0 and triage["kept"] > 0 and triage["pending"] > 40
    )
    rejected = [json.loads(line) for line in cli("takes", str(demo), "--json", "--stage", "Triage",
                                                  "--status", "rejected").splitlines()]  # fmt: skip
    assert {"frozen", "flicker", "continuity"} <= {t for r in rejected for t in r["tags"]}
    problems = [json.loads(line) for line in cli("problems", str(demo), "--json").splitlines()]
    assert len(problems) == 2


def test_demo_is_reused_when_it_exists(demo: Path) -> None:
    before = demo.stat().st_mtime
    out = cli("demo", str(demo.parent), "--no-gui")
    assert out.strip().endswith(str(demo)) and demo.stat().st_mtime == before


def test_demo_has_heroes_on_the_shot_board_and_gaps_in_the_cut(demo: Path) -> None:
    board = [json.loads(line) for line in cli("shots", str(demo), "--json").splitlines()]
    assert [b["code"] for b in board] == [f"SH0{i}0" for i in range(1, 9)]
    heroes = {b["code"]: b["hero"] for b in board if b["hero"]}
    assert set(heroes) == {"SH010", "SH020"}
    assert (heroes["SH020"]["in"], heroes["SH020"]["out"]) == (12, 59)
    assert board[2]["warning"] == "no hero yet" and board[6]["warning"] == "no keeper yet"
    candidate = next(
        r
        for r in map(json.loads, cli("takes", str(demo), "--json", "--shot", "SH030").splitlines())
        if r["stage"] == "Selects" and r["verdict"] is None
    )
    out = cli("hero", str(demo), str(candidate["id"]), "--trim", "0", "23", "--as", "tester")
    assert out.strip() == f"take {candidate['id']} is the hero of SH030"
    board = [json.loads(line) for line in cli("shots", str(demo), "--json").splitlines()]
    assert board[2]["hero"]["frames"] == 24 and board[2]["warning"] == ""
    cli("hero", str(demo), "SH030", "--clear")
    assert json.loads(cli("shots", str(demo), "--json").splitlines()[2])["hero"] is None
