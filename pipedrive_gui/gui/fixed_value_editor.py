"""The *Fixed value* editor: a value typed per the field's type — text, number, yes/no, date, one of
Segment's choices, or a Pipedrive field or activity type from the connected account. What the
drop-downs list and how values are parsed is decided in ``core/field_values.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from pipedrive_gui.core.actions import DYNAMIC_ACTIVITY_TYPES, FieldDef
from pipedrive_gui.core.field_values import (
    UNSET,
    parse_static_text,
    static_checked,
    static_choices,
    static_date_text,
    static_text,
    unlisted_activity_type_note,
    unlisted_label,
)
from pipedrive_gui.gui.form_widgets import FormCombo, no_wheel

if TYPE_CHECKING:
    # Only some fields need these (a yes/no or date value): imported when such an editor is built.
    from PySide6.QtWidgets import QCheckBox, QDateTimeEdit

    from pipedrive_gui.gui.field_editor import EditorContext


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
            self.combo = no_wheel(FormCombo())
            self.combo.setAccessibleName(field.label)
            if self.free_text:
                self.combo.setEditable(True)
                self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                line, completer = self.combo.lineEdit(), self.combo.completer()
                assert line is not None and completer is not None  # an editable combo has both
                line.setPlaceholderText("an activity type key, e.g. call")
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
                self.combo.setToolTip(
                    "Type any activity type key, or pick one of your account's activity types"
                )
                self.combo.currentTextChanged.connect(lambda _: self.edited.emit())
            else:
                self.combo.currentIndexChanged.connect(lambda _: self.edited.emit())
            layout.addWidget(self.combo, 1)
            self.refresh_choices(UNSET)
        elif field.type == "boolean":
            from PySide6.QtWidgets import QCheckBox

            self.check = QCheckBox("Yes")
            self.check.toggled.connect(lambda _: self.edited.emit())
            layout.addWidget(self.check, 1)
        elif field.type == "datetime":
            from PySide6.QtCore import QTimeZone
            from PySide6.QtWidgets import QDateTimeEdit

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
        catalog = self.ctx.catalog()
        listing = static_choices(self.field, catalog)
        model = combo.model()
        for entry in listing.entries:
            combo.addItem(entry.label, entry.value)
            if entry.tooltip:
                combo.setItemData(combo.count() - 1, entry.tooltip, Qt.ItemDataRole.ToolTipRole)
            if not entry.enabled and isinstance(model, QStandardItemModel):
                model.item(combo.count() - 1).setEnabled(False)
        note = listing.note
        if self.free_text:
            note = self._show_text(value) or note
        else:
            if value is not UNSET and value is not None and combo.findData(value) < 0:
                combo.addItem(unlisted_label(value, connected=catalog is not None), value)
            if value is UNSET or value is None:
                combo.setCurrentIndex(-1)
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
        if index < 0 and self.combo.count():
            return unlisted_activity_type_note(value)
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
            self.check.setChecked(static_checked(value))
        elif self.date is not None:
            from PySide6.QtCore import QDateTime

            text = static_date_text(value)
            dt = QDateTime.fromString(text, Qt.DateFormat.ISODate) if text is not None else None
            self.date.setDateTime(dt if dt is not None and dt.isValid() else QDateTime.currentDateTimeUtc())
        elif self.line is not None:
            self.line.setText(static_text(value))
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
        return parse_static_text(self.field, self.line.text())
