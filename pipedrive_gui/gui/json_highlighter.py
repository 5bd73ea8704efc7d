"""Colours JSON text (keys, strings, numbers, literals) and underlines a parse error.

Driven by a small table of rules; every colour comes from the widget's palette so it reads in light
and dark themes, and is re-picked when the palette changes.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QWidget

# (name, pattern). Later rules win where they overlap, so keys are matched after strings.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b")),
    ("literal", re.compile(r"\b(?:true|false|null)\b")),
    ("string", re.compile(r'"(?:[^"\\]|\\.)*"')),
    ("key", re.compile(r'"(?:[^"\\]|\\.)*"(?=\s*:)')),
    ("directive", re.compile(r'"@[A-Za-z]+"(?=\s*:)')),
)


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._error: tuple[int, int] | None = None  # (block number, column) both 0-based
        self.set_palette(palette)

    def set_palette(self, palette: QPalette) -> None:
        def fmt(role: QPalette.ColorRole, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(palette.color(role))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            f.setFontItalic(italic)
            return f

        self._formats = {
            "key": fmt(QPalette.ColorRole.Link, bold=True),
            "directive": fmt(QPalette.ColorRole.Highlight, bold=True),
            "string": fmt(QPalette.ColorRole.LinkVisited),
            "number": fmt(QPalette.ColorRole.Highlight),
            "literal": fmt(QPalette.ColorRole.Highlight, italic=True),
        }
        self.rehighlight()

    def format_for(self, name: str) -> QTextCharFormat:
        return self._formats[name]

    def set_error(self, line: int | None, column: int | None) -> None:
        """Underline the character at 1-based ``line``/``column`` (None clears)."""
        new = None if line is None else (max(0, line - 1), max(0, (column or 1) - 1))
        if new != self._error:
            self._error = new
            self.rehighlight()

    def _set(self, start: int, count: int, fmt: QTextCharFormat) -> None:
        # (PySide6 6.12 drops a reference to None per call; see gui/pyside_workarounds.py.)
        self.setFormat(start, count, fmt)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for name, pattern in RULES:
            fmt = self._formats[name]
            for m in pattern.finditer(text):
                self._set(m.start(), m.end() - m.start(), fmt)
        if self._error and self._error[0] == self.currentBlock().blockNumber():
            column = min(self._error[1], max(0, len(text) - 1))
            colour = self._formats["directive"].foreground().color()
            # From the error to the end of the line: the bad token and what follows it.
            for i in range(column, max(column + 1, len(text))):
                f = QTextCharFormat(self.format(i))
                f.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                f.setUnderlineColor(colour)
                self._set(i, 1, f)


class PaletteFollower(QObject):
    """Re-colours a highlighter when its editor's palette changes (light/dark switch)."""

    def __init__(self, editor: QWidget, highlighter: JsonHighlighter) -> None:
        super().__init__(editor)
        self._highlighter = highlighter
        editor.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.PaletteChange and isinstance(obj, QWidget):
            self._highlighter.set_palette(obj.palette())
        return False


def highlight_json(editor: QPlainTextEdit) -> JsonHighlighter:
    """Attach a JSON highlighter to ``editor`` that follows its palette."""
    highlighter = JsonHighlighter(editor.document(), editor.palette())
    PaletteFollower(editor, highlighter)
    return highlighter
