"""*Pipedrive > Test records…*: the records this app's tests created in the connected account, with
*Delete test records…* to remove the ticked ones from Pipedrive again.

A non-modal window. The list comes from the app's ledger (records made by *Send test…* and by
``pipedrive-gui send``), read off the GUI thread; the other accounts' test records are counted, not
listed. Deleting asks first with the exact list (``test_records.confirmation_text``), runs in the
background with progress, then reports what could not be deleted and why. Only records the app
created are listed, so only those can be deleted; updates made by tests are not undone (said in
the window and in the question).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.table_models import Index, ListTableModel
from pipedrive_gui.pipedrive.test_records import (
    ENTITY_TEXT,
    UPDATES_NOT_UNDONE,
    DeleteOutcome,
    LinkFor,
    TestRecord,
    TestRecordList,
    confirmation_text,
    iso_time,
    local_time,
    summary,
)

if TYPE_CHECKING:
    from pipedrive_gui.gui.connection import Connection
    from pipedrive_gui.gui.tasks import TaskRunner
    from pipedrive_gui.pipedrive.ledger import Ledger

#: The runner's name for the background work of this window.
LOAD_TASK = "test-records"
DELETE_TASK = "delete-test-records"


class TestRecordsModel(ListTableModel[TestRecord]):
    """The list; the first column's check boxes choose what *Delete test records…* removes."""

    __test__ = False  # not a pytest test class, whatever its name

    RECORD, NAME, CREATED, MAPPING, SOURCE, LINK = range(6)
    HEADERS = ("Record", "Name", "Created", "Mapping", "Made by", "Link")
    checked_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._checked: set[tuple[str, str, str]] = set()

    # -- contents -------------------------------------------------------------------------------

    def set_records(self, records: list[TestRecord]) -> None:
        """Replace the rows; records still listed keep their tick."""
        self.set_rows(records)
        self._checked &= {r.key for r in self.rows}
        self.checked_changed.emit()

    def checked_records(self) -> list[TestRecord]:
        return [r for r in self.rows if r.key in self._checked]

    def set_all_checked(self, checked: bool) -> None:
        self._checked = {r.key for r in self.rows} if checked else set()
        if self.rows:
            self.dataChanged.emit(
                self.index(0, self.RECORD),
                self.index(len(self.rows) - 1, self.RECORD),
                [Qt.ItemDataRole.CheckStateRole],
            )
        self.checked_changed.emit()

    def set_checked(self, row: int, checked: bool) -> None:
        self.setData(
            self.index(row, self.RECORD),
            Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked,
            Qt.ItemDataRole.CheckStateRole,
        )

    # -- Qt model -------------------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():  # the root is no cell (Qt's model contract)
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.RECORD:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def cell(self, r: TestRecord, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and col == self.RECORD:
            return Qt.CheckState.Checked if r.key in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.LINK:
                return f"Open {r.link}" if r.link else "Notes show on the record they belong to in Pipedrive."
            if col == self.NAME:
                return r.entry.name or None
            if col == self.RECORD:
                return f"{ENTITY_TEXT.get(r.entity, r.entity)} {r.record_id}"
            if col == self.CREATED:
                return iso_time(r.entry.created_at)
        if col == self.LINK and r.link:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QApplication.palette().color(QPalette.ColorRole.Link)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setUnderline(True)
                return font
        return None

    def _text(self, r: TestRecord, col: int) -> str:
        if col == self.RECORD:
            rid = r.record_id
            if len(rid) > 12:  # a lead's UUID: the start tells them apart, the tooltip has it all
                rid = rid[:8] + "…"
            return f"{ENTITY_TEXT.get(r.entity, r.entity)} #{rid}"
        if col == self.NAME:
            return r.entry.name or "—"
        if col == self.CREATED:
            return local_time(r.entry.created_at)
        if col == self.MAPPING:
            return r.entry.mapping or "—"
        if col == self.SOURCE:
            return r.source_text
        return r.link or "—"

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != self.RECORD or not index.isValid():
            return False
        key = self.rows[index.row()].key
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(value))
        if state == Qt.CheckState.Checked:
            self._checked.add(key)
        else:
            self._checked.discard(key)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()
        return True


