"""The rows at the top of the receiver panel: Start/Stop, the mode and the running state; the address,
port and write key; the web pages allowed to send.

The settings typed here (port, write key, allowed web pages) are kept here and saved in
``receiver.json`` through ``receiver/config.py``; for the rest it shows what the panel tells it
and says what the user asked for through signals. Also the small widget helpers the panel's
other parts share.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui import dialogs
from pipedrive_gui.receiver.access import new_write_key
from pipedrive_gui.receiver.config import PanelConfig, choose_origins, origins_text, save_panel_config
from pipedrive_gui.receiver.outcomes import ReceiverMode


class ReceiverControls(QWidget):
    """Signals: start_stop(), mode_chosen(str: a ReceiverMode value; live only once the user
    confirmed it), address_changed() (the port or the write key), origins_changed(tuple of
    origins), copy_asked(str: "address" or "write key"), message(str)."""

    start_stop = Signal()
    mode_chosen = Signal(str)
    address_changed = Signal()
    origins_changed = Signal(tuple)
    copy_asked = Signal(str)
    message = Signal(str)

    def __init__(self, config_dir: Path | str, config: PanelConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config_dir = config_dir
        self._persist = config.persist
        self.write_key = config.write_key
        self.allowed_origins = config.allowed_origins
        self._mode = ReceiverMode.DRY_RUN  # as last shown by the panel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._state_row())
        layout.addLayout(self._address_row(config.port))
        layout.addLayout(self._origins_row(origins_text(config.allowed_origins)))

    def _state_row(self) -> QHBoxLayout:
        self.start_button = QPushButton("Start receiver")
        self.start_button.setObjectName("receiverStart")
        self.start_button.setToolTip("Listen for events from Segment libraries on this computer")
        self.start_button.clicked.connect(self.start_stop)
        self.progress = QProgressBar()
        self.progress.setObjectName("receiverProgress")
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.state_label = QLabel()
        self.state_label.setObjectName("receiverState")
        self.state_label.setWordWrap(True)
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("receiverMode")
        self.mode_combo.addItem("Dry run: look up records, write nothing", ReceiverMode.DRY_RUN.value)
        self.mode_combo.addItem("Live: create and update records in Pipedrive", ReceiverMode.LIVE.value)
        self.mode_combo.setAccessibleName("Mode")
        narrow(self.mode_combo, 36)
        self.mode_combo.currentIndexChanged.connect(self._mode_picked)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.progress)
        row.addWidget(QLabel("Mode:"))
        row.addWidget(self.mode_combo)
        row.addWidget(self.state_label, 1)
        return row

    def _address_row(self, port: int) -> QHBoxLayout:
        self.address = readonly_line("receiverAddress", "Receiver address")
        self.copy_address = button("Copy", "Copy the address", lambda: self.copy_asked.emit("address"))
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("receiverPort")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free port")
        self.port_spin.setValue(port)
        self.port_spin.setAccessibleName("Port")
        self.port_spin.valueChanged.connect(self._port_changed)
        self.key_edit = readonly_line("receiverWriteKey", "Write key")
        self.copy_key = button("Copy", "Copy the write key", lambda: self.copy_asked.emit("write key"))
        self.new_key = button(
            "New key", "Make a new write key (snippets with the old one stop working)", self._make_new_key
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("Address:"))
        row.addWidget(self.address, 2)
        row.addWidget(self.copy_address)
        row.addWidget(QLabel("Port:"))
        row.addWidget(self.port_spin)
        row.addWidget(QLabel("Write key:"))
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.copy_key)
        row.addWidget(self.new_key)
        return row

    def _origins_row(self, origins: str) -> QHBoxLayout:
        self.origins_edit = QLineEdit(origins)
        self.origins_edit.setObjectName("receiverAllowedOrigins")
        self.origins_edit.setAccessibleName("Allowed web pages")
        self.origins_edit.setPlaceholderText(
            "none: no web page may send (e.g. http://localhost:3000, https://www.example.com)"
        )
        self.origins_edit.setToolTip(
            "Addresses of the web pages whose analytics.js may send events here, separated by commas.\n"
            "Pages from any other address are refused, so a site you visit cannot write to Pipedrive."
        )
        self.origins_edit.editingFinished.connect(lambda: self.set_allowed_origins(self.origins_edit.text()))
        row = QHBoxLayout()
        row.addWidget(QLabel("Allowed web pages:"))
        row.addWidget(self.origins_edit, 1)
        return row

    # -- the settings typed here ---------------------------------------------------------------

    def set_allowed_origins(self, text: str) -> bool:
        """Web pages (origins, separated by commas or spaces) that may send; False (and says why) if malformed."""
        choice = choose_origins(text, self.allowed_origins)
        if choice.origins is None:
            self.message.emit(choice.message or "")
            return False
        self.origins_edit.setText(origins_text(choice.origins))
        if not choice.changed:
            return True
        self.allowed_origins = choice.origins
        self.origins_changed.emit(choice.origins)
        self.save()
        self.message.emit(choice.message or "")
        return True

    def _port_changed(self, _value: int) -> None:
        self.address_changed.emit()
        self.save()

    def _make_new_key(self) -> None:
        self.write_key = new_write_key()
        self.address_changed.emit()
        self.save()
        self.message.emit("New write key made; update your code with it.")

    def save(self) -> None:
        """Keep the settings in ``receiver.json`` (not when the panel was given its own)."""
        if not self._persist:
            return
        problem = save_panel_config(
            self._config_dir, self.port_spin.value(), self.write_key, self.allowed_origins
        )
        if problem:
            self.message.emit(problem)

    # -- mode ----------------------------------------------------------------------------------

    def _mode_picked(self, _index: int) -> None:
        chosen = ReceiverMode(self.mode_combo.currentData())
        if chosen == self._mode:
            return
        if chosen is ReceiverMode.LIVE:
            dialogs.ask(
                self,
                "Switch to live mode?",
                "In live mode every event that fires a mapping creates or updates records in Pipedrive.",
                [dialogs.YES, dialogs.CANCEL],
                self._live_answered,
                details="Dry run only looks records up. You can switch back at any time; events already "
                "processed are not sent again unless you replay them.",
                labels={dialogs.YES: "Go live", dialogs.CANCEL: "Stay in dry run"},
            )
        else:
            self.mode_chosen.emit(chosen.value)

    def _live_answered(self, answer: str) -> None:
        if answer == dialogs.YES:
            self.mode_chosen.emit(ReceiverMode.LIVE.value)
        else:
            self.show_mode(self._mode)

    # -- what the panel shows here -------------------------------------------------------------

    def show_mode(self, mode: ReceiverMode) -> None:
        """Select ``mode`` without announcing it as the user's choice."""
        self._mode = mode
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode.value)))
        self.mode_combo.blockSignals(False)

    def show_busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        if text:
            self.state_label.setText(text)

    def show_running(self, running: bool, busy: bool) -> None:
        """What can be changed now: port and key only while stopped, nothing while starting or stopping."""
        self.start_button.setText("Stop receiver" if running else "Start receiver")
        self.start_button.setEnabled(not busy)
        self.port_spin.setEnabled(not running and not busy)
        self.new_key.setEnabled(not running and not busy)

    def show_state(self, text: str, tooltip: str = "") -> None:
        self.state_label.setText(text)
        self.state_label.setToolTip(tooltip)

    def show_address(self, text: str) -> None:
        self.address.setText(text)
        self.key_edit.setText(self.write_key)


# -- helpers shared by the panel's parts ---------------------------------------------------------


def narrow(combo: QComboBox, chars: int) -> None:
    """Sized by a short minimum rather than by its longest entry, so the panel fits small screens
    (the whole entry shows in the open list)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setMinimumWidth(combo.sizeHint().width())  # QComboBox keeps its first minimum otherwise


def readonly_line(name: str, accessible: str) -> QLineEdit:
    line = QLineEdit()
    line.setObjectName(name)
    line.setReadOnly(True)
    line.setAccessibleName(accessible)
    return line


def button(text: str, tip: str, slot: Callable[..., Any]) -> QPushButton:
    push = QPushButton(text)
    push.setToolTip(tip)
    push.clicked.connect(slot)
    return push


def action(parent: QWidget, text: str, shortcut: QKeySequence, slot: Callable[[], None]) -> QAction:
    act = QAction(text, parent)
    act.setShortcut(shortcut)
    act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    act.triggered.connect(slot)
    return act
