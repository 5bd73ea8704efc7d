"""The value editor of one action field: where the value comes from.

- *From the event*: a path such as ``$.traits.email`` (picked from the sample event's paths),
- *Fixed value*: typed per field type (text, number, yes/no, date, a choice, a Pipedrive field or
  activity type from the connected account),
- *Template*: text with ``{{traits.name}}`` placeholders,
- *Advanced*: any mapping-kit expression as JSON, validated as you type,
- *Custom fields* (the ``custom_fields`` object): one row per Pipedrive custom field chosen by its
  label (the field's hash key is what is stored), each with its own value editor,
- *Not set*.

Signals (FieldValueEditor, CustomFieldsEditor):
    edited(): the user changed the value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDateTime, QSize, Qt, QTimeZone, Signal
from PySide6.QtGui import QStandardItemModel, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.actions import ACTIONS, DYNAMIC_ACTIVITY_TYPES, FieldDef, dynamic_entity
from pipedrive_gui.core.project import is_empty_path, is_unfinished_custom_value
from pipedrive_gui.gui.json_highlighter import highlight_json

UNSET = object()  # the field has no value in the mapping (key absent)

MODE_UNSET, MODE_PATH, MODE_STATIC, MODE_TEMPLATE, MODE_ADVANCED, MODE_CUSTOM = (
    "unset", "path", "static", "template", "advanced", "custom")
MODE_LABELS = {
    MODE_UNSET: "Not set",
    MODE_PATH: "From the event",
    MODE_STATIC: "Fixed value",
    MODE_TEMPLATE: "Template",
    MODE_ADVANCED: "Advanced (mapping kit)",
    MODE_CUSTOM: "Custom fields",
}


@dataclass
class EditorContext:
    """What value editors need from the rest of the app (passed in, never looked up)."""

    action_slug: str
    event: Callable[[], Any]  # the current sample event (dict) or None
    catalog: Callable[[], Any]  # the FieldCatalog or None
    pick_path: Callable[[QWidget, Any, Callable[[str], None]], None]  # (anchor, event, callback)


def classify(field: FieldDef, value: Any) -> str:
    """Which editor shows ``value`` best."""
    if value is UNSET:
        return MODE_UNSET
    if isinstance(value, dict):
        if set(value) == {"@path"} and isinstance(value["@path"], str):
            return MODE_PATH
        if set(value) == {"@template"} and isinstance(value["@template"], str):
            return MODE_TEMPLATE
        if field.type == "object" and field.key == "custom_fields" and not any(k.startswith("@") for k in value):
            return MODE_CUSTOM
        return MODE_ADVANCED
    if isinstance(value, list):
        return MODE_ADVANCED
    if isinstance(value, str) and field.type == "boolean":
        return MODE_ADVANCED
    return MODE_STATIC


def _catalog_problem(catalog: Any, key: str, what: str) -> str:
    """Why a list from the account is empty, shown next to the drop-down that needs it."""
    problem = (getattr(catalog, "problems", None) or {}).get(key)
    return f"⚠ Could not load {what}: {problem}" if problem else ""


class _FormCombo(QComboBox):
    """A combo inside a scrolling form: the wheel scrolls the form unless the combo has focus."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


