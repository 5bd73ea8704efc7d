"""The durable journal of received events: one SQLite file, one row per event, written before the 200.

How an event is stored: the HTTP handler hands the request's accepted events to :meth:`Journal.append`
and answers only after the transaction holding them has committed (``synchronous=FULL``: on disk,
surviving ``kill -9`` and power loss). In that transaction each event whose messageId is new gets
a row in ``events`` and its messageId a row in ``seen`` (see ``dedupe.py``: dedupe is SQLite's
primary key on ``seen``, kept for 24 hours, so it holds for every process that writes the file, and
nothing about it lives in memory). There is no staging area and no later step: what a reader sees
is what the receiver answered 200 for.

Who writes: any number of processes may open the journal (SQLite locks the file for each
transaction). Writes of one :class:`Journal` go to one thread through a queue; it takes everything
queued, runs it as one transaction (a savepoint per job, so one bad request cannot spoil the
others) and commits once: under load many HTTP requests share one fsync, and the event loop never
blocks. Who dispatches: only the process holding the journal's lock (``lock.py``), so an event is
dispatched by one process at a time; a ``replay`` beside a running receiver only marks events and
leaves the dispatching to it.

Who reads: readers (``journal``, ``journal-export``, the GUI's table and counts) use a separate
connection opened read-only (``mode=ro``), and ``Journal(path, read_only=True)`` has no writer at
all: a reading command structurally cannot change the journal or prune it.

Retention belongs to the journal: it is stored in the file (``meta``), set by the receiver
(``receive --keep-days ...``, the GUI) and applied only by the receiver as events arrive. Opening
a journal with ``retention=None`` (every reader, ``replay``) keeps what is stored.

Speed: the receiver journals over 20,000 events/s on two cores, fsync on every commit
(``benchmarks/bench_receiver.py`` holds that floor). That is far beyond what matters: Pipedrive's
rate limit lets the dispatcher write a few events per second, so the journal is never the
bottleneck of a live receiver; simplicity and exactly-once come first here.

Journals written by earlier versions are upgraded by the first writer that opens them (see
:func:`_upgrade`): requests they had acknowledged but not yet split into events rows (their
``inbox`` table) become events rows, through the same dedupe, and the old table is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipedrive_gui.receiver import dedupe
from pipedrive_gui.receiver.errors import JournalError, journal_problem
from pipedrive_gui.receiver.intake import (
    FLAG_REASONS,
    AcceptedBatch,
    AcceptedEvent,
    column_text,
    decode_json,
    json_text,
)
from pipedrive_gui.receiver.outcomes import OPEN_OUTCOMES, OUTCOMES, Outcome

T = TypeVar("T")
log = logging.getLogger(__name__)

#: The journal's format; :func:`_upgrade` brings older files to it.
VERSION = 2

_EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,  -- no AUTOINCREMENT: its bookkeeping costs intake throughput
    message_id TEXT NOT NULL,  -- not UNIQUE: duplicates are refused by ``seen`` (dedupe.py) for 24 hours
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
SCHEMA = (
    _EVENTS_TABLE
    + _EVENTS_INDEX
    + dedupe.SCHEMA
    + """
-- Live writes started and not yet recorded: (event, mapping) pairs the dispatcher was sending to
-- Pipedrive. A row left here means the process stopped mid-write; record() deletes them.
CREATE TABLE IF NOT EXISTS inflight (
    seq INTEGER NOT NULL,
    mapping_id TEXT NOT NULL,
    started REAL NOT NULL,
    PRIMARY KEY (seq, mapping_id)
);
-- Settings that belong to the journal: 'version', 'retention' (JSON).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
)

