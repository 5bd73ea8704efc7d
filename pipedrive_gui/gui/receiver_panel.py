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

Its parts are widgets of their own, named after what the user sees: ``receiver_controls.py``
(start/stop, mode, address, port, write key, allowed web pages), ``receiver_snippets.py``,
``receiver_events.py`` (filters, table, actions) and ``event_detail.py``; the background work
(start, processors, replays) is in ``receiver_lifecycle.py``. What it says and how its
settings are kept come from ``receiver/`` (``config.py``, ``status.py``, ``outcomes.py``), which
is tested without a display.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui import receiver_lifecycle as lifecycle
from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.receiver_controls import ReceiverControls
from pipedrive_gui.gui.receiver_events import ReceiverEvents
from pipedrive_gui.gui.receiver_lifecycle import EngineFactory
from pipedrive_gui.gui.receiver_model import EventFilter
from pipedrive_gui.gui.receiver_snippets import SnippetTabs
from pipedrive_gui.gui.tasks import TaskRunner
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import (
    JOURNAL_FILE,
    EventDetail,
    Journal,
    Receiver,
    ReceiverChange,
    ReceiverError,
    ReceiverSettings,
    status,
)
from pipedrive_gui.receiver import config as receiver_config
from pipedrive_gui.receiver.config import PanelConfig
from pipedrive_gui.receiver.outcomes import ReceiverMode, waiting

if TYPE_CHECKING:
    from pipedrive_gui.core.project import Project

log = logging.getLogger(__name__)

