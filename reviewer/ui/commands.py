"""Commands as actions: keys from the keymap, the cheat sheet, the command palette, the shortcuts editor.

Every command is a QAction on the main window (window-wide shortcut) whose keys come from the keymap
data; rebinding changes the actions in place. Keys without Ctrl/Alt do not fire while a text field
has focus (Qt's line edits claim printable keys through ShortcutOverride; ``TypingGuard`` extends that
to Shift+letter tag keys and to every text entry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer.errors import KnownError
from reviewer.review import keymap as km

Index: TypeAlias = QModelIndex | QPersistentModelIndex


class TypingGuard(QObject):
    """While a text entry has focus, keys without Ctrl/Alt/Meta go to it, never to a shortcut."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            focus = QApplication.focusWidget()
            typing = isinstance(
                focus, QLineEdit | QTextEdit | QPlainTextEdit | QSpinBox | QKeySequenceEdit
            ) or (isinstance(focus, QComboBox) and focus.isEditable())
            if isinstance(focus, QTextEdit | QPlainTextEdit) and focus.isReadOnly():
                typing = False
            mods = event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier
                | Qt.KeyboardModifier.AltModifier
                | Qt.KeyboardModifier.MetaModifier
            )
            if typing and not mods and event.key() not in (Qt.Key.Key_Escape, Qt.Key.Key_Up, Qt.Key.Key_Down):
                event.accept()
                return True
        return False


class Commands(QObject):
    """The window's commands: id -> QAction, with keys from the (user's) keymap."""

    def __init__(self, window: QWidget, keymap: dict[str, list[str]]) -> None:
        super().__init__(window)
        self.window = window
        self.keymap = dict(keymap)
        self.actions: dict[str, QAction] = {}

    def add(self, command: str, handler: Callable[[], Any], title: str | None = None) -> QAction:
        action = QAction(title or km.title(command), self.window)
        action.setObjectName(command)
        action.setShortcuts([QKeySequence(k) for k in self.keymap.get(command, [])])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setAutoRepeat(command.startswith("player.") or command.startswith("queue."))
        action.triggered.connect(lambda _checked=False: handler())
        self.window.addAction(action)
        self.actions[command] = action
        return action

    def keys(self, command: str) -> list[str]:
        return self.keymap.get(command, [])

    def rebind(self, keymap: dict[str, list[str]]) -> None:
        self.keymap = dict(keymap)
        for command, action in self.actions.items():
            action.setShortcuts([QKeySequence(k) for k in keymap.get(command, [])])

    def trigger(self, command: str) -> None:
        action = self.actions.get(command)
        if action is not None and action.isEnabled():
            action.trigger()


def native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


class CommandModel(QAbstractListModel):
    """Every command with its keys, for the palette."""

    def __init__(self, commands: Commands) -> None:
        super().__init__()
        self.commands = commands
        self.ids = sorted(commands.actions, key=lambda c: (km.category(c), km.title(c)))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.ids):
            return None
        command = self.ids[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            keys = ", ".join(native(k) for k in self.commands.keys(command))
            return f"{km.category(command)}: {km.title(command)}" + (f"    {keys}" if keys else "")
        if role == Qt.ItemDataRole.UserRole:
            return command
        return None


class CommandPalette(QDialog):
    """Ctrl+Shift+P: type to find any command, Enter runs it."""

    def __init__(self, commands: Commands, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Commands")
        self.setObjectName("command-palette")
        self.commands = commands
        self.model = CommandModel(commands)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Type a command…")
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.entry.textChanged.connect(self._filter)
        self.entry.returnPressed.connect(self._run_current)
        self.list.activated.connect(lambda _ix: self._run_current())
        self.entry.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.entry)
        layout.addWidget(self.list)
        self.resize(560, 420)
        self._filter("")

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.entry
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
        ):
            row = self.list.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.proxy.rowCount():
                self.list.setCurrentIndex(self.proxy.index(row, 0))
            return True
        return super().eventFilter(watched, event)

    def _run_current(self) -> None:
        index = self.list.currentIndex()
        if not index.isValid():
            return
        command = index.data(Qt.ItemDataRole.UserRole)
        self.accept()
        self.commands.trigger(command)


