"""The selected mapping: its name, action, trigger and one row per action field.

Each edit becomes a Document command (typing in one field merges into one undo step). When the
mapping changes underneath (undo/redo), the editor reloads unless the change came from itself.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.actions import ACTIONS, get_action
from pipedrive_gui.core.project import Mapping
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.field_editor import UNSET, EditorContext, FieldValueEditor
from pipedrive_gui.gui.trigger_builder import TriggerBuilder


class MappingEditor(QScrollArea):
    def __init__(self, doc: Document, ctx_factory: Any, parent: QWidget | None = None) -> None:
        """``ctx_factory(action_slug) -> EditorContext`` gives field editors the event/catalog."""
        super().__init__(parent)
        self.doc = doc
        self.ctx_factory = ctx_factory
        self.mapping_id = ""
        self._applying = False
        self.setWidgetResizable(True)
        # Narrow windows stack each field's rows (see field_editor._FlowBox) instead of scrolling
        # sideways; what still does not fit scrolls rather than being cut.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setObjectName("mappingEditor")
        body = QWidget()
        self.setWidget(body)

        self.empty = QLabel("Select a mapping on the left, or create one with “New mapping”.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLineEdit()
        self.name.setAccessibleName("Mapping name")
        self.name.textEdited.connect(self._name_edited)
        self.action = QComboBox()
        self.action.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.action.setMinimumContentsLength(12)
        self.action.setAccessibleName("Action")
        for a in ACTIONS.values():
            self.action.addItem(a.title, a.slug)
        self.action.activated.connect(self._action_chosen)
        self.action_help = QLabel()
        self.action_help.setWordWrap(True)
        head = QFormLayout()
        head.addRow("Name", self.name)
        head.addRow("Action", self.action)
        head.addRow("", self.action_help)

        self.trigger = TriggerBuilder()
        self.trigger.fql_edited.connect(self._trigger_edited)
        trigger_box = QGroupBox("Trigger: which events run this mapping")
        trigger_layout = QVBoxLayout(trigger_box)
        trigger_layout.setContentsMargins(4, 4, 4, 4)  # narrow windows: room for the rows' × buttons
        trigger_layout.addWidget(self.trigger)

        self.fields_box = QGroupBox("Fields: what is sent to Pipedrive")
        self.fields_grid = QGridLayout(self.fields_box)
        self.fields_grid.setContentsMargins(4, 4, 4, 4)
        self.fields_grid.setColumnStretch(1, 1)
        self.field_editors: dict[str, FieldValueEditor] = {}

        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(head)
        content.addWidget(trigger_box)
        content.addWidget(self.fields_box)
        content.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.content)
        self.content.hide()
        doc.mapping_changed.connect(self._mapping_changed)

    #: The editor asks for no more width than this (a rare very wide row scrolls sideways instead).
    MAX_MINIMUM_WIDTH = 520

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As wide as the form at its narrowest (each field's rows stacked, see field_editor), so
        the window's splitter never squeezes it into sideways scrolling."""
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is not None:
            width = body.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() \
                + 2 * self.frameWidth()
            hint.setWidth(min(max(hint.width(), width), self.MAX_MINIMUM_WIDTH))
        return hint

    # -- loading ----------------------------------------------------------------------------------

    def show_mapping(self, mapping_id: str) -> None:
        self.mapping_id = mapping_id
        m = self.doc.mapping(mapping_id)
        self.empty.setVisible(m is None)
        self.content.setVisible(m is not None)
        if m is not None:
            self._load(m, rebuild=True)

    def _mapping_changed(self, mapping_id: str) -> None:
        if mapping_id == self.mapping_id and not self._applying:
            m = self.doc.mapping(mapping_id)
            if m is not None:
                self._load(m, rebuild=m.action != self._built_for)

    _built_for = ""

    def _load(self, m: Mapping, rebuild: bool) -> None:
        if self.name.text() != m.name:
            self.name.setText(m.name)
        self.action.setCurrentIndex(self.action.findData(m.action))
        action = ACTIONS.get(m.action)
        self.action_help.setText(action.description if action else f"Unknown action {m.action}")
        self.trigger.set_fql(m.trigger)
        if rebuild:
            self._build_fields(m.action)
        for key, editor in self.field_editors.items():
            editor.set_value(m.settings.get(key, UNSET))

    def _build_fields(self, slug: str) -> None:
        self._built_for = slug
        self.updateGeometry()  # another action's form may need another minimum width
        for editor in self.field_editors.values():
            editor.deleteLater()
        while self.fields_grid.count():
            item = self.fields_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.field_editors = {}
        action = ACTIONS.get(slug)
        if action is None:
            return
        ctx: EditorContext = self.ctx_factory(slug)
        natural = 0  # the label column: as wide as the longest label, up to the cap
        for row, field in enumerate(action.fields):
            label = QLabel(f"{field.label}{' *' if field.required else ''}")
            label.setToolTip(f"{field.description}\n\n{'Required. ' if field.required else ''}"
                             f"Type: {field.type}{', several values' if field.multiple else ''}")
            label.setAccessibleDescription(field.description)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            # Long names ("Organization match value") wrap instead of widening the form past the
            # column, which would need sideways scrolling.
            cap = label.fontMetrics().horizontalAdvance("Organization match") + 8
            natural = max(natural, min(cap, label.sizeHint().width()))
            label.setWordWrap(True)
            label.setMaximumWidth(cap)
            editor = FieldValueEditor(field, ctx)
            editor.setToolTip(field.description)
            editor.setObjectName(f"field_{field.key}")
            editor.edited.connect(lambda k=field.key: self._field_edited(k))
            label.setBuddy(editor.mode)
            self.fields_grid.addWidget(label, row, 0)
            self.fields_grid.addWidget(editor, row, 1)
            self.field_editors[field.key] = editor
        self.fields_grid.setColumnMinimumWidth(0, natural)
        note = QLabel("* required by Segment. Hover over a field's name for its description.")
        note.setEnabled(False)
        note.setWordWrap(True)
        self.fields_grid.addWidget(note, len(action.fields), 0, 1, 2)

    def refresh_choices(self) -> None:
        """The field catalog changed: refill the drop-downs that list the account's data."""
        for editor in self.field_editors.values():
            editor.refresh_choices()

    # -- edits ------------------------------------------------------------------------------------

    def _apply(self, new: Mapping, text: str, merge_key: str | None) -> None:
        self._applying = True
        try:
            self.doc.edit_mapping(new, text, merge_key)
        finally:
            self._applying = False

    def current(self) -> Mapping | None:
        return self.doc.mapping(self.mapping_id)

    def _name_edited(self, text: str) -> None:
        m = self.current()
        if m is not None and text.strip():
            self._apply(replace(m, name=text), "Rename mapping", f"{m.id}:name")

    def _trigger_edited(self, text: str) -> None:
        m = self.current()
        if m is not None:
            self._apply(replace(m, trigger=text), "Edit trigger", f"{m.id}:trigger")

    def _field_edited(self, key: str) -> None:
        m = self.current()
        if m is None:
            return
        value = self.field_editors[key].value()
        settings = copy.deepcopy(m.settings)
        if value is UNSET:
            settings.pop(key, None)
        else:
            settings[key] = value
        field = get_action(m.action).field(key)
        self._apply(replace(m, settings=settings), f"Edit “{field.label if field else key}”", f"{m.id}:{key}")

    def _action_chosen(self, _: int) -> None:
        m = self.current()
        slug = self.action.currentData()
        if m is None or slug == m.action:
            return
        # Keep the values of fields both actions have; start the others from Segment's defaults.
        action = get_action(slug)
        settings = {k: v for k, v in m.settings.items() if action.field(k) is not None}
        for f in action.fields:
            if f.key not in settings and f.default is not None:
                settings[f.key] = copy.deepcopy(f.default)
        self._apply(replace(m, action=slug, settings=settings), f"Change action to “{action.title}”", None)
        self._load(self.doc.mapping(m.id) or m, rebuild=True)