# (main_window asks ``panel.mode == LIVE``.)
DRY_RUN, LIVE = ReceiverMode.DRY_RUN, ReceiverMode.LIVE


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
        project_provider: Callable[[], Project],
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
        self._processors = lifecycle.Processors(project_provider, engine_factory)
        self._on_use_as_sample = on_use_as_sample
        config = receiver_config.load_panel_config(paths.config, settings)
        self._settings = settings or ReceiverSettings(port=config.port)
        self._closed = False
        self._mode = DRY_RUN
        self.receiver: Receiver | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._busy = False  # starting or stopping
        self.journal_path = Path(paths.data) / JOURNAL_FILE

        self._build(config)
        self._update_address()
        self._update_state()
        if config.save_now:
            self.controls.save()  # keep the new key, so pasted snippets work after a restart
        self.events.open_journal(self._settings.retention, self._settings.synchronous)

    # -- public API ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.receiver is not None and self.receiver.running

    @property
    def busy(self) -> bool:
        """Starting or stopping (the start/stop button waits)."""
        return self._busy

    @property
    def mode(self) -> ReceiverMode:
        return self._mode

    @property
    def journal(self) -> Journal | None:
        """The panel's own reader of the journal file, once open."""
        return self.events.journal

    @property
    def detail(self) -> EventDetail | None:
        """The event shown in full (one selected)."""
        return self.events.detail

    @property
    def counts(self) -> dict[str, int]:
        """Events by outcome, as last counted."""
        return self.events.counts

    @property
    def waiting(self) -> int:
        """Events received and not processed yet (pending or retrying), as last counted."""
        return waiting(self.counts)

    @property
    def write_key(self) -> str:
        return self.controls.write_key

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return self.controls.allowed_origins

    def set_allowed_origins(self, text: str) -> bool:
        """Web pages (origins, separated by commas or spaces) that may send; False (and says why) if malformed."""
        return self.controls.set_allowed_origins(text)

    @property
    def url(self) -> str:
        if self.receiver is not None and self.receiver.port is not None:
            return self.receiver.url
        return receiver_config.address(self.port_spin.value())

    def start(self) -> None:
        if self.running or self._busy:
            return
        self._set_busy(True, "Starting the receiver…")
        self._runner.spawn(
            lifecycle.start(
                self._paths.data,
                self._start_settings,
                lambda: self._mode,
                self._processors,
                self.events.journal_opening,
            ),
            name="receiver-start",
            on_done=self._started,
            on_error=lambda _n, exc: self._start_failed(exc),
        )

    def stop(self) -> None:
        receiver = self.receiver
        if receiver is None or not receiver.running or self._busy:
            return
        self._set_busy(True, "Stopping the receiver…")
        self._stop_listening()
        self._runner.spawn(
            receiver.stop(),
            name="receiver-stop",
            on_done=lambda _r: self._stopped(),
            on_error=lambda _n, exc: self._stop_failed(exc),
        )

    def refresh_processor(self) -> None:
        """The project's mappings or the Pipedrive connection changed: use them from now on."""
        if self.running:
            self._runner.spawn(
                self._processors.apply(lambda: self.receiver, self._mode),
                name="receiver-processor",
                latest_wins=True,
                on_error=lambda _n, exc: self._error("Could not use the new mappings", exc),
            )

    def set_filter(self, flt: EventFilter) -> None:
        """Show only matching events (also what the filter controls do)."""
        self.events.set_filter(flt)

    def selected_seqs(self) -> list[int]:
        return self.events.selected_seqs()

    def select_row(self, row: int) -> None:
        self.events.select_row(row)

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
        """Save the events the table shows as JSON Lines (asks where)."""
        self.events.export()

    def snippet_text(self, key: str) -> str:
        return self.snippets.text(key)

    async def shutdown(self) -> None:
        """Stop the receiver and close the journal (the app's quit path awaits this)."""
        self._closed = True
        self.events.stop_polling()
        self._runner.cancel("receiver-start")
        self._stop_listening()
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            await receiver.stop()
        await self.events.close_journal()

    # -- building the widgets ------------------------------------------------------------------

    def _build(self, config: PanelConfig) -> None:
        self.controls = c = ReceiverControls(self._paths.config, config)
        c.start_stop.connect(lambda: self.stop() if self.running else self.start())
        c.mode_chosen.connect(lambda value: self._set_mode(ReceiverMode(value)))
        c.address_changed.connect(self._update_address)
        c.origins_changed.connect(self._origins_changed)
        c.copy_asked.connect(lambda what: self._copy(self.url if what == "address" else self.write_key, what))
        c.message.connect(self._say)
        self.start_button, self.progress, self.state_label, self.mode_combo = (
            c.start_button,
            c.progress,
            c.state_label,
            c.mode_combo,
        )
        self.address, self.port_spin, self.key_edit, self.copy_key, self.new_key, self.origins_edit = (
            c.address,
            c.port_spin,
            c.key_edit,
            c.copy_key,
            c.new_key,
            c.origins_edit,
        )

        self.snippets = SnippetTabs(self.url, self.write_key)
        self.snippets.copy_asked.connect(self._copy)

        self.events = e = ReceiverEvents(self._runner, self.journal_path)
        e.sample_asked.connect(self.use_as_sample)
        e.replay_asked.connect(self.replay_selected)
        e.retry_asked.connect(self.retry_failed)
        e.copy_asked.connect(self._copy)
        e.message.connect(self._say)
        e.failed.connect(self._error)
        e.polled.connect(lambda changed: self._update_state() if changed or self.running else None)
        e.counts_changed.connect(self.state_changed)
        self.model, self.table, self.detail_view, self.events_split = e.model, e.table, e.detail_view, e.split
        self.counts_label, self.message_label = e.counts_label, e.message_label
        self.sample_button, self.replay_button, self.export_button = (
            e.sample_button,
            e.replay_button,
            e.export_button,
        )

        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("receiverSplit")
        split.addWidget(self.snippets)
        split.addWidget(e)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 5)
        split.setSizes([90, 650])  # the events first; the code snippets are a click away

        layout = QVBoxLayout(self)
        layout.addWidget(c)
        layout.addWidget(split, 1)

    #: Side by side (events | detail) when the panel is at least this many times wider than tall.
    SIDE_BY_SIDE_RATIO = 2.2

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        size = event.size()
        wanted = (
            Qt.Orientation.Horizontal
            if size.height() and size.width() >= self.SIDE_BY_SIDE_RATIO * size.height()
            else Qt.Orientation.Vertical
        )
        if self.events_split.orientation() != wanted:
            self.events_split.setOrientation(wanted)

    # -- receiver lifecycle ----------------------------------------------------------------------

    def _start_settings(self) -> ReceiverSettings:
        """What the receiver starts with: the settings given, with the port, key and web pages on screen."""
        return replace(
            self._settings,
            port=self.port_spin.value(),
            write_key=self.write_key,
            allowed_origins=self.allowed_origins,
        )

    def _stop_listening(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

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
        self.controls.show_busy(busy, text)
        self._update_state()

    def _update_state(self) -> None:
        running = self.running
        self.controls.show_running(running, self._busy)
        self.state_changed.emit()
        if self._busy:
            return
        if running and self.receiver is not None:
            stats = self.receiver.stats()
            self.controls.show_state(status.running_line(stats, self._mode), status.running_tooltip(stats))
        else:
            self.controls.show_state("Stopped")

    # -- mode ------------------------------------------------------------------------------------

    def _set_mode(self, mode: ReceiverMode) -> None:
        previous = self._mode
        self._mode = mode
        self.controls.show_mode(mode)
        self._update_state()
        if not self.running:
            return

        def failed(exc: BaseException) -> None:
            self._mode = previous
            self.controls.show_mode(previous)
            self._update_state()
            self._error("Could not switch modes", exc)

        self._runner.spawn(
            self._processors.apply(lambda: self.receiver, mode),
            name="receiver-processor",
            latest_wins=True,
            on_done=lambda _r: self._say(status.mode_switched(mode)),
            on_error=lambda _n, exc: failed(exc),
        )

    # -- address ----------------------------------------------------------------------------

    def _update_address(self) -> None:
        url = self.url
        self.controls.show_address(url if self.running else f"{url} (not running)")
        self.snippets.show_for(url, self.write_key)
        self._update_state()

    def _origins_changed(self, origins: tuple[str, ...]) -> None:
        if self.receiver is not None:
            self.receiver.set_allowed_origins(origins)

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._say(f"Copied the {what}.")

    # -- the journal -----------------------------------------------------------------------------

    def _receiver_changed(self, _change: ReceiverChange) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self.events.refresh()
        self._update_state()

    # -- replay ------------------------------------------------------------------------------

    def _replay(self, seqs: list[int], *, force: bool = False, failed: bool = False) -> None:
        def done(result: tuple[list[int], bool]) -> None:
            marked, running = result
            self._say(status.replay_result(seqs, marked, running))
            self._refresh()
            self.events.reload_detail(marked)

        self._runner.spawn(
            lifecycle.replay(
                self.receiver, self.journal, self._processors, self._mode, seqs, force=force, failed=failed
            ),
            name="receiver-replay",
            on_done=done,
            on_error=lambda _n, exc: self._error("Replay did not start", exc),
        )

    # -- messages --------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.message.emit(text)

    def _error(self, title: str, exc: BaseException) -> None:
        text = describe(exc)
        if not isinstance(exc, ReceiverError):
            log.warning("%s: %s", title, text, exc_info=exc)
        self._say(f"{title}: {text}")
        dialogs.show_error(self, title, str(text))
