"""The upsert engine against the offline sandbox over loopback, with the real client.

Every request the sandbox receives is checked field by field against the request schemas of
Pipedrive's API reference (docs/pipedrive-api.md#lookups, #writes): keys allowed for that
endpoint, JSON types, formats.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import uuid
from typing import Any

import pytest

from pipedrive_gui.core.project import DestinationDefaults
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.fields import fetch_catalog
from pipedrive_gui.pipedrive.pacing import Pacer
from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import start_sandbox
from tests.pipedrive.test_planner import INTERESTS, LTV, PLAN, SCORE, SEG_DEAL, SEG_GROUP, SEG_USER
from tests.timing import WarpedTime, short_sleep

DEFAULTS = DestinationDefaults(person_field=SEG_USER, organization_field=SEG_GROUP, deal_field=SEG_DEAL)

# -- Pipedrive's request schemas (docs/pipedrive-api.md#writes) --------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
_CLOCK = re.compile(r"^\d{2}:\d{2}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_str(v: Any) -> bool:
    return isinstance(v, str)


def contacts(v: Any) -> bool:
    return (
        isinstance(v, list)
        and all(
            isinstance(c, dict)
            and set(c) <= {"value", "primary", "label"}
            and is_str(c["value"])
            and isinstance(c.get("primary", False), bool)
            and is_str(c.get("label", ""))
            for c in v
        )
        and sum(1 for c in v if c.get("primary")) <= 1
    )


def pattern(rx: re.Pattern[str]):
    return lambda v: isinstance(v, str) and bool(rx.match(v))


def nullable(check):
    return lambda v: v is None or check(v)


VISIBLE = lambda v: v in (1, 3, 5, 7) and is_int(v)  # noqa: E731
CUSTOM = lambda v: isinstance(v, dict)  # noqa: E731 - values checked per field type below

PERSON = {
    "name": is_str,
    "owner_id": is_int,
    "org_id": is_int,
    "emails": contacts,
    "phones": contacts,
    "visible_to": VISIBLE,
    "label_ids": lambda v: isinstance(v, list) and all(map(is_int, v)),
    "custom_fields": CUSTOM,
}
ORG = {
    "name": is_str,
    "owner_id": is_int,
    "visible_to": VISIBLE,
    "custom_fields": CUSTOM,
    "address": lambda v: isinstance(v, dict) and "value" in v,
}
DEAL = {
    "title": is_str,
    "value": is_num,
    "currency": pattern(re.compile(r"^[A-Z]{3}$")),
    "person_id": nullable(is_int),
    "org_id": nullable(is_int),
    "owner_id": is_int,
    "stage_id": is_int,
    "pipeline_id": is_int,
    "status": lambda v: v in ("open", "won", "lost"),
    "probability": nullable(is_num),
    "lost_reason": nullable(is_str),
    "visible_to": VISIBLE,
    "expected_close_date": pattern(_DATE),
    "custom_fields": CUSTOM,
}
ACTIVITY = {
    "subject": is_str,
    "type": is_str,
    "owner_id": is_int,
    "deal_id": is_int,
    "org_id": is_int,
    "lead_id": pattern(_UUID),
    "participants": lambda v: (
        isinstance(v, list)
        and all(
            set(p) == {"person_id", "primary"} and is_int(p["person_id"]) and isinstance(p["primary"], bool)
            for p in v
        )
    ),
    "due_date": pattern(_DATE),
    "due_time": pattern(_CLOCK),
    "duration": pattern(_CLOCK),
    "busy": lambda v: isinstance(v, bool),
    "done": lambda v: isinstance(v, bool),
    "public_description": is_str,
    "note": is_str,
}
LEAD = {
    "title": is_str,
    "person_id": is_int,
    "organization_id": is_int,
    "value": lambda v: (
        isinstance(v, dict)
        and set(v) == {"amount", "currency"}
        and is_num(v["amount"])
        and is_str(v["currency"])
    ),
    "expected_close_date": pattern(_DATE),
    "visible_to": lambda v: v in ("1", "3", "5", "7"),
    "owner_id": is_int,
}
NOTE = {
    "content": is_str,
    "lead_id": pattern(_UUID),
    "deal_id": is_int,
    "person_id": is_int,
    "org_id": is_int,
}

WRITE_SCHEMAS = {
    ("POST", "/api/v2/persons"): dict(PERSON, add_time=pattern(_RFC3339)),
    ("PATCH", "/api/v2/persons/*"): PERSON,
    ("POST", "/api/v2/organizations"): dict(ORG, add_time=pattern(_RFC3339)),
    ("PATCH", "/api/v2/organizations/*"): ORG,
    ("POST", "/api/v2/deals"): DEAL,
    ("PATCH", "/api/v2/deals/*"): DEAL,
    ("POST", "/api/v2/activities"): ACTIVITY,
    ("PATCH", "/api/v2/activities/*"): ACTIVITY,
    ("POST", "/api/v1/leads"): LEAD,
    ("PATCH", "/api/v1/leads/*"): LEAD,
    ("POST", "/api/v1/notes"): NOTE,
    ("PUT", "/api/v1/notes/*"): NOTE,
}
REQUIRED_ON_CREATE = {
    "/api/v2/persons": {"name"},
    "/api/v2/organizations": {"name"},
    "/api/v2/deals": {"title"},
    "/api/v1/leads": {"title"},
    "/api/v1/notes": {"content"},
}
CUSTOM_TYPES = {
    SEG_USER: is_str,
    PLAN: lambda v: v in (101, 102, 103),
    SCORE: is_num,
    LTV: lambda v: isinstance(v, dict) and set(v) == {"value", "currency"} and is_num(v["value"]),
    INTERESTS: lambda v: isinstance(v, list) and v and all(i in (104, 105, 106) for i in v),
    "d1a68c39c3625323a5504750132917ed07349573": pattern(_DATE),
    SEG_GROUP: is_str,
    "ec881dc64d14d2f5e539e2f56f36625bb4a2be70": lambda v: v in (107, 108, 109, 110),
    "d93d1066bf45650ac1db8a26532fb69b2a76a206": is_num,
    SEG_DEAL: is_str,
    "eb439a21f8e73a2e467bf7a6336bad7aa3ee9e35": lambda v: v in (111, 112, 113, 114),
    "3851be5c87a452d8d85b900de48043ee0771f440": is_str,
}
LOOKUP_QUERIES = {
    "/api/v2/itemSearch/field": {"term", "entity_type", "field", "match", "limit"},
    "/api/v2/persons/search": {"term", "fields", "exact_match", "limit"},
    "/api/v2/organizations/search": {"term", "fields", "exact_match", "limit"},
    "/api/v2/deals/search": {"term", "fields", "exact_match", "limit"},
}


def _schema_for(method: str, path: str) -> tuple[str, dict] | None:
    for (m, pat), schema in WRITE_SCHEMAS.items():
        if m == method and (
            pat == path
            or (pat.endswith("/*") and path.startswith(pat[:-1]) and "/" not in path[len(pat) - 1 :])
        ):
            return pat, schema
    return None


def assert_requests_follow_reference(sandbox) -> int:
    """Check every recorded request; returns how many write bodies were checked."""
    checked = 0
    for req in sandbox.state.requests:
        assert req.had_token and "api_token" not in req.query, req.call
        if req.method == "GET":
            assert req.json is None, req.call
            if req.path in LOOKUP_QUERIES:
                assert set(req.query) <= LOOKUP_QUERIES[req.path], (req.call, req.query)
                assert req.query.get("match", "exact") == "exact"
                assert req.query.get("exact_match", "true") == "true"
            continue
        if req.method == "DELETE":
            assert req.json is None
            continue
        found = _schema_for(req.method, req.path)
        assert found is not None, f"unexpected write {req.call}"
        pat, schema = found
        body = req.json
        assert isinstance(body, dict) and body, req.call
        for key, value in body.items():
            assert key in schema, f"{req.call}: {key!r} is not in Pipedrive's request schema"
            assert schema[key](value), f"{req.call}: {key} = {value!r} has the wrong type/format"
        for key, value in (body.get("custom_fields") or {}).items():
            assert key in CUSTOM_TYPES, f"{req.call}: unknown custom field {key}"
            assert value is None or CUSTOM_TYPES[key](value), f"{req.call}: custom {key} = {value!r}"
        if req.method == "POST":
            missing = REQUIRED_ON_CREATE.get(pat, set()) - set(body)
            assert not missing, f"{req.call}: missing {missing}"
        if pat in ("/api/v1/leads", "/api/v1/leads/*") and req.method == "POST":
            assert "person_id" in body or "organization_id" in body
        if pat == "/api/v1/notes" and req.method == "POST":
            assert {"lead_id", "deal_id", "person_id", "org_id"} & set(body)
        checked += 1
    return checked


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
async def sandbox():
    sb = await start_sandbox()
    yield sb
    await sb.stop()


@pytest.fixture
async def client(sandbox):
    c = PipedriveClient(
        sandbox.base_url, sandbox.token, pacer=Pacer(burst_limit=10_000, search_limit=10_000), timeout=5.0
    )
    yield c
    await c.aclose()


@pytest.fixture
async def catalog(client):
    return await fetch_catalog(client, domain="sandbox")


@pytest.fixture
def engine(client, catalog):
    return UpsertEngine(client, catalog, DEFAULTS, default_currency="EUR", recheck_delay=0.3)


def fresh(engine: UpsertEngine) -> UpsertEngine:
    """Another engine on the same connection with an empty cache (a later run of the app)."""
    return UpsertEngine(
        engine.client, engine.catalog, engine.defaults, default_currency="EUR", recheck_delay=0.3
    )


# -- all six actions -----------------------------------------------------------------------------


async def test_person_by_custom_field_create_then_update(sandbox, engine):
    payload = {
        "match_value": "user-5001",
        "name": "Nia Park",
        "email": ["nia@park.example"],
        "phone": ["+372 5000 0001"],
        "visible_to": "3",
        "add_time": "2026-11-01T10:00:00.250Z",
        "custom_fields": {
            "Plan": "Pro",
            LTV: 1200,
            "Interests": "CRM, Automation",
            "Signup date": "2026-11-01",
        },
    }
    created = await engine.run("createUpdatePerson", payload, "send")
    assert created.outcome == "create", created.message
    record = sandbox.state.get("person", created.record_id)
    assert record["name"] == "Nia Park" and record["emails"][0]["value"] == "nia@park.example"
    assert record["custom_fields"][SEG_USER] == "user-5001"  # the match value, from the destination default
    assert record["custom_fields"][PLAN] == 102 and record["custom_fields"][LTV] == {
        "value": 1200,
        "currency": "EUR",
    }
    assert created.link == f"{sandbox.base_url}/person/{created.record_id}"

    again = fresh(engine)
    dry = await again.run("createUpdatePerson", dict(payload, name="Nia Park-Lee"), "dry_run")
    assert dry.message == f"Would update person #{created.record_id} 'Nia Park' (name becomes 'Nia Park-Lee')"
    updated = await again.run("createUpdatePerson", dict(payload, name="Nia Park-Lee"), "send")
    assert (updated.outcome, updated.record_id) == ("update", created.record_id)
    assert len(sandbox.state.find("person", **{SEG_USER: "user-5001"})) == 1
    assert sandbox.state.get("person", created.record_id)["name"] == "Nia Park-Lee"
    assert [r.call.split("/")[-1] for r in sandbox.state.requests_to("PATCH", "/api/v2/persons/*")] == [
        str(created.record_id)
    ]
    assert assert_requests_follow_reference(sandbox) == 2


async def test_person_by_email_and_by_id(sandbox, engine):
    by_email = {"match_field": "email", "match_value": "zoe@example.net", "name": "Zoe"}
    created = await engine.run("createUpdatePerson", by_email, "send")
    assert created.outcome == "create"
    assert sandbox.state.get("person", created.record_id)["emails"][0]["value"] == "zoe@example.net"
    updated = await fresh(engine).run(
        "createUpdatePerson", dict(by_email, match_value="ZOE@example.net", name="Zoe Q"), "send"
    )
    assert (updated.outcome, updated.record_id) == ("update", created.record_id)
    assert sandbox.state.requests_to("GET", "/api/v2/persons/search")[-1].query["fields"] == "email"

    by_id = UpsertEngine(engine.client, engine.catalog, DestinationDefaults(), default_currency="EUR")
    result = await by_id.run("createUpdatePerson", {"match_value": "101", "name": "Ada King"}, "send")
    assert (result.outcome, result.record_id) == ("update", 101)
    assert sandbox.state.get("person", 101)["name"] == "Ada King"
    missing = await by_id.run("createUpdatePerson", {"match_value": "999999", "name": "Nobody"}, "send")
    assert missing.outcome == "create" and missing.record_id != 999999
    assert sandbox.state.requests_to("GET", "/api/v2/persons/999999")
    assert_requests_follow_reference(sandbox)


async def test_organization_by_custom_field_and_by_name(sandbox, engine):
    payload = {
        "match_value": "grp-7001",
        "name": "Globex",
        "custom_fields": {"Industry": "Finance", "Employees": "120"},
    }
    created = await engine.run("createUpdateOrganization", payload, "send")
    assert created.outcome == "create"
    assert sandbox.state.get("organization", created.record_id)["custom_fields"][SEG_GROUP] == "grp-7001"
    updated = await fresh(engine).run("createUpdateOrganization", dict(payload, name="Globex Corp"), "send")
    assert (updated.outcome, updated.record_id) == ("update", created.record_id)
    by_name = await fresh(engine).run(
        "createUpdateOrganization",
        {"match_field": "name", "match_value": "globex corp", "visible_to": "7"},
        "send",
    )
    assert (by_name.outcome, by_name.record_id) == ("update", created.record_id)
    assert sandbox.state.get("organization", created.record_id)["visible_to"] == 7
    assert_requests_follow_reference(sandbox)


async def _person_and_org(engine, user="user-8001", group="grp-8001"):
    person = await engine.run("createUpdatePerson", {"match_value": user, "name": "Pat Doe"}, "send")
    org = await engine.run("createUpdateOrganization", {"match_value": group, "name": "Initech"}, "send")
    assert person.outcome == org.outcome == "create"
    return person.record_id, org.record_id


DEAL_EVENT = {
    "deal_match_value": "D-9001",
    "title": "Initech - 40 seats",
    "value": "12000",
    "currency": "usd",
    "stage_id": 2,
    "status": "open",
    "expected_close_date": "2026-12-31",
    "probability": 40,
    "person_match_value": "user-8001",
    "organization_match_value": "grp-8001",
    "custom_fields": {"Lead source": "Website"},
}


async def test_deal_with_associations_create_update_and_by_id(sandbox, engine):
    person_id, org_id = await _person_and_org(engine)
    created = await fresh(engine).run("createUpdateDeal", DEAL_EVENT, "send")
    assert created.outcome == "create", created.message
    deal = sandbox.state.get("deal", created.record_id)
    assert (deal["person_id"], deal["org_id"], deal["value"], deal["currency"]) == (
        person_id,
        org_id,
        12000,
        "USD",
    )
    assert deal["custom_fields"][SEG_DEAL] == "D-9001"

    won = await engine.run("createUpdateDeal", dict(DEAL_EVENT, status="won", value=15000), "send")
    assert (won.outcome, won.record_id) == ("update", created.record_id)
    assert sandbox.state.get("deal", created.record_id)["status"] == "won"
    by_id = await engine.run(
        "createUpdateDeal",
        {"deal_match_field": "id", "deal_match_value": str(created.record_id), "title": "Initech - 45 seats"},
        "send",
    )
    assert (by_id.outcome, by_id.record_id) == ("update", created.record_id)
    assert_requests_follow_reference(sandbox)


async def test_repeated_deal_events_use_the_cache_for_associations(sandbox, engine):
    await _person_and_org(engine)
    await engine.run("createUpdateDeal", DEAL_EVENT, "send")
    sandbox.state.clear_requests()
    result = await engine.run("createUpdateDeal", dict(DEAL_EVENT, probability=80), "send")
    assert result.outcome == "update"
    assert sandbox.state.calls() == [
        f"PATCH /api/v2/deals/{result.record_id}"
    ]  # Segment: 3 searches + 1 write


async def test_activity_create_with_participants_then_update_by_id(sandbox, engine):
    person_id, org_id = await _person_and_org(engine)
    deal = await engine.run("createUpdateDeal", DEAL_EVENT, "send")
    event = {
        "subject": "Kick-off call",
        "type": "Call",
        "due_date": "2026-12-02",
        "due_time": "14:30",
        "duration": "0:30",
        "done": False,
        "person_match_value": "user-8001",
        "organization_match_value": "grp-8001",
        "deal_match_value": "D-9001",
    }
    created = await engine.run("createUpdateActivity", event, "send")
    assert created.outcome == "create", created.message
    activity = sandbox.state.get("activity", created.record_id)
    assert activity["participants"] == [{"person_id": person_id, "primary": True}]
    assert (activity["deal_id"], activity["org_id"], activity["done"]) == (deal.record_id, org_id, False)
    assert created.link == f"{sandbox.base_url}/deal/{deal.record_id}"
    done = await engine.run(
        "createUpdateActivity", dict(event, activity_id=created.record_id, done="true"), "send"
    )
    assert (done.outcome, done.record_id) == ("update", created.record_id)
    assert sandbox.state.get("activity", created.record_id)["done"] is True
    assert_requests_follow_reference(sandbox)


async def test_lead_create_then_update_by_lead_id(sandbox, engine):
    _, org_id = await _person_and_org(engine)
    event = {
        "title": "Initech demo request",
        "amount": 9900,
        "currency": "EUR",
        "visible_to": "3",
        "organization_match_value": "grp-8001",
        "person_match_value": "nobody-here",
        "expected_close_date": "2027-01-15",
    }
    created = await engine.run("createUpdateLead", event, "send")
    assert created.outcome == "create", created.message
    assert uuid.UUID(str(created.record_id))
    lead = sandbox.state.get("lead", created.record_id)
    assert lead["organization_id"] == org_id and lead["value"] == {"amount": 9900, "currency": "EUR"}
    assert any("No person where Segment user ID = nobody-here was found" in w for w in created.warnings)
    updated = await engine.run(
        "createUpdateLead", dict(event, lead_id=created.record_id, title="Initech demo (2)"), "send"
    )
    assert (updated.outcome, updated.record_id) == ("update", created.record_id)
    assert sandbox.state.get("lead", created.record_id)["title"] == "Initech demo (2)"
    assert_requests_follow_reference(sandbox)


async def test_note_create_then_update_by_note_id(sandbox, engine):
    await _person_and_org(engine)
    deal = await engine.run("createUpdateDeal", DEAL_EVENT, "send")
    created = await engine.run(
        "createUpdateNote", {"content": "<p>Budget approved</p>", "deal_match_value": "D-9001"}, "send"
    )
    assert created.outcome == "create", created.message
    assert sandbox.state.get("note", created.record_id)["deal_id"] == deal.record_id
    updated = await engine.run(
        "createUpdateNote", {"note_id": created.record_id, "content": "<p>Signed</p>"}, "send"
    )
    assert (updated.outcome, updated.record_id) == ("update", created.record_id)
    assert sandbox.state.requests_to("PUT", "/api/v1/notes/*")
    assert_requests_follow_reference(sandbox)


# -- failures, worded for a user -----------------------------------------------------------------


async def test_failures_are_explained_and_write_nothing(sandbox, engine):
    no_links = await engine.run("createUpdateDeal", dict(DEAL_EVENT, deal_match_value="D-404"), "send")
    assert no_links.outcome == "fail"
    assert no_links.message.startswith("Failed: No related organization or person, unable to create deal!")
    assert "no person where Segment user ID = user-8001 exists in Pipedrive" in no_links.message

    bad_option = await engine.run(
        "createUpdatePerson",
        {"match_value": "u-1", "name": "X", "custom_fields": {"Plan": "Gold"}},
        "dry_run",
    )
    assert bad_option.message == "Would fail: Plan: 'Gold' is not one of Free, Pro, Enterprise"

    missing = await engine.run("createUpdateActivity", {"activity_id": 987654, "subject": "x"}, "send")
    assert missing.message.startswith("Failed: There is no activity with ID 987654 in Pipedrive")

    refused = await engine.run(
        "createUpdatePerson", {"match_value": "u-2", "name": "Y", "custom_fields": {"owner_id": 4242}}, "send"
    )
    assert refused.outcome == "fail"
    assert "Pipedrive refused the data" in refused.message and "owner_id" in refused.message
    writes = [r for r in sandbox.state.requests if r.method != "GET"]
    assert [(r.call, r.status) for r in writes] == [
        ("PATCH /api/v2/activities/987654", 404),
        ("POST /api/v2/persons", 400),
    ]
    assert_requests_follow_reference(sandbox)


async def test_bad_token_is_reported_without_the_token(sandbox, catalog):
    async with PipedriveClient(sandbox.base_url, "bad-token") as bad:
        result = await UpsertEngine(bad, catalog, DEFAULTS).run(
            "createUpdatePerson", {"match_value": "u", "name": "N"}, "send"
        )
    assert result.outcome == "fail" and "rejected the API token" in result.message
    assert "bad-token" not in str(result.to_dict())


# -- faults: no duplicates, no lost update ---------------------------------------------------------


async def test_batch_under_faults_has_no_duplicates_and_no_lost_update(sandbox, catalog):
    """30 events over 6 people; 429s, 5xx, dropped connections and timeouts on writes and lookups.

    The engine's re-checks after a lost create wait for real (a slow write must land first), over a
    1 s confirm window instead of 8 s; the pacer's pauses (2 s after each 429, and the sandbox's
    burst window) pass in warped time."""
    faults = sandbox.faults
    faults.reseed(7)
    faults.rate_limit(count=1, retry_after=0, path="/api/v2/persons*", method="POST")
    faults.rate_limit(count=1, retry_after=0, path="/api/v2/itemSearch/*")
    faults.server_error(rate=0.1, path="/api/v2/persons*")
    faults.server_error(count=2, status=503, path="/api/v2/itemSearch/*")
    faults.drop(count=2, path="/api/v2/persons*", method="PATCH")
    # Slow enough that the client gives up, yet the write still lands afterwards.
    faults.slow(400, rate=0.1, path="/api/v2/persons*")

    warped = WarpedTime()
    async with PipedriveClient(
        sandbox.base_url,
        sandbox.token,
        timeout=0.2,
        sleep=short_sleep,
        pacer=Pacer(burst_limit=10_000, search_limit=10_000, clock=warped.clock, sleep=warped.sleep),
    ) as client:
        engine = UpsertEngine(
            client,
            catalog,
            DEFAULTS,
            default_currency="EUR",
            recheck_delay=0.5,
            backoff_base=0.05,
            confirm_window=1.0,
        )
        last_name: dict[str, str] = {}
        for i in range(30):
            user = f"user-f{i % 6}"
            name = f"Person {i % 6} v{i}"
            result = await engine.run(
                "createUpdatePerson",
                {"match_value": user, "name": name, "custom_fields": {"Lead score": i}},
                "send",
            )
            assert result.outcome in ("create", "update"), result.message
            last_name[user] = name
            if i == 14:
                engine.cache.clear()  # a restart halfway: later events must find the records again
    fired = {r.fault for r in sandbox.state.requests if r.fault}
    assert {"rate_limit", "server_error", "slow", "drop"} <= fired
    assert warped.skipped >= 2.0  # the pacer held requests after the 429s
    for user, name in last_name.items():
        matches = sandbox.state.find("person", **{SEG_USER: user})
        assert len(matches) == 1, f"{user}: {len(matches)} records"
        assert matches[0]["name"] == name, f"{user}: lost update"
    assert_requests_follow_reference(sandbox)


async def test_lite_burst_limits_are_respected(sandbox, catalog):
    """With the sandbox enforcing a Lite plan's burst limits, the paced client never sees a 429."""
    sandbox.faults.enforce_burst = True
    sandbox.faults.burst_limit = 20
    sandbox.faults.search_burst_limit = 10
    sandbox.state.clear_requests()
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Pacer.for_plan("lite")) as client:
        engine = UpsertEngine(client, catalog, DEFAULTS, default_currency="EUR")
        for i in range(12):
            result = await engine.run(
                "createUpdatePerson", {"match_value": f"user-b{i % 4}", "name": f"B{i}"}, "send"
            )
            assert result.outcome in ("create", "update"), result.message
    assert not [r for r in sandbox.state.requests if r.status == 429]
    assert len(sandbox.state.requests) == 12 + 4  # 4 first-time searches, then cached ids


