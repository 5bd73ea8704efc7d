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
from pipedrive_gui.core.triggers.nodes import (
    EVENT_MEMBER,
    EVENT_TYPE,
    NUMERIC_OPERATORS,
    PATH_KINDS,
    TEXT_OPERATORS,
    VALUELESS_OPERATORS,
)
from pipedrive_gui.core.wording import with_article

_NAME_HINTS = {
    "event-property": "property name, e.g. plan or order.total",
    "event-trait": "trait name, e.g. email",
    "event-context": "context field, e.g. page.path",
}


_WHAT = {"event-property": "property", "event-trait": "trait", "event-context": "context field"}
_EXAMPLE = {"event-property": "plan", "event-trait": "email", "event-context": "page.path"}


def strip_member(kind: str, name: str) -> str:
    """``properties.plan`` typed as an event property's name is ``plan`` (the builder adds the
    ``properties.``)."""
    prefix = f"{EVENT_MEMBER.get(kind, '')}."
    return name[len(prefix) :] if kind in PATH_KINDS and name.startswith(prefix) else name


def condition_advice(c: Condition, typed_name: str = "") -> tuple[str, bool]:
    """What to type instead, for a condition Segment would not read as the builder shows it, in
    the builder's words (not the FQL parser's); ("", False) when it is fine. The flag says whether
    the trigger can still be written (a note only) or must wait for a fix."""
    kind_label = KIND_LABELS.get(c.kind, c.kind)
    op_label = OPERATOR_LABELS.get(c.operator, c.operator)
    if c.kind in PATH_KINDS:
        what, example = _WHAT[c.kind], _EXAMPLE[c.kind]
        name = c.name
        if not name:
            return f"Type the {what} name in the box after “{kind_label}”, e.g. {example}.", False
        for other, member in EVENT_MEMBER.items():
            if other in PATH_KINDS and other != c.kind and name.startswith(f"{member}."):
                return (
                    f"“{name}” is {with_article(_WHAT[other])} of the event: "
                    f"choose “{KIND_LABELS[other]}” in the first box and type {name[len(member) + 1 :]}.",
                    False,
                )
        parts = name.split(".")
        if any(p == "" for p in parts):
            fixed = ".".join(p for p in parts if p)
            tip = f"type {fixed}" if fixed else f"type {with_article(what)} name, e.g. {example}"
            return (
                f"Remove the extra dot from “{name}”: {tip} (one dot between the parts of a nested name).",
                False,
            )
        for part in parts:
            if part[0].isdigit() or part[0] in "-+":
                return (
                    f"Segment's conditions cannot read a name part that starts with a digit or sign "
                    f"(“{part}”). Use another {what}, or rename it in your tracking.",
                    False,
                )
            if part in ("and", "or", "null"):
                return (
                    f"“{part}” is a reserved word in Segment's conditions and cannot be part of "
                    f"{with_article(what)} name. Use another {what}.",
                    False,
                )
    value = c.value
    if c.operator not in VALUELESS_OPERATORS:
        if c.operator in NUMERIC_OPERATORS and not isinstance(value, (int, float)):
            return f"“{op_label}” compares numbers: type a number, e.g. 100.", False
        if isinstance(value, str) and '"' in value:
            return (
                'Remove the double quote (") from the value: Segment cannot match text that contains one.',
                False,
            )
        if (
            c.operator in TEXT_OPERATORS
            and c.operator.endswith("ends_with")
            and isinstance(value, str)
            and (value == "" or value.endswith("*"))
        ):
            return f"Type the text the value should {op_label.removeprefix('does not ')} (without *).", False
    if c.kind in PATH_KINDS and typed_name and typed_name != c.name:
        member = EVENT_MEMBER[c.kind]
        return (
            f"“{member}.” is added for you: this condition reads {member}.{c.name}. Type just {c.name}.",
            True,
        )
    return "", True


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
        return Condition(
            kind, op, value, strip_member(kind, self.name.text().strip()) if kind in PATH_KINDS else ""
        )

    def advice(self) -> tuple[str, bool]:
        """What to type instead (see ``condition_advice``)."""
        return condition_advice(
            self.condition(), self.name.text().strip() if self.kind.currentData() in PATH_KINDS else ""
        )


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
        fql_label.setToolTip(
            "Segment's Filter Query Language: the trigger exactly as Segment stores it. "
            "You can type it here too."
        )
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
        self.advice = ""  # what to type instead, for a condition of the builder that needs fixing

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
                where = (
                    f" (at character {exc.position + 1})"
                    if exc.position is not None and "at character" not in exc.message
                    else ""
                )
                self._set_note(
                    f"⚠ This trigger is not valid FQL{where}: {exc.message.rstrip('.')}. It is kept as "
                    "you typed it; fix it here or build it with the conditions above.",
                    error=True,
                )
                if exc.position is not None and not self.fql.hasFocus():
                    self.fql.setCursorPosition(exc.position)  # Tab into the box lands on the problem
                return
            model = model_from_fql(text)
        if model is None:
            self.representable = False
            self.builder_box.setEnabled(False)
            self._set_note(
                "This trigger uses FQL the condition builder cannot show (for example nested "
                "groups). It is kept as text and works as written; edit it in the FQL box."
            )
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
        """Write the conditions as FQL, unless one needs fixing first: then say what to type
        (the trigger keeps its last good text until then)."""
        if not self.builder_box.isEnabled():
            return
        notes, blocked = [], False
        for i, row in enumerate(self.rows, start=1):
            text, writable = row.advice()
            if text:
                notes.append(f"Condition {i}: {text}" if len(self.rows) > 1 else text)
                blocked = blocked or not writable
        self.advice = " ".join(notes)
        if blocked:
            self.note.setText(f"⚠ {self.advice} Until then the trigger stays: {self.fql.text() or '(none)'}")
        else:
            self.note.setText(f"ℹ {self.advice}" if self.advice else "")
        self.note.setVisible(bool(self.advice))
        self.note.setProperty("error", blocked)
        if blocked:
            return
        text = fql_from_model(self.model())
        self.fql.setText(text)
        self.fql_edited.emit(text)

    def _fql_typed(self, text: str) -> None:
        self._show_model_for(text)
        self.fql_edited.emit(text)
