"""The contact sheet: a PDF for client approval and AI-content disclosure, drawn with Qt's PDF writer.

One row per take in shot order: poster, filmstrip, shot and name, rating, notes, and the provenance
(generator, model, prompt, seed), and whether the take is AI-generated on what evidence. Every page's
header says how much of the list is generated, by which models, and how many takes rest on no evidence
(``reviewer.export.formats.disclosure_counts``). Text from metadata is drawn as plain text, elided to
its box.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from reviewer import __version__
from reviewer.export.formats import Options, atomic_file, disclosure_counts, rate_label, register_format
from reviewer.export.selection import Clip, Missing, Selection
from reviewer.media import cache

ROW_HEIGHT = 118.0  # points
MARGIN = 28.0


def ensure_gui() -> QGuiApplication:
    """Qt's painter needs an application; from the command line, an offscreen one."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QGuiApplication([])


def write_pdf(selection: Selection, out: Path, options: Options) -> list[Path]:
    ensure_gui()
    with atomic_file(out, options.force) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setTitle(f"{selection.project} - {selection.stage} - contact sheet")
        writer.setCreator(f"Take Reviewer {__version__}")
        writer.setResolution(144)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape, QMarginsF(0, 0, 0, 0)
            )
        )
        painter = QPainter(writer)
        try:
            _draw(painter, writer, selection)
        finally:
            painter.end()
    return [out]


