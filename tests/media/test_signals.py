"""The signals on the labelled set (``synth.labelled_set``): the cases that look like defects and are not
(a moonlit night, pictures held two or three frames, a time-lapse slowing to a crawl, blinking lights
passing, a dissolve, a flash, a fast pan) give nothing of "Looks broken"; every defect is found, within a
frame, also inside held footage and between scenes of similar colour; every finding says why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reviewer.media.analysis import BROKEN_SHARE, Analysis, Signal, analyze, describe, signals_from
from reviewer.media.synth import ClipSpec, Defect, Labelled, labelled_set, write_clip

BROKEN_KINDS = {"still", "frozen", "cut", "black", "flicker"}


def within_one(found: list[tuple[int, int]], expected: list[tuple[int, int]]) -> bool:
    return len(found) == len(expected) and all(
        abs(a - c) <= 1 and abs(b - d) <= 1 for (a, b), (c, d) in zip(found, expected, strict=True)
    )


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Labelled, Analysis]]:
    folder = tmp_path_factory.mktemp("labelled")
    out = []
    for k, case in enumerate(labelled_set()):
        path = write_clip(folder / f"case_{k:02}.mp4", case.spec)
        out.append((case, analyze(path)[0]))
    return out


def test_the_labelled_set_is_found_as_labelled(analysed: list[tuple[Labelled, Analysis]]) -> None:
    for case, a in analysed:
        truth = case.truth
        for name, expected in truth.items():
            assert name in a.signals, (case.name, name, a.signals)
            if name == "held":
                assert a.signals[name].cadence == expected[0][1], (case.name, a.signals[name])
            else:
                assert within_one(a.signals[name].ranges, expected), (case.name, name, a.signals[name])
        wrong = (BROKEN_KINDS & set(a.signals)) - set(truth)
        assert not wrong, (case.name, {k: a.signals[k] for k in wrong})
        assert set(a.broken()) <= set(truth), (case.name, a.broken())
        for signal in a.signals.values():
            assert signal.evidence, (case.name, signal)


def test_a_night_is_dark_not_black_and_black_in_it_is_black(
    analysed: list[tuple[Labelled, Analysis]],
) -> None:
    by_name = {case.name: a for case, a in analysed}
    night = by_name["night"]
    assert "black" not in night.signals and night.signals["dark"].ranges == [(0, 71)]
    shown = describe({"found": {k: v.as_dict() for k, v in night.signals.items()}, "broken": night.broken()})
    assert [(group, name) for group, name, _e in shown] == [("info", "dark")]  # a fact, never broken
    inside = by_name["black in a night take"]
    assert inside.signals["black"].ranges == [(60, 71)] and inside.broken() == ["black"]


def test_held_frames_are_never_cuts_and_a_cut_between_them_is_one(
    analysed: list[tuple[Labelled, Analysis]],
) -> None:
    by_name = {case.name: a for case, a in analysed}
    for name in ("held 2x", "held 3x"):
        assert set(by_name[name].signals) == {"held"}, by_name[name].signals
    cut = by_name["cut in held 3x"]
    assert cut.signals["cut"].ranges == [(30, 30)] and "frame 30" in cut.signals["cut"].evidence


def test_sensitivity_moves_findings_between_broken_and_worth_a_look() -> None:
    weak = Analysis(2, 72, {"frozen": Signal(0.25, [(10, 27)], 0.25 / BROKEN_SHARE["frozen"], "x")}, 1, 1, [])
    found = {k: v.as_dict() for k, v in weak.signals.items()}
    assert weak.broken("normal") == [] and weak.broken("high") == ["frozen"]
    assert describe({"found": found, "broken": weak.broken("normal")})[0][:2] == ("look", "frozen")
    assert describe({"found": found, "broken": weak.broken("high")})[0][:2] == ("broken", "frozen")
    strong = Analysis(2, 72, {"cut": Signal(1, [(30, 30)], 2.0, "x")}, 1, 1, [])
    assert strong.broken("normal") == ["cut"] and strong.broken("low") == []
    again = Analysis.from_dict(weak.as_dict())  # the evidence survives the store
    assert again.signals["frozen"].strength == pytest.approx(weak.signals["frozen"].strength, abs=1e-3)
    assert again.signals["frozen"].evidence == "x"
    old = Analysis.from_dict({"version": 1, "frames": 10, "motion": 1, "sharpness": 1, "hashes": [],
                              "signals": {"cut": {"score": 1, "ranges": [[3, 3]]}}})  # fmt: skip
    assert old.signals["cut"].strength == 1.0 and old.signals["cut"].evidence == ""


def test_a_slow_drift_is_not_frozen_and_a_still_picture_with_noise_is() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(40, 200, (72, 128)).astype(np.float32)
    # A push-in so slow that no two successive frames differ by a frozen-stretch's threshold:
    slow = np.stack(
        [np.roll(base, i // 3, axis=1) * 0.5 + np.roll(base, i // 3 + 1, axis=1) * 0.5 for i in range(60)]
    )
    found, _, _ = signals_from(slow.astype(np.uint8))
    assert "frozen" not in found and "still" not in found, found
    noisy = np.stack([base + rng.normal(0, 1.5, base.shape) for _ in range(60)])
    found, _, _ = signals_from(np.clip(noisy, 0, 255).astype(np.uint8))
    assert "still" in found and found["still"].ranges == [(0, 59)]


def test_hevc_sees_the_same(tmp_path: Path) -> None:
    """The same picture through another codec: the held cadence and the similar-colour cut."""
    spec = ClipSpec(codec="hevc", width=320, height=180, frames=72, seed=16, motion="drift",
                    defects=[Defect("similar_cut", 30, 72), Defect("held", 0, 72, 3)])  # fmt: skip
    a, _ = analyze(write_clip(tmp_path / "held.mkv", spec))
    assert a.signals["held"].cadence == 3 and a.signals["cut"].ranges == [(30, 30)], a.signals


def test_the_project_sensitivity_resorts_looks_broken_without_decoding(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from reviewer.cli import main
    from reviewer.ingest.ingest import ingest
    from reviewer.store import queries
    from reviewer.store.db import open_project

    media = tmp_path / "media" / "SH010"
    spec = ClipSpec(
        width=320, height=180, frames=72, seed=10, motion="drift", defects=[Defect("freeze", 20, 40)]
    )
    write_clip(media / "short_freeze.mp4", spec)  # 21 of 72 frames: worth a look, not broken at "normal"
    path = tmp_path / "p.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    with project.sessions() as session:
        assert queries.broken_counts(session)["total"] == 0
        (row,) = queries.take_rows(session, [1])
        frozen = row["signals"]["found"]["frozen"]
        assert 1.0 <= frozen["strength"] < 1.5 and "unchanged picture" in frozen["evidence"]
    project.close()
    assert main(["analyze", str(path), "--sensitivity", "high"]) == 0
    assert "1 takes sorted anew" in capsys.readouterr().out
    project = open_project(path)
    with project.sessions() as session:
        assert queries.broken_counts(session)["frozen"] == 1
    assert project.setting("signal_sensitivity") == "high"
    project.close()
    assert main(["analyze", str(path), "--sensitivity", "normal"]) == 0
    assert "1 takes sorted anew" in capsys.readouterr().out
    assert main(["takes", str(path), "--json", "--broken"]) == 0
    assert capsys.readouterr().out.strip() == ""  # worth a look again, not broken


@pytest.mark.parametrize("grain", [0.0, 5.0])
def test_grain_hides_no_freeze_still_or_cadence_and_makes_no_clean_take_broken(
    tmp_path: Path, grain: float
) -> None:
    """Film grain or sensor noise, new every frame, fills every block's frame-to-frame difference, frozen
    pictures' too: the take's own noise is measured and taken out (version 2 found none of these at 5)."""
    cases = {
        "freeze": ([Defect("freeze", 20, 40)], {"frozen": [(19, 39)]}),
        "still": ([Defect("freeze", 1, 72)], {"still": [(0, 71)], "frozen": [(0, 71)]}),
        "held": ([Defect("held", 0, 72, 2)], {}),
        "clean": ([], {}),
    }
    for name, (defects, truth) in cases.items():
        spec = ClipSpec(
            width=320, height=180, frames=72, seed=30, motion="drift", grain=grain, defects=defects
        )
        a, _ = analyze(write_clip(tmp_path / f"{name}.mp4", spec))
        assert (BROKEN_KINDS & set(a.signals)) == set(truth), (name, a.signals)
        for kind, expected in truth.items():
            assert within_one(a.signals[kind].ranges, expected), (name, a.signals[kind])
        if name == "held":
            assert a.signals["held"].cadence == 2, a.signals


def test_snow_falling_on_a_still_scene_is_not_frozen(tmp_path: Path) -> None:
    """Snow, rain or sparks move a few pixels a lot where grain moves every pixel a little: the noise
    taken out of a take is the grain, and a locked-off shot in the snow is a moving picture."""
    for grain in (0.0, 4.0):
        spec = ClipSpec(width=320, height=180, frames=72, seed=19, motion="none", snow=96, grain=grain)
        a, _ = analyze(write_clip(tmp_path / f"snow{grain:g}.mp4", spec))
        assert not (BROKEN_KINDS & set(a.signals)), a.signals
        bare = ClipSpec(width=320, height=180, frames=72, seed=19, motion="none", grain=grain)
        b, _ = analyze(write_clip(tmp_path / f"bare{grain:g}.mp4", bare))
        assert "still" in b.signals, b.signals  # the same street without the snow is a still picture


def test_a_part_that_moves_all_the_time_is_not_taken_for_grain() -> None:
    """A flag rippling (its fine pattern new every frame) over a scene that stands still: where the rest
    of the picture has no grain, the flag's changes are motion, and the take is not a still. (Measured
    block by block alone, the flag's blocks would read as grain and the take as a still.)"""
    rng = np.random.default_rng(4)
    base = rng.integers(40, 200, (72, 128)).astype(np.float32)
    frames = []
    for _ in range(60):
        picture = base.copy()
        picture[20:50, 40:80] = 120 + rng.normal(0, 2.5, (30, 40))
        frames.append(picture)
    found, _, _ = signals_from(np.clip(np.stack(frames), 0, 255).astype(np.uint8))
    assert not (BROKEN_KINDS & set(found)), found
    bare = [base for _ in range(60)]  # the same scene without the flag is a still
    found, _, _ = signals_from(np.stack(bare).astype(np.uint8))
    assert "still" in found
