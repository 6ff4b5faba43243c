"""The one worker pattern (reviewer.ui.tasks): results on the GUI thread, stale ones dropped,
superseded and cancelled tasks stopped through their state, progress delivered, failures shown."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reviewer.errors import KnownError
from reviewer.ui.tasks import Tasks, TaskState


def test_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    tasks = Tasks(max_threads=2)
    seen: list[tuple[int, bool]] = []
    gui = QApplication.instance().thread()  # type: ignore[union-attr]
    tasks.run(lambda a, b: (a + b, QThread.currentThread() is not gui), 2, 3,
              done=lambda r: seen.append((r[0], r[1] and QThread.currentThread() is gui)))  # fmt: skip
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(5, True)]  # ran elsewhere, delivered here


def test_a_newer_task_with_the_same_key_cancels_the_older_and_drops_its_result(qtbot: QtBot) -> None:
    tasks = Tasks(max_threads=2)
    started = threading.Event()
    stopped_early: list[bool] = []
    results: list[str] = []

    def slow(name: str, state: TaskState) -> str:
        started.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if state.cancelled:
                stopped_early.append(True)
                return name  # returns anyway: its result must not be delivered
            time.sleep(0.01)
        return name

    tasks.run(slow, "old", done=results.append, key="scrub")
    assert started.wait(5)
    tasks.run(slow, "new", done=results.append, key="scrub")
    qtbot.waitUntil(lambda: bool(stopped_early), timeout=5000)  # the old one was told to stop
    tasks.cancel("scrub")  # and the new one stops when asked, too
    qtbot.waitUntil(lambda: tasks.wait(10) and not tasks.running("scrub"), timeout=5000)
    qtbot.wait(50)
    assert results == ["new"]  # the stale "old" was dropped


def test_progress_and_cancel_through_the_state(qtbot: QtBot) -> None:
    tasks = Tasks(max_threads=1)
    progress: list[tuple[int, int]] = []
    stopped: list[bool] = []
    done: list[object] = []

    def work(state: TaskState) -> int:
        for k in range(1000):
            state.check()  # raises TaskCancelled once cancelled
            state.progress(k + 1, 1000)
            time.sleep(0.005)
        return 1000

    tasks.run(work, done=done.append, progress=lambda d, t: progress.append((d, t)),
              cancelled=lambda: stopped.append(True), key="analysis")  # fmt: skip
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=5000)
    assert tasks.running("analysis") and all(t == 1000 for _d, t in progress)
    assert tasks.cancel("analysis")
    qtbot.waitUntil(lambda: bool(stopped), timeout=5000)
    assert done == [] and not tasks.running("analysis") and progress[-1][0] < 1000
    assert not tasks.cancel("analysis")  # nothing running to stop


def test_an_environment_failure_without_a_handler_is_a_message_and_a_bug_is_raised(qtbot: QtBot) -> None:
    shown: list[str] = []
    tasks = Tasks(max_threads=1, on_failure=shown.append)

    def lease_lost() -> None:
        raise KnownError("The team database cannot be reached")

    def missing() -> None:
        open("/nonexistent/take.mp4", "rb")  # noqa: SIM115

    tasks.run(lease_lost)
    tasks.run(missing)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert shown[0] == "The team database cannot be reached"
    assert shown[1] == "No such file or directory: /nonexistent/take.mp4"
    handled: list[Exception] = []
    tasks.run(lease_lost, failed=handled.append)  # a handler of its own takes precedence
    qtbot.waitUntil(lambda: bool(handled), timeout=5000)
    assert len(shown) == 2

    def bug() -> None:
        raise ZeroDivisionError("a bug")

    with qtbot.captureExceptions() as caught:
        tasks.run(bug)
        qtbot.waitUntil(lambda: bool(caught), timeout=5000)
    assert isinstance(caught[0][1], ZeroDivisionError)  # loud, as a bug should be


@pytest.mark.parametrize("with_state", [False, True])
def test_a_function_without_a_state_parameter_is_called_as_it_is(qtbot: QtBot, with_state: bool) -> None:
    tasks = Tasks()
    got: list[object] = []
    if with_state:
        tasks.run(lambda x, state: (x, isinstance(state, TaskState)), 1, done=got.append)
    else:
        tasks.run(lambda x: (x, False), 1, done=got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [(1, with_state)]
