"""Shots after triage: the board, heroes and their trims, keep-this-drop-the-rest, the cut, CSV import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.review import shots
from reviewer.review.decisions import Decision, decide, history, move_to_shot, undo
from reviewer.store import models as m
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes, row


def to_selects(project: Project, *take_ids: int) -> None:
    """Keep through Triage and Shortlist: the takes wait at Selects."""
    for _ in range(2):
        decide(project, list(take_ids), Decision(verdict="keep"))


def hero_of(project: Project, code: str) -> tuple[int | None, int | None, int | None]:
    with project.session() as session:
        shot = session.scalar(select(m.Shot).where(m.Shot.code == code))
        assert shot is not None
        return shot.hero_take_id, shot.hero_in, shot.hero_out


def set_frames(project: Project, frames: int) -> None:
    with project.session() as session:
        for take in session.scalars(select(m.Take)):
            take.frame_count, take.fps_num, take.fps_den = frames, 24, 1


def test_a_hero_must_stand_at_the_last_stage_and_choosing_it_keeps_it(project: Project) -> None:
    a, b = add_takes(project, 2)
    set_frames(project, 100)
    with pytest.raises(KnownError, match="Only a take at Selects"):
        shots.set_hero(project, a)
    to_selects(project, a, b)
    assert row(project, a)["stage"] == "Selects"
    shots.set_hero(project, a, 10, 60)
    assert hero_of(project, "SH010") == (a, 10, 60)
    assert row(project, a)["stage_position"] == 3  # kept at Selects by the same event
    with pytest.raises(KnownError, match="outside the take"):
        shots.set_hero(project, b, 10, 100)
    shots.set_hero(project, b, 40, 20)  # given backwards: the range is put right
    assert hero_of(project, "SH010") == (b, 20, 40)


def test_hero_undo_brings_back_the_one_before_and_rejecting_the_hero_clears_it(project: Project) -> None:
    a, b = add_takes(project, 2)
    set_frames(project, 50)
    to_selects(project, a, b)
    shots.set_hero(project, a)
    second = shots.set_hero(project, b, 5, 25)
    undone = undo(project, second.event_ids)
    assert hero_of(project, "SH010") == (a, None, None)
    undo(project, undone.event_ids)  # undoing the undo: b again
    assert hero_of(project, "SH010") == (b, 5, 25)
    # b rejected at Selects: it is not the hero any more, and a (still kept there) takes its place
    decide(project, b, Decision(verdict="reject", stage="Selects"))
    assert hero_of(project, "SH010") == (a, None, None)
    cleared = shots.clear_hero(project, "SH010")
    assert hero_of(project, "SH010") == (None, None, None)
    undo(project, cleared.event_ids)
    assert hero_of(project, "SH010") == (a, None, None)
    texts = [h.text for h in history_of(project, b)]
    assert "keep at Selects; made hero of SH010 (frames 5–25)" in texts


def history_of(project: Project, take_id: int) -> list:
    with project.sessions() as session:
        return history(session, take_id)


def test_a_hero_moved_to_another_shot_stops_being_its_hero(project: Project) -> None:
    (a,) = add_takes(project, 1)
    to_selects(project, a)
    shots.set_hero(project, a)
    move = move_to_shot(project, a, "SH020")
    assert hero_of(project, "SH010") == (None, None, None)
    assert hero_of(project, "SH020") == (None, None, None)
    undo(project, move.event_ids)
    assert hero_of(project, "SH010") == (a, None, None)


def test_keep_only_keeps_one_and_rejects_the_others_waiting_with_it(project: Project) -> None:
    a, b, c, d = add_takes(project, 4)
    (other_shot,) = add_takes(project, 1, shot="SH020")
    decide(project, [a, b, c, other_shot], Decision(verdict="keep"))  # at Shortlist; d stays at Triage
    change = shots.keep_only(project, b)
    assert row(project, b)["stage"] == "Selects"
    assert [row(project, t)["verdict"] for t in (a, c)] == ["reject", "reject"]
    assert row(project, d)["stage"] == "Triage" and row(project, d)["verdict"] is None
    assert row(project, other_shot)["verdict"] is None
    undo(project, change.event_ids)
    assert [row(project, t)["stage"] for t in (a, b, c)] == ["Shortlist"] * 3
    assert [row(project, t)["verdict"] for t in (a, b, c)] == [None] * 3


def test_board_counts_best_rating_hero_and_warnings(project: Project) -> None:
    a, b, c = add_takes(project, 3)
    add_takes(project, 2, shot="SH020")
    shots.create_shot(project, "SH030", title="Truck enters")
    set_frames(project, 48)
    decide(project, [a, b], Decision(verdict="keep", rating=4))
    decide(project, c, Decision(verdict="reject", rating=5))  # a rejected take's rating does not count
    decide(project, a, Decision(verdict="keep"))
    shots.set_hero(project, a, 0, 23)
    with project.sessions() as session:
        board = {r.code: r for r in shots.board(session)}
    assert list(board) == ["SH010", "SH020", "SH030"]
    sh10 = board["SH010"]
    assert (sh10.takes, sh10.keepers, sh10.best_rating) == (3, 2, 4)
    assert [(s.pending, s.kept, s.rejected) for s in sh10.counts] == [(0, 2, 1), (1, 1, 0), (0, 1, 0)]
    assert sh10.hero is not None and (sh10.hero.take_id, sh10.hero.frames) == (a, 24)
    assert sh10.warning == ""
    assert board["SH020"].warning == "no keeper yet"
    assert board["SH030"].warning == "no takes yet" and board["SH030"].title == "Truck enters"


def test_shots_are_created_renamed_reordered_and_only_empty_ones_deleted(project: Project) -> None:
    add_takes(project, 1)
    shots.create_shot(project, "SH030")
    shots.create_shot(project, "SH020", after="SH010")
    with pytest.raises(KnownError, match="already"):
        shots.create_shot(project, "SH020")
    with pytest.raises(KnownError, match="not a shot code"):
        shots.create_shot(project, "../etc")
    assert codes(project) == ["SH010", "SH020", "SH030"]
    shots.move_shot(project, "SH030", -2)
    assert codes(project) == ["SH030", "SH010", "SH020"]
    shots.reorder(project, ["SH020"])
    assert codes(project) == ["SH020", "SH030", "SH010"]
    shots.update_shot(project, "SH020", new_code="SH015", title="Close-up", target_frames=96)
    with project.sessions() as session:
        board = {r.code: r for r in shots.board(session)}
    assert board["SH015"].title == "Close-up" and board["SH015"].target_frames == 96
    with pytest.raises(KnownError, match="still has 1 takes"):
        shots.delete_shot(project, "SH010")
    shots.delete_shot(project, "SH030")
    assert codes(project) == ["SH015", "SH010"]


def codes(project: Project) -> list[str]:
    with project.sessions() as session:
        return [r.code for r in shots.board(session)]


def test_import_csv_creates_updates_orders_and_refuses_bad_files_whole(
    project: Project, tmp_path: Path
) -> None:
    add_takes(project, 1, shot="SH020")
    shots.create_shot(project, "SH900")
    good = tmp_path / "board.csv"
    good.write_text(
        "\ufeffShot,Title,Description,Target duration\n"
        'SH010,Opening,"Truck on the road, dawn",4.5\n'
        "SH020,Close-up,Driver,00:00:02:12\n"
        "SH030,Logo,,96f\n",
        encoding="utf-8",
    )
    result = shots.import_csv(project, good, fps=24)
    assert (result.created, result.updated) == (["SH010", "SH030"], ["SH020"])
    with project.sessions() as session:
        board = {r.code: r for r in shots.board(session)}
    assert list(board) == ["SH010", "SH020", "SH030", "SH900"]
    assert board["SH010"].description == "Truck on the road, dawn"
    assert [board[c].target_frames for c in ("SH010", "SH020", "SH030")] == [108, 60, 96]
    bad = tmp_path / "bad.csv"
    bad.write_text("code;duration\nSH040;4\nSH041;soon\n", encoding="utf-8")
    with pytest.raises(KnownError, match="line 3"):
        shots.import_csv(project, bad)
    assert "SH040" not in codes(project)  # nothing of a bad file is written
    no_code = tmp_path / "nocode.csv"
    no_code.write_text("title,duration\nA,4\n", encoding="utf-8")
    with pytest.raises(KnownError, match="no shot code column"):
        shots.import_csv(project, no_code)


def test_cut_lists_heroes_in_board_order_with_gaps(project: Project) -> None:
    a, _b = add_takes(project, 2)
    (c,) = add_takes(project, 1, shot="SH030")
    shots.create_shot(project, "SH020", after="SH010", target_frames=36)
    set_frames(project, 100)
    to_selects(project, a, c)
    shots.set_hero(project, a, 10, 33)
    shots.set_hero(project, c)
    with project.sessions() as session:
        items = shots.cut(session)
    assert [(i.code, i.hero.take_id if i.hero else None, i.record_in, i.length) for i in items] == [
        ("SH010", a, 0, 24),
        ("SH020", None, 24, 36),
        ("SH030", c, 60, 100),
    ]
    assert items[0].hero is not None and items[0].hero.path.endswith("SH010/t0.mp4")
