"""The welcome screen: the demo project, opening a project, a new project from a folder, recent projects.

Writing the demo and ingesting a folder run in the background with a progress bar; the window stays
responsive and the work can be cancelled. A new project from a folder is written where the user says
(by default the projects folder, named after the folder of takes), never into the media folder.
Recent projects are kept as project files (a folder and its ``project.trproj`` are one entry) and
database URLs without their password; a password typed into a URL goes to the system keyring.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer import __version__
from reviewer.errors import KnownError
from reviewer.store import secrets
from reviewer.store.db import DEFAULT_PROJECT_FILE, PROJECT_SUFFIX, open_project, project_url
from reviewer.ui.messages import show_about, show_error
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import plain_label, warn

RECENT_KEY = "recent_projects"
MAX_RECENT = 12


def demo_folder() -> Path:
    return Path.home() / "TakeReviewerDemo"


def projects_folder() -> Path:
    """Where new projects go unless the user says otherwise: $TAKE_REVIEWER_PROJECTS, else
    "Take Reviewer" in their documents folder."""
    chosen = os.environ.get("TAKE_REVIEWER_PROJECTS")
    if chosen:
        return Path(chosen).expanduser()
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / "Take Reviewer"


def recent_projects() -> list[str]:
    value = QSettings().value(RECENT_KEY, [])
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    return [str(v) for v in items if v]


def recent_key(target: str) -> str:
    """How a project is remembered: its project file (a folder means the file inside it), or its URL
    without a password."""
    if "://" in target:
        return secrets.without_password(target)
    return project_url(target)[len("sqlite:///") :]


def remember_project(target: str) -> None:
    key = recent_key(target)
    items = [key, *(p for p in (recent_key(r) for r in recent_projects()) if p != key)]
    QSettings().setValue(RECENT_KEY, list(dict.fromkeys(items))[:MAX_RECENT])


class WelcomeWindow(QWidget):
    """The first window. It opens projects and says so (``project_opened``); what window a project
    gets is the application's business (``reviewer.ui.app.welcome_window`` wires it), so this module
    imports no workspace."""

    progressed = Signal(str, int, int)  # phase, done, total: emitted from worker threads, queued to the GUI
    project_opened = Signal(object)  # the open Project, emitted on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Take Reviewer")
        self.setObjectName("welcome")
        self.tasks = Tasks(self, max_threads=2)
        self.project_window: QWidget | None = None
        self._cancel = threading.Event()

        title = QLabel("Take Reviewer")
        title.setObjectName("title")
        subtitle = QLabel(f"From thousands of generated takes to a shot list · version {__version__}")
        subtitle.setObjectName("subtitle")

        self.demo_button = QPushButton("Open the demo project")
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self.open_demo)
        self.open_button = QPushButton("Open a project…")
        self.open_button.clicked.connect(self.choose_project)
        self.folder_button = QPushButton("New project from a folder of takes…")
        self.folder_button.clicked.connect(self.choose_folder)
        self.shared_button = QPushButton("Open a shared project…")
        self.shared_button.setToolTip(
            "A team's project on a PostgreSQL server (postgresql://user@host/project)"
        )
        self.shared_button.clicked.connect(self.choose_shared)
        self.about_button = QPushButton("About")
        self.about_button.clicked.connect(lambda: show_about(self))
        buttons = QHBoxLayout()
        for b in (self.demo_button, self.open_button, self.folder_button, self.shared_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.about_button)

        self.recent = QListWidget()
        self.recent.setObjectName("recent")
        self.recent.itemActivated.connect(lambda item: self.open_project(item.data(Qt.ItemDataRole.UserRole)))
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = plain_label("")
        self.status.setObjectName("subtitle")
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._cancel.set)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Recent projects"))
        layout.addWidget(self.recent, 1)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        self.resize(760, 480)
        self.progressed.connect(self._show_progress)
        self.refresh_recent()

    def refresh_recent(self) -> None:
        self.recent.clear()
        for target in recent_projects():
            item = QListWidgetItem(target)
            item.setData(Qt.ItemDataRole.UserRole, target)
            if "://" not in target and not Path(target).exists():
                item.setText(f"{target}  (not found)")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)

    # --- long work in the background --------------------------------------------------------

    def _busy(self, text: str) -> None:
        self._cancel.clear()
        for b in (self.demo_button, self.open_button, self.folder_button, self.shared_button):
            b.setEnabled(False)
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()

    def _idle(self, text: str = "") -> None:
        for b in (self.demo_button, self.open_button, self.folder_button, self.shared_button):
            b.setEnabled(True)
        self.progress.hide()
        self.cancel_button.hide()
        self.status.setText(text)

    def _show_progress(self, phase: str, done: int, total: int) -> None:
        labels = {"encode": "Writing demo takes", "probe": "Reading takes", "analysis": "Analysing takes"}
        self.status.setText(f"{labels.get(phase, phase)}: {done} of {total}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _report(self, phase: str, done: int, total: int) -> None:
        """Called from worker threads and processes' result loop: hands progress to the GUI thread."""
        self.progressed.emit(phase, done, total)

    def open_demo(self) -> None:
        folder = demo_folder()
        if (folder / DEFAULT_PROJECT_FILE).exists():
            self.open_project(str(folder / DEFAULT_PROJECT_FILE))
            return
        from reviewer.demo import write_demo

        self._busy("Writing the demo project (under a minute)…")
        self.tasks.run(
            lambda: write_demo(folder, progress=self._report),
            done=self._opened_after_work,
            failed=self._failed,
        )

    def choose_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a project",
            str(Path.home()),
            f"Take Reviewer projects (*{PROJECT_SUFFIX});;All files (*)",
        )
        if path:
            self.open_project(path)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of takes", str(Path.home()))
        if not folder:
            return
        target = self.choose_project_file(Path(folder))
        if target is not None:
            self.ingest_folder(Path(folder), target)

    def choose_project_file(self, folder: Path) -> Path | None:
        """Where to keep the new project: the projects folder by default, named after the takes' folder
        (an existing project chosen here gets the folder's takes added)."""
        suggested = projects_folder() / f"{folder.name or 'takes'}{PROJECT_SUFFIX}"
        suggested.parent.mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(
            self, "Where to keep the new project", str(suggested),
            f"Take Reviewer projects (*{PROJECT_SUFFIX})", options=QFileDialog.Option.DontConfirmOverwrite,
        )  # fmt: skip
        if not path:
            return None
        chosen = Path(path)
        return chosen if chosen.suffix == PROJECT_SUFFIX else chosen.with_name(chosen.name + PROJECT_SUFFIX)

    def choose_shared(self) -> None:
        """A shared project by its database URL. A password typed into the URL goes to the system keyring
        (never into the settings); without one it comes from the keyring, $PGPASSWORD or ~/.pgpass."""
        url, ok = QInputDialog.getText(
            self, "Open a shared project",
            "Database URL of the team's project (a password given here is kept in the system keyring):",
            text="postgresql+psycopg://user@host/project",
        )  # fmt: skip
        url = url.strip()
        if ok and url:
            self.open_project(url)

    def keep_password(self, target: str) -> None:
        """A URL with a password in it: the password into the system keyring, so the URL can be
        remembered without it; where there is no keyring, say so."""
        url = secrets.parse(target)
        if url is None or not url.password:
            return
        try:
            secrets.save_password(target, str(url.password))
        except secrets.KeyringMissing as exc:
            warn(self, "Take Reviewer", str(exc))

    def ingest_folder(self, folder: Path, target: Path | None = None) -> None:
        from reviewer.ingest.ingest import Ingestor

        target = target or projects_folder() / f"{folder.name or 'takes'}{PROJECT_SUFFIX}"

        def work() -> str:
            project = open_project(target)
            try:
                # Probe and posters only: the window opens at once and analyses (filmstrips, signals)
                # in the background while the reviewer starts.
                Ingestor(project, progress=self._report, cancel=self._cancel.is_set).run(
                    [folder], filmstrips=False
                )
            finally:
                project.close()
            return str(target)

        self._busy(f"Reading the takes in {folder}…")
        self.tasks.run(work, done=self._opened_after_work, failed=self._failed)

    def _opened_after_work(self, project_file: object) -> None:
        self._idle()
        self.open_project(str(project_file))

    def _failed(self, exc: Exception) -> None:
        from reviewer.ingest.ingest import Cancelled

        if isinstance(exc, Cancelled):
            self._idle("Cancelled; what was read so far is in the project.")
            return
        self._idle()
        show_error(self, "Take Reviewer", exc)

    # --- opening ----------------------------------------------------------------------------

    def open_project(self, target: str) -> None:
        try:
            project = open_project(target, create=False)
        except KnownError as exc:
            if not self.isVisible():
                self.show()  # the message over the welcome screen, not over a window not shown yet
            show_error(self, "Cannot open the project", exc)
            return
        self.keep_password(target)
        remember_project(target)
        self.refresh_recent()
        self.project_opened.emit(project)

    def hand_over(self, window: QWidget) -> None:
        """The project's window is up: show it and step aside."""
        window.show()
        self.project_window = window
        self.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel.set()
        self.tasks.wait(30_000)
        super().closeEvent(event)
