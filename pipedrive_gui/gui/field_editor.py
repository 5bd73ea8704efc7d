"""The value editor of one action field: where the value comes from.

- *From the event*: a path such as ``$.traits.email`` (picked from the sample event's paths),
- *Fixed value*: typed per field type (text, number, yes/no, date, a choice, a Pipedrive field or
  activity type from the connected account) — ``gui/fixed_value_editor.py``,
- *Template*: text with ``{{traits.name}}`` placeholders,
- *Advanced*: any mapping-kit expression as JSON, validated as you type — ``gui/expression_editor.py``,
- *Custom fields* (the ``custom_fields`` object): one row per Pipedrive custom field chosen by its
  label (the field's hash key is what is stored), each with its own value editor —
  ``gui/custom_fields_editor.py``,
- *Not set*.

Which mode shows a stored value, what a mode starts from and what is stored are decided in
``core/field_values.py``, without Qt; the widgets here show them and forward the user's edits.

Signals (FieldValueEditor and each mode's editor):
    edited(): the user changed the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from pipedrive_gui.core.actions import FieldDef
from pipedrive_gui.core.field_values import (
    KEEP,
    MODE_ADVANCED,
    MODE_CUSTOM,
    MODE_LABELS,
    MODE_PATH,
    MODE_STATIC,
    MODE_TEMPLATE,
    MODE_UNSET,
    UNSET,
    carried_value,
    modes_for,
    shown_mode,
    stored_value,
)
from pipedrive_gui.gui.expression_editor import AdvancedEditor
from pipedrive_gui.gui.fixed_value_editor import StaticEditor
from pipedrive_gui.gui.form_widgets import CurrentPageStack, FlowBox, FormCombo

if TYPE_CHECKING:
    from typing import TypeAlias

    from pipedrive_gui.gui.custom_fields_editor import CustomFieldsEditor
    from pipedrive_gui.pipedrive.fields import FieldCatalog

# The modes and UNSET live in core.field_values; callers of the editor may take them from here.
__all__ = [
    "MODE_ADVANCED",
    "MODE_CUSTOM",
    "MODE_LABELS",
    "MODE_PATH",
    "MODE_STATIC",
    "MODE_TEMPLATE",
    "MODE_UNSET",
    "PATH_MIN_CHARS",
    "UNSET",
    "AdvancedEditor",
    "EditorContext",
    "FieldValueEditor",
    "PathEditor",
    "StaticEditor",
    "TemplateEditor",
]

#: A path box is at least this many characters wide ("$.traits.email").
PATH_MIN_CHARS = 16


@dataclass
class EditorContext:
    """What value editors need from the rest of the app (passed in, never looked up)."""

    action_slug: str
    event: Callable[[], dict[str, Any] | None]  # the current sample event
    catalog: Callable[[], FieldCatalog | None]  # the connected account's fields
    #: Opens the path picker at the anchor over the event; calls back with the chosen path.
    pick_path: Callable[[QWidget, dict[str, Any] | None, Callable[[str], None]], None]


class PathEditor(QWidget):
    """A path into the event, with a button that lists the sample event's paths and values."""

    edited = Signal()

    def __init__(self, field: FieldDef, ctx: EditorContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.line = QLineEdit()
        self.line.setAccessibleName(f"{field.label}: path in the event")
        self.line.setPlaceholderText("$.traits.email")
        # Wide enough for a usual path whole ("$.traits.email", not ".traits.emai"); a narrow window
        # puts the box under the mode drop-down instead of squeezing it (see FlowBox).
        self.line.setMinimumWidth(self.line.fontMetrics().horizontalAdvance("x" * PATH_MIN_CHARS) + 12)
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


if TYPE_CHECKING:
    #: The editor of a mode other than "Not set" (which is a label).
    ModeEditor: TypeAlias = PathEditor | StaticEditor | TemplateEditor | AdvancedEditor | CustomFieldsEditor

_MODE_WIDTHS: dict[tuple[tuple[str, ...], str], int] = {}


class _Editors(dict[str, QWidget]):
    """A field's value editors by mode, each built by ``build(mode)`` when first asked for
    (``get`` and ``in`` only see those built so far)."""

    def __init__(self, build: Callable[[str], QWidget]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, mode: str) -> QWidget:
        editor = self._build(mode)
        self[mode] = editor
        return editor


class FieldValueEditor(FlowBox):
    """Mode chooser + the editor for that mode, for one field (side by side, or the editor under
    the mode when the form is narrow)."""

    edited = Signal()

    def __init__(
        self, field: FieldDef, ctx: EditorContext, *, allow_custom: bool = True, mode_outside: bool = False
    ) -> None:
        """``mode_outside``: the caller places ``self.mode`` itself (custom-field rows put it on the
        line of the field's name, so the value editor below gets the full width)."""
        super().__init__()
        self.field = field
        self.ctx = ctx
        self.mode = FormCombo()
        self.mode.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # (as no_wheel; sized to its contents below)
        self.mode.setAccessibleName(f"{field.label}: where the value comes from")
        modes = modes_for(field, allow_custom=allow_custom)
        for m in modes:
            self.mode.addItem(MODE_LABELS[m], m)
        # The mode names are short and fixed: always show the longest one whole (also in the
        # narrow custom-field rows), rather than "Advanced (mapp…".
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # (The same for every row with these modes and font: measured once, not per row.)
        key = (tuple(modes), self.mode.font().key())
        if key not in _MODE_WIDTHS:
            _MODE_WIDTHS[key] = self.mode.sizeHint().width()
        self.mode.setMinimumWidth(_MODE_WIDTHS[key])
        self.mode.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.stack = CurrentPageStack()
        self.stack.currentChanged.connect(self._page_changed)
        # The editor of a mode is built when that mode is first shown (most fields only ever show
        # one): building all four or five per field took ~11 ms of the window's first paint.
        self.modes = modes
        self.editors: dict[str, QWidget] = _Editors(self._build_editor)
        self.editors[MODE_UNSET] = QLabel("Not sent to Pipedrive")
        self.stack.addWidget(self.editors[MODE_UNSET])
        self.mode.currentIndexChanged.connect(self._mode_changed)
        # The custom-fields object nests a value editor per field: give those rows the whole width
        # under the mode drop-down instead of the space beside it (no sideways scrolling).
        if MODE_CUSTOM in modes:
            self.flows = False
            self.box.setDirection(QBoxLayout.Direction.TopToBottom)
        if not mode_outside:
            self.box.addWidget(self.mode, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.box.addWidget(self.stack, 1)
        self._value: Any = UNSET

    def _build_editor(self, mode: str) -> QWidget:
        if mode not in self.modes:
            raise KeyError(mode)
        field, ctx = self.field, self.ctx
        editor: ModeEditor
        if mode == MODE_PATH:
            editor = PathEditor(field, ctx)
        elif mode == MODE_STATIC:
            editor = StaticEditor(field, ctx)
        elif mode == MODE_TEMPLATE:
            editor = TemplateEditor(field)
        elif mode == MODE_ADVANCED:
            editor = AdvancedEditor(field)
        elif mode == MODE_CUSTOM:
            # Imported here: its rows are FieldValueEditors (and only a few fields have it).
            from pipedrive_gui.gui.custom_fields_editor import CustomFieldsEditor

            editor = CustomFieldsEditor(ctx)
        else:
            raise KeyError(mode)
        self.stack.addWidget(editor)
        editor.edited.connect(self.edited.emit)
        return editor

    def _editor_of(self, mode: str) -> ModeEditor:
        """The editor of ``mode`` (not "Not set"), built if need be."""
        return cast("ModeEditor", self.editors[mode])

    def _page_changed(self, _index: int) -> None:
        self.stack.updateGeometry()
        self.fit()  # another page may need another width

    def current_mode(self) -> str:
        return str(self.mode.currentData())

    def set_value(self, value: Any) -> None:
        self._value = value
        mode = shown_mode(self.field, value, self.modes)
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        self.mode.blockSignals(False)
        self.stack.setCurrentWidget(self.editors[mode])
        if mode != MODE_UNSET:
            self._editor_of(mode).set_value(value)

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def editor(self, mode: str | None = None) -> Any:
        """The widget of ``mode`` (the current one by default), built if need be."""
        return self.editors[mode or self.current_mode()]

    def _mode_changed(self) -> None:
        mode = self.current_mode()
        self.stack.setCurrentWidget(self.editors[mode])
        carried = carried_value(mode, self._value)
        if carried is not KEEP:
            self._editor_of(mode).set_value(carried)
        self.edited.emit()

    def value(self) -> Any:
        """The value to store; UNSET (nothing sent) for "Not set" and for an empty path, which
        Segment would read as the whole event."""
        mode = self.current_mode()
        if mode == MODE_UNSET:
            return UNSET
        self._value = self._editor_of(mode).value()
        return stored_value(mode, self._value)

    def refresh_choices(self) -> None:
        static = self.editors.get(MODE_STATIC)
        if isinstance(static, StaticEditor) and static.combo is not None:
            static.refresh_choices(static.value())
        custom = self.editors.get(MODE_CUSTOM)
        if custom is not None:
            # (Already imported: it built this editor.)
            from pipedrive_gui.gui.custom_fields_editor import CustomFieldsEditor

            if isinstance(custom, CustomFieldsEditor):
                custom.refresh_choices()
