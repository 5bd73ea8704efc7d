"""The menu bar (File, Edit, Pipedrive, Segment, View, Help): each command's name, shortcut and
status tip, and the actions whose state changes (checked, enabled).

Apart from the window so that main_window.py reads as the window's composition, not as forty
menu entries. The commands themselves belong to the window, its file commands (``file_commands.py``)
and its panels; the keys are in ``shortcuts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from pipedrive_gui.gui import dialogs, shortcuts
from pipedrive_gui.gui.undo_actions import UndoRedoActions

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from pipedrive_gui.gui.main_window import MainWindow


class Menus:
    """The window's menu bar (``window.menus``); its actions are children of the window."""

    def __init__(self, w: MainWindow) -> None:
        self.window = w
        bar = w.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&New project", w.files.new_project, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", w.files.open_dialog, QKeySequence.StandardKey.Open)
        w.files.show_recent_in(f.addMenu("Open &recent"))
        self._action(
            f,
            "Open &demo project",
            w.files.open_demo,
            tip="Ready-made mappings and sample events to look around (on the offline sandbox "
            "when not connected)",
        )
        self._action(f, "&Save", w.files.save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &as…", w.files.save_as, QKeySequence.StandardKey.SaveAs)
        f.addSeparator()
        self._action(
            f,
            "&Import Segment JSON…",
            w.files.import_segment_dialog,
            tip="Bring in mappings from a Segment export (Public API subscriptions); asks how "
            "when this project already has mappings",
        )
        self._action(
            f,
            "&Export Segment JSON…",
            lambda: w.files.export_dialog("segment"),
            tip="Subscriptions Segment accepts (no API token in it)",
        )
        self._action(f, "Export &Terraform…", lambda: w.files.export_dialog("terraform"))
        self._action(
            f,
            "Export &checklist…",
            lambda: w.files.export_dialog("checklist"),
            tip="A readable list of every mapping, to set up or review in Segment",
        )
        f.addSeparator()
        self._action(f, "&Quit", w.close, QKeySequence.StandardKey.Quit).setObjectName("quitAction")

        e = bar.addMenu("&Edit")
        # Undo/Redo act where the user is: typing in the sample-event box, else the project's steps.
        self.undo_redo = UndoRedoActions(w, w.doc.undo_stack, {w.event_editor.text: "the sample event"})
        self.undo_action = self.undo_redo.undo_action
        self.redo_action = self.undo_redo.redo_action
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addSeparator()
        new_menu = w.mapping_list.new_menu
        new_menu.setTitle("&New mapping")
        e.addMenu(new_menu)
        self._action(
            e, "New mapping (choose preset or action)…", w.mapping_list.show_new_menu, shortcuts.NEW_MAPPING
        )
        self._action(e, "&Duplicate mapping", w.mapping_list.duplicate, shortcuts.DUPLICATE)
        self._action(e, "Re&name mapping", w.mapping_list.rename, shortcuts.RENAME)
        self._action(e, "De&lete mapping", w.mapping_list.delete, shortcuts.DELETE)
        self._action(e, "Move mapping &up", lambda: w.mapping_list.move_selected(-1), shortcuts.MOVE_UP)
        self._action(e, "Move mapping do&wn", lambda: w.mapping_list.move_selected(1), shortcuts.MOVE_DOWN)
        self._action(e, "&Pretty-print sample event", w.event_editor.pretty_print, shortcuts.PRETTY_PRINT)

        p = bar.addMenu("&Pipedrive")
        self._action(
            p,
            "&Connect…",
            w.accounts.show_connection_dialog,
            shortcuts.CONNECT,
            tip="Connect your Pipedrive or the sandbox",
        )
        self._action(p, "Use the offline &sandbox", w.accounts.use_sandbox)
        self.refresh_action = self._action(
            p, "&Refresh fields", w.accounts.refresh_fields, QKeySequence.StandardKey.Refresh
        )
        self.logout_action = self._action(p, "&Log out (forget the token)", w.accounts.log_out)
        p.addSeparator()
        self.check_action = self._action(
            p,
            "Check in &Pipedrive",
            w.preview.check,
            shortcuts.CHECK,
            tip="Read-only: would update / would create / would fail",
        )
        self.check_action.setShortcuts([QKeySequence(shortcuts.CHECK), QKeySequence(shortcuts.CHECK_ALT)])
        self._action(p, "Send &test…", w.preview.ask_send, shortcuts.SEND)
        self.test_records_action = self._action(
            p,
            "Test rec&ords…",
            w.accounts.show_test_records,
            tip="The records your tests created in Pipedrive; delete them again",
        )

        sg = bar.addMenu("Se&gment")
        self._action(
            sg,
            "&Pull and push…",
            w.accounts.show_segment_dialog,
            tip="Connect your Segment workspace, pull a destination's mappings, review and push changes",
        )
        self._action(sg, "Log out of Segment (forget the token)", w.accounts.segment_log_out)

        v = bar.addMenu("&View")
        self.receiver_action = self._action(
            v,
            "Local &receiver",
            w.toggle_receiver,
            shortcuts.RECEIVER,
            tip="Receive events the way Segment's tracking API does",
        )
        self.receiver_action.setCheckable(True)
        problems = w.problems_dock.toggleViewAction()
        problems.setText("&Problems")
        problems.setShortcut(QKeySequence(shortcuts.PROBLEMS))
        problems.setStatusTip("Duplicate traps, Segment's limits and production differences, per mapping")
        v.addAction(problems)
        self.impact_action = self._action(
            v,
            "&Impact of events",
            w.toggle_impact,
            tip="What a set of events would do, per mapping (read-only)",
        )
        self.impact_action.setCheckable(True)

        h = bar.addMenu("&Help")
        self._action(
            h,
            "&Getting started",
            w.show_getting_started,
            tip="The main steps: pick a sample, see the payload, check in Pipedrive, send a test, export",
        )
        self._action(
            h,
            "Where is my API token?",
            lambda: dialogs.show_info(
                w,
                "Your Pipedrive API token",
                "In Pipedrive: Settings > Personal preferences > API. Copy the token and paste it in "
                "Pipedrive > Connect…; it is kept in your computer's keyring only.",
            ),
        )
        self.update_actions()

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence.StandardKey | None = None,
        tip: str = "",
    ) -> QAction:
        act = QAction(text, self.window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        return act

    def update_actions(self) -> None:
        """Enable what needs a connection to Pipedrive."""
        self.refresh_action.setEnabled(self.window.connection.connected)
        self.logout_action.setEnabled(self.window.connection.connected)
