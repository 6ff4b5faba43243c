"""The Qt binding itself: a long session calls void Qt methods millions of times and must not crash.

PySide6 6.12.0 drops a reference to None on each call of a method that returns nothing; on Python
3.11 (None is not immortal before 3.12) the process aborts with "deallocating None" after a few
thousand paints. pyproject.toml keeps that version out; this test catches any other that does it.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, QRect
from PySide6.QtGui import QColor, QFont, QImage, QPainter

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")


def test_void_methods_keep_nones_reference_count(qapp) -> None:  # type: ignore[no-untyped-def]
    image = QImage(16, 16, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    font, colour, rect, obj = QFont(), QColor("#123456"), QRect(0, 0, 4, 4), QObject()
    calls = (
        lambda: painter.setFont(font),
        painter.save,
        painter.restore,
        lambda: painter.setPen(colour),
        lambda: painter.fillRect(rect, colour),
        lambda: painter.drawLine(0, 0, 3, 3),
        lambda: painter.drawImage(0, 0, image),
        lambda: obj.setObjectName("x"),
    )
    before = sys.getrefcount(None)
    for _ in range(200):
        for call in calls:
            call()
    drift = sys.getrefcount(None) - before
    painter.end()
    assert drift > -100, f"None lost {-drift} references in {200 * len(calls)} calls: this PySide6 is unsafe"
