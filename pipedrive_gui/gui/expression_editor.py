"""The *Advanced (mapping kit)* editor: any mapping-kit expression as JSON, validated as you type
(``core.field_values.parse_expression`` says why Segment would refuse it, and where)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from pipedrive_gui.core.actions import FieldDef
from pipedrive_gui.core.field_values import UNSET, ExpressionError, parse_expression
from pipedrive_gui.gui.json_highlighter import highlight_json


class AdvancedEditor(QWidget):
    """A mapping-kit expression as JSON: highlighted, parsed and validated as you type.

    An invalid text is kept (the value stays the last valid one) and the problem is shown with its
    line and column, underlined in the text.
    """

    edited = Signal()

    def __init__(self, field: FieldDef) -> None:
        super().__init__()
        self.field = field
        self.text = QPlainTextEdit()
        self.text.setAccessibleName(f"{field.label}: mapping-kit expression (JSON)")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        self.text.setMaximumHeight(self.fontMetrics().lineSpacing() * 10)
        self.highlighter = highlight_json(self.text)
        self.problem = QLabel()
        self.problem.setObjectName("expressionProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self._value: Any = None
        self.valid = True
        self.text.textChanged.connect(self._changed)
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.problem)

    def set_value(self, value: Any) -> None:
        self._loading = True
        self._value = None if value is UNSET else value
        self.text.setPlainText(json.dumps(self._value, indent=2, ensure_ascii=False))
        self._loading = False
        self._check()

    def value(self) -> Any:
        return self._value

    def _changed(self) -> None:
        if self._loading:
            return
        if self._check():
            self.edited.emit()

    def _check(self) -> bool:
        try:
            self._value = parse_expression(self.field.key, self.text.toPlainText())
        except ExpressionError as exc:
            self._show(exc.user_message, exc.line, exc.column)
            return False
        self._show("", None, None)
        return True

    def _show(self, text: str, line: int | None, column: int | None) -> None:
        self.valid = not text
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.highlighter.set_error(line, column)
