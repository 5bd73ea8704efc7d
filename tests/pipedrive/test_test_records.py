"""Test records: listing the ledger's test records of the connected account, and deleting them in
Pipedrive (the offline sandbox over loopback, with the real client) with a reason for every record
that could not be deleted.

Until the engine records its creates in the ledger, the tests create records in the sandbox and
write the ledger rows themselves, as the engine will (claim + confirm, or record)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.pipedrive import test_records as tr
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.ledger import CREATED, GONE, Ledger, MatchKey
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox

NEW = {
    "person": ("/api/v2/persons", {"name": "Test Person"}),
    "organization": ("/api/v2/organizations", {"name": "Test Org"}),
    "deal": ("/api/v2/deals", {"title": "Test deal", "person_id": 101}),
    "activity": ("/api/v2/activities", {"subject": "Test call"}),
    "lead": ("/api/v1/leads", {"title": "Test lead", "person_id": 101}),
    "note": ("/api/v1/notes", {"content": "<p>Test</p>", "person_id": 101}),
}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[PipedriveClient]:
    async with PipedriveClient(sandbox.base_url, sandbox.token) as c:
        yield c


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.in_data_dir(tmp_path)


async def create(
    client: PipedriveClient,
    ledger: Ledger,
    entity: str,
    *,
    test: bool = True,
    mapping: str = "Test mapping",
    account: str | None = None,
) -> str:
    """Create a record in the sandbox and write its ledger row as the engine does."""
    path, body = NEW[entity]
    data = (await client.request("POST", path, json=body))["data"]
    name = data.get("name") or data.get("title") or data.get("subject")
    account = account or tr.ledger_account(client)
    if entity == "person":  # a create with a match value: claimed first, then confirmed
        claim = ledger.claim(
            MatchKey(account, "person", "email", f"{data['id']}@example.com"),
            mapping=mapping,
            source="send_test",
            test=test,
        )
        ledger.confirm(claim, data["id"], name)
    else:
        ledger.record(account, entity, data["id"], name, mapping=mapping, source="send_test", test=test)
    return str(data["id"])


def calls(sandbox: RunningSandbox, method: str = "DELETE") -> list[str]:
    return [r.call for r in sandbox.state.requests if r.method == method]


async def test_lists_only_this_accounts_test_records_created_by_the_app(
    client: PipedriveClient, ledger: Ledger
) -> None:
    account = tr.ledger_account(client)
    pid = await create(client, ledger, "person", mapping="Identify → Person")
    deal = await create(client, ledger, "deal")
    await create(client, ledger, "organization", test=False)  # made by the receiver, not a test
    ledger.record("other.pipedrive.com", "deal", 5, "Elsewhere", mapping="M", source="cli_send", test=True)
    ledger.record("127.0.0.1:1", "deal", 6, "An earlier sandbox", mapping="M", source="send_test", test=True)
    ledger.record(account, "deal", 77, "Deleted earlier", mapping="M", source="send_test", test=True)
    ledger.mark_gone(account, "deal", 77, "deleted")
    pending = ledger.claim(
        MatchKey(account, "person", "email", "lost@example.com"), mapping="M", source="send_test", test=True
    )
    ledger.leave_unconfirmed(pending, "timeout")

    engine = UpsertEngine(client)
    listing = tr.list_test_records(ledger, account, engine.link_for)
    assert [(r.entity, r.record_id) for r in listing.records] == [("deal", deal), ("person", pid)]
    assert listing.other_accounts == {"other.pipedrive.com": 1, "127.0.0.1:1": 1} and listing.unconfirmed == 1
    notes = " ".join(listing.notes())
    assert "1 more test record belongs to another account (other.pipedrive.com: 1) and is not shown" in notes
    assert "1 more test record was made in other sandbox or test-server sessions on this computer" in notes
    assert "check Pipedrive" in notes
    person = listing.records[1].to_json()
    assert person["entity"] == "person" and person["id"] == pid and person["mapping"] == "Identify → Person"
    assert person["source"] == "send_test" and person["state"] == CREATED and person["name"] == "Test Person"
    assert person["link"] == f"{client.base_url}/person/{pid}"  # the engine's link_for
    assert person["created_at"].endswith("+00:00") and "T" in person["created_at"]
    assert [r.entity for r in tr.list_test_records(ledger, account, entity="deal").records] == ["deal"]
    assert len(tr.list_all_accounts(ledger)) == 4


async def test_deletes_every_record_type_with_the_right_call_and_takes_it_off_the_list(
    sandbox: RunningSandbox, client: PipedriveClient, ledger: Ledger
) -> None:
    ids = {entity: await create(client, ledger, entity) for entity in NEW}
    account = tr.ledger_account(client)
    listing = tr.list_test_records(ledger, account)
    seen: list[tuple[int, int]] = []
    outcomes = await tr.delete_test_records(
        client, ledger, listing.records, progress=lambda i, n, _r: seen.append((i, n))
    )
    assert [(o.record.entity, o.status) for o in outcomes] == [
        (e, tr.DELETED) for e in ("note", "activity", "lead", "deal", "person", "organization")
    ]
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert calls(sandbox) == [
        f"DELETE /api/v1/notes/{ids['note']}",
        f"DELETE /api/v2/activities/{ids['activity']}",
        f"DELETE /api/v1/leads/{ids['lead']}",
        f"DELETE /api/v2/deals/{ids['deal']}",
        f"DELETE /api/v2/persons/{ids['person']}",
        f"DELETE /api/v2/organizations/{ids['organization']}",
    ]
    for entity, rid in ids.items():
        assert not sandbox.state.store.exists(entity, rid if entity == "lead" else int(rid))
    assert tr.list_test_records(ledger, account).records == []
    assert {e.state for e in ledger.entries(include_gone=True)} == {GONE}
    # A deleted person no longer blocks creating that person again.
    key = MatchKey(account, "person", "email", f"{ids['person']}@example.com")
    assert ledger.claim(key, mapping=None, source="send_test").status == "claimed"
    assert tr.summary(outcomes) == "Deleted 6 test records."


async def test_never_deletes_a_record_the_app_did_not_create_as_a_test(
    sandbox: RunningSandbox, client: PipedriveClient, ledger: Ledger
) -> None:
    account = tr.ledger_account(client)
    not_test = await create(client, ledger, "deal", test=False)
    [row] = ledger.entries()
    forged = [
        tr.TestRecord(row),  # in the ledger, but not a test record
        tr.TestRecord(
            row.__class__(**{**row.to_dict(), "record_id": "101", "test": True})
        ),  # seeded, not ours
        tr.TestRecord(row.__class__(**{**row.to_dict(), "account": "other.pipedrive.com", "test": True})),
    ]
    outcomes = await tr.delete_test_records(client, ledger, forged)
    assert [o.status for o in outcomes] == [tr.REFUSED] * 3
    assert "not a test record of the connected account" in outcomes[2].reason
    assert calls(sandbox) == []
    assert sandbox.state.store.exists("deal", int(not_test)) and sandbox.state.store.exists("person", 101)
    assert ledger.entries()[0].account == account


async def test_a_stale_list_cannot_delete_twice(
    sandbox: RunningSandbox, client: PipedriveClient, ledger: Ledger
) -> None:
    await create(client, ledger, "deal")
    listing = tr.list_test_records(ledger, tr.ledger_account(client))
    first = await tr.delete_test_records(client, ledger, listing.records)
    again = await tr.delete_test_records(client, ledger, listing.records)  # the same (old) list
    assert first[0].status == tr.DELETED and again[0].status == tr.REFUSED
    assert "no longer on the list" in again[0].reason and len(calls(sandbox)) == 1


async def test_reports_already_gone_no_permission_and_network_and_keeps_the_failed(
    sandbox: RunningSandbox, client: PipedriveClient, ledger: Ledger
) -> None:
    from pipedrive_gui.sandbox import parse_fault_spec

    gone = await create(client, ledger, "person")
    locked = await create(client, ledger, "deal")
    kept = await create(client, ledger, "organization")
    await client.request("DELETE", f"/api/v2/persons/{gone}")  # deleted in Pipedrive by someone
    sandbox.faults.rules[:] = [
        parse_fault_spec(f"json403:method=DELETE,path=/api/v2/deals/{locked}"),
        parse_fault_spec(f"503:method=DELETE,path=/api/v2/organizations/{kept}"),
    ]
    account = tr.ledger_account(client)
    client.max_attempts = 1  # the 503 is not retried here (retries are the client's, tested there)
    outcomes = await tr.delete_test_records(client, ledger, tr.list_test_records(ledger, account).records)
    by_entity = {o.record.entity: o for o in outcomes}
    assert by_entity["person"].status == tr.ALREADY_GONE
    assert by_entity["deal"].status == tr.NO_PERMISSION and "permission" in by_entity["deal"].reason
    assert by_entity["organization"].status == tr.FAILED and "503" in by_entity["organization"].reason
    left = [(r.entity, r.record_id) for r in tr.list_test_records(ledger, account).records]
    assert sorted(left) == [("deal", locked), ("organization", kept)]
    text = tr.summary(outcomes)
    assert "1 was already gone from Pipedrive" in text and "Could not delete 2:" in text
    assert f"deal #{locked} “Test deal”: not deleted: no permission" in text


async def test_a_rejected_token_stops_after_the_first_call(
    sandbox: RunningSandbox, client: PipedriveClient, ledger: Ledger
) -> None:
    for _ in range(3):
        await create(client, ledger, "deal")
    records = tr.list_test_records(ledger, tr.ledger_account(client)).records
    async with PipedriveClient(sandbox.base_url, "bad-token") as refused:
        outcomes = await tr.delete_test_records(refused, ledger, records)
    assert [o.status for o in outcomes] == [tr.FAILED] * 3
    assert "rejected the API token" in outcomes[0].reason and outcomes[1].reason.startswith("not tried:")
    assert len(calls(sandbox)) == 1


async def test_an_unreachable_pipedrive_is_reported_per_record(tmp_path: Path, ledger: Ledger) -> None:
    sb = await start_sandbox()
    base_url, token = sb.base_url, sb.token
    async with PipedriveClient(base_url, token, max_attempts=1) as c:
        rid = await create(c, ledger, "deal")
        await sb.stop()
        [outcome] = await tr.delete_test_records(c, ledger, tr.list_test_records(ledger, c.host).records)
    assert outcome.status == tr.FAILED and "Could not reach Pipedrive" in outcome.reason
    assert [r.record_id for r in tr.list_test_records(ledger, c.host).records] == [rid]


def test_local_accounts_are_sandboxes_and_test_servers() -> None:
    assert all(map(tr.is_local_account, ("127.0.0.1:8765", "localhost:1", "[::1]:8765", "localhost")))
    assert not any(map(tr.is_local_account, ("acme.pipedrive.com", "127.0.0.1.example.com:80")))


def test_the_confirmation_says_exactly_what_is_deleted_and_that_updates_stay(ledger: Ledger) -> None:
    ledger.record(
        "acme.pipedrive.com", "person", 12, "Jane Doe", mapping="Identify", source="send_test", test=True
    )
    ledger.record("acme.pipedrive.com", "note", 3, None, mapping=None, source="cli_send", test=True)
    records = tr.list_test_records(ledger, "acme.pipedrive.com").records
    text = tr.confirmation_text(records, "acme.pipedrive.com")
    lines = text.splitlines()
    assert lines[0] == "Delete these 2 records in acme.pipedrive.com?"
    assert lines[1].startswith("  • note #3 (created by pipedrive-gui send, ")
    assert lines[2].startswith("  • person #12 “Jane Doe” (created by Send test, mapping “Identify”, ")
    assert "updates" in text and "not undone" in text
    assert tr.confirmation_text(records[:1], "x").startswith("Delete this record in x?")


@pytest.mark.parametrize(
    ("entity", "bad"),
    [("deal", "12/../13"), ("person", "12?x=1"), ("lead", "a/b"), ("deal", ""), ("widget", "1")],
)
async def test_the_client_refuses_ids_that_are_not_ids(
    client: PipedriveClient, sandbox: RunningSandbox, entity: str, bad: Any
) -> None:
    with pytest.raises(ValueError):
        await client.delete_record(entity, bad)
    assert calls(sandbox) == []
