"""The listing's controller: the catalogue and what the browser shows of it, and the current take.

Opening a project shows its first page of takes at once (one small query) while the catalogue of all
takes loads in a worker; the filter, the text search, sorting, stack folding and the counts then run in
memory. The current take is shown in the player and the Take panel; its notes, history and votes are
read in a worker. After a change (from ``Ops.changed``) the catalogue re-reads only the changed takes
and the views repaint those rows. Given the project window, as the other controllers are.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, Qt

from reviewer.errors import KnownError
from reviewer.review import keymap as km
from reviewer.review import stacks
from reviewer.review.catalog import COLUMN_KEYS, Catalog, Update
from reviewer.review.decisions import Change
from reviewer.review.loading import (
    Details,
    Loaded,
    all_tags,
    count_funnel,
    find_duplicates,
    load_catalog,
    load_details,
    load_stacks,
    read_takes,
    take_rows,
)
from reviewer.review.session import describe_filter, filter_from_dict, filter_to_dict, load_session
from reviewer.store import queries
from reviewer.ui.bins_dock import text_rows
from reviewer.ui.player import PREFETCH
from reviewer.ui.shots_dock import load_board

FIRST_PAGE = 300
READ_AHEAD = 8  # team mode: the rows of the next takes are read before they are shown
ROWS_KEPT = 256


class Listing:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.catalog: Catalog | None = None
        self.complete = False  # the whole catalogue is loaded (not only the first page)
        self.filter = queries.TakeFilter()
        self.sort_key: tuple[int, Qt.SortOrder] | None = None
        self.text_cache: OrderedDict[str, np.ndarray] = OrderedDict()  # search text -> rows, the latest kept
        self.stacks: stacks.Stacks | None = None  # found in a worker once the catalogue is loaded
        self.open_stacks: set[int] = set()
        self.folded: stacks.Folded | None = None  # the listing's stacks, when folded
        self.unfolded_rows = np.zeros(0, np.int64)  # the filter's rows before folding (a session's queue)
        self.filter_restored = False
        self.rearranging = False  # rows leaving or joining the queue: the session says what is current
        self.current_id: int | None = None
        self.current_row: dict[str, Any] | None = None
        self.problems = 0
        self.name = ""
        self.tags: list[str] = []
        self.defects: list[str] = []
        self.rows: OrderedDict[int, dict[str, Any]] = OrderedDict()  # team mode: takes' rows read ahead

    def say(self, text: str) -> None:
        self.w.status_label.setText(text)

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        """The first page at once, then the whole catalogue in the background (one after the other:
        on two cores and one GIL, loading both side by side would only delay the first screen)."""
        self.say("Loading takes…")
        if self.catalog is None:
            self.w.tasks.run(
                load_catalog,
                self.w.project,
                FIRST_PAGE,
                done=self._first_page,
                failed=self._failed,
                key="first",
            )
        else:
            self._load_all()

    def _load_all(self) -> None:
        self.w.tasks.run(
            load_catalog, self.w.project, None, done=self._catalog_loaded, failed=self._failed, key="catalog"
        )

    def _failed(self, exc: Exception) -> None:
        self.say(f"Could not load the project: {exc}")
        if not isinstance(exc, KnownError | OSError):
            raise exc

    def _first_page(self, result: Loaded) -> None:
        # The funnel counted in SQL (a fraction of a second), then the whole catalogue: one after the
        # other, so that the counts are on the first screen too.
        self.w.tasks.run(count_funnel, self.w.project, done=self._first_funnel, key="funnel")
        if self.complete:
            return
        catalog, total, self.problems, self.name, self.tags, self.defects = result
        self._set_title()
        self.catalog = catalog
        model = self.w.model
        model.set_rows(catalog, catalog.select(queries.TakeFilter()))
        if model.rowCount():
            self.w.grid.setCurrentIndex(model.index(0, 1))
        self.say(f"Showing the first {len(catalog):,} of {total:,} takes; indexing the rest…")

    def _first_funnel(self, funnel: queries.Funnel) -> None:
        if not self.complete:
            self.w.shots.set_funnel(funnel)
            self.w.funnel_bar.set_funnel(funnel, self.problems)
        self._load_all()

    def _catalog_loaded(self, result: Loaded) -> None:
        w = self.w
        catalog, total, self.problems, self.name, self.tags, self.defects = result
        self._set_title()
        self.catalog = catalog
        self.complete = True
        w.panel.set_vocabulary(self.defects, self.tags, self.shot_codes())
        w.panel.set_chip_keys(
            {
                c[len(km.TAG_PREFIX) :]: ", ".join(w.commands.keys(c))
                for c in w.commands.actions
                if c.startswith(km.TAG_PREFIX)
            }
        )
        w.filter_bar.set_choices(catalog, self.tags)
        w.tasks.run(load_stacks, w.project, done=self._stacks_loaded, key="stacks")
        w.live_updates.restart()
        w.deciding.read_rules()
        w.ops.read(load_session, w.project, w.reviewer, done=w.triage.found_saved, key="saved-session")
        if w.triage.session is not None:
            w.triage.show_queue()
        else:
            if not self.filter_restored:
                self.filter_restored = True
                self.filter = self._remembered_filter()
                w.filter_bar.set_value(self.filter)
            self.apply_filter(keep_current=True)
        self.refresh_counts()
        w.triage.update_bar()
        self.say(f"{total:,} takes")
        w.analysis.start_once()
        if not w.watching.started:
            w.watching.started = True
            w.watching.start()  # the project's watched folders, with the workspace

    def _set_title(self) -> None:
        where = Path(str(self.w.project.path or self.w.project.url)).name
        self.w.setWindowTitle(f"{self.name} — {where} — Take Reviewer")

    def shot_codes(self) -> list[str]:
        cat = self.catalog
        if cat is None:
            return []
        return sorted(cat.shot_order, key=lambda c: cat.shot_order[c])

    # --- the filter, stacks, counts ---------------------------------------------------------------

    def set_filter(self, f: queries.TakeFilter) -> None:
        """Show the takes matching ``f`` (from the filter bar, a bin, a shot or a funnel stage)."""
        if self.w.triage.session is not None:
            self.say("Leave the session (Ctrl+Shift+Return) to change the filter")
            return
        self.remember_filter(f)
        self.apply_filter(keep_current=True)

    def reveal(self, take_id: int, family: list[int]) -> None:
        """Go to ``take_id``: in the takes shown if it is there, else with the browser filtered to
        ``family`` (the family view's takes)."""
        w = self.w
        if w.model.row_of(take_id) is None and w.triage.session is None:
            self.set_filter(queries.TakeFilter(ids=tuple(family)))
        row = w.model.row_of(take_id)
        if row is None:
            self.say("That take is not in this session's queue")
            return
        w.grid.setCurrentIndex(w.model.index(row, 1))

    def remember_filter(self, f: queries.TakeFilter) -> None:
        """``f`` is the filter, in the filter bar and kept for the project on this workstation."""
        self.filter = f
        if f != self.w.filter_bar.value():
            self.w.filter_bar.set_value(f)
        self.w.settings.setValue(self._filter_setting(), json.dumps(filter_to_dict(f)))

    def _filter_setting(self) -> str:
        return "filters/" + self.w.project.url.replace("/", "|")

    def _remembered_filter(self) -> queries.TakeFilter:
        """The filter this project was last shown with on this workstation."""
        try:
            return filter_from_dict(json.loads(str(self.w.settings.value(self._filter_setting(), "{}"))))
        except (ValueError, TypeError):
            return queries.TakeFilter()

    def apply_filter(self, keep_current: bool) -> None:
        cat = self.catalog
        if cat is None or not self.complete:
            return
        text = self.filter.text.strip()
        rows_for_text = None
        if text:
            rows_for_text = self.text_cache.get(text)
            if rows_for_text is None:
                self.say(f"Searching for “{text}”…")
                self.w.tasks.run(text_rows, self.w.project, cat, text, done=self._text_found, key="text")
                return
        rows = cat.select(self.filter, rows_for_text)
        if self.sort_key is not None:
            column, order = self.sort_key
            rows = cat.sort(rows, COLUMN_KEYS[column], order == Qt.SortOrder.DescendingOrder)
        count = len(rows)
        self.unfolded_rows = rows
        rows = self._fold(rows)
        self._show_rows(rows, keep_current)
        folded = f" in {len(rows):,} places (stacks folded: Ctrl+G)" if len(rows) < count else ""
        self.say(f"{count:,} takes{folded} · {describe_filter(self.filter, cat.stages)}")

    def sorted(self, column: int, order: Qt.SortOrder) -> None:
        self.sort_key = (column, order) if column >= 0 else None

    def _text_found(self, result: tuple[str, np.ndarray]) -> None:
        text, rows = result
        self.remember_text(text, rows)
        if self.filter.text.strip() == text:
            self.apply_filter(keep_current=True)

    def remember_text(self, text: str, rows: np.ndarray) -> None:
        """Searches are kept for the filter and the bins, the last 32 (typing makes one per key)."""
        self.text_cache[text] = rows
        self.text_cache.move_to_end(text)
        while len(self.text_cache) > 32:
            self.text_cache.popitem(last=False)

    def _stacks_loaded(self, groups: list[list[int]]) -> None:
        if self.catalog is None:
            return
        self.stacks = stacks.Stacks.build(self.catalog, groups)
        if self.w.view.fold_stacks and groups and self.w.triage.session is None:
            self.apply_filter(keep_current=True)

    def _fold(self, rows: np.ndarray) -> np.ndarray:
        """The listing with each closed stack shown once; the badges say how many each stands for."""
        self.folded = None
        marks: dict[int, tuple[int, int]] = {}
        # An explicit list of takes (Ctrl+D's near-duplicates) is shown as it is: the point is to see them.
        if (
            self.w.view.fold_stacks
            and self.stacks is not None
            and self.catalog is not None
            and not self.filter.ids
        ):
            self.folded = stacks.fold(self.catalog, self.stacks, rows, frozenset(self.open_stacks))
            rows = self.folded.rows
            marks = {rep: (0, len(members)) for rep, members in self.folded.members.items()}
            marks.update(self.folded.open_members)
        self.w.model.stack_marks = marks
        return rows

    def stack_members(self, take_id: int) -> list[int]:
        """The takes a folded representative stands for (itself first); just itself otherwise."""
        cat = self.catalog
        if self.folded is None or cat is None or take_id not in cat.row_of:
            return [take_id]
        rows = self.folded.members.get(cat.row_of[take_id])
        return [int(cat.ids[r]) for r in rows] if rows else [take_id]

    def toggle_stacks(self) -> None:
        """Ctrl+G: fold near-identical takes of a shot under one, or show them all."""
        if self.w.triage.session is not None:
            self.say("Leave the session (Ctrl+Shift+Return) to fold or unfold stacks")
            return
        self.w.view.fold_stacks = not self.w.view.fold_stacks  # the model keeps it; the listing follows
        self.apply_filter(keep_current=True)
        if self.stacks is None:
            self.say("Stacks are still being found…")

    def open_stack(self) -> None:
        """Shift+G: show every take of the current take's stack (again: fold it)."""
        cat = self.catalog
        if cat is None or self.stacks is None or self.current_id is None or not self.w.view.fold_stacks:
            return
        number = self.stacks.stack_of(cat.row_of.get(self.current_id, -1))
        if number < 0:
            self.say("This take is in no stack")
            return
        self.open_stacks ^= {number}
        self.apply_filter(keep_current=True)

    def show_queue(self, queue: list[int]) -> None:
        """The browser shows these takes in this order, unfolded (a session goes take by take)."""
        assert self.catalog is not None
        self.folded, self.w.model.stack_marks = None, {}
        self.w.model.set_rows(self.catalog, self.catalog.rows_of(queue))

    def _show_rows(self, rows: np.ndarray, keep_current: bool) -> None:
        assert self.catalog is not None
        model, grid = self.w.model, self.w.grid
        current = self.current_id if keep_current else None
        model.set_rows(self.catalog, rows)
        row = model.row_of(current) if current is not None else None
        if row is None and model.rowCount():
            row = 0
        if row is not None:
            grid.setCurrentIndex(model.index(row, 1))
            grid.scrollTo(model.index(row, 1))
        else:
            self.show_take(None)

    def show_stage(self, stage: int) -> None:
        self.set_filter(queries.TakeFilter(stage=stage, status=queries.STATUS_PENDING))

    def refresh_counts(self) -> None:
        cat = self.catalog
        if cat is None or not self.complete:
            return
        funnel = cat.funnel()
        self.w.shots.set_funnel(funnel)
        self.w.funnel_bar.set_funnel(funnel, self.problems)
        self.w.tasks.run(load_board, self.w.project, done=self.w.shots.set_board, key="board")
        self.w.bin_dock.refresh(cat)

    def refresh_choices(self) -> None:
        """New tags and shots join the filter bar's lists (what is chosen stays chosen)."""
        if self.catalog is not None and self.complete:
            self.w.filter_bar.set_choices(self.catalog, self.tags)

    def show_duplicates(self) -> None:
        """The current take and its near-duplicates (by picture), found among every analysed take."""
        if self.current_id is not None:
            self.w.tasks.run(
                find_duplicates, self.w.project, self.current_id, done=self._duplicates_found, key="dups"
            )

    def _duplicates_found(self, result: tuple[int, list[int]]) -> None:
        take_id, others = result
        if not others:
            self.say("No near-duplicates of this take (among the analysed ones)")
            return
        self.set_filter(queries.TakeFilter(ids=(take_id, *others)))
        self.say(f"{len(others)} near-duplicates of this take")

    # --- after a change ------------------------------------------------------------------------

    def take_in(self, change: Change, update: Update | None) -> None:
        """(``Ops.refresh``) The catalogue takes in the changed takes, read with the write in team mode,
        read now locally; before any view hears of the change."""
        self.forget(change.take_ids)
        if self.catalog is None or not change.take_ids:
            return
        if update is None and self.w.ops.remote:  # not read with the write: read now, in the background
            self.w.tasks.run(read_takes, self.w.project, sorted(change.take_ids), done=self._takes_read)
        elif update is None:
            with self.w.project.engine.connect() as conn:
                self.catalog.refresh(conn, change.take_ids)
        else:
            self._apply(update)

    def _takes_read(self, update: Update) -> None:
        if self._apply(update):
            self.w.model.takes_changed(update.take_ids)

    def _apply(self, update: Update) -> bool:
        """The catalogue takes in ``update``; one naming takes it does not hold reloads it all."""
        if self.catalog is None:
            return False
        if not self.catalog.apply(update):
            self.reload()
            return False
        return True

    def changed(self, change: Change) -> None:
        """Repaint what shows the changed takes (the funnel and bins a moment later)."""
        w = self.w
        w.model.takes_changed(sorted(change.take_ids))
        if change.tags:
            w.ops.read(all_tags, w.project, done=self._tags_read, key="tags")
        w.triage.update_bar()
        w.bin_timer.start()
        if self.current_id in change.take_ids:
            self.refresh_current()

    def _tags_read(self, tags: list[str]) -> None:
        self.tags = tags
        self.w.panel.set_vocabulary(self.defects, self.tags, self.shot_codes())
        self.refresh_choices()

    def forget(self, take_ids: Iterable[int]) -> None:
        """These takes changed (here or by others): their rows are read again when next shown."""
        for take_id in take_ids:
            self.rows.pop(take_id, None)

    # --- the current take -------------------------------------------------------------------------

    def current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        take_id = self.w.model.take_id(current.row()) if current.isValid() else None
        if take_id is None:
            self.show_take(None)
            return
        if not self.rearranging:
            self.w.triage.went_to(take_id)
            self.show_take(take_id)

    def show_take(self, take_id: int | None) -> None:
        """The take becomes the current one: the panel and the player show it, the next ones are read
        ahead (team mode: from the rows read ahead, or as soon as its row is read)."""
        w = self.w
        self.current_id = take_id
        if take_id is None:
            self.current_row = None
            w.panel.show_take(None)
            return
        row = w.model.row_of(take_id)
        upcoming = (
            [t for t in (w.model.take_id(row + k) for k in range(1, READ_AHEAD + 1)) if t is not None]
            if row is not None
            else []
        )
        if not w.ops.remote:
            self._show_row(
                take_id, take_rows(w.project, [take_id, *upcoming[:PREFETCH]]), upcoming[:PREFETCH]
            )
            return
        missing = [t for t in upcoming if t not in self.rows]
        if take_id in self.rows:
            self._show_row(take_id, self.rows, upcoming[:PREFETCH])
            if missing:
                w.tasks.run(take_rows, w.project, missing, done=self._read_ahead, key="read-ahead")
        else:
            self.current_row = None  # until its row is read
            w.panel.show_take(None)
            w.tasks.run(take_rows, w.project, [take_id, *missing], done=partial(self._row_read, take_id, upcoming),
                        key="row")  # fmt: skip

    def _read_ahead(self, rows: dict[int, dict[str, Any]]) -> None:
        self.rows.update(rows)
        while len(self.rows) > ROWS_KEPT:
            self.rows.popitem(last=False)

    def read_rows(
        self, take_ids: list[int], done: Callable[[dict[int, dict[str, Any]]], None], key: str
    ) -> None:
        """The takes' full rows: read now locally; in team mode from those read ahead, else read in the
        background (and kept with them)."""
        w = self.w
        if not w.ops.remote:
            done(take_rows(w.project, take_ids))
            return
        missing = [t for t in take_ids if t not in self.rows]
        if not missing:
            done({t: self.rows[t] for t in take_ids})
            return

        def read(rows: dict[int, dict[str, Any]]) -> None:
            self._read_ahead(rows)
            done({t: self.rows[t] for t in take_ids if t in self.rows})

        w.tasks.run(take_rows, w.project, missing, done=read, key=key)

    def _row_read(self, take_id: int, upcoming: list[int], rows: dict[int, dict[str, Any]]) -> None:
        self._read_ahead(rows)
        if take_id == self.current_id:
            self._show_row(take_id, self.rows, upcoming[:PREFETCH])

    def _show_row(self, take_id: int, rows: Mapping[int, dict[str, Any]], upcoming: list[int]) -> None:
        w = self.w
        take = rows.get(take_id)
        self.current_row = take
        w.panel.show_take(take)
        if take is None:
            return
        if w.stage.comparing():
            w.stage.compare_view.update_take(take)
        elif w.survey.active:
            pass  # the survey plays the page; the panel shows the cursor's take
        elif w.player.take is None or w.player.take.get("id") != take_id:
            w.player.load(take, [rows[t] for t in upcoming if t in rows])
            w.playback.take_shown(take)
        else:
            w.playback.show_badge(take)
        w.player.set_signals(take_id, take.get("signals"))
        w.tasks.run(load_details, w.project, take_id, w.reviewer, done=self._details_loaded, key="details")

    def refresh_current(self) -> None:
        """The current take read again (a change here or by others): the panel says it, the player plays on."""
        if self.current_id is not None:
            self.w.ops.read(
                take_rows, self.w.project, [self.current_id], done=self._current_read, key="current"
            )

    def _current_read(self, rows: dict[int, dict[str, Any]]) -> None:
        w = self.w
        if self.current_id not in rows:
            return
        self.current_row = rows[self.current_id]
        if w.ops.remote:
            self.rows[self.current_id] = self.current_row
        w.panel.show_take(self.current_row)
        w.playback.show_badge(self.current_row)
        w.tasks.run(
            load_details, w.project, self.current_id, w.reviewer, done=self._details_loaded, key="details"
        )

    def _details_loaded(self, result: Details) -> None:
        take_id, notes, entries, said = result
        if take_id != self.current_id:
            return
        self.w.panel.show_votes(said)
        self.w.panel.show_notes(notes)
        self.w.panel.show_history(entries)
        self.w.player.set_notes(take_id, notes)

    def select(self, take_id: int | None) -> bool:
        """``take_id`` becomes the current take if the listing shows it; whether it does."""
        row = self.w.model.row_of(take_id) if take_id is not None else None
        if row is None:
            return False
        self._make_current(row)
        return True

    def _make_current(self, row: int) -> None:
        """The take at ``row`` is current and the only one selected (a decision goes to it alone)."""
        w = self.w
        index = w.model.index(row, 1)
        selection = w.grid.selectionModel()
        selection.setCurrentIndex(
            index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows
        )
        w.grid.scrollTo(index)

    def go_to_take(self, delta: int) -> None:
        """The previous or next take of the listing (the session's queue in a session) becomes current;
        in the survey, the cursor moves a row."""
        w = self.w
        if w.survey.active:
            w.survey.view.move_cursor(0, delta)
            return
        count = w.model.rowCount()
        if not count:
            return
        row = w.grid.currentIndex().row()
        row = 0 if row < 0 else max(0, min(count - 1, row + delta))
        self._make_current(row)
        w.table.scrollTo(w.model.index(row, 0))
        w.triage.top_up_claims()

    def take_at(self, row: int) -> dict[str, Any] | None:
        """The full row (``reviewer takes --json`` shape) of the take shown at ``row``, read now (for
        scripts and tests; the views read theirs in the background)."""
        take_id = self.w.model.take_id(row)
        return None if take_id is None else take_rows(self.w.project, [take_id]).get(take_id)

    def targets(self) -> list[int]:
        """The takes a decision applies to: in compare, the take under the cursor; in the survey, the
        cursor's cell; else the selection when several are selected, else the current take."""
        w = self.w
        if w.stage.comparing():
            take = w.stage.compare_view.current_take()
            return [int(take["id"])] if take else []
        if w.survey.active:
            return list(w.survey.targets())
        rows = sorted({ix.row() for ix in w.grid.selectionModel().selectedIndexes()})
        ids = [t for t in (w.model.take_id(r) for r in rows) if t is not None]
        if len(ids) <= 1:
            ids = [self.current_id] if self.current_id is not None else []
        if self.folded is not None and self.folded.members:  # a folded stack goes with its representative
            ids = list(dict.fromkeys(t for take_id in ids for t in self.stack_members(take_id)))
        return ids