# Events of a request as the intake hands them over (``AcceptedBatch``: the events' JSON back to back
# and an index of [offset (1-based), length, messageId, type]): SQLite cuts each event out by offset,
# one statement for the whole request. The values are bound as parameters (as columns, the blob
# would be loaded again for every event cut out of it).
_INSERT_CUT = (
    "INSERT INTO events (message_id, type, received_ts, outcome, body)"
    " SELECT json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), :ts, :outcome,"
    " CAST(substr(:bodies, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')) AS TEXT)"
    " FROM json_each(:idx) AS j"
)
# The same, leaving out the events at the positions in :skip (duplicates by messageId).
_INSERT_CUT_SKIPPING = _INSERT_CUT + " WHERE j.key NOT IN (SELECT value FROM json_each(:skip))"
# Events one by one (requests with events Segment would drop, and callers passing a list).
_INSERT = "INSERT INTO events (message_id, type, received_ts, flag, outcome, summary, body) VALUES (?, ?, ?, ?, ?, ?, ?)"

_ROW_COLUMNS = (
    "seq, message_id, type, json_extract(body, CASE type WHEN 'track' THEN '$.event' ELSE '$.name' END),"
    " json_extract(body, '$.userId'), json_extract(body, '$.anonymousId'), json_extract(body, '$.receivedAt'),"
    " flag, outcome, attempts, dispatches, summary, next_attempt"
)
_ROW_WIDTH = 13


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
    """How much history the journal keeps (None: no limit). Unfinished events are never pruned."""

    max_age_days: float | None = 30.0
    max_rows: int | None = 200_000
    max_bytes: int | None = 1024 * 1024 * 1024

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> Retention:
        """The stored setting; the defaults when there is none (or it is unreadable)."""
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = None
        if not isinstance(value, dict):
            return cls()
        default = cls()
        return cls(
            max_age_days=_number(value.get("max_age_days", default.max_age_days), float),
            max_rows=_number(value.get("max_rows", default.max_rows), int),
            max_bytes=_number(value.get("max_bytes", default.max_bytes), int),
        )

    def describe(self) -> str:
        """E.g. "keeps finished events for 30 days, at most 200,000 events, at most 1,024 MB"."""
        parts = [
            f"for {self.max_age_days:g} days" if self.max_age_days is not None else "with no age limit",
            f"at most {self.max_rows:,} events" if self.max_rows is not None else "any number of events",
            f"at most {self.max_bytes // (1024 * 1024):,} MB"
            if self.max_bytes is not None
            else "no size limit",
        ]
        return "keeps finished events " + ", ".join(parts)


def _number(value: Any, kind: type) -> Any:
    return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


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


# -- storing events ----------------------------------------------------------------------------------


def store_events(
    conn: sqlite3.Connection, events: AcceptedBatch | Sequence[AcceptedEvent], received_ts: float
) -> AppendResult:
    """Insert a request's events, leaving out duplicates by messageId (inside the caller's
    transaction). A few statements per request whatever its size: SQLite walks the events itself."""
    if isinstance(events, AcceptedBatch):
        index = events.idx.decode("utf-8")
        count = events.size

        def ids() -> list[str]:
            return [entry[2] for entry in decode_json(index)]

    else:
        index = json.dumps([[0, 0, e.message_id, e.type] for e in events])
        count = len(events)

        def ids() -> list[str]:
            return [e.message_id for e in events]

    if not count:
        return AppendResult(0, 0)
    skip = dedupe.admit(conn, index, count, received_ts, ids)
    if len(skip) == count:
        return AppendResult(0, count)
    if isinstance(events, AcceptedBatch):
        params: dict[str, Any] = {
            "ts": received_ts,
            "outcome": Outcome.PENDING,
            "idx": index,
            "bodies": events.bodies,
        }
        if skip:
            conn.execute(_INSERT_CUT_SKIPPING, {**params, "skip": json.dumps(skip)})
        else:
            conn.execute(_INSERT_CUT, params)
    else:
        left_out = set(skip)
        conn.executemany(
            _INSERT,
            [
                (e.message_id, e.type, received_ts, None, Outcome.PENDING, None, _text(e.body))
                if e.flag is None
                else (
                    e.message_id,
                    e.type,
                    received_ts,
                    e.flag,
                    Outcome.DROPPED,
                    FLAG_REASONS.get(e.flag, e.flag),
                    _text(e.body),
                )
                for i, e in enumerate(events)
                if i not in left_out
            ],
        )
    return AppendResult(count - len(skip), len(skip))


