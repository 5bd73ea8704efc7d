"""The selected mapping: its name, action, trigger and one row per action field.

Each edit becomes a Document command (typing in one field merges into one undo step). When the
mapping changes underneath (undo/redo), the editor reloads unless the change came from itself.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
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
from pipedrive_gui.core.payload import EXEMPT_KEYS
from pipedrive_gui.core.project import Mapping
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.field_editor import UNSET, EditorContext, FieldValueEditor
from pipedrive_gui.gui.trigger_builder import TriggerBuilder

if TYPE_CHECKING:  # the linter loads after the first paint (see problems_panel)
    from pipedrive_gui.core.lint import Finding


_SYMBOL = {"error": "✖", "warning": "⚠", "info": "ℹ"}  # noqa: RUF001 - the information sign
_WORD = {"error": "Error", "warning": "Warning", "info": "Note"}


def _problem_label(key: str) -> QLabel:
    """Where the linter's findings for one field are shown, under it (hidden when there are none)."""
    label = QLabel()
    label.setObjectName(f"problem_{key}")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(f"Problems with {key}")
    label.hide()
    return label


def problems_html(findings: list[Finding]) -> str:
    import html

    parts = []
    for f in findings:
        where = f"{html.escape(f.field_label.split(' › ', 1)[1])}: " if f.custom_field and " › " in f.field_label else ""
        parts.append(f"{_SYMBOL[f.severity]} <b>{_WORD[f.severity]}:</b> {where}{html.escape(f.message)}"
                     f"<br><i>Fix:</i> {html.escape(f.fix)}")
    return "<br>".join(parts)


class MappingEditor(QScrollArea):
    def __init__(self, doc: Document, ctx_factory: Any, parent: QWidget | None = None) -> None:
        """``ctx_factory(action_slug) -> EditorContext`` gives field editors the event/catalog."""
        super().__init__(parent)
        self.doc = doc
        self.ctx_factory = ctx_factory
        self.mapping_id = ""
        self._applying = False
        self.setWidgetResizable(True)
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
        trigger_layout.addWidget(self.trigger)
        self.trigger_problem = _problem_label("trigger")
        trigger_layout.addWidget(self.trigger_problem)
        #: The linter's findings for the mapping shown, and the label under each field showing them.
        self.findings: list[Finding] = []
        self.problem_labels: dict[str, QLabel] = {"trigger": self.trigger_problem}

        self.fields_box = QGroupBox("Fields: what is sent to Pipedrive")
        self.fields_grid = QGridLayout(self.fields_box)
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
        layout.addWidget(self.empty)
        layout.addWidget(self.content)
        self.content.hide()
        doc.mapping_changed.connect(self._mapping_changed)

    # -- loading ----------------------------------------------------------------------------------

    def show_mapping(self, mapping_id: str) -> None:
        self.mapping_id = mapping_id
        m = self.doc.mapping(mapping_id)
        self.empty.setVisible(m is None)
        self.content.setVisible(m is not None)
        if m is not None:
            self._load(m, rebuild=True)
        self._show_findings()

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
        for editor in self.field_editors.values():
            editor.deleteLater()
        while self.fields_grid.count():
            item = self.fields_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.field_editors = {}
        self.problem_labels = {"trigger": self.trigger_problem}
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
            self.fields_grid.addWidget(label, 2 * row, 0)
            self.fields_grid.addWidget(editor, 2 * row, 1)
            problem = _problem_label(field.key)
            self.fields_grid.addWidget(problem, 2 * row + 1, 1)
            self.field_editors[field.key] = editor
            self.problem_labels[field.key] = problem
        self.fields_grid.setColumnMinimumWidth(0, natural)
        note = QLabel("* required by Segment. Hover over a field's name for its description.")
        note.setEnabled(False)
        note.setWordWrap(True)
        self.fields_grid.addWidget(note, 2 * len(action.fields), 0, 1, 2)
        self._show_findings()

    # -- lint findings ----------------------------------------------------------------------------

    def set_findings(self, findings: list[Finding]) -> None:
        """The linter's findings for the whole project; those of the shown mapping appear under
        their fields (a finding without a field only in the Problems list)."""
        self.findings = list(findings)
        self._show_findings()

    def _show_findings(self) -> None:
        by_field: dict[str, list[Finding]] = {}
        for f in self.findings:
            if f.mapping_id == self.mapping_id and f.mapping_id and f.field in self.problem_labels:
                by_field.setdefault(f.field, []).append(f)
        for key, label in self.problem_labels.items():
            found = by_field.get(key, [])
            text = problems_html(found)
            if label.text() != text:
                label.setText(text)
            label.setVisible(bool(found))

    def focus_field(self, key: str, custom_field: str = "") -> bool:
        """Scroll to the field (the custom-field row when given) and put the keyboard focus there."""
        target: QWidget | None = None
        if key == "trigger":
            target = self.trigger
        editor = self.field_editors.get(key)
        if editor is not None:
            target = editor.mode
            custom = editor.editors.get("custom")
            rows = getattr(custom, "rows", [])
            for combo, _value_editor, _remove, _holder in rows:
                if custom_field and combo.currentData() == custom_field:
                    target = combo
        if target is None:
            return False
        self.ensureWidgetVisible(target, 40, 80)
        label = self.problem_labels.get(key)
        if label is not None and label.isVisible():
            self.ensureWidgetVisible(label, 40, 20)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

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
        # Keep the values of fields both actions have (and dynamicAuthSettings, which every action of
        # Segment keeps); start the others from Segment's defaults.
        action = get_action(slug)
        settings = {k: v for k, v in m.settings.items() if action.field(k) is not None or k in EXEMPT_KEYS}
        for f in action.fields:
            if f.key not in settings and f.default is not None:
                settings[f.key] = copy.deepcopy(f.default)
        self._apply(replace(m, action=slug, settings=settings), f"Change action to “{action.title}”", None)
        self._load(self.doc.mapping(m.id) or m, rebuild=True)