def _no_wheel(combo: QComboBox) -> QComboBox:
    combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    # Size by a short minimum, not by the longest entry, so the form fits narrow windows.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class StaticEditor(QWidget):
    """A fixed value typed per the field's type."""

    edited = Signal()

    def __init__(self, field: FieldDef, ctx: EditorContext) -> None:
        super().__init__()
        self.field, self.ctx = field, ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        layout = QHBoxLayout()
        outer.addLayout(layout)
        self.combo: QComboBox | None = None
        self.check: QCheckBox | None = None
        self.date: QDateTimeEdit | None = None
        self.line: QLineEdit | None = None
        self.note = QLabel()
        self.note.setWordWrap(True)
        # Segment's Activity type is a text input: the account's activity types are suggestions, any
        # text is accepted (as in Segment's mapping editor).
        self.free_text = field.dynamic == DYNAMIC_ACTIVITY_TYPES and not field.choices
        if field.choices or field.dynamic:
            self.combo = _no_wheel(_FormCombo())
            self.combo.setAccessibleName(field.label)
            if self.free_text:
                self.combo.setEditable(True)
                self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                line, completer = self.combo.lineEdit(), self.combo.completer()
                assert line is not None and completer is not None  # an editable combo has both
                line.setPlaceholderText("an activity type key, e.g. call")
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
                self.combo.setToolTip("Type any activity type key, or pick one of your account's activity types")
                self.combo.currentTextChanged.connect(lambda _: self.edited.emit())
            else:
                self.combo.currentIndexChanged.connect(lambda _: self.edited.emit())
            layout.addWidget(self.combo, 1)
            self.refresh_choices(UNSET)
        elif field.type == "boolean":
            self.check = QCheckBox("Yes")
            self.check.toggled.connect(lambda _: self.edited.emit())
            layout.addWidget(self.check, 1)
        elif field.type == "datetime":
            self.date = QDateTimeEdit()
            self.date.setCalendarPopup(True)
            self.date.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            self.date.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
            self.date.dateTimeChanged.connect(lambda _: self.edited.emit())
            layout.addWidget(self.date, 1)
        else:
            self.line = QLineEdit()
            self.line.setAccessibleName(field.label)
            if field.type in ("number", "integer"):
                self.line.setPlaceholderText("a number, e.g. 42")
            self.line.textEdited.connect(lambda _: self.edited.emit())
            layout.addWidget(self.line, 1)
        outer.addWidget(self.note)  # under the value, so a long reason does not squeeze it
        self.note.hide()

    def refresh_choices(self, current: Any = None) -> None:
        """Fill the drop-down from the field's choices or the account's live data."""
        if self.combo is None:
            return
        value = self.value() if current is None else current
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        note = ""
        if self.field.choices:
            for c in self.field.choices:
                combo.addItem(f"{c.label} ({c.value})" if c.label != c.value else c.label, c.value)
        elif self.field.dynamic == DYNAMIC_ACTIVITY_TYPES:
            catalog = self.ctx.catalog()
            types = catalog.active_activity_types() if catalog is not None else ()
            for t in types:
                combo.addItem(f"{t.name} ({t.key_string})", t.key_string)
            if catalog is None:
                note = "Connect to Pipedrive to list your activity types."
            else:
                note = _catalog_problem(catalog, "activity_types", "your activity types")
        elif (entity := dynamic_entity(self.field.dynamic)) is not None:
            catalog = self.ctx.catalog()
            model = combo.model()
            if catalog is None:
                note = "Connect to Pipedrive to list your fields."
            else:
                note = _catalog_problem(catalog, entity, f"your {entity} fields")
                fields = sorted(catalog.fields(entity), key=lambda f: (not f.searchable, f.label.casefold()))
                for f in fields:
                    custom = ", custom" if f.is_custom else ""
                    combo.addItem(f"{f.label} ({f.type_label}{custom})", f.key)
                    i = combo.count() - 1
                    if not f.searchable:
                        reason = f.not_searchable_reason or "Pipedrive cannot search this field."
                        combo.setItemData(i, f"Cannot be a match field: {reason}", Qt.ItemDataRole.ToolTipRole)
                        if isinstance(model, QStandardItemModel):
                            item = model.item(i)
                            item.setEnabled(False)
                            # The reason in the text too: a disabled entry cannot always show its tooltip.
                            why = f"Pipedrive cannot search {f.type_label} fields" if f.is_custom \
                                else "Pipedrive cannot search this built-in field"
                            item.setText(f"{item.text()} — not searchable: {why}")
                    else:
                        combo.setItemData(i, f"Key: {f.key}", Qt.ItemDataRole.ToolTipRole)
        if self.free_text:
            note = self._show_text(value) or note
        else:
            if value is not UNSET and value is not None and combo.findData(value) < 0:
                combo.addItem(f"{value} (not in this account)" if self.ctx.catalog() is not None else str(value),
                              value)
            if value is UNSET or value is None:
                combo.setCurrentIndex(-1 if combo.count() else -1)
                first = next((i for i in range(combo.count()) if self._enabled(i)), -1)
                combo.setCurrentIndex(first)
            else:
                combo.setCurrentIndex(combo.findData(value))
        combo.blockSignals(False)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def _show_text(self, value: Any) -> str:
        """Show ``value`` in the free-text combo: as its entry when it is one, else as typed text.
        Returns a note when the account's activity types are known and do not include it."""
        assert self.combo is not None
        index = -1 if value is UNSET or value is None else self.combo.findData(value)
        self.combo.setCurrentIndex(index)
        if index < 0:
            self.combo.setEditText("" if value is UNSET or value is None else str(value))
        if index < 0 and self.combo.count() and value not in (UNSET, None, ""):
            return f"“{value}” is not one of this account's activity types; Pipedrive may refuse it."
        return ""

    def _enabled(self, i: int) -> bool:
        model = self.combo.model() if self.combo else None
        return not isinstance(model, QStandardItemModel) or model.item(i).isEnabled()

    def set_value(self, value: Any) -> None:
        for w in (self.combo, self.check, self.date, self.line):
            if w is not None:
                w.blockSignals(True)
        if self.combo is not None:
            self.refresh_choices(value)
        elif self.check is not None:
            self.check.setChecked(bool(value) if value is not UNSET else False)
        elif self.date is not None:
            dt = QDateTime.fromString(str(value), Qt.DateFormat.ISODate) if value not in (UNSET, None) else None
            self.date.setDateTime(dt if dt is not None and dt.isValid() else QDateTime.currentDateTimeUtc())
        elif self.line is not None:
            self.line.setText("" if value in (UNSET, None) else
                              (json.dumps(value) if not isinstance(value, str) else value))
        for w in (self.combo, self.check, self.date, self.line):
            if w is not None:
                w.blockSignals(False)

    def value(self) -> Any:
        if self.combo is not None:
            if self.free_text:
                text = self.combo.currentText()
                index = self.combo.findText(text)
                if index >= 0:  # an entry, "Call (call)": its key
                    return self.combo.itemData(index)
                return text if text else UNSET
            data = self.combo.currentData()
            return UNSET if data is None else data
        if self.check is not None:
            return self.check.isChecked()
        if self.date is not None:
            return self.date.dateTime().toUTC().toString(Qt.DateFormat.ISODateWithMs)
        assert self.line is not None
        text = self.line.text()
        if self.field.type in ("number", "integer"):
            try:
                number = float(text)
            except ValueError:
                return text  # kept as typed; Segment's schema check explains the problem
            return int(number) if number.is_integer() else number
        return text


