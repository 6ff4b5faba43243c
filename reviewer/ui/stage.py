"""The stage area's controller: what is on the stage (the player, compare, the cut, the survey), the
transport keys that drive it, sound and every-frame playback for all of them alike, and the views of
the cut and compare following every change. What is shown is the workspace model's ``stage``; the
stacked widget only renders it."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from reviewer.review import shots
from reviewer.review.decisions import Change
from reviewer.review.loading import hero_candidates, load_dashboard, take_rows, the_cut
from reviewer.ui.compare import CompareView
from reviewer.ui.cut_view import CutView
from reviewer.ui.dashboard import DashboardWindow
from reviewer.ui.player import PlayerWidget
from reviewer.ui.survey import SurveyView
from reviewer.untrusted import for_terminal

SURVEY_KEYS = ("survey.next_page", "survey.bigger", "survey.smaller")


def describe_take(take: dict[str, Any]) -> str:
    verdict = take.get("verdict")
    state = f"{take.get('stage')}{': ' + verdict if verdict else ''}"
    stars = "★" * int(take.get("rating") or 0)
    return f"{for_terminal(take.get('name', ''))}   {state}   {stars}"


class StageArea:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.player = window.player
        self.compare_view = CompareView()
        self.compare_view.describe = describe_take
        self.compare_view.cursor_moved.connect(lambda take_id: window.listing.show_take(take_id))
        self.cut_view = CutView()
        self.stack = QStackedWidget()
        for widget in (self.player, self.compare_view, self.cut_view, window.survey.view):
            self.stack.addWidget(widget)
        self.area = QWidget()
        layout = QVBoxLayout(self.area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(window.triage.bar)
        layout.addWidget(self.stack, 1)
        self.dashboard: DashboardWindow | None = None
        view = window.view
        view.muted = self.player.muted
        view.every_frame = self.player.clock.every_frame  # the player keeps it between windows
        self._apply_every_frame(view.every_frame)
        view.on("stage", self._show)
        view.on("muted", self._apply_muted)
        view.on("every_frame", self._apply_every_frame)

    def say(self, text: str) -> None:
        self.w.status_label.setText(text)

    def comparing(self) -> bool:
        return bool(self.w.view.stage == "compare")

    def cutting(self) -> bool:
        return bool(self.w.view.stage == "cut")

    def _show(self, stage: str) -> None:
        self.survey_keys(stage == "survey")
        if stage != "survey":
            self.w.survey.view.close_all()  # sixteen decoders stop when the survey is not on screen
        shown = {"compare": self.compare_view, "cut": self.cut_view, "survey": self.w.survey.view}
        self.stack.setCurrentWidget(shown.get(stage, self.player))

    def survey_keys(self, on: bool) -> None:
        """Enter, = and - belong to the survey only while it is on screen (elsewhere Enter is a dialog's,
        the palette's or a text field's)."""
        for command in SURVEY_KEYS:
            action = self.w.commands.actions.get(command)
            if action is not None:
                action.setEnabled(on)

    def set_view(self, which: str) -> None:
        """G: the browser fills the window; E: the player does; the same key again: both side by side."""
        w = self.w
        if which == "player" and w.survey.active:
            w.survey.toggle()  # E in the survey: the player, on the cursor's take
        browser_only = which == "grid"
        if browser_only:
            w.view.browser = "grid"
        showing_only = (
            (w.browser.isVisible() and not self.area.isVisible())
            if browser_only
            else (self.area.isVisible() and not w.browser.isVisible())
        )
        w.browser.setVisible(showing_only or browser_only)
        self.area.setVisible(showing_only or not browser_only)
        w.focus_browser()

    def transport(self, command: str) -> None:
        """Transport keys drive what is on the stage: the player, or every take in compare and the cut."""
        speed = {"player.speed_up": +1, "player.speed_down": -1}.get(command)
        if speed is not None and self.w.playback.change_speed(speed):
            return  # in a session, [ and ] set the session's speed
        views: dict[str, CompareView | CutView | PlayerWidget | SurveyView] = {
            "compare": self.compare_view, "cut": self.cut_view, "survey": self.w.survey.view,
        }  # fmt: skip
        handler = views.get(self.w.view.stage, self.player).handlers().get(command)
        if handler is not None:
            handler()

    # --- sound and every frame, for every view alike --------------------------------------------------

    def toggle_every_frame(self) -> None:
        """Ctrl+Shift+L: show every frame (late if the machine cannot keep up), or keep time (skip)."""
        self.w.view.every_frame = not self.w.view.every_frame
        self.say(
            "Playing every frame: none is skipped, playback slows if it must"
            if self.w.view.every_frame
            else "Playing in real time: frames are skipped when playback falls behind"
        )

    def toggle_mute(self) -> None:
        """M: sound on or off, for the player, compare and the cut alike (the window opens muted: triage)."""
        self.w.view.muted = not self.w.view.muted
        self.say("Sound off (M)" if self.w.view.muted else "Sound on (M)")

    def toggle_proxy(self) -> None:
        """Ctrl+Alt+P: the player plays takes' proxies where this workstation has them (slow storage)."""
        self.player.toggle_proxy()
        self.say(
            "Proxies on: the player plays the small local copy where one exists (Ctrl+Alt+P)"
            if self.player.prefer_proxy
            else "Proxies off: the player plays the originals (Ctrl+Alt+P)"
        )

    def _apply_muted(self, muted: bool) -> None:
        if self.player.muted != muted:
            self.player.toggle_mute()
        self.cut_view.set_muted(muted)
        self.compare_view.set_muted(muted)
        self.w.survey.view.set_muted(muted)

    def _apply_every_frame(self, on: bool) -> None:
        if self.player.clock.every_frame != on:
            self.player.toggle_every_frame()  # the player keeps the choice for the next window
        self.compare_view.clock.every_frame = on
        self.cut_view.every_frame = on
        if self.cut_view.playback is not None:
            self.cut_view.playback.every_frame = on

    # --- compare ------------------------------------------------------------------------------------

    def compare(self) -> None:
        """C: 2-up, again 4-up, again back to the player. The takes: the selection (up to four), else
        the current take and the next ones of the same shot in the listing."""
        if self.cutting():
            self.toggle_cut()
        if self.comparing() and self.compare_view.count == 4:
            self.close_compare()
            return
        count = 4 if self.comparing() else 2
        ids = self._compare_ids(count)
        if len(ids) < 2:
            self.say("Compare needs two takes: select them, or stand on a take of a shot with others")
            return
        if len(ids) > 2 and not self.comparing():
            count = 4
        self.w.ops.read(
            take_rows, self.w.project, ids, done=partial(self._compare_rows, ids, count), key="compare"
        )

    def _compare_rows(self, ids: list[int], count: int, rows: dict[int, dict[str, Any]]) -> None:
        self.player.pause()
        self.area.show()
        self.w.view.stage = "compare"
        self.compare_view.set_takes([rows[t] for t in ids if t in rows], count)
        self.say(
            f"Compare {count}-up: Tab moves the cursor, W wipe / difference, P X 0-5 decide the take under it, "
            "Alt+P keeps it and rejects the rest, C again for " + ("4-up" if count == 2 else "the player")
        )
        self.w.focus_browser()

    def _compare_ids(self, count: int) -> list[int]:
        listing, model = self.w.listing, self.w.model
        current = [int(t["id"]) for t in self.compare_view.takes()] if self.comparing() else []
        selected = listing.targets()
        if len(selected) > 1:
            return list(dict.fromkeys([*selected, *current]))[:count]
        cat, here = listing.catalog, listing.current_id
        if here is None or cat is None:
            return current
        shot = cat.shot_code(cat.row_of[here])
        ids = list(dict.fromkeys([*current, here])) if current else [here]
        row = model.row_of(here) or 0
        for r in [*range(row + 1, model.rowCount()), *range(0, row)]:
            if len(ids) >= count:
                break
            take_id = model.take_id(r)
            if take_id is not None and take_id not in ids and cat.shot_code(cat.row_of[take_id]) == shot:
                ids.append(take_id)
        return ids[:count]

    def close_compare(self) -> None:
        self.compare_view.close_all()
        self.back_to_player()
        self.say("Back to the player")

    def back_to_player(self) -> None:
        self.w.view.stage = "player"
        if self.w.listing.current_id is not None:
            self.w.listing.show_take(self.w.listing.current_id)

    # --- the cut ------------------------------------------------------------------------------------

    def toggle_cut(self) -> None:
        """S: the cut (heroes of all shots in order) on the stage, or back to the player."""
        if self.cutting():
            self.cut_view.close_all()
            self.back_to_player()
            return
        if self.comparing():
            self.compare_view.close_all()
        self.player.pause()
        self.area.show()
        self.w.view.stage = "cut"
        self._load_cut(said=True)
        self.w.focus_browser()

    def _load_cut(self, at_record: int | None = None, said: bool = False) -> None:
        """The cut read again (through the window's ops: in the background in team mode) and shown."""

        def read(items: list[shots.CutItem]) -> None:
            if not self.cutting():
                return
            self.cut_view.set_cut(items, at_record)
            if said:
                heroes = sum(1 for i in items if i.hero)
                self.say(
                    f"The cut: {heroes} of {len(items)} shots have a hero. Space plays it through, "
                    "PgUp/PgDn shot to shot, Alt+Right swaps the shot's hero for its next keeper, S back"
                )

        self.w.ops.read(the_cut, self.w.project, done=read, key="cut")

    def swap_hero(self) -> None:
        """Alt+Right in the cut: the shot under the playhead takes its next keeper as hero; it replays."""
        w = self.w
        item = self.cut_view.current_item() if self.cutting() else None
        if item is None:
            self.say("Swap works in the cut (S)")
            return
        w.ops.read(hero_candidates, w.project, item.code, done=partial(self._swap, item), key="swap")

    def _swap(self, item: shots.CutItem, candidates: list[int]) -> None:
        w = self.w
        current = item.hero.take_id if item.hero else None
        if not [t for t in candidates if t != current]:
            self.say(f"{item.code} has no other take at the last stage to swap in")
            return
        k = candidates.index(current) if current in candidates else -1
        new = candidates[(k + 1) % len(candidates)]  # a gap takes the first keeper

        def swapped(_change: Change) -> None:  # the cut was rebuilt with the new hero: play the shot
            self.cut_view.seek_record(item.record_in)
            self.cut_view.play()
            self.say(f"{item.code}: hero swapped, playing from the shot (Ctrl+Z swaps back)")

        w.ops.run(
            f"Hero of {item.code}", partial(shots.set_hero, reviewer=w.reviewer), w.project, new, then=swapped
        )

    # --- following changes ------------------------------------------------------------------------------

    def changed(self, change: Change) -> None:
        """The cut is rebuilt after verdicts and heroes (a rating or a tag leaves it as it is); compare
        re-reads the takes it shows."""
        if self.w.survey.active:  # a cell's stars as recorded
            self.w.survey.recorded(sorted(change.take_ids))
        if self.cutting() and change.funnel:
            self._load_cut(self.cut_view.position())
        if self.comparing():
            shown = [int(t["id"]) for t in self.compare_view.takes() if int(t["id"]) in change.take_ids]
            if shown:
                self.w.ops.read(take_rows, self.w.project, shown, done=self._compared_rows)

    def _compared_rows(self, rows: dict[int, dict[str, Any]]) -> None:
        if self.comparing():
            for row in rows.values():
                self.compare_view.update_take(row)

    def show_dashboard(self) -> None:
        """Ctrl+Shift+D: the funnel dashboard in a window of its own, refreshed while it is open."""
        if self.dashboard is None:
            self.dashboard = DashboardWindow(self.w.project, load_dashboard)
        self.dashboard.show()
        self.dashboard.raise_()

    def close_all(self) -> None:
        self.player.close_all()
        self.compare_view.close_all()
        self.cut_view.close_all()
        if self.dashboard is not None:
            self.dashboard.close()
            self.dashboard.tasks.wait(10_000)
