"""The status bar: which account (or sandbox) is connected, where the token is kept, how old the
field catalog is (with a refresh button), and a progress indicator whenever something runs."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from pipedrive_gui.gui.connection import Connection
from pipedrive_gui.gui.tasks import TaskRunner

_TASK_WORDS = {
    "preview": "Updating the preview…",
    "pipedrive": "Talking to Pipedrive…",
    "connect": "Connecting…",
    "fields": "Fetching Pipedrive fields…",
    "startup": "Starting…",
}


class StatusBar(QStatusBar):
    def __init__(self, connection: Connection, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.connection, self.runner = connection, runner
        self.account = QLabel()
        self.account.setObjectName("accountLabel")
        self.keyring = QLabel()
        self.keyring.setObjectName("keyringLabel")
        self.catalog = QLabel()
        self.catalog.setObjectName("catalogLabel")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("Refresh fields")
        self.refresh_button.setObjectName("refreshFieldsButton")
        self.refresh_button.setToolTip("Fetch your Pipedrive fields and activity types again")
        self.progress = QProgressBar()
        self.progress.setObjectName("busyIndicator")
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.busy_text = QLabel()
        self.addWidget(self.busy_text)
        self.addWidget(self.progress)
        self.addPermanentWidget(self.account)
        self.addPermanentWidget(self.keyring)
        self.addPermanentWidget(self.catalog)
        self.addPermanentWidget(self.refresh_button)
        connection.changed.connect(self.update_labels)
        connection.catalog_changed.connect(self.update_labels)
        runner.task_started.connect(self._task_started)
        runner.busy_changed.connect(self._busy_changed)
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(60_000)
        self._age_timer.timeout.connect(self.update_labels)
        self._age_timer.start()
        # Progress only for waits the user can notice: a preview is usually done long before 200 ms.
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(200)
        self._show_timer.timeout.connect(self._show_progress)
        self._current = ""
        self.update_labels()

    def update_labels(self) -> None:
        c = self.connection
        self.account.setText(c.account_text)
        self.account.setToolTip("The Pipedrive account this window checks and sends to "
                                "(Pipedrive > Connect… to switch)")
        self.keyring.setText(f"Token kept in: {c.keyring_backend}" if not c.is_sandbox else
                             f"Keyring: {c.keyring_backend}")
        self.catalog.setText(c.catalog_text)
        problems = getattr(c.catalog, "problems", None) or {}
        self.catalog.setToolTip("\n".join(f"{k}: {v}" for k, v in problems.items()) or
                                "Your fields and activity types, as last fetched from Pipedrive")
        self.refresh_button.setEnabled(c.connected and not c.fetching)

    def _task_started(self, name: str) -> None:
        self._current = name
        if not self._show_timer.isActive() and not self.progress.isVisible():
            self._show_timer.start()

    def _show_progress(self) -> None:
        if self.runner.busy:
            self.busy_text.setText(_TASK_WORDS.get(self._current, "Working…"))
            self.progress.show()

    def _busy_changed(self, busy: bool) -> None:
        if not busy:
            self._show_timer.stop()
            self.progress.hide()
            self.busy_text.clear()