# -- opening: connections and upgrades ---------------------------------------------------------------

# SQLite's JSON functions turn an escaped lone surrogate ("\ud83c", stored faithfully) into bytes
# that are not UTF-8: such a name or user id is shown with U+FFFD instead of failing the page.
_TEXT = functools.partial(str, encoding="utf-8", errors="replace")


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A writing connection. It never checkpoints on its own (a checkpoint inside a commit would
    hold up every request waiting for it); the writer thread checkpoints when it is idle."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.text_factory = _TEXT
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")  # the WAL shrinks back after a burst
    conn.execute("PRAGMA wal_autocheckpoint=0")
    # The dedupe table's pages are touched at random (random messageIds): a page cache that holds
    # more of them saves a read per event under load. A bound, not a growth: 16 MB at most.
    conn.execute("PRAGMA cache_size=-16384")
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write: SQLite refuses every change (``mode=ro``)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.text_factory = _TEXT
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _stored_retention(conn: sqlite3.Connection) -> Retention:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'retention'").fetchone()
    except sqlite3.OperationalError:  # a journal from before retention was stored (no meta table)
        row = None
    return Retention.from_json(row[0] if row else None)


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a journal of an earlier version to :data:`VERSION` (inside the caller's transaction).

    Version 0 had a UNIQUE index on ``events.message_id``; version 1 kept the dedupe window in the
    receiver's memory and committed each request as one ``inbox`` row, split into events rows later.
    Now: the window is the ``seen`` table (filled from the last 24 hours of events), and inbox rows
    left over (acknowledged, not split when the old receiver stopped) become events rows through
    the same dedupe as any request.
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if row is not None and int(row[0]) >= VERSION:
        return
    _drop_unique_message_id(conn)
    dedupe.remember_existing(conn, time.time())
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").fetchone():
        moved = duplicates = 0
        for received_ts, count, idx, bodies in conn.execute(
            "SELECT received_ts, count, idx, bodies FROM inbox ORDER BY id"
        ).fetchall():
            result = store_events(conn, AcceptedBatch(count, idx.encode("utf-8"), bodies), received_ts)
            moved += result.accepted
            duplicates += result.duplicates
        conn.execute("DROP TABLE inbox")
        if moved or duplicates:
            log.info(
                "receiver journal: %d acknowledged events moved from the old inbox (%d duplicates)",
                moved,
                duplicates,
            )
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (str(VERSION),))


def _drop_unique_message_id(conn: sqlite3.Connection) -> None:
    """Version 0 journals have a UNIQUE index on ``message_id``; a messageId may come back after the
    dedupe window, so rebuild such a table without it, keeping every row."""
    constraint = "SELECT count(*) FROM pragma_index_list('events') WHERE origin = 'u'"  # from a UNIQUE clause
    if not conn.execute(constraint).fetchone()[0]:
        return
    conn.execute(_EVENTS_TABLE.replace("IF NOT EXISTS events", "events_rebuilt"))
    conn.execute(f"INSERT INTO events_rebuilt ({_EVENTS_COLUMNS}) SELECT {_EVENTS_COLUMNS} FROM events")
    conn.execute("DROP TABLE events")
    conn.execute("ALTER TABLE events_rebuilt RENAME TO events")
    conn.execute(_EVENTS_INDEX)


# -- the writer thread -------------------------------------------------------------------------------


@dataclass
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any] | None
    loop: asyncio.AbstractEventLoop | None
    done: threading.Event | None = None
    result: Any = None
    error: BaseException | None = None


