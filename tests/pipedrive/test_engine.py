"""UpsertEngine over the real PipedriveClient with a scripted fake Pipedrive (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from pipedrive_gui.core.project import DestinationDefaults
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.lookup_cache import LookupCache
from pipedrive_gui.pipedrive.pacing import Pacer
from tests.pipedrive.test_planner import CATALOG, PLAN, SEG_GROUP, SEG_USER

TOKEN = "secret-token-123"
DEFAULTS = DestinationDefaults(person_field=SEG_USER, organization_field=SEG_GROUP)
PERSON = {
    "match_value": "user-1",
    "name": "Jane Doe",
    "email": ["jane@example.com"],
    "custom_fields": {"Plan": "Pro"},
}


async def no_sleep(_seconds: float) -> None:
    return None


class FakePipedrive:
    """Just enough of Pipedrive: persons/orgs/deals by custom field, scripted failures."""

    def __init__(self) -> None:
        self.records: dict[str, dict[int, dict]] = {
            "persons": {},
            "organizations": {},
            "deals": {},
            "activities": {},
        }
        self.next_id = 100
        self.requests: list[httpx.Request] = []
        #: (method, path prefix) → list of callables(request) returning a Response or raising
        self.faults: dict[tuple[str, str], list[Callable[[httpx.Request], httpx.Response | None]]] = {}
        #: Search-index lag: records created while this is on stay invisible to search (not to lists).
        self.lagging = False
        self.unsearchable: set[int] = set()

    def fault(
        self, method: str, prefix: str, *actions: Callable[[httpx.Request], httpx.Response | None]
    ) -> None:
        self.faults.setdefault((method, prefix), []).extend(actions)

    def calls(self, method: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if method in (None, r.method)]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["x-api-token"] == TOKEN and TOKEN not in str(request.url)
        for (method, prefix), actions in self.faults.items():
            if request.method == method and request.url.path.startswith(prefix) and actions:
                response = actions.pop(0)(request)
                if response is not None:
                    return response
        return self.apply(request)

    def apply(self, request: httpx.Request) -> httpx.Response:
        """Serve the request with no fault."""
        parts = request.url.path.split("/")[3:]
        kind = parts[0]
        if kind == "itemSearch":
            table = self.records[
                {"person": "persons", "organization": "organizations", "deal": "deals"}[
                    request.url.params["entity_type"]
                ]
            ]
            key, term = request.url.params["field"], request.url.params["term"]
            hits = [
                {"id": i, "name": r.get("name") or r.get("title")}
                for i, r in table.items()
                if (r.get("custom_fields") or {}).get(key) == term and i not in self.unsearchable
            ]
            return httpx.Response(
                200, json={"success": True, "data": hits, "additional_data": {"next_cursor": None}}
            )
        table = self.records[kind]
        if request.method == "POST":
            body = json.loads(request.content)
            self.next_id += 1
            table[self.next_id] = dict(body, id=self.next_id)
            if self.lagging:
                self.unsearchable.add(self.next_id)
            return httpx.Response(201, json={"success": True, "data": table[self.next_id]})
        if len(parts) == 1 and request.method == "GET":  # a v2 list: newest first when asked
            params = request.url.params
            rows = sorted(
                table.values(), key=lambda r: r["id"], reverse=params.get("sort_direction") == "desc"
            )
            start, limit = int(params.get("cursor", 0)), int(params.get("limit", 100))
            more = start + limit < len(rows)
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "data": rows[start : start + limit],
                    "additional_data": {"next_cursor": str(start + limit) if more else None},
                },
            )
        record_id = int(parts[1])
        if record_id not in table:
            return httpx.Response(404, json={"success": False, "error": "Not found", "code": "ERR_NOT_FOUND"})
        if request.method == "PATCH":
            body = json.loads(request.content)
            custom = dict(table[record_id].get("custom_fields") or {}, **body.pop("custom_fields", {}))
            table[record_id].update(body, custom_fields=custom)
        return httpx.Response(200, json={"success": True, "data": table[record_id]})


def timeout_after_applying(fake: FakePipedrive):
    """The write reaches Pipedrive and is applied, but the answer never arrives."""

    def action(request: httpx.Request):
        fake.apply(request)
        raise httpx.ReadTimeout("timed out", request=request)

    return action


def status(code: int, body: dict | None = None):
    return lambda request: httpx.Response(
        code, json=body or {"success": False, "error": "Internal Server Error", "code": "ERR_UNKNOWN"}
    )


@pytest.fixture
async def fake_and_engine():
    fake = FakePipedrive()
    client = PipedriveClient(
        "https://acme.pipedrive.com",
        TOKEN,
        transport=httpx.MockTransport(fake.handler),
        pacer=Pacer(burst_limit=1000, search_limit=1000),
        sleep=no_sleep,
    )
    engine = UpsertEngine(client, CATALOG, DEFAULTS, sleep=no_sleep)
    yield fake, engine
    await client.aclose()


async def test_plan_mode_makes_no_calls(fake_and_engine):
    fake, engine = fake_and_engine
    result = await engine.run("createUpdatePerson", PERSON, "plan")
    assert result.outcome == "planned" and fake.requests == []
    assert result.calls[0].purpose == "look up person where Segment user ID = user-1"
    assert [c.method for c in result.calls] == ["GET", "PATCH", "POST"]


async def test_dry_run_reads_only(fake_and_engine):
    fake, engine = fake_and_engine
    result = await engine.run("createUpdatePerson", PERSON, "dry_run")
    assert result.message == "Would create person 'Jane Doe'" and result.outcome == "create"
    fake.records["persons"][7] = {"id": 7, "name": "Jane D.", "custom_fields": {SEG_USER: "user-1"}}
    engine.cache.clear()
    result = await engine.run("createUpdatePerson", PERSON, "dry_run")
    assert result.message == "Would update person #7 'Jane D.' (name becomes 'Jane Doe')"
    assert fake.calls("POST") == [] and fake.calls("PATCH") == []


async def test_send_creates_then_updates_from_cache_with_one_call(fake_and_engine):
    fake, engine = fake_and_engine
    first = await engine.run("createUpdatePerson", PERSON, "send")
    assert (first.outcome, first.message) == ("create", "Created person #101 'Jane Doe'")
    assert first.link == "https://acme.pipedrive.com/person/101"
    # The status each call really got: the lookup's 200, the create's 201 (not a made-up 200).
    assert [c.status for c in first.calls] == [200, 201]
    assert fake.records["persons"][101]["custom_fields"] == {PLAN: 102, SEG_USER: "user-1"}
    second = await engine.run("createUpdatePerson", dict(PERSON, name="Jane Smith"), "send")
    assert (second.outcome, second.record_id, second.api_calls) == ("update", 101, 1)
    assert second.message == "Updated person #101 'Jane Smith' (was 'Jane Doe')"
    assert second.calls[0].from_cache and "remembered" in second.calls[0].purpose
    assert fake.records["persons"][101]["name"] == "Jane Smith"
    assert TOKEN not in json.dumps([first.to_dict(), second.to_dict()])


async def test_stale_cached_id_is_looked_up_again_after_404(fake_and_engine):
    fake, engine = fake_and_engine
    await engine.run("createUpdatePerson", PERSON, "send")
    del fake.records["persons"][101]  # deleted in Pipedrive meanwhile
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "create" and result.record_id == 102
    assert fake.calls()[-3:] == [
        "PATCH /api/v2/persons/101",
        "GET /api/v2/itemSearch/field",
        "POST /api/v2/persons",
    ]
    # the new id is remembered
    again = await engine.run("createUpdatePerson", PERSON, "send")
    assert again.record_id == 102 and again.api_calls == 1


async def test_create_timeout_that_happened_is_not_repeated(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault("POST", "/api/v2/persons", timeout_after_applying(fake))
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "create" and result.record_id == 101
    assert len(fake.records["persons"]) == 1
    # Found by a read of the newest persons (search lag cannot hide it), not by searching again.
    assert fake.calls() == ["GET /api/v2/itemSearch/field", "POST /api/v2/persons", "GET /api/v2/persons"]
    assert result.calls[-1].purpose == (
        "did the create happen? Read the newest person records for person where "
        "Segment user ID = user-1 (Pipedrive's search lags behind writes)"
    )
    assert result.message == (
        "Created person #101 'Jane Doe' (Pipedrive did not answer in time, but the person "
        "is there: it was created once)"
    )


async def test_create_5xx_that_did_not_happen_is_sent_again_once(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault("POST", "/api/v2/persons", status(500))
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "create" and len(fake.records["persons"]) == 1
    assert fake.calls("POST") == ["POST /api/v2/persons", "POST /api/v2/persons"]
    assert result.calls[1].status == 500 and result.calls[1].error


async def test_create_429_is_waited_out_and_sent_again(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault("POST", "/api/v2/persons", status(429, {"success": False, "error": "Rate limit"}))
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "create" and len(fake.records["persons"]) == 1


async def test_uncheckable_create_is_reported_not_repeated(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault("POST", "/api/v2/activities", timeout_after_applying(fake))
    result = await engine.run("createUpdateActivity", {"subject": "Call", "type": "call"}, "send")
    assert result.outcome == "fail"
    assert "did not confirm whether the activity was created" in result.message
    assert "not sent again" in result.message
    assert fake.calls("POST") == ["POST /api/v2/activities"]


async def test_update_timeout_is_retried_so_no_update_is_lost(fake_and_engine):
    fake, engine = fake_and_engine
    fake.records["persons"][7] = {"id": 7, "name": "Old", "custom_fields": {SEG_USER: "user-1"}}
    fake.fault("PATCH", "/api/v2/persons", timeout_after_applying(fake), status(503))
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "update" and fake.records["persons"][7]["name"] == "Jane Doe"
    assert len(fake.calls("PATCH")) == 3


async def test_failed_lookup_writes_nothing_and_says_retry_is_safe(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault("GET", "/api/v2/itemSearch", *[status(500)] * 4)
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "fail"
    assert result.message.startswith("Failed: Could not look up person where Segment user ID = user-1")
    assert "sending this event again is safe" in result.message
    assert fake.calls("POST") == []


async def test_validation_error_is_worded_for_a_user(fake_and_engine):
    fake, engine = fake_and_engine
    fake.fault(
        "POST",
        "/api/v2/persons",
        status(
            400,
            {
                "success": False,
                "error": "Validation failed: owner_id: User not found",
                "code": "ERR_SCHEMA_VALIDATION_FAILED",
            },
        ),
    )
    result = await engine.run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "fail"
    assert "Pipedrive refused the data" in result.message and "owner_id: User not found" in result.message


async def test_concurrent_events_for_one_new_person_create_it_once(fake_and_engine):
    fake, engine = fake_and_engine
    results = await asyncio.gather(*(engine.run("createUpdatePerson", PERSON, "send") for _ in range(5)))
    assert sorted(r.outcome for r in results) == ["create"] + ["update"] * 4
    assert len(fake.records["persons"]) == 1


async def test_deal_uses_cached_associations(fake_and_engine):
    fake, engine = fake_and_engine
    await engine.run("createUpdatePerson", PERSON, "send")
    deal = {
        "title": "Deal",
        "value": "10",
        "person_match_value": "user-1",
        "deal_match_field": "id",
        "deal_match_value": "",
        "organization_match_value": "grp-x",
    }
    before = len(fake.requests)
    result = await engine.run("createUpdateDeal", deal, "send")
    assert result.outcome == "create", result.message
    assert fake.records["deals"][result.record_id]["person_id"] == 101
    # organization search (not found) + POST; the person came from the cache
    assert fake.calls()[before:] == ["GET /api/v2/itemSearch/field", "POST /api/v2/deals"]
    assert result.link == f"https://acme.pipedrive.com/deal/{result.record_id}"


async def test_activity_update_of_missing_id_fails_clearly(fake_and_engine):
    fake, engine = fake_and_engine
    result = await engine.run("createUpdateActivity", {"activity_id": 999, "subject": "x"}, "send")
    assert result.outcome == "fail"
    assert "There is no activity with ID 999 in Pipedrive" in result.message
    assert fake.calls() == ["PATCH /api/v2/activities/999"]


async def test_unknown_mode_and_action():
    engine = UpsertEngine(None, CATALOG, DEFAULTS)
    with pytest.raises(ValueError, match="mode must be one of"):
        await engine.run("createUpdatePerson", PERSON, "later")
    result = await engine.run("createUpdateWidget", {}, "plan")
    assert result.outcome == "fail" and "not one of the Pipedrive actions" in result.message


# -- the lookup cache ----------------------------------------------------------------------------


def test_cache_normalises_like_the_search_and_expires():
    now = [0.0]
    cache = LookupCache(ttl=60, clock=lambda: now[0])
    cache.remember("person", "email", "Ann@Example.com", 5, "Ann")
    cache.remember("person", SEG_USER, "User-1", 6)
    assert cache.get("person", "email", "ann@example.COM").record_id == 5  # email search ignores case
    assert cache.get("person", SEG_USER, "user-1") is None  # itemSearch/field does not
    assert cache.get("person", "id", "5").record_id == 5  # knowing the id answers a lookup by id
    now[0] = 61
    assert cache.get("person", "email", "ann@example.com") is None
    assert cache.stats.hits == 2 and cache.stats.misses == 2


def test_cache_forget_id_drops_every_key_of_a_record():
    cache = LookupCache()
    cache.remember("person", "email", "a@x.com", 5)
    cache.remember("person", SEG_USER, "u-5", 5)
    cache.remember("organization", SEG_GROUP, "g", 5)
    cache.forget_id("person", 5)
    assert cache.get("person", "email", "a@x.com") is None and cache.get("person", SEG_USER, "u-5") is None
    assert cache.get("organization", SEG_GROUP, "g").record_id == 5


async def test_bare_amount_for_money_field_takes_company_currency(fake_and_engine):
    fake, engine = fake_and_engine
    payload = dict(PERSON, custom_fields={"Lifetime value": "99.5"})
    engine.default_currency = "EUR"
    result = await engine.run("createUpdatePerson", payload, "send")
    assert fake.records["persons"][result.record_id]["custom_fields"][
        "1924676a305ba82f358ceb58630f9b5c4ef91f3e"
    ] == {"value": 99.5, "currency": "EUR"}
    engine.default_currency = None
    result = await engine.run("createUpdatePerson", payload, "dry_run")
    assert result.message.startswith(
        "Would fail: Lifetime value: '99.5' is not a money amount with a currency"
    )
