"""The selected mapping: its name, action, trigger and one row per action field.

Each edit becomes a Document command (typing in one field merges into one undo step). When the
mapping changes underneath (undo/redo), the editor reloads unless the change came from itself.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

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

from pipedrive_gui.core.actions import ACTIONS, action_entity, carry_over, get_action
from pipedrive_gui.core.field_values import UNSET
from pipedrive_gui.core.match_paths import event_kind_of_trigger, suggest_match_path
from pipedrive_gui.core.project import Mapping
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.field_editor import EditorContext, FieldValueEditor
from pipedrive_gui.gui.trigger_builder import TriggerBuilder
from pipedrive_gui.gui.welcome import Welcome

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
    if not findings:  # (every field at load, before any lint: no need for html then)
        return ""
    import html

    parts = []
    for f in findings:
        where = (
            f"{html.escape(f.field_label.split(' › ', 1)[1])}: "
            if f.custom_field and " › " in f.field_label
            else ""
        )
        parts.append(
            f"{_SYMBOL[f.severity]} <b>{_WORD[f.severity]}:</b> {where}{html.escape(f.message)}"
            f"<br><i>Fix:</i> {html.escape(f.fix)}"
        )
    return "<br>".join(parts)


class MappingEditor(QScrollArea):
    def __init__(
        self, doc: Document, ctx_factory: Callable[[str], EditorContext], parent: QWidget | None = None
    ) -> None:
        """``ctx_factory(action_slug) -> EditorContext`` gives field editors the event/catalog."""
        super().__init__(parent)
        self.doc = doc
        self.ctx_factory = ctx_factory
        self.mapping_id = ""
        self._applying = False
        self.setWidgetResizable(True)
        # Narrow windows stack each field's rows (see form_widgets.FlowBox) instead of scrolling
        # sideways; what still does not fit scrolls rather than being cut.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setObjectName("mappingEditor")
        body = QWidget()
        self.setWidget(body)

        self.empty = QLabel("Select a mapping on the left, or create one with “New mapping”.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        # A project without mappings: the ways to begin (the window wires its buttons).
        self.welcome = Welcome()
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

        # What the editor wants the user to know about the last change, or the one thing left to
        # fill in (with a link that does the suggested edit, when there is one).
        self.hint = QLabel()
        self.hint.setObjectName("editorHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.linkActivated.connect(self._hint_link)
        self.hint.hide()
        self._hint_action: Callable[[], None] | None = None
        self.pointed_field = ""

        self.trigger = TriggerBuilder()
        self.trigger.fql_edited.connect(self._trigger_edited)
        trigger_box = QGroupBox("Trigger: which events run this mapping")
        trigger_layout = QVBoxLayout(trigger_box)
        trigger_layout.setContentsMargins(4, 4, 4, 4)  # narrow windows: room for the rows' × buttons
        trigger_layout.addWidget(self.trigger)
        self.trigger_problem = _problem_label("trigger")
        trigger_layout.addWidget(self.trigger_problem)
        #: The linter's findings for the mapping shown, and the label under each field showing them.
        self.findings: list[Finding] = []
        self.problem_labels: dict[str, QLabel] = {"trigger": self.trigger_problem}

        self.fields_box = QGroupBox("Fields: what is sent to Pipedrive")
        self.fields_grid = QGridLayout(self.fields_box)
        self.fields_grid.setContentsMargins(4, 4, 4, 4)
        self.fields_grid.setColumnStretch(1, 1)
        self.field_editors: dict[str, FieldValueEditor] = {}

        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(head)
        content.addWidget(self.hint)
        content.addWidget(trigger_box)
        content.addWidget(self.fields_box)
        content.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.welcome)
        layout.addWidget(self.empty)
        layout.addWidget(self.content)
        self.content.hide()
        doc.mapping_changed.connect(self._mapping_changed)
        doc.mappings_reset.connect(self._update_placeholder)
        self._update_placeholder()

    #: The editor asks for no more width than this (a rare very wide row scrolls sideways instead).
    MAX_MINIMUM_WIDTH = 520

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As wide as the form at its narrowest (each field's rows stacked, see field_editor), so
        the window's splitter never squeezes it into sideways scrolling."""
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is not None:
            width = (
                body.minimumSizeHint().width()
                + self.verticalScrollBar().sizeHint().width()
                + 2 * self.frameWidth()
            )
            hint.setWidth(min(max(hint.width(), width), self.MAX_MINIMUM_WIDTH))
        return hint

    # -- loading ----------------------------------------------------------------------------------

    def show_mapping(self, mapping_id: str) -> None:
        if mapping_id != self.mapping_id:
            self.clear_hint()
        self.mapping_id = mapping_id
        m = self.doc.mapping(mapping_id)
        self.content.setVisible(m is not None)
        self._update_placeholder()
        if m is not None:
            self._load(m, rebuild=True)
        self._show_findings()

    def _update_placeholder(self) -> None:
        """No mapping shown: the welcome when the project has none, else "select one"."""
        shown = self.doc.mapping(self.mapping_id) is not None
        none_yet = not self.doc.project.mappings
        self.welcome.setVisible(not shown and none_yet)
        self.empty.setVisible(not shown and not none_yet)

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
        self.problem_labels = {"trigger": self.trigger_problem}
        action = ACTIONS.get(slug)
        if action is None:
            return
        ctx: EditorContext = self.ctx_factory(slug)
        natural = 0  # the label column: as wide as the longest label, up to the cap
        for row, field in enumerate(action.fields):
            label = QLabel(f"{field.label}{' *' if field.required else ''}")
            label.setToolTip(
                f"{field.description}\n\n{'Required. ' if field.required else ''}"
                f"Type: {field.type}{', several values' if field.multiple else ''}"
            )
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
        if key == self.pointed_field:
            self.clear_hint()
        field = get_action(m.action).field(key)
        said = self._follow_match_field(m, key, settings) if key.endswith("match_field") else None
        self._apply(replace(m, settings=settings), f"Edit “{field.label if field else key}”", f"{m.id}:{key}")
        if said is not None:
            value_key = key.replace("match_field", "match_value")
            editor = self.field_editors.get(value_key)
            if editor is not None:
                editor.set_value(settings.get(value_key, UNSET))
            self.show_hint(*said)

    # -- the match value follows the match field ------------------------------------------------

    def _match_path(self, m: Mapping, key: str, match_field: Any) -> Any:
        """The match value that goes with ``match_field`` (a Pipedrive field key) for the field
        ``key`` (``match_field``, ``person_match_field``, …): the event's path holding it, or
        Segment's default for the ID field; None when there is nothing to suggest."""
        action = get_action(m.action)
        value_field = action.field(key.replace("match_field", "match_value"))
        if not isinstance(match_field, str) or match_field in ("", "id"):
            return copy.deepcopy(value_field.default) if value_field is not None else None
        entity = action_entity(m.action) if key == "match_field" else key.removesuffix("_match_field")
        label = match_field
        catalog = self.ctx_factory(m.action).catalog()
        found = catalog.by_key(entity, match_field) if catalog is not None else None
        if found is not None:
            label = found.label
        event = self.ctx_factory(m.action).event()
        event_type = (event.get("type") if isinstance(event, dict) else None) or event_kind_of_trigger(
            m.trigger
        )
        path = suggest_match_path(match_field, label, event, event_type)
        return {"@path": path} if path else None

    def _follow_match_field(
        self, m: Mapping, key: str, settings: dict[str, Any]
    ) -> tuple[str, str, Callable[[], None] | None] | None:
        """The match field changed: point the match value at the event's matching field. Replaced
        when the old value was the previous default or suggestion, else offered (a link). Returns
        what to tell the user (text, link text, link action), or None."""
        value_key = key.replace("match_field", "match_value")
        action = get_action(m.action)
        value_field = action.field(value_key)
        if value_field is None:
            return None
        old_match, new_match = m.settings.get(key), settings.get(key)
        suggestion = self._match_path(m, key, new_match)
        current = settings.get(value_key)
        if suggestion is None or suggestion == current:
            return None
        before = {"default": value_field.default, "previous": self._match_path(m, key, old_match)}
        new_path = suggestion.get("@path", "") if isinstance(suggestion, dict) else str(suggestion)
        name = self._field_label(m, key, new_match)
        if current is None or current in before.values():
            settings[value_key] = suggestion
            return (
                f"{value_field.label} now reads {new_path}, to go with the match field {name}. "
                "Change it if the value is elsewhere in your events (Edit > Undo takes it back).",
                "",
                None,
            )
        shown = current.get("@path") if isinstance(current, dict) and "@path" in current else "your own value"

        def use() -> None:
            latest = self.current()
            if latest is None:
                return
            changed = copy.deepcopy(latest.settings)
            changed[value_key] = suggestion
            self._apply(replace(latest, settings=changed), f"Edit “{value_field.label}”", None)
            editor = self.field_editors.get(value_key)
            if editor is not None:
                editor.set_value(suggestion)
            self.clear_hint()

        return (
            f"The match field is now {name}, but {value_field.label} still reads {shown}. "
            f"In the sample event, {name} is at {new_path}.",
            f"Use {new_path}",
            use,
        )

    def _field_label(self, m: Mapping, key: str, match_field: Any) -> str:
        if not isinstance(match_field, str) or match_field in ("", "id"):
            return "ID"
        entity = action_entity(m.action) if key == "match_field" else key.removesuffix("_match_field")
        catalog = self.ctx_factory(m.action).catalog()
        found = catalog.by_key(entity, match_field) if catalog is not None else None
        return found.label if found is not None else match_field

    # -- telling the user ---------------------------------------------------------------------

    def show_hint(self, text: str, link_text: str = "", action: Callable[[], None] | None = None) -> None:
        import html  # (not needed for the window's first paint)

        link = f' <a href="do">{html.escape(link_text)}</a>' if link_text and action else ""
        self.hint.setText(f"ℹ {html.escape(text)}{link}")
        self._hint_action = action if link else None
        self.hint.show()

    def clear_hint(self) -> None:
        self.hint.clear()
        self.hint.hide()
        self._hint_action = None
        self.pointed_field = ""

    def _hint_link(self, _href: str) -> None:
        if self._hint_action is not None:
            self._hint_action()

    def point_at(self, key: str, text: str) -> None:
        """The one thing left to fill in: say what and why, and take the user to that field."""
        editor = self.field_editors.get(key)
        self.show_hint(text)
        self.pointed_field = key
        if editor is not None:
            self.ensureWidgetVisible(editor)
            target = getattr(editor.editor(), "line", None) or editor.mode
            target.setFocus()

    # -- the action -------------------------------------------------------------------------------

    def _action_chosen(self, _: int) -> None:
        m = self.current()
        slug = self.action.currentData()
        if m is None or slug == m.action:
            return
        old, action = get_action(m.action), get_action(slug)
        result = carry_over(m.action, m.settings, slug)
        trigger = m.trigger
        parts = [f"Action changed to “{action.title}”."]
        if trigger.strip() == old.default_trigger:
            trigger = action.default_trigger
            parts.append(f"Trigger set to this action's default ({trigger}).")
        if result.kept:
            parts.append(f"Kept: {', '.join(result.kept)}.")
        for was, now in result.moved:
            parts.append(f"{was} now fills {now}.")
        if result.dropped:
            parts.append(
                f"Not carried over (“{action.title}” has no such field): {', '.join(result.dropped)} "
                "— Edit > Undo brings them back."
            )
        self._apply(
            replace(m, action=slug, trigger=trigger, settings=result.settings),
            f"Change action to “{action.title}”",
            None,
        )
        self._load(self.doc.mapping(m.id) or m, rebuild=True)
        self.show_hint(" ".join(parts))
