"""The receiver panel's events: the journal as a live table (filters, counts), the selected event's
detail, and the actions on them (use as sample, replay, retry failed, export) with the panel's
message line.

It reads the journal file itself, even while the receiver is stopped, and notices changes from a
light ``data_version`` poll (which also sees a ``pipedrive-gui receive`` in another process) and
from :meth:`refresh`, which the panel calls on the receiver's notifications. The actions are
announced through signals; the panel carries them out.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.events import EVENT_TYPES
from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.event_detail import EventDetailView
from pipedrive_gui.gui.receiver_controls import action, button, narrow
from pipedrive_gui.gui.receiver_model import FIRED, EventFilter, EventTableModel, JournalSource
from pipedrive_gui.gui.tasks import TaskRunner
from pipedrive_gui.receiver import EventDetail, Journal, Retention
from pipedrive_gui.receiver.journal import JournalWatcher
from pipedrive_gui.receiver.outcomes import OPEN_OUTCOMES, OUTCOME_FILTERS, counts_line

POLL_MS = 1000

#: Initial column widths: time, type, event, user, mappings fired, outcome.
_WIDTHS = (90, 70, 170, 150, 220, 240)


class ReceiverEvents(QWidget):
    """Signals: sample_asked(), replay_asked(bool force), retry_asked(), copy_asked(str text, str what), polled(bool changed) (every poll; changed: the journal was
    written), counts_changed(), message(str), failed(str title, object exception)."""

    sample_asked = Signal()
    replay_asked = Signal(bool)
    retry_asked = Signal()
    copy_asked = Signal(str, str)
    polled = Signal(bool)
    counts_changed = Signal()
    message = Signal(str)
    failed = Signal(str, object)

    def __init__(self, runner: TaskRunner, journal_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.journal_path = journal_path
        self.journal: Journal | None = None  # our own reader of the journal file, once open
        self._own_journal: Journal | None = None  # the same, from the moment it starts opening
        self.journal_opening: asyncio.Task[object] | None = None
        self.detail: EventDetail | None = None
        self.counts: dict[str, int] = {}
        self.model = EventTableModel(runner.spawn, self)
        self.model.failed.connect(self.message)
        self.model.refreshed.connect(self._after_refresh)
        self._watcher = JournalWatcher(journal_path)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_journal)

        events = QWidget()
        layout = QVBoxLayout(events)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._filters())
        layout.addWidget(self._table(), 1)
        layout.addLayout(self._actions())
        self.detail_view = EventDetailView()
        self.detail_view.setObjectName("receiverDetail")
        # The events and the selected event's detail: one over the other, or side by side where the
        # panel is wide and short (docked under the mappings), so the table keeps its rows.
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("receiverEventsSplit")
        self.split.addWidget(events)
        self.split.addWidget(self.detail_view)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.split)

    def _filters(self) -> QHBoxLayout:
        self.outcome_combo = QComboBox()
        self.outcome_combo.setObjectName("receiverOutcomeFilter")
        self.outcome_combo.setAccessibleName("Outcome filter")
        narrow(self.outcome_combo, 12)
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
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filter)
        self.outcome_combo.currentIndexChanged.connect(self.apply_filter)
        self.type_combo.currentIndexChanged.connect(self.apply_filter)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("receiverCounts")
        row = QHBoxLayout()
        row.addWidget(QLabel("Show:"))
        row.addWidget(self.outcome_combo)
        row.addWidget(self.type_combo)
        row.addWidget(self.search, 1)
        row.addWidget(self.counts_label)
        return row

    def _table(self) -> QTableView:
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
        for col, width in enumerate(_WIDTHS):
            hh.resizeSection(col, width)
        hh.setSectionResizeMode(FIRED, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        copy_shortcut = QKeySequence(QKeySequence.StandardKey.Copy)
        self.table.addAction(action(self.table, "Copy event JSON", copy_shortcut, self._copy_event_json))
        return self.table

    def _actions(self) -> QHBoxLayout:
        self.sample_button = button(
            "Use as sample event",
            "Add this event to the project's sample events",
            lambda: self.sample_asked.emit(),
        )
        self.sample_button.setObjectName("receiverUseAsSample")
        self.sample_button.setEnabled(False)
        self.replay_button = QToolButton()
        self.replay_button.setObjectName("receiverReplay")
        self.replay_button.setText("Replay selected")
        self.replay_button.setToolTip("Run the selected events through the current mappings again")
        self.replay_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.replay_button.clicked.connect(lambda: self.replay_asked.emit(False))
        menu = QMenu(self.replay_button)
        self.replay_force_action = menu.addAction(
            "Replay selected and send again even if already delivered", lambda: self.replay_asked.emit(True)
        )
        self.replay_button.setMenu(menu)
        self.replay_button.setEnabled(False)
        self.retry_button = button(
            "Retry all failed",
            "Run every failed event through the current mappings again",
            lambda: self.retry_asked.emit(),
        )
        self.retry_button.setObjectName("receiverRetryFailed")
        self.export_button = button("Export…", "Save the events the table shows as JSON Lines", self.export)
        self.export_button.setObjectName("receiverExport")
        self.message_label = QLabel()
        self.message_label.setObjectName("receiverMessage")
        self.message_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.sample_button)
        row.addWidget(self.replay_button)
        row.addWidget(self.retry_button)
        row.addWidget(self.export_button)
        row.addWidget(self.message_label, 1)
        return row

    # -- filter and selection ------------------------------------------------------------------

    def set_filter(self, flt: EventFilter) -> None:
        """Show only matching events (also what the filter controls do)."""
        self.outcome_combo.setCurrentIndex(max(0, self.outcome_combo.findData(flt.outcome)))
        self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(flt.type)))
        self.search.setText(flt.text)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(
            EventFilter(
                self.outcome_combo.currentData() or "all",
                self.type_combo.currentData() or "",
                self.search.text(),
            )
        )

    def selected_seqs(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [s for s in (self.model.seq_at(r) for r in rows) if s is not None]

    def select_row(self, row: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )

    def export(self) -> None:
        """Save the events the table shows as JSON Lines (asks where)."""
        suggested = str(Path.home() / "receiver-events.jsonl")
        dialogs.save_file(
            self,
            "Export events as JSON Lines",
            "JSON Lines (*.jsonl);;All files (*)",
            self._export_to,
            suggested,
            "jsonl",
        )

    def _export_to(self, path: str | None) -> None:
        journal = self.journal
        if not path or journal is None:
            return
        query = self.model.filter.query()
        self._runner.spawn(
            journal.export_jsonl(path, query),
            name="receiver-export",
            on_done=lambda n: self.message.emit(f"Exported {n:,} events to {path}."),
            on_error=lambda _n, exc: self.failed.emit("The export failed", exc),
        )

    # -- reading the journal -------------------------------------------------------------------

    def open_journal(self, retention: Retention | None, synchronous: str) -> None:
        journal = Journal(self.journal_path, retention=retention, synchronous=synchronous)
        self._own_journal = journal  # closed by close_journal, also while it is still opening

        def opened(_r: object) -> None:
            if self._own_journal is not journal:  # closed (the app quit) while it was opening
                return
            self.journal = journal
            self.model.set_source(JournalSource(journal))
            self._watcher.changed()  # take the current version as the baseline
            self._poll.start()
            self._refresh_counts()

        self.journal_opening = self._runner.spawn(
            journal.open(),
            name="receiver-journal-open",
            on_done=opened,
            on_error=lambda _n, exc: self.failed.emit("Could not open the receiver journal", exc),
        )

    def stop_polling(self) -> None:
        self._poll.stop()

    async def close_journal(self) -> None:
        """Stop polling and close the journal, opened or still opening (its writer thread ends)."""
        journal, self._own_journal, self.journal = self._own_journal, None, None
        if self.journal_opening is not None:
            self.journal_opening.cancel()
        self._poll.stop()
        self.model.set_source(None)
        if journal is not None:
            await journal.close()
        self._watcher.close()

    def refresh(self) -> None:
        """The journal changed: new rows, new outcomes, new counts."""
        self.model.refresh()
        self._refresh_counts()

    def _poll_journal(self) -> None:
        changed = self._watcher.changed()
        if changed:
            self.refresh()
        self.polled.emit(changed)

    def _refresh_counts(self) -> None:
        journal = self.journal
        if journal is None:
            return
        self._runner.spawn(
            journal.counts(),
            name="receiver-counts",
            latest_wins=True,
            on_done=self._show_counts,
            on_error=lambda _n, exc: None,
        )

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(counts_line(counts))
        self.counts = counts
        self.counts_changed.emit()

    def _after_refresh(self) -> None:
        # The event shown may have been dispatched (or replayed) since: show its new state.
        if self.detail is not None and self.detail.row.outcome in OPEN_OUTCOMES:
            self.load_detail(self.detail.row.seq)

    # -- selection and detail --------------------------------------------------------------------

    def _selection_changed(self, *_args: object) -> None:
        seqs = self.selected_seqs()
        self.replay_button.setEnabled(bool(seqs))
        if len(seqs) == 1:
            if self.detail is None or self.detail.row.seq != seqs[0]:
                self.load_detail(seqs[0])
        else:
            self._runner.cancel("receiver-detail")
            self.detail = None
            self.detail_view.clear()
        self.sample_button.setEnabled(self.detail is not None)

    def load_detail(self, seq: int) -> None:
        journal = self.journal
        if journal is None:
            return
        self._runner.spawn(
            journal.detail(seq),
            name="receiver-detail",
            latest_wins=True,
            on_done=self._show_detail,
            on_error=lambda _n, exc: self.failed.emit("Could not read the event", exc),
        )

    def reload_detail(self, seqs: Sequence[int]) -> None:
        """Events were replayed: show the new state of the one shown, if it is among them."""
        if self.detail is not None and self.detail.row.seq in seqs:
            self.load_detail(self.detail.row.seq)

    def _show_detail(self, detail: EventDetail | None) -> None:
        if detail is None:
            self.detail = None
            self.detail_view.clear()
        else:
            same = self.detail is not None and self.detail.row.seq == detail.row.seq
            self.detail = detail
            self.detail_view.show_detail(detail, keep_current=same)
        self.sample_button.setEnabled(self.detail is not None)

    def _copy_event_json(self) -> None:
        if self.detail is not None:
            self.copy_asked.emit(json.dumps(self.detail.event, indent=2, ensure_ascii=False), "event JSON")
