"""The window renders its view state (reviewer.review.workspace) and keeps none of its own."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.ui.driver import open_window


def test_widgets_follow_the_view_state_and_write_to_it(qtbot: QtBot, small_project: Path) -> None:
    window = open_window(qtbot, small_project)
    view = window.view
    assert view.stage == "player" and window.stage.stack.currentWidget() is window.player
    window.triage.auto_advance.click()  # the box writes to the state ...
    assert view.auto_advance is False
    view.auto_advance = True  # ... and shows it, whoever changed it
    assert window.triage.auto_advance.isChecked()
    window.commands.actions["session.toggle_auto_advance"].trigger()
    assert view.auto_advance is False and not window.triage.auto_advance.isChecked()
    view.stage = "cut"
    assert window.stage.stack.currentWidget() is window.stage.cut_view and window.stage.cutting()
    view.stage = "player"
    window.toggle_table()
    assert view.browser == "table" and window.browser_stack.currentWidget() is window.table
    assert window.view.muted and window.player.muted  # a window opens silent
    window.stage.toggle_mute()
    assert not view.muted and not window.player.muted and not window.stage.cut_view.muted
    window.stage.toggle_every_frame()
    assert (
        view.every_frame and window.player.clock.every_frame and window.stage.compare_view.clock.every_frame
    )
    window.stage.toggle_every_frame()
    window.close()
    again = open_window(qtbot, small_project)
    assert again.view.browser == "table" and again.view.auto_advance is False and again.view.muted
    again.player.close_all()
