"""“Connect your Pipedrive”: company domain + API token, a *Test connection* button that shows the
user and company, saving the token to the keyring; or “Try with the offline sandbox”.

Non-modal; reports through the ``connected`` signal. Nothing typed is lost on an error.

Signals:
    connected(): the app is now connected (real account or sandbox).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.credentials import KeyringUnavailableError
from pipedrive_gui.gui.connection import Connection
from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.tasks import TaskRunner

TOKEN_HELP = (
    "Your personal API token is in Pipedrive under <b>Settings &gt; Personal preferences &gt; API</b> "
    "(click your profile picture at the top right, then Personal preferences, then the API tab). "
    "It is stored only in your computer's keyring, never in project files or exports."
)


def _connect_failure(exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    if isinstance(exc, OSError):
        return (
            f"Could not reach the server ({exc}). Check the company domain and your internet "
            "connection, then try again."
        )
    return f"Connecting failed unexpectedly: {exc}. Try again; if it keeps failing, report it."


def describe_error(exc: BaseException) -> str:
    """What happened and what to do, for any failure of a connection attempt."""
    return describe(exc, _connect_failure)


class ConnectionDialog(QDialog):
    connected = Signal()

    def __init__(self, connection: Connection, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection, self.runner = connection, runner
        self.setWindowTitle("Connect your Pipedrive")
        self.setObjectName("connectionDialog")
        heading = QLabel("Connect your Pipedrive")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel(
            "Pipedrive Mapper previews your mappings on its own. Connect your Pipedrive company "
            "to pick your own fields, check what would happen and send tests, or try everything "
            "with the offline sandbox first."
        )
        intro.setWordWrap(True)
        self.domain = QLineEdit(connection.domain if not connection.is_sandbox else "")
        self.domain.setObjectName("domainEdit")
        self.domain.setPlaceholderText("acme")
        self.domain.setAccessibleName("Company domain")
        domain_row = QHBoxLayout()
        domain_row.addWidget(QLabel("https://"))
        domain_row.addWidget(self.domain, 1)
        domain_row.addWidget(QLabel(".pipedrive.com"))
        self.token = QLineEdit()
        self.token.setObjectName("tokenEdit")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("API token")
        self.show_token = QCheckBox("Show")
        self.show_token.toggled.connect(
            lambda on: self.token.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.show_token)
        help_label = QLabel(TOKEN_HELP)
        help_label.setWordWrap(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)
        domain_help = QLabel(
            "The company domain is the first part of your Pipedrive address "
            "(Settings > Company settings > Company domain)."
        )
        domain_help.setTextFormat(Qt.TextFormat.PlainText)
        domain_help.setWordWrap(True)
        # Each help text goes under its field. (Word-wrapped labels in a QFormLayout/QGridLayout row
        # get the height of a narrower layout, leaving big gaps; boxes measure them right.)
        domain_label = QLabel("&Company domain")
        domain_label.setBuddy(self.domain)
        token_label = QLabel("API &token")
        token_label.setBuddy(self.token)
        width = max(domain_label.sizeHint().width(), token_label.sizeHint().width())
        form = QVBoxLayout()
        for label, row, help_text in (
            (domain_label, domain_row, domain_help),
            (token_label, token_row, help_label),
        ):
            label.setFixedWidth(width)
            line = QHBoxLayout()
            line.addWidget(label)
            line.addLayout(row, 1)
            form.addLayout(line)
            under = QHBoxLayout()
            under.addSpacing(width + line.spacing())
            under.addWidget(help_text, 1)
            form.addLayout(under)
            form.addSpacing(6)
        self.keyring_label = QLabel()
        self.keyring_label.setObjectName("keyringNote")
        self.keyring_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep the token for this session only (do not save it in the keyring)")
        self.session_only.setObjectName("sessionOnly")
        self.session_only.setToolTip(
            "Use this when no keyring is available: you will be asked again next time"
        )

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.hide()
        self.result_label = QLabel()
        self.result_label.setObjectName("connectionResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testButton")
        self.test_button.clicked.connect(self.test)
        self.connect_button = QPushButton("Save and connect")
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.save_and_connect)
        self.sandbox_button = QPushButton("Try with the offline sandbox")
        self.sandbox_button.setObjectName("sandboxButton")
        self.sandbox_button.clicked.connect(self.use_sandbox)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        account_box = QGroupBox("Your Pipedrive company")
        account = QVBoxLayout(account_box)
        account.addLayout(form)
        account.addWidget(self.keyring_label)
        account.addWidget(self.session_only)
        account_buttons = QHBoxLayout()
        account_buttons.addStretch(1)
        account_buttons.addWidget(self.test_button)
        account_buttons.addWidget(self.connect_button)
        account.addLayout(account_buttons)

        sandbox_box = QGroupBox("No account at hand?")
        sandbox = QHBoxLayout(sandbox_box)
        sandbox_text = QLabel(
            "The offline sandbox is a pretend Pipedrive on this computer, with sample "
            "fields and records. Nothing you send leaves your computer."
        )
        sandbox_text.setWordWrap(True)
        sandbox.addWidget(sandbox_text, 1)
        sandbox.addWidget(self.sandbox_button, 0, Qt.AlignmentFlag.AlignVCenter)

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(account_box)
        layout.addWidget(sandbox_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self.resize(660, 540)
        self.domain.textEdited.connect(lambda _: self._update())
        self.token.textEdited.connect(lambda _: self._update())
        connection.changed.connect(self._keyring_known)  # the keyring check may finish after we open
        self._keyring_known()
        self._update()

    def _keyring_known(self) -> None:
        status = self.connection.keyring_status
        if status is not None and not status.usable:
            self.keyring_label.setText(
                f"⚠ {status.problem or 'No keyring can keep the token.'} The token "
                "can be used for this session only (ticked below); you will be "
                "asked for it again next time."
            )
            self.session_only.setChecked(True)
        else:
            self.keyring_label.setText(f"The token will be saved in: {self.connection.keyring_backend}")

    def _inputs_ok(self) -> bool:
        return bool(self.token.text().strip()) and bool(
            self.domain.text().strip() or self.connection.base_url_override
        )

    def _update(self) -> None:
        busy = self.runner.running("connect")
        self.test_button.setEnabled(self._inputs_ok() and not busy)
        self.connect_button.setEnabled(self._inputs_ok() and not busy)
        self.sandbox_button.setEnabled(not busy)
        self.progress.setVisible(busy)

    def _spawn(self, coro: Coroutine[Any, Any, Any], waiting: str, on_done: Callable[[Any], None]) -> None:
        self.result_label.setText(waiting)
        self.runner.spawn(coro, name="connect", latest_wins=True, on_done=on_done, on_error=self._failed)
        self._update()

    def test(self) -> None:
        if not self._inputs_ok():
            return
        self._spawn(
            self.connection.test(self.domain.text().strip(), self.token.text().strip()),
            "Testing the connection…",
            self._tested,
        )

    def _tested(self, user: object) -> None:
        self._update()
        self.result_label.setText(
            f"✔ Connected as {getattr(user, 'name', '')} ({getattr(user, 'email', '')}) "
            f"in {getattr(user, 'company_name', '')}. Click “Save and connect” to use it."
        )

    def save_and_connect(self) -> None:
        if not self._inputs_ok():
            self.result_label.setText("Enter your company domain and API token first.")
            return
        save = not self.session_only.isChecked()
        self._spawn(
            self.connection.connect_account(self.domain.text().strip(), self.token.text().strip(), save=save),
            "Connecting and saving the token to the keyring…" if save else "Connecting…",
            self._done,
        )

    def use_sandbox(self) -> None:
        self._spawn(self.connection.connect_sandbox(), "Starting the offline sandbox…", self._done)

    def _done(self, user: object) -> None:
        self._update()
        self.result_label.setText(f"✔ Connected as {getattr(user, 'name', '')}.")
        self.connected.emit()
        self.accept()

    def show_problem(self, text: str) -> None:
        """Say why the app is not connected (e.g. the account used last time could not be reached)."""
        self.result_label.setText(f"⚠ {text}")

    def _failed(self, _name: str, exc: BaseException) -> None:
        self._update()
        self.result_label.setText(f"⚠ {describe_error(exc)}")
        if isinstance(exc, KeyringUnavailableError):
            # Offer the way out the message mentions, ready to click.
            self.session_only.setChecked(True)
