"""Test records: list the records this app's tests created, and delete chosen ones again.

The ledger (``ledger.py``) remembers every record the app created; the ones made by *Send test…*
or ``pipedrive-gui send`` are marked ``test``. This module is what the GUI's *Test records* view
and ``pipedrive-gui test-records`` share:

- :func:`list_test_records` lists the connected account's test records (and counts the other
  accounts' ones, which are not shown);
- :func:`confirmation_text` says exactly what a delete would remove (and that updates stay);
- :func:`delete_test_records` deletes them in Pipedrive, one call each, and says per record what
  happened: deleted, already gone (both take it off the list), no permission, or failed and why.

Safety: only ledger rows with ``test`` set, in state ``created``, with a known id, of the account
the client is connected to are ever deleted. The ledger is read again right before deleting, so a
list that went stale (another window deleted a record; the engine re-used it) cannot widen what is
deleted. Changes the tests made to records that already existed (updates) are not undone: the
ledger holds no "before" to restore.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipedrive_gui.pipedrive.client import DELETE_ENDPOINTS
from pipedrive_gui.pipedrive.errors import (
    AuthError,
    NotFoundError,
    PipedriveError,
    PlanError,
    RateLimitedError,
)
from pipedrive_gui.pipedrive.ledger import CREATED, CREATING, UNCONFIRMED, Ledger, LedgerEntry

#: Outcomes of one delete.
DELETED = "deleted"
ALREADY_GONE = "already_gone"  # Pipedrive answered 404: someone deleted it already
NO_PERMISSION = "no_permission"  # 403 (or a plan/account refusal)
FAILED = "failed"  # network, timeout, 5xx, rate limit, token...
REFUSED = "refused"  # not a test record of this account (any more): never sent

#: Records that hang off others go first: deleting a deal or person in Pipedrive can take the
#: notes and activities attached to it along, which would then only answer "already gone".
DELETE_ORDER = ("note", "activity", "lead", "deal", "person", "organization")

#: Shown in the view and the confirmation, and printed by the CLI.
UPDATES_NOT_UNDONE = (
    "Changes that tests made to records that already existed (updates) are not undone; "
    "only records this app created are listed and deleted."
)

SOURCE_TEXT = {"send_test": "Send test", "cli_send": "pipedrive-gui send", "receiver": "receiver"}
ENTITY_TEXT = {
    "person": "Person",
    "organization": "Organization",
    "deal": "Deal",
    "activity": "Activity",
    "lead": "Lead",
    "note": "Note",
}

LinkFor = Callable[[str, Any], "str | None"]


def ledger_account(client: Any) -> str:
    """The ledger's name for the account a client talks to: its host (``acme.pipedrive.com``, or
    ``127.0.0.1:8765`` for the sandbox / a test server)."""
    return str(client.host)


def iso_time(stamp: float) -> str:
    """``2026-11-30T17:20:05+00:00`` (ISO 8601, UTC, whole seconds)."""
    return datetime.fromtimestamp(stamp, tz=UTC).isoformat(timespec="seconds")


def local_time(stamp: float) -> str:
    """``30 Nov 2026 18:20`` in the user's time zone."""
    return datetime.fromtimestamp(stamp).strftime("%d %b %Y %H:%M").lstrip("0")


@dataclass(frozen=True)
class TestRecord:
    """One ledger row as the list shows it, with where to see it in Pipedrive."""

    __test__ = False  # not a pytest test class, whatever its name

    entry: LedgerEntry
    link: str | None = None

    @property
    def entity(self) -> str:
        return self.entry.entity

    @property
    def record_id(self) -> str:
        return str(self.entry.record_id or "")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.entry.account, self.entity, self.record_id)

    @property
    def label(self) -> str:
        """``person #12 “Jane Doe”``."""
        name = f" “{self.entry.name}”" if self.entry.name else ""
        return f"{self.entity} #{self.record_id}{name}"

    @property
    def source_text(self) -> str:
        return SOURCE_TEXT.get(self.entry.source, self.entry.source)

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "entity": e.entity,
            "id": self.record_id,
            "name": e.name,
            "link": self.link,
            "created_at": iso_time(e.created_at),
            "mapping": e.mapping,
            "source": e.source,
            "state": e.state,
            "account": e.account,
            "match_field": e.match_field,
            "match_value": e.match_value,
        }


