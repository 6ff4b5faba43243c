"""The workspace's command table: every command of resources/keymap.json with the handler that does it,
in one place (a test checks that each command has a handler and each handler a title). The transport
commands are the player's own table, routed to whatever is on the stage."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from reviewer.review import keymap as km
from reviewer.store import models as m
from reviewer.ui.family_view import show_family
from reviewer.ui.retry_dialog import show_retry


def handlers(w: Any) -> dict[str, Callable[[], Any]]:
    """The project window's commands (``w``: the window, its controllers built)."""
    d, s, st, survey, shots, ai = w.deciding, w.triage, w.stage, w.survey, w.shot_dock, w.disclosure
    table: dict[str, Callable[[], Any]] = {
        "decide.keep": lambda: d.give_verdict(m.VERDICT_KEEP),
        "decide.reject": lambda: d.give_verdict(m.VERDICT_REJECT),
        "decide.clear": lambda: d.give_verdict(m.VERDICT_CLEAR),
        "decide.note": w.start_note,
        "decide.quick_tag": w.start_tag,
        "decide.move_to_shot": w.start_move,
        "decide.hero": shots.make_hero,
        "decide.keep_only": shots.keep_only,
        "shots.new": shots.new_shot,
        "shots.edit": shots.edit_shot,
        "shots.move_up": lambda: shots.move_shot(-1),
        "shots.move_down": lambda: shots.move_shot(+1),
        "shots.import": shots.import_shots,
        "shots.clear_hero": shots.clear_hero,
        "edit.undo": d.undo,
        "edit.redo": d.redo,
        "queue.next_take": lambda: w.listing.go_to_take(+1),
        "queue.previous_take": lambda: w.listing.go_to_take(-1),
        "session.start": s.start,
        "session.stop": s.stop,
        "session.toggle_auto_advance": lambda: setattr(w.view, "auto_advance", not w.view.auto_advance),
        "session.play_once": w.playback.toggle_play_once,
        "view.grid": lambda: st.set_view("grid"),
        "view.player": lambda: st.set_view("player"),
        "view.compare": st.compare,
        "view.cut": st.toggle_cut,
        "view.dashboard": st.show_dashboard,
        "view.survey": survey.toggle,
        "view.full_screen": w.playback.toggle_full_screen,
        "view.zoom": w.player.toggle_zoom,
        "view.proxy": st.toggle_proxy,
        "view.table": w.toggle_table,
        "view.search": w.focus_search,
        "view.refresh": w.refresh_all,
        "view.duplicates": w.listing.show_duplicates,
        "view.family": lambda: show_family(w),
        "app.watch_folders": w.watching.show_dialog,
        "app.retry_list": lambda: show_retry(w),
        "view.stacks": w.listing.toggle_stacks,
        "view.open_stack": w.listing.open_stack,
        "player.every_frame": st.toggle_every_frame,
        "player.toggle_mute": st.toggle_mute,
        "survey.next_page": survey.next_page,
        "survey.bigger": lambda: survey.resize(+1),
        "survey.smaller": lambda: survey.resize(-1),
        "survey.page_rule": survey.cycle_rule,
        "analysis.sensitivity": w.analysis.cycle_sensitivity,
        "disclosure.generated": lambda: ai.declare("yes"),
        "disclosure.not_generated": lambda: ai.declare("no"),
        "disclosure.unknown": lambda: ai.declare("unknown"),
        "disclosure.evidence": lambda: ai.declare("evidence"),
        "disclosure.folder_not_generated": lambda: ai.folder_rule("no"),
        "disclosure.folder_generated": lambda: ai.folder_rule("yes"),
        "cut.next_shot": lambda: st.cut_view.shot_step(+1),
        "cut.previous_shot": lambda: st.cut_view.shot_step(-1),
        "cut.swap_hero": st.swap_hero,
        "compare.mode": st.compare_view.cycle_mode,
        "compare.next_pane": lambda: st.compare_view.move_cursor(+1),
        "compare.previous_pane": lambda: st.compare_view.move_cursor(-1),
        "team.reveal_votes": d.reveal_votes,
        "app.command_palette": w.command_palette,
        "app.cheat_sheet": w.cheat_sheet,
        "app.shortcuts": w.edit_shortcuts,
        "app.switch_reviewer": w.switch_reviewer,
        "app.export": w.export_dialog,
        "app.media_roots": w.media_roots,
        "app.about": w.about,
        "app.quit": w.close,
    }
    for r in range(6):
        table[f"decide.rate_{r}"] = partial(d.rate, r)
    for command in w.player.handlers():
        if command not in table:  # the window's own (every frame: for player, compare and cut)
            table[command] = partial(st.transport, command)
    return table


def install(w: Any) -> None:
    """Every command on the window's key map, the tag keys (``tag.<name>``) toggling their tag."""
    commands = w.commands
    for command, handler in handlers(w).items():
        commands.add(command, handler)
    for command in commands.keymap:
        if command.startswith(km.TAG_PREFIX) and command not in commands.actions:
            commands.add(command, partial(w.deciding.toggle_tag, command[len(km.TAG_PREFIX) :]))