class PathEditor(QWidget):
    """A path into the event, with a button that lists the sample event's paths and values."""

    edited = Signal()

    def __init__(self, field: FieldDef, ctx: EditorContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.line = QLineEdit()
        self.line.setAccessibleName(f"{field.label}: path in the event")
        self.line.setPlaceholderText("$.traits.email")
        self.line.textEdited.connect(lambda _: self.edited.emit())
        # A long path does not fit a narrow box: the tooltip always shows it whole.
        self.line.textChanged.connect(self.line.setToolTip)
        self.pick = QPushButton("Pick…")
        self.pick.setToolTip("Choose a field of the sample event (shows each field's value)")
        self.pick.clicked.connect(self._pick)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.pick)

    def _pick(self) -> None:
        self.ctx.pick_path(self.pick, self.ctx.event(), self._picked)

    def _picked(self, path: str) -> None:
        self.line.setText(path)
        self.edited.emit()

    def set_value(self, value: Any) -> None:
        self.line.setText(value.get("@path", "") if isinstance(value, dict) else "")

    def value(self) -> Any:
        return {"@path": self.line.text().strip()}


class TemplateEditor(QWidget):
    edited = Signal()

    def __init__(self, field: FieldDef) -> None:
        super().__init__()
        self.line = QLineEdit()
        self.line.setAccessibleName(f"{field.label}: template")
        self.line.setPlaceholderText("{{traits.first_name}} {{traits.last_name}}")
        self.line.textEdited.connect(lambda _: self.edited.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)

    def set_value(self, value: Any) -> None:
        self.line.setText(value.get("@template", "") if isinstance(value, dict) else "")

    def value(self) -> Any:
        return {"@template": self.line.text()}


