"""The receiver panel: run the local Segment-compatible receiver and watch what it does with events.

Start/stop, the address and write key to point a Segment library at (with ready-made snippets),
dry run or live, and the journal as a live table (filters, detail, use as sample event, replay,
export to JSON Lines). Self-contained: everything it needs comes in through the constructor, so
the main window docks it with one line::

    panel = ReceiverPanel(runner, paths, lambda: document.project,
                          lambda project: connection.engine(project.destination) if connection.connected else None,
                          on_use_as_sample=add_sample_event)

and calls ``await panel.shutdown()`` on quit (stops the receiver, closes the journal). Call
``panel.refresh_processor()`` when the project's mappings or the Pipedrive connection change; a
running receiver then uses them from the next event on (replays always use the current ones).

The table reads the journal file even while the receiver is stopped (history, replay, export),
and notices changes from the receiver's notifications and a light ``data_version`` poll (which
also sees a ``pipedrive-gui receive`` running in another process).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.event_detail import EventDetailView
from pipedrive_gui.gui.receiver_model import (
    FIRED,
    EventFilter,
    EventTableModel,
    JournalSource,
    JournalWatcher,
)
from pipedrive_gui.gui.tasks import TaskRunner
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import (
    JOURNAL_FILE,
    EventDetail,
    Journal,
    MappingProcessor,
    Receiver,
    ReceiverChange,
    ReceiverError,
    ReceiverSettings,
)
from pipedrive_gui.receiver.access import (
    load_config,
    new_write_key,
    normalize_origins,
    save_config,
    split_origins,
)
from pipedrive_gui.receiver.intake import EVENT_TYPES
from pipedrive_gui.receiver.outcomes import OPEN_OUTCOMES, OUTCOME_FILTERS, ReceiverMode, counts_line, waiting
from pipedrive_gui.receiver.snippets import all_snippets

log = logging.getLogger(__name__)

# (main_window asks ``panel.mode == LIVE``.)
DRY_RUN, LIVE = ReceiverMode.DRY_RUN, ReceiverMode.LIVE
DEFAULT_PORT = 8787
# receiver.json in the config folder (receiver/access.py) keeps the port, the write key (so pasted
# snippets keep working after a restart; `pipedrive-gui receive` uses the same key) and the web pages
# allowed to send.
POLL_MS = 1000

#: ``engine_factory(project)`` -> an upsert engine for that project's destination defaults, or None
#: when no Pipedrive (or sandbox) is connected; may also return an awaitable of either.
EngineFactory = Callable[[Any], Any]


class ReceiverPanel(QWidget):
    """Signals: started(str url), stopped(), message(str) (also shown in the panel),
    state_changed() (running, mode or the number of waiting events may have changed; the status
    bar's indicator follows it)."""

    started = Signal(str)
    stopped = Signal()
    message = Signal(str)
    state_changed = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        paths: AppPaths,
        project_provider: Callable[[], Any],
        engine_factory: EngineFactory,
        on_use_as_sample: Callable[[dict[str, Any]], None],
        *,
        settings: ReceiverSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("receiverPanel")
        self._runner = runner
        self._paths = paths
        self._project_provider = project_provider
        self._engine_factory = engine_factory
        self._on_use_as_sample = on_use_as_sample
        config = self._load_config()
        self._settings = settings or ReceiverSettings(port=int(config.get("port", DEFAULT_PORT)))
        self._write_key = self._settings.write_key or str(config.get("write_key") or "") or new_write_key()
        stored_origins = config.get("allowed_origins") if settings is None else settings.allowed_origins
        try:
            origins = normalize_origins(o for o in (stored_origins or ()) if isinstance(o, str))
        except ValueError:
            origins = ()
        self._allowed_origins: tuple[str, ...] = origins
        self._persist = settings is None
        if self._persist and not config.get("write_key"):
            self._pending_save = True  # keep the new key, so pasted snippets work after a restart
        else:
            self._pending_save = False
        self._closed = False
        self._journal_opening: asyncio.Task[Any] | None = None
        self._mode = DRY_RUN
        self.receiver: Receiver | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._busy = False  # starting or stopping
        self.journal_path = Path(paths.data) / JOURNAL_FILE
        self.journal: Journal | None = None  # our own reader of the journal file
        self.detail: EventDetail | None = None
        self.counts: dict[str, int] = {}

        self.model = EventTableModel(runner.spawn, self)
        self.model.failed.connect(self._say)
        self.model.refreshed.connect(self._after_refresh)
        self._watcher = JournalWatcher(self.journal_path)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_journal)

        self._build()
        self._update_address()
        self._update_state()
        if self._pending_save:
            self._save_config()
        self._open_journal()

    # -- public API ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.receiver is not None and self.receiver.running

    @property
    def mode(self) -> ReceiverMode:
        return self._mode

    @property
    def waiting(self) -> int:
        """Events received and not processed yet (pending or retrying), as last counted."""
        return waiting(self.counts)

    @property
    def write_key(self) -> str:
        return self._write_key

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return self._allowed_origins

    def set_allowed_origins(self, text: str) -> bool:
        """Web pages (origins, separated by commas or spaces) that may send; False (and says why) if malformed."""
        try:
            origins = normalize_origins(split_origins(text))
        except ValueError as exc:
            self._say(f"Allowed web pages: {exc}. The receiver keeps allowing "
                      f"{', '.join(self._allowed_origins) or 'no web page'}.")
            return False
        self.origins_edit.setText(", ".join(origins))
        if origins == self._allowed_origins:
            return True
        self._allowed_origins = origins
        if self.receiver is not None:
            self.receiver.set_allowed_origins(origins)
        self._save_config()
        self._say("Web pages allowed to send: " + (", ".join(origins) if origins else "none") + ".")
        return True

    @property
    def url(self) -> str:
        if self.receiver is not None and self.receiver.port is not None:
            return self.receiver.url
        port = self.port_spin.value()
        return f"http://127.0.0.1:{port}" if port else "http://127.0.0.1:<free port>"

    def start(self) -> None:
        if self.running or self._busy:
            return
        self._set_busy(True, "Starting the receiver…")
        self._runner.spawn(self._start(), name="receiver-start", on_done=self._started,
                           on_error=lambda _n, exc: self._start_failed(exc))

    def stop(self) -> None:
        if not self.running or self._busy:
            return
        self._set_busy(True, "Stopping the receiver…")
        self._runner.spawn(self._stop(), name="receiver-stop", on_done=lambda _r: self._stopped(),
                           on_error=lambda _n, exc: self._stop_failed(exc))

    def refresh_processor(self) -> None:
        """The project's mappings or the Pipedrive connection changed: use them from now on."""
        if self.running:
            self._runner.spawn(self._apply_processor(self._mode), name="receiver-processor", latest_wins=True,
                               on_error=lambda _n, exc: self._error("Could not use the new mappings", exc))

    def set_filter(self, flt: EventFilter) -> None:
        """Show only matching events (also what the filter controls do)."""
        self.outcome_combo.setCurrentIndex(max(0, self.outcome_combo.findData(flt.outcome)))
        self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(flt.type)))
        self.search.setText(flt.text)
        self._apply_filter()

    def selected_seqs(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [s for s in (self.model.seq_at(r) for r in rows) if s is not None]

    def select_row(self, row: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def replay_selected(self, force: bool = False) -> None:
        seqs = self.selected_seqs()
        if not seqs:
            self._say("Select the events to replay first.")
            return
        self._replay(seqs, force=force)

    def retry_failed(self) -> None:
        self._replay([], failed=True)

    def use_as_sample(self) -> None:
        if self.detail is None:
            self._say("Select one event first.")
            return
        self._on_use_as_sample(self.detail.event)
        name = self.detail.row.name or self.detail.row.type
        self._say(f"Added “{name}” (received {self.detail.row.received_at}) as a sample event.")

    def export(self) -> None:
        suggested = str(Path.home() / "receiver-events.jsonl")
        dialogs.save_file(self, "Export events as JSON Lines", "JSON Lines (*.jsonl);;All files (*)",
                          self._export_to, suggested, "jsonl")

    async def shutdown(self) -> None:
        """Stop the receiver and close the journal (the app's quit path awaits this)."""
        self._closed = True
        self._poll.stop()
        self._runner.cancel("receiver-start")
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            await receiver.stop()
        journal, self.journal = self.journal, None
        self.model.set_source(None)
        if journal is not None:
            await journal.close()
        self._watcher.close()

    # -- building the widgets ------------------------------------------------------------------

    def _build(self) -> None:
        self.start_button = QPushButton("Start receiver")
        self.start_button.setObjectName("receiverStart")
        self.start_button.setToolTip("Listen for events from Segment libraries on this computer")
        self.start_button.clicked.connect(lambda: self.stop() if self.running else self.start())
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
        self.mode_combo.addItem("Dry run: look up records, write nothing", DRY_RUN.value)
        self.mode_combo.addItem("Live: create and update records in Pipedrive", LIVE.value)
        self.mode_combo.setAccessibleName("Mode")
        _narrow(self.mode_combo, 36)
        self.mode_combo.currentIndexChanged.connect(self._mode_chosen)

        top = QHBoxLayout()
        top.addWidget(self.start_button)
        top.addWidget(self.progress)
        top.addWidget(QLabel("Mode:"))
        top.addWidget(self.mode_combo)
        top.addWidget(self.state_label, 1)

        self.address = _readonly_line("receiverAddress", "Receiver address")
        self.copy_address = _button("Copy", "Copy the address", lambda: self._copy(self.url, "address"))
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("receiverPort")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free port")
        self.port_spin.setValue(self._settings.port)
        self.port_spin.setAccessibleName("Port")
        self.port_spin.valueChanged.connect(self._port_changed)
        self.key_edit = _readonly_line("receiverWriteKey", "Write key")
        self.copy_key = _button("Copy", "Copy the write key", lambda: self._copy(self._write_key, "write key"))
        self.new_key = _button("New key", "Make a new write key (snippets with the old one stop working)",
                               self._make_new_key)
        addr = QHBoxLayout()
        addr.addWidget(QLabel("Address:"))
        addr.addWidget(self.address, 2)
        addr.addWidget(self.copy_address)
        addr.addWidget(QLabel("Port:"))
        addr.addWidget(self.port_spin)
        addr.addWidget(QLabel("Write key:"))
        addr.addWidget(self.key_edit, 1)
        addr.addWidget(self.copy_key)
        addr.addWidget(self.new_key)
        self.origins_edit = QLineEdit(", ".join(self._allowed_origins))
        self.origins_edit.setObjectName("receiverAllowedOrigins")
        self.origins_edit.setAccessibleName("Allowed web pages")
        self.origins_edit.setPlaceholderText("none: no web page may send (e.g. http://localhost:3000, "
                                             "https://www.example.com)")
        self.origins_edit.setToolTip(
            "Addresses of the web pages whose analytics.js may send events here, separated by commas.\n"
            "Pages from any other address are refused, so a site you visit cannot write to Pipedrive.")
        self.origins_edit.editingFinished.connect(lambda: self.set_allowed_origins(self.origins_edit.text()))
        origins_row = QHBoxLayout()
        origins_row.addWidget(QLabel("Allowed web pages:"))
        origins_row.addWidget(self.origins_edit, 1)

        self.snippet_tabs = QTabWidget()
        self.snippet_tabs.setObjectName("receiverSnippets")
        self.snippet_tabs.setDocumentMode(True)
        self._snippet_edits: dict[str, QPlainTextEdit] = {}
        self._snippet_install: dict[str, QLabel] = {}
        for snippet in all_snippets(self.url, self._write_key):
            page = QWidget()
            edit = QPlainTextEdit()
            edit.setReadOnly(True)
            edit.setObjectName(f"snippet-{snippet.key}")
            edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            install = QLabel()
            install.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            copy = _button("Copy code", f"Copy the {snippet.title} code",
                           lambda _c=False, k=snippet.key: self._copy(self.snippet_text(k), "code"))
            bar = QHBoxLayout()
            bar.addWidget(install, 1)
            bar.addWidget(copy)
            lay = QVBoxLayout(page)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addLayout(bar)
            lay.addWidget(edit, 1)
            self._snippet_edits[snippet.key] = edit
            self._snippet_install[snippet.key] = install
            self.snippet_tabs.addTab(page, snippet.title)

        self.outcome_combo = QComboBox()
        self.outcome_combo.setObjectName("receiverOutcomeFilter")
        self.outcome_combo.setAccessibleName("Outcome filter")
        _narrow(self.outcome_combo, 12)
        for key, (label, _outcomes) in OUTCOME_FILTERS.items():
            self.outcome_combo.addItem(label, key)
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("receiverTypeFilter")
        self.type_combo.setAccessibleName("Type filter")
        self.type_combo.addItem("All types", "")
        for t in EVENT_TYPES:
            self.type_combo.addItem(t, t)
        self.search = QLineEdit()
        self.search.setObjectName("receiverSearch")
        self.search.setPlaceholderText("Search events (names, user ids, properties, messageId)…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)  # wait for a pause in typing before searching
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_filter)
        self.outcome_combo.currentIndexChanged.connect(self._apply_filter)
        self.type_combo.currentIndexChanged.connect(self._apply_filter)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("receiverCounts")
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:"))
        filters.addWidget(self.outcome_combo)
        filters.addWidget(self.type_combo)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.counts_label)

        self.table = QTableView()
        self.table.setObjectName("receiverEvents")
        self.table.setAccessibleName("Received events")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        vh = self.table.verticalHeader()
        vh.hide()
        # Fixed row heights: the view never asks every row for its size (100,000 rows stay smooth).
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The mapping names are the long column: it takes the spare width, so names are not cut
        # to "People from Identify (matched by…" while the outcome column sits half empty.
        hh.setStretchLastSection(False)
        for col, width in enumerate((90, 70, 170, 150, 220, 240)):
            hh.resizeSection(col, width)
        hh.setSectionResizeMode(FIRED, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())

        self.sample_button = _button("Use as sample event", "Add this event to the project's sample events",
                                     self.use_as_sample)
        self.sample_button.setObjectName("receiverUseAsSample")
        self.sample_button.setEnabled(False)
        self.replay_button = QToolButton()
        self.replay_button.setObjectName("receiverReplay")
        self.replay_button.setText("Replay selected")
        self.replay_button.setToolTip("Run the selected events through the current mappings again")
        self.replay_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.replay_button.clicked.connect(lambda: self.replay_selected())
        menu = QMenu(self.replay_button)
        self.replay_force_action = menu.addAction("Replay selected and send again even if already delivered",
                                                  lambda: self.replay_selected(force=True))
        self.replay_button.setMenu(menu)
        self.replay_button.setEnabled(False)
        self.retry_button = _button("Retry all failed", "Run every failed event through the current mappings "
                                    "again", self.retry_failed)
        self.retry_button.setObjectName("receiverRetryFailed")
        self.export_button = _button("Export…", "Save the events the table shows as JSON Lines", self.export)
        self.export_button.setObjectName("receiverExport")
        self.message_label = QLabel()
        self.message_label.setObjectName("receiverMessage")
        self.message_label.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.sample_button)
        actions.addWidget(self.replay_button)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.message_label, 1)

        self.detail_view = EventDetailView()
        self.detail_view.setObjectName("receiverDetail")

        events = QWidget()
        ev = QVBoxLayout(events)
        ev.setContentsMargins(0, 0, 0, 0)
        ev.addLayout(filters)
        ev.addWidget(self.table, 1)
        ev.addLayout(actions)
        # The events and the selected event's detail: one over the other, or side by side where the
        # panel is wide and short (docked under the mappings), so the table keeps its rows.
        self.events_split = QSplitter(Qt.Orientation.Vertical)
        self.events_split.setObjectName("receiverEventsSplit")
        self.events_split.addWidget(events)
        self.events_split.addWidget(self.detail_view)
        self.events_split.setStretchFactor(0, 3)
        self.events_split.setStretchFactor(1, 2)
        self.events_split.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("receiverSplit")
        split.addWidget(self.snippet_tabs)
        split.addWidget(self.events_split)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 5)
        split.setSizes([90, 650])  # the events first; the code snippets are a click away

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(addr)
        layout.addLayout(origins_row)
        layout.addWidget(split, 1)

        copy_shortcut = QKeySequence(QKeySequence.StandardKey.Copy)
        self.table.addAction(_action(self.table, "Copy event JSON", copy_shortcut, self._copy_event_json))

    #: Side by side (events | detail) when the panel is at least this many times wider than tall.
    SIDE_BY_SIDE_RATIO = 2.2

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        size = event.size()
        wanted = (Qt.Orientation.Horizontal if size.height() and size.width() >= self.SIDE_BY_SIDE_RATIO * size.height()
                  else Qt.Orientation.Vertical)
        if self.events_split.orientation() != wanted:
            self.events_split.setOrientation(wanted)

    # -- receiver lifecycle ----------------------------------------------------------------------

    async def _make_processor(self, mode: ReceiverMode) -> MappingProcessor:
        project = self._project_provider()
        engine = self._engine_factory(project)
        if inspect.isawaitable(engine):
            engine = await engine
        if mode == LIVE and engine is None:
            raise ReceiverError("Live mode needs a Pipedrive connection. Connect to your Pipedrive account "
                                "(or the offline sandbox) first, then switch to live again.")
        return MappingProcessor(list(project.mappings), engine, mode)

    async def _apply_processor(self, mode: ReceiverMode) -> None:
        processor = await self._make_processor(mode)
        if self.receiver is not None:
            self.receiver.set_processor(processor)

    async def _start(self) -> Receiver:
        # Two first opens of a new journal file at once can fail with "database is locked" (both
        # create the schema); the table's reader goes first, the receiver after it.
        opening = self._journal_opening
        if opening is not None and not opening.done():
            await asyncio.wait([opening])
        processor = await self._make_processor(self._mode)
        settings = replace(self._settings, port=self.port_spin.value(), write_key=self._write_key,
                           allowed_origins=self._allowed_origins)
        receiver = Receiver(self._paths.data, settings, processor=processor)
        await receiver.start()
        return receiver

    def _started(self, receiver: Receiver) -> None:
        if self._closed:  # the app quit while the receiver was starting
            self._runner.spawn(receiver.stop(), name="receiver-stop")
            return
        self.receiver = receiver
        self._unsubscribe = receiver.on_change(self._receiver_changed)
        self._set_busy(False)
        self._update_address()
        self._say(f"Listening on {receiver.url}. Point a Segment library at it with the write key above.")
        self.started.emit(receiver.url)
        self._refresh()

    def _start_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._error("The receiver did not start", exc)

    async def _stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        receiver = self.receiver
        if receiver is not None:
            await receiver.stop()

    def _stopped(self) -> None:
        self.receiver = None
        self._set_busy(False)
        self._update_address()
        self._say("The receiver stopped. Events stay in the journal; replays run when it starts again.")
        self.stopped.emit()
        self._refresh()

    def _stop_failed(self, exc: BaseException) -> None:
        self.receiver = None
        self._set_busy(False)
        self._update_address()
        self._error("The receiver did not stop cleanly", exc)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        if text:
            self.state_label.setText(text)
        self._update_state()

    def _update_state(self) -> None:
        running = self.running
        self.start_button.setText("Stop receiver" if running else "Start receiver")
        self.start_button.setEnabled(not self._busy)
        self.port_spin.setEnabled(not running and not self._busy)
        self.new_key.setEnabled(not running and not self._busy)
        self.state_changed.emit()
        if self._busy:
            return
        if running and self.receiver is not None:
            st = self.receiver.stats()
            rejected = f", {st.rejected_total} refused" if st.rejected_total else ""
            mode = self._mode.label
            self.state_label.setText(f"Running ({mode}) — {_plural(st.requests, 'request')}, "
                                     f"{_plural(st.accepted, 'event')}{rejected}")
            reasons = [f"{_REFUSALS.get(code, code)}: {n}" for code, n in sorted(st.rejected.items())]
            self.state_label.setToolTip("Refused requests:\n" + "\n".join(reasons) if reasons else
                                        "Requests and events received since the receiver started")
        else:
            self.state_label.setText("Stopped")
            self.state_label.setToolTip("")

    # -- mode ------------------------------------------------------------------------------------

    def _mode_chosen(self, _index: int) -> None:
        chosen = self.mode_combo.currentData()
        if chosen == self._mode:
            return
        if chosen == LIVE:
            dialogs.ask(
                self, "Switch to live mode?",
                "In live mode every event that fires a mapping creates or updates records in Pipedrive.",
                [dialogs.YES, dialogs.CANCEL], self._live_answered,
                details="Dry run only looks records up. You can switch back at any time; events already "
                        "processed are not sent again unless you replay them.",
                labels={dialogs.YES: "Go live", dialogs.CANCEL: "Stay in dry run"})
        else:
            self._set_mode(DRY_RUN)

    def _live_answered(self, answer: str) -> None:
        if answer == dialogs.YES:
            self._set_mode(LIVE)
        else:
            self._show_mode(self._mode)

    def _set_mode(self, mode: ReceiverMode) -> None:
        previous = self._mode
        self._mode = mode
        self._show_mode(mode)
        self._update_state()
        if not self.running:
            return

        def failed(exc: BaseException) -> None:
            self._mode = previous
            self._show_mode(previous)
            self._update_state()
            self._error("Could not switch modes", exc)

        self._runner.spawn(self._apply_processor(mode), name="receiver-processor", latest_wins=True,
                           on_done=lambda _r: self._say("Live mode: events now write to Pipedrive."
                                                        if mode == LIVE else "Dry run: nothing is written."),
                           on_error=lambda _n, exc: failed(exc))

    def _show_mode(self, mode: ReceiverMode) -> None:
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode.value)))
        self.mode_combo.blockSignals(False)

    # -- address, key, snippets ------------------------------------------------------------------

    def snippet_text(self, key: str) -> str:
        return self._snippet_edits[key].toPlainText()

    def _update_address(self) -> None:
        url = self.url
        self.address.setText(url if self.running else f"{url} (not running)")
        self.key_edit.setText(self._write_key)
        for snippet in all_snippets(url, self._write_key):
            self._snippet_edits[snippet.key].setPlainText(snippet.code)
            self._snippet_install[snippet.key].setText(
                f"Install: <code>{snippet.install}</code>" if snippet.install else "Needs only curl.")
        self._update_state()

    def _port_changed(self, _value: int) -> None:
        self._update_address()
        self._save_config()

    def _make_new_key(self) -> None:
        self._write_key = new_write_key()
        self._update_address()
        self._save_config()
        self._say("New write key made; update your code with it.")

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._say(f"Copied the {what}.")

    def _load_config(self) -> dict[str, Any]:
        return load_config(self._paths.config)

    def _save_config(self) -> None:
        if not self._persist:
            return
        try:
            save_config(self._paths.config, port=self.port_spin.value(), write_key=self._write_key,
                        allowed_origins=list(self._allowed_origins))
        except OSError as exc:
            self._say(f"Could not save the receiver settings ({exc}); they apply until you quit.")

    # -- journal, table, refresh -----------------------------------------------------------------

    def _open_journal(self) -> None:
        journal = Journal(self.journal_path, retention=self._settings.retention,
                          synchronous=self._settings.synchronous)

        def opened(_r: Any) -> None:
            self.journal = journal
            self.model.set_source(JournalSource(journal))
            self._watcher.changed()  # take the current version as the baseline
            self._poll.start()
            self._refresh_counts()

        self._journal_opening = self._runner.spawn(
            journal.open(), name="receiver-journal-open", on_done=opened,
            on_error=lambda _n, exc: self._error("Could not open the receiver journal", exc))

    def _receiver_changed(self, _change: ReceiverChange) -> None:
        self._refresh()

    def _poll_journal(self) -> None:
        if self._watcher.changed():
            self._refresh()
        elif self.running:
            self._update_state()  # refused requests change counters without touching the journal

    def _refresh(self) -> None:
        self.model.refresh()
        self._refresh_counts()
        self._update_state()

    def _refresh_counts(self) -> None:
        journal = self.journal
        if journal is None:
            return
        self._runner.spawn(journal.counts(), name="receiver-counts", latest_wins=True,
                           on_done=self._show_counts, on_error=lambda _n, exc: None)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(counts_line(counts))
        self.counts = counts
        self.state_changed.emit()

    def _after_refresh(self) -> None:
        # The event shown may have been dispatched (or replayed) since: show its new state.
        if self.detail is not None and self.detail.row.outcome in OPEN_OUTCOMES:
            self._load_detail(self.detail.row.seq)

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(EventFilter(self.outcome_combo.currentData() or "all",
                                          self.type_combo.currentData() or "", self.search.text()))

    # -- selection and detail --------------------------------------------------------------------

    def _selection_changed(self, *_args: Any) -> None:
        seqs = self.selected_seqs()
        self.replay_button.setEnabled(bool(seqs))
        if len(seqs) == 1:
            if self.detail is None or self.detail.row.seq != seqs[0]:
                self._load_detail(seqs[0])
        else:
            self._runner.cancel("receiver-detail")
            self.detail = None
            self.detail_view.clear()
        self.sample_button.setEnabled(self.detail is not None)

    def _load_detail(self, seq: int) -> None:
        journal = self.journal
        if journal is None:
            return
        self._runner.spawn(journal.detail(seq), name="receiver-detail", latest_wins=True,
                           on_done=self._show_detail,
                           on_error=lambda _n, exc: self._error("Could not read the event", exc))

    def _show_detail(self, detail: EventDetail | None) -> None:
        if detail is None:
            self.detail = None
            self.detail_view.clear()
        else:
            same = self.detail is not None and self.detail.row.seq == detail.row.seq
            self.detail = detail
            current = self.detail_view.tree.currentItem()
            chosen = current.text(0) if same and current is not None else None
            self.detail_view.show_detail(detail)
            if chosen:
                for item in self.detail_view.tree.findItems(
                        chosen, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive):
                    self.detail_view.tree.setCurrentItem(item)
        self.sample_button.setEnabled(self.detail is not None)

    def _copy_event_json(self) -> None:
        if self.detail is not None:
            self._copy(json.dumps(self.detail.event, indent=2, ensure_ascii=False), "event JSON")

    # -- replay and export -----------------------------------------------------------------------

    def _replay(self, seqs: list[int], *, force: bool = False, failed: bool = False) -> None:
        async def replay() -> tuple[list[int], bool]:
            receiver = self.receiver
            if receiver is not None and receiver.running:
                await self._apply_processor(self._mode)  # replays use the mappings as they are now
                return await receiver.replay(seqs, failed=failed, force=force), True
            journal = self.journal
            if journal is None:
                raise ReceiverError("The receiver journal is not open yet; try again in a moment.")
            return await journal.mark_for_replay(seqs, failed=failed, force=force), False

        def done(result: tuple[list[int], bool]) -> None:
            marked, running = result
            skipped = len(seqs) - len(marked) if seqs else 0
            text = f"Queued {len(marked)} event{'s' if len(marked) != 1 else ''} again"
            text += "." if running else "; they are processed when you start the receiver."
            if skipped:
                text += (f" {skipped} could not be replayed (flagged events Segment drops, or events "
                         "still waiting).")
            self._say(text)
            self._refresh()
            if self.detail is not None and self.detail.row.seq in marked:
                self._load_detail(self.detail.row.seq)

        self._runner.spawn(replay(), name="receiver-replay", on_done=done,
                           on_error=lambda _n, exc: self._error("Replay did not start", exc))

    def _export_to(self, path: str | None) -> None:
        journal = self.journal
        if not path or journal is None:
            return
        query = self.model.filter.query()
        self._runner.spawn(journal.export_jsonl(path, query), name="receiver-export",
                           on_done=lambda n: self._say(f"Exported {n:,} events to {path}."),
                           on_error=lambda _n, exc: self._error("The export failed", exc))

    # -- messages --------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.message.emit(text)

    def _error(self, title: str, exc: BaseException) -> None:
        text = getattr(exc, "user_message", None) or getattr(exc, "message", None) or str(exc) \
            or type(exc).__name__
        if not isinstance(exc, ReceiverError):
            log.warning("%s: %s", title, text, exc_info=exc)
        self._say(f"{title}: {text}")
        dialogs.show_error(self, title, str(text))


