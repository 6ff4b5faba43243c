"""The tagging panel: verdict, stars, tags, notes, shot, provenance and history of the current take.

Everything from metadata is shown as plain text (labels set to PlainText, list items), never as rich
text: prompts are untrusted input. Long texts are cut with a "Show all" switch. The panel only
emits what the reviewer asked for; the window records the decision and refreshes the panel.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reviewer.media.analysis import FINDING_NAMES, describe
from reviewer.review.decisions import HistoryEntry, Note
from reviewer.ui.text import tip
from reviewer.untrusted import for_terminal

ELIDE_AT = 240
_LONG_RUN = re.compile(r"\S{24,}")


EVIDENCE = "evidence"
DECLARE_CHOICES = (
    ("As the evidence says", EVIDENCE),
    ("Declare: AI-generated", "yes"),
    ("Declare: not AI-generated", "no"),
    ("Declare: unknown", "unknown"),
)


def breakable(text: str) -> str:
    """Long unbroken runs (paths, hashes, JSON) get break opportunities so a narrow panel can wrap them."""
    return _LONG_RUN.sub(lambda m: re.sub(r"([/_\-.,:])", "\\1\u200b", m.group(0)), text)


def plain_label(text: str = "", object_name: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


class LongText(QWidget):
    """Plain text cut at ``ELIDE_AT`` characters, with a switch to show all of it."""

    def __init__(self, object_name: str) -> None:
        super().__init__()
        self.full = ""
        self.label = plain_label(object_name=object_name)
        self.more = QToolButton()
        self.more.setText("Show all")
        self.more.setCheckable(True)
        self.more.toggled.connect(self._show)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignRight)

    def set_text(self, text: str) -> None:
        self.full = text
        self.more.setChecked(False)
        self.more.setVisible(len(text) > ELIDE_AT)
        self._show(False)

    def _show(self, everything: bool) -> None:
        text = self.full
        if not everything and len(text) > ELIDE_AT:
            text = text[:ELIDE_AT].rstrip() + "…"
        self.label.setText(breakable(text) or "—")
        self.more.setText("Show less" if everything else "Show all")


class TaggingPanel(QScrollArea):
    verdict = Signal(str)
    rating = Signal(int)
    tag_toggled = Signal(str, bool)
    tag_added = Signal(str)
    note_added = Signal(str)
    shot_chosen = Signal(str)
    ai_declared = Signal(str, str)  # yes / no / unknown / evidence, and why

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("tagging")
        self.setWidgetResizable(True)
        self.take: dict[str, Any] | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)

        self.title = plain_label(object_name="take-title")
        self.status = plain_label(object_name="take-status")
        self.votes = plain_label(object_name="take-votes")  # blind votes at a voted stage
        self.votes.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.votes)

        verdicts = QHBoxLayout()
        self.verdict_buttons: dict[str, QPushButton] = {}
        for verdict, label in (("keep", "Keep  P"), ("reject", "Reject  X"), ("clear", "Clear  U")):
            button = QPushButton(label)
            button.setObjectName(f"verdict-{verdict}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, v=verdict: self.verdict.emit(v))
            verdicts.addWidget(button)
            self.verdict_buttons[verdict] = button
        layout.addLayout(verdicts)

        stars = QHBoxLayout()
        self.star_buttons: list[QToolButton] = []
        for r in range(6):
            star = QToolButton()
            star.setText("✕" if r == 0 else "★")
            star.setToolTip("No stars (0)" if r == 0 else f"{r} star{'s' if r > 1 else ''} ({r})")
            star.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            star.setObjectName(f"star-{r}")
            star.clicked.connect(lambda _=False, v=r: self.rating.emit(v))
            stars.addWidget(star)
            self.star_buttons.append(star)
        stars.addStretch(1)
        layout.addLayout(stars)

        tags_box = QGroupBox("Tags")
        tags_layout = QVBoxLayout(tags_box)
        self.chip_grid = QGridLayout()
        self.chip_grid.setSpacing(4)
        tags_layout.addLayout(self.chip_grid)
        self.chips: dict[str, QToolButton] = {}
        self.tag_entry = QLineEdit()
        self.tag_entry.setObjectName("tag-entry")
        self.tag_entry.setPlaceholderText("Add a tag…  (T)")
        self.chip_grid.setColumnStretch(0, 1)
        self.chip_grid.setColumnStretch(1, 1)
        self.completion = QStringListModel()
        completer = QCompleter(self.completion, self.tag_entry)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.tag_entry.setCompleter(completer)
        self.tag_entry.returnPressed.connect(self._add_tag)
        tags_layout.addWidget(self.tag_entry)
        layout.addWidget(tags_box)

        notes_box = QGroupBox("Notes")
        notes_layout = QVBoxLayout(notes_box)
        self.notes = QListWidget()
        self.notes.setObjectName("notes")
        self.notes.setMaximumHeight(110)
        self.notes.setWordWrap(True)
        self.note_entry = QLineEdit()
        self.note_entry.setObjectName("note-entry")
        self.note_entry.setPlaceholderText("Note at the current frame or in-out range…  (N)")
        self.note_entry.returnPressed.connect(self._add_note)
        notes_layout.addWidget(self.notes)
        notes_layout.addWidget(self.note_entry)
        layout.addWidget(notes_box)

        shot_row = QHBoxLayout()
        shot_row.addWidget(QLabel("Shot"))
        self.shot = QComboBox()
        self.shot.setObjectName("shot")
        self.shot.setEditable(True)
        self.shot.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.shot.setToolTip("Move the take to another shot (type a new code to create one)")
        lineedit = self.shot.lineEdit()
        assert lineedit is not None
        lineedit.returnPressed.connect(self._shot_entered)
        self.shot.activated.connect(lambda _i: self._shot_entered())
        shot_row.addWidget(self.shot, 1)
        layout.addLayout(shot_row)

        self.findings_box = QGroupBox("Findings")
        findings_layout = QVBoxLayout(self.findings_box)
        self.findings = plain_label(object_name="findings")
        self.findings.setTextFormat(Qt.TextFormat.RichText)
        findings_layout.addWidget(self.findings)
        layout.addWidget(self.findings_box)

        self.ai_box = QGroupBox("AI disclosure")
        ai_layout = QVBoxLayout(self.ai_box)
        self.ai_basis = plain_label(object_name="ai-basis")
        self.ai_basis.setToolTip(
            tip("Whether the take is AI-generated, and on what evidence (see the README)")
        )
        ai_layout.addWidget(self.ai_basis)
        declare_row = QHBoxLayout()
        self.ai_choice = QComboBox()
        self.ai_choice.setObjectName("ai-declare")
        self.ai_choice.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for label, value in DECLARE_CHOICES:
            self.ai_choice.addItem(label, value)
        self.ai_choice.setToolTip(
            tip("Declare it yourself where the file has no evidence (logged: who, when, why)")
        )
        self.ai_why = QLineEdit()
        self.ai_why.setObjectName("ai-why")
        self.ai_why.setPlaceholderText("why (optional)")
        declare_row.addWidget(self.ai_choice, 1)
        declare_row.addWidget(self.ai_why, 1)
        ai_layout.addLayout(declare_row)
        self.ai_choice.activated.connect(self._declare)
        layout.addWidget(self.ai_box)

        prov = QGroupBox("Provenance")
        form = QFormLayout(prov)
        self.generator = plain_label(object_name="generator")
        self.model = plain_label(object_name="model")
        self.seed = plain_label(object_name="seed")
        self.prompt = LongText("prompt")
        self.negative = LongText("negative-prompt")
        self.params = LongText("params")
        self.media = plain_label(object_name="media")
        form.addRow("Generator", self.generator)
        form.addRow("Model", self.model)
        form.addRow("Seed", self.seed)
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)
        form.addRow("Parameters", self.params)
        form.addRow("Media", self.media)
        layout.addWidget(prov)

        history_box = QGroupBox("History")
        history_layout = QVBoxLayout(history_box)
        self.history = QListWidget()
        self.history.setObjectName("history")
        self.history.setWordWrap(True)
        history_layout.addWidget(self.history)
        layout.addWidget(history_box, 1)
        self.setWidget(body)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = body
        self.show_take(None)

    # --- filling -----------------------------------------------------------------------------

    def set_vocabulary(
        self, defect_tags: Sequence[str], all_tags: Sequence[str], shots: Sequence[str]
    ) -> None:
        for chip in self.chips.values():
            chip.deleteLater()
        self.chips = {}
        for k, name in enumerate(defect_tags):
            chip = QToolButton()
            chip.setText(name)
            chip.setCheckable(True)
            chip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            chip.setObjectName("chip")
            chip.clicked.connect(lambda checked, n=name: self.tag_toggled.emit(n, checked))
            self.chip_grid.addWidget(chip, k // 2, k % 2)
            self.chips[name] = chip
        self.completion.setStringList(sorted(set(all_tags), key=str.lower))
        current = self.shot.currentText()
        self.shot.blockSignals(True)
        self.shot.clear()
        self.shot.addItems(list(shots))
        self.shot.setCurrentText(current)
        self.shot.blockSignals(False)

    def sizeHint(self) -> QSize:
        return QSize(self._min_width() + 40, 700)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._min_width(), 200)

    def _min_width(self) -> int:
        """As wide as the buttons and chips need: narrower, and they would be cut off at the right."""
        return self.body.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 4

    def set_chip_keys(self, keys: dict[str, str]) -> None:
        for name, chip in self.chips.items():
            key = keys.get(name)
            chip.setToolTip(tip(f"{name}  ({key})" if key else name))

    def show_take(self, take: dict[str, Any] | None) -> None:
        self.take = take
        enabled = take is not None
        for w in (
            *self.verdict_buttons.values(),
            *self.star_buttons,
            self.tag_entry,
            self.note_entry,
            self.shot,
            self.ai_choice,
            self.ai_why,
        ):
            w.setEnabled(enabled)
        if take is None:
            self.title.setText("No take")
            self.status.setText("")
            for chip in self.chips.values():
                chip.setChecked(False)
            self.notes.clear()
            self.history.clear()
            for label in (self.generator, self.model, self.seed, self.media):
                label.setText("—")
            self.findings.setText("")
            self.findings_box.hide()
            self.ai_basis.setText("—")
            for long in (self.prompt, self.negative, self.params):
                long.set_text("")
            return
        self.title.setText(breakable(for_terminal(take["name"])))
        self.title.setToolTip(tip(for_terminal(take.get("path", ""))))
        verdict = take.get("verdict")
        where = f"{take['stage']}: {verdict}" if verdict else f"{take['stage']}: to review"
        if take.get("stage_position", 0) > 0 and not verdict:
            where += " (kept at the stage before)"
        self.status.setText(where)
        rating = take.get("rating")
        for r, button in enumerate(self.star_buttons):
            button.setProperty("lit", rating is not None and r > 0 and r <= rating)
            button.setStyleSheet("color: #e3c14b;" if rating is not None and 0 < r <= rating else "")
        tags = set(take.get("tags") or [])
        for name, chip in self.chips.items():
            chip.setChecked(name in tags)
        extra = sorted(tags - set(self.chips))
        self.tag_entry.setPlaceholderText(
            ("Also: " + ", ".join(extra) + "  ·  add…") if extra else "Add a tag…  (T)"
        )
        self.shot.blockSignals(True)
        self.shot.setCurrentText(take.get("shot") or "")
        self.shot.blockSignals(False)
        self.generator.setText(breakable(take.get("generator") or "—"))
        self.model.setText(breakable(take.get("model") or "—"))
        self.seed.setText(breakable(str(take.get("seed") or "—")))
        self.prompt.set_text(take.get("prompt") or "")
        self.negative.set_text(take.get("negative_prompt") or "")
        params = take.get("params") or {}
        self.params.set_text(json.dumps(params, ensure_ascii=False, sort_keys=True) if params else "")
        self.show_findings(take.get("signals"))
        self.show_disclosure(take)
        fps = take.get("fps", "")
        self.media.setText(
            f"{take.get('width')}×{take.get('height')} · {take.get('video_codec')} · {fps} fps · "
            f"{take.get('frame_count')} frames{' · sound' if take.get('has_audio') else ''}\n"
            + breakable(str(take.get("path", "")))
        )

    def show_disclosure(self, take: dict[str, Any]) -> None:
        """Generated or not, on what basis, in plain text; the choice shows the declaration in effect."""
        ai = take.get("ai_generated")
        word = "AI-generated" if ai else "Not AI-generated" if ai is False else "Unknown"
        basis = take.get("ai_basis_text") or take.get("ai_basis") or ""
        self.ai_basis.setText(breakable(for_terminal(f"{word} — {basis}" if basis else word)))
        declared = (take.get("declaration") or {}).get("ai")
        k = self.ai_choice.findData(declared if declared else EVIDENCE)
        self.ai_choice.setCurrentIndex(max(0, k))

    def _declare(self, index: int) -> None:
        value = self.ai_choice.itemData(index)
        if self.take is not None and value:
            self.ai_declared.emit(str(value), self.ai_why.text().strip())
            self.ai_why.clear()

    def show_findings(self, signals: dict[str, Any] | None) -> None:
        """What the analysis found and why: the reasons the take looks broken, what is worth a look,
        and facts (held pictures, dark, sound); hidden when there is nothing (or no analysis yet)."""
        found = describe(signals)
        if not found:
            self.findings.setText("")
            self.findings_box.hide()
            return
        heads = {
            "broken": ("Looks broken", "#e06c5f"),
            "look": ("Worth a look", "#e3c14b"),
            "info": ("Also", "#9aa4b2"),
        }
        lines = []
        for group, name, evidence in found:
            head, colour = heads[group]
            lines.append(
                f"<span style='color:{colour}'><b>{head}: {html.escape(FINDING_NAMES.get(name, name))}</b></span>"
                f"<br><span style='color:#b8b8b8'>{html.escape(evidence)}</span>"
            )
        self.findings.setText("<br>".join(lines))
        self.findings_box.show()

    def show_votes(self, text: str) -> None:
        self.votes.setText(text)
        self.votes.setVisible(bool(text))

    def show_notes(self, notes: Sequence[Note]) -> None:
        self.notes.clear()
        for note in notes:
            where = ""
            if note.frame_in is not None:
                where = f"f{note.frame_in}" + (
                    f"–{note.frame_out}" if note.frame_out not in (None, note.frame_in) else ""
                )
            self.notes.addItem(QListWidgetItem(f"{where} · {note.reviewer}: {note.text}".lstrip(" ·")))

    def show_history(self, entries: Sequence[HistoryEntry]) -> None:
        self.history.clear()
        for e in entries:
            stamp = e.at.astimezone().strftime("%d %b %H:%M")
            item = QListWidgetItem(f"{stamp} · {e.reviewer}@{e.workstation}: {e.text}")
            if e.undone:
                font = item.font()
                font.setStrikeOut(True)
                item.setFont(font)
                item.setToolTip("undone")
            self.history.addItem(item)

    # --- entry -------------------------------------------------------------------------------

    def _add_tag(self) -> None:
        text = " ".join(self.tag_entry.text().split())
        self.tag_entry.clear()
        if text:
            self.tag_added.emit(text)

    def _add_note(self) -> None:
        text = self.note_entry.text().strip()
        self.note_entry.clear()
        if text:
            self.note_added.emit(text)

    def _shot_entered(self) -> None:
        code = self.shot.currentText().strip()
        if self.take is not None and code and code != (self.take.get("shot") or ""):
            self.shot_chosen.emit(code)
