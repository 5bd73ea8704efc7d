"""The list of mappings: enable switches, New (from a preset or an action), duplicate, rename,
delete, move up/down. Every edit goes through the Document, so all of it is undoable.

Signals (MappingListPanel):
    current_changed(str): the selected mapping's id ("" when none).
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.actions import ACTIONS, APP_PRESET_MARK, PRESETS, Preset, starter_settings
from pipedrive_gui.core.project import Mapping, new_mapping_id
from pipedrive_gui.gui import shortcuts
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.shortcuts import with_key

Index = QModelIndex | QPersistentModelIndex


def preset_menu_text(preset: Preset) -> str:
    """A preset as the New mapping menu lists it: the app's own are marked as such."""
    return preset.name if preset.ships_with_segment else f"{preset.name} — {APP_PRESET_MARK}"


_BUNDLED: list[dict[str, Any]] = []


def _bundled_samples() -> list[dict[str, Any]]:
    """The bundled sample events (read once)."""
    if not _BUNDLED:
        from pipedrive_gui.core.samples import load_sample, sample_names

        _BUNDLED.extend(load_sample(name) for name in sample_names())
    return _BUNDLED


class MappingListModel(QAbstractListModel):
    """One row per mapping: its name (editable = rename), a checkbox (= enabled), the action as
    tooltip."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    SeverityRole = Qt.ItemDataRole.UserRole + 2
    #: "≈ 4 API calls · 65 tokens per event" (from the planner, on a sample event that fires it).
    CostRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, doc: Document, parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = doc
        #: mapping id → (worst severity, how many findings) from the linter; only errors and
        #: warnings are marked in the list.
        self.marks: dict[str, tuple[str, int]] = {}
        doc.mappings_reset.connect(self._reset)
        doc.mapping_changed.connect(self._row_changed)
        self._costs: dict[str, str] = {}
        doc.changed.connect(self._costs.clear)
        doc.samples_changed.connect(self._costs.clear)

    def set_marks(self, marks: dict[str, tuple[str, int]]) -> None:
        """Mark mappings with lint errors/warnings (an icon and a line in the tooltip)."""
        if marks == self.marks:
            return
        self.marks = dict(marks)
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.rowCount() - 1, 0),
                [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole],
            )

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _row_changed(self, mapping_id: str) -> None:
        row = self.doc.index_of(mapping_id)
        if row >= 0:
            i = self.index(row, 0)
            self.dataChanged.emit(i, i)

    def cost_text(self, m: Mapping) -> str:
        """Expected API calls and tokens per event when nothing is remembered (the planner's lookups and
        the write), worked out on the first project sample, else bundled sample, that fires the mapping."""
        if m.id not in self._costs:
            from pipedrive_gui.pipedrive.impact import mapping_cost

            events = [s.event for s in self.doc.project.samples] + _bundled_samples()
            cost = mapping_cost(m, events, self.doc.project.destination)
            self._costs[m.id] = (
                cost.text() if cost is not None else "unknown (no sample event fires this mapping)"
            )
        return self._costs[m.id]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.doc.project.mappings)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.doc.project.mappings):
            return None
        m = self.doc.project.mappings[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return m.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if m.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            action = ACTIONS.get(m.action)
            state = "enabled" if m.enabled else "disabled (Segment will not run it)"
            tip = (
                f"{action.title if action else m.action} — {state}\nTrigger: {m.trigger or '(none)'}\n"
                f"Pipedrive cost: {self.cost_text(m)}"
            )
            mark = self.marks.get(m.id)
            if mark is not None:
                tip += f"\n{mark[1]} problem{'s' if mark[1] != 1 else ''} found (worst: {mark[0]}): see View > Problems"
            return tip
        if role == Qt.ItemDataRole.DecorationRole:
            mark = self.marks.get(m.id)
            if mark is not None and mark[0] in ("error", "warning"):
                from pipedrive_gui.gui.problems_panel import severity_icon

                return severity_icon(mark[0])
            return None
        if role == self.SeverityRole:
            mark = self.marks.get(m.id)
            return mark[0] if mark is not None else None
        if role == self.CostRole:
            return self.cost_text(m)
        if role == self.IdRole:
            return m.id
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEditable
            | Qt.ItemFlag.ItemIsUserCheckable
        )

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        m = self.doc.project.mappings[index.row()]
        if role == Qt.ItemDataRole.CheckStateRole:
            checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
            self.doc.set_enabled(m.id, checked)
            return True
        if role == Qt.ItemDataRole.EditRole and isinstance(value, str) and value.strip():
            self.doc.rename_mapping(m.id, value)
            return True
        return False


class MappingListPanel(QWidget):
    current_changed = Signal(str)
    created = Signal(str)  # a new mapping (from a preset or an action) was added and selected

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.model = MappingListModel(doc, self)
        self.view = QListView()
        self.view.setObjectName("mappingList")
        self.view.setModel(self.model)
        self.view.setEditTriggers(
            QListView.EditTrigger.EditKeyPressed | QListView.EditTrigger.SelectedClicked
        )
        self.view.selectionModel().currentChanged.connect(self._current)
        self.view.setAccessibleName("Mappings")
        self.view.setWordWrap(True)  # long names wrap instead of being cut off
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setSpacing(1)

        title = QLabel("<b>Mappings</b>")
        self.new_button = QToolButton()
        self.new_button.setText("New mapping")
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_menu = QMenu(self.new_button)
        # Two different starting points: a preset maps every field Segment maps by default; a
        # blank mapping only what the action needs to run (the user adds the rest).
        presets = self.new_menu.addMenu("From a preset")
        presets.setToolTipsVisible(True)
        # Segment's own presets first; the app's own (not in Segment) after a separator, marked.
        for group in (
            [p for p in PRESETS if p.ships_with_segment],
            [p for p in PRESETS if not p.ships_with_segment],
        ):
            if group and not presets.isEmpty():
                presets.addSeparator()
            for preset in group:
                act = presets.addAction(preset_menu_text(preset))
                if preset.ships_with_segment:
                    act.setToolTip("Segment's ready-made mapping: every field Segment fills by default")
                else:
                    act.setToolTip(
                        f"Segment has no such preset: in Segment, start this mapping from the action "
                        f"“{ACTIONS[preset.action_slug].title}” (same trigger and fields)."
                    )
                act.triggered.connect(lambda _=False, p=preset: self.new_from_preset(p.name))
        presets.setToolTipsVisible(True)
        actions = self.new_menu.addMenu("Blank, from an action")
        actions.setToolTipsVisible(True)
        for action in ACTIONS.values():
            act = actions.addAction(action.title)
            act.setToolTip(
                "Only what the action needs to run (required fields and matching); add the fields you want"
            )
            act.triggered.connect(lambda _=False, s=action.slug: self.new_from_action(s))
        self.new_button.setMenu(self.new_menu)

        def button(text: str, tip: str, slot: Any) -> QToolButton:
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.new_button.setToolTip(
            with_key("Add a mapping, starting from a preset or from an action", shortcuts.NEW_MAPPING)
        )
        self.duplicate_button = button(
            "Duplicate", with_key("Make a copy of the selected mapping", shortcuts.DUPLICATE), self.duplicate
        )
        self.rename_button = button(
            "Rename", with_key("Rename the selected mapping", shortcuts.RENAME), self.rename
        )
        self.delete_button = button(
            "Delete",
            with_key("Delete the selected mapping (Edit > Undo brings it back)", shortcuts.DELETE),
            self.delete,
        )
        self.up_button = button(
            "Move up",
            with_key("Move the selected mapping up", shortcuts.MOVE_UP),
            lambda: self.move_selected(-1),
        )
        self.down_button = button(
            "Move down",
            with_key("Move the selected mapping down", shortcuts.MOVE_DOWN),
            lambda: self.move_selected(1),
        )

        row1 = QHBoxLayout()
        row1.addWidget(title)
        row1.addStretch(1)
        row1.addWidget(self.new_button)
        row2 = QHBoxLayout()
        for b in (self.duplicate_button, self.rename_button, self.delete_button):
            row2.addWidget(b)
        row2.addStretch(1)
        row3 = QHBoxLayout()
        row3.addWidget(self.up_button)
        row3.addWidget(self.down_button)
        row3.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row1)
        layout.addWidget(self.view, 1)
        layout.addLayout(row2)
        layout.addLayout(row3)
        QWidget.setTabOrder(self.new_button, self.view)  # the button is above the list
        self._selected = ""
        doc.mappings_reset.connect(self._restore_selection)
        self._update_buttons()

    # -- selection --------------------------------------------------------------------------------

    def current_id(self) -> str:
        return self._selected

    def select(self, mapping_id: str) -> None:
        row = self.doc.index_of(mapping_id)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
        elif not mapping_id:
            self.view.clearSelection()

    def _current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        mapping_id = current.data(MappingListModel.IdRole) if current.isValid() else ""
        if mapping_id != self._selected:
            self._selected = mapping_id or ""
            self.current_changed.emit(self._selected)
        self._update_buttons()

    def _restore_selection(self) -> None:
        # After an add/remove/move (or its undo) keep the same mapping selected when it still exists.
        wanted = self._selected
        if self.doc.index_of(wanted) < 0:
            wanted = self.doc.project.mappings[0].id if self.doc.project.mappings else ""
        self._selected = "\0"  # force a current_changed emission below
        if wanted:
            self.view.setCurrentIndex(self.model.index(self.doc.index_of(wanted), 0))
        if self._selected == "\0":
            self._selected = wanted
            self.current_changed.emit(wanted)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.doc.index_of(self._selected)
        has = row >= 0
        for b in (self.duplicate_button, self.rename_button, self.delete_button):
            b.setEnabled(has)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < len(self.doc.project.mappings) - 1)

    # -- commands ---------------------------------------------------------------------------------

    def _unique_name(self, base: str) -> str:
        names = {m.name for m in self.doc.project.mappings}
        if base not in names:
            return base
        n = 2
        while f"{base} {n}" in names:
            n += 1
        return f"{base} {n}"

    def new_from_preset(self, preset_name: str) -> Mapping:
        preset = next(p for p in PRESETS if p.name == preset_name)
        m = Mapping(
            new_mapping_id(),
            self._unique_name(preset.name),
            preset.action_slug,
            preset.trigger,
            True,
            copy.deepcopy(preset.settings),
        )
        self.doc.add_mapping(m, text=f"New mapping from preset “{preset.name}”")
        self.select(m.id)
        self.created.emit(m.id)
        return m

    def new_from_action(self, slug: str) -> Mapping:
        """A blank mapping: the action's required fields and match values only."""
        action = ACTIONS[slug]
        m = Mapping(
            new_mapping_id(),
            self._unique_name(action.title),
            slug,
            action.default_trigger,
            True,
            starter_settings(slug),
        )
        self.doc.add_mapping(m, text=f"New mapping “{action.title}”")
        self.select(m.id)
        self.created.emit(m.id)
        return m

    def show_new_menu(self) -> None:
        """Open the "New mapping" menu under its button (the keyboard way to add a mapping)."""
        # popup(), not QToolButton.showMenu(): that one runs a nested event loop until it closes.
        self.new_menu.popup(self.new_button.mapToGlobal(self.new_button.rect().bottomLeft()))

    def duplicate(self) -> None:
        m = self.doc.duplicate_mapping(self._selected)
        if m is not None:
            self.select(m.id)

    def rename(self) -> None:
        row = self.doc.index_of(self._selected)
        if row >= 0:
            self.view.edit(self.model.index(row, 0))

    def delete(self) -> None:
        self.doc.remove_mapping(self._selected)

    def move_selected(self, delta: int) -> None:
        self.doc.move_mapping(self._selected, delta)


__all__ = ["MappingListModel", "MappingListPanel"]
