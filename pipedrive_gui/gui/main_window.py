"""The main window: mappings on the left, the selected mapping in the middle, the sample event and
the live preview on the right; the Problems list, the local receiver and the impact of events below.

Composition only: the services (document, connection, task runner, settings, autosave) are built
by ``app.py`` and passed in; this module builds the panels and wires them together. Beside it:
``menus.py`` (the menu bar), ``file_commands.py`` (what the File menu does),
``account_commands.py`` (the Pipedrive and Segment menus) and ``window_layout.py`` (where the parts
go on small and large screens, and the layout kept between sessions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSplitter,
    QWidget,
)

from pipedrive_gui import APP_NAME
from pipedrive_gui.core import samples
from pipedrive_gui.core.project import Project
from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.account_commands import AccountCommands
from pipedrive_gui.gui.autosave import Autosaver
from pipedrive_gui.gui.connection import Connection
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.event_editor import EventEditor
from pipedrive_gui.gui.field_editor import EditorContext
from pipedrive_gui.gui.file_commands import FileCommands
from pipedrive_gui.gui.mapping_editor import MappingEditor
from pipedrive_gui.gui.mapping_list import MappingListPanel
from pipedrive_gui.gui.menus import Menus
from pipedrive_gui.gui.panel_docks import toggle_impact
from pipedrive_gui.gui.preview import choose_sample, what_is_missing
from pipedrive_gui.gui.preview_panel import PreviewPanel
from pipedrive_gui.gui.problems_dock import ProblemsDock
from pipedrive_gui.gui.status_bar import StatusBar
from pipedrive_gui.gui.tasks import TaskRunner
from pipedrive_gui.gui.window_layout import (
    MINIMUM_SIZE,
    ReceiverPlacement,
    RightColumn,
    restore_layout,
    save_layout,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QPaintEvent

    # Types only. What only a menu command, a panel or a dialog needs is imported when first used
    # (the linter after the first paint): every module loaded before the window's first paint
    # delays it (most are compiled at each start when no bytecode cache is written).
    from PySide6.QtWidgets import QPushButton

    from pipedrive_gui.core.lint.model import Finding
    from pipedrive_gui.gui.impact_panel import ImpactPanel
    from pipedrive_gui.gui.problems_panel import ProblemsPanel
    from pipedrive_gui.gui.receiver_panel import ReceiverPanel

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(
        self,
        doc: Document,
        connection: Connection,
        runner: TaskRunner,
        settings: QSettings,
        autosaver: Autosaver | None = None,
        parent: QWidget | None = None,
        *,
        reopen_receiver: bool = True,
    ) -> None:
        """``reopen_receiver``: reopen the receiver panel on the next turn of the event loop if it
        was open last time. The app passes False because it builds and paints this window before
        the loop exists (the panel starts background tasks as it is built); it calls
        restore_receiver() once the loop runs."""
        super().__init__(parent)
        self.doc, self.connection, self.runner, self.settings = doc, connection, runner, settings
        self.autosaver = autosaver
        self.setObjectName("mainWindow")
        self._close_confirmed = False
        self._after_question = []
        runner.set_error_handler(self._task_failed)
        self.files = FileCommands(self)
        self.accounts = AccountCommands(self)

        # Created in the order they are on screen, left to right: that is the Tab order.
        self.mapping_list = MappingListPanel(doc)
        self.mapping_editor = MappingEditor(doc, self._editor_context)
        self.event_editor = EventEditor(doc)
        self.preview = PreviewPanel(doc, connection, runner, self._event_for_preview)

        self.right_column = RightColumn(self.event_editor, self.preview)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("mainSplit")
        self.split.addWidget(self.mapping_list)
        self.split.addWidget(self.mapping_editor)
        self.split.addWidget(self.right_column)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 3)
        self.split.setStretchFactor(2, 3)
        self.split.setChildrenCollapsible(False)
        self.setCentralWidget(self.split)
        self.receiver_placement = ReceiverPlacement(self, self.split, self._update_receiver_action)
        self.status = StatusBar(connection, runner, self)
        self.setStatusBar(self.status)
        self.status.refresh_button.clicked.connect(self.accounts.refresh_fields)
        self.status.explain.connect(lambda title, text: dialogs.show_info(self, title, text))
        self.status.show_receiver.connect(self.show_receiver_panel)
        if autosaver is not None:
            autosaver.status_changed.connect(self._autosave_status)
            # A pasted sample event is work too: it is in the autosave until saved to the project.
            autosaver.draft = self.event_editor.own_text
            self.event_editor.event_changed.connect(autosaver.draft_changed)

        self._build_problems()
        self.mapping_list.current_changed.connect(self._mapping_selected)
        self.mapping_list.created.connect(self._mapping_created)
        welcome = self.mapping_editor.welcome
        welcome.open_demo.connect(self.files.open_demo)
        welcome.preset_chosen.connect(self.mapping_list.new_from_preset)
        welcome.import_file.connect(self.files.import_segment_dialog)
        welcome.open_project.connect(self.files.open_dialog)
        doc.changed.connect(self.preview.schedule)
        doc.path_changed.connect(self._update_title)
        doc.dirty_changed.connect(lambda _: self._update_title())
        self.event_editor.event_changed.connect(self.preview.schedule)
        connection.catalog_changed.connect(self._catalog_changed)
        connection.changed.connect(self._connection_changed)

        self.menus = Menus(self)
        self._update_title()
        # A set minimum, not the one the layout derives: a moment's wider content (a long status
        # message, a table being filled) must not grow the window past a 1024×700 screen.
        self.setMinimumSize(*MINIMUM_SIZE)
        self.resize(1360, 840)
        # Reopened by restore_receiver(), not here: see above.
        self._receiver_was_open = restore_layout(self)
        if reopen_receiver and self._receiver_was_open:
            QTimer.singleShot(0, self.restore_receiver)

    # -- problems (the linter; see problems_dock.py) ----------------------------------------------

    def _build_problems(self) -> None:
        self._problems_dock = ProblemsDock(self)
        self.linter = self._problems_dock.linter
        self.problems_dock = self._problems_dock.dock
        self.problems_button = self._problems_dock.button

    @property
    def problems(self) -> ProblemsPanel:
        return self._problems_dock.problems

    def show_problems(self) -> None:
        self._problems_dock.show()

    def go_to_problem(self, finding: Finding) -> None:
        self._problems_dock.go_to(finding)

    # -- wiring helpers ---------------------------------------------------------------------------

    def _editor_context(self, slug: str) -> EditorContext:
        return EditorContext(
            slug, self.event_editor.current_event, lambda: self.connection.catalog, self._pick_path
        )

    def _pick_path(
        self, anchor: QWidget, event: dict[str, Any] | None, callback: Callable[[str], None]
    ) -> None:
        from pipedrive_gui.gui.path_picker import open_path_picker

        open_path_picker(anchor, event, callback)

    def _event_for_preview(self) -> tuple[dict[str, Any] | None, str | None]:
        return self.event_editor.current_event(), self.event_editor.error

    def _mapping_selected(self, mapping_id: str) -> None:
        self.mapping_editor.show_mapping(mapping_id)
        self.preview.set_mapping(mapping_id)
        # Right after this paint, not before: scoring samples compiles the mapping (the mapping kit's
        # compiler is not imported before the window's first paint; tests/gui/test_startup_cost.py).
        self._after_paint(lambda: self._choose_sample_for(mapping_id))

    #: The window has painted once (see _after_paint).
    _painted = False
    _waiting_for_paint: list[Callable[[], object]] | None = None

    def _after_paint(self, then: Callable[[], object]) -> None:
        """Run ``then`` on the next turn of the event loop, but not before the window's first paint:
        at start-up a zero timer started while the window is shown but not yet painted fires before
        that paint (the event loop takes timers before the window's update request)."""
        if self._painted or not self.isVisible():
            QTimer.singleShot(0, self, then)
            return
        if self._waiting_for_paint is None:
            self._waiting_for_paint = []
        self._waiting_for_paint.append(then)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            waiting, self._waiting_for_paint = self._waiting_for_paint or [], None
            for then in waiting:
                QTimer.singleShot(0, self, then)

    def _choose_sample_for(self, mapping_id: str) -> None:
        if mapping_id == self.mapping_editor.mapping_id:  # still the mapping shown
            self._choose_sample(mapping_id)

    def _choose_sample(self, mapping_id: str) -> None:
        """Show a sample the mapping previews cleanly on (``choose_sample``), but never replace an
        event the user typed or pasted."""
        m = self.doc.mapping(mapping_id)
        if m is None or not self.event_editor.is_pristine():
            return
        chosen = choose_sample(
            self.preview.computer, m, self.event_editor.current_event(), self.doc.project.samples
        )
        if chosen is not None:
            kind, key, event = chosen
            self.event_editor.select_entry(kind, key)
            self.event_editor.set_event(event)

    def _mapping_created(self, mapping_id: str) -> None:
        """A new mapping: point at the one thing left to fill in, if any (``what_is_missing``)."""
        m = self.doc.mapping(mapping_id)
        event = self.event_editor.current_event()
        if m is None or event is None:
            return
        missing = what_is_missing(self.preview.computer, m, event)
        if missing is None:
            return
        field, text = missing
        if field is not None:
            self.mapping_editor.point_at(field, text)
        else:
            self.mapping_editor.show_hint(text)

    def _autosave_status(self, error: str) -> None:
        self.status.set_autosave_error(error)
        if error:
            self.status.showMessage(error, 15000)

    def _catalog_changed(self) -> None:
        self.mapping_editor.refresh_choices()
        self.preview.schedule()

    def _connection_changed(self) -> None:
        self.preview.schedule()
        self.menus.update_actions()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — {APP_NAME}")
        self.setWindowModified(self.doc.dirty)

    # -- local receiver (built the first time it is opened; placed by window_layout) -------------

    receiver_panel: ReceiverPanel | None = None
    _receiver_was_open = False

    def _build_receiver_panel(self) -> ReceiverPanel:
        from pipedrive_gui.gui.receiver_panel import ReceiverPanel

        self.receiver_panel = ReceiverPanel(
            self.runner,
            self.connection.paths,
            lambda: self.doc.project,
            lambda project: (
                self.connection.engine(project.destination) if self.connection.connected else None
            ),
            on_use_as_sample=self.use_as_sample,
        )
        self.doc.changed.connect(self.receiver_panel.refresh_processor)
        self.connection.changed.connect(self.receiver_panel.refresh_processor)
        self.connection.catalog_changed.connect(self.receiver_panel.refresh_processor)
        self.receiver_panel.state_changed.connect(self._receiver_state_changed)
        self._receiver_state_changed()
        return self.receiver_panel

    def toggle_receiver(self) -> None:
        """View > Local receiver: open the panel (docked, or as a tab on a short window) or close
        it. Closing only hides it: a running receiver keeps running (the status bar says so)."""
        panel = self.receiver_panel
        if panel is None:
            panel = self._build_receiver_panel()
        elif self.receiver_placement.shown:
            self.receiver_placement.hide()
            return
        self.receiver_placement.show(panel)

    def _update_receiver_action(self) -> None:
        self.menus.receiver_action.setChecked(self.receiver_placement.shown)

    def show_receiver_panel(self) -> None:
        """Show the receiver panel (opened if needed) and bring it forward."""
        if not self.receiver_placement.shown:
            self.toggle_receiver()
        self.receiver_placement.bring_forward()
        if self.receiver_panel is not None:
            self.receiver_panel.setFocus()

    def _receiver_state_changed(self) -> None:
        panel = self.receiver_panel
        if panel is not None:
            from pipedrive_gui.core.modes import SEND

            self.status.set_receiver(
                panel.running, panel.mode == SEND, panel.waiting, panel.url if panel.running else ""
            )

    # -- impact panel (docked; built the first time it is opened) --------------------------------

    impact_dock: QDockWidget | None = None
    impact_panel: ImpactPanel | None = None

    def toggle_impact(self) -> None:
        toggle_impact(self)  # (panel_docks.py)

    def restore_receiver(self) -> None:
        """Reopen the receiver panel if it was open when the app was last closed (once the event
        loop runs: the panel opens its journal in the background)."""
        if self._receiver_was_open and self.receiver_panel is None:
            self.toggle_receiver()

    def use_as_sample(self, event: dict[str, Any]) -> None:
        """A received event is added to the project's sample library (one undo step) and becomes
        the sample event (the preview updates)."""
        from pipedrive_gui.core.project import SampleEvent
        from pipedrive_gui.gui.event_editor import describe_event

        items = list(self.doc.project.samples)
        base = f"{describe_event(event)} (received)"
        names = {s.name for s in items}
        name, n = base, 2
        while name in names:
            name, n = f"{base} {n}", n + 1
        items.append(SampleEvent(name, event))
        self.doc.set_samples(items, f"Add received event “{name}” as a sample")
        self.event_editor.set_event(event)
        self.event_editor.select_entry("project", len(items) - 1)
        self.statusBar().showMessage(f"Added “{name}” to the project's sample events", 5000)

    async def shutdown(self) -> None:
        """Stop what the window started (the receiver) before the loop ends."""
        if self.receiver_panel is not None:
            await self.receiver_panel.shutdown()
        if self.accounts.segment_dialog is not None:
            await self.accounts.segment_dialog.aclose()

    # -- the project shown ----------------------------------------------------------------------------

    def load(self, project: Project, path: Path | None, *, dirty: bool = False) -> None:
        self.doc.replace_project(project, path, dirty=dirty)
        if project.samples:
            self.event_editor.set_event(project.samples[0].event)
            self.event_editor.select_entry("project", 0)
        elif self.event_editor.current_event() is None:
            self.event_editor.set_event(samples.load_sample(samples.sample_names()[0]))
        if project.mappings:
            self.mapping_list.select(project.mappings[0].id)
        if path is not None:
            self.files.add_recent(path)

    # -- welcome and help -------------------------------------------------------------------------

    def show_getting_started(self) -> None:
        from pipedrive_gui.gui.getting_started import getting_started_text

        dialogs.show_info(self, "Getting started", getting_started_text())

    def add_import_source(self, label: str, tip: str, callback: Callable[[], object]) -> QPushButton:
        """Another way to import mappings, offered on the empty window's welcome (e.g. "Pull from a
        Segment workspace…"); the caller adds its menu command itself."""
        return self.mapping_editor.welcome.add_import_source(label, tip, callback)

    # -- a task failed; one question at a time ----------------------------------------------------

    def _task_failed(self, name: str, exc: BaseException) -> None:
        from pipedrive_gui.gui.connection_dialog import describe_error

        what = {
            "fields": "Could not fetch your Pipedrive fields",
            "connect": "Could not connect",
            "startup": "Could not connect to Pipedrive",
        }.get(name, "Something went wrong")
        message = describe_error(exc)
        log.warning("%s: %s", what, message)
        self.status.showMessage(f"{what}: {message}", 15000)
        self.when_no_question(
            lambda: dialogs.show_error(
                self, what, message, "Your work is unchanged. Check the connection under Pipedrive > Connect…"
            )
        )

    #: A question the user has to answer first is open (the recovery offer at start).
    _question_open = False
    _after_question: list[Callable[[], object]]

    def when_no_question(self, then: Callable[[], object]) -> None:
        """Run ``then`` (which opens a dialog) now, or once the open question is answered: at start
        the recovery offer comes first and alone, nothing covers its buttons."""
        if self._question_open:
            self._after_question.append(then)
        else:
            then()

    def question_asked(self) -> None:
        """A question the user has to answer first is open: ``when_no_question`` holds the others."""
        self._question_open = True

    def question_answered(self) -> None:
        self._question_open = False
        waiting, self._after_question = self._after_question, []
        for then in waiting:
            then()

    # -- closing ---------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.doc.dirty and not self._close_confirmed:
            event.ignore()

            def go() -> None:
                self._close_confirmed = True
                # Not from inside this closeEvent: Qt ignores a nested close().
                QTimer.singleShot(0, self.close)

            self.files.maybe_discard(go)
            return
        save_layout(self)
        if self.autosaver is not None:
            self.autosaver.stop(clean_exit=True)
        # The window is going away: what Qt deletes from here on must not call back into it.
        self.menus.undo_redo.detach()
        event.accept()
