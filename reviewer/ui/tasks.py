"""Background work for the GUI: plain functions run in a thread pool, results back on the GUI thread.

``Tasks.run(fn, *args, done=..., failed=...)`` runs ``fn`` in a worker thread; ``done(result)`` or
``failed(exc)`` is then called on the GUI thread through a queued signal. Workers never touch widgets.
A task can be given a ``key``: a newer task with the same key makes the older one's result stale, and
a stale result is dropped instead of delivered (a new request cancels the old ones).
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Relay(QObject):
    finished = Signal(int, object, object)  # ticket, result, exception


class _Job(QRunnable):
    def __init__(self, relay: _Relay, ticket: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        self.relay, self.ticket, self.fn, self.args = relay, ticket, fn, args

    def run(self) -> None:
        try:
            result = self.fn(*self.args)
        except Exception as exc:  # delivered to the GUI thread, which decides how to show it
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.relay.finished.emit(self.ticket, None, exc)
        else:
            self.relay.finished.emit(self.ticket, result, None)


class Tasks(QObject):
    def __init__(self, parent: QObject | None = None, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._relay = _Relay()
        self._relay.finished.connect(self._finished)
        self._tickets = itertools.count(1)
        self._callbacks: dict[
            int, tuple[Callable[[Any], None] | None, Callable[[Exception], None] | None]
        ] = {}
        self._latest: dict[str, int] = {}
        self._key_of: dict[int, str] = {}

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
        key: str | None = None,
    ) -> int:
        ticket = next(self._tickets)
        self._callbacks[ticket] = (done, failed)
        if key is not None:
            self._latest[key] = ticket
            self._key_of[ticket] = key
        self.pool.start(_Job(self._relay, ticket, fn, args))
        return ticket

    @Slot(int, object, object)
    def _finished(self, ticket: int, result: Any, exc: Exception | None) -> None:
        done, failed = self._callbacks.pop(ticket, (None, None))
        key = self._key_of.pop(ticket, None)
        if key is not None and self._latest.get(key) != ticket:
            return  # a newer request with the same key superseded this one
        if exc is not None:
            if failed is None:
                raise exc
            failed(exc)
        elif done is not None:
            done(result)

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