def json_error_position(text: str, exc: json.JSONDecodeError) -> tuple[int, int]:
    return exc.lineno, exc.colno


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
        from pipedrive_gui.core.mapping_kit import MappingKitError, MappingValidationError, validate_mapping

        source = self.text.toPlainText()
        try:
            value = json.loads(source)
        except json.JSONDecodeError as exc:
            self._show(f"Not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
                       "Your text is kept; the last valid expression is used until it is fixed.",
                       exc.lineno, exc.colno)
            return False
        try:
            validate_mapping({self.field.key: value})
        except MappingValidationError as exc:
            first = exc.problems[0] if exc.problems else None
            where = first.path if first else ""
            line = _line_of(source, where)
            messages = "; ".join(p.message for p in exc.problems[:3])
            self._show(f"Segment would reject this expression: {messages}", line, 1)
            return False
        except MappingKitError as exc:
            self._show(f"Segment would reject this expression: {exc}", 1, 1)
            return False
        self._value = value
        self._show("", None, None)
        return True

    def _show(self, text: str, line: int | None, column: int | None) -> None:
        self.valid = not text
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.highlighter.set_error(line, column)


def _line_of(source: str, where: str) -> int:
    """The line of the last directive named in a problem's location (best effort; 1 if unknown)."""
    parts = [p for p in where.replace("/", ".").split(".") if p]
    for part in reversed(parts):
        needle = f'"{part}"'
        if needle in source:
            return source[: source.index(needle)].count("\n") + 1
    return 1


