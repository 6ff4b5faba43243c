"""Review sessions, the undo stack over the event log, smart bins and the user's keymap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.errors import KnownError
from reviewer.review import keymap as km
from reviewer.review.decisions import Decision, decide
from reviewer.review.session import (
    Session,
    UndoEntry,
    UndoStack,
    delete_bin,
    describe_filter,
    filter_from_dict,
    filter_to_dict,
    load_bins,
    load_session,
    save_bin,
    save_session,
)
from reviewer.store import queries
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes, row


def test_rejected_takes_leave_the_queue_and_kept_ones_stay() -> None:
    s = Session(stage=0, stage_name="Triage", filter={}, queue=[1, 2, 3, 4], total=4)
    s.record(1, "keep")
    assert s.move(+1) == 2
    s.record(2, "reject")
    assert s.queue == [1, 3, 4] and s.current == 3  # the next take moved up under the cursor
    s.move(+1)
    s.record(4, "reject")
    assert s.queue == [1, 3] and s.current == 3  # the last one gone: the cursor stays on the end
    assert s.progress().startswith("3 of 4 · 1 kept")
    s.restore(4, 2)
    assert s.queue == [1, 3, 4] and s.progress().startswith("2 of 4")
    s.record(1, "clear")
    assert s.kept == [] and 1 not in s.decided


def test_takes_per_hour_counts_active_time_only() -> None:
    s = Session(stage=0, stage_name="Triage", filter={}, queue=list(range(10)), total=10)
    for take in range(6):
        s.record(take, "reject")
        s.last_action -= 6.0  # six seconds per take
    s.last_action -= 3600  # then an hour away: does not count
    s.record(6, "reject")
    assert 7 * 3600 / (6 * 6 + 120 + 30) * 0.9 < s.takes_per_hour() < 7 * 3600 / (5 * 6 + 120 + 30) * 1.1
    assert "takes/h" in s.progress()


def test_a_session_survives_leaving_the_project(project: Project) -> None:
    ids = add_takes(project, 5)
    s = Session(
        stage=0,
        stage_name="Triage",
        filter=filter_to_dict(queries.TakeFilter(stage=0)),
        queue=list(ids),
        total=5,
    )
    save_session(project, "anna", s, with_queue=True)
    s.move(+2)
    s.record(ids[2], "reject")
    save_session(project, "anna", s)  # after each key: where it stands, not the queue again
    back = load_session(project, "anna")
    assert (
        back is not None
        and back.queue == s.queue
        and back.position == s.position
        and back.decided == [ids[2]]
    )
    assert back.current == ids[3] and back.rejected == [ids[2]]
    assert filter_from_dict(back.filter) == queries.TakeFilter(stage=0)
    assert load_session(project, "ben") is None  # each reviewer has their own
    save_session(project, "anna", None)
    assert load_session(project, "anna") is None
    project.set_setting("session:chloe", {"stage": 0, "unknown": 1})
    project.set_setting("session-queue:chloe", [1, 2])
    assert load_session(project, "chloe") is None  # unreadable: start afresh, do not fail


def test_undo_and_redo_go_through_the_log(project: Project) -> None:
    (a,) = add_takes(project, 1)
    stack = UndoStack(project, lambda: "anna")
    change = decide(project, a, Decision(verdict="reject", tags_added=("flicker",)), reviewer="anna")
    stack.push(UndoEntry("Rejected", change.event_ids, [a], "reject"))
    entry, _ = stack.undo()
    assert entry.label == "Rejected"
    assert (row(project, a)["verdict"], row(project, a)["tags"]) == (None, [])
    stack.redo()
    assert (row(project, a)["verdict"], row(project, a)["tags"]) == ("reject", ["flicker"])
    stack.undo()
    assert row(project, a)["verdict"] is None
    with pytest.raises(KnownError, match="Nothing to undo"):
        stack.undo()
    stack.redo()
    change = decide(project, a, Decision(rating=2), reviewer="anna")
    stack.push(UndoEntry("Rated", change.event_ids, [a]))
    with pytest.raises(KnownError, match="Nothing to redo"):
        stack.redo()  # a new decision ends the redo chain


def test_smart_bins_are_saved_in_the_project(project: Project) -> None:
    f = queries.TakeFilter(stage=1, status="pending", tags=("morphing",), text="red truck", has_audio=True)
    save_bin(project, "  trucks   to check ", f)
    assert load_bins(project) == {"trucks to check": filter_to_dict(f)}
    assert filter_from_dict(load_bins(project)["trucks to check"]) == f
    assert (
        describe_filter(f, ["Triage", "Shortlist"])
        == "Shortlist: to review · tagged morphing · with sound · “red truck”"
    )
    with pytest.raises(KnownError):
        save_bin(project, "   ", f)
    delete_bin(project, "trucks to check")
    assert load_bins(project) == {}


def test_user_keymap_overrides_only_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "keymap.json"
    keys = km.default_keymap()
    keys["decide.keep"] = ["Ctrl+K"]
    km.save_keymap(keys, path)
    assert json.loads(path.read_text()) == {"decide.keep": ["Ctrl+K"]}
    loaded = km.load_keymap(path)
    assert loaded["decide.keep"] == ["Ctrl+K"] and loaded["decide.reject"] == ["X"]
    keys["decide.reject"] = ["Ctrl+K"]
    with pytest.raises(KnownError, match="ctrl\\+k is bound to"):
        km.save_keymap(keys, path)
    path.write_text("{ not json")
    with pytest.raises(KnownError, match="Cannot read the keyboard shortcuts"):
        km.load_keymap(path)


def test_every_command_has_a_title_and_single_keys_are_known() -> None:
    for command in km.default_keymap():
        assert km.title(command) != command
        assert km.category(command) != "Other"
    assert km.is_single_key("P") and km.is_single_key("Shift+H") and km.is_single_key("?")
    assert not km.is_single_key("Ctrl+Z") and not km.is_single_key("Alt+I")
