"""The family of a take, one key away (A): its parent, its siblings (the same prompt family: other seeds,
small prompt edits) and its children, each with what differs from the take and its prompt marked word
by word as in compare. Enter or a double click goes to that take; "Show in the browser" filters the
browser to the family, where every decision key works as usual; the parent can be set by hand."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QPushButton,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from reviewer.review.family import FamilyView, Member, load_family, set_parent_by_hand
from reviewer.store import queries
from reviewer.ui.text import plain_label
from reviewer.untrusted import for_terminal

VERDICT_COLOURS = {"keep": "#7fc97f", "reject": "#e06c6c"}


def marked_prompt(member: Member) -> str:
    """The prompt as rich text, the words that differ from the take's marked (everything escaped)."""
    return "".join(
        f"<span style='background:#6b4f00'>{html.escape(p.text)}</span>" if p.changed else html.escape(p.text)
        for p in member.prompt_diff
    )


class FamilyDialog(QDialog):
    def __init__(self, window: Any, view: FamilyView) -> None:
        super().__init__(window)
        self.w = window
        self.setWindowTitle("Family")
        self.setObjectName("family")
        self.resize(900, 620)
        self.header = plain_label()
        self.header.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("family-tree")
        self.tree.setColumnCount(6)
        self.tree.setHeaderLabels(["Take", "Shot", "Stage", "Verdict", "Seed", "What differs"])
        self.tree.setRootIsDecorated(True)
        self.tree.itemActivated.connect(self._go)
        self.tree.currentItemChanged.connect(self._show_member)
        self.detail = QTextBrowser()
        self.detail.setObjectName("family-detail")
        self.detail.setOpenLinks(False)
        browse = QPushButton("Show in the browser")
        browse.clicked.connect(self.show_in_browser)
        parent = QPushButton("Set parent…")
        parent.clicked.connect(self.ask_parent)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(browse, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(parent, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.tree, 3)
        layout.addWidget(self.detail, 2)
        layout.addWidget(buttons)
        self.view = view
        self.show_view(view)

    def show_view(self, view: FamilyView) -> None:
        self.view = view
        t = view.take
        family = (
            f"Prompt family of {view.size} takes: {view.kept} kept, {view.rejected} rejected"
            if view.family_id is not None
            else "No prompt family (no prompt in the file)"
        )
        self.header.setText(for_terminal(f"{t.name} (take {t.id}) — {family}"))
        self.tree.clear()
        groups = [("Parent", [view.parent] if view.parent else []), ("Siblings", view.siblings),
                  ("Children", view.children)]  # fmt: skip
        first: QTreeWidgetItem | None = None
        for title, members in groups:
            head = QTreeWidgetItem([f"{title} ({len(members)})"])
            head.setFlags(head.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(head)
            if title == "Parent" and not members and view.parent_ref:
                head.addChild(
                    QTreeWidgetItem([for_terminal(f"named but not in the project: {view.parent_ref}")])
                )
            for member in members:
                item = QTreeWidgetItem(self._row(member))
                item.setData(0, Qt.ItemDataRole.UserRole, member.id)
                colour = VERDICT_COLOURS.get(member.verdict or "")
                if colour:
                    item.setForeground(3, _brush(colour))
                head.addChild(item)
                first = first or item
            head.setExpanded(True)
        for column in range(5):
            self.tree.resizeColumnToContents(column)
        if first is not None:
            self.tree.setCurrentItem(first)
        else:
            self._show_member(None, None)
        self.tree.setFocus()

    @staticmethod
    def _row(member: Member) -> list[str]:
        basis = f" ({member.basis})" if member.basis else ""
        differs = ", ".join(member.differs) or "nothing"
        if member.same_graph and member.differs:
            differs += " · same graph"
        return [for_terminal(f"{member.id} {member.name}{basis}"), for_terminal(member.shot or "-"),
                for_terminal(member.stage), member.verdict or "-", for_terminal(member.seed or "-"),
                for_terminal(differs)]  # fmt: skip

    def _member(self, take_id: int | None) -> Member | None:
        v = self.view
        for member in [v.parent, *v.siblings, *v.children]:
            if member is not None and member.id == take_id:
                return member
        return None

    def _show_member(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        t = self.view.take
        mine = html.escape(for_terminal(t.prompt or "(no prompt)"))
        member = self._member(item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None)
        if member is None:
            self.detail.setHtml(f"<b>This take's prompt</b><br>{mine}")
            return
        negative = html.escape(for_terminal(member.negative_prompt or "-"))
        params = ", ".join(f"{k} {v}" for k, v in sorted(member.params.items()) if k in member.differs)
        self.detail.setHtml(
            f"<b>{html.escape(for_terminal(member.name))}</b> — words not in this take's prompt marked<br>"
            f"{marked_prompt(member)}<br><br><b>Negative</b> {negative}"
            + (f"<br><b>Parameters that differ</b> {html.escape(for_terminal(params))}" if params else "")
            + f"<br><br><b>This take's prompt</b><br>{mine}"
        )

    def _go(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        take_id = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(take_id, int):
            self.accept()
            self.w.listing.reveal(take_id, self.family_ids())

    def family_ids(self) -> list[int]:
        v = self.view
        return [v.take.id, *([v.parent.id] if v.parent else []), *(m.id for m in v.siblings),
                *(m.id for m in v.children)]  # fmt: skip

    def show_in_browser(self) -> None:
        self.accept()
        self.w.listing.set_filter(queries.TakeFilter(ids=tuple(self.family_ids())))
        self.w.listing.say(f"The family of {self.view.take.name}: {len(self.family_ids())} takes")

    def ask_parent(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Parent", "The take this one was made from (an id or a unique file name; empty: none):"
        )
        if not ok:
            return
        w = self.w
        try:
            view = set_parent_by_hand(w.project, self.view.take.id, text.strip() or None, w.reviewer)
        except (LookupError, ValueError) as exc:
            w.listing.say(f"Parent not set: {exc}")
            return
        self.show_view(view)


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))


def show_family(window: Any) -> None:
    """(A) The family of the current take, read in the background in team mode."""
    take_id = window.listing.current_id
    if take_id is None:
        window.listing.say("No take to show the family of")
        return
    window.ops.read(load_family, window.project, take_id,
                    done=lambda view: FamilyDialog(window, view).open(), key="family")  # fmt: skip
