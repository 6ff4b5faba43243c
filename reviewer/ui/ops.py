"""One way to change the project from the GUI, and one broadcast of what changed (Anki's
``CollectionOp`` and ``OpChanges``); and the one place that decides where a database call runs.

``Ops.run(label, fn, *args)`` calls a review function that returns a ``review.decisions.Change``,
pushes its undo entry under ``label``, shows a ``KnownError`` as the status line (nothing recorded,
the work goes on), says what was done, and emits ``changed(change, initiator)``. Every view that
shows takes subscribes and re-reads what concerns it; no caller has to remember to refresh them.

Where it runs depends on the store. A local project (SQLite) is written on the GUI thread: a few
milliseconds, and the decision is on disk when the key press returns. A team project (PostgreSQL)
may be a network away, where every statement is a round trip: there every write goes to one writer
thread, in the order asked, and reads to the window's pool, so no key press waits on the server.
Decisions that queue up while a write is on its way are made together in one transaction when the
writer comes to them (``batch``: the same step inside a transaction the writer holds), so a fast
reviewer never outruns a slow link; one refused there is tried again alone, so only it fails. The
catalogue's rows of the changed takes are read back by the writer and handed to ``refresh`` before
anyone hears of the change. ``then`` runs with the change once it is made (at once, locally);
``failed`` when it was refused. ``pending_changed`` counts the writes not yet made.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Connection

from reviewer.errors import KnownError
from reviewer.review.catalog import Update, read_update
from reviewer.review.decisions import Change
from reviewer.review.session import UndoEntry, UndoStack
from reviewer.store.db import Project
from reviewer.ui.tasks import Tasks, is_environment_error, message_of

Said = str | Callable[[Change], str] | None
Then = Callable[[Change], None] | None
Failed = Callable[[Exception], None] | None
Batch = Callable[[Connection], Change]


@dataclass
class _Write:
    call: Callable[[], Any]  # the write alone (its own transaction)
    made: Callable[[Any], None]  # on the GUI thread, with what ``call`` returned
    failed: Callable[[Exception], None]
    batch: Batch | None = None  # the same inside a transaction the writer holds
    push: Callable[[Change], None] | None = None  # its undo entry pushed, once made in a batch
    latest: str | None = None  # of the queued writes with this key only the last is made, after the others


class Ops(QObject):
    changed = Signal(object, object)  # Change, initiator (the object that asked, or None)
    pending_changed = Signal(int)  # team mode: writes asked for and not yet made

    def __init__(
        self,
        undo_stack: UndoStack,
        say: Callable[[str], None],
        parent: QObject | None = None,
        project: Project | None = None,
        tasks: Tasks | None = None,
    ) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.say = say
        self.project = project
        self.remote = project is not None and not project.is_sqlite
        self.tasks = tasks if tasks is not None else Tasks(self)
        self.writes = Tasks(self, max_threads=1, on_failure=say)  # team mode: one writer
        self._queue: deque[_Write] = deque()
        self._lock = threading.Lock()
        self._waiting = 0  # asked for, not yet delivered
        self._draining = False
        # the catalogue takes in the changed takes' rows (None: read them now, locally) before any view hears
        self.refresh: Callable[[Change, Update | None], None] | None = None

    @property
    def pending(self) -> int:
        """Writes asked for and not yet made (team mode)."""
        return self._waiting

    # --- the steps ------------------------------------------------------------------------------

    def run(
        self,
        label: str,
        fn: Callable[..., Change],
        *args: Any,
        said: Said = None,
        initiator: object = None,
        verdict: str | None = None,
        page: tuple[list[int], dict[int, list[int]]] | None = None,
        then: Then = None,
        failed: Failed = None,
        batch: Batch | None = None,
        background: bool = False,
    ) -> Change | None:
        """``fn(*args)`` as one undoable step; the change (locally), or None when it was refused (and said
        why) or when it is written in the background (team mode, or ``background``: a long write of a
        local project; ``then`` hears of it). ``verdict`` and ``page`` go on the undo entry (a session's
        counts, a survey page rule's page); ``batch`` is the same step inside the writer's transaction
        (decisions made together)."""
        stack = self.undo_stack  # the reviewer's who asked (a switch meanwhile gets a stack of its own)

        def push(change: Change) -> None:
            if change.event_ids:
                stack.push(UndoEntry(label, change.event_ids, sorted(change.take_ids), verdict, page))

        def made(result: tuple[Change, Update | None]) -> None:
            change, update = result
            self.tell(change, initiator, update)
            text = said(change) if callable(said) else said
            if text:
                self.say(text)
            if then is not None:
                then(change)

        def call() -> tuple[Change, Update | None]:
            change = fn(*args)
            push(change)
            return change, self._read_back(change.take_ids)

        result = self._do(_Write(call, made, lambda exc: self._refused(failed, exc), batch, push), background)
        return result[0] if result is not None else None

    def step(self, undo: bool, then: Callable[[UndoEntry, Change], None]) -> None:
        """Ctrl+Z (``undo``) or Ctrl+Shift+Z through the same path: after the writes asked before it."""
        move = self.undo_stack.undo if undo else self.undo_stack.redo

        def call() -> tuple[UndoEntry, Change, Update | None]:
            entry, change = move()
            return entry, change, self._read_back(change.take_ids)

        def made(result: tuple[UndoEntry, Change, Update | None]) -> None:
            entry, change, update = result
            self.tell(change, None, update)
            then(entry, change)

        self._do(_Write(call, made, lambda exc: self._refused(None, exc)))

    def write(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Failed = None,
        latest: str | None = None,
    ) -> None:
        """A write that is not a review step (where a session stands, claims): after the writes before it.
        ``latest``: a state saved again and again (where the session stands): of those queued with the same
        key only the last is written, after the rest of the queue, so they never split a batch of decisions."""
        refused = partial(self._refused, failed)
        self._do(_Write(partial(fn, *args), done or (lambda _r: None), refused, latest=latest))

    def read(
        self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None], key: str | None = None
    ) -> None:
        """A read the GUI needs: at once locally, in the window's pool in team mode (``key``: a newer read
        with the same key supersedes the older one)."""
        if not self.remote:
            done(fn(*args))
            return
        self.tasks.run(fn, *args, done=done, key=key)

    def tell(self, change: Change, initiator: object = None, update: Update | None = None) -> None:
        """A change made: the catalogue takes it in, then every view hears of it."""
        if self.refresh is not None:
            self.refresh(change, update)
        self.changed.emit(change, initiator)

    def wait(self, msecs: int = 60_000) -> bool:
        """Every write asked for is made (the window closes)."""
        return self.writes.wait(msecs)

    # --- the writer (team mode) --------------------------------------------------------------------

    def _do(self, write: _Write, background: bool = False) -> Any:
        """Locally: made now, on this thread (what ``call`` returned; None if it failed). Team mode, or
        ``background``: queued for the writer (None)."""
        if self.remote or background:
            self._ask(write)
            return None
        try:
            result = write.call()
        except Exception as exc:
            write.failed(exc)
            return None
        write.made(result)
        return result

    def _ask(self, write: _Write) -> None:
        with self._lock:
            self._queue.append(write)
        self._waiting += 1
        self.pending_changed.emit(self._waiting)
        if not self._draining:
            self._draining = True
            self.writes.run(self._drain, done=self._drained)

    def _drain(self) -> list[tuple[_Write, Any, Exception | None]]:
        """(the writer thread) Everything queued, in order; consecutive batchable steps in one commit."""
        with self._lock:
            queued = list(self._queue)
            self._queue.clear()
        last = {w.latest: w for w in queued if w.latest is not None}
        out: list[tuple[_Write, Any, Exception | None]] = [
            (w, None, None) for w in queued if w.latest is not None and last[w.latest] is not w
        ]  # saved again later in the queue: nothing to write
        todo = [w for w in queued if w.latest is None] + list(last.values())
        for batchable, run in itertools.groupby(todo, key=lambda w: w.batch is not None):
            group = list(run)
            out += self._together(group) if batchable and len(group) > 1 else [self._alone(w) for w in group]
        return out

    def _alone(self, write: _Write) -> tuple[_Write, Any, Exception | None]:
        try:
            return write, write.call(), None
        except Exception as exc:
            return write, None, exc

    def _together(self, group: list[_Write]) -> list[tuple[_Write, Any, Exception | None]]:
        assert self.project is not None
        try:
            with self.project.engine.begin() as conn:
                changes = [w.batch(conn) for w in group if w.batch is not None]
        except Exception:  # one of them refused (or the link broke): each alone, so only it fails
            return [self._alone(w) for w in group]
        for write, change in zip(group, changes, strict=True):
            if write.push is not None:
                write.push(change)
        update = self._read_back({t for c in changes for t in c.take_ids})
        return [(write, (change, update), None) for write, change in zip(group, changes, strict=True)]

    def _drained(self, results: list[tuple[_Write, Any, Exception | None]]) -> None:
        self._draining = False
        self._waiting -= len(results)
        bug: Exception | None = None
        for write, result, exc in results:
            try:
                if exc is not None:
                    write.failed(exc)
                else:
                    write.made(result)
            except Exception as raised:  # a bug: the others are still delivered, then it is raised
                bug = bug or raised
        self.pending_changed.emit(self._waiting)
        with self._lock:
            more = bool(self._queue)
        if more and not self._draining:
            self._draining = True
            self.writes.run(self._drain, done=self._drained)
        if bug is not None:
            raise bug

    def _read_back(self, take_ids: set[int]) -> Update | None:
        """The changed takes as the catalogue holds them, read right after the write (None: locally, or
        the read failed: the write stands, and the catalogue reads them in the background)."""
        if not self.remote or self.project is None or not take_ids:
            return None
        try:
            with self.project.engine.connect() as conn:
                return read_update(conn, take_ids)
        except Exception:
            return None

    def _refused(self, failed: Failed, exc: Exception) -> None:
        if not isinstance(exc, KnownError) and not is_environment_error(exc):
            raise exc
        self.say(message_of(exc) if not isinstance(exc, KnownError) else str(exc))
        if failed is not None:
            failed(exc)
