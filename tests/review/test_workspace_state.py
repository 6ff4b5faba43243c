"""The workspace's evented view state (reviewer.review.workspace), without a display."""

from __future__ import annotations

import pytest

from reviewer.review.workspace import Workspace


def test_a_change_is_told_once_and_no_change_is_told_to_nobody() -> None:
    state = Workspace()
    heard: list[object] = []
    state.on("stage", heard.append)
    state.stage = "compare"
    state.stage = "compare"
    state.stage = "cut"
    assert heard == ["compare", "cut"] and state.stage == "cut"
    with pytest.raises(ValueError, match="stage is one of player, compare, cut"):
        state.stage = "survey-ish"
    assert state.stage == "cut" and heard == ["compare", "cut"]
    with pytest.raises(AttributeError):
        state.on("nothing", heard.append)


def test_settings_round_trip_and_hand_edited_values_are_checked() -> None:
    state = Workspace(
        stage="compare",
        browser="table",
        fold_stacks=False,
        auto_advance=False,
        muted=False,
        session_speed=2.0,
    )
    saved = state.as_settings()
    assert saved["workspace/browser"] == "table"
    again = Workspace.from_settings(saved)
    assert (again.browser, again.fold_stacks, again.auto_advance, again.session_speed) == (
        "table",
        False,
        False,
        2.0,
    )
    assert (again.stage, again.muted) == ("player", True)  # a window opens on the player, silent
    # QSettings hands back text; a wrong value keeps the default instead of breaking the window
    text = {"workspace/auto_advance": "false", "workspace/session_speed": "1.5", "workspace/stage": "nowhere",
            "workspace/muted": "maybe", "workspace/browser": "table"}  # fmt: skip
    loaded = Workspace.from_settings(text)
    assert (loaded.auto_advance, loaded.session_speed, loaded.browser) == (False, 1.5, "table")
    assert Workspace.from_settings({"workspace/session_speed": "fast"}).session_speed == 1.0
    assert Workspace().muted is True  # triage opens silent
