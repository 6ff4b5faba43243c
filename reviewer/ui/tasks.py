"""Background work for the GUI: plain functions run in a thread pool, results back on the GUI thread.

``Tasks.run(fn, *args, done=..., failed=..., key=..., progress=..., cancelled=...)`` runs ``fn`` in a
worker thread; ``done(result)``, ``failed(exc)`` or ``cancelled()`` is then called on the GUI thread
through a queued signal. Workers never touch widgets.

- A function with a ``state`` parameter is given a ``TaskState`` (as Orange3's ``TaskState``): it
  reports ``state.progress(done, total)`` (delivered to ``progress`` on the GUI thread, the latest
  only) and looks at ``state.cancelled`` or calls ``state.check()``, which raises ``TaskCancelled``.
- A task given a ``key`` supersedes the older ones with that key: their state is cancelled and their
  result, when it comes, is dropped (a new request cancels the stale ones).
- ``Tasks.cancel(key)`` cancels the running task of that key: ``cancelled`` is called when it stops.
- A failure with no ``failed`` handler: an environment's error (``KnownError``, a database or file
  system error) goes to the ``Tasks``' ``on_failure`` (the window's status bar), never a traceback;
  anything else is a bug and is raised on the GUI thread.

The real-time decode and sound threads of reviewer.media (the player's engine, the sound feed) are
the one exception: they keep their own threads, with deadlines this pool cannot give.
"""

from __future__ import annotations

import inspect
import itertools
import sys
import threading
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from sqlalchemy.exc import DBAPIError

from reviewer.errors import KnownError


class TaskCancelled(Exception):
    """Raised by ``TaskState.check()`` in a task that was cancelled or superseded."""


class TaskState:
    """What a running task knows of the world: whether it should stop, and where to report progress.
    Thread-safe; made by ``Tasks.run``."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self._cancel = threading.Event()
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled

    def progress(self, done: int, total: int) -> None:
        self._report(done, total)


def is_environment_error(exc: BaseException) -> bool:
    """The environment's fault (shown as a message), as opposed to a bug (raised)."""
    return isinstance(exc, KnownError | DBAPIError | OSError)


def message_of(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError):
        return f"The project could not be read or written: {exc.orig}"
    if isinstance(exc, OSError) and not isinstance(exc, KnownError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if getattr(exc, "filename", None) else "")
    return str(exc)


def _takes_state(fn: Callable[..., Any]) -> bool:
    try:
        return "state" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class _Relay(QObject):
    finished = Signal(int, object, object)  # ticket, result, exception
    progressed = Signal(int, int, int)  # ticket, done, total


class _Job(QRunnable):
    def __init__(
        self,
        relay: _Relay,
        ticket: int,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        state: TaskState | None,
    ) -> None:
        super().__init__()
        self.relay, self.ticket, self.fn, self.args, self.state = relay, ticket, fn, args, state

    def run(self) -> None:
        try:
            if self.state is not None:
                self.state.check()  # cancelled while it waited for a thread
                result = self.fn(*self.args, state=self.state)
            else:
                result = self.fn(*self.args)
        except Exception as exc:  # delivered to the GUI thread, which decides how to show it
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.relay.finished.emit(self.ticket, None, exc)
        else:
            self.relay.finished.emit(self.ticket, result, None)


Done = Callable[[Any], None]
Failed = Callable[[Exception], None]
Progress = Callable[[int, int], None]
Cancelled = Callable[[], None]


class Tasks(QObject):
    def __init__(
        self,
        parent: QObject | None = None,
        max_threads: int | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self.on_failure = on_failure
        self._relay = _Relay()
        self._relay.finished.connect(self._finished)
        self._relay.progressed.connect(self._progressed)
        self._tickets = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None, Progress | None, Cancelled | None]] = {}
        self._states: dict[int, TaskState] = {}
        self._latest: dict[str, int] = {}
        self._key_of: dict[int, str] = {}

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Done | None = None,
        failed: Failed | None = None,
        key: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> int:
        ticket = next(self._tickets)
        self._callbacks[ticket] = (done, failed, progress, cancelled)
        state = None
        if _takes_state(fn):
            state = TaskState(partial(self._relay.progressed.emit, ticket))
            self._states[ticket] = state
        if key is not None:
            older = self._latest.get(key)
            if older is not None and older in self._states:
                self._states[older].cancel()  # superseded: let it stop early
            self._latest[key] = ticket
            self._key_of[ticket] = key
        self.pool.start(_Job(self._relay, ticket, fn, args, state))
        return ticket

    def cancel(self, key: str) -> bool:
        """Ask the running task with ``key`` to stop; True if there was one that can be asked."""
        ticket = self._latest.get(key)
        state = self._states.get(ticket) if ticket is not None else None
        if state is None:
            return False
        state.cancel()
        return True

    @property
    def pending(self) -> int:
        """How many tasks are waiting or running (their results not yet delivered)."""
        return len(self._callbacks)

    def running(self, key: str) -> bool:
        ticket = self._latest.get(key)
        return ticket is not None and ticket in self._callbacks

    @Slot(int, int, int)
    def _progressed(self, ticket: int, done: int, total: int) -> None:
        callbacks = self._callbacks.get(ticket)
        key = self._key_of.get(ticket)
        if callbacks is None or (key is not None and self._latest.get(key) != ticket):
            return
        if callbacks[2] is not None:
            callbacks[2](done, total)

    @Slot(int, object, object)
    def _finished(self, ticket: int, result: Any, exc: Exception | None) -> None:
        done, failed, _progress, cancelled = self._callbacks.pop(ticket, (None, None, None, None))
        self._states.pop(ticket, None)
        key = self._key_of.pop(ticket, None)
        if key is not None and self._latest.get(key) != ticket:
            return  # a newer request with the same key superseded this one
        if key is not None:
            del self._latest[key]
        if isinstance(exc, TaskCancelled):
            if cancelled is not None:
                cancelled()
            return
        if exc is not None:
            if failed is not None:
                failed(exc)
            elif is_environment_error(exc):
                self._show_failure(exc)
            else:
                raise exc
        elif done is not None:
            done(result)

    def _show_failure(self, exc: Exception) -> None:
        text = message_of(exc)
        if self.on_failure is not None:
            self.on_failure(text)
        else:
            print(f"reviewer: {text}", file=sys.stderr)  # a window without a status bar: no traceback

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
