"""The Qt plumbing the window's read-only tables share, written once.

:class:`HeaderedTableModel` answers the column count and the header titles from ``HEADERS``.
:class:`ListTableModel` adds rows kept in a Python list, replaced all at once with ``set_rows`` (the
panels always get a whole new list: a lint report, a run's calls, an impact report); a subclass
only says what a cell shows, in ``cell``. Invalid and out-of-range indexes and header sections
answer None here, so no subclass can raise from inside Qt's painting.

The receiver's event table keeps its own rows (a virtual model over the journal) and uses only the
headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


class HeaderedTableModel(QAbstractTableModel):
    """A flat table whose columns are ``HEADERS``."""

    HEADERS: ClassVar[tuple[str, ...]] = ()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None


class ListTableModel(HeaderedTableModel, Generic[Row]):
    """One table row per item of ``rows``; subclasses implement :meth:`cell`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Replace every row (views keep no selection across it)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        return self.cell(self.rows[index.row()], index.column(), role)

    def cell(self, row: Row, column: int, role: int) -> Any:
        """What ``row`` shows in ``column`` for ``role`` (None: nothing)."""
        raise NotImplementedError


__all__ = ["HeaderedTableModel", "Index", "ListTableModel"]
