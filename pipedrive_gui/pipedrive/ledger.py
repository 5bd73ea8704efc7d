"""The ledger: every record this app created in Pipedrive, shared by all its processes.

Why it exists: Pipedrive's search lags behind writes by seconds, so a search miss right after a
create proves nothing. Two ``pipedrive-gui send`` runs seconds apart, the GUI and the receiver, or a
create retried after a lost answer would each search, find nothing and create the same person
again. The ledger is the app's own memory of what it created (per account: entity, id, match field
+ value, when, by which mapping), kept in one SQLite file under the data directory, and consulted
before every create in every process. It also powers "Test records": the records made by *Send
test…* / ``send`` that the user can list and delete again.

How a create goes through it (the engine drives this; see ``engine.py``):

1. ``claim(key)`` in one ``BEGIN IMMEDIATE`` transaction, so two processes cannot both win:
   - ``Claim(status="created", record_id=…)``: the app already made this record: update it instead;
   - ``"creating"``: another run is creating it right now: wait and ask again;
   - ``"unconfirmed"``: an earlier create's fate is unknown (its answer was lost): do not create
     blindly; look for the record first;
   - ``"claimed"``: this caller may create; it must then call exactly one of ``confirm`` (Pipedrive
     answered with the new id), ``release`` (Pipedrive confirmed nothing was written) or
     ``leave_unconfirmed`` (nobody knows).
2. A claim left in ``creating`` by a process that died is treated as ``unconfirmed``: at once when
   its process is known to be gone (the claim names its process id; POSIX only), else once it is
   older than ``STALE_CLAIM_S``.
3. ``take_over`` replaces exactly the blocking row the caller was shown (``Claim.rowid``), in one
   transaction; when another run got there first, it answers like ``claim`` does.

Records without a match value (activities, notes, leads, or a match by Pipedrive id) are only
recorded (``record``), for the test-records list; they have nothing to dedupe on.

The file is small and every transaction is short (a few rows), so calls are synchronous; the
engine runs them in a worker thread. Each call opens its own connection, which makes the ledger
safe to use from any thread and any process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

from pipedrive_gui.core.errors import UserError
from pipedrive_gui.pipedrive.lookup_cache import cache_key

FILE_NAME = "ledger.sqlite3"
#: A claim still "creating" after this long belongs to a run that died mid-create: its fate is
#: unknown, so it is treated as unconfirmed (never as "free to create").
STALE_CLAIM_S = 120.0

# Row states.
CREATING = "creating"
CREATED = "created"
UNCONFIRMED = "unconfirmed"
GONE = "gone"  # deleted (by "Delete test records" or found missing): no longer blocks a create

# Where a record came from.
SOURCE_SEND_TEST = "send_test"  # GUI "Send test…"
SOURCE_CLI_SEND = "cli_send"  # pipedrive-gui send
SOURCE_RECEIVER = "receiver"  # the receiver in live mode

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    rowid INTEGER PRIMARY KEY,
    account TEXT NOT NULL,          -- the Pipedrive host the record lives in (acme.pipedrive.com)
    entity TEXT NOT NULL,           -- person / organization / deal / activity / lead / note
    match_field TEXT,               -- NULL for records that have no match value
    match_key TEXT,                 -- the match value as the lookup compares it (lookup_cache.cache_key)
    match_value TEXT,               -- the match value as sent
    state TEXT NOT NULL,
    record_id TEXT,
    name TEXT,
    mapping TEXT,
    source TEXT NOT NULL,
    test INTEGER NOT NULL DEFAULT 0, -- listed under "Test records"
    claim_token TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    note TEXT
);
-- One live row per match key: the constraint that makes a second create impossible to claim.
CREATE UNIQUE INDEX IF NOT EXISTS records_match ON records(account, entity, match_field, match_key)
    WHERE match_key IS NOT NULL AND state != 'gone';
CREATE INDEX IF NOT EXISTS records_test ON records(test, created_at);
"""


