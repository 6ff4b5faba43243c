"""The review workspace: browser, player, tagging panel, shots and bins, the funnel bar, the triage session.

Opening a project shows its first page of takes at once (one small query) while the catalogue of all
takes loads in a worker; filters, sorting and counts then run in memory. A decision is recorded on the
GUI thread in one short transaction (a few milliseconds, on disk when the key press returns); the
catalogue re-reads only the takes that changed, and the views repaint those rows.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.review import dashboard, live, shots, stacks, team, votes
from reviewer.review import keymap as km
from reviewer.review import session as session_rules
from reviewer.review.catalog import COLUMN_KEYS, Catalog, Update, read_update
from reviewer.review.decisions import (
    Change,
    Decision,
    HistoryEntry,
    Note,
    decide,
    default_reviewer,
    history,
    move_to_shot,
    notes_of,
    workstation,
)
from reviewer.review.session import (
    Session,
    UndoEntry,
    UndoStack,
    describe_filter,
    filter_from_dict,
    filter_to_dict,
    load_session,
    save_session,
)
from reviewer.review.workspace import Workspace
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project
from reviewer.ui.bins_dock import BinsDock, text_rows
from reviewer.ui.browser import (
    FilterBar,
    GridView,
    ImageCache,
    TakeModel,
)
from reviewer.ui.commands import CheatSheet, CommandPalette, Commands, ShortcutEditor, TypingGuard
from reviewer.ui.compare import CompareView
from reviewer.ui.cut_view import CutView
from reviewer.ui.dashboard import DashboardWindow
from reviewer.ui.disclosure import DisclosureActions
from reviewer.ui.messages import show_about
from reviewer.ui.ops import Ops
from reviewer.ui.player import PREFETCH, PlayerWidget
from reviewer.ui.session_play import SessionPlayback
from reviewer.ui.shots_dock import ShotsDock, load_board
from reviewer.ui.survey import SurveyView
from reviewer.ui.survey_stage import SurveyStage
from reviewer.ui.tagging import TaggingPanel
from reviewer.ui.tasks import TaskCancelled, Tasks, TaskState
from reviewer.ui.text import ask, plain_label, tip
from reviewer.untrusted import for_terminal

FIRST_PAGE = 300
BULK_IN_WORKER = 200  # bulk decisions over more takes than this run in a worker
CONFIRM_OVER = 20  # a verdict for more takes than this at once asks first
LIVE_MS = 1000  # others' decisions show within about this (and the poll's own time)

Index: TypeAlias = QModelIndex | QPersistentModelIndex


# --- work done in worker threads (plain functions over the project) --------------------------------


Loaded = tuple[Catalog, int, int, str, list[str], list[str], queries.Funnel | None]


def load_catalog(project: Project, limit: int | None) -> Loaded:
    """The catalogue (or its first ``limit`` takes), the take count, problems, the project's name,
    all tags and the defect tags."""
    funnel = None
    with project.engine.connect() as conn:
        catalog = Catalog.load(conn, limit=limit)
        total = conn.execute(select(queries.func.count()).select_from(m.Take)).scalar_one()
        problems = conn.execute(select(queries.func.count()).select_from(m.Problem)).scalar_one()
        tags = [t for (t,) in conn.execute(select(m.Tag.name).order_by(m.Tag.name))]
        defects = [
            t for (t,) in conn.execute(select(m.Tag.name).where(m.Tag.kind == "defect").order_by(m.Tag.id))
        ]
    name = for_terminal(project.setting("name") or (project.path.stem if project.path else project.url))
    return catalog, int(total), int(problems), str(name), tags, defects, funnel


def load_stacks(project: Project) -> list[list[int]]:
    with project.sessions() as session:
        return stacks.find(session)


def read_live(
    project: Project, seen: live.Seen, mine: frozenset[int], me: tuple[str, str]
) -> tuple[live.Seen, Update | None]:
    """Others' events since ``seen`` and their takes re-read (None: takes were added, reload), so the
    GUI thread only applies them. ``mine``: events this window wrote; ``me``: (reviewer, workstation)."""
    now = live.since(project, seen)
    if now.last_take > seen.last_take:
        return now, None
    ids = {t for e, t, name, host in now.events if e not in mine and (name, host) != me}
    with project.engine.connect() as conn:
        return now, read_update(conn, ids)


def count_funnel(project: Project) -> queries.Funnel:
    with project.sessions() as session:
        return queries.funnel(session)


Details = tuple[int, list[Note], list[HistoryEntry], str]


def load_details(project: Project, take_id: int, viewer: str) -> Details:
    """A take's notes, its history and, at a voted stage, its votes as ``viewer`` may see them."""
    team_rules = votes.rules(project)
    revealed = list(team_rules.revealed)
    with project.sessions() as session:
        state = session.get(m.TakeState, take_id)
        said = ""
        if state is not None and not state.rejected and state.stage_pos in team_rules.voting:
            is_open = team_rules.is_revealed(state.stage_pos)
            said = (
                "Votes: " + votes.tally(session, state.stage_pos, [take_id], viewer, is_open)[take_id].text()
            )
        return take_id, notes_of(session, take_id), history(session, take_id, viewer, revealed), said


def run_analysis(project: Project, state: TaskState) -> int:
    """The analysis pass over the takes that have none yet (in worker processes); how many were done.
    Stopped through ``state`` (what was analysed is kept)."""
    from reviewer.ingest.ingest import Cancelled, Ingestor

    ingestor = Ingestor(project, progress=lambda _phase, done, total: state.progress(done, total),
                        cancel=lambda: state.cancelled)  # fmt: skip
    try:
        return ingestor.analyze().filmstrips
    except Cancelled:
        raise TaskCancelled from None


def find_duplicates(project: Project, take_id: int) -> tuple[int, list[int]]:
    from reviewer.review.duplicates import near_duplicates

    with project.sessions() as session:
        return take_id, [t for t, _d in near_duplicates(session, take_id)]


def load_dashboard(project: Project) -> dashboard.Dashboard:
    with project.sessions() as session:
        return dashboard.load(session)


def bulk_decide(project: Project, take_ids: list[int], decision: Decision, reviewer: str) -> Change:
    return decide(project, take_ids, decision, reviewer)


class FunnelBar(QToolBar):
    """The stages left to right with live counts; a click shows what waits at that stage."""

    def __init__(self, chosen: Callable[[int], None]) -> None:
        super().__init__("Funnel")
        self.setObjectName("funnel-bar")
        self.setMovable(False)
        self.chosen = chosen
        self.buttons: list[QToolButton] = []
        self.total = plain_label()
        self.total.setObjectName("funnel")
        self.addWidget(self.total)

    def set_funnel(self, funnel: queries.Funnel, problems: int) -> None:
        if len(self.buttons) != len(funnel.stages):
            for b in self.buttons:
                b.deleteLater()
            self.buttons = []
            for k in range(len(funnel.stages)):
                button = QToolButton()
                button.setObjectName(f"stage-{k}")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _=False, s=k: self.chosen(s))
                self.addWidget(button)
                self.buttons.append(button)
        for button, s in zip(self.buttons, funnel.stages, strict=True):
            button.setText(
                f"→ {s.name}: {s.reached:,}  ({s.pending:,} to do · {s.kept:,} kept · {s.rejected:,} out)"
            )
            button.setToolTip(tip(f"Show the takes waiting at {s.name}"))
        extra = f"   ·   {problems} unreadable files" if problems else ""
        self.total.setText(f"{funnel.total:,} takes{extra}   ·   selected {funnel.selected:,}  ")


