"""The trigger of a mapping: a condition builder (event type, event name, property / trait /
context conditions, all/any) and the FQL it stands for, which can also be typed directly.

FQL the builder cannot show (nested groups, operators Segment's builder never writes) stays as
text, with a note; a typing error keeps what was typed and says where the problem is.

Signals:
    fql_edited(str): the trigger text after a user edit (builder or FQL box).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.triggers import (
    ALLOWED_OPERATORS,
    EVENT_TYPES,
    KIND_LABELS,
    MATCH_ALL,
    MATCH_ANY,
    OPERATOR_LABELS,
    Condition,
    FqlSyntaxError,
    TriggerModel,
    fql_from_model,
    model_from_fql,
    parse_fql,
)
from pipedrive_gui.core.triggers.model import event_value_text
from pipedrive_gui.core.triggers.nodes import EVENT_TYPE, NUMERIC_OPERATORS, PATH_KINDS, VALUELESS_OPERATORS

_NAME_HINTS = {
    "event-property": "property name, e.g. plan or order.total",
    "event-trait": "trait name, e.g. email",
    "event-context": "context field, e.g. page.path",
}


def _compact(combo: QComboBox, chars: int = 8) -> QComboBox:
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


class ConditionRow:
    """The widgets of one condition, on one line of the builder."""

    def __init__(self, builder: TriggerBuilder, condition: Condition) -> None:
        self.kind = _compact(QComboBox(), 10)
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.setAccessibleName("Condition field")
        self.name = QLineEdit()
        self.name.setAccessibleName("Field name")
        self.operator = _compact(QComboBox(), 6)
        self.operator.setAccessibleName("Operator")
        self.value = _compact(QComboBox(), 8)
        self.value.setEditable(True)
        self.value.setAccessibleName("Value")
        self.value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setAccessibleName("Remove condition")
        self.remove.setToolTip("Remove this condition")
        self.holder: QWidget | None = None
        self._builder = builder
        self.load(condition)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.operator.currentIndexChanged.connect(self._operator_changed)
        self.name.textEdited.connect(lambda _: builder._rows_edited())
        self.value.editTextChanged.connect(lambda _: builder._rows_edited())

    def widgets(self) -> list[QWidget]:
        return [self.kind, self.name, self.operator, self.value, self.remove]

    def load(self, c: Condition) -> None:
        for w in self.widgets():
            w.blockSignals(True)
        self.kind.setCurrentIndex(max(0, self.kind.findData(c.kind)))
        self.name.setText(c.name)
        self._fill_operators(c.kind, c.operator)
        self._fill_values(c.kind)
        self.value.setEditText(event_value_text(c.value))
        self._update_visibility()
        for w in self.widgets():
            w.blockSignals(False)

    def _fill_operators(self, kind: str, current: str) -> None:
        self.operator.clear()
        for op in ALLOWED_OPERATORS.get(kind, ("=",)):
            self.operator.addItem(OPERATOR_LABELS.get(op, op), op)
        self.operator.setCurrentIndex(max(0, self.operator.findData(current)))

    def _fill_values(self, kind: str) -> None:
        text = self.value.currentText()
        self.value.clear()
        if kind == EVENT_TYPE:
            self.value.addItems(list(EVENT_TYPES))
        self.value.setEditText(text)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.operator.blockSignals(True)
        self.value.blockSignals(True)
        self._fill_operators(kind, str(self.operator.currentData() or "="))
        self._fill_values(kind)
        if kind == EVENT_TYPE and self.value.currentText() not in EVENT_TYPES:
            self.value.setEditText("track")
        self.operator.blockSignals(False)
        self.value.blockSignals(False)
        self._update_visibility()
        self._builder._rows_edited()

    def _operator_changed(self) -> None:
        self._update_visibility()
        self._builder._rows_edited()

    def _update_visibility(self) -> None:
        kind = self.kind.currentData()
        self.name.setVisible(kind in PATH_KINDS)
        self.name.setPlaceholderText(_NAME_HINTS.get(kind, ""))
        self.value.setVisible(self.operator.currentData() not in VALUELESS_OPERATORS)

    def condition(self) -> Condition:
        kind = str(self.kind.currentData())
        op = str(self.operator.currentData() or "=")
        if op in VALUELESS_OPERATORS:
            value: str | float | None = None
        else:
            text = self.value.currentText()
            value = text
            if op in NUMERIC_OPERATORS:
                try:
                    value = float(text)
                except ValueError:
                    value = text
        return Condition(kind, op, value, self.name.text().strip() if kind in PATH_KINDS else "")


class TriggerBuilder(QWidget):
    fql_edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.match = _compact(QComboBox(), 30)
        self.match.addItem("all of these conditions are true", MATCH_ALL)
        self.match.addItem("any of these conditions is true", MATCH_ANY)
        self.match.setAccessibleName("Match")
        self.match.currentIndexChanged.connect(lambda _: self._rows_edited())
        self.grid = QVBoxLayout()  # one QHBoxLayout line per condition
        self.rows: list[ConditionRow] = []
        self.add_button = QPushButton("Add condition")
        self.add_button.clicked.connect(self.add_condition)
        self.fql = QLineEdit()
        self.fql.setObjectName("fqlEdit")
        self.fql.setAccessibleName("Trigger (FQL)")
        self.fql.setPlaceholderText('e.g. type = "track" and event = "Order Completed"')
        self.fql.textEdited.connect(self._fql_typed)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("triggerNote")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        head = QHBoxLayout()
        head.addWidget(QLabel("Run this mapping when"))
        head.addWidget(self.match)
        head.addStretch(1)
        self.builder_box = QWidget()
        box = QVBoxLayout(self.builder_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        box.addLayout(self.grid)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        box.addLayout(add_row)
        fql_row = QHBoxLayout()
        fql_label = QLabel("FQL:")
        fql_label.setToolTip("Segment's Filter Query Language: the trigger exactly as Segment stores it. "
                             "You can type it here too.")
        fql_row.addWidget(fql_label)
        fql_row.addWidget(self.fql, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.builder_box)
        layout.addLayout(fql_row)
        layout.addWidget(self.note)
        self.note.hide()
        self.representable = True
        self.error: FqlSyntaxError | None = None

    # -- loading ----------------------------------------------------------------------------------

    def set_fql(self, text: str) -> None:
        """Show ``text`` (a mapping was selected, or undo changed it)."""
        if self.fql.text() != text:
            self.fql.setText(text)
        self._show_model_for(text)

    def text(self) -> str:
        return self.fql.text()

    def _show_model_for(self, text: str) -> None:
        self.error = None
        model: TriggerModel | None
        if not text.strip():
            model = TriggerModel()
        else:
            try:
                parse_fql(text)
            except FqlSyntaxError as exc:
                self.error = exc
                where = f" (at character {exc.position + 1})" \
                    if exc.position is not None and "at character" not in exc.message else ""
                self._set_note(f"⚠ This trigger is not valid FQL{where}: {exc.message.rstrip('.')}. It is kept as "
                               "you typed it; fix it here or build it with the conditions above.", error=True)
                if exc.position is not None and not self.fql.hasFocus():
                    self.fql.setCursorPosition(exc.position)  # Tab into the box lands on the problem
                return
            model = model_from_fql(text)
        if model is None:
            self.representable = False
            self.builder_box.setEnabled(False)
            self._set_note("This trigger uses FQL the condition builder cannot show (for example nested "
                           "groups). It is kept as text and works as written; edit it in the FQL box.")
            return
        self.representable = True
        self.builder_box.setEnabled(True)
        self._set_note("")
        self._load_model(model)

    def _set_note(self, text: str, error: bool = False) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.note.setProperty("error", error)
        if error:
            self.builder_box.setEnabled(False)

    def _load_model(self, model: TriggerModel) -> None:
        self.match.blockSignals(True)
        self.match.setCurrentIndex(max(0, self.match.findData(model.match)))
        self.match.blockSignals(False)
        while len(self.rows) > len(model.conditions):
            self._drop_row(self.rows[-1])
        for i, condition in enumerate(model.conditions):
            if i < len(self.rows):
                self.rows[i].load(condition)
            else:
                self._add_row(condition)

    def _add_row(self, condition: Condition) -> ConditionRow:
        row = ConditionRow(self, condition)
        row.holder = QWidget()
        line = QHBoxLayout(row.holder)
        line.setContentsMargins(0, 0, 0, 0)
        for w, stretch in zip(row.widgets(), (0, 2, 0, 3, 0), strict=True):
            line.addWidget(w, stretch)
        self.grid.addWidget(row.holder)
        row.remove.clicked.connect(lambda: self._remove_clicked(row))
        self.rows.append(row)
        return row

    def _drop_row(self, row: ConditionRow) -> None:
        self.rows.remove(row)
        if row.holder is not None:
            self.grid.removeWidget(row.holder)
            row.holder.setParent(None)
            row.holder.deleteLater()

    # -- user edits -------------------------------------------------------------------------------

    def add_condition(self) -> None:
        kind = EVENT_TYPE if not self.rows else "event"
        self._add_row(Condition(kind, "=", "track" if kind == EVENT_TYPE else ""))
        self._rows_edited()

    def _remove_clicked(self, row: ConditionRow) -> None:
        self._drop_row(row)
        self._rows_edited()

    def model(self) -> TriggerModel:
        return TriggerModel(str(self.match.currentData()), [r.condition() for r in self.rows])

    def _rows_edited(self) -> None:
        if not self.builder_box.isEnabled():
            return
        text = fql_from_model(self.model())
        self.fql.setText(text)
        self.fql_edited.emit(text)

    def _fql_typed(self, text: str) -> None:
        self._show_model_for(text)
        self.fql_edited.emit(text)