def _draw(painter: QPainter, writer: QPdfWriter, selection: Selection) -> None:
    scale = writer.resolution() / 72.0  # we lay out in points
    painter.scale(scale, scale)
    page = QSizeF(writer.width() / scale, writer.height() / scale)
    rows_per_page = max(1, int((page.height() - 2 * MARGIN - 60) // ROW_HEIGHT))
    entries = entries_of(selection)
    pages = max(1, -(-len(entries) // rows_per_page))
    for number in range(pages):
        if number:
            writer.newPage()
        _header(painter, page, selection, number + 1, pages)
        top = MARGIN + 48
        for k, entry in enumerate(entries[number * rows_per_page : (number + 1) * rows_per_page]):
            rect = QRectF(MARGIN, top + k * ROW_HEIGHT, page.width() - 2 * MARGIN, ROW_HEIGHT - 8)
            if isinstance(entry, Missing):
                _missing_row(painter, rect, entry)
            else:
                _row(painter, rect, entry)


def entries_of(selection: Selection) -> list[Clip | Missing]:
    """The rows in order: for the cut, a shot without a hero has its row where it falls."""
    entries: list[Clip | Missing] = []
    gaps = sorted(selection.missing, key=lambda g: g.before)
    for k, clip in enumerate(selection.clips):
        while gaps and gaps[0].before <= k:
            entries.append(gaps.pop(0))
        entries.append(clip)
    return entries + gaps


def _missing_row(painter: QPainter, rect: QRectF, gap: Missing) -> None:
    painter.setPen(QColor("#cccccc"))
    painter.drawLine(rect.bottomLeft(), rect.bottomRight())
    painter.fillRect(QRectF(rect.x(), rect.y(), 160, 90), QColor("#e8c8c8"))
    _text(painter, QRectF(rect.x() + 168, rect.y(), 300, 14), f"{gap.shot} · no hero yet", 10, bold=True,
          colour="#a01010")  # fmt: skip
    _text(
        painter,
        QRectF(rect.x() + 168, rect.y() + 15, 300, 12),
        f"a gap of {gap.frames} frames in the cut",
        8.5,
    )


def _font(size: float, bold: bool = False) -> QFont:
    """A font ``size`` points tall: the painter is scaled to points, so the size is given in its units."""
    font = QFont()
    font.setPixelSize(max(1, round(size)))
    font.setBold(bold)
    return font


def _text(painter: QPainter, rect: QRectF, text: str, size: float, bold: bool = False, colour: str = "#111111",
          lines: int = 1) -> None:  # fmt: skip
    painter.setFont(_font(size, bold))
    painter.setPen(QColor(colour))
    metrics = painter.fontMetrics()
    line_height = metrics.height()
    words = " ".join(text.split())
    out: list[str] = []
    while words and len(out) < lines:
        if len(out) == lines - 1:
            out.append(metrics.elidedText(words, Qt.TextElideMode.ElideRight, int(rect.width())))
            break
        cut = len(words)
        while cut > 0 and metrics.horizontalAdvance(words[:cut]) > rect.width():
            space = words.rfind(" ", 0, cut)
            cut = space if space > 0 else cut - 1
        out.append(words[:cut])
        words = words[cut:].lstrip()
    for k, line in enumerate(out):
        painter.drawText(QRectF(rect.x(), rect.y() + k * line_height, rect.width(), line_height),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), line)  # fmt: skip


def _header(painter: QPainter, page: QSizeF, selection: Selection, number: int, pages: int) -> None:
    width = page.width() - 2 * MARGIN
    _text(
        painter,
        QRectF(MARGIN, MARGIN, width * 0.7, 20),
        f"{selection.project} — {selection.stage}",
        14,
        bold=True,
    )
    stamp = selection.exported_at.astimezone().strftime("%Y-%m-%d %H:%M")
    _text(painter, QRectF(MARGIN + width * 0.7, MARGIN, width * 0.3, 20), f"{stamp} · page {number} of {pages}", 9,
          colour="#555555")  # fmt: skip
    _text(painter, QRectF(MARGIN, MARGIN + 20, width, 16), disclosure_line(selection), 9, colour="#a01010")


def disclosure_line(selection: Selection) -> str:
    """ "AI-generated content: 3 of 5 takes (Veo 3 ×2, wan2.2); 1 not generated; 1 unknown, 1 without evidence"."""
    counts = disclosure_counts(selection)
    models = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in list(counts["models"].items())[:4])
    more = " and others" if len(counts["models"]) > 4 else ""
    text = f"AI-generated content: {counts['generated']} of {counts['clips']} takes"
    text += f" ({models}{more})" if models else ""
    text += f"; {counts['not_generated']} not generated; {counts['unknown']} unknown"
    return text + f"; {counts['without_evidence']} rest on no evidence (the basis of each is below)."


def _row(painter: QPainter, rect: QRectF, clip: Clip) -> None:
    painter.setPen(QColor("#cccccc"))
    painter.drawLine(rect.bottomLeft(), rect.bottomRight())
    poster = QImage(str(cache.poster_path(clip.content_hash)))
    box = QRectF(rect.x(), rect.y(), 160, 90)
    painter.fillRect(box, QColor("#202020"))
    if not poster.isNull():
        size = poster.size().scaled(box.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(0, 0, size.width(), size.height())
        target.moveCenter(box.center())
        painter.drawImage(target, poster)
    strip = QImage(str(cache.filmstrip_path(clip.content_hash)))
    strip_box = QRectF(rect.x() + 168, rect.y() + 62, 300, 28)
    if not strip.isNull():
        painter.drawImage(strip_box, strip)
    x = rect.x() + 168
    stars = "★" * (clip.rating or 0)
    place = "hero" if clip.verdict == "hero" else f"#{clip.rank}"
    _text(painter, QRectF(x, rect.y(), 300, 14), f"{clip.shot} · {place}", 10, bold=True)
    _text(painter, QRectF(x, rect.y() + 15, 300, 12), clip.name, 8.5)
    _text(painter, QRectF(x, rect.y() + 28, 300, 12),
          f"{clip.verdict} at {clip.stage} {stars}  ·  {clip.width}×{clip.height} {rate_label(clip.rate)} fps  ·  "
          f"{clip.duration} frames" + (f" ({clip.first}–{clip.last})" if clip.duration < clip.frame_count else ""),
          8, colour="#444444")  # fmt: skip
    notes = "  ".join(f"f{n.frame_in}: {n.text}" for n in clip.notes)
    _text(painter, QRectF(x, rect.y() + 41, 300, 20), notes or "no notes", 8, colour="#444444", lines=2)
    px = rect.x() + 480
    pw = rect.width() - 480
    if clip.ai_generated:
        made = clip.ai_made_by or clip.generator or "unknown model"
        label = f"AI-generated · {made} · seed {clip.seed or '—'}"
    else:
        label = "not AI-generated" if clip.ai_generated is False else "AI generation unknown"
    _text(painter, QRectF(px, rect.y(), pw, 14), label, 8.5, bold=True)
    _text(painter, QRectF(px, rect.y() + 14, pw, 12), f"Basis: {clip.ai_basis_text or clip.ai_basis}", 7.5,
          colour="#555555")  # fmt: skip
    _text(painter, QRectF(px, rect.y() + 28, pw, 48), f"Prompt: {clip.prompt or '—'}", 8, lines=4)
    if clip.negative_prompt:
        _text(
            painter,
            QRectF(px, rect.y() + 78, pw, 12),
            f"Negative: {clip.negative_prompt}",
            7.5,
            colour="#555555",
        )


def register() -> None:
    """The ``pdf`` format in the export table (the entry point ``take_reviewer.export_formats``)."""
    register_format("pdf", write_pdf, "contact sheet for approval (.pdf)", ".pdf")