def _owner_gone(token: str | None) -> bool:
    """Whether the process that holds a claim (its id ends the token) has ended. POSIX only; on
    other systems (and for tokens without a process id) the age rule alone decides."""
    if os.name != "posix" or not token or "-" not in token:
        return False
    try:
        pid = int(token.rsplit("-", 1)[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. EPERM: it exists, under another user
        return False
    return False


class LedgerError(UserError):
    """The ledger file cannot be opened or written; ``user_message`` says what to do."""


@dataclass(frozen=True)
class MatchKey:
    account: str
    entity: str
    match_field: str
    match_value: str

    @property
    def normalized(self) -> str:
        return cache_key(self.entity, self.match_field, self.match_value)[2]


@dataclass(frozen=True)
class Claim:
    status: str  # "claimed" | CREATED | CREATING | UNCONFIRMED
    key: MatchKey
    token: str | None = None  # set when status == "claimed"
    record_id: str | None = None
    name: str | None = None
    since: float | None = None  # when the blocking row was written (CREATING / UNCONFIRMED)
    #: The row this answer is about (the blocking row, or the caller's new claim).
    rowid: int | None = None
    #: When that row was first claimed: a create it stands for was sent after this moment.
    created_at: float | None = None


@dataclass(frozen=True)
class LedgerEntry:
    rowid: int
    account: str
    entity: str
    record_id: str | None
    name: str | None
    state: str
    mapping: str | None
    source: str
    test: bool
    match_field: str | None
    match_value: str | None
    created_at: float
    updated_at: float
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ENTRY_COLUMNS = (
    "rowid, account, entity, record_id, name, state, mapping, source, test, match_field, "
    "match_value, created_at, updated_at, note"
)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> LedgerEntry:
    r = tuple(row)
    return LedgerEntry(
        int(r[0]),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        bool(r[8]),
        r[9],
        r[10],
        float(r[11]),
        float(r[12]),
        r[13],
    )


class UnopenedLedger:
    """Stands in for the ledger when its file cannot be opened: every call fails with the reason.

    A process without the ledger could create a record another process (or an earlier run) is
    creating or has just created and Pipedrive's search does not show yet. So nothing is created
    without it: the engine's claim before a create fails with this message (a failure worth trying
    again once the folder is fixed), while previews, checks and updates go on. The desktop app uses
    it; the command line refuses to start instead."""

    def __init__(self, error: LedgerError) -> None:
        self.why = error.user_message

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise LedgerError(f"{self.why} Nothing was created in Pipedrive without it.")

    claim = take_over = adopt = confirm = release = leave_unconfirmed = _refuse
    find = mark_gone = record = entries = _refuse


class Ledger:
    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(
                f"The list of records this app created ({self.path}) cannot be opened: {exc}. "
                "Check that the data folder is writable (or choose another with --data-dir)."
            ) from exc

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Ledger:
        return cls(Path(data_dir) / FILE_NAME)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken before anything is read."""
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerError(
                f"The list of records this app created ({self.path}) could not be updated: {exc}. "
                "Nothing was sent to Pipedrive for this record; try again."
            ) from exc

    # -- creates with a match value -------------------------------------------------------------

    def claim(self, key: MatchKey, *, mapping: str | None, source: str, test: bool = False) -> Claim:
        """Ask to create the record for ``key``; see the module docstring for the answers."""
        with self._write() as conn:
            return self._claim(conn, key, mapping=mapping, source=source, test=test)

    def _claim(
        self, conn: sqlite3.Connection, key: MatchKey, *, mapping: str | None, source: str, test: bool
    ) -> Claim:
        now = self._clock()
        row = conn.execute(
            "SELECT rowid, state, record_id, name, updated_at, created_at, claim_token FROM records WHERE "
            "account = ? AND entity = ? AND match_field = ? AND match_key = ? AND state != 'gone'",
            (key.account, key.entity, key.match_field, key.normalized),
        ).fetchone()
        if row is not None:
            rowid, state, record_id, name, updated_at, created_at, token = row
            if state == CREATING and (now - float(updated_at) > STALE_CLAIM_S or _owner_gone(token)):
                state = UNCONFIRMED
            return Claim(
                state,
                key,
                record_id=record_id,
                name=name,
                since=float(updated_at),
                rowid=int(rowid),
                created_at=float(created_at),
            )
        token = secrets.token_hex(8) + f"-{os.getpid()}"
        cur = conn.execute(
            "INSERT INTO records (account, entity, match_field, match_key, match_value, state, mapping, "
            "source, test, claim_token, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                key.account,
                key.entity,
                key.match_field,
                key.normalized,
                key.match_value,
                CREATING,
                mapping,
                source,
                int(test),
                token,
                now,
                now,
            ),
        )
        return Claim("claimed", key, token=token, rowid=cur.lastrowid, created_at=now)

    def take_over(self, claim: Claim, *, mapping: str | None, source: str, test: bool = False) -> Claim:
        """Replace an unconfirmed (or dead creating) row by a fresh claim of this caller's: only
        after a read that does not depend on search lag showed the record is not there.

        Only the row ``claim`` describes is replaced, and only while it still blocks for the same
        reason; if another run took it over (or confirmed it) meanwhile, the answer is what
        ``claim`` says now (e.g. ``creating``), never a second claim."""
        key = claim.key
        with self._write() as conn:
            current = self._claim(conn, key, mapping=mapping, source=source, test=test)
            if current.status != UNCONFIRMED or (claim.rowid is not None and current.rowid != claim.rowid):
                return current
            conn.execute(
                "UPDATE records SET state = 'gone', updated_at = ?, note = 'not found in Pipedrive' "
                "WHERE rowid = ?",
                (self._clock(), current.rowid),
            )
            return self._claim(conn, key, mapping=mapping, source=source, test=test)

    def confirm(self, claim: Claim, record_id: Any, name: str | None) -> None:
        """Pipedrive answered the create with the new record's id."""
        with self._write() as conn:
            conn.execute(
                "UPDATE records SET state = ?, record_id = ?, name = ?, updated_at = ?, note = NULL "
                "WHERE claim_token = ?",
                (CREATED, str(record_id), name, self._clock(), claim.token),
            )

    def adopt(self, key: MatchKey, record_id: Any, name: str | None) -> None:
        """An unconfirmed create turned out to have happened (the record was found): remember it."""
        with self._write() as conn:
            conn.execute(
                "UPDATE records SET state = ?, record_id = ?, name = ?, updated_at = ?, note = NULL "
                "WHERE account = ? AND entity = ? AND match_field = ? AND match_key = ? AND state IN (?, ?)",
                (
                    CREATED,
                    str(record_id),
                    name,
                    self._clock(),
                    key.account,
                    key.entity,
                    key.match_field,
                    key.normalized,
                    UNCONFIRMED,
                    CREATING,
                ),
            )

    def release(self, claim: Claim) -> None:
        """Pipedrive confirmed the create did not happen: free the key."""
        with self._write() as conn:
            conn.execute("DELETE FROM records WHERE claim_token = ? AND state = ?", (claim.token, CREATING))

    def leave_unconfirmed(self, claim: Claim, note: str) -> None:
        """Nobody knows whether the create happened: block blind re-creates until someone checks."""
        with self._write() as conn:
            conn.execute(
                "UPDATE records SET state = ?, updated_at = ?, note = ? WHERE claim_token = ?",
                (UNCONFIRMED, self._clock(), note, claim.token),
            )

    # -- records without a match value ----------------------------------------------------------

    def record(
        self,
        account: str,
        entity: str,
        record_id: Any,
        name: str | None,
        *,
        mapping: str | None,
        source: str,
        test: bool = False,
    ) -> None:
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO records (account, entity, state, record_id, name, mapping, source, test, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (account, entity, CREATED, str(record_id), name, mapping, source, int(test), now, now),
            )

    # -- records that are gone ------------------------------------------------------------------

    def mark_gone(self, account: str, entity: str, record_id: Any, note: str) -> int:
        """The record no longer exists in Pipedrive (deleted here, or a 404): it blocks no create."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE records SET state = 'gone', updated_at = ?, note = ? WHERE account = ? "
                "AND entity = ? AND record_id = ? AND state != 'gone'",
                (self._clock(), note, account, entity, str(record_id)),
            )
            return cur.rowcount

    # -- reading --------------------------------------------------------------------------------

    def find(self, key: MatchKey) -> LedgerEntry | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM records WHERE account = ? AND entity = ? AND match_field = ? "
                "AND match_key = ? AND state != 'gone'",
                (key.account, key.entity, key.match_field, key.normalized),
            ).fetchone()
        return _entry(row) if row is not None else None

    def entries(
        self, *, account: str | None = None, test_only: bool = False, include_gone: bool = False
    ) -> list[LedgerEntry]:
        """Newest first."""
        where, args = [], []
        if account is not None:
            where.append("account = ?")
            args.append(account)
        if test_only:
            where.append("test = 1")
        if not include_gone:
            where.append("state != 'gone'")
        sql = f"SELECT {_ENTRY_COLUMNS} FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC"
        with self._connect() as conn:
            return [_entry(r) for r in conn.execute(sql, args).fetchall()]