class CustomFieldsEditor(QWidget):
    """The ``custom_fields`` object: rows of (custom field chosen by label, its value)."""

    edited = Signal()

    def __init__(self, ctx: EditorContext) -> None:
        super().__init__()
        self.ctx = ctx
        action = ACTIONS.get(ctx.action_slug)
        self.entity = (action.custom_fields_entity if action else None) or "person"
        self.rows: list[tuple[QComboBox, FieldValueEditor, QToolButton, QWidget]] = []
        self.rows_box = QVBoxLayout()
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Add custom field")
        self.add_button.setToolTip("Choose one of your Pipedrive custom fields by its name, then its value")
        self.add_button.clicked.connect(self._add_clicked)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows_box)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.note, 1)
        layout.addLayout(row)

    def _custom_fields(self) -> list[Any]:
        catalog = self.ctx.catalog()
        if catalog is None:
            return []
        return sorted((f for f in catalog.fields(self.entity) if f.is_custom), key=lambda f: f.label.casefold())

    def _fill(self, combo: QComboBox, key: str | None) -> None:
        combo.blockSignals(True)
        combo.clear()
        for f in self._custom_fields():
            combo.addItem(f"{f.label} ({f.type_label})", f.key)
            combo.setItemData(combo.count() - 1, f"Key: {f.key}", Qt.ItemDataRole.ToolTipRole)
        if key and combo.findData(key) < 0:
            shown = f"Unknown field {key[:8]}…" if len(key) > 12 else key
            combo.addItem(shown, key)
        combo.setCurrentIndex(combo.findData(key) if key else -1)
        combo.blockSignals(False)
        catalog = self.ctx.catalog()
        self.note.setText(_catalog_problem(catalog, self.entity, f"your {self.entity} fields") if catalog is not None
                          else "Connect to Pipedrive to choose custom fields by name.")

    def refresh_choices(self) -> None:
        for combo, editor, _, _ in self.rows:
            self._fill(combo, combo.currentData())
            editor.refresh_choices()

    def _add_row(self, key: str | None, value: Any) -> None:
        # Two lines per custom field (which field, then its value) so the form fits narrow windows.
        holder = QWidget()
        lines = QVBoxLayout(holder)
        lines.setContentsMargins(0, 0, 0, 6)
        lines.setSpacing(2)
        line = QHBoxLayout()
        combo = _no_wheel(_FormCombo())
        combo.setAccessibleName("Custom field")
        self._fill(combo, key)
        pseudo = FieldDef(key or "custom", "Custom field value", "", "string")
        editor = FieldValueEditor(pseudo, self.ctx, allow_custom=False, mode_outside=True)
        editor.set_value({"@path": ""} if value is UNSET else value)
        remove = QToolButton()
        remove.setText("✕")
        remove.setAccessibleName("Remove custom field")
        remove.setToolTip("Stop setting this custom field")
        line.addWidget(combo, 1)
        line.addWidget(editor.mode)
        line.addWidget(remove)
        lines.addLayout(line)
        lines.addWidget(editor)
        entry = (combo, editor, remove, holder)
        self.rows.append(entry)
        self.rows_box.addWidget(holder)
        combo.currentIndexChanged.connect(lambda _: self.edited.emit())
        editor.edited.connect(self.edited.emit)
        remove.clicked.connect(lambda: self._remove(entry))

    def _add_clicked(self) -> None:
        used = {c.currentData() for c, *_ in self.rows}
        free = next((f.key for f in self._custom_fields() if f.key not in used), None)
        self._add_row(free, UNSET)
        self.edited.emit()

    def _remove(self, entry: tuple[QComboBox, FieldValueEditor, QToolButton, QWidget]) -> None:
        self.rows.remove(entry)
        entry[3].setParent(None)
        entry[3].deleteLater()
        self.edited.emit()

    def set_value(self, value: Any) -> None:
        for entry in list(self.rows):
            entry[3].setParent(None)
            entry[3].deleteLater()
        self.rows.clear()
        if isinstance(value, dict):
            for key, v in value.items():
                self._add_row(key, v)

    def value(self) -> Any:
        """The rows with a field and a value; a row still being filled in contributes nothing (it
        stays on screen until the user picks a value or removes it)."""
        out: dict[str, Any] = {}
        for combo, editor, _, _ in self.rows:
            key = combo.currentData()
            v = editor.value()
            if key and v is not UNSET and not is_unfinished_custom_value(v):
                out[str(key)] = v
        return out


