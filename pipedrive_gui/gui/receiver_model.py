"""The receiver's event table: a virtual model over the journal that never loads all rows.

Why virtual: a receiver left running collects hundreds of thousands of events. ``rowCount()`` is
the journal's count for the current filter, and ``data()`` answers from a bounded cache of rows;
a row that is not cached returns a placeholder at once and asks for its page (100 rows) in the
background. When the page arrives, the rows repaint. Only rows the view actually shows get loaded,
so scrolling to the end loads the last page, not everything before it.

Why an anchor: the table is newest first and new events arrive at the top. Row positions are
counted among events with ``seq <= anchor`` (the newest seq at the last refresh); events that
arrived since are inserted above as rows 0..n-1 on the next refresh, and cached rows shift down by
n, so scrolling and the selection stay put while a stream comes in.

Everything comes from the journal's public API: ``query`` for pages, ``count`` for the counts
(also below the anchor), ``fired_mappings`` for the mappings column, and its ``JournalWatcher``
to notice changes; the SQL stays in ``receiver/journal.py``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.table_models import HeaderedTableModel, Index
from pipedrive_gui.receiver import Journal, JournalQuery, JournalRow
from pipedrive_gui.receiver.journal import JournalWatcher
from pipedrive_gui.receiver.outcomes import OUTCOME_FILTERS, Outcome, outcome_text


class Spawn(Protocol):
    """``TaskRunner.spawn``: runs ``coro`` as a named task, then ``on_done(result)`` or ``on_error(name, exc)``."""

    def __call__(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> object: ...


@dataclass(frozen=True)
class EventFilter:
    outcome: str = "all"  # a key of OUTCOME_FILTERS
    type: str = ""  # "" = every type
    text: str = ""

    def query(self, **kw: Any) -> JournalQuery:
        outcomes = OUTCOME_FILTERS.get(self.outcome, OUTCOME_FILTERS["all"])[1]
        types = (self.type,) if self.type else ()
        return JournalQuery(outcomes=outcomes, types=types, text=self.text.strip(), **kw)


@dataclass(frozen=True)
class EventRow:
    """One table row, formatted once when its page loads."""

    seq: int
    message_id: str
    time: str
    received_at: str
    type: str
    name: str
    user: str
    fired: str
    outcome: str
    flag: str | None
    summary: str

    @property
    def outcome_text(self) -> str:
        return outcome_text(self.outcome)


def format_time(iso: str, today: str | None = None) -> str:
    """Local time of a Segment timestamp: ``14:03:07`` today, ``2026-11-29 14:03`` before."""
    if not iso:
        return ""
    text = iso[:-1] + "+00:00" if iso.endswith(("Z", "z")) else iso
    try:
        moment = datetime.fromisoformat(text).astimezone()
    except ValueError:
        return iso
    day = moment.strftime("%Y-%m-%d")
    if day == (today or datetime.now().astimezone().strftime("%Y-%m-%d")):
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


class JournalSource:
    """The reads the table needs, on top of a journal's public API."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def snapshot(self, flt: EventFilter) -> tuple[int, int | None]:
        """How many events match, and the newest matching seq."""
        return await self.journal.count(flt.query())

    async def count_upto(self, flt: EventFilter, anchor: int) -> int:
        """How many matching events have ``seq <= anchor`` (the rows below the table's anchor)."""
        total, _top = await self.journal.count(flt.query(), upto=anchor)
        return total

    async def page(self, flt: EventFilter, anchor: int, offset: int, limit: int) -> list[EventRow]:
        page = await self.journal.query(
            flt.query(limit=limit, offset=offset, before=anchor + 1, count_total=False)
        )
        fired = await self.journal.fired_mappings([r.seq for r in page.rows])
        today = datetime.now().astimezone().strftime("%Y-%m-%d")
        return [_event_row(r, ", ".join(fired.get(r.seq, ())), today) for r in page.rows]


def _event_row(r: JournalRow, fired: str, today: str) -> EventRow:
    user = r.user_id or (f"anonymous {r.anonymous_id}" if r.anonymous_id else "")
    return EventRow(
        r.seq,
        r.message_id,
        format_time(r.received_at, today),
        r.received_at,
        r.type,
        r.name or "",
        user,
        fired,
        r.outcome,
        r.flag,
        r.summary or "",
    )


COLUMNS = ("Time", "Type", "Event", "User", "Mappings fired", "Outcome")
TIME, TYPE, EVENT, USER, FIRED, OUTCOME = range(len(COLUMNS))
PLACEHOLDER = "…"