class ProjectWindow(QMainWindow):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.settings = QSettings()
        kept = {
            key: self.settings.value(key) for key in Workspace().as_settings() if self.settings.contains(key)
        }
        if "workspace/auto_advance" not in kept and self.settings.contains("auto_advance"):
            kept["workspace/auto_advance"] = self.settings.value(
                "auto_advance"
            )  # where versions before kept it
        self.view = Workspace.from_settings(kept)  # the view state; widgets show it, none keeps it
        self.reviewer = str(self.settings.value("reviewer", "") or default_reviewer())
        self.tasks = Tasks(self, max_threads=4)
        self.catalog: Catalog | None = None
        self.complete = False  # the whole catalogue is loaded (not only the first page)
        self.filter = queries.TakeFilter()
        self.sort_key: tuple[int, Qt.SortOrder] | None = None
        self.text_cache: OrderedDict[str, np.ndarray] = OrderedDict()  # search text -> rows, the latest kept
        self.stacks: stacks.Stacks | None = None  # found in a worker once the catalogue is loaded
        self.fold_stacks = self.settings.value("browser/fold_stacks", "true") != "false"
        self.open_stacks: set[int] = set()
        self.folded: stacks.Folded | None = None  # the listing's stacks, when folded
        self.unfolded_rows = np.zeros(0, np.int64)  # the filter's rows before folding (a session's queue)
        self.session: Session | None = None
        self.saved_session: Session | None = None
        self.undo_stack = UndoStack(project, lambda: self.reviewer)
        # every change made here goes through ops; every view hears of it from its changed signal
        self.ops = Ops(self.undo_stack, lambda text: self.status_label.setText(text), self)
        self.ops.changed.connect(lambda change, _initiator: self._after_change(change))
        self._filter_restored = False
        self._rearranging = False  # rows leaving or joining the queue: the session says what is current
        self.current_id: int | None = None
        self.current_row: dict[str, Any] | None = None
        self.problems = 0
        self.name = ""
        self.tags: list[str] = []
        self.defects: list[str] = []
        self.setWindowTitle("Take Reviewer")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # browser
        self.images = ImageCache(self.tasks)
        self.model = TakeModel(self.images)
        self.grid = GridView(self.model)
        self.grid.setObjectName("takes")
        self.table = QTableView()
        self.table.setObjectName("take-table")
        self.table.setModel(self.model)
        self.table.setSelectionModel(self.grid.selectionModel())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.disclosure = DisclosureActions(self)
        for view in (self.grid, self.table):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(lambda pos, v=view: self.disclosure.menu(v, pos))
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        for col, width in enumerate((70, 200, 70, 90, 60, 130, 100, 300, 80, 150, 80, 140, 90, 80, 130)):
            self.table.setColumnWidth(col, width)
        self.grid.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sorted)
        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self.set_filter)
        self.browser_stack = QStackedWidget()
        self.browser_stack.addWidget(self.grid)
        self.browser_stack.addWidget(self.table)
        self.browser = QWidget()
        self.browser.setObjectName("browser")
        browser_layout = QVBoxLayout(self.browser)
        browser_layout.setContentsMargins(0, 0, 0, 0)
        browser_layout.setSpacing(0)
        browser_layout.addWidget(self.filter_bar)
        browser_layout.addWidget(self.browser_stack, 1)

        # player with the session bar above it
        self.player = PlayerWidget(own_keys=False)
        self.session_bar = QWidget()
        self.session_bar.setObjectName("session-bar")
        self.session_label = QLabel()
        self.session_label.setObjectName("session-progress")
        self.session_label.setTextFormat(Qt.TextFormat.PlainText)
        self.session_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.auto_advance = QCheckBox("Auto-advance")
        self.auto_advance.setChecked(self.view.auto_advance)
        self.auto_advance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.auto_advance.toggled.connect(lambda on: setattr(self.view, "auto_advance", on))
        self.session_button = QPushButton("Start session")
        self.session_button.setObjectName("session-button")
        self.session_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.session_button.clicked.connect(self._session_button)
        bar = QHBoxLayout(self.session_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self.session_label, 1)
        bar.addWidget(self.auto_advance)
        bar.addWidget(self.session_button)
        self.stage_area = QWidget()
        stage_layout = QVBoxLayout(self.stage_area)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        stage_layout.setSpacing(0)
        self.compare_view = CompareView()
        self.compare_view.describe = self._describe_take
        self.compare_view.cursor_moved.connect(self._compare_cursor)
        self.stage_stack = QStackedWidget()
        self.stage_stack.addWidget(self.player)
        self.stage_stack.addWidget(self.compare_view)
        self.dashboard: DashboardWindow | None = None
        self.cut_view = CutView()
        self.stage_stack.addWidget(self.cut_view)
        self.survey = SurveyStage(self)
        self.stage_stack.addWidget(self.survey.view)
        self.view.muted = self.player.muted
        self.view.every_frame = self.player.clock.every_frame  # the player keeps it between windows
        self._apply_every_frame()
        self.view.on("stage", self._show_stage)
        self.view.on("browser", self._show_browser)
        self.view.on("auto_advance", self._auto_advance_changed)
        self.view.on("muted", self._apply_muted)
        self.view.on("every_frame", self._apply_every_frame)
        stage_layout.addWidget(self.session_bar)
        stage_layout.addWidget(self.stage_stack, 1)

        self.splitter = QSplitter()
        self.splitter.setObjectName("workspace-splitter")
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(self.stage_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([440, 900])
        self.setCentralWidget(self.splitter)

        # docks
        self.shot_dock = ShotsDock(self)
        self.shots, self.shot_board, self.shot_view = (
            self.shot_dock.model,
            self.shot_dock.board,
            self.shot_dock.view,
        )
        self.bin_dock = BinsDock(self)
        self.bins, self.bin_view = self.bin_dock.model, self.bin_dock.view
        bins_box = self.bin_dock.box
        self.panel = TaggingPanel()
        self.panel.verdict.connect(lambda v: self.give_verdict(v))
        self.panel.rating.connect(lambda r: self.rate(r))
        self.panel.tag_toggled.connect(self._chip_toggled)
        self.panel.tag_added.connect(self._tag_added)
        self.panel.note_added.connect(self.add_note)
        self.panel.shot_chosen.connect(self.move_to_shot)
        self.panel.ai_declared.connect(self.disclosure.declare)
        self.shots_dock = self._dock(
            "Shots", "shots-dock", self.shot_board, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.bins_dock = self._dock("Bins", "bins-dock", bins_box, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.panel_dock = self._dock("Take", "take-dock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.shots_dock, self.bins_dock)
        self.shots_dock.raise_()
        self.resizeDocks([self.shots_dock, self.panel_dock], [240, 340], Qt.Orientation.Horizontal)

        self.funnel_bar = FunnelBar(self.show_stage)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.funnel_bar)
        self.status_label = QLabel("Loading…")
        self.status_label.setObjectName("status")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        # a long message must not widen the window
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)
        self.analysis_label = plain_label()
        self.analysis_label.setObjectName("analysis-progress")
        self.analysis_stop = QPushButton("Stop")
        self.analysis_stop.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.analysis_stop.clicked.connect(self.stop_analysis)
        self.analysis_stop.hide()
        self.statusBar().addPermanentWidget(self.analysis_label)
        self.statusBar().addPermanentWidget(self.analysis_stop)
        self.live_label = plain_label()  # what others did a moment ago: their names are data
        self.live_label.setObjectName("live")
        self.statusBar().addPermanentWidget(self.live_label)
        self.reviewer_label = plain_label()
        self.statusBar().addPermanentWidget(self.reviewer_label)
        self.analysis_running = False
        self.analysis_started = False
        # a failure no one handles is the environment's (a lease renewal on a server gone away): said here
        self.tasks.on_failure = self.status_label.setText

        self.bin_timer = QTimer(self)  # counts, board and bins re-read a moment after the last change
        self.bin_timer.setSingleShot(True)
        self.bin_timer.setInterval(250)
        self.bin_timer.timeout.connect(self._refresh_counts)
        # Where the session stands is saved a moment after the last key (the decisions themselves are
        # durable at once, in the event log); leaving, closing and switching save it at once.
        self.session_timer = QTimer(self)
        self.session_timer.setSingleShot(True)
        self.session_timer.setInterval(400)
        self.session_timer.timeout.connect(self._save_session)
        self.live: live.Seen | None = None  # how far the event log has been read
        self.own_events: set[int] = set()  # events this window wrote (already shown)
        self.live_busy = False  # a poll is being read: the next waits for it, never overtakes it
        self.changed_since_live: set[int] = set()  # takes changed here while a poll was being read
        self.live_timer = QTimer(self)
        self.live_timer.setInterval(LIVE_MS)
        self.live_timer.timeout.connect(self._poll_live)
        self.lease_timer = QTimer(self)  # a session's claims are renewed while it runs
        self.lease_timer.setInterval(int(team.RENEW.total_seconds() * 1000))
        self.lease_timer.timeout.connect(self._renew_claims)

        self.playback = SessionPlayback(self)
        keymap = self._load_keymap()
        self.commands = Commands(self, keymap)
        self._install_commands()
        self._survey_keys(False)
        self.typing_guard = TypingGuard(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.typing_guard)
        self.typing_focus_return = QShortcut(QKeySequence("Escape"), self)
        self.typing_focus_return.activated.connect(self._escape)
        self._update_reviewer_label()
        self.resize(1600, 960)
        self._restore_layout()
        self._update_session_bar()
        self.grid.setFocus()  # keys go to the takes, not into the search field
        self.reload()

    # --- set-up ------------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _load_keymap(self) -> dict[str, list[str]]:
        try:
            return km.load_keymap()
        except KnownError as exc:
            self.status_label.setText(f"{exc}; using the default keys")
            return km.default_keymap()

    def _install_commands(self) -> None:
        c = self.commands
        handlers: dict[str, Callable[[], Any]] = {
            "decide.keep": lambda: self.give_verdict(m.VERDICT_KEEP),
            "decide.reject": lambda: self.give_verdict(m.VERDICT_REJECT),
            "decide.clear": lambda: self.give_verdict(m.VERDICT_CLEAR),
            "decide.note": self.start_note,
            "decide.quick_tag": self.start_tag,
            "decide.move_to_shot": self.start_move,
            "decide.hero": self.shot_dock.make_hero,
            "decide.keep_only": self.shot_dock.keep_only,
            "shots.new": self.shot_dock.new_shot,
            "shots.edit": self.shot_dock.edit_shot,
            "shots.move_up": lambda: self.shot_dock.move_shot(-1),
            "shots.move_down": lambda: self.shot_dock.move_shot(+1),
            "shots.import": self.shot_dock.import_shots,
            "shots.clear_hero": self.shot_dock.clear_hero,
            "edit.undo": self.undo,
            "edit.redo": self.redo,
            "queue.next_take": lambda: self.go_to_take(+1),
            "queue.previous_take": lambda: self.go_to_take(-1),
            "session.start": self.start_session,
            "session.stop": self.stop_session,
            "session.toggle_auto_advance": lambda: setattr(
                self.view, "auto_advance", not self.view.auto_advance
            ),
            "view.grid": lambda: self.set_view("grid"),
            "view.player": lambda: self.set_view("player"),
            "view.compare": self.compare,
            "view.cut": self.toggle_cut,
            "player.every_frame": self.toggle_every_frame,
            "player.toggle_mute": self.toggle_mute,
            "view.dashboard": self.show_dashboard,
            "view.survey": self.survey.toggle,
            "survey.next_page": self.survey.next_page,
            "survey.bigger": lambda: self.survey.resize(+1),
            "survey.smaller": lambda: self.survey.resize(-1),
            "survey.page_rule": self.survey.cycle_rule,
            "view.full_screen": self.playback.toggle_full_screen,
            "view.zoom": self.player.toggle_zoom,
            "view.proxy": self.toggle_proxy,
            "analysis.sensitivity": self.cycle_sensitivity,
            "disclosure.generated": lambda: self.disclosure.declare("yes"),
            "disclosure.not_generated": lambda: self.disclosure.declare("no"),
            "disclosure.unknown": lambda: self.disclosure.declare("unknown"),
            "disclosure.evidence": lambda: self.disclosure.declare("evidence"),
            "disclosure.folder_not_generated": lambda: self.disclosure.folder_rule("no"),
            "disclosure.folder_generated": lambda: self.disclosure.folder_rule("yes"),
            "session.play_once": self.playback.toggle_play_once,
            "cut.next_shot": lambda: self.cut_view.shot_step(+1),
            "cut.previous_shot": lambda: self.cut_view.shot_step(-1),
            "cut.swap_hero": self.swap_hero,
            "compare.mode": self.compare_view.cycle_mode,
            "compare.next_pane": lambda: self.compare_view.move_cursor(+1),
            "compare.previous_pane": lambda: self.compare_view.move_cursor(-1),
            "view.table": self.toggle_table,
            "view.search": self.focus_search,
            "view.refresh": self.refresh_all,
            "view.duplicates": self.show_duplicates,
            "view.stacks": self.toggle_stacks,
            "view.open_stack": self.open_stack,
            "app.command_palette": self.command_palette,
            "app.cheat_sheet": self.cheat_sheet,
            "app.shortcuts": self.edit_shortcuts,
            "app.switch_reviewer": self.switch_reviewer,
            "app.export": self.export_dialog,
            "app.media_roots": self.media_roots,
            "team.reveal_votes": self.reveal_votes,
            "app.about": self.about,
            "app.quit": self.close,
        }
        for r in range(6):
            handlers[f"decide.rate_{r}"] = partial(self.rate, r)
        for command in self.player.handlers():
            if command not in handlers:  # the window's own (every frame: for player, compare and cut)
                handlers[command] = partial(self._transport, command)
        for command, handler in handlers.items():
            c.add(command, handler)
        for command in c.keymap:
            if command.startswith(km.TAG_PREFIX) and command not in c.actions:
                c.add(command, partial(self.toggle_tag, command[len(km.TAG_PREFIX) :]))

    def _restore_layout(self) -> None:
        geometry = self.settings.value("workspace/geometry")
        state = self.settings.value("workspace/state")
        split = self.settings.value("workspace/splitter")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        if isinstance(split, QByteArray):
            self.splitter.restoreState(split)
        self._show_browser(self.view.browser)

    def _save_layout(self) -> None:
        self.settings.setValue("workspace/geometry", self.saveGeometry())
        self.settings.setValue("workspace/state", self.saveState())
        self.settings.setValue("workspace/splitter", self.splitter.saveState())
        for key, value in self.view.as_settings().items():
            self.settings.setValue(key, value)

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        """The first page at once, then the whole catalogue in the background (one after the other:
        on two cores and one GIL, loading both side by side would only delay the first screen)."""
        self.status_label.setText("Loading takes…")
        if self.catalog is None:
            self.tasks.run(
                load_catalog,
                self.project,
                FIRST_PAGE,
                done=self._first_page,
                failed=self._failed,
                key="first",
            )
        else:
            self._load_all()

    def refresh_all(self) -> None:
        """F5: re-read every take (others' decisions too) and go on with any analysis left to do."""
        self.reload()
        if not self.analysis_running:
            self.start_analysis()

    def _load_all(self) -> None:
        self.tasks.run(
            load_catalog, self.project, None, done=self._catalog_loaded, failed=self._failed, key="catalog"
        )

    def _failed(self, exc: Exception) -> None:
        self.status_label.setText(f"Could not load the project: {exc}")
        if not isinstance(exc, KnownError | OSError):
            raise exc

    def _first_page(self, result: Loaded) -> None:
        # The funnel counted in SQL (a fraction of a second), then the whole catalogue: one after the
        # other, so that the counts are on the first screen too.
        self.tasks.run(count_funnel, self.project, done=self._first_funnel, key="funnel")
        if self.complete:
            return
        catalog, total, self.problems, self.name, self.tags, self.defects, _funnel = result
        self._set_title()
        self.catalog = catalog
        self.model.set_rows(catalog, catalog.select(queries.TakeFilter()))
        if self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(0, 1))
        self.status_label.setText(
            f"Showing the first {len(catalog):,} of {total:,} takes; indexing the rest…"
        )

    def _first_funnel(self, funnel: queries.Funnel) -> None:
        if not self.complete:
            self.shots.set_funnel(funnel)
            self.funnel_bar.set_funnel(funnel, self.problems)
        self._load_all()

    def _catalog_loaded(self, result: Loaded) -> None:
        catalog, total, self.problems, self.name, self.tags, self.defects, _funnel = result
        self._set_title()
        self.catalog = catalog
        self.complete = True
        self.panel.set_vocabulary(self.defects, self.tags, self._shot_codes())
        self.panel.set_chip_keys(
            {
                c[len(km.TAG_PREFIX) :]: ", ".join(self.commands.keys(c))
                for c in self.commands.actions
                if c.startswith(km.TAG_PREFIX)
            }
        )
        self.filter_bar.set_choices(catalog, self.tags)
        self.tasks.run(load_stacks, self.project, done=self._stacks_loaded, key="stacks")
        self.live, self.live_busy = None, False  # a poll being read is superseded: it started too early
        self.tasks.run(live.mark, self.project, done=self._live_marked, key="live")
        self.saved_session = load_session(self.project, self.reviewer)
        if self.session is not None:
            self._show_queue()
        else:
            if not self._filter_restored:
                self._filter_restored = True
                self.filter = self._remembered_filter()
                self.filter_bar.set_value(self.filter)
            self._apply_filter(keep_current=True)
        self._refresh_counts()
        self._update_session_bar()
        self.status_label.setText(f"{total:,} takes")
        if not self.analysis_started:
            self.analysis_started = True
            self.start_analysis()

    def _set_title(self) -> None:
        where = Path(str(self.project.path or self.project.url)).name
        self.setWindowTitle(f"{self.name} — {where} — Take Reviewer")

    def _shot_codes(self) -> list[str]:
        if self.catalog is None:
            return []
        codes = [c for c in self.catalog.shot_order]
        return sorted(codes, key=lambda c: self.catalog.shot_order[c] if self.catalog else (0, c))

    # --- filters, bins, counts ----------------------------------------------------------------------

    def set_filter(self, f: queries.TakeFilter) -> None:
        """Show the takes matching ``f`` (from the filter bar, a bin, a shot or a funnel stage)."""
        if self.session is not None:
            self.status_label.setText("Leave the session (Ctrl+Shift+Return) to change the filter")
            return
        self.filter = f
        if f != self.filter_bar.value():
            self.filter_bar.set_value(f)
        self.settings.setValue(self._filter_setting(), json.dumps(filter_to_dict(f)))
        self._apply_filter(keep_current=True)

    def _filter_setting(self) -> str:
        return "filters/" + self.project.url.replace("/", "|")

    def _remembered_filter(self) -> queries.TakeFilter:
        """The filter this project was last shown with on this workstation."""
        try:
            return filter_from_dict(json.loads(str(self.settings.value(self._filter_setting(), "{}"))))
        except (ValueError, TypeError):
            return queries.TakeFilter()

    def _apply_filter(self, keep_current: bool) -> None:
        cat = self.catalog
        if cat is None or not self.complete:
            return
        text = self.filter.text.strip()
        rows_for_text = None
        if text:
            rows_for_text = self.text_cache.get(text)
            if rows_for_text is None:
                self.status_label.setText(f"Searching for “{text}”…")
                self.tasks.run(text_rows, self.project, cat, text, done=self._text_found, key="text")
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
        self.status_label.setText(f"{count:,} takes{folded} · {describe_filter(self.filter, cat.stages)}")

    # --- stacks ----------------------------------------------------------------------------------

    def _stacks_loaded(self, groups: list[list[int]]) -> None:
        if self.catalog is None:
            return
        self.stacks = stacks.Stacks.build(self.catalog, groups)
        if self.fold_stacks and groups and self.session is None:
            self._apply_filter(keep_current=True)

    def _fold(self, rows: np.ndarray) -> np.ndarray:
        """The listing with each closed stack shown once; the badges say how many each stands for."""
        self.folded = None
        marks: dict[int, tuple[int, int]] = {}
        # An explicit list of takes (Ctrl+D's near-duplicates) is shown as it is: the point is to see them.
        if self.fold_stacks and self.stacks is not None and self.catalog is not None and not self.filter.ids:
            self.folded = stacks.fold(self.catalog, self.stacks, rows, frozenset(self.open_stacks))
            rows = self.folded.rows
            marks = {rep: (0, len(members)) for rep, members in self.folded.members.items()}
            marks.update(self.folded.open_members)
        self.model.stack_marks = marks
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
        if self.session is not None:
            self.status_label.setText("Leave the session (Ctrl+Shift+Return) to fold or unfold stacks")
            return
        self.fold_stacks = not self.fold_stacks
        self.settings.setValue("browser/fold_stacks", "true" if self.fold_stacks else "false")
        self._apply_filter(keep_current=True)
        if self.stacks is None:
            self.status_label.setText("Stacks are still being found…")

    def toggle_every_frame(self) -> None:
        """Ctrl+Shift+L: show every frame (late if the machine cannot keep up), or keep time (skip)."""
        self.view.every_frame = not self.view.every_frame
        self.status_label.setText(
            "Playing every frame: none is skipped, playback slows if it must"
            if self.view.every_frame
            else "Playing in real time: frames are skipped when playback falls behind"
        )

    def toggle_mute(self) -> None:
        """M: sound on or off, for the player, compare and the cut alike (the window opens muted: triage)."""
        self.view.muted = not self.view.muted
        self.status_label.setText("Sound off (M)" if self.view.muted else "Sound on (M)")

    def cycle_sensitivity(self) -> None:
        """The project's signal sensitivity in turn normal, high, low: "Looks broken" sorted anew from the
        stored findings (in a worker: every analysis of the project is read), then the bins re-read."""
        from reviewer.ingest.ingest import set_signal_sensitivity, signal_sensitivity

        order = ["normal", "high", "low"]
        chosen = order[(order.index(signal_sensitivity(self.project)) + 1) % len(order)]
        self.analysis_label.setText(f'Sensitivity {chosen}: sorting "Looks broken" anew…')

        def done(changed: int) -> None:
            self.reload()  # the status line says what loads; the analysis label says what changed
            self.analysis_label.setText(
                f'Sensitivity {chosen}: {changed} takes moved in or out of "Looks broken"'
            )

        self.tasks.run(set_signal_sensitivity, self.project, chosen, done=done, key="sensitivity")

    def toggle_proxy(self) -> None:
        """Ctrl+Alt+P: the player plays takes' proxies where this workstation has them (slow storage)."""
        self.player.toggle_proxy()
        self.status_label.setText(
            "Proxies on: the player plays the small local copy where one exists (Ctrl+Alt+P)"
            if self.player.prefer_proxy
            else "Proxies off: the player plays the originals (Ctrl+Alt+P)"
        )

    def _apply_muted(self, muted: bool) -> None:
        if self.player.muted != muted:
            self.player.toggle_mute()
        self.cut_view.set_muted(muted)
        self.compare_view.set_muted(muted)
        self.survey.view.set_muted(muted)

    def _apply_every_frame(self, on: bool | None = None) -> None:
        on = self.view.every_frame if on is None else on
        if self.player.clock.every_frame != on:
            self.player.toggle_every_frame()  # the player keeps the choice for the next window
        self.compare_view.clock.every_frame = on
        self.cut_view.every_frame = on
        if self.cut_view.playback is not None:
            self.cut_view.playback.every_frame = on

    def open_stack(self) -> None:
        """Shift+G: show every take of the current take's stack (again: fold it)."""
        cat = self.catalog
        if cat is None or self.stacks is None or self.current_id is None or not self.fold_stacks:
            return
        number = self.stacks.stack_of(cat.row_of.get(self.current_id, -1))
        if number < 0:
            self.status_label.setText("This take is in no stack")
            return
        self.open_stacks ^= {number}
        self._apply_filter(keep_current=True)

    def _sorted(self, column: int, order: Qt.SortOrder) -> None:
        self.sort_key = (column, order) if column >= 0 else None

    def _text_found(self, result: tuple[str, np.ndarray]) -> None:
        text, rows = result
        self._remember_text(text, rows)
        if self.filter.text.strip() == text:
            self._apply_filter(keep_current=True)

    def _remember_text(self, text: str, rows: np.ndarray) -> None:
        """Searches are kept for the filter and the bins, the last 32 (typing makes one per key)."""
        self.text_cache[text] = rows
        self.text_cache.move_to_end(text)
        while len(self.text_cache) > 32:
            self.text_cache.popitem(last=False)

    def _show_rows(self, rows: np.ndarray, keep_current: bool) -> None:
        assert self.catalog is not None
        current = self.current_id if keep_current else None
        self.model.set_rows(self.catalog, rows)
        row = self.model.row_of(current) if current is not None else None
        if row is None and self.model.rowCount():
            row = 0
        if row is not None:
            self.grid.setCurrentIndex(self.model.index(row, 1))
            self.grid.scrollTo(self.model.index(row, 1))
        else:
            self._show_take(None)

    def show_stage(self, stage: int) -> None:
        self.set_filter(queries.TakeFilter(stage=stage, status=queries.STATUS_PENDING))

    def _refresh_counts(self) -> None:
        cat = self.catalog
        if cat is None or not self.complete:
            return
        funnel = cat.funnel()
        self.shots.set_funnel(funnel)
        self.funnel_bar.set_funnel(funnel, self.problems)
        self.tasks.run(load_board, self.project, done=self.shots.set_board, key="board")
        self.bin_dock.refresh(cat)

    # --- the current take -------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        take_id = self.model.take_id(current.row()) if current.isValid() else None
        if take_id is None:
            self._show_take(None)
            return
        if self.session is not None and not self._rearranging:
            self.session.go_to(take_id)
            self.session_timer.start()
        if not self._rearranging:
            self._show_take(take_id)

    def _show_take(self, take_id: int | None) -> None:
        self.current_id = take_id
        if take_id is None:
            self.current_row = None
            self.panel.show_take(None)
            return
        row = self.model.row_of(take_id)
        upcoming_ids = (
            [t for t in (self.model.take_id(row + k) for k in range(1, PREFETCH + 1)) if t is not None]
            if row is not None
            else []
        )
        with self.project.sessions() as session:
            rows = {r["id"]: r for r in queries.take_rows(session, [take_id, *upcoming_ids])}
        take = rows.get(take_id)
        self.current_row = take
        self.panel.show_take(take)
        if take is None:
            return
        if self.comparing():
            self.compare_view.update_take(take)
        elif self.survey.active:
            pass  # the survey plays the page; the panel shows the cursor's take
        elif self.player.take is None or self.player.take.get("id") != take_id:
            self.player.load(take, [rows[t] for t in upcoming_ids if t in rows])
            self.playback.take_shown(take)
        else:
            self.playback.show_badge(take)
        self.player.set_signals(take_id, take.get("signals"))
        self.tasks.run(
            load_details, self.project, take_id, self.reviewer, done=self._details_loaded, key="details"
        )

    def _details_loaded(self, result: Details) -> None:
        take_id, notes, entries, said = result
        if take_id != self.current_id:
            return
        self.panel.show_votes(said)
        self.panel.show_notes(notes)
        self.panel.show_history(entries)
        self.player.set_notes(take_id, notes)

    def go_to_take(self, delta: int) -> None:
        """The previous or next take of the listing (the session's queue in a session) becomes current;
        in the survey, the cursor moves a row."""
        if self.survey.active:
            self.survey.view.move_cursor(0, delta)
            return
        count = self.model.rowCount()
        if not count:
            return
        row = self.grid.currentIndex().row()
        row = 0 if row < 0 else max(0, min(count - 1, row + delta))
        index = self.model.index(row, 1)
        self.grid.selectionModel().setCurrentIndex(
            index,
            self.grid.selectionModel().SelectionFlag.ClearAndSelect
            | self.grid.selectionModel().SelectionFlag.Rows,
        )
        self.grid.scrollTo(index)
        self.table.scrollTo(self.model.index(row, 0))
        if self.session is not None:
            self._top_up_claims()

    def take_at(self, row: int) -> dict[str, Any] | None:
        """The full row (``reviewer takes --json`` shape) of the take shown at ``row``."""
        take_id = self.model.take_id(row)
        if take_id is None:
            return None
        with self.project.sessions() as session:
            rows = list(queries.take_rows(session, [take_id]))
        return rows[0] if rows else None

    def targets(self) -> list[int]:
        """The takes a decision applies to: in compare, the take under the cursor; else the selection when
        several are selected, else the current take."""
        if self.comparing():
            take = self.compare_view.current_take()
            return [int(take["id"])] if take else []
        if self.survey.active:
            return self.survey.targets()
        rows = sorted({ix.row() for ix in self.grid.selectionModel().selectedIndexes()})
        ids = [t for t in (self.model.take_id(r) for r in rows) if t is not None]
        if len(ids) <= 1:
            ids = [self.current_id] if self.current_id is not None else []
        if self.folded is not None and self.folded.members:  # a folded stack goes with its representative
            ids = list(dict.fromkeys(t for take_id in ids for t in self.stack_members(take_id)))
        return ids

    # --- decisions -------------------------------------------------------------------------------

    def _record(self, decision: Decision, label: str) -> Change | None:
        """Record a decision for the target takes and refresh what shows them; None if nothing was done."""
        ids = self.targets()
        if not ids:
            return None
        if self.session is not None and decision.verdict is not None:
            decision = dataclasses.replace(decision, stage=self.session.stage_name)
        if decision.verdict is not None and len(ids) > CONFIRM_OVER and not self._confirm(label, len(ids)):
            return None
        if len(ids) > BULK_IN_WORKER:
            self.status_label.setText(f"{label}: {len(ids):,} takes…")
            self.tasks.run(
                bulk_decide, self.project, ids, decision, self.reviewer,
                done=partial(self._recorded, decision, label), failed=self._decision_failed,
            )  # fmt: skip
            return None
        try:
            change = decide(self.project, ids, decision, self.reviewer)
        except KnownError as exc:
            self.status_label.setText(str(exc))
            return None
        self._recorded(decision, label, change)
        return change

    def _confirm(self, label: str, count: int) -> bool:
        verb = {"Kept": "Keep", "Rejected": "Reject", "Cleared": "Clear the verdict of"}.get(label, label)
        return ask(self, "Take Reviewer", f"{verb} {count:,} takes? Ctrl+Z undoes it.")

    def _decision_failed(self, exc: Exception) -> None:
        self.status_label.setText(str(exc))
        if not isinstance(exc, KnownError):
            raise exc

    def _recorded(self, decision: Decision, label: str, change: Change) -> None:
        ids = sorted(change.take_ids)
        self.undo_stack.push(UndoEntry(label, change.event_ids, ids, decision.verdict))
        advance = False
        if self.session is not None and decision.verdict is not None:
            for take_id in ids:
                self.session.record(take_id, decision.verdict)
            if decision.verdict == m.VERDICT_REJECT:
                self._rearranging = True
                try:
                    for take_id in ids:
                        self.model.remove_take(take_id)
                finally:
                    self._rearranging = False
            advance = self.view.auto_advance and decision.verdict != m.VERDICT_CLEAR
            self.session_timer.start()
            self._top_up_claims()
        self._after_change(change)
        if self.survey.active:  # the cell shows its verdict and stays until the page is done
            self.survey.recorded(ids)
            n = len(ids)
            self.status_label.setText(f"{label}: {n:,} take{'s' if n != 1 else ''}")
            return
        n = len(ids)
        self.status_label.setText(f"{label}: {n:,} take{'s' if n != 1 else ''}" if n else label)
        if advance and decision.verdict == m.VERDICT_KEEP:
            self.go_to_take(+1)
        elif self.session is not None and decision.verdict == m.VERDICT_REJECT:
            self._select_session_current()

    # --- others' changes, live ---------------------------------------------------------------------

    def _live_marked(self, seen: live.Seen) -> None:
        self.live = seen
        self.live_timer.start()

    def _poll_live(self) -> None:
        if self.live is not None and self.complete and self.isVisible() and not self.live_busy:
            self.live_busy = True
            self.changed_since_live = set()
            mine = frozenset(self.own_events)
            self.tasks.run(
                read_live, self.project, self.live, mine, (self.reviewer, workstation()),
                done=self._live_read, failed=self._live_failed, key="live",
            )  # fmt: skip

    def _live_failed(self, exc: Exception) -> None:
        self.live_busy = False
        self.live_label.setText("Others' changes: cannot read the project")
        self.live_label.setToolTip(tip(exc))

    def _live_read(self, result: tuple[live.Seen, Update | None]) -> None:
        """Show what others decided since the last poll, leaving the reviewer's current take alone."""
        self.live_busy = False
        seen, update = result
        before = self.live
        self.live = seen
        if before is None or self.catalog is None:
            return
        here = workstation()
        theirs = [
            e for e in seen.events if e[0] not in self.own_events and (e[2], e[3]) != (self.reviewer, here)
        ]
        self.own_events.difference_update(e[0] for e in seen.events)
        if update is None or not self.catalog.apply(update, skip=self.changed_since_live):
            self.reload()  # takes ingested elsewhere: the catalogue grows
            return
        if not theirs:
            return
        ids = update.take_ids
        self.model.takes_changed(ids)
        self.bin_timer.start()
        self._update_session_bar()
        if self.current_id in ids:
            self._refresh_current()  # the panel says what they did; the player plays on
        if self.comparing():
            self._after_change(Change(take_ids=set(ids)))
        counts = Counter(name for _e, _t, name, _w in theirs)
        self.live_label.setText(
            "Just now: "
            + ", ".join(f"{name} {n} change{'s' if n != 1 else ''}" for name, n in counts.most_common(3))
        )
        self.live_label.setToolTip(tip(f"Last change by others at {time.strftime('%H:%M:%S')}"))

    def _after_change(self, change: Change) -> None:
        """Re-read the changed takes and repaint what shows them (the funnel and bins a moment later)."""
        self.own_events.update(change.event_ids)
        self.changed_since_live.update(change.take_ids)
        if self.catalog is not None:
            with self.project.engine.connect() as conn:
                self.catalog.refresh(conn, change.take_ids)
            self.model.takes_changed(sorted(change.take_ids))
        if change.tags:
            with self.project.sessions() as session:
                self.tags = list(session.scalars(select(m.Tag.name).order_by(m.Tag.name)))
            self.panel.set_vocabulary(self.defects, self.tags, self._shot_codes())
        if change.tags:
            self._refresh_choices()
        self._update_session_bar()
        self.bin_timer.start()
        if self.current_id in change.take_ids:
            self._refresh_current()
        if self.cutting() and change.funnel:  # verdicts and heroes; a rating or a tag leaves the cut as it is
            self._load_cut(self.cut_view.position())
        if self.comparing():
            shown = [int(t["id"]) for t in self.compare_view.takes() if int(t["id"]) in change.take_ids]
            if shown:
                with self.project.sessions() as session:
                    for row in queries.take_rows(session, shown):
                        self.compare_view.update_take(row)

    def _refresh_choices(self) -> None:
        """New tags and shots join the filter bar's lists (what is chosen stays chosen)."""
        if self.catalog is not None and self.complete:
            self.filter_bar.set_choices(self.catalog, self.tags)

    def _refresh_current(self) -> None:
        if self.current_id is None:
            return
        with self.project.sessions() as session:
            rows = list(queries.take_rows(session, [self.current_id]))
        self.current_row = rows[0] if rows else None
        self.panel.show_take(self.current_row)
        self.playback.show_badge(self.current_row)
        self.tasks.run(
            load_details,
            self.project,
            self.current_id,
            self.reviewer,
            done=self._details_loaded,
            key="details",
        )

    def give_verdict(self, verdict: str) -> None:
        words = {m.VERDICT_KEEP: "Kept", m.VERDICT_REJECT: "Rejected", m.VERDICT_CLEAR: "Cleared"}
        if verdict != m.VERDICT_CLEAR and self._votes_here():
            self._vote(verdict)
            return
        self._record(Decision(verdict=verdict), words[verdict])

    def _votes_here(self) -> bool:
        """Whether this reviewer votes rather than decides on the target takes (a voted stage, not a lead)."""
        cat = self.catalog
        ids = self.targets()
        if cat is None or not ids:
            return False
        team_rules = votes.rules(self.project)
        stages = {int(cat.stage_pos[cat.row_of[t]]) for t in ids if t in cat.row_of}
        return any(team_rules.votes_at(s, self.reviewer) for s in stages)

    def _vote(self, verdict: str) -> None:
        change = self.ops.run(
            f"Voted {verdict}", votes.cast, self.project, self.targets(), verdict, self.reviewer
        )
        if change is None:
            return
        n = len(change.take_ids)
        self.status_label.setText(
            f"Voted {verdict} on {n} take{'s' if n != 1 else ''} (hidden from the others until a lead reveals "
            "the votes; a lead's verdict settles the stage)"
        )
        if self.view.auto_advance and n == 1:
            self.go_to_take(+1)

    def reveal_votes(self) -> None:
        """Ctrl+Shift+V: show everyone's votes at the current take's stage (leads only)."""
        cat = self.catalog
        if cat is None or self.current_id is None or self.current_id not in cat.row_of:
            return
        stage = int(cat.stage_pos[cat.row_of[self.current_id]])
        team_rules = votes.rules(self.project)
        if stage not in team_rules.voting:
            self.status_label.setText("The team does not vote at this stage (`reviewer team --voting`)")
            return
        try:
            votes.reveal(self.project, stage, self.reviewer, show=not team_rules.is_revealed(stage))
        except KnownError as exc:
            self.status_label.setText(str(exc))
            return
        shown = votes.rules(self.project).is_revealed(stage)
        self.status_label.setText(f"Votes at {cat.stages[stage]} {'revealed' if shown else 'hidden again'}")
        self._refresh_current()

    def rate(self, rating: int) -> None:
        self._record(Decision(rating=rating), f"Rated {rating}")

    def toggle_tag(self, tag: str) -> None:
        """Tag the targets; if every one already has it, untag them."""
        ids = self.targets()
        if not ids or self.catalog is None:
            return
        have = all(tag in self.catalog.tags[self.catalog.row_of[t]] for t in ids if t in self.catalog.row_of)
        if have:
            self._record(Decision(tags_removed=(tag,)), f"Untagged {tag}")
        else:
            self._record(Decision(tags_added=(tag,)), f"Tagged {tag}")

    def _chip_toggled(self, tag: str, checked: bool) -> None:
        if checked:
            self._record(Decision(tags_added=(tag,)), f"Tagged {tag}")
        else:
            self._record(Decision(tags_removed=(tag,)), f"Untagged {tag}")

    def _tag_added(self, tag: str) -> None:
        self._record(Decision(tags_added=(tag,)), f"Tagged {tag}")
        self.focus_browser()

    def add_note(self, text: str) -> None:
        """A note on the current take at the playhead, or over the in-out range when one is set."""
        tl = self.player.timeline
        cell = self.survey.view.current() if self.survey.active else None
        if cell is not None:  # in the survey: at the frame the cursor's cell shows
            first = last = cell.engine.status.frame
        elif tl.in_point is not None or tl.out_point is not None:
            first = tl.in_point or 0
            last = tl.out_point if tl.out_point is not None else max(0, tl.frames - 1)
        else:
            first = last = self.player.position()
        if self.current_id is None:
            return
        decision = Decision(note=text, frame_in=first, frame_out=last)
        self.ops.run("Note", decide, self.project, self.current_id, decision, self.reviewer,
                     said=f"Note at frame {first}" + (f"–{last}" if last != first else ""))  # fmt: skip
        self.focus_browser()

    def move_to_shot(self, code: str) -> None:
        self._move_takes(self.targets(), code)

    def _move_takes(self, ids: list[int], code: str) -> None:
        if not ids:
            return
        change = self.ops.run(f"Moved to {code}", move_to_shot, self.project, ids, code, self.reviewer)
        if change is None:
            return
        self.panel.set_vocabulary(self.defects, self.tags, self._shot_codes())
        self._refresh_choices()
        self.status_label.setText(f"Moved {len(change.take_ids)} take(s) to {code}")
        self.focus_browser()

    def undo(self) -> None:
        self._undo_redo(self.undo_stack.undo, "Undid")

    def redo(self) -> None:
        self._undo_redo(self.undo_stack.redo, "Redid")

    def _undo_redo(self, step: Callable[[], tuple[UndoEntry, Change]], word: str) -> None:
        try:
            entry, change = step()
        except KnownError as exc:
            self.status_label.setText(str(exc))
            return
        self._after_change(change)  # the catalog now holds what is in effect
        if self.session is not None and entry.verdict is not None:
            self._settle_session(entry.take_ids)
            self.playback.show_badge(self.current_row)
        if self.survey.active:
            if entry.page is not None:
                (self.survey.undone if word == "Undid" else self.survey.redone)(entry)
            else:
                self.survey.recorded(entry.take_ids)
            self.status_label.setText(f"{word}: {entry.label}")
            return
        if entry.take_ids and word == "Undid":
            row = self.model.row_of(entry.take_ids[0])
            if row is not None:
                self.grid.setCurrentIndex(self.model.index(row, 1))
        self.status_label.setText(f"{word}: {entry.label}")

    def _settle_session(self, take_ids: list[int]) -> None:
        """After an undo or a redo: the session's counts and queue say what the log now leaves in effect
        (an undone clear brings its keep back), and the listing shows the queue again."""
        session, cat = self.session, self.catalog
        if session is None or cat is None:
            return
        for take_id in take_ids:
            row = cat.row_of.get(take_id)
            if row is None:
                continue
            pos = int(cat.stage_pos[row])
            verdict = (
                m.VERDICT_KEEP if pos > session.stage
                else m.VERDICT_REJECT if pos == session.stage and cat.rejected[row] else None
            )  # fmt: skip
            in_queue = take_id in session.queue
            session.settle(take_id, verdict)
            self._rearranging = True
            try:
                if in_queue and take_id not in session.queue:
                    self.model.remove_take(take_id)
                elif not in_queue and take_id in session.queue:
                    self.model.insert_take(take_id, session.queue.index(take_id))
            finally:
                self._rearranging = False
        self.session_timer.start()
        self._update_session_bar()

    # --- the triage session ------------------------------------------------------------------------

    def start_session(self) -> None:
        """Start a session over the current filter (at its stage, or Triage), or resume the saved one."""
        cat = self.catalog
        if cat is None or not self.complete:
            return
        if self.session is not None:
            return
        if self.saved_session is not None:
            resumed = self.saved_session
            gone = session_rules.resume(self.project, self.reviewer, cat, resumed)
            self.session = resumed
            self.saved_session = None
            self.playback.session_started(resumed.stage_name)
            self._show_queue()
            self._update_session_bar()
            self.lease_timer.start()
            if gone:
                self.status_label.setText(
                    f"Resumed: {len(gone)} takes left the queue (decided or taken by others)"
                )
            return
        f = self.filter
        if f.stage is None:
            f = dataclasses.replace(f, stage=0, status=queries.STATUS_PENDING)
        if f.stage is None or f.stage >= len(cat.stages):
            return
        self.filter = f
        self.filter_bar.set_value(f)
        self.settings.setValue(self._filter_setting(), json.dumps(filter_to_dict(f)))
        self._apply_filter(keep_current=True)
        wanted = [int(t) for t in cat.ids[self.unfolded_rows]]  # every take, stacks or not
        if not wanted:
            self.status_label.setText(f"Nothing to review: {describe_filter(f, cat.stages)}")
            return
        # Claimed, so that nobody else triages them at this stage while this session holds them.
        queue = session_rules.claim(self.project, self.reviewer, cat, f.stage, wanted)
        if not queue:
            held = team.held_by_others(self.project, self.reviewer, f.stage)
            who = Counter(held[t] for t in wanted if t in held)
            self.status_label.setText(
                f"Nothing to review here: all {len(wanted):,} takes are being reviewed by others ("
                + ", ".join(f"{name}: {n}" for name, n in who.most_common(3))
                + ")"
            )
            return
        claimed = f.stage not in votes.rules(self.project).voting and len(queue) < len(wanted)
        self.session = Session(
            stage=f.stage, stage_name=cat.stages[f.stage], filter=filter_to_dict(f), queue=queue, total=len(queue),
            auto_advance=self.view.auto_advance, pool=len(wanted) if claimed else 0,
            team=not self.project.is_sqlite,
        )  # fmt: skip
        self.playback.session_started(self.session.stage_name)
        if self.current_id in queue:
            self.session.go_to(self.current_id)
        save_session(self.project, self.reviewer, self.session, with_queue=True)
        self._show_queue()
        self._update_session_bar()
        self.lease_timer.start()
        self.set_view("player")

    def _top_up_claims(self, need: int = 0) -> None:
        """Near the end of the claimed takes (or with fewer than ``need`` ahead: a survey page to fill),
        claim the next batch of the session's filter."""
        session, cat = self.session, self.catalog
        if session is None or cat is None:
            return
        more = session_rules.top_up(self.project, self.reviewer, cat, session, need)
        if not more:
            return
        for take_id in more:
            self.model.insert_take(take_id, self.model.rowCount())
        save_session(self.project, self.reviewer, session, with_queue=True)
        self._update_session_bar()

    def _renew_claims(self) -> None:
        session = self.session
        if session is None:
            self.lease_timer.stop()
            return
        undecided = [t for t in session.queue if t not in session.decided]
        self.tasks.run(team.renew, self.project, self.reviewer, undecided, key="renew")

    def _show_queue(self) -> None:
        """The browser shows the session's queue (in its order)."""
        assert self.session is not None and self.catalog is not None
        rows = self.catalog.rows_of(self.session.queue)
        self.filter_bar.set_value(filter_from_dict(self.session.filter))
        self.filter_bar.setEnabled(False)
        self.folded, self.model.stack_marks = None, {}  # a session goes take by take: no stacks
        self.model.set_rows(self.catalog, rows)
        self._select_session_current()

    def _select_session_current(self) -> None:
        if self.session is None:
            return
        current = self.session.current
        row = self.model.row_of(current) if current is not None else None
        if row is not None:
            self.grid.setCurrentIndex(self.model.index(row, 1))
            self.grid.scrollTo(self.model.index(row, 1))
        elif current is None:
            self._show_take(None)
            self.status_label.setText("The queue is empty: every take of this session has a verdict")

    def stop_session(self) -> None:
        """Leave the session; it is kept, and ``start`` resumes it where it stopped."""
        if self.session is None:
            return
        save_session(self.project, self.reviewer, self.session)
        self.survey.leave()
        self.saved_session = self.session
        self.session = None
        self.lease_timer.stop()
        team.release(self.project, self.reviewer)  # the takes go back to the pool; resuming claims them again
        self.filter_bar.setEnabled(True)
        self._apply_filter(keep_current=True)
        self._update_session_bar()

    def _save_session(self) -> None:
        if self.session is not None:
            save_session(self.project, self.reviewer, self.session)

    def discard_session(self) -> None:
        self.saved_session = None
        save_session(self.project, self.reviewer, None)
        self._update_session_bar()

    def _session_button(self) -> None:
        if self.session is not None:
            self.stop_session()
        else:
            self.start_session()

    def _auto_advance_changed(self, on: bool) -> None:
        self.auto_advance.setChecked(on)  # the box shows the state; it does not keep it
        self.settings.setValue("workspace/auto_advance", on)
        if self.session is not None:
            self.session.auto_advance = on

    def _survey_keys(self, on: bool) -> None:
        """Enter, = and - belong to the survey only while it is on screen (elsewhere Enter is a dialog's,
        the palette's or a text field's)."""
        for command in ("survey.next_page", "survey.bigger", "survey.smaller"):
            action = self.commands.actions.get(command)
            if action is not None:
                action.setEnabled(on)

    def _show_stage(self, stage: str) -> None:
        self._survey_keys(stage == "survey")
        if stage != "survey":
            self.survey.view.close_all()  # sixteen decoders stop when the survey is not on screen
        self.stage_stack.setCurrentWidget(
            {"compare": self.compare_view, "cut": self.cut_view, "survey": self.survey.view}.get(
                stage, self.player
            )
        )

    def _show_browser(self, browser: str) -> None:
        self.browser_stack.setCurrentWidget(self.table if browser == "table" else self.grid)

    def _update_session_bar(self) -> None:
        s = self.session
        if s is not None:
            how = f"{self.view.session_speed:g}x" + (", once each" if self.playback.play_once else "")
            self.session_label.setText(f"{s.stage_name} session · {s.progress()} · {how}")
            self.session_button.setText("Leave session")
        elif self.saved_session is not None:
            saved = self.saved_session
            self.session_label.setText(f"Paused {saved.stage_name} session · {saved.progress()}")
            self.session_button.setText("Resume session")
        else:
            self.session_label.setText(
                "Not in a session: Ctrl+Return reviews the current filter take by take"
            )
            self.session_button.setText("Start session")

    # --- views and dialogs ---------------------------------------------------------------------------

    def set_view(self, which: str) -> None:
        """G: the browser fills the window; E: the player does; the same key again: both side by side."""
        if which == "player" and self.survey.active:
            self.survey.toggle()  # E in the survey: the player, on the cursor's take
        browser_only = which == "grid"
        if which == "grid":
            self.view.browser = "grid"
        showing_only = (
            (self.browser.isVisible() and not self.stage_area.isVisible())
            if browser_only
            else (self.stage_area.isVisible() and not self.browser.isVisible())
        )
        if showing_only:
            self.browser.show()
            self.stage_area.show()
        elif browser_only:
            self.browser.show()
            self.stage_area.hide()
        else:
            self.stage_area.show()
            self.browser.hide()
        self.focus_browser()

    def _transport(self, command: str) -> None:
        """Transport keys drive what is on the stage: the player, or every take in compare."""
        views: dict[str, CompareView | CutView | PlayerWidget | SurveyView] = {
            "compare": self.compare_view,
            "cut": self.cut_view,
            "survey": self.survey.view,
        }
        speed = {"player.speed_up": +1, "player.speed_down": -1}.get(command)
        if speed is not None and self.playback.change_speed(speed):
            return  # in a session, [ and ] set the session's speed
        handler = views.get(self.view.stage, self.player).handlers().get(command)
        if handler is not None:
            handler()

    def comparing(self) -> bool:
        return self.view.stage == "compare"

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
            self.status_label.setText(
                "Compare needs two takes: select them, or stand on a take of a shot with others"
            )
            return
        if len(ids) > 2 and not self.comparing():
            count = 4
        with self.project.sessions() as session:
            rows = {r["id"]: r for r in queries.take_rows(session, ids)}
        takes = [rows[t] for t in ids if t in rows]
        self.player.pause()
        self.stage_area.show()
        self.view.stage = "compare"
        self.compare_view.set_takes(takes, count)
        self.status_label.setText(
            f"Compare {count}-up: Tab moves the cursor, W wipe / difference, P X 0-5 decide the take under it, "
            "Alt+P keeps it and rejects the rest, C again for " + ("4-up" if count == 2 else "the player")
        )
        self.focus_browser()

    def _compare_ids(self, count: int) -> list[int]:
        if self.comparing():
            current = [int(t["id"]) for t in self.compare_view.takes()]
        else:
            current = []
        selected = self.targets()
        if len(selected) > 1:
            return list(dict.fromkeys([*selected, *current]))[:count]
        if self.current_id is None or self.catalog is None:
            return current
        shot = self.catalog.shot_code(self.catalog.row_of[self.current_id])
        ids = list(dict.fromkeys([*current, self.current_id])) if current else [self.current_id]
        row = self.model.row_of(self.current_id) or 0
        for r in [*range(row + 1, self.model.rowCount()), *range(0, row)]:
            if len(ids) >= count:
                break
            take_id = self.model.take_id(r)
            if take_id is None or take_id in ids:
                continue
            if self.catalog.shot_code(self.catalog.row_of[take_id]) == shot:
                ids.append(take_id)
        return ids[:count]

    def show_dashboard(self) -> None:
        """Ctrl+Shift+D: the funnel dashboard in a window of its own, refreshed while it is open."""
        if self.dashboard is None:
            self.dashboard = DashboardWindow(self.project, load_dashboard)
        self.dashboard.show()
        self.dashboard.raise_()

    def cutting(self) -> bool:
        return self.view.stage == "cut"

    def toggle_cut(self) -> None:
        """S: the cut (heroes of all shots in order) on the stage, or back to the player."""
        if self.cutting():
            self.cut_view.close_all()
            self.view.stage = "player"
            if self.current_id is not None:
                self._show_take(self.current_id)
            return
        if self.comparing():
            self.compare_view.close_all()
        self.player.pause()
        self.stage_area.show()
        self.view.stage = "cut"
        self._load_cut()
        heroes = sum(1 for i in self.cut_view.items if i.hero)
        self.status_label.setText(
            f"The cut: {heroes} of {len(self.cut_view.items)} shots have a hero. Space plays it through, "
            "PgUp/PgDn shot to shot, Alt+Right swaps the shot's hero for its next keeper, S back"
        )
        self.focus_browser()

    def _load_cut(self, at_record: int | None = None) -> None:
        with self.project.sessions() as session:
            items = shots.cut(session)
        self.cut_view.set_cut(items, at_record)

    def swap_hero(self) -> None:
        """Alt+Right in the cut: the shot under the playhead takes its next keeper as hero; it replays."""
        item = self.cut_view.current_item() if self.cutting() else None
        if item is None:
            self.status_label.setText("Swap works in the cut (S)")
            return
        with self.project.sessions() as session:
            candidates = shots.candidates(session, item.code)
        current = item.hero.take_id if item.hero else None
        others = [t for t in candidates if t != current]
        if not others:
            self.status_label.setText(f"{item.code} has no other take at the last stage to swap in")
            return
        k = candidates.index(current) if current in candidates else -1
        new = candidates[(k + 1) % len(candidates)]  # a gap takes the first keeper
        change = shots.set_hero(self.project, new, reviewer=self.reviewer)
        self.undo_stack.push(UndoEntry(f"Hero of {item.code}", change.event_ids, sorted(change.take_ids)))
        self._after_change(change)  # the cut is rebuilt there, with the new hero
        self.cut_view.seek_record(item.record_in)
        self.cut_view.play()
        self.status_label.setText(f"{item.code}: hero swapped, playing from the shot (Ctrl+Z swaps back)")

    def close_compare(self) -> None:
        self.compare_view.close_all()
        self.view.stage = "player"
        if self.current_id is not None:
            self._show_take(self.current_id)
        self.status_label.setText("Back to the player")

    def _compare_cursor(self, take_id: int) -> None:
        self._show_take(take_id)

    def _describe_take(self, take: dict[str, Any]) -> str:
        verdict = take.get("verdict")
        state = f"{take.get('stage')}{': ' + verdict if verdict else ''}"
        stars = "★" * int(take.get("rating") or 0)
        return f"{for_terminal(take.get('name', ''))}   {state}   {stars}"

    def toggle_table(self) -> None:
        self.view.browser = "grid" if self.view.browser == "table" else "table"
        self.browser.show()
        self.focus_browser()

    def focus_browser(self) -> None:
        view = self.browser_stack.currentWidget()
        target = view if view is not None and self.browser.isVisible() else self.player
        target.setFocus()

    def _escape(self) -> None:
        """Escape: out of full screen, else out of a text field back to the takes."""
        if not self.playback.leave_full_screen():
            self.focus_browser()

    def focus_search(self) -> None:
        if not self.browser.isVisible():
            self.browser.show()
        self.filter_bar.search.setFocus()
        self.filter_bar.search.selectAll()

    def start_note(self) -> None:
        self.panel_dock.show()
        self.panel_dock.raise_()
        self.panel.note_entry.setFocus()

    def start_tag(self) -> None:
        self.panel_dock.show()
        self.panel_dock.raise_()
        self.panel.tag_entry.setFocus()

    def start_move(self) -> None:
        self.panel_dock.show()
        self.panel_dock.raise_()
        self.panel.shot.setFocus()
        line = self.panel.shot.lineEdit()
        if line is not None:
            line.selectAll()

    def command_palette(self) -> None:
        CommandPalette(self.commands, self).exec()

    def cheat_sheet(self) -> None:
        CheatSheet(self.commands, self).exec()

    def edit_shortcuts(self) -> None:
        ShortcutEditor(self.commands, self).exec()

    # --- the analysis pass, in the background ------------------------------------------------------

    def start_analysis(self) -> None:
        """Analyse what has no analysis yet, in worker processes; the reviewer goes on meanwhile."""
        if self.analysis_running:
            return
        self.analysis_running = True
        self.tasks.run(
            run_analysis, self.project, done=self._analysis_done, failed=self._analysis_failed,
            progress=self._analysis_progress, cancelled=self._analysis_stopped, key="analysis",
        )  # fmt: skip

    def stop_analysis(self) -> None:
        if self.tasks.cancel("analysis"):
            self.analysis_label.setText("Stopping the analysis…")

    def _analysis_progress(self, done: int, total: int) -> None:
        if total and done < total:
            self.analysis_label.setText(f"Analysing takes: {done:,} of {total:,}")
            self.analysis_stop.show()

    def _analysis_stopped(self) -> None:
        self.analysis_running = False
        self.analysis_stop.hide()
        self.analysis_label.setText("Analysis stopped (F5 or reopening goes on with it)")

    def _analysis_done(self, count: int) -> None:
        self.analysis_running = False
        self.analysis_stop.hide()
        if count:
            self.analysis_label.setText(f"{count:,} takes analysed")
            self.reload()  # the signals join the catalogue: filters, columns, bins
        else:
            self.analysis_label.setText("")

    def _analysis_failed(self, exc: Exception) -> None:
        self.analysis_running = False
        self.analysis_stop.hide()
        self.analysis_label.setText(f"Analysis failed: {exc}")

    def show_duplicates(self) -> None:
        """The current take and its near-duplicates (by picture), found among every analysed take."""
        if self.current_id is None:
            return
        self.tasks.run(
            find_duplicates, self.project, self.current_id, done=self._duplicates_found, key="dups"
        )

    def _duplicates_found(self, result: tuple[int, list[int]]) -> None:
        take_id, others = result
        if not others:
            self.status_label.setText("No near-duplicates of this take (among the analysed ones)")
            return
        self.set_filter(queries.TakeFilter(ids=(take_id, *others)))
        self.status_label.setText(f"{len(others)} near-duplicates of this take")

    def about(self) -> None:
        show_about(self, self.project)

    def media_roots(self) -> None:
        """Where the shared media roots are found on this workstation; mapping one reloads the takes."""
        from reviewer.ui.roots_dialog import RootsDialog

        dialog = RootsDialog(self.project, self)
        dialog.exec()
        if dialog.changed:
            self.reload()
            if self.current_id is not None:
                self._show_take(self.current_id)

    def export_dialog(self) -> None:
        from reviewer.ui.export_dialog import ExportDialog

        stages = list(self.catalog.stages) if self.catalog else []
        ExportDialog(self.project, stages, self).exec()

    def switch_reviewer(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Reviewer", "Who is reviewing? (every decision records it)", text=self.reviewer
        )
        name = " ".join(name.split())
        if ok and name and name != self.reviewer:
            if self.session is not None:
                self.stop_session()
            self.reviewer = name
            self.settings.setValue("reviewer", name)
            self.undo_stack = UndoStack(self.project, lambda: self.reviewer)
            self.saved_session = load_session(self.project, name)
            self._update_reviewer_label()
            self._update_session_bar()

    def _update_reviewer_label(self) -> None:
        self.reviewer_label.setText(f"Reviewer: {self.reviewer}")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live_timer.stop()
        if self.session is not None:
            save_session(self.project, self.reviewer, self.session)
            self.lease_timer.stop()
            team.release(self.project, self.reviewer)  # reopening resumes the session and claims again
        self._save_layout()
        self.tasks.cancel("analysis")
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.typing_guard)
        self.player.close_all()
        self.compare_view.close_all()
        self.cut_view.close_all()
        if self.dashboard is not None:
            self.dashboard.close()
            self.dashboard.tasks.wait(10_000)
        self.tasks.wait(10_000)
        self.project.close()
        super().closeEvent(event)
