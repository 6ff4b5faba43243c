"""Showing data as text, never as markup.

Qt guesses: a QLabel, a QMessageBox and every tooltip render their text as rich text (HTML) when it
*looks* like markup (``Qt.mightBeRichText``), so a reviewer named ``<img src=x>`` or a prompt with
``<a href=...>`` would be drawn as markup in everyone's window. Everything here that shows data does
it through these helpers:

- ``plain_label``: a QLabel that shows its text as it is, always (``PlainText``).
- ``tip``: text for a tooltip (``setToolTip`` or a model's ``ToolTipRole``): escaped, inside a
  paragraph that keeps its line breaks, so it is rich text that shows exactly the characters given.
- ``warn``/``ask``: message boxes with plain text.

tests/ui/test_hostile.py walks every widget of the workspace after loading hostile takes and fails on
any label, tooltip or model tooltip that would render their data as markup.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt  # Qt's namespace as QtGui extends it: mightBeRichText lives there
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

_TIP_START = "<p style='white-space:pre-wrap'>"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def tip(text: object) -> str:
    """``text`` as a tooltip that shows exactly these characters (empty stays empty: no tooltip)."""
    value = "" if text is None else str(text)
    if not value:
        return ""
    return _TIP_START + html.escape(value, quote=False) + "</p>"


def is_tip(text: str) -> bool:
    """Whether a tooltip was made by ``tip`` (or holds no markup at all)."""
    return text.startswith(_TIP_START) or not GuiQt.mightBeRichText(text)


def _box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, informative: str = ""
) -> QMessageBox:
    box = QMessageBox(icon, title, "", QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)  # follows the box's text format
    return box


def warn(parent: QWidget | None, title: str, text: str) -> None:
    box = _box(parent, QMessageBox.Icon.Warning, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def ask(parent: QWidget | None, title: str, text: str, yes: str = "") -> bool:
    """A Yes/Cancel question in plain text (Cancel the default); True for Yes."""
    box = _box(parent, QMessageBox.Icon.Question, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    if yes:
        button = box.button(QMessageBox.StandardButton.Yes)
        if button is not None:
            button.setText(yes)
    return box.exec() == QMessageBox.StandardButton.Yes
