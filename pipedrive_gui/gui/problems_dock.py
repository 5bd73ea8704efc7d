"""The Problems dock of the main window: the dock (hidden until asked for), the live linter feeding
it, the field editor and the mapping list, and a status-bar button with the counts.

The dock is made with the window (the View menu's action and the saved layout need it); the list in
it when it is first shown (see :attr:`ProblemsDock.problems`): neither the Problems list nor the
linter's rules are loaded before the window's first paint (tests/gui/test_startup_cost.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QToolButton

from pipedrive_gui.gui import shortcuts
from pipedrive_gui.gui.project_linter import ProjectLinter, count_text

if TYPE_CHECKING:
    from pipedrive_gui.core.lint.model import Finding, LintReport
    from pipedrive_gui.gui.main_window import MainWindow
    from pipedrive_gui.gui.problems_panel import ProblemsPanel


class ProblemsDock:
    """Owns the window's ``linter``, ``problems_dock`` and ``problems_button`` (also set on the
    window under those names) and the lazily built Problems list."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.linter = ProjectLinter(
            lambda: window.doc.project,
            window.event_editor.current_event,
            lambda: window.connection.catalog,
            window,
        )
        dock = QDockWidget("Problems", window)
        dock.setObjectName("problemsDock")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        dock.visibilityChanged.connect(self._dock_visible)
        self.dock = dock
        self.button = QToolButton()
        self.button.setObjectName("problemsButton")
        self.button.setAutoRaise(True)
        self.button.setText("Problems: not checked yet")
        self.button.setToolTip(
            shortcuts.with_key(
                "What could go wrong in Segment and Pipedrive with these mappings", shortcuts.PROBLEMS
            )
        )
        self.button.clicked.connect(self.show)
        window.status.addPermanentWidget(self.button)
        self.linter.updated.connect(self._lint_updated)
        window.doc.changed.connect(self.linter.schedule)
        window.event_editor.event_changed.connect(self.linter.schedule)
        window.connection.catalog_changed.connect(self.linter.schedule)
        self.linter.schedule()

    _problems: ProblemsPanel | None = None

    @property
    def problems(self) -> ProblemsPanel:
        """The Problems list, built the first time it is shown or asked for: its module and widgets
        are not needed for the window's first paint (tests/gui/test_startup_cost.py)."""
        if self._problems is None:
            from pipedrive_gui.gui.problems_panel import ProblemsPanel

            panel = ProblemsPanel()
            panel.go_to.connect(self.go_to)
            if self.linter.report is not None:
                panel.show_report(self.linter.report)
            self.dock.setWidget(panel)
            self._problems = panel
        return self._problems

    def _dock_visible(self, visible: bool) -> None:
        if visible:
            _ = self.problems  # (built now if it was not)

    def _lint_updated(self, report: LintReport) -> None:
        if self._problems is not None:
            self._problems.show_report(report)
        self.window.mapping_list.model.set_marks(report.marks())
        self.window.mapping_editor.set_findings(report.findings)
        self.button.setText(f"Problems: {count_text(report)}")
        self.dock.setWindowTitle(f"Problems — {count_text(report)}")

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.problems.table.setFocus()

    def go_to(self, finding: Finding) -> None:
        """Select the finding's mapping and put the focus on its field."""
        w = self.window
        if not finding.mapping_id or w.doc.index_of(finding.mapping_id) < 0:
            return
        w.mapping_list.select(finding.mapping_id)
        if finding.field:
            w.mapping_editor.focus_field(finding.field, finding.custom_field)