class _CurrentPageStack(QStackedWidget):
    """A stack as tall as the page it shows (QStackedWidget alone takes its tallest page's size)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.currentWidget()
        return w.sizeHint() if w is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.currentWidget()
        return w.minimumSizeHint() if w is not None else super().minimumSizeHint()


class FieldValueEditor(QWidget):
    """Mode chooser + the editor for that mode, for one field."""

    edited = Signal()

    def __init__(self, field: FieldDef, ctx: EditorContext, *, allow_custom: bool = True,
                 mode_outside: bool = False) -> None:
        """``mode_outside``: the caller places ``self.mode`` itself (custom-field rows put it on the
        line of the field's name, so the value editor below gets the full width)."""
        super().__init__()
        self.field = field
        self.ctx = ctx
        self.mode = _no_wheel(_FormCombo())
        self.mode.setAccessibleName(f"{field.label}: where the value comes from")
        modes = [MODE_UNSET, MODE_PATH, MODE_STATIC, MODE_TEMPLATE, MODE_ADVANCED]
        if allow_custom and field.key == "custom_fields" and field.type == "object":
            modes = [MODE_UNSET, MODE_CUSTOM, MODE_PATH, MODE_ADVANCED]
        for m in modes:
            self.mode.addItem(MODE_LABELS[m], m)
        # The mode names are short and fixed: always show the longest one whole (also in the
        # narrow custom-field rows), rather than "Advanced (mapp…".
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.mode.setMinimumWidth(self.mode.sizeHint().width())
        self.mode.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.stack = _CurrentPageStack()
        self.stack.currentChanged.connect(lambda _: self.stack.updateGeometry())
        self.editors: dict[str, Any] = {MODE_UNSET: QLabel("Not sent to Pipedrive")}
        self.editors[MODE_PATH] = PathEditor(field, ctx)
        if MODE_STATIC in modes:
            self.editors[MODE_STATIC] = StaticEditor(field, ctx)
            self.editors[MODE_TEMPLATE] = TemplateEditor(field)
        self.editors[MODE_ADVANCED] = AdvancedEditor(field)
        if MODE_CUSTOM in modes:
            self.editors[MODE_CUSTOM] = CustomFieldsEditor(ctx)
        for m in modes:
            self.stack.addWidget(self.editors[m])
            if m != MODE_UNSET:
                self.editors[m].edited.connect(self.edited.emit)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        # The custom-fields object nests a value editor per field: give those rows the whole width
        # under the mode drop-down instead of the space beside it (no sideways scrolling).
        layout = QVBoxLayout(self) if MODE_CUSTOM in modes else QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if not mode_outside:
            layout.addWidget(self.mode, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.stack, 1)
        self._value: Any = UNSET

    def current_mode(self) -> str:
        return str(self.mode.currentData())

    def set_value(self, value: Any) -> None:
        self._value = value
        mode = classify(self.field, value)
        if mode not in self.editors:
            mode = MODE_ADVANCED
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        self.mode.blockSignals(False)
        self.stack.setCurrentWidget(self.editors[mode])
        if mode != MODE_UNSET:
            self.editors[mode].set_value(value)

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def editor(self, mode: str | None = None) -> Any:
        return self.editors[mode or self.current_mode()]

    def _mode_changed(self) -> None:
        mode = self.current_mode()
        old = self._value
        self.stack.setCurrentWidget(self.editors[mode])
        if mode == MODE_ADVANCED:
            self.editors[mode].set_value(old if old is not UNSET else "")
        elif mode == MODE_PATH and not (isinstance(old, dict) and "@path" in old):
            self.editors[mode].set_value({"@path": ""})
        elif mode == MODE_STATIC and not isinstance(old, (str, int, float, bool)):
            self.editors[mode].set_value(UNSET)
        elif mode == MODE_TEMPLATE:
            seed = old.get("@path", "")[2:] if isinstance(old, dict) and isinstance(old.get("@path"), str) else ""
            self.editors[mode].set_value({"@template": "{{" + seed + "}}" if seed else ""})
        elif mode == MODE_CUSTOM and not isinstance(old, dict):
            self.editors[mode].set_value({})
        self.edited.emit()

    def value(self) -> Any:
        """The value to store; UNSET (nothing sent) for "Not set" and for an empty path, which
        Segment would read as the whole event."""
        mode = self.current_mode()
        if mode == MODE_UNSET:
            return UNSET
        self._value = self.editors[mode].value()
        return UNSET if is_empty_path(self._value) else self._value

    def refresh_choices(self) -> None:
        static = self.editors.get(MODE_STATIC)
        if isinstance(static, StaticEditor) and static.combo is not None:
            static.refresh_choices(static.value())
        custom = self.editors.get(MODE_CUSTOM)
        if isinstance(custom, CustomFieldsEditor):
            custom.refresh_choices()