# -- the CLI -------------------------------------------------------------------------------------


async def _cli(sandbox, tmp_path, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, PIPEDRIVE_API_TOKEN=sandbox.token, PIPEDRIVE_DOMAIN="sandbox")
    env.pop("PIPEDRIVE_BASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pipedrive_gui",
        "--data-dir",
        str(tmp_path),
        "--base-url",
        sandbox.base_url,
        "send",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_cli_send_runs_every_triggered_mapping(sandbox, tmp_path):
    demo = str(resource_path("demo", "demo.pipedrive-map.json"))
    code, out, err = await _cli(sandbox, tmp_path, "--dry-run", demo, "Acme Robotics (group)")
    assert code == 0, err
    assert "Would create organization 'Acme Robotics'" in out
    assert not sandbox.state.requests_to("POST", "*")
    code, out, err = await _cli(sandbox, tmp_path, "--json", demo, "Acme Robotics (group)")
    assert code == 0, err
    (result,) = json.loads(out)["results"]
    assert result["outcome"] == "create" and result["link"].startswith(f"{sandbox.base_url}/organization/")
    assert sandbox.token not in out + err
    code, out, err = await _cli(sandbox, tmp_path, "--json", demo, "Pricing page view (page)")
    assert code == 0 and json.loads(out)["results"] == []
    event = tmp_path / "bad.json"
    event.write_text(
        json.dumps({"type": "identify", "userId": "user-77", "traits": {"name": "Q", "plan": "Gold"}})
    )
    code, out, err = await _cli(sandbox, tmp_path, demo, str(event))
    assert code == 1
    assert "Plan: 'Gold' is not one of Free, Pro, Enterprise" in out


async def test_stale_cached_association_is_checked_again(sandbox, engine, client):
    person_id, org_id = await _person_and_org(engine)
    await client.request("DELETE", f"/api/v2/persons/{person_id}")  # merged away in Pipedrive meanwhile
    result = await engine.run("createUpdateDeal", DEAL_EVENT, "send")
    assert result.outcome == "create", result.message
    deal = sandbox.state.get("deal", result.record_id)
    assert deal["org_id"] == org_id and deal.get("person_id") is None
    assert [r.status for r in sandbox.state.requests_to("POST", "/api/v2/deals")] == [400, 200]
    assert any("No person where Segment user ID = user-8001 was found" in w for w in result.warnings)


async def test_search_index_lag_does_not_duplicate_our_own_creates(sandbox, engine):
    sandbox.faults.search_lag_s = 30  # search does not see new records for 30 s
    for name in ("Lag One", "Lag Two", "Lag Three"):
        result = await engine.run("createUpdatePerson", {"match_value": "user-lag", "name": name}, "send")
        assert result.outcome in ("create", "update")
    assert len(sandbox.state.find("person", **{SEG_USER: "user-lag"})) == 1
    assert sandbox.state.find("person", **{SEG_USER: "user-lag"})[0]["name"] == "Lag Three"


async def test_cli_plan_needs_no_network_or_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    demo = str(resource_path("demo", "demo.pipedrive-map.json"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pipedrive_gui",
        "--data-dir",
        str(tmp_path),
        "send",
        "--plan",
        demo,
        "Deal won (Deal Upserted)",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "Will look up person where" in text and "PATCH /api/v2/deals/{id}" in text
    assert "POST /api/v2/deals" in text and "[not sent]" in text
