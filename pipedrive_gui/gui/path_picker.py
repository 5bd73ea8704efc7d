"""Pick a field of the sample event: a searchable list of every path with its current value."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QDialog, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from pipedrive_gui.gui.table_models import ListTableModel

MAX_VALUE_CHARS = 80


def _segment(key: str) -> str:
    # Plain keys join with dots; anything else uses Segment's bracket form.
    if key.isidentifier():
        return f".{key}"
    return "[" + json.dumps(key) + "]"


def event_paths(event: Any, prefix: str = "$", limit: int = 5000) -> list[tuple[str, Any]]:
    """Every path of the event (objects and leaves), depth first, in the event's own order."""
    out: list[tuple[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if path != "$":
            out.append((path, value))
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + _segment(str(k)))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(event, prefix)
    return out


def preview_value(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{…}} object with {len(value)} field{'s' if len(value) != 1 else ''}"
    if isinstance(value, list):
        return f"[…] list of {len(value)}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class EventPathsModel(ListTableModel[tuple[str, str]]):
    """Rows are (path, value preview); ``UserRole`` is the path, what picking a row inserts."""

    PATH, VALUE = 0, 1
    HEADERS = ("Field in the event", "Value in this sample")

    def set_event(self, event: Any) -> None:
        self.set_rows(
            [(p, preview_value(v)) for p, v in event_paths(event)] if isinstance(event, dict) else []
        )

    def cell(self, row: tuple[str, str], column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return row[column]
        if role == Qt.ItemDataRole.UserRole:
            return row[self.PATH]
        return None


class PathPicker(QDialog):
    """Non-modal: calls ``on_pick(path)`` when a row is activated (double-click / Enter)."""

    def __init__(self, parent: QWidget | None, event: Any, on_pick: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pick a field of the sample event")
        self.setObjectName("pathPicker")
        self.on_pick = on_pick
        self.model = EventPathsModel(self)
        self.model.set_event(event)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search fields and values, e.g. email")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.returnPressed.connect(self._pick_first)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        hint = (
            "Double-click a field (or press Enter) to use it."
            if self.model.rowCount()
            else "The sample event is empty or not valid JSON; fix it in Sample event, or type the path yourself."
        )
        layout.addWidget(QLabel(hint))
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        self.resize(640, 420)

    def _activated(self, index: QModelIndex) -> None:
        path = self.proxy.data(index, Qt.ItemDataRole.UserRole)
        if path:
            self.on_pick(str(path))
            self.close()

    def _pick_first(self) -> None:
        if self.proxy.rowCount():
            self._activated(self.proxy.index(0, 0))


def open_path_picker(anchor: QWidget, event: Any, on_pick: Callable[[str], None]) -> PathPicker:
    picker = PathPicker(anchor.window(), event, on_pick)
    picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    picker.show()
    picker.search.setFocus()
    return picker