@dataclass(frozen=True)
class TestRecordList:
    __test__ = False

    account: str
    records: list[TestRecord]
    #: Other accounts' test records still in Pipedrive (not shown, never deleted from here).
    other_accounts: dict[str, int] = field(default_factory=dict)
    #: This account's test creates whose answer was lost: no id, so nothing to delete.
    unconfirmed: int = 0

    @property
    def other_count(self) -> int:
        return sum(self.other_accounts.values())

    def notes(self) -> list[str]:
        """What the list does not show, in words."""
        out = []
        real = {a: k for a, k in self.other_accounts.items() if not is_local_account(a)}
        local = sum(k for a, k in self.other_accounts.items() if is_local_account(a))
        n = sum(real.values())
        if n:
            which = ", ".join(f"{a}: {k}" for a, k in sorted(real.items()))
            out.append(
                f"{n} more test record{'s belong' if n != 1 else ' belongs'} to "
                f"{'other accounts' if len(real) != 1 else 'another account'} ({which}) "
                f"and {'are' if n != 1 else 'is'} not shown; connect to "
                f"{'those accounts' if len(real) != 1 else 'it'} to delete "
                f"{'them' if n != 1 else 'it'}."
            )
        if local:
            out.append(
                f"{local} more test record{'s were' if local != 1 else ' was'} made in other sandbox or "
                "test-server sessions on this computer and "
                f"{'are' if local != 1 else 'is'} not shown (a sandbox forgets its records when it stops)."
            )
        if self.unconfirmed:
            out.append(
                f"{self.unconfirmed} test create{'s' if self.unconfirmed != 1 else ''} had no answer from "
                "Pipedrive, so whether the record exists is unknown: check Pipedrive."
            )
        return out


def is_local_account(account: str) -> bool:
    """A sandbox or test server on this computer (``127.0.0.1:8765``), not a Pipedrive company."""
    host = account.rsplit(":", 1)[0] if account.count(":") == 1 else account
    return host.strip("[]") in ("127.0.0.1", "localhost", "::1") or host.startswith("[::1]")


def is_deletable(entry: LedgerEntry, account: str) -> bool:
    """Only a record this app created as a test, in this account, with a known id."""
    return (
        entry.test
        and entry.state == CREATED
        and entry.account == account
        and bool(entry.record_id)
        and entry.entity in DELETE_ENDPOINTS
    )


def list_test_records(
    ledger: Ledger, account: str, link_for: LinkFor | None = None, *, entity: str | None = None
) -> TestRecordList:
    """The account's test records, newest first (``entity``: only that record type)."""
    entries = [e for e in ledger.entries(test_only=True) if entity is None or e.entity == entity]
    mine = [
        TestRecord(e, link_for(e.entity, e.record_id) if link_for else None)
        for e in entries
        if is_deletable(e, account)
    ]
    others = Counter(
        e.account for e in entries if e.account != account and e.state == CREATED and e.record_id
    )
    unconfirmed = sum(1 for e in entries if e.account == account and e.state in (UNCONFIRMED, CREATING))
    return TestRecordList(account, mine, dict(others), unconfirmed)


def list_all_accounts(ledger: Ledger, *, entity: str | None = None) -> list[TestRecord]:
    """Every account's test records still in Pipedrive (for listing only: nothing is connected)."""
    return [
        TestRecord(e)
        for e in ledger.entries(test_only=True)
        if (entity is None or e.entity == entity) and e.state == CREATED and e.record_id
    ]


def confirmation_text(records: Sequence[TestRecord], where: str) -> str:
    """Exactly what a delete would remove, for the question before it."""
    n = len(records)
    lines = [f"Delete {'this record' if n == 1 else f'these {n} records'} in {where}?"]
    for r in _in_delete_order(records):
        mapping = f", mapping “{r.entry.mapping}”" if r.entry.mapping else ""
        lines.append(f"  • {r.label} (created by {r.source_text}{mapping}, {local_time(r.entry.created_at)})")
    lines.append("They are deleted in Pipedrive; this app cannot bring them back.")
    lines.append(UPDATES_NOT_UNDONE)
    return "\n".join(lines)


@dataclass(frozen=True)
class DeleteOutcome:
    record: TestRecord
    status: str  # DELETED | ALREADY_GONE | NO_PERMISSION | FAILED | REFUSED
    reason: str = ""
    #: No further call can succeed either (token rejected, account closed, blocked, daily budget).
    stops: bool = False

    @property
    def removed(self) -> bool:
        """Off the list: deleted now, or found already gone."""
        return self.status in (DELETED, ALREADY_GONE)

    def text(self) -> str:
        what = {
            DELETED: "deleted",
            ALREADY_GONE: "was already gone from Pipedrive (taken off the list)",
            NO_PERMISSION: "not deleted: no permission",
            FAILED: "not deleted",
            REFUSED: "not deleted",
        }[self.status]
        return f"{self.record.label}: {what}" + (f" — {self.reason}" if self.reason else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.record.entity,
            "id": self.record.record_id,
            "name": self.record.entry.name,
            "result": self.status,
            "reason": self.reason or None,
        }


