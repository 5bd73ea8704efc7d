"""The Problems list: what the linter (``core.lint``) finds in the project, live.

:class:`ProblemsPanel` lists the findings of the window's :class:`~pipedrive_gui.gui.project_linter.ProjectLinter`
— severity, mapping, field, problem — with the selected one's message and fix below; activating a
row emits ``go_to(Finding)`` (the window selects the mapping and focuses the field). The window
builds it when *View > Problems* first shows it (this module loads then).

Signals:
    ProblemsPanel.go_to(object): the Finding the user activated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QSplitter,
    QStyle,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui.project_linter import count_text
from pipedrive_gui.gui.table_models import ListTableModel

if TYPE_CHECKING:
    from pipedrive_gui.core.lint import Finding, LintReport

SEVERITY_TEXT = {"error": "Error", "warning": "Warning", "info": "Note"}


def severity_icon(severity: str | None) -> QIcon:
    """The platform's standard error / warning / information icon."""
    pixmap = {
        "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
    }.get(severity or "")
    if pixmap is None:
        return QIcon()
    return QApplication.style().standardIcon(pixmap)


class ProblemsModel(ListTableModel["Finding"]):
    HEADERS = ("Severity", "Mapping", "Field", "Problem")
    FindingRole = Qt.ItemDataRole.UserRole + 1

    def set_findings(self, findings: list[Finding]) -> None:
        self.set_rows(findings)

    def cell(self, f: Finding, column: int, role: int) -> Any:
        if role == self.FindingRole:
            return f
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return SEVERITY_TEXT[f.severity]
            if column == 1:
                return f.mapping_name if f.mapping_id else "Destination (all mappings)"
            if column == 2:
                return f.field_label or "—"
            return f.message
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return severity_icon(f.severity)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{f.message}\n\nFix: {f.fix}\n\nRule: {f.rule}"
        return None


class ProblemsPanel(QWidget):
    go_to = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsPanel")
        self.summary = QLabel("No lint run yet.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("problemsSummary")
        self.model = ProblemsModel(self)
        self.table = QTableView()
        self.table.setObjectName("problemsTable")
        self.table.setAccessibleName("Problems")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(1, 260)
        self.table.setColumnWidth(2, 190)
        self.table.activated.connect(self._activated)
        self.table.clicked.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur))
        self.detail = QTextBrowser()
        self.detail.setObjectName("problemDetail")
        self.detail.setOpenExternalLinks(True)
        self.detail.setAccessibleName("Selected problem: what happens and the fix")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.report: LintReport | None = None

    def show_report(self, report: LintReport) -> None:
        current = self.selected()
        self.report = report
        self.model.set_findings(report.findings)
        text = count_text(report) + f" in {report.events_checked} sample event(s)."
        needs_fields = [s.rule for s in report.skipped if "fields" in s.reason]
        if needs_fields:
            text += (
                f" {len(needs_fields)} checks need your Pipedrive fields: connect to Pipedrive "
                "(or the sandbox) to run them."
            )
        elif report.skipped:
            text += f" {len(report.skipped)} checks need sample events: add one to the project."
        self.summary.setText(text)
        # Keep the same problem selected across re-lints when it is still there.
        row = next(
            (
                i
                for i, f in enumerate(report.findings)
                if current is not None
                and (f.rule, f.mapping_id, f.field, f.custom_field)
                == (current.rule, current.mapping_id, current.field, current.custom_field)
            ),
            -1,
        )
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.detail.setHtml(self._detail_html(None))

    def selected(self) -> Finding | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        found: Finding | None = index.data(ProblemsModel.FindingRole)
        return found

    def _show(self, index: QModelIndex) -> None:
        found: Finding | None = index.data(ProblemsModel.FindingRole) if index.isValid() else None
        self.detail.setHtml(self._detail_html(found))

    @staticmethod
    def _detail_html(f: Finding | None) -> str:
        import html
        import re

        if f is None:
            return "<i>Select a problem to see what would happen and how to fix it.</i>"

        def linked(text: str) -> str:
            escaped = html.escape(text)
            return re.sub(r"(https://[^\s<]+)", r'<a href="\1">\1</a>', escaped)

        where = html.escape(f.place)
        events = f"<br><small>Seen in: {html.escape(', '.join(f.events))}</small>" if f.events else ""
        return (
            f"<b>{SEVERITY_TEXT[f.severity]}: {where}</b><br>{linked(f.message)}"
            f"<br><br><b>Fix:</b> {linked(f.fix)}{events}<br><small>Rule: {html.escape(f.rule)}</small>"
        )

    def _activated(self, index: QModelIndex) -> None:
        found = index.data(ProblemsModel.FindingRole) if index.isValid() else None
        if found is not None:
            self.go_to.emit(found)


__all__ = ["ProblemsModel", "ProblemsPanel", "severity_icon"]