class EventTableModel(HeaderedTableModel):
    """Rows are journal events, newest first; see the module docstring for how it stays small.

    Signals:
        loaded(): a page arrived (tests and the panel's "loading" hint listen).
        refreshed(): a refresh after a journal change finished.
        failed(str): a read failed; the text says what happened.
    """

    HEADERS = COLUMNS
    SeqRole = Qt.ItemDataRole.UserRole + 1
    OutcomeRole = Qt.ItemDataRole.UserRole + 2
    RowRole = Qt.ItemDataRole.UserRole + 3

    PAGE = 100
    MAX_ROWS = 3000  # cached rows kept (about 30 pages); older pages are dropped first

    loaded = Signal()
    refreshed = Signal()
    failed = Signal(str)

    def __init__(self, spawn: Spawn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spawn = spawn
        self._source: JournalSource | None = None
        self._filter = EventFilter()
        self._total = 0
        self._anchor: int | None = None
        self._rows: OrderedDict[int, tuple[int, EventRow]] = OrderedDict()  # row -> (epoch, row)
        self._epoch = 0  # bumped when cached rows may be stale (an outcome changed)
        self._generation = 0  # bumped on a new source/filter: late answers are dropped
        self._shift = 0  # rows inserted at the top since the generation began
        self._inflight: dict[int, int] = {}  # page -> epoch asked for
        self._refreshing = False
        self._refresh_again = False
        self._task_no = 0
        self.pages_loaded = 0  # for tests and the benchmark: how many page reads ran

    # -- what the panel sets -----------------------------------------------------------------------

    @property
    def filter(self) -> EventFilter:
        return self._filter

    def set_source(self, source: JournalSource | None) -> None:
        self._source = source
        self.reload()

    def set_filter(self, flt: EventFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.reload()

    def reload(self) -> None:
        """Start over (new source or filter): empty now, the count arrives shortly."""
        self.beginResetModel()
        self._generation += 1
        self._total = 0
        self._anchor = None
        self._rows.clear()
        self._inflight.clear()
        self._shift = 0
        self.endResetModel()
        self._refreshing = False
        self._refresh_again = False
        self.refresh()

    def refresh(self) -> None:
        """The journal changed: count again, add new rows at the top, repaint stale rows."""
        if self._source is None:
            return
        if self._refreshing:
            self._refresh_again = True  # one refresh at a time; coalesce a burst of changes
            return
        self._refreshing = True
        gen, flt, anchor, source = self._generation, self._filter, self._anchor, self._source

        async def count() -> tuple[int, int | None, int | None]:
            total, top = await source.snapshot(flt)
            older = await source.count_upto(flt, anchor) if anchor is not None else None
            return total, top, older

        self._spawn(
            count(),
            name=self._task_name("count"),
            on_done=lambda r: self._counted(gen, anchor, *r),
            on_error=lambda _n, exc: self._read_failed(gen, exc, refresh=True),
        )

    # -- reading ---------------------------------------------------------------------------------

    def row_data(self, row: int) -> EventRow | None:
        """The cached row (possibly stale), or None while its page loads. Asks for it if needed."""
        entry = self._rows.get(row)
        if entry is None or entry[0] != self._epoch:
            self._request(row // self.PAGE)
        return entry[1] if entry is not None else None

    def seq_at(self, row: int) -> int | None:
        entry = self._rows.get(row)
        return entry[1].seq if entry is not None else None

    def row_of_seq(self, seq: int) -> int | None:
        """The row showing ``seq``, if it is cached."""
        for row, (_epoch, r) in self._rows.items():
            if r.seq == seq:
                return row
        return None

    @property
    def cached_rows(self) -> int:
        return len(self._rows)

    @property
    def busy(self) -> bool:
        return self._refreshing or bool(self._inflight)

    # -- Qt model API ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._total

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._total:
            return None
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.DecorationRole,
            self.SeqRole,
            self.OutcomeRole,
            self.RowRole,
        ):
            return None
        r = self.row_data(index.row())
        col = index.column()
        if r is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole and col == TIME else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == OUTCOME:
                return r.summary or r.outcome_text
            if col == TIME:
                return f"Received {r.received_at}\nmessageId {r.message_id}"
            return self._display(r, col) or None
        if role == Qt.ItemDataRole.DecorationRole:
            return _outcome_icon(r.outcome) if col == OUTCOME else None
        if role == self.SeqRole:
            return r.seq
        if role == self.OutcomeRole:
            return r.outcome
        return r  # RowRole

    @staticmethod
    def _display(r: EventRow, col: int) -> str:
        if col == TIME:
            return r.time
        if col == TYPE:
            return r.type
        if col == EVENT:
            return r.name
        if col == USER:
            return r.user
        if col == FIRED:
            return r.fired
        return r.outcome_text

    # -- internals -------------------------------------------------------------------------------

    def _task_name(self, what: str) -> str:
        self._task_no += 1
        return f"receiver-table-{what}-{self._task_no}"

    def _request(self, page: int) -> None:
        source, anchor = self._source, self._anchor
        if source is None or anchor is None or self._inflight.get(page) == self._epoch:
            return
        self._inflight[page] = self._epoch
        gen, epoch, shift, flt = self._generation, self._epoch, self._shift, self._filter
        self._spawn(
            source.page(flt, anchor, page * self.PAGE, self.PAGE),
            name=self._task_name("page"),
            on_done=lambda rows: self._page_loaded(gen, epoch, shift, page, rows),
            on_error=lambda _n, exc: self._read_failed(gen, exc, page=page),
        )

    def _page_loaded(self, gen: int, epoch: int, shift: int, page: int, rows: list[EventRow]) -> None:
        if gen != self._generation:
            return
        if self._inflight.get(page) == epoch:
            del self._inflight[page]
        self.pages_loaded += 1
        # Rows inserted at the top while this page was read push it down.
        first = page * self.PAGE + (self._shift - shift)
        stored = 0
        for i, r in enumerate(rows):
            row = first + i
            if row >= self._total:
                break
            self._rows[row] = (epoch, r)
            self._rows.move_to_end(row)
            stored += 1
        while len(self._rows) > self.MAX_ROWS:
            self._rows.popitem(last=False)
        if stored:
            self.dataChanged.emit(self.index(first, 0), self.index(first + stored - 1, len(COLUMNS) - 1))
        self.loaded.emit()

    def _counted(self, gen: int, anchor: int | None, total: int, top: int | None, older: int | None) -> None:
        if gen != self._generation:
            return
        if anchor is None or older is None:
            # First count of this generation.
            if total:
                self.beginInsertRows(QModelIndex(), 0, total - 1)
                self._total, self._anchor = total, top
                self.endInsertRows()
            else:
                self._anchor = top
        else:
            if older != self._total:
                # Events below the anchor changed membership (an outcome filter and a dispatch,
                # or pruning): positions moved, so cached rows cannot be trusted.
                self._rows.clear()
                if older < self._total:
                    self.beginRemoveRows(QModelIndex(), older, self._total - 1)
                    self._total = older
                    self.endRemoveRows()
                else:
                    self.beginInsertRows(QModelIndex(), self._total, older - 1)
                    self._total = older
                    self.endInsertRows()
            new = max(0, total - older)
            if new:
                self.beginInsertRows(QModelIndex(), 0, new - 1)
                self._rows = OrderedDict((row + new, v) for row, v in self._rows.items())
                self._total += new
                self._shift += new
                self._anchor = top
                self.endInsertRows()
            # Outcomes of shown rows may have changed: repaint them; stale rows reload as seen.
            self._epoch += 1
            if self._total:
                self.dataChanged.emit(self.index(0, 0), self.index(self._total - 1, len(COLUMNS) - 1))
        self._refresh_done()

    def _refresh_done(self) -> None:
        self._refreshing = False
        self.refreshed.emit()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _read_failed(
        self, gen: int, exc: BaseException, *, page: int | None = None, refresh: bool = False
    ) -> None:
        if gen != self._generation:
            return
        if page is not None:
            self._inflight.pop(page, None)
        message = describe(exc)
        self.failed.emit(f"Could not read the receiver journal: {message}")
        if refresh:
            self._refresh_again = False
            self._refresh_done()


_ICONS: dict[str, QStyle.StandardPixmap] = {
    Outcome.FAILED: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Outcome.DROPPED: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Outcome.RETRYING: QStyle.StandardPixmap.SP_BrowserReload,
    Outcome.DELIVERED: QStyle.StandardPixmap.SP_DialogApplyButton,
    Outcome.PLANNED: QStyle.StandardPixmap.SP_FileDialogInfoView,
}


_icon_cache: dict[str, QIcon] = {}


def _outcome_icon(outcome: str) -> QIcon | None:
    """A shape as well as a word, so outcomes read without relying on colour."""
    if outcome in _icon_cache:
        return _icon_cache[outcome]
    pixmap = _ICONS.get(outcome)
    app = QApplication.instance()
    if pixmap is None or not isinstance(app, QApplication):
        return None
    icon = _icon_cache[outcome] = app.style().standardIcon(pixmap)
    return icon


__all__ = [
    "COLUMNS",
    "EventFilter",
    "EventRow",
    "EventTableModel",
    "JournalSource",
    "JournalWatcher",
    "format_time",
]
