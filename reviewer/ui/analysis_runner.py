"""The analysis pass in the background: started once the catalogue is in (and by F5), run in worker
processes while the reviewer goes on, its progress and a Stop button in the status bar; what was
analysed is kept when it stops. And the project's signal sensitivity, sorted anew from the stored
findings in a worker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from reviewer.store.db import Project
from reviewer.ui.tasks import TaskCancelled, TaskState
from reviewer.ui.text import plain_label


def run_analysis(project: Project, state: TaskState) -> tuple[int, str]:
    """(a worker) The analysis pass over the takes that have none yet: how many were done, and why the
    cache could not keep their pictures ("" when it could). Stopped through ``state``."""
    from reviewer.ingest.ingest import Cancelled, Ingestor

    ingestor = Ingestor(project, progress=lambda _phase, done, total: state.progress(done, total),
                        cancel=lambda: state.cancelled)  # fmt: skip
    try:
        report = ingestor.analyze()
    except Cancelled:
        raise TaskCancelled from None
    return report.filmstrips, report.cache_problem


class AnalysisRunner:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.running = False
        self.started = False
        self.again = False  # asked again while running: one more pass when this one ends
        self.label = plain_label()
        self.label.setObjectName("analysis-progress")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()

    def start_once(self) -> None:
        """The first time the catalogue is in: go on with what has no analysis yet."""
        if not self.started:
            self.started = True
            self.start()

    def start(self) -> None:
        """Analyse what has no analysis yet, in worker processes; the reviewer goes on meanwhile. Asked
        while a pass runs (a watched folder brought new takes), another pass follows it."""
        if self.running:
            self.again = True
            return
        self.running = True
        self.w.tasks.run(
            run_analysis, self.w.project, done=self._done, failed=self._failed,
            progress=self._progress, cancelled=self._stopped, key="analysis",
        )  # fmt: skip

    def stop(self) -> None:
        if self.w.tasks.cancel("analysis"):
            self.label.setText("Stopping the analysis…")

    def _progress(self, done: int, total: int) -> None:
        if total and done < total:
            self.label.setText(f"Analysing takes: {done:,} of {total:,}")
            self.stop_button.show()

    def _ended(self, text: str) -> None:
        self.running = False
        self.stop_button.hide()
        self.label.setText(text)

    def _stopped(self) -> None:
        self._ended("Analysis stopped (F5 or reopening goes on with it)")

    def _done(self, result: tuple[int, str]) -> None:
        count, cache_problem = result
        text = f"{count:,} take{'s' if count != 1 else ''} analysed" if count else ""
        if cache_problem:
            text = f"{text}. {cache_problem}" if text else cache_problem
        self._ended(text)
        self.label.setToolTip(cache_problem)
        if count:
            self.w.listing.reload()  # the signals join the catalogue: filters, columns, bins
        if self.again:
            self.again = False
            self.start()

    def _failed(self, exc: Exception) -> None:
        self._ended(f"Analysis failed: {exc}")

    def cycle_sensitivity(self) -> None:
        """The project's signal sensitivity in turn normal, high, low: "Looks broken" sorted anew from the
        stored findings (in a worker: every analysis of the project is read), then the bins re-read."""
        from reviewer.ingest.ingest import set_signal_sensitivity, signal_sensitivity

        order = ["normal", "high", "low"]
        chosen = order[(order.index(signal_sensitivity(self.w.project)) + 1) % len(order)]
        self.label.setText(f'Sensitivity {chosen}: sorting "Looks broken" anew…')

        def done(changed: int) -> None:
            self.w.listing.reload()  # the status line says what loads; this label says what changed
            self.label.setText(f'Sensitivity {chosen}: {changed} takes moved in or out of "Looks broken"')

        self.w.tasks.run(set_signal_sensitivity, self.w.project, chosen, done=done, key="sensitivity")