class _Writer(threading.Thread):
    """The journal's only writing thread: takes everything queued and commits it as one transaction."""

    MAX_GROUP = 256  # jobs per commit
    #: Checkpoint (copy the WAL into the database file) once no job came for this long...
    IDLE_CHECKPOINT = 0.5
    #: ... or, under sustained load, after this many rows were written (~ pages of WAL).
    CHECKPOINT_ROWS = 40_000

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(name="receiver-journal-writer", daemon=True)
        self._conn = conn
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.commits = 0
        self._unchecked = 0  # rows written since the last checkpoint

    def run(self) -> None:
        try:
            while True:
                try:
                    first = self.jobs.get(timeout=self.IDLE_CHECKPOINT if self._unchecked else None)
                except queue.Empty:
                    self._checkpoint()
                    continue
                if first is None:
                    break
                group = [first]
                stop = False
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
                if self._unchecked >= self.CHECKPOINT_ROWS:
                    self._checkpoint()
                if stop:
                    break
        finally:
            self._conn.close()  # the last connection to close checkpoints and removes the WAL

    def _checkpoint(self) -> None:
        self._unchecked = 0
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one tries again; the WAL only grows meanwhile
            log.warning("receiver journal: checkpoint failed (%s)", exc)

    def _run_group(self, group: list[_Job]) -> None:
        conn = self._conn
        before = conn.total_changes
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                conn.execute("SAVEPOINT job")
                try:
                    job.result = job.fn(conn)
                except sqlite3.OperationalError as exc:
                    # The file could not take this job (disk full, read-only...): the caller gets the
                    # cause in the user's words, as for a failed commit (the server answers 503).
                    job.error = JournalError(journal_problem(exc, "write"))
                    job.error.__cause__ = exc
                    conn.execute("ROLLBACK TO job")
                except BaseException as exc:  # noqa: BLE001 - reported to the job's caller
                    job.error = exc
                    conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            err = JournalError(journal_problem(exc, "write"))
            for job in group:
                job.error = err
        self._unchecked += conn.total_changes - before
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


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        fut = job.future
        if fut is None or fut.done():
            continue
        if job.error is not None:
            fut.set_exception(job.error)
        else:
            fut.set_result(job.result)


# -- the journal -------------------------------------------------------------------------------------