class TestRecordsDialog(QDialog):
    """The *Test records* window. ``link_for()`` gives the engine's ``link_for`` for the connected
    account (or None); ``open_url`` is how a link is opened (tests replace it)."""

    __test__ = False

    deleted = Signal(list)  # the DeleteOutcome list of a finished delete

    def __init__(
        self,
        connection: Connection,
        runner: TaskRunner,
        link_for: Callable[[], LinkFor | None],
        parent: QWidget | None = None,
        *,
        open_url: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.connection, self.runner, self._link_for = connection, runner, link_for
        # A link that no browser takes is shown to copy (dialogs.open_link).
        self.open_url = open_url or (lambda url: dialogs.open_link(self, url))
        self.listing: TestRecordList | None = None
        self.last_outcomes: list[DeleteOutcome] = []
        self.setObjectName("testRecordsDialog")
        self.setWindowTitle("Test records")
        self.setModal(False)

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.model = TestRecordsModel(self)
        self.table = QTableView()
        self.table.setObjectName("testRecordsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, mode in (
            (TestRecordsModel.RECORD, QHeaderView.ResizeMode.ResizeToContents),
            (TestRecordsModel.NAME, QHeaderView.ResizeMode.Stretch),
            (TestRecordsModel.CREATED, QHeaderView.ResizeMode.ResizeToContents),
            (TestRecordsModel.MAPPING, QHeaderView.ResizeMode.Interactive),
            (TestRecordsModel.SOURCE, QHeaderView.ResizeMode.ResizeToContents),
            (TestRecordsModel.LINK, QHeaderView.ResizeMode.Interactive),
        ):
            header.setSectionResizeMode(col, mode)
        header.resizeSection(TestRecordsModel.MAPPING, 240)
        header.resizeSection(TestRecordsModel.LINK, 260)
        self.table.clicked.connect(self._clicked)
        self.table.doubleClicked.connect(self._double_clicked)

        self.counts = QLabel()
        self.counts.setObjectName("testRecordsCounts")
        self.counts.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result_label = QLabel()
        self.result_label.setObjectName("testRecordsResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setVisible(False)

        self.select_all_button = QPushButton("Select &all")
        self.select_none_button = QPushButton("Select &none")
        self.refresh_button = QPushButton("&Refresh")
        self.delete_button = QPushButton("&Delete test records…")
        self.delete_button.setObjectName("deleteTestRecords")
        self.delete_button.setToolTip("Delete the ticked records in Pipedrive (asks first)")
        self.close_button = QPushButton("Close")
        self.select_all_button.clicked.connect(lambda: self.model.set_all_checked(True))
        self.select_none_button.clicked.connect(lambda: self.model.set_all_checked(False))
        self.refresh_button.clicked.connect(self.refresh)
        self.delete_button.clicked.connect(self.ask_delete)
        self.close_button.clicked.connect(self.close)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.ask_delete)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)

        buttons = QHBoxLayout()
        for b in (self.select_all_button, self.select_none_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.counts)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)
        self.resize(1080, 460)

        self.model.checked_changed.connect(self._update)
        # Bound methods, not lambdas: Qt disconnects them when this window is destroyed.
        connection.changed.connect(self._connection_changed)
        runner.task_finished.connect(self._task_finished)
        self._update()

    def _connection_changed(self) -> None:
        if self.isVisible():  # (showing it reloads anyway)
            self.refresh()

    def _task_finished(self, name: str) -> None:
        if name == "pipedrive" and self.isVisible():  # a Send test may have added a record
            self.refresh()

    # -- what is shown ----------------------------------------------------------------------------

    @property
    def deleting(self) -> bool:
        return self.runner.running(DELETE_TASK)

    @property
    def where(self) -> str:
        from pipedrive_gui.pipedrive.test_records import ledger_account

        if self.connection.client is None:
            return "Pipedrive"
        if self.connection.is_sandbox:
            return "the offline sandbox"
        return ledger_account(self.connection.client)

    def _update(self) -> None:
        connected = self.connection.connected
        self.intro.setText(
            f"Records that your tests (Send test…, pipedrive-gui send) created in {self.where}. Tick the "
            f"ones to remove and click Delete test records…; they are deleted in Pipedrive. {UPDATES_NOT_UNDONE}"
            if connected
            else "Connect to Pipedrive (Pipedrive > Connect…, or the offline sandbox) to see the records your "
            "tests created in that account."
        )
        busy = self.deleting
        chosen = len(self.model.checked_records())
        self.delete_button.setEnabled(connected and chosen > 0 and not busy)
        self.delete_button.setText(
            f"&Delete {chosen} test record{'s' if chosen != 1 else ''}…"
            if chosen
            else "&Delete test records…"
        )
        for b in (self.select_all_button, self.select_none_button):
            b.setEnabled(bool(self.model.rows) and not busy)
        self.refresh_button.setEnabled(connected and not busy)
        if not connected:
            self.counts.setText("")
            return
        if self.listing is None:
            self.counts.setText("Reading the list of test records…")
            return
        n = len(self.listing.records)
        head = f"{n} test record{'s' if n != 1 else ''}" if n else "No test records in this account."
        if n:
            head += f", {chosen} ticked." if chosen else " (tick the ones to delete)."
        self.counts.setText(" ".join([head, *self.listing.notes()]))

    # -- loading ----------------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        if self.deleting:
            return
        client = self.connection.client
        if client is None:
            self.listing = None
            self.model.set_records([])
            self._update()
            return
        self.runner.spawn(
            self._load(client, self._link_for()),
            name=LOAD_TASK,
            latest_wins=True,
            on_done=self._loaded,
            on_error=self._failed,
        )

    def _ledger(self) -> Ledger:
        from pipedrive_gui.pipedrive.ledger import Ledger

        return Ledger.in_data_dir(self.connection.paths.data)

    async def _load(self, client: Any, link_for: LinkFor | None) -> TestRecordList:
        import asyncio

        from pipedrive_gui.pipedrive.test_records import ledger_account, list_test_records

        ledger = await asyncio.to_thread(self._ledger)
        return await asyncio.to_thread(list_test_records, ledger, ledger_account(client), link_for)

    def _loaded(self, listing: TestRecordList) -> None:
        self.listing = listing
        self.model.set_records(listing.records)
        self._update()

    def _failed(self, _name: str, exc: BaseException) -> None:
        from pipedrive_gui.gui.connection_dialog import describe_error

        self.progress.setVisible(False)
        self._update()
        text = describe_error(exc)
        dialogs.show_error(self, "Test records", text, "Nothing else was changed. Try again with Refresh.")

    # -- links ------------------------------------------------------------------------------------

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() == TestRecordsModel.LINK:
            self._open(index.row())

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() != TestRecordsModel.RECORD:
            self._open(index.row())

    def _open(self, row: int) -> None:
        record = self.model.row_at(row)
        link = record.link if record is not None else None
        if link:
            self.open_url(link)

    # -- deleting ---------------------------------------------------------------------------------

    def ask_delete(self) -> None:
        records = self.model.checked_records()
        if not records or not self.connection.connected or self.deleting:
            return
        where = self.where

        def answered(answer: str) -> None:
            if answer == dialogs.YES:
                self.delete(records)

        n = len(records)
        dialogs.ask(
            self,
            "Delete test records",
            confirmation_text(records, where),
            [dialogs.YES, dialogs.CANCEL],
            answered,
            labels={dialogs.YES: f"Delete {n} record{'s' if n != 1 else ''}"},
        )

    def delete(self, records: list[TestRecord]) -> None:
        """Delete ``records`` in Pipedrive now (the question was asked)."""
        client = self.connection.client
        if client is None:
            return
        self.progress.setRange(0, len(records))
        self.progress.setValue(0)
        self.progress.setFormat("Deleting %v of %m…")
        self.progress.setVisible(True)
        self.result_label.setVisible(False)
        self.runner.spawn(
            self._delete(client, records), name=DELETE_TASK, on_done=self._deleted, on_error=self._failed
        )
        self._update()

    async def _delete(self, client: Any, records: list[TestRecord]) -> list[DeleteOutcome]:
        import asyncio

        from pipedrive_gui.pipedrive.test_records import delete_test_records

        ledger = await asyncio.to_thread(self._ledger)
        return await delete_test_records(
            client, ledger, records, progress=lambda i, _n, _r: self.progress.setValue(i)
        )

    def _deleted(self, outcomes: list[DeleteOutcome]) -> None:
        self.last_outcomes = outcomes
        self.progress.setVisible(False)
        text = summary(outcomes)
        self.result_label.setText(text)
        self.result_label.setVisible(True)
        self.deleted.emit(outcomes)
        failed = [o for o in outcomes if not o.removed]
        if failed:
            dialogs.show_error(
                self,
                "Some test records were not deleted",
                text,
                "They stay on the list: fix the cause (ask a Pipedrive admin for the permission, "
                "check the connection) and delete them again.",
            )
        self.refresh()
