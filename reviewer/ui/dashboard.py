"""The funnel dashboard: painted charts of the team's funnel, refreshed every two seconds while open."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QHideEvent, QKeyEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from reviewer.review.dashboard import Dashboard
from reviewer.store.db import Project
from reviewer.ui.tasks import Tasks
from reviewer.ui.text import plain_label, tip

BAR = QColor("#3f6a8f")
GOOD = QColor("#4d8f58")
BAD = QColor("#a33a3a")
TEXT = QColor("#e0e0e0")
REFRESH_MS = 2000


class BarChart(QWidget):
    """Horizontal bars with a label and a value each; ``funnel`` centres the bars (a funnel chart)."""

    def __init__(self, title: str, funnel: bool = False) -> None:
        super().__init__()
        self.title = title
        self.funnel = funnel
        self.bars: list[tuple[str, float, str, QColor]] = []  # label, value, text, colour
        self.setMinimumSize(320, 160)

    def sizeHint(self) -> QSize:
        return QSize(460, 60 + 22 * max(3, len(self.bars)))

    def set_bars(self, bars: Sequence[tuple[str, float, str, QColor]]) -> None:
        self.bars = list(bars)
        self.setToolTip(tip("\n".join(f"{label}: {text}" for label, _v, text, _c in self.bars)))
        self.updateGeometry()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1c1c1c"))
        painter.setPen(TEXT)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, self.title)
        font.setBold(False)
        painter.setFont(font)
        if not self.bars:
            painter.drawText(QRectF(8, 30, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, "nothing yet")
            painter.end()
            return
        label_w = min(170.0, self.width() * 0.35)
        value_w = 110.0
        area = max(10.0, self.width() - label_w - value_w - 24)
        top = 28.0
        row = max(14.0, min(24.0, (self.height() - top - 6) / len(self.bars)))
        most = max(v for _l, v, _t, _c in self.bars) or 1.0
        for k, (label, value, text, colour) in enumerate(self.bars):
            y = top + k * row
            painter.setPen(TEXT)
            elided = painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 6))
            painter.drawText(QRectF(8, y, label_w - 6, row), Qt.AlignmentFlag.AlignVCenter, elided)
            width = max(1.0, area * value / most) if value else 0.0
            x = 8 + label_w + ((area - width) / 2 if self.funnel else 0)
            painter.fillRect(QRectF(x, y + 2, width, row - 4), colour)
            painter.drawText(
                QRectF(8 + label_w + area + 6, y, value_w, row), Qt.AlignmentFlag.AlignVCenter, text
            )
        painter.end()


class DashboardWindow(QWidget):
    """A window of its own (a second screen in a review room); reads the store in a worker."""

    def __init__(self, project: Project, load: Callable[[Project], Dashboard]) -> None:
        super().__init__()
        self.setObjectName("dashboard")
        self.setWindowTitle("Funnel dashboard — Take Reviewer")
        self.project = project
        self.load = load
        self.tasks = Tasks(self, max_threads=1)
        self.funnel = BarChart("The funnel", funnel=True)
        self.throughput = BarChart("Verdicts per hour (last 24 h of each reviewer's work)")
        self.days = BarChart("Verdicts per reviewer per day (last 30 days)")
        self.models = BarChart("Keep rate at the first stage, per model")
        self.prompts = BarChart(
            "Keep rate at the first stage, per prompt family (seeds and small edits of one prompt)"
        )
        self.changes = BarChart("Which change helped: keep rate of takes made from another, per change")
        self.defects = BarChart("Tags by frequency")
        self.coverage = BarChart("Coverage per shot: keepers (green: hero chosen, red: none yet)")
        grid = QGridLayout()
        for k, chart in enumerate(
            (
                self.funnel,
                self.throughput,
                self.models,
                self.prompts,
                self.defects,
                self.changes,
                self.days,
                self.coverage,
            )
        ):
            grid.addWidget(chart, k // 2, k % 2)
        self.status = plain_label("Loading…")
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.resize(1200, 860)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes it, as it closes every other window of its kind (dialogs, Qt's own)."""
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.close()
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        self.tasks.run(self.load, self.project, done=self.show_data, failed=self._failed, key="dashboard")

    def _failed(self, exc: Exception) -> None:
        self.status.setText(f"Could not read the project: {exc}")

    def show_data(self, d: Dashboard) -> None:
        first = d.stages[0][1] if d.stages else 0
        bars = []
        for k, (name, n) in enumerate(d.stages):
            before = d.stages[k - 1][1] if k else n
            ratio = f"  ({100 * n / before:.1f}% of {before:,})" if k and before else ""
            bars.append((name, float(n), f"{n:,}{ratio}", BAR))
        self.funnel.set_bars(bars)
        self.throughput.set_bars([(name, v, f"{v:,.0f}/h", BAR) for name, v in d.per_hour.items()])
        day_bars = []
        for name, days in sorted(d.per_day.items()):
            for day, n in sorted(days.items())[-5:]:
                day_bars.append((f"{name} {day}", float(n), f"{n:,}", BAR))
        self.days.set_bars(day_bars[-14:])
        self.models.set_bars(
            [(model, rate, f"{100 * rate:.0f}% of {n:,}", GOOD if rate >= 0.1 else BAD)
             for model, n, rate in d.keep_rate_model]
        )  # fmt: skip
        self.prompts.set_bars(
            [(prompt, rate, f"{100 * rate:.0f}% of {n:,}", GOOD if rate >= 0.1 else BAD)
             for prompt, n, rate in (d.keep_rate_family or d.keep_rate_prompt)]
        )  # fmt: skip
        self.changes.set_bars(
            [(what, rate, f"{100 * rate:.0f}% of {n:,}", GOOD if rate >= 0.1 else BAD)
             for what, n, rate in d.keep_rate_change]
        )  # fmt: skip
        self.defects.set_bars([(tag, float(n), f"{n:,}", BAD) for tag, n in d.defects])
        self.coverage.set_bars(
            [(code, float(keepers), f"{keepers:,} of {takes:,}" + (" · hero" if hero else ""),
              GOOD if hero else BAD) for code, takes, keepers, hero in d.coverage]
        )  # fmt: skip
        self.status.setText(f"{first:,} takes · refreshed every {REFRESH_MS // 1000} s while open")
