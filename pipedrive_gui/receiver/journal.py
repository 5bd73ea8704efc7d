"""The durable journal of received events: SQLite in WAL mode, one writer thread, group commits.

Why a writer thread: SQLite allows one writer at a time and a commit waits for fsync. All writes
(intake appends, dispatch results, replays, pruning) go to one thread through a queue; it takes
everything queued, runs it in one transaction (a savepoint per request, so one bad request cannot
spoil the others) and commits once. Under load many HTTP requests share one fsync; the event loop
never blocks. A request's future resolves only after COMMIT returned, so a 200 is sent only for
events that are on disk; with ``synchronous=FULL`` that survives ``kill -9`` and power loss.

Why an inbox: a request's accepted events are committed as ONE row (``inbox``: the normalized
events' JSON back to back, and a small index of offsets, messageIds and types) before the 200;
putting a row per event into ``events`` with its indexes costs several times more and would sit on
every client's wait. The writer splits inbox rows into ``events`` rows once requests pause for a
moment (a few rows per transaction, so an arriving request waits at most for those), and before
any other write or read: nobody outside this module ever sees an unsplit event (the GUI's SQL on
``events`` included, as long as it goes through :meth:`Journal.read`), and an inbox row left by a
crash is split when the journal opens next. A split commit needs no fsync of its own: its inbox row
is already on disk, the split is repeatable (the inbox row is deleted in the same transaction) and
the next FULL commit makes it durable too (WAL is one ordered log).

Reads (queries, the dispatcher's next events) use a separate connection in a worker thread; WAL
lets them run while the writer commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipedrive_gui.receiver.dedupe import WINDOW, RecentIds
from pipedrive_gui.receiver.errors import JournalError, journal_problem
from pipedrive_gui.receiver.intake import (
    FLAG_REASONS,
    AcceptedBatch,
    AcceptedEvent,
    column_text,
    decode_json,
    json_text,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

# Event outcomes, as the journal, the CLI and the GUI show them.
PENDING = "pending"  # accepted, not dispatched yet
RETRYING = "retrying"  # a try failed for a passing reason (rate limit, 5xx, network); will retry
DROPPED = "dropped"  # Segment would answer 200 and drop it (see ``flag``)
SKIPPED = "skipped"  # no enabled mapping's trigger matched
PLANNED = "planned"  # dry run: every mapping that fired was planned
DELIVERED = "delivered"  # live: every mapping that fired was carried out in Pipedrive
FAILED = "failed"  # a mapping that fired failed; parked with the reason
OUTCOMES = (PENDING, RETRYING, DROPPED, SKIPPED, PLANNED, DELIVERED, FAILED)
OPEN_OUTCOMES = (PENDING, RETRYING)

_EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,  -- no AUTOINCREMENT: its bookkeeping costs ~10% of intake throughput
    message_id TEXT NOT NULL,  -- duplicates are caught by the dedupe window instead (dedupe.py)
    type TEXT NOT NULL,
    received_ts REAL NOT NULL,
    flag TEXT,
    outcome TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    dispatches INTEGER NOT NULL DEFAULT 0,
    force INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    body TEXT NOT NULL,
    result TEXT,
    updated_at REAL
);
"""
_EVENTS_INDEX = "CREATE INDEX IF NOT EXISTS events_outcome ON events(outcome, seq);"
_EVENTS_COLUMNS = (
    "seq, message_id, type, received_ts, flag, outcome, attempts, next_attempt, dispatches, force,"
    " summary, body, result, updated_at"
)
SCHEMA = _EVENTS_TABLE + _EVENTS_INDEX + """
-- Accepted requests not yet split into events rows (see the module docstring).
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    received_ts REAL NOT NULL,
    count INTEGER NOT NULL,
    idx TEXT NOT NULL,  -- JSON array: [offset (1-based), length, messageId, type] of each event
    bodies BLOB NOT NULL  -- the normalized events' UTF-8 JSON, back to back (none flagged)
);
-- Live writes started and not yet recorded: (event, mapping) pairs the dispatcher was sending to
-- Pipedrive. A row left here means the process stopped mid-write; record() deletes them.
CREATE TABLE IF NOT EXISTS inflight (
    seq INTEGER NOT NULL,
    mapping_id TEXT NOT NULL,
    started REAL NOT NULL,
    PRIMARY KEY (seq, mapping_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Few columns on purpose: each bound parameter and index costs intake throughput. Names, user ids
# and receivedAt are read from the stored event (JSON1) when a page is shown.
_INSERT = (
    "INSERT OR IGNORE INTO events (message_id, type, received_ts, flag, outcome, summary, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)

_INBOX_INSERT = "INSERT INTO inbox (received_ts, count, idx, bodies) VALUES (?, ?, ?, ?)"


@functools.lru_cache(maxsize=64)
def _inbox_insert_many(rows: int) -> str:
    """``_INBOX_INSERT`` for ``rows`` rows in one statement."""
    return _INBOX_INSERT + ", (?, ?, ?, ?)" * (rows - 1)


# SQLite walks the small index itself (in C, with the GIL released): the writer thread holds the
# GIL for one call per request instead of one per row, and no event body is parsed again (cutting
# it out of the blob by offset is cheap). The row's values are bound as parameters: read as a
# column, the blob would be loaded again for every event cut out of it.
_SPLIT = (
    "INSERT OR IGNORE INTO events (message_id, type, received_ts, outcome, body)"
    " SELECT json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), :ts, 'pending',"
    " CAST(substr(:bodies, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')) AS TEXT)"
    " FROM json_each(:idx) AS j"
)
# The same, leaving out the events at the positions in :skip (duplicates by messageId).
_SPLIT_SKIPPING = _SPLIT + " WHERE j.key NOT IN (SELECT value FROM json_each(:skip))"

_ROW_COLUMNS = (
    "seq, message_id, type, json_extract(body, CASE type WHEN 'track' THEN '$.event' ELSE '$.name' END),"
    " json_extract(body, '$.userId'), json_extract(body, '$.anonymousId'), json_extract(body, '$.receivedAt'),"
    " flag, outcome, attempts, dispatches, summary, next_attempt"
)
_ROW_WIDTH = 13


def inbox_row(accepted: AcceptedBatch | Sequence[AcceptedEvent], received_ts: float) -> tuple[float, int, str, bytes]:
    """One accepted request (no event flagged) as an inbox row (values for ``_INBOX_INSERT``)."""
    if isinstance(accepted, AcceptedBatch):
        return received_ts, accepted.size, accepted.idx.decode("utf-8"), accepted.bodies
    parts: list[bytes] = []
    index: list[tuple[int, int, str, str]] = []
    offset = 1
    for e in accepted:
        body = e.body if isinstance(e.body, bytes) else e.body.encode("utf-8")
        parts.append(body)
        index.append((offset, len(body), e.message_id, e.type))
        offset += len(body)
    return received_ts, len(accepted), json.dumps(index, ensure_ascii=False, separators=(",", ":")), b"".join(parts)


def _text(body: bytes | str) -> str:
    """Bodies are stored as TEXT (a BLOB would not be JSON to SQLite's json functions)."""
    return body.decode("utf-8") if isinstance(body, bytes) else body


def _opt_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _row(r: Sequence[Any]) -> JournalRow:
    return JournalRow(
        r[0], r[1], r[2], _opt_text(r[3]), _opt_text(r[4]), _opt_text(r[5]), str(r[6] or ""), *r[7:13]
    )


@dataclass(frozen=True)
class Retention:
    """How much history the journal keeps. Unfinished events are never pruned."""

    max_age_days: float | None = 30.0
    max_rows: int | None = 200_000
    max_bytes: int | None = 1024 * 1024 * 1024


@dataclass(frozen=True)
class AppendResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class JournalRow:
    seq: int
    message_id: str
    type: str
    name: str | None
    user_id: str | None
    anonymous_id: str | None
    received_at: str
    flag: str | None
    outcome: str
    attempts: int
    dispatches: int
    summary: str | None
    next_attempt: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "messageId": self.message_id,
            "type": self.type,
            "name": self.name,
            "userId": self.user_id,
            "anonymousId": self.anonymous_id,
            "receivedAt": self.received_at,
            "flag": self.flag,
            "outcome": self.outcome,
            "attempts": self.attempts,
            "dispatches": self.dispatches,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class EventDetail:
    row: JournalRow
    event: dict[str, Any]
    deliveries: list[dict[str, Any]]
    force: bool

    def to_dict(self) -> dict[str, Any]:
        return {**self.row.to_dict(), "event": self.event, "deliveries": self.deliveries}


@dataclass(frozen=True)
class JournalQuery:
    """A page of the journal, newest first. ``before`` is the ``seq`` cursor from the last page."""

    outcomes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    text: str = ""
    before: int | None = None
    limit: int = 100
    offset: int = 0
    oldest_first: bool = False
    count_total: bool = True


@dataclass(frozen=True)
class JournalPage:
    rows: list[JournalRow]
    total: int | None
    next_before: int | None


@dataclass(frozen=True)
class DueEvent:
    """An event the dispatcher should process now."""

    seq: int
    message_id: str
    event: dict[str, Any]
    previous: list[dict[str, Any]]
    attempts: int
    force: bool
    #: Mappings whose live write was started on an earlier try and never recorded (the process
    #: stopped mid-write): the record may or may not exist in Pipedrive.
    in_flight: tuple[str, ...] = ()


@dataclass
class _Job:
    fn: Callable[[sqlite3.Connection], Any] | None  # None: ``row`` is one accepted request
    future: asyncio.Future[Any] | None
    loop: asyncio.AbstractEventLoop | None
    done: threading.Event | None = None
    result: Any = None
    error: BaseException | None = None
    row: tuple[float, int, str, bytes] = (0.0, 0, "[]", b"")  # an inbox row: received_ts, count, idx, bodies


_TEXT = functools.partial(str, encoding="utf-8", errors="replace")


def _connect(path: Path, synchronous: str, *, autocheckpoint: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    # SQLite's JSON functions turn an escaped lone surrogate ("\ud83c", stored faithfully) into
    # bytes that are not UTF-8: such a name or user id is shown with U+FFFD instead of failing the page.
    conn.text_factory = _TEXT
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute(f"PRAGMA journal_size_limit={_CHECKPOINT_BYTES}")  # the WAL shrinks back after a burst
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


# The intake's connection does not checkpoint on its own: a checkpoint (copying the WAL into the
# database file, then fsync) inside a commit would hold up every request waiting for that commit.
# The split connection checkpoints as usual once requests pause; under load without a pause the
# writer checkpoints after this much WAL, once the waiting requests have their answers.
_CHECKPOINT_BYTES = 64 * 1024 * 1024


SplitHook = Callable[[sqlite3.Connection, int, int], None]


def _drop_unique_message_id(conn: sqlite3.Connection) -> None:
    """Journals made by earlier versions have a UNIQUE index on ``message_id``, which makes intake
    slow down as they grow (see dedupe.py); rebuild such a table without it, keeping every row."""
    constraint = "SELECT count(*) FROM pragma_index_list('events') WHERE origin = 'u'"  # from a UNIQUE clause
    if not conn.execute(constraint).fetchone()[0]:
        return
    conn.execute(_EVENTS_TABLE.replace("IF NOT EXISTS events", "events_rebuilt"))
    conn.execute(f"INSERT INTO events_rebuilt ({_EVENTS_COLUMNS}) SELECT {_EVENTS_COLUMNS} FROM events")
    conn.execute("DROP TABLE events")
    conn.execute("ALTER TABLE events_rebuilt RENAME TO events")
    conn.execute(_EVENTS_INDEX)


def recent_ids(conn: sqlite3.Connection, capacity: int = WINDOW) -> RecentIds:
    """The dedupe window as the stored events define it: their latest ``capacity`` messageIds."""
    rows = conn.execute("SELECT message_id FROM events ORDER BY seq DESC LIMIT ?", (capacity,)).fetchall()
    return RecentIds(capacity, (r[0] for r in reversed(rows)))


class _Splitter:
    """Turns inbox rows into events rows, leaving out messageIds seen lately (see dedupe.py).

    The window in memory must match what is committed: after a failed transaction call
    :meth:`resync` (ids it admitted may have been rolled back).
    """

    def __init__(self, hook: SplitHook) -> None:
        self.hook = hook
        self.recent = RecentIds()
        self.written = 0  # bytes of events rows written so far (roughly): what the WAL grew by

    def resync(self, conn: sqlite3.Connection) -> None:
        self.recent = recent_ids(conn, self.recent.capacity)

    def split(self, conn: sqlite3.Connection, limit: int) -> int:
        """Split the oldest ``limit`` inbox rows (inside the caller's transaction); returns how many.

        Few statements per row on purpose: each one hands the GIL back and forth with the event loop.
        """
        rows = conn.execute(
            "SELECT id, count, received_ts, idx, bodies FROM inbox ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        for _row_id, count, received_ts, idx, bodies in rows:
            params = {"ts": received_ts, "idx": idx, "bodies": bodies}
            skip = self.recent.admit(entry[2] for entry in decode_json(idx))
            before = conn.total_changes
            if skip:
                conn.execute(_SPLIT_SKIPPING, {**params, "skip": json.dumps(skip)})
            else:
                conn.execute(_SPLIT, params)
            added = conn.total_changes - before
            self.written += len(bodies) + 64 * added  # the row's JSON plus its columns and index entry
            self.hook(conn, added, count - added)
        if rows:
            conn.execute("DELETE FROM inbox WHERE id <= ?", (rows[-1][0],))  # the oldest rows: just split
        return len(rows)

    def split_all(self, conn: sqlite3.Connection) -> None:
        while self.split(conn, 64) == 64:
            pass


class _Writer(threading.Thread):
    """The only thread that writes; takes everything queued and commits it as one transaction.

    When no request has come for a moment, it splits inbox rows into events rows, a few per
    transaction on ``split_conn`` (a connection that does not fsync; see the module docstring).
    """

    MAX_GROUP = 240  # requests per commit; x4 parameters stays under SQLite's oldest limit (999)
    #: Splitting waits until requests stop coming for this long: while they come, the CPU goes to
    #: answering them (the split would compete with the event loop for it). Reads and other writes
    #: do not wait: they split whatever is left first.
    SPLIT_WHEN_IDLE = 0.05

    def __init__(self, conn: sqlite3.Connection, split_conn: sqlite3.Connection, splitter: _Splitter) -> None:
        super().__init__(name="receiver-journal-writer", daemon=True)
        self._conn = conn
        self._split_conn = split_conn
        self.splitter = splitter
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.commits = 0
        self._wal_bytes = 0  # written since the writer's last checkpoint (roughly)
        self.backlog = False  # inbox rows may be waiting to be split

    def run(self) -> None:
        stop = False
        idle = False  # no job for SPLIT_WHEN_IDLE seconds: split until the next job comes
        while not stop:
            if self.backlog:
                try:
                    first = self.jobs.get_nowait() if idle else self.jobs.get(timeout=self.SPLIT_WHEN_IDLE)
                except queue.Empty:
                    if idle:
                        self._split_one()
                    idle = True
                    continue
            else:
                first = self.jobs.get()
            idle = False
            if first is None:
                break
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    nxt = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                group.append(nxt)
            self._run_group(group)
        try:  # leave a whole file for readers that do not know the inbox (the next open would split it too)
            self._conn.execute("BEGIN IMMEDIATE")
            self.splitter.split_all(self._conn)
            self._conn.execute("COMMIT")
        except sqlite3.Error:
            log.warning("receiver journal: could not split accepted requests on close; they are split on the next open")
        self._split_conn.close()
        self._conn.close()

    def _split_one(self) -> None:
        """Split a few inbox rows (a few hundred events: an arriving request waits at most that)."""
        conn = self._split_conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            done = self.splitter.split(conn, 4)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            self._resync()
            log.warning("receiver journal: could not split accepted events yet (%s); retrying on the next write", exc)
            done = 0
        if done < 4:
            self.backlog = False

    def _resync(self) -> None:
        """After a rollback: the dedupe window may hold ids whose rows were not committed."""
        try:
            self.splitter.resync(self._conn)
        except sqlite3.Error as exc:  # the next failure tries again; the journal reports it then
            log.warning("receiver journal: could not reload recent messageIds (%s)", exc)

    def _run_group(self, group: list[_Job]) -> None:
        conn = self._conn
        intake = resync = False
        split_before = self.splitter.written
        try:
            if all(job.fn is None for job in group):
                # The intake hot path: ONE statement, its own transaction (autocommit), for every
                # queued request. Each call into SQLite gives the GIL up and has to win it back
                # from the event loop, which holds it while it parses requests; one call instead of
                # BEGIN + a step per row + COMMIT shortens every client's wait.
                conn.execute(_inbox_insert_many(len(group)), [value for job in group for value in job.row])
                for job in group:
                    job.result = AppendResult(job.row[1], 0)
                intake = True
            else:
                conn.execute("BEGIN IMMEDIATE")
                for job in group:
                    if job.fn is None:
                        conn.execute(_INBOX_INSERT, job.row)
                        job.result = AppendResult(job.row[1], 0)
                        intake = True
                        continue
                    # Every other write sees every accepted event as an events row.
                    self.splitter.split_all(conn)
                    conn.execute("SAVEPOINT job")
                    try:
                        job.result = job.fn(conn)
                    except BaseException as exc:  # noqa: BLE001 - reported to the job's caller
                        job.error = exc
                        conn.execute("ROLLBACK TO job")
                        resync = True
                    conn.execute("RELEASE job")
                conn.execute("COMMIT")
            self.commits += 1
            self._wal_bytes += sum(len(job.row[2]) + len(job.row[3]) if job.fn is None else 4096 for job in group)
            if intake:
                self.backlog = True
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            err = JournalError(journal_problem(exc, "write"))
            for job in group:
                job.error = err
            resync = True
        if resync:
            self._resync()
        # One wake-up per event loop for the whole group (each call_soon_threadsafe is a syscall
        # and a trip through the loop's selector).
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in group:
            if job.loop is not None:
                by_loop.setdefault(job.loop, []).append(job)
            elif job.done is not None:
                job.done.set()
        for loop, jobs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, jobs)
            except RuntimeError:  # the loop closed while we wrote; nobody waits any more
                pass
        # A read or write that had to split first wrote events rows on this connection, which
        # checkpoints only here: count them, or a WAL of several hundred MB slows every commit.
        self._wal_bytes += self.splitter.written - split_before
        if self._wal_bytes > _CHECKPOINT_BYTES:
            self._wal_bytes = 0
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:  # the next one tries again; the WAL only grows meanwhile
                log.warning("receiver journal: checkpoint failed (%s)", exc)


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        fut = job.future
        if fut is None or fut.done():
            continue
        if job.error is not None:
            fut.set_exception(job.error)
        else:
            fut.set_result(job.result)


def _noop(conn: sqlite3.Connection) -> None:
    return None


class Journal:
    """The receiver's event store. ``await open()`` before use, ``await close()`` after."""

    def __init__(self, path: Path | str, *, retention: Retention | None = None, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self.retention = retention or Retention()
        self._synchronous = synchronous
        self._writer: _Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._since_prune = 0
        self._last_prune = 0.0
        #: Accepted events that turned out to be duplicates (by messageId) since open; they are
        #: found when the inbox is split, after their request was answered.
        self.duplicates = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def open_sync(self) -> None:
        self.duplicates = 0  # counted from here: the split of what a crash left may find some
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(self.path, self._synchronous, autocheckpoint=False)
            fresh = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'").fetchone()[0] == 0
            if fresh:
                # Only takes effect before the first table exists; lets pruning give pages back.
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.executescript(SCHEMA)
            # Requests acknowledged before a crash and not split yet become events rows first.
            splitter = _Splitter(self._on_split)
            conn.execute("BEGIN IMMEDIATE")
            splitter.resync(conn)
            splitter.split_all(conn)
            _drop_unique_message_id(conn)
            conn.execute("COMMIT")
            split_conn = _connect(self.path, "OFF" if self._synchronous.upper() == "OFF" else "NORMAL")
            self._reader = _connect(self.path, self._synchronous)
        except sqlite3.Error as exc:
            raise JournalError(journal_problem(exc, "open", self.path)) from exc
        self._writer = _Writer(conn, split_conn, splitter)
        self._writer.start()

    async def open(self) -> None:
        await asyncio.to_thread(self.open_sync)

    def close_sync(self) -> None:
        if self._writer is not None:
            self._writer.jobs.put(None)
            self._writer.join()
            self._writer = None
        if self._reader is not None:
            with self._read_lock:
                self._reader.close()
            self._reader = None

    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)

    async def __aenter__(self) -> Journal:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def commits(self) -> int:
        return self._writer.commits if self._writer else 0

    # -- plumbing ----------------------------------------------------------------------------------

    def _require_writer(self) -> _Writer:
        if self._writer is None:
            raise JournalError("The receiver journal is not open.")
        return self._writer

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` in the writer's next transaction; returns after it is committed."""
        writer = self._require_writer()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        writer.jobs.put(_Job(fn, fut, loop))
        return await fut

    def write_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        writer = self._require_writer()
        job = _Job(fn, None, None, threading.Event())
        writer.jobs.put(job)
        assert job.done is not None
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    def _settle_inbox(self) -> None:
        """Have every accepted request split into events rows before a read (see the docstring)."""
        reader = self._reader
        if reader is None:
            raise JournalError("The receiver journal is not open.")
        with self._read_lock:
            try:
                waiting = reader.execute("SELECT EXISTS (SELECT 1 FROM inbox)").fetchone()[0]
            except sqlite3.Error as exc:
                raise JournalError(f"Could not read the receiver journal: {exc}.") from exc
        if waiting:
            self.write_sync(_noop)  # every write splits the inbox before it runs

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._settle_inbox()
        if self._reader is None:
            raise JournalError("The receiver journal is not open.")
        with self._read_lock:
            try:
                return fn(self._reader)
            except sqlite3.Error as exc:
                raise JournalError(f"Could not read the receiver journal: {exc}.") from exc

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, fn)

    # -- intake ------------------------------------------------------------------------------------

    async def append(self, events: AcceptedBatch | Sequence[AcceptedEvent]) -> AppendResult:
        """Store accepted events (a request's :class:`AcceptedBatch` or a list); returns once committed.

        Duplicates by messageId are ignored; for a request of unflagged events (the common case)
        they are found after this returns (counted in :attr:`duplicates`), so the result says
        ``duplicates=0``. Every later read or write sees the events.
        """
        now = time.time()
        if isinstance(events, AcceptedBatch) or all(e.flag is None for e in events):
            if not (events.size if isinstance(events, AcceptedBatch) else events):
                return AppendResult(0, 0)
            writer = self._require_writer()
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[AppendResult] = loop.create_future()
            writer.jobs.put(_Job(None, fut, loop, row=inbox_row(events, now)))
            return await fut

        rows = [
            (e.message_id, e.type, now, None, PENDING, None, _text(e.body))
            if e.flag is None
            else (e.message_id, e.type, now, e.flag, DROPPED, FLAG_REASONS.get(e.flag, e.flag), _text(e.body))
            for e in events
        ]

        def insert_rows(conn: sqlite3.Connection) -> AppendResult:
            # (A failure rolls this back and the writer reloads the dedupe window.)
            skip = set(self._require_writer().splitter.recent.admit(r[0] for r in rows))
            fresh = [r for i, r in enumerate(rows) if i not in skip] if skip else rows
            before = conn.total_changes
            conn.executemany(_INSERT, fresh)
            accepted = conn.total_changes - before
            self._maybe_prune(conn, accepted)
            self.duplicates += len(rows) - accepted
            return AppendResult(accepted, len(rows) - accepted)

        return await self.write(insert_rows)

    def _on_split(self, conn: sqlite3.Connection, added: int, duplicates: int) -> None:
        self.duplicates += duplicates
        self._maybe_prune(conn, added)

    # -- dispatcher --------------------------------------------------------------------------------

    async def due(self, limit: int = 100, now: float | None = None, after: int = 0) -> list[DueEvent]:
        """Open events whose (next) attempt is due, oldest first."""
        moment = time.time() if now is None else now

        def fetch(conn: sqlite3.Connection) -> list[DueEvent]:
            # Two walks of the (outcome, seq) index, merged: a backlog of pending events never sorts.
            cols = "SELECT seq, message_id, body, result, attempts, force FROM events"
            rows = conn.execute(
                f"{cols} WHERE outcome = 'pending' AND seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
            rows += conn.execute(
                f"{cols} WHERE outcome = 'retrying' AND seq > ? AND next_attempt <= ? ORDER BY seq LIMIT ?",
                (after, moment, limit),
            ).fetchall()
            rows.sort(key=lambda r: r[0])
            rows = rows[:limit]
            in_flight: dict[int, list[str]] = {}
            if rows:
                marks = ",".join("?" * len(rows))
                for seq, mapping_id in conn.execute(
                    f"SELECT seq, mapping_id FROM inflight WHERE seq IN ({marks}) ORDER BY seq, started",
                    [r[0] for r in rows],
                ):
                    in_flight.setdefault(seq, []).append(mapping_id)
            return [
                DueEvent(
                    seq, mid, json.loads(body), _deliveries(result), attempts, bool(force), tuple(in_flight.get(seq, ()))
                )
                for seq, mid, body, result, attempts, force in rows
            ]

        return await self.read(fetch)

    async def next_retry_time(self) -> float | None:
        def fetch(conn: sqlite3.Connection) -> float | None:
            if conn.execute("SELECT 1 FROM events WHERE outcome = 'pending' LIMIT 1").fetchone():
                return 0.0
            row = conn.execute("SELECT min(next_attempt) FROM events WHERE outcome = 'retrying'").fetchone()
            return None if row is None or row[0] is None else float(row[0])

        return await self.read(fetch)

    async def record(
        self,
        seq: int,
        outcome: str,
        *,
        summary: str,
        deliveries: list[dict[str, Any]],
        attempts: int,
        next_attempt: float = 0.0,
    ) -> None:
        """Store the dispatcher's result for one event (final, or ``retrying`` with a due time)."""
        result = json_text(deliveries, default=str)  # (lone surrogates from events kept as escapes)
        summary = column_text(summary)
        finished = outcome not in OPEN_OUTCOMES

        def update(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM inflight WHERE seq = ?", (seq,))
            conn.execute(
                "UPDATE events SET outcome = ?, summary = ?, result = ?, attempts = ?, next_attempt = ?,"
                " dispatches = dispatches + ?, force = CASE WHEN ? THEN 0 ELSE force END, updated_at = ?"
                " WHERE seq = ?",
                (outcome, summary, result, attempts, next_attempt, int(finished), finished, time.time(), seq),
            )

        await self.write(update)

    async def mark_in_flight(self, seq: int, mapping_id: str) -> None:
        """Note, durably, that a live write for this event and mapping is about to be sent.

        Returns after the commit, so a process that dies while the request is out leaves the
        note behind; :meth:`record` removes it with the result.
        """

        def mark(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO inflight (seq, mapping_id, started) VALUES (?, ?, ?)",
                (seq, mapping_id, time.time()),
            )

        await self.write(mark)

    async def mark_for_replay(
        self, ids: Iterable[int | str] = (), *, failed: bool = False, force: bool = False
    ) -> list[int]:
        """Put chosen events (by seq or messageId), or every failed one, back in the queue."""
        seqs = [i for i in ids if isinstance(i, int)]
        message_ids = [i for i in ids if isinstance(i, str)]

        def mark(conn: sqlite3.Connection) -> list[int]:
            chosen: set[int] = set()
            for chunk in _chunks(seqs, 500):
                q = ",".join("?" * len(chunk))
                chosen.update(r[0] for r in conn.execute(f"SELECT seq FROM events WHERE seq IN ({q})", chunk))
            for names in _chunks(message_ids, 500):
                q = ",".join("?" * len(names))
                chosen.update(
                    r[0] for r in conn.execute(f"SELECT seq FROM events WHERE message_id IN ({q})", names)
                )
            if failed:
                chosen.update(r[0] for r in conn.execute("SELECT seq FROM events WHERE outcome = 'failed'"))
            # Events Segment would drop stay dropped: replaying them would deliver what Segment never does.
            marked: list[int] = []
            for chunk in _chunks(sorted(chosen), 500):
                q = ",".join("?" * len(chunk))
                cur = conn.execute(
                    f"UPDATE events SET outcome = 'pending', next_attempt = 0, attempts = 0, force = ?"
                    f" WHERE seq IN ({q}) AND outcome NOT IN ('dropped', 'pending', 'retrying') RETURNING seq",
                    (int(force), *chunk),
                )
                marked.extend(r[0] for r in cur.fetchall())
            return sorted(marked)

        return await self.write(mark)

    # -- queries -----------------------------------------------------------------------------------

    async def query(self, q: JournalQuery) -> JournalPage:
        return await self.read(lambda conn: _query(conn, q))

    def query_sync(self, q: JournalQuery) -> JournalPage:
        return self.read_sync(lambda conn: _query(conn, q))

    async def detail(self, key: int | str) -> EventDetail | None:
        """One event with its full body and delivery records, by seq or messageId."""

        def fetch(conn: sqlite3.Connection) -> EventDetail | None:
            column = "seq" if isinstance(key, int) else "message_id"
            row = conn.execute(
                f"SELECT {_ROW_COLUMNS}, body, result, force FROM events WHERE {column} = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            return EventDetail(_row(row), json.loads(row[_ROW_WIDTH]), _deliveries(row[14]), bool(row[15]))

        return await self.read(fetch)

    async def counts(self) -> dict[str, int]:
        """How many events have each outcome."""

        def fetch(conn: sqlite3.Connection) -> dict[str, int]:
            found = dict(conn.execute("SELECT outcome, count(*) FROM events GROUP BY outcome").fetchall())
            return {o: int(found.get(o, 0)) for o in OUTCOMES}

        return await self.read(fetch)

    async def export_jsonl(self, path: Path | str, q: JournalQuery | None = None) -> int:
        """Write events (all, or those matching ``q``'s filters) as JSON Lines, oldest first."""
        return await asyncio.to_thread(self.export_jsonl_sync, path, q)

    def export_jsonl_sync(self, path: Path | str, q: JournalQuery | None = None) -> int:
        where, params = filter_sql(q or JournalQuery())
        self._settle_inbox()
        target = Path(path)
        tmp = target.with_name(target.name + ".part")
        count = 0
        with self._read_lock:
            if self._reader is None:
                raise JournalError("The receiver journal is not open.")
            cur = self._reader.execute(
                f"SELECT {_ROW_COLUMNS}, body, result FROM events {where} ORDER BY seq", params
            )
            with tmp.open("w", encoding="utf-8") as out:
                for row in cur:
                    record = _row(row).to_dict()
                    record["event"] = json.loads(row[13])
                    record["deliveries"] = _deliveries(row[14])
                    out.write(json_text(record) + "\n")
                    count += 1
        tmp.replace(target)
        return count

    # -- retention ---------------------------------------------------------------------------------

    def _maybe_prune(self, conn: sqlite3.Connection, added: int) -> None:
        self._since_prune += added
        now = time.monotonic()
        if self._since_prune < 5000 and now - self._last_prune < 30.0:
            return
        self._since_prune = 0
        self._last_prune = now
        _prune(conn, self.retention)

    async def prune(self) -> int:
        """Apply the retention limits now; returns how many events were removed."""
        return await self.write(lambda conn: _prune(conn, self.retention))


def _prune(conn: sqlite3.Connection, retention: Retention) -> int:
    """Delete the oldest finished events beyond the limits. Works from the old end of the rowid
    order so each pass touches only what it deletes (no full-table scans while intake waits)."""
    finished = "outcome NOT IN ('pending', 'retrying')"
    removed = 0
    if retention.max_age_days is not None:
        cutoff = time.time() - retention.max_age_days * 86400
        after = 0
        for _ in range(50):  # at most 250,000 rows per pass; the next pass continues
            row = conn.execute(
                "SELECT max(seq), count(*) FROM (SELECT seq, received_ts FROM events WHERE seq > ? ORDER BY seq"
                " LIMIT 5000) WHERE received_ts < ?",
                (after, cutoff),
            ).fetchone()
            if not row or row[0] is None:
                break
            removed += conn.execute(
                f"DELETE FROM events WHERE seq > ? AND seq <= ? AND {finished}", (after, row[0])
            ).rowcount
            if row[1] < 5000:
                break
            after = row[0]
    if retention.max_rows is not None:
        # seq numbers are dense (rows leave only from the old end), so the newest max_rows events
        # are those above max(seq) - max_rows.
        top = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        if top > retention.max_rows:
            removed += conn.execute(
                f"DELETE FROM events WHERE seq <= ? AND {finished}", (top - retention.max_rows,)
            ).rowcount
    if retention.max_bytes is not None:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        for _ in range(100):
            used = page_size * (
                conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
            )
            if used <= retention.max_bytes:
                break
            # Estimate how many of the oldest rows hold the excess (seq span ~ row count), a little more.
            lo, hi = conn.execute("SELECT min(seq), max(seq) FROM events").fetchone()
            rows = max(1, (hi or 0) - (lo or 0) + 1)
            excess = int((used - retention.max_bytes) / (used / rows) * 1.05) + 1
            cur = conn.execute(
                f"DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE {finished} ORDER BY seq LIMIT ?)",
                (excess,),
            )
            if cur.rowcount == 0:
                break
            removed += cur.rowcount
    if removed:
        conn.execute("PRAGMA incremental_vacuum")
    return removed


def _deliveries(result: str | None) -> list[dict[str, Any]]:
    if not result:
        return []
    value = json.loads(result)
    return value if isinstance(value, list) else []


def _chunks(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def filter_sql(q: JournalQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) selecting the ``events`` rows ``q`` asks for; also used
    by readers that count rows themselves (the GUI's journal table)."""
    clauses: list[str] = []
    params: list[Any] = []
    if q.outcomes:
        clauses.append(f"outcome IN ({','.join('?' * len(q.outcomes))})")
        params.extend(q.outcomes)
    if q.types:
        clauses.append(f"type IN ({','.join('?' * len(q.types))})")
        params.extend(q.types)
    if q.text:
        needle = "%" + q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(message_id LIKE ? ESCAPE '\\' OR summary LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')")
        params.extend([needle] * 3)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def _query(conn: sqlite3.Connection, q: JournalQuery) -> JournalPage:
    where, params = filter_sql(q)
    total = None
    if q.count_total:
        total = int(conn.execute(f"SELECT count(*) FROM events {where}", params).fetchone()[0])
    page_where = where
    page_params = list(params)
    if q.before is not None:
        op = ">" if q.oldest_first else "<"
        page_where = (where + " AND " if where else "WHERE ") + f"seq {op} ?"
        page_params.append(q.before)
    order = "ASC" if q.oldest_first else "DESC"
    limit = max(1, min(q.limit, 10_000))
    rows = [
        _row(r)
        for r in conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM events {page_where} ORDER BY seq {order} LIMIT ? OFFSET ?",
            (*page_params, limit + 1, max(0, q.offset)),
        )
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return JournalPage(rows=rows, total=total, next_before=rows[-1].seq if more and rows else None)

