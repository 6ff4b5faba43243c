"""One way to change the project from the GUI, and one broadcast of what changed (Anki's
``CollectionOp`` and ``OpChanges``).

``Ops.run(label, fn, *args)`` calls a review function that returns a ``review.decisions.Change``,
pushes its undo entry under ``label``, shows a ``KnownError`` as the status line (nothing recorded,
the work goes on), says what was done, and emits ``changed(change, initiator)``. Every view that
shows takes subscribes and re-reads what concerns it; no caller has to remember to refresh them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from reviewer.errors import KnownError
from reviewer.review.decisions import Change
from reviewer.review.session import UndoEntry, UndoStack

Said = str | Callable[[Change], str] | None


class Ops(QObject):
    changed = Signal(object, object)  # Change, initiator (the object that asked, or None)

    def __init__(
        self, undo_stack: UndoStack, say: Callable[[str], None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.say = say

    def run(
        self,
        label: str,
        fn: Callable[..., Change],
        *args: Any,
        said: Said = None,
        initiator: object = None,
    ) -> Change | None:
        """``fn(*args)`` as one undoable step; the change, or None when it was refused (and said why)."""
        try:
            change = fn(*args)
        except KnownError as exc:
            self.say(str(exc))
            return None
        if change.event_ids:
            self.undo_stack.push(UndoEntry(label, change.event_ids, sorted(change.take_ids)))
        self.tell(change, initiator)
        text = said(change) if callable(said) else said
        if text:
            self.say(text)
        return change

    def tell(self, change: Change, initiator: object = None) -> None:
        """A change already made (a decision's own path, an undo, a redo): every view hears of it."""
        self.changed.emit(change, initiator)
