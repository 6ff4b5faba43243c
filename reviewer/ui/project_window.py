"""The review workspace: the browser (grid and table), the stage (player, compare, the cut, the survey),
the Take panel, the shots and bins docks, the funnel bar and the status bar.

``ProjectWindow`` builds the panes and wires them to the controllers that do the work, one per concern:
``Listing`` (the catalogue, the filter, stacks, the current take), ``Deciding`` (verdicts, tags, notes,
undo), ``Triage`` (the review session and its claims), ``StageArea`` (what is on the stage),
``SurveyStage``, ``SessionPlayback``, ``LiveUpdates`` (others' changes), ``AnalysisRunner``, and the
docks' ``ShotsDock`` and ``BinsDock``. Every change made here goes through ``Ops`` (one undo entry,
one message) and is told on ``Ops.changed``, which each view listens to. The view state is the
``Workspace`` model; widgets show it and none keeps it. Background work goes through ``Tasks``.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer.errors import KnownError
from reviewer.review import keymap as km
from reviewer.review.decisions import default_reviewer
from reviewer.review.session import UndoStack, load_session
from reviewer.review.workspace import Workspace
from reviewer.store.db import Project
from reviewer.ui import window_commands
from reviewer.ui.analysis_runner import AnalysisRunner
from reviewer.ui.bins_dock import BinsDock
from reviewer.ui.browser import FilterBar, FunnelBar, GridView, ImageCache, TakeModel, TakeTable
from reviewer.ui.commands import CheatSheet, CommandPalette, Commands, ShortcutEditor, TypingGuard
from reviewer.ui.deciding import Deciding
from reviewer.ui.disclosure import DisclosureActions
from reviewer.ui.listing import Listing
from reviewer.ui.live_updates import LiveUpdates
from reviewer.ui.messages import show_about
from reviewer.ui.ops import Ops
from reviewer.ui.player import PlayerWidget
from reviewer.ui.session_play import SessionPlayback
from reviewer.ui.shots_dock import ShotsDock
from reviewer.ui.stage import StageArea
from reviewer.ui.survey_stage import SurveyStage
from reviewer.ui.tagging import TaggingPanel
from reviewer.ui.tasks import Tasks, is_environment_error, message_of
from reviewer.ui.text import plain_label
from reviewer.ui.triage import Triage
from reviewer.ui.watching import Watching

SAVING_SHOWN_AFTER_MS = 600  # team mode: writes still on their way after this are shown in the status bar


def workspace_settings(settings: QSettings) -> Workspace:
    """The view state as this workstation left it (auto-advance where versions before kept it, too)."""
    kept = {key: settings.value(key) for key in Workspace().as_settings() if settings.contains(key)}
    for key, before in (
        ("workspace/auto_advance", "auto_advance"),
        ("workspace/fold_stacks", "browser/fold_stacks"),
    ):
        if key not in kept and settings.contains(before):
            kept[key] = settings.value(before)
    return Workspace.from_settings(kept)


class ProjectWindow(QMainWindow):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.settings = QSettings()
        self.view = workspace_settings(self.settings)  # the view state; widgets show it, none keeps it
        self.reviewer = str(self.settings.value("reviewer", "") or default_reviewer())
        self.tasks = Tasks(self, max_threads=4)
        self.undo_stack = UndoStack(project, lambda: self.reviewer)
        # every change made here goes through ops; every view hears of it from its changed signal
        self.ops = Ops(
            self.undo_stack, lambda text: self.status_label.setText(text), self, project, self.tasks
        )
        self.setWindowTitle("Take Reviewer")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # the browser
        self.images = ImageCache(self.tasks)
        self.model = TakeModel(self.images)
        self.grid = GridView(self.model)
        self.grid.setObjectName("takes")
        self.table = TakeTable(self.grid)
        self.disclosure = DisclosureActions(self)
        for view in (self.grid, self.table):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(lambda pos, v=view: self.disclosure.menu(v, pos))
        self.filter_bar = FilterBar()
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

        # the controllers, and the stage with the session bar above it
        self.listing = Listing(self)
        self.deciding = Deciding(self)
        self.player = PlayerWidget(own_keys=False)
        self.triage = Triage(self)
        self.survey = SurveyStage(self)
        self.stage = StageArea(self)
        self.live_updates = LiveUpdates(self)
        self.analysis = AnalysisRunner(self)
        self.watching = Watching(self)
        self.grid.selectionModel().currentRowChanged.connect(self.listing.current_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self.listing.sorted)
        self.filter_bar.changed.connect(self.listing.set_filter)
        self.view.on("browser", self._show_browser)
        self.splitter = QSplitter()
        self.splitter.setObjectName("workspace-splitter")
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(self.stage.area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([440, 900])
        self.setCentralWidget(self.splitter)

        # docks
        self.shot_dock = ShotsDock(self)
        self.shots = self.shot_dock.model
        self.bin_dock = BinsDock(self)
        self.panel = TaggingPanel()
        d = self.deciding
        self.panel.verdict.connect(d.give_verdict)
        self.panel.rating.connect(d.rate)
        self.panel.tag_toggled.connect(d.set_tag)
        self.panel.tag_added.connect(d.tag_added)
        self.panel.note_added.connect(d.add_note)
        self.panel.shot_chosen.connect(d.move_to_shot)
        self.panel.ai_declared.connect(self.disclosure.declare)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.shots_dock = self._dock("Shots", "shots-dock", self.shot_dock.board, left)
        self.bins_dock = self._dock("Bins", "bins-dock", self.bin_dock.box, left)
        self.panel_dock = self._dock("Take", "take-dock", self.panel, right)
        self.tabifyDockWidget(self.shots_dock, self.bins_dock)
        self.shots_dock.raise_()
        self.resizeDocks([self.shots_dock, self.panel_dock], [240, 340], Qt.Orientation.Horizontal)

        self.funnel_bar = FunnelBar(self.listing.show_stage)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.funnel_bar)
        self.status_label = QLabel("Loading…")
        self.status_label.setObjectName("status")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        # a long message must not widen the window
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)
        self.reviewer_label = plain_label()
        self.saving_label = plain_label()  # team mode: writes on their way to the server, if they linger
        self.saving_label.setObjectName("saving")
        status = (self.analysis.label, self.analysis.stop_button, self.saving_label, self.watching.label,
                  self.live_updates.label)  # fmt: skip
        for widget in (*status, self.reviewer_label):
            self.statusBar().addPermanentWidget(widget)
        self.saving_timer = QTimer(self)
        self.saving_timer.setSingleShot(True)
        self.saving_timer.setInterval(SAVING_SHOWN_AFTER_MS)
        self.saving_timer.timeout.connect(self._show_saving)
        self.ops.pending_changed.connect(self._saving_changed)
        # a failure no one handles is the environment's (a lease renewal on a server gone away): said here
        self.tasks.on_failure = self.status_label.setText
        self.bin_timer = QTimer(self)  # counts, board and bins re-read a moment after the last change
        self.bin_timer.setSingleShot(True)
        self.bin_timer.setInterval(250)
        self.bin_timer.timeout.connect(self.listing.refresh_counts)
        self.ops.refresh = self.listing.take_in  # the catalogue first, then every view
        for part in (self.live_updates, self.listing, self.stage):  # the change bus
            self.ops.changed.connect(lambda change, _initiator, p=part: p.changed(change))

        self.playback = SessionPlayback(self)
        self.commands = Commands(self, self._load_keymap())
        window_commands.install(self)
        self.stage.survey_keys(False)
        self.typing_guard = TypingGuard(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.typing_guard)
        self.typing_focus_return = QShortcut(QKeySequence("Escape"), self)
        self.typing_focus_return.activated.connect(self._escape)
        self._update_reviewer_label()
        self.resize(1600, 960)
        self._restore_layout()
        self.triage.update_bar()
        self.grid.setFocus()  # keys go to the takes, not into the search field
        self.listing.reload()

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

    def refresh_all(self) -> None:
        """F5: re-read every take (others' decisions too) and go on with any analysis left to do."""
        self.listing.reload()
        self.analysis.start()

    # --- focus and the panes ---------------------------------------------------------------------------

    def _show_browser(self, browser: str) -> None:
        self.browser_stack.setCurrentWidget(self.table if browser == "table" else self.grid)

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

    def _panel_field(self, field: QWidget) -> None:
        self.panel_dock.show()
        self.panel_dock.raise_()
        field.setFocus()

    def start_note(self) -> None:
        self._panel_field(self.panel.note_entry)

    def start_tag(self) -> None:
        self._panel_field(self.panel.tag_entry)

    def start_move(self) -> None:
        self._panel_field(self.panel.shot)
        line = self.panel.shot.lineEdit()
        if line is not None:
            line.selectAll()

    # --- dialogs ----------------------------------------------------------------------------------------

    def command_palette(self) -> None:
        CommandPalette(self.commands, self).exec()

    def cheat_sheet(self) -> None:
        CheatSheet(self.commands, self).exec()

    def edit_shortcuts(self) -> None:
        ShortcutEditor(self.commands, self).exec()

    def about(self) -> None:
        show_about(self, self.project)

    def media_roots(self) -> None:
        """Where the shared media roots are found on this workstation; mapping one reloads the takes.
        The roots are read first (in the background in team mode), then the dialog opens with them."""
        from reviewer.ui.roots_dialog import RootsDialog, roots_of

        def show(roots: list[tuple[str, str, str, int]]) -> None:
            dialog = RootsDialog(self.project, self, roots)
            dialog.exec()
            if dialog.changed:
                self.listing.reload()
                if self.listing.current_id is not None:
                    self.listing.show_take(self.listing.current_id)

        self.ops.read(roots_of, self.project, done=show, key="roots")

    def export_dialog(self) -> None:
        from reviewer.ui.export_dialog import ExportDialog, has_heroes

        stages = list(self.listing.catalog.stages) if self.listing.catalog else []

        def show(heroes: bool) -> None:
            ExportDialog(self.project, stages, self, heroes).exec()

        self.ops.read(has_heroes, self.project, done=show, key="export")

    def switch_reviewer(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Reviewer", "Who is reviewing? (every decision records it)", text=self.reviewer
        )
        name = " ".join(name.split())
        if ok and name and name != self.reviewer:
            self.triage.stop()
            self.reviewer = name
            self.settings.setValue("reviewer", name)
            # one reviewer's undo is not another's: a new stack, for the decisions and the ops alike
            self.undo_stack = self.ops.undo_stack = UndoStack(self.project, lambda: self.reviewer)
            self.ops.read(load_session, self.project, name, done=self.triage.found_saved, key="saved-session")
            self._update_reviewer_label()

    def _saving_changed(self, pending: int) -> None:
        if not pending:
            self.saving_timer.stop()
            self.saving_label.setText("")
        elif self.saving_label.text():
            self._show_saving()
        elif not self.saving_timer.isActive():
            self.saving_timer.start()

    def _show_saving(self) -> None:
        n = self.ops.pending
        self.saving_label.setText(f"Saving {n} change{'s' if n != 1 else ''} to the server…" if n else "")

    def _update_reviewer_label(self) -> None:
        self.reviewer_label.setText(f"Reviewer: {self.reviewer}")

    def writes_pending(self) -> bool:
        """Team mode: decisions and other writes asked for and not yet made."""
        return self.ops.pending > 0

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live_updates.stop()
        self.watching.stop()
        self.ops.wait(60_000)  # team mode: every decision asked for is made before the window goes
        try:
            self.triage.close()
        except Exception as exc:  # the server gone: the leases lapse by themselves
            if not is_environment_error(exc):
                raise
            print(f"reviewer: the session could not be saved: {message_of(exc)}", file=sys.stderr)
        self._save_layout()
        self.tasks.cancel("analysis")
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.typing_guard)
        self.stage.close_all()
        self.tasks.wait(10_000)
        self.project.close()
        super().closeEvent(event)
