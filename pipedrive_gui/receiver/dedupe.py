"""Which messageIds the journal has accepted lately: the receiver's dedupe window, kept by SQLite.

Segment drops an event whose messageId it accepted within about the last 24 hours (client
libraries retry by resending whole batches with the same ids). The journal does the same, and
keeps the memory of accepted ids *in the journal file*, in a table of its own::

    seen(message_id TEXT PRIMARY KEY, received_ts REAL) WITHOUT ROWID

An event is stored only if its messageId can be added to ``seen``, in the same transaction as the
event row itself. So the rule holds for every process that writes the journal, at any time (a
receiver, another one started after a crash: events are only ever stored by
``journal.store_events``), and no reader can disturb it. Nothing is remembered in
memory; a transaction that rolls back takes its ``seen`` rows with it.

The window: a messageId is remembered for :data:`WINDOW_SECONDS` (24 hours) after it was first
accepted, independently of how long the journal keeps the events themselves (a retention that
prunes finished events within the hour does not shorten it). Entries are forgotten by :func:`forget_expired`, which the receiver runs as it
prunes, so an id may be remembered a little longer than 24 hours, never shorter. A resend that
comes later than that is a new event, as at Segment.

What it costs: ids are random (UUIDs), so each new id lands on a random page of ``seen``'s
B-tree, and each commit writes those pages (about one 4 KB page per event). At Pipedrive's pace (a
few events per second) that is nothing; at full speed it is most of the journal's work, and the
receiver still takes over 20,000 events/s (``benchmarks/bench_receiver.py``). An in-memory window
would be cheaper and was tried: every process that wrote the file needed the same memory, and the
ones that did not have it journaled client retries twice (issue 11).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

#: How long an accepted messageId is remembered: Segment's own dedupe look-back.
WINDOW_SECONDS = 24 * 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    message_id TEXT PRIMARY KEY,
    received_ts REAL NOT NULL  -- when it was first accepted (seconds since the epoch)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_age ON seen(received_ts);  -- ever-increasing: cheap to keep
"""

# An *index* is a JSON array of ``[offset, length, messageId, type]`` entries, one per event of a
# request, the form the intake hands over (``intake.AcceptedBatch.idx``). SQLite reads the ids out
# of it itself, so the journal makes a few calls per request, not one per event.
_REMEMBER_NEW = (
    "INSERT INTO seen (message_id, received_ts) SELECT json_extract(j.value, '$[2]'), ? FROM json_each(?) AS j"
    " WHERE true ON CONFLICT DO NOTHING"  # (WHERE true: SQLite's rule for an upsert after a SELECT)
)
_ALREADY_SEEN = (
    "SELECT j.key FROM json_each(?) AS j CROSS JOIN seen ON seen.message_id = json_extract(j.value, '$[2]')"
)
_REMEMBER = "INSERT INTO seen (message_id, received_ts) SELECT json_extract(j.value, '$[2]'), ? FROM json_each(?) AS j"
_REMEMBER_SKIPPING = _REMEMBER + " WHERE j.key NOT IN (SELECT value FROM json_each(?))"


def admit(
    conn: sqlite3.Connection, index: str, count: int, received_ts: float, ids: Callable[[], Sequence[str]]
) -> list[int]:
    """Add the ``count`` messageIds of ``index`` to the window (inside the caller's transaction);
    returns the positions of those that were not added: the duplicates, not to be stored.

    Usually every id is new: one statement adds them all. When SQLite leaves any out (a retry, a
    repeat inside the request), that statement is undone and the duplicates are looked up first.
    ``ids()`` gives the request's messageIds in order (only needed then).
    """
    conn.execute("SAVEPOINT admit")
    try:
        if conn.execute(_REMEMBER_NEW, (received_ts, index)).rowcount == count:
            return []
        conn.execute("ROLLBACK TO admit")
        skip = duplicates(conn, index, ids())
        if len(skip) < count:
            remember(conn, index, skip, received_ts)
        return skip
    finally:
        conn.execute("RELEASE admit")


def duplicates(conn: sqlite3.Connection, index: str, ids: Sequence[str]) -> list[int]:
    """Positions of the events in ``index`` not to store: their messageId is in the window, or
    appears earlier in the same request. ``ids`` are the messageIds of ``index``, in order."""
    found = {row[0] for row in conn.execute(_ALREADY_SEEN, (index,))}
    if len(set(ids)) < len(ids):  # a repeat inside one request: keep its first occurrence
        first: set[str] = set()
        for position, message_id in enumerate(ids):
            if message_id in first:
                found.add(position)
            first.add(message_id)
    return sorted(found)


def remember(conn: sqlite3.Connection, index: str, skip: Sequence[int], received_ts: float) -> None:
    """Add the messageIds of ``index`` but those at ``skip`` to the window.

    A plain INSERT on purpose: an id that is there already (a bug) fails the whole write instead
    of storing an event twice.
    """
    if skip:
        conn.execute(_REMEMBER_SKIPPING, (received_ts, index, json.dumps(list(skip))))
    else:
        conn.execute(_REMEMBER, (received_ts, index))


def forget_expired(conn: sqlite3.Connection, now: float, limit: int = 50_000) -> int:
    """Forget up to ``limit`` messageIds accepted more than :data:`WINDOW_SECONDS` before ``now``
    (oldest first, by the ``seen_age`` index); returns how many."""
    cur = conn.execute(
        "DELETE FROM seen WHERE message_id IN"
        " (SELECT message_id FROM seen WHERE received_ts < ? ORDER BY received_ts LIMIT ?)",
        (now - WINDOW_SECONDS, limit),
    )
    return max(0, cur.rowcount)


def remember_existing(conn: sqlite3.Connection, now: float) -> None:
    """Fill the window from the events a journal of an earlier version accepted in the last 24
    hours (those versions kept it in memory): they stay duplicates after the upgrade."""
    conn.execute(
        "INSERT OR IGNORE INTO seen (message_id, received_ts)"
        " SELECT message_id, min(received_ts) FROM events WHERE received_ts >= ? GROUP BY message_id",
        (now - WINDOW_SECONDS,),
    )
