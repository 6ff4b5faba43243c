"""The application: QApplication set-up, the dark theme, and which window opens first.

``run_gui(None)`` shows the welcome screen; ``run_gui(project)`` opens the project directly.
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer, qVersion
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from reviewer import __version__
from reviewer.errors import KnownError

if TYPE_CHECKING:
    from reviewer.ui.welcome import WelcomeWindow

ORGANISATION = "TakeReviewer"
APPLICATION = "Take Reviewer"
DESKTOP_ID = "io.takereviewer.TakeReviewer"


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#161719"), QColor("#1e1f21"), QColor("#d8d8d8")
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, QColor("#1b1c1e")),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#2c2e31")),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.Highlight, QColor("#2f4a7a")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.ToolTipBase, QColor("#2c2e31")),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor("#777777")),
    ):
        p.setColor(role, colour)
    return p


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, set up with names, the theme and high-DPI behaviour."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    QGuiApplication.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    folder = resources.files("reviewer.resources")
    sheet = (folder / "theme.qss").read_text(encoding="utf-8")
    # The sheet names its pictures by file name; Qt wants them where they are installed.
    app.setStyleSheet(sheet.replace("url(check.svg)", f"url({folder / 'check.svg'!s})".replace("\\", "/")))


def qt_version() -> str:
    return qVersion()


def app_icon() -> QIcon:
    """The application icon, from the packaged SVG (works from a checkout, a wheel and the frozen app)."""
    data = (resources.files("reviewer.resources") / "icon.svg").read_bytes()
    pixmap = QPixmap()
    pixmap.loadFromData(data, "SVG")
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation))  # fmt: skip
    return icon


def welcome_window() -> WelcomeWindow:
    """The welcome screen, wired: a project it opens gets a workspace window."""
    from reviewer.ui.project_window import ProjectWindow
    from reviewer.ui.welcome import WelcomeWindow

    welcome = WelcomeWindow()
    welcome.project_opened.connect(lambda project: welcome.hand_over(ProjectWindow(project)))
    return welcome


def run_gui(project: str | None, quit_after_load: bool = False) -> int:
    """The GUI; with ``quit_after_load`` (a smoke test) it opens ``project`` with no dialogs and exits
    once every take is loaded (0), or at once with the reason on stderr (1)."""
    app = application()
    if project and quit_after_load:
        return _load_and_quit(app, project)
    welcome = welcome_window()
    if project:
        welcome.open_project(project)
        if welcome.project_window is None:
            welcome.show()
    else:
        welcome.show()
    return app.exec()


def _load_and_quit(app: QApplication, target: str) -> int:
    from reviewer.store import secrets
    from reviewer.store.db import open_project
    from reviewer.ui.project_window import ProjectWindow
    from reviewer.untrusted import for_terminal

    try:
        project = open_project(target, create=False)
    except KnownError as exc:
        print(f"reviewer: {for_terminal(exc, newlines=True)}", file=sys.stderr)
        return 1
    window = ProjectWindow(project)
    window.analysis.started = True  # a smoke test opens and leaves; it does not analyse
    window.show()
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if window.listing.complete else None)
    timer.start(50)
    deadline = QTimer()  # an object, not a single shot: it must not fire into whatever runs later
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: app.exit(1))
    deadline.start(120_000)
    code = app.exec()
    timer.stop()
    deadline.stop()
    window.close()
    shown = secrets.redact(target)
    print(
        f"opened {shown}: {len(window.listing.catalog) if window.listing.catalog else 0} takes loaded",
        file=sys.stderr,
    )
    return code