def _in_delete_order(records: Iterable[TestRecord]) -> list[TestRecord]:
    rank = {e: i for i, e in enumerate(DELETE_ORDER)}
    return sorted(records, key=lambda r: rank.get(r.entity, len(rank)))


Progress = Callable[[int, int, TestRecord], None]

_GONE_NOTE = "deleted with Delete test records"
_ALREADY_GONE_NOTE = "already gone from Pipedrive (found by Delete test records)"


async def delete_test_records(
    client: Any, ledger: Ledger, records: Sequence[TestRecord], *, progress: Progress | None = None
) -> list[DeleteOutcome]:
    """Delete ``records`` in Pipedrive (children first), one call each, and take the deleted and
    already-gone ones off the ledger's list. Never raises for one record's failure; a failure
    that stops every further call (token rejected, abuse block, daily budget) marks the rest
    "not tried"."""
    account = ledger_account(client)
    current = await asyncio.to_thread(ledger.entries, account=account, test_only=True)
    live = {(e.account, e.entity, str(e.record_id)) for e in current if is_deletable(e, account)}
    ordered = _in_delete_order(records)
    outcomes: list[DeleteOutcome] = []
    stop: str | None = None
    for i, record in enumerate(ordered):
        if progress is not None:
            progress(i, len(ordered), record)
        if record.key not in live:
            reason = (
                "it is not a test record of the connected account"
                if record.entry.account != account
                else "it is no longer on the list of test records (deleted already?)"
            )
            outcomes.append(DeleteOutcome(record, REFUSED, reason))
            continue
        if stop is not None:
            outcomes.append(DeleteOutcome(record, FAILED, f"not tried: {stop}"))
            continue
        outcome = await _delete_one(client, ledger, record)
        outcomes.append(outcome)
        if outcome.stops:
            stop = outcome.reason
    if progress is not None and ordered:
        progress(len(ordered), len(ordered), ordered[-1])
    return outcomes


async def _delete_one(client: Any, ledger: Ledger, record: TestRecord) -> DeleteOutcome:
    e = record.entry
    try:
        await client.delete_record(e.entity, e.record_id)
    except NotFoundError:
        await asyncio.to_thread(ledger.mark_gone, e.account, e.entity, e.record_id, _ALREADY_GONE_NOTE)
        return DeleteOutcome(record, ALREADY_GONE)
    except PlanError as exc:
        # 403: this user may not delete it; 402 (account closed) and the abuse block stop every call.
        if exc.blocked or exc.status == 402:
            return DeleteOutcome(record, FAILED, exc.user_message, stops=True)
        return DeleteOutcome(record, NO_PERMISSION, exc.user_message)
    except AuthError as exc:
        return DeleteOutcome(record, FAILED, exc.user_message, stops=True)
    except RateLimitedError as exc:
        return DeleteOutcome(record, FAILED, exc.user_message, stops=exc.daily)
    except PipedriveError as exc:
        return DeleteOutcome(record, FAILED, exc.user_message)
    except ValueError as exc:  # an id that is not one (a damaged ledger row): never sent
        return DeleteOutcome(record, REFUSED, str(exc))
    await asyncio.to_thread(ledger.mark_gone, e.account, e.entity, e.record_id, _GONE_NOTE)
    return DeleteOutcome(record, DELETED)


def summary(outcomes: Sequence[DeleteOutcome]) -> str:
    """One paragraph: how many were deleted, and what could not be and why."""
    counts = Counter(o.status for o in outcomes)
    parts = []
    if counts[DELETED]:
        parts.append(f"Deleted {counts[DELETED]} test record{'s' if counts[DELETED] != 1 else ''}.")
    if counts[ALREADY_GONE]:
        n = counts[ALREADY_GONE]
        parts.append(
            f"{n} {'was' if n == 1 else 'were'} already gone from Pipedrive and "
            f"{'is' if n == 1 else 'are'} off the list now."
        )
    failed = [o for o in outcomes if not o.removed]
    if failed:
        parts.append(f"Could not delete {len(failed)}:")
        parts.extend(f"  • {o.text()}" for o in failed)
    if not outcomes:
        parts.append("Nothing was deleted.")
    return "\n".join(parts)
