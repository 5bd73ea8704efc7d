"""Where the window's parts go, on screens of every size: the window's minimum size, the right column
(the sample event over the preview, or two tabs on a short window), the local receiver (docked below
on a tall window, a tab beside "Mappings" on a short one), and the layout kept between sessions.

Apart from the window because it depends on the screen, not on the project: main_window.py says
what the window holds and wires it, this module where it goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QMainWindow, QSplitter, QStackedLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QResizeEvent
    from PySide6.QtWidgets import QDockWidget, QTabWidget

    from pipedrive_gui.gui.event_editor import EventEditor
    from pipedrive_gui.gui.main_window import MainWindow
    from pipedrive_gui.gui.preview_panel import PreviewPanel

#: The window's minimum size: its panes' own minimum, with a 1024×700 screen's window frame to spare.
MINIMUM_SIZE = (990, 540)
#: Below this height the right column shows the sample event and the preview as tabs.
RIGHT_TABS_BELOW = 690
#: The receiver panel's share of the window's height when it is first docked (tall windows only).
RECEIVER_SHARE = 0.5
#: Below this window height the receiver opens as a tab beside the mappings instead of docked.
RECEIVER_TAB_BELOW = 800


class RightColumn(QWidget):
    """The sample event over the preview; where that leaves the preview too little height (a small
    screen, the receiver docked below) they become two tabs, the preview first."""

    def __init__(self, event_editor: EventEditor, preview: PreviewPanel) -> None:
        split = QSplitter(Qt.Orientation.Vertical)  # (made first, as the window always did)
        split.setObjectName("rightSplit")
        split.addWidget(event_editor)
        split.addWidget(preview)
        # The payload is what people come for: the preview gets most of the height.
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        super().__init__()
        self.setObjectName("rightColumn")
        self.event_editor, self.preview, self.split = event_editor, preview, split
        self.tabs: QTabWidget | None = None  # made when first needed (a short window)
        self._sizes: list[int] | None = None
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.split)
        # Size by a short minimum, not by the longest sample name, so the column fits small screens.
        self.event_editor.library.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.event_editor.library.setMinimumContentsLength(16)
        # (QComboBox keeps the minimum it computed first; a set minimum width wins over it.)
        self.event_editor.library.setMinimumWidth(self.event_editor.library.sizeHint().width())

    @property
    def as_tabs(self) -> bool:
        return self.tabs is not None and self._stack.currentWidget() is self.tabs

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if event.size().height() != event.oldSize().height():
            self._fit(event.size().height())

    def _make_tabs(self) -> QTabWidget:
        # Not before it is needed: the first QTabWidget costs ~6 ms of the first paint.
        from PySide6.QtWidgets import QTabWidget

        tabs = QTabWidget()
        tabs.setObjectName("rightTabs")
        tabs.setDocumentMode(True)
        self._stack.addWidget(tabs)
        return tabs

    def _fit(self, height: int) -> None:
        """Sample event over the preview while both get a useful height; else two tabs (with a
        little hysteresis so a resize around the limit does not flicker)."""
        if not self.as_tabs and height < RIGHT_TABS_BELOW:
            self._sizes = self.split.sizes()
            if self.tabs is None:
                self.tabs = self._make_tabs()
            tabs = self.tabs
            current = tabs.currentIndex()
            tabs.addTab(self.preview, "Preview")
            tabs.addTab(self.event_editor, "Sample event")
            tabs.setCurrentIndex(max(0, current))
            self._stack.setCurrentWidget(tabs)
        elif self.as_tabs and height >= RIGHT_TABS_BELOW + 20:
            self.split.insertWidget(0, self.event_editor)
            self.split.insertWidget(1, self.preview)
            self.event_editor.show()
            self.preview.show()
            if self._sizes:
                self.split.setSizes(self._sizes)
            self._stack.setCurrentWidget(self.split)


class ReceiverPlacement:
    """Where the local receiver's panel is shown. On a tall window it is docked below the mappings
    at a share of the height; on a short one (a 1366×768 or 1024×700 screen) docking would leave
    both halves a few lines high, so it opens as a tab next to "Mappings", with the whole height.
    Where is decided each time it is shown. ``on_shown_changed`` is called when it is shown or
    hidden."""

    def __init__(self, window: QMainWindow, split: QSplitter, on_shown_changed: Callable[[], None]) -> None:
        self.window, self.split, self.on_shown_changed = window, split, on_shown_changed
        self.panel: QWidget | None = None  # given the first time it is shown
        self.dock: QDockWidget | None = None
        # The splitter; in tabs ("Mappings", "Local receiver") once the receiver opens as a tab.
        self.central_tabs: QTabWidget | None = None
        #: The saved window state has the receiver's dock (its place and size are restored).
        self.state_has_dock = False

    @property
    def in_tab(self) -> bool:
        return (
            self.panel is not None
            and self.central_tabs is not None
            and self.central_tabs.indexOf(self.panel) >= 0
        )

    @property
    def shown(self) -> bool:
        """The panel is open: docked and visible, or a tab (current or not)."""
        if self.in_tab:
            return True
        return self.dock is not None and self.dock.isVisible()

    def show(self, panel: QWidget) -> None:
        """Open ``panel``: docked, or as a tab on a short window."""
        self.panel = panel
        if self.window.height() < RECEIVER_TAB_BELOW:
            self._tab(panel)
        else:
            self._dock(panel)
        self.on_shown_changed()

    def bring_forward(self) -> None:
        if self.in_tab and self.central_tabs is not None and self.panel is not None:
            self.central_tabs.setCurrentWidget(self.panel)
        elif self.dock is not None:
            self.dock.raise_()

    def _tabs_in_centre(self) -> QTabWidget:
        """The central tabs, made the first time the receiver opens as a tab."""
        if self.central_tabs is None:
            from PySide6.QtWidgets import QTabBar, QTabWidget

            self.window.takeCentralWidget()  # the splitter, kept (setCentralWidget would delete it)
            split = self.split
            tabs = QTabWidget()
            tabs.setObjectName("centralTabs")
            tabs.setDocumentMode(True)
            tabs.setTabBarAutoHide(True)
            tabs.setTabsClosable(True)
            tabs.addTab(split, "Mappings")
            tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
            tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
            tabs.tabCloseRequested.connect(self._central_tab_close)
            self.window.setCentralWidget(tabs)
            split.show()
            self.central_tabs = tabs
        return self.central_tabs

    def _dock(self, panel: QWidget) -> None:
        if self.central_tabs is not None and self.central_tabs.indexOf(panel) >= 0:
            self.central_tabs.removeTab(self.central_tabs.indexOf(panel))
        if self.dock is None:
            from PySide6.QtWidgets import QDockWidget

            dock = QDockWidget("Local receiver", self.window)
            dock.setObjectName("receiverDock")
            dock.setWidget(panel)
            dock.visibilityChanged.connect(lambda _visible: self.on_shown_changed())
            self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            self.dock = dock
            # Its place and size from the last session, if it was docked then (restoreDockWidget
            # also says True when the saved state never had it).
            if not (self.window.restoreDockWidget(dock) and self.state_has_dock):
                # First time: a share of the height that leaves the mappings and the preview usable
                # (once the dock is laid out: before, its size hint would win).
                QTimer.singleShot(0, self._share_dock)
        elif self.dock.widget() is not panel:
            self.dock.setWidget(panel)
        panel.show()
        self.dock.show()

    def _share_dock(self) -> None:
        if self.dock is not None:
            self.window.resizeDocks(
                [self.dock], [int(self.window.height() * RECEIVER_SHARE)], Qt.Orientation.Vertical
            )

    def _tab(self, panel: QWidget) -> None:
        if self.dock is not None:
            self.dock.hide()
        tabs = self._tabs_in_centre()
        if tabs.indexOf(panel) < 0:
            index = tabs.addTab(panel, "Local receiver")
            tabs.tabBar().setTabToolTip(index, "The local receiver (View > Local receiver closes it)")
        panel.show()
        tabs.setCurrentWidget(panel)

    def hide(self) -> None:
        """Close the panel (only hidden: what it runs keeps running)."""
        if self.in_tab and self.central_tabs is not None and self.panel is not None:
            self.central_tabs.removeTab(self.central_tabs.indexOf(self.panel))
            self.panel.hide()
        if self.dock is not None:
            self.dock.hide()
        self.on_shown_changed()

    def _central_tab_close(self, index: int) -> None:
        if self.central_tabs is not None and self.central_tabs.widget(index) is self.panel:
            self.hide()


# -- kept between sessions -------------------------------------------------------------------------


def restore_layout(window: MainWindow) -> bool:
    """The window's geometry, docks and splitter proportions as they were at the last close (first
    start: proportions). Returns whether the receiver panel was open then: the caller reopens it
    once the event loop runs (the panel opens its journal in the background)."""
    settings = window.settings
    geometry = settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = settings.value("window/state")
    if state is not None:
        window.restoreState(state)
        window.receiver_placement.state_has_dock = b"receiverDock" in bytes(state)
    for name, splitter in (
        ("main", window.split),
        ("right", window.right_column.split),
        ("preview", window.preview.split),
    ):
        value = settings.value(f"window/split_{name}")
        if value is not None:
            splitter.restoreState(value)
        else:
            # First start: proportions (QSplitter scales them to the window).
            splitter.setSizes({"main": [230, 600, 530], "right": [180, 640], "preview": [290, 280]}[name])
    return settings.value("window/receiver_open") in (True, "true")


def save_layout(window: MainWindow) -> None:
    settings = window.settings
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())
    settings.setValue("window/split_main", window.split.saveState())
    if not window.right_column.as_tabs:  # (in tabs the splitter is empty: the last proportions stay)
        settings.setValue("window/split_right", window.right_column.split.saveState())
    settings.setValue("window/split_preview", window.preview.split.saveState())
    settings.setValue("window/receiver_open", window.receiver_placement.shown)
    settings.sync()
