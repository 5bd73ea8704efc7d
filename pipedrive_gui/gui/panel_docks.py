"""Docking glue of the main window's panels built the first time they are opened (the impact of
events). Their modules are imported here when first used, not before the window's first paint
(tests/gui/test_startup_cost.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

if TYPE_CHECKING:
    from pipedrive_gui.gui.main_window import MainWindow


def toggle_impact(window: MainWindow) -> None:
    """View > Impact of events: build the panel and its dock the first time (``window.impact_panel``,
    ``window.impact_dock``), else show or hide the dock."""
    if window.impact_dock is None:
        from pipedrive_gui.gui.impact_panel import ImpactPanel, saved_project_of
        from pipedrive_gui.receiver import JOURNAL_FILE

        window.impact_panel = ImpactPanel(
            window.runner,
            window.connection,
            lambda: window.doc.project,
            lambda: saved_project_of(window.doc),
            window.connection.paths.data / JOURNAL_FILE,
        )
        dock = QDockWidget("Impact of events", window)
        dock.setObjectName("impactDock")
        dock.setWidget(window.impact_panel)
        dock.visibilityChanged.connect(window.menus.impact_action.setChecked)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.restoreDockWidget(dock)
        window.impact_dock = dock
        dock.show()
    else:
        window.impact_dock.setVisible(not window.impact_dock.isVisible())
