"""The welcome screen: the demo project, opening a project, a new project from a folder, recent projects.

Writing the demo and ingesting a folder run in the background with a progress bar; the window stays
responsive and the work can be cancelled.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer import __version__
from reviewer.errors import KnownError
from reviewer.store.db import DEFAULT_PROJECT_FILE, PROJECT_SUFFIX, open_project
from reviewer.ui.app import show_error
from reviewer.ui.tasks import Tasks

RECENT_KEY = "recent_projects"
MAX_RECENT = 12


def demo_folder() -> Path:
    return Path.home() / "TakeReviewerDemo"


def show_about(parent: QWidget) -> None:
    from PySide6.QtCore import qVersion

    from reviewer.about import versions
    from reviewer.ui.audio import sound_output

    project = getattr(parent, "project", None)
    rows = "\n".join(
        f"{name}: {version}" for name, version in versions(project, qt=qVersion(), sound=sound_output())
    )
    box = QMessageBox(parent)
    box.setWindowTitle("About Take Reviewer")
    box.setIconPixmap(QApplication.windowIcon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Take Reviewer {__version__}\nFrom thousands of generated takes to a shot list.")
    box.setInformativeText(rows)
    box.setObjectName("about")
    box.exec()


def recent_projects() -> list[str]:
    value = QSettings().value(RECENT_KEY, [])
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    return [str(v) for v in items if v]


def remember_project(target: str) -> None:
    items = [target, *(p for p in recent_projects() if p != target)][:MAX_RECENT]
    QSettings().setValue(RECENT_KEY, items)


class WelcomeWindow(QWidget):
    progressed = Signal(str, int, int)  # phase, done, total: emitted from worker threads, queued to the GUI

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
        self.status = QLabel("")
        self.status.setObjectName("subtitle")
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
        if folder:
            self.ingest_folder(Path(folder))

    def choose_shared(self) -> None:
        """A shared project by its database URL; the password comes from the environment ($PGPASSWORD) or
        ~/.pgpass, never from this dialog or the settings."""
        url, ok = QInputDialog.getText(
            self, "Open a shared project",
            "Database URL of the team's project (the password is read from $PGPASSWORD or ~/.pgpass):",
            text="postgresql+psycopg://user@host/project",
        )  # fmt: skip
        url = url.strip()
        if ok and url:
            if (
                "@" in url.split("://", 1)[-1].split("/", 1)[0]
                and ":" in url.split("://", 1)[-1].split("@", 1)[0]
            ):
                QMessageBox.warning(
                    self, "Take Reviewer", "Leave the password out of the URL: set $PGPASSWORD instead."
                )
                return
            self.open_project(url)

    def ingest_folder(self, folder: Path) -> None:
        from reviewer.ingest.ingest import Ingestor

        target = folder / DEFAULT_PROJECT_FILE

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
        from reviewer.ui.project_window import ProjectWindow

        try:
            project = open_project(target, create=False)
        except KnownError as exc:
            show_error(self, "Cannot open the project", exc)
            return
        remember_project(target)
        self.refresh_recent()
        window = ProjectWindow(project)
        window.show()
        self.project_window = window
        self.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel.set()
        self.tasks.wait(30_000)
        super().closeEvent(event)