class Journal:
    """The receiver's event store. ``await open()`` before use, ``await close()`` after.

    ``read_only=True`` for commands that only look (no writer thread; SQLite refuses changes).
    ``retention``: store this as the journal's retention when opening (the receiver's settings);
    None keeps what the journal has (the defaults for a new one).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        retention: Retention | None = None,
        synchronous: str = "FULL",
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._set_retention = retention
        self._retention = retention or Retention()
        self._synchronous = synchronous
        self._writer: _Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        # Opening and closing take turns, and a close makes every open asked for before it moot
        # (``_closes`` counts them): a close never runs beside an open that is still under way in
        # its thread, and an open cancelled before its thread began never opens afterwards - either
        # would leave a writer thread and its connection behind, open until the process ends.
        self._lifecycle = threading.Lock()
        self._closes = 0
        self._since_prune = 0
        self._last_prune = 0.0
        #: Events left out since open because their messageId was accepted before (see dedupe.py).
        self.duplicates = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def open_sync(self) -> None:
        with self._lifecycle:
            self._open()

    def _open_unless_closed_since(self, closes: int) -> None:
        with self._lifecycle:
            if self._closes == closes:
                self._open()

    def _open(self) -> None:
        self.duplicates = 0
        if self.read_only:
            self._open_read_only()
            return
        conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(self.path, self._synchronous)
            fresh = (
                conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'").fetchone()[0] == 0
            )
            if fresh:
                # Only takes effect before the first table exists; lets pruning give pages back.
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            _upgrade(conn)
            if self._set_retention is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('retention', ?)",
                    (self._set_retention.to_json(),),
                )
            self._retention = _stored_retention(conn)
            conn.execute("COMMIT")
            self._reader = _connect_read_only(self.path)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise JournalError(journal_problem(exc, "open", self.path)) from exc
        self._writer = _Writer(conn)
        self._writer.start()

    def _open_read_only(self) -> None:
        if not self.path.exists():
            raise JournalError(f"There is no receiver journal at {self.path} yet.")
        try:
            reader = _connect_read_only(self.path)
            self._retention = _stored_retention(reader)
        except sqlite3.Error as exc:
            raise JournalError(f"Could not read the receiver journal {self.path}: {exc}.") from exc
        self._reader = reader

    def open(self) -> Coroutine[Any, Any, None]:
        """Open in a thread: ``await journal.open()``. A :meth:`close` asked for after this call, before
        that thread is done, wins: the journal ends closed (also when the awaiting task was cancelled
        and the thread went on opening, or the task had not started yet)."""
        # Not ``async def``: the closes are counted when open() is called, not when a task first runs it.
        return asyncio.to_thread(self._open_unless_closed_since, self._closes)

    def close_sync(self) -> None:
        """Close the connections and end the writer thread (waits for an open under way)."""
        self._closes += 1  # before waiting for an open under way, which may not have looked yet
        self._close()

    def _close(self) -> None:
        with self._lifecycle:
            if self._reader is not None:
                with self._read_lock:
                    self._reader.close()
                self._reader = None
            if self._writer is not None:  # last: the last connection to close checkpoints, removes the WAL
                self._writer.jobs.put(None)
                self._writer.join()
                self._writer = None

    async def close(self) -> None:
        self._closes += 1  # now: an open asked for before this close must not open after it
        await asyncio.to_thread(self._close)

    async def __aenter__(self) -> Journal:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def commits(self) -> int:
        return self._writer.commits if self._writer else 0

    @property
    def retention(self) -> Retention:
        """The journal's retention, as stored in it (read at open and before each prune)."""
        return self._retention

    async def set_retention(self, retention: Retention) -> None:
        """Store a new retention in the journal; the receiver applies it from its next prune."""

        def store(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('retention', ?)", (retention.to_json(),)
            )

        await self.write(store)
        self._retention = retention

    # -- plumbing ----------------------------------------------------------------------------------

    def _require_writer(self) -> _Writer:
        if self._writer is None:
            if self.read_only and self._reader is not None:
                raise JournalError("This receiver journal was opened for reading only; it cannot be changed.")
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

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on the read-only connection (SQL that writes fails)."""
        with self._read_lock:
            if self._reader is None:
                raise JournalError("The receiver journal is not open.")
            try:
                return fn(self._reader)
            except sqlite3.Error as exc:
                raise JournalError(f"Could not read the receiver journal: {exc}.") from exc

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, fn)

    # -- intake ------------------------------------------------------------------------------------

    async def append(self, events: AcceptedBatch | Sequence[AcceptedEvent]) -> AppendResult:
        """Store accepted events (a request's :class:`AcceptedBatch` or a list); returns once committed.

        Events whose messageId the journal accepted within the dedupe window are left out and
        counted as ``duplicates`` (see dedupe.py).
        """
        if not (events.size if isinstance(events, AcceptedBatch) else events):
            return AppendResult(0, 0)
        result = await self.write(functools.partial(self._store, events, time.time()))
        self.duplicates += result.duplicates
        return result

    def _store(
        self, events: AcceptedBatch | Sequence[AcceptedEvent], received_ts: float, conn: sqlite3.Connection
    ) -> AppendResult:
        result = store_events(conn, events, received_ts)
        self._maybe_prune(conn, result.accepted)
        return result

    # -- dispatcher --------------------------------------------------------------------------------

    async def due(self, limit: int = 100, now: float | None = None, after: int = 0) -> list[DueEvent]:
        """Open events whose (next) attempt is due, oldest first."""
        moment = time.time() if now is None else now

        def fetch(conn: sqlite3.Connection) -> list[DueEvent]:
            # Two walks of the (outcome, seq) index, merged: a backlog of pending events never sorts.
            cols = "SELECT seq, message_id, body, result, attempts, force FROM events"
            rows = conn.execute(
                f"{cols} WHERE outcome = ? AND seq > ? ORDER BY seq LIMIT ?", (Outcome.PENDING, after, limit)
            ).fetchall()
            rows += conn.execute(
                f"{cols} WHERE outcome = ? AND seq > ? AND next_attempt <= ? ORDER BY seq LIMIT ?",
                (Outcome.RETRYING, after, moment, limit),
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
                    seq,
                    mid,
                    json.loads(body),
                    _deliveries(result),
                    attempts,
                    bool(force),
                    tuple(in_flight.get(seq, ())),
                )
                for seq, mid, body, result, attempts, force in rows
            ]

        return await self.read(fetch)

    async def next_retry_time(self) -> float | None:
        def fetch(conn: sqlite3.Connection) -> float | None:
            if conn.execute("SELECT 1 FROM events WHERE outcome = ? LIMIT 1", (Outcome.PENDING,)).fetchone():
                return 0.0
            row = conn.execute(
                "SELECT min(next_attempt) FROM events WHERE outcome = ?", (Outcome.RETRYING,)
            ).fetchone()
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
                chosen.update(
                    r[0] for r in conn.execute("SELECT seq FROM events WHERE outcome = ?", (Outcome.FAILED,))
                )
            # Events Segment would drop stay dropped: replaying them would deliver what Segment never does.
            marked: list[int] = []
            for chunk in _chunks(sorted(chosen), 500):
                q = ",".join("?" * len(chunk))
                cur = conn.execute(
                    f"UPDATE events SET outcome = ?, next_attempt = 0, attempts = 0, force = ?"
                    f" WHERE seq IN ({q}) AND outcome NOT IN (?, ?, ?) RETURNING seq",
                    (Outcome.PENDING, int(force), *chunk, Outcome.DROPPED, *OPEN_OUTCOMES),
                )
                marked.extend(r[0] for r in cur.fetchall())
            return sorted(marked)

        return await self.write(mark)

    # -- queries -----------------------------------------------------------------------------------

    async def query(self, q: JournalQuery) -> JournalPage:
        return await self.read(lambda conn: _query(conn, q))

    def query_sync(self, q: JournalQuery) -> JournalPage:
        return self.read_sync(lambda conn: _query(conn, q))

    async def count(self, q: JournalQuery, upto: int | None = None) -> tuple[int, int | None]:
        """How many events match ``q``'s filters, and the newest matching seq; with ``upto``, only
        among events with ``seq <= upto``. ``q``'s page (cursor, limit, order) does not apply: a
        virtual table counts the rows below its anchor with this (the GUI's event table)."""
        where, params = filter_sql(q)
        if upto is not None:
            where = (where + " AND " if where else "WHERE ") + "seq <= ?"
            params = [*params, upto]
        sql = f"SELECT count(*), max(seq) FROM events {where}"
        total, top = await self.read(lambda conn: conn.execute(sql, params).fetchone())
        return int(total or 0), (int(top) if top is not None else None)

    async def fired_mappings(self, seqs: Sequence[int]) -> dict[int, list[str]]:
        """The names of the mappings that fired for each of these events (none while it waits)."""
        chosen = list(seqs)

        def fetch(conn: sqlite3.Connection) -> dict[int, list[str]]:
            found: dict[int, list[str]] = {}
            for chunk in _chunks(chosen, 500):
                marks = ",".join("?" * len(chunk))
                for seq, result in conn.execute(
                    f"SELECT seq, result FROM events WHERE seq IN ({marks})", chunk
                ):
                    found[int(seq)] = _fired_names(result)
            return found

        return await self.read(fetch) if chosen else {}

    async def detail(self, key: int | str) -> EventDetail | None:
        """One event with its full body and delivery records, by seq or messageId (the latest event
        with that messageId: one may come back after the dedupe window)."""

        def fetch(conn: sqlite3.Connection) -> EventDetail | None:
            column = "seq" if isinstance(key, int) else "message_id"
            row = conn.execute(
                f"SELECT {_ROW_COLUMNS}, body, result, force FROM events WHERE {column} = ? ORDER BY seq DESC LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:
                return None
            return EventDetail(_row(row), json.loads(row[_ROW_WIDTH]), _deliveries(row[14]), bool(row[15]))

        return await self.read(fetch)

    async def counts(self) -> dict[str, int]:
        """How many events have each outcome."""

        def fetch(conn: sqlite3.Connection) -> dict[str, int]:
            found = dict(conn.execute("SELECT outcome, count(*) FROM events GROUP BY outcome").fetchall())
            return {o.value: int(found.get(o, 0)) for o in OUTCOMES}

        return await self.read(fetch)

    async def export_jsonl(self, path: Path | str, q: JournalQuery | None = None) -> int:
        """Write events (all, or those matching ``q``'s filters) as JSON Lines, oldest first."""
        return await asyncio.to_thread(self.export_jsonl_sync, path, q)

    def export_jsonl_sync(self, path: Path | str, q: JournalQuery | None = None) -> int:
        where, params = filter_sql(q or JournalQuery())
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
        """Prune as events arrive: every 5,000 events or 30 seconds (so, only the receiver prunes)."""
        self._since_prune += added
        now = time.monotonic()
        if self._since_prune < 5000 and now - self._last_prune < 30.0:
            return
        self._since_prune = 0
        self._last_prune = now
        self._prune_now(conn)

    def _prune_now(self, conn: sqlite3.Connection) -> int:
        self._retention = _stored_retention(conn)  # the journal's setting, also if changed elsewhere
        dedupe.forget_expired(conn, time.time())
        return _prune(conn, self._retention)

    async def prune(self) -> int:
        """Apply the journal's retention now; returns how many events were removed."""
        return await self.write(self._prune_now)


class JournalWatcher:
    """Notices journal commits by any connection or process: ``PRAGMA data_version`` on a private
    read-only connection, which costs microseconds, so a timer can ask often without a busy loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None

    def changed(self) -> bool:
        try:
            if self._conn is None:
                if not self.path.exists():
                    return False
                self._conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, timeout=0.05
                )
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            self.close()
            return False
        was, self._version = self._version, version
        return was is not None and was != version

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _prune(conn: sqlite3.Connection, retention: Retention) -> int:
    """Delete the oldest finished events beyond the limits. Works from the old end of the rowid
    order so each pass touches only what it deletes (no full-table scans while intake waits)."""
    finished = f"outcome NOT IN ({','.join('?' * len(OPEN_OUTCOMES))})"
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
                f"DELETE FROM events WHERE seq > ? AND seq <= ? AND {finished}",
                (after, row[0], *OPEN_OUTCOMES),
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
                f"DELETE FROM events WHERE seq <= ? AND {finished}",
                (top - retention.max_rows, *OPEN_OUTCOMES),
            ).rowcount
    if retention.max_bytes is not None:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        for _ in range(100):
            used = page_size * (
                conn.execute("PRAGMA page_count").fetchone()[0]
                - conn.execute("PRAGMA freelist_count").fetchone()[0]
            )
            if used <= retention.max_bytes:
                break
            # Estimate how many of the oldest rows hold the excess (seq span ~ row count), a little more.
            lo, hi = conn.execute("SELECT min(seq), max(seq) FROM events").fetchone()
            rows = max(1, (hi or 0) - (lo or 0) + 1)
            excess = int((used - retention.max_bytes) / (used / rows) * 1.05) + 1
            cur = conn.execute(
                f"DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE {finished} ORDER BY seq LIMIT ?)",
                (*OPEN_OUTCOMES, excess),
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


def _fired_names(result: str | None) -> list[str]:
    """Names of the mappings that fired, from a ``result`` column; [] if it is unreadable."""
    if not result:
        return []
    try:
        deliveries = json.loads(result)
    except ValueError:
        return []
    if not isinstance(deliveries, list):
        return []
    return [
        str(d.get("mapping") or d.get("mapping_id") or "?")
        for d in deliveries
        if isinstance(d, dict) and d.get("fired")
    ]


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
        clauses.append(
            "(message_id LIKE ? ESCAPE '\\' OR summary LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"
        )
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
