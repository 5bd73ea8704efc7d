"""The *Custom fields* editor of the ``custom_fields`` object: one row per Pipedrive custom field,
chosen by its label (its hash key is what is stored), each with its own value editor. What a row
lists and stores is decided in ``core/field_values.py``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from pipedrive_gui.core.field_values import (
    UNSET,
    custom_field_choices,
    custom_field_entity,
    custom_fields_value,
    custom_row_field,
    custom_row_start,
    first_free_custom_field,
)
from pipedrive_gui.gui.field_editor import EditorContext, FieldValueEditor
from pipedrive_gui.gui.form_widgets import FlowBox, FormCombo, no_wheel

#: One row: which custom field, its value editor, the remove button, the row's widget.
Row = tuple[QComboBox, FieldValueEditor, QToolButton, QWidget]


class CustomFieldsEditor(QWidget):
    """The ``custom_fields`` object: rows of (custom field chosen by label, its value)."""

    edited = Signal()

    def __init__(self, ctx: EditorContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.entity = custom_field_entity(ctx.action_slug)
        self.rows: list[Row] = []
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

    def _fill(self, combo: QComboBox, key: str | None) -> None:
        combo.blockSignals(True)
        combo.clear()
        listing = custom_field_choices(self.ctx.catalog(), self.entity, key)
        for entry in listing.entries:
            combo.addItem(entry.label, entry.value)
            if entry.tooltip:
                combo.setItemData(combo.count() - 1, entry.tooltip, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(combo.findData(key) if key else -1)
        combo.blockSignals(False)
        self.note.setText(listing.note)

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
        combo = no_wheel(FormCombo())
        combo.setAccessibleName("Custom field")
        self._fill(combo, key)
        editor = FieldValueEditor(custom_row_field(key), self.ctx, allow_custom=False, mode_outside=True)
        editor.set_value(custom_row_start(value))
        remove = QToolButton()
        remove.setText("✕")
        remove.setAccessibleName("Remove custom field")
        remove.setToolTip("Stop setting this custom field")
        which = FlowBox()  # the field and its mode side by side, or the mode under the field
        which.box.addWidget(combo, 1)
        which.box.addWidget(editor.mode, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        line.addWidget(which, 1)
        line.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        lines.addLayout(line)
        lines.addWidget(editor)
        entry = (combo, editor, remove, holder)
        self.rows.append(entry)
        self.rows_box.addWidget(holder)
        combo.currentIndexChanged.connect(lambda _: self.edited.emit())
        editor.edited.connect(self.edited.emit)
        remove.clicked.connect(lambda: self._remove(entry))

    def _add_clicked(self) -> None:
        used = [c.currentData() for c, *_ in self.rows]
        self._add_row(first_free_custom_field(self.ctx.catalog(), self.entity, used), UNSET)
        self.edited.emit()

    def _remove(self, entry: Row) -> None:
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
        return custom_fields_value((combo.currentData(), editor.value()) for combo, editor, _, _ in self.rows)