_REFUSALS = {
    "invalid_write_key": "Wrong write key (copy it from this panel)",
    "invalid_json": "Not valid JSON",
    "too_deep": "Nested too deeply",
    "request_timeout": "Body not sent in time",
    "event_too_large": "Event over Segment's 32 KB limit",
    "batch_too_large": "Batch over Segment's 500 KB limit",
    "too_many_events": "Batch over Segment's 2,500 events",
    "invalid_batch": "Batch without a \"batch\" array",
    "invalid_gzip": "Broken gzip body",
    "unsupported_encoding": "Unsupported Content-Encoding",
    "not_found": "Unknown endpoint (post to /v1/batch, /v1/track, …)",
    "method_not_allowed": "Not a POST",
    "origin_not_allowed": "A web page not under “Allowed web pages”",
    "host_not_allowed": "A host name this receiver does not serve (DNS rebinding?)",
}


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _narrow(combo: QComboBox, chars: int) -> None:
    """Sized by a short minimum rather than by its longest entry, so the panel fits small screens
    (the whole entry shows in the open list)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setMinimumWidth(combo.sizeHint().width())  # QComboBox keeps its first minimum otherwise


def _readonly_line(name: str, accessible: str) -> QLineEdit:
    line = QLineEdit()
    line.setObjectName(name)
    line.setReadOnly(True)
    line.setAccessibleName(accessible)
    return line


def _button(text: str, tip: str, slot: Callable[..., Any]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _action(parent: QWidget, text: str, shortcut: QKeySequence, slot: Callable[[], None]) -> Any:
    from PySide6.QtGui import QAction

    action = QAction(text, parent)
    action.setShortcut(shortcut)
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    action.triggered.connect(slot)
    return action
