"""What the Pipedrive and Segment menus do: connect (an account, or the offline sandbox) and
remember that choice for the next start, refresh the fields, log out, list test records, pull and
push with a Segment workspace.

Apart from the window because these commands are about the accounts, not about the window: each
opens its dialog (imported when first used: none is needed for the first paint) or starts a task on
the runner, and reports in the window's status bar.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipedrive_gui.gui import dialogs

if TYPE_CHECKING:
    from pipedrive_gui.gui.connection_dialog import ConnectionDialog
    from pipedrive_gui.gui.main_window import MainWindow
    from pipedrive_gui.gui.segment_dialog import SegmentDialog
    from pipedrive_gui.gui.test_records_view import TestRecordsDialog

log = logging.getLogger(__name__)


class AccountCommands:
    """The Pipedrive and Segment menus' commands for one window (``window.accounts``), and the
    dialogs they opened (kept, so a second command shows the same one)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.doc, self.connection, self.runner, self.settings = (
            window.doc,
            window.connection,
            window.runner,
            window.settings,
        )
        self.connection_dialog: ConnectionDialog | None = None
        self.test_records_dialog: TestRecordsDialog | None = None
        self.segment_dialog: SegmentDialog | None = None

    def show_connection_dialog(self) -> ConnectionDialog:
        from pipedrive_gui.gui.connection_dialog import ConnectionDialog

        if self.connection_dialog is None:
            self.connection_dialog = ConnectionDialog(self.connection, self.runner, self.window)
            self.connection_dialog.connected.connect(self.remember_connection)
        self.connection_dialog.show()
        self.connection_dialog.raise_()
        return self.connection_dialog

    def show_segment_dialog(self) -> SegmentDialog:
        from pipedrive_gui.gui.segment_dialog import SegmentDialog

        if self.segment_dialog is None:
            self.segment_dialog = SegmentDialog(self.doc, self.connection.store, self.runner, self.window)
        self.segment_dialog.show()
        self.segment_dialog.raise_()
        self.segment_dialog.start()
        return self.segment_dialog

    def segment_log_out(self) -> None:
        async def forget() -> None:
            removed = await self.connection.store.adelete_segment()
            if self.segment_dialog is not None:
                await self.segment_dialog.forget_connection()
            self.window.statusBar().showMessage(
                "Segment token removed from the keyring" if removed else "No Segment token was saved", 8000
            )

        self.runner.spawn(forget(), name="segment-logout")

    def show_test_records(self) -> TestRecordsDialog:
        from pipedrive_gui.gui.test_records_view import TestRecordsDialog

        if self.test_records_dialog is None:
            self.test_records_dialog = TestRecordsDialog(
                self.connection,
                self.runner,
                lambda: (
                    self.connection.engine(self.doc.project.destination).link_for
                    if self.connection.connected
                    else None
                ),
                self.window,
            )
        self.test_records_dialog.show()
        self.test_records_dialog.raise_()
        return self.test_records_dialog

    def use_sandbox(self) -> None:
        self.runner.spawn(
            self.connection.connect_sandbox(),
            name="connect",
            latest_wins=True,
            on_done=lambda _user: self.remember_connection(),
        )

    #: QSettings key: "sandbox" when the user chose the sandbox (next start uses it without asking).
    LAST_CONNECTION = "connection/last"

    def remember_connection(self) -> None:
        """The user chose where to connect; a real account is remembered by its keyring entry."""
        if self.connection.is_sandbox:
            self.settings.setValue(self.LAST_CONNECTION, "sandbox")
        else:
            self.settings.remove(self.LAST_CONNECTION)

    def chose_sandbox_before(self) -> bool:
        return bool(self.settings.value(self.LAST_CONNECTION) == "sandbox")

    def refresh_fields(self) -> None:
        if self.connection.connected:
            self.runner.spawn(self.connection.refresh_catalog(), name="fields", latest_wins=True)

    def log_out(self) -> None:
        def answered(answer: str) -> None:
            if answer == dialogs.YES:
                self.settings.remove(self.LAST_CONNECTION)
                self.runner.spawn(
                    self.connection.log_out(),
                    name="connect",
                    latest_wins=True,
                    on_done=lambda _: (self.show_connection_dialog(), None)[1],
                )

        dialogs.ask(
            self.window,
            "Log out",
            f"Disconnect from {self.connection.account_text} and forget its API token on this computer?",
            [dialogs.YES, dialogs.CANCEL],
            answered,
        )

    def start_connect_failed(self, exc: BaseException) -> None:
        """Connecting to what was used last time failed at start: the connection dialog, with the
        reason in it (one dialog, not an error box on top of it)."""
        from pipedrive_gui.gui.connection_dialog import describe_error

        message = describe_error(exc)
        log.warning("Could not connect to Pipedrive at start: %s", message)
        self.window.status.showMessage(f"Could not connect to Pipedrive: {message}", 15000)

        def show() -> None:
            self.show_connection_dialog().show_problem(f"Could not connect to Pipedrive: {message}")

        self.window.when_no_question(show)