class CheatSheet(QDialog):
    """``?``: every command and its keys, by category."""

    def __init__(self, commands: Commands, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard")
        self.setObjectName("cheat-sheet")
        tree = QTreeWidget()
        tree.setHeaderLabels(["Command", "Keys"])
        tree.setRootIsDecorated(False)
        groups: dict[str, QTreeWidgetItem] = {}
        for command in sorted(commands.actions, key=lambda c: (km.category(c), km.title(c))):
            cat = km.category(command)
            if cat not in groups:
                groups[cat] = QTreeWidgetItem(tree, [cat, ""])
                font = groups[cat].font(0)
                font.setBold(True)
                groups[cat].setFont(0, font)
            QTreeWidgetItem(
                groups[cat], [km.title(command), "  ".join(native(k) for k in commands.keys(command)) or "—"]
            )
        tree.expandAll()
        tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree = tree
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tree)
        layout.addWidget(buttons)
        self.resize(620, 720)


class ShortcutEditor(QDialog):
    """Rebind any command; conflicts are shown and block saving; reset one or all to the defaults."""

    def __init__(self, commands: Commands, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcut-editor")
        self.commands = commands
        self.keymap = {c: list(k) for c, k in commands.keymap.items()}
        self.ids = sorted(commands.actions, key=lambda c: (km.category(c), km.title(c)))
        self.table = QTableWidget(len(self.ids), 2)
        self.table.setHorizontalHeaderLabels(["Command", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.editor = QKeySequenceEdit()
        self.editor.setMaximumSequenceLength(1)
        set_button = QPushButton("Add key")
        clear_button = QPushButton("Remove keys")
        reset_button = QPushButton("Reset")
        reset_all = QPushButton("Reset all")
        set_button.clicked.connect(self._add_key)
        clear_button.clicked.connect(self._clear)
        reset_button.clicked.connect(self._reset)
        reset_all.clicked.connect(self._reset_all)
        self.problem = QLabel()
        self.problem.setObjectName("conflicts")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #e06c5a;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        for w in (self.editor, set_button, clear_button, reset_button, reset_all):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(640, 720)
        self._fill()
        self.table.selectRow(0)

    def _fill(self) -> None:
        for r, command in enumerate(self.ids):
            self.table.setItem(r, 0, QTableWidgetItem(f"{km.category(command)}: {km.title(command)}"))
            self.table.setItem(
                r, 1, QTableWidgetItem("  ".join(native(k) for k in self.keymap.get(command, [])))
            )
        clashes = km.conflicts(self.keymap)
        lines = [
            f"{native(key)} is bound to {' and '.join(km.title(c) for c in cs)}"
            for key, cs in clashes.items()
        ]
        self.problem.setText("\n".join(lines))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        assert save is not None
        save.setEnabled(not clashes)

    def _command(self) -> str | None:
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def set_key(self, command: str, key: str) -> None:
        keys = self.keymap.setdefault(command, [])
        if key and key not in keys:
            keys.append(key)
        self._fill()

    def _add_key(self) -> None:
        command = self._command()
        key = self.editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if command and key:
            self.set_key(command, key)
        self.editor.clear()

    def _clear(self) -> None:
        command = self._command()
        if command:
            self.keymap[command] = []
            self._fill()

    def _reset(self) -> None:
        command = self._command()
        if command:
            self.keymap[command] = list(km.default_keymap().get(command, []))
            self._fill()

    def _reset_all(self) -> None:
        defaults = km.default_keymap()
        self.keymap = {c: list(defaults.get(c, [])) for c in self.keymap}
        self._fill()

    def save(self) -> None:
        try:
            km.save_keymap(self.keymap)
        except KnownError as exc:
            self.problem.setText(str(exc))
            return
        self.commands.rebind(self.keymap)
        self.accept()
