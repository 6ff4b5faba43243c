"""Messages shown to the user: an environment's error, and About. Every window uses these; they import
no window, so nothing that shows a message has to import the module that opens the windows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from reviewer import __version__
from reviewer.errors import KnownError
from reviewer.ui.text import warn


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """Environment errors as a message; anything else is a bug and is raised."""
    if not isinstance(exc, KnownError):
        raise exc
    warn(parent, title, str(exc))


def show_about(parent: QWidget, project: Any = None) -> None:
    """The versions of this build (and of the open project's database, when there is one)."""
    from reviewer.about import versions
    from reviewer.ui.audio import sound_output

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
