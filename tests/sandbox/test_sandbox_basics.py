"""Envelopes, auth, account endpoints, field lists, headers, unknown paths, request log, isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from pipedrive_gui.sandbox.sdk_models import sdk_models
from tests.sandbox.conftest import key_of

SECRET = "my-very-secret-token-123"


async def test_users_me_is_sandy_of_sandbox_co(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and "additional_data" in body
    me = body["data"]
    assert (me["name"], me["company_name"], me["company_domain"]) == (
        "Sandy Sandbox",
        "Sandbox Co",
        "sandbox",
    )
    assert me["is_you"] is True and isinstance(me["id"], int) and isinstance(me["company_id"], int)


async def test_missing_bad_or_bearer_token_is_401_pipedrive_style(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as c:
        for headers in (
            {},
            {"x-api-token": ""},
            {"x-api-token": "bad-token"},
            {"Authorization": f"Bearer {sandbox.token}"},
        ):
            r = await c.get("/api/v1/users/me", headers=headers)
            assert r.status_code == 401, headers
            assert r.json() == {
                "success": False,
                "error": "unauthorized access",
                "errorCode": 401,
                "error_info": "Please check developers.pipedrive.com",
            }
        # The token in the query string is not accepted: header only.
        r = await c.get("/api/v1/users/me", params={"api_token": sandbox.token})
        assert r.status_code == 401
        assert sandbox.state.requests[-1].query == {"api_token": "<redacted>"}
        r = await c.get("/api/v2/persons/101", headers={"x-api-token": "anything-else"})
        assert r.status_code == 200


async def test_token_never_recorded_or_logged(sandbox: RunningSandbox, caplog: Any) -> None:
    caplog.set_level("DEBUG")
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"x-api-token": SECRET}) as c:
        await c.get("/api/v1/users/me")
        await c.post("/api/v2/persons", json={"name": "Z"})
    for rec in sandbox.state.requests:
        assert SECRET not in repr(rec)
        assert "x-api-token" not in rec.headers and rec.had_token
    assert SECRET not in caplog.text
    assert sandbox.state.calls() == ["GET /api/v1/users/me", "POST /api/v2/persons"]
    assert sandbox.state.requests[1].json == {"name": "Z"} and sandbox.state.requests[1].status == 200


async def test_activity_types_include_the_standard_keys(client: httpx.AsyncClient) -> None:
    data = (await client.get("/api/v1/activityTypes")).json()["data"]
    active = {t["key_string"] for t in data if t["active_flag"]}
    assert {"call", "meeting", "task", "deadline", "email", "lunch"} <= active
    assert all(
        {"id", "name", "key_string", "icon_key", "order_nr", "is_custom_flag"} <= t.keys() for t in data
    )
    assert any(not t["active_flag"] for t in data)  # a retired type the client must filter out


async def test_v2_fields_carry_the_seeded_custom_fields(
    client: httpx.AsyncClient, custom_fields: dict[str, Any]
) -> None:
    for entity in ("person", "organization", "deal"):
        r = await client.get(f"/api/v2/{entity}Fields", params={"limit": 500})
        body = r.json()
        assert body["additional_data"] == {"next_cursor": None}
        by_code = {f["field_code"]: f for f in body["data"]}
        for cf in custom_fields[entity]:
            got = by_code[cf["key"]]
            assert got["field_name"] == cf["label"] and got["field_type"] == cf["field_type"]
            assert got["is_custom_field"] is True
            if "options" in cf:
                assert [(o["id"], o["label"]) for o in got["options"]] == [
                    (o["id"], o["label"]) for o in cf["options"]
                ]
        assert by_code["name" if entity != "deal" else "title"]["is_custom_field"] is False
    monetary = key_of(custom_fields, "person", "Lifetime value")
    single = (await client.get(f"/api/v2/personFields/{monetary}")).json()["data"]
    assert [s["field_code"] for s in single["subfields"]] == ["value", "currency"]
    # Address fields list their parts as subfields: the keys of the SDK's address model.
    parts = list(sdk_models().properties("v2.OrganizationItemAddress"))
    address = (await client.get("/api/v2/organizationFields/address")).json()["data"]
    assert [s["field_code"] for s in address["subfields"]] == parts
    location = (await client.get("/api/v2/activityFields/location")).json()["data"]
    assert [s["field_code"] for s in location["subfields"]] == parts
    assert (await client.get("/api/v2/personFields/nope")).status_code == 404
    assert (await client.get("/api/v2/activityFields")).status_code == 200
    assert (await client.get("/api/v2/leadFields")).status_code == 404  # v1 only


async def test_v2_fields_paginate_with_cursor(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/api/v2/personFields", params=params)).json()
        seen += [f["field_code"] for f in body["data"]]
        pages += 1
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    full = (await client.get("/api/v2/personFields")).json()["data"]
    assert seen == [f["field_code"] for f in full] and pages > 2
    assert (await client.get("/api/v2/personFields", params={"cursor": "garbage"})).status_code == 400
    assert (await client.get("/api/v2/personFields", params={"limit": 501})).status_code == 400


async def test_v1_fields_and_lead_note_fields(
    client: httpx.AsyncClient, custom_fields: dict[str, Any]
) -> None:
    body = (await client.get("/api/v1/personFields", params={"start": 0, "limit": 5})).json()
    assert body["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 5,
        "more_items_in_collection": True,
        "next_start": 5,
    }
    rows = (await client.get("/api/v1/personFields", params={"limit": 500})).json()["data"]
    by_key = {r["key"]: r for r in rows}
    uid = key_of(custom_fields, "person", "Segment user ID")
    assert by_key[uid]["edit_flag"] is True and by_key[uid]["searchable_flag"] is True
    assert by_key[key_of(custom_fields, "person", "Plan")]["searchable_flag"] is False
    ltv = key_of(custom_fields, "person", "Lifetime value")
    assert by_key[f"{ltv}_currency"]["is_subfield"] is True
    leads = (await client.get("/api/v1/leadFields")).json()["data"]
    deal_keys = {f["key"] for f in custom_fields["deal"]}
    assert deal_keys <= {r["key"] for r in leads}  # leads inherit deal custom fields
    notes = (await client.get("/api/v1/noteFields")).json()
    assert "content" in {r["key"] for r in notes["data"]} and notes["additional_data"] is None


async def test_rate_limit_headers_on_every_answer(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/users/me", "/api/v2/persons/999999", "/api/v2/itemSearch/field"):
        r = await client.get(path)
        for h in (
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-daily-ratelimit-token-limit",
            "x-daily-ratelimit-token-remaining",
        ):
            assert h in r.headers, (path, h)
    a = await client.get("/api/v2/persons/101")
    b = await client.get("/api/v2/persons/101")
    assert int(b.headers["x-ratelimit-remaining"]) < int(a.headers["x-ratelimit-remaining"])
    assert (
        int(b.headers["x-daily-ratelimit-token-remaining"])
        == int(a.headers["x-daily-ratelimit-token-remaining"]) - 1
    )
    s = await client.get("/api/v2/persons/search", params={"term": "Ada"})
    assert s.headers["x-ratelimit-limit"] == "10"  # search API burst limit


async def test_unknown_and_deprecated_paths_answer_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/persons")
    assert r.status_code == 404 and r.json()["success"] is False and "deprecated" in r.json()["error"]
    r = await client.get("/api/v2/widgets/1")
    assert r.status_code == 404 and r.json()["code"] == "ERR_NOT_FOUND"
    r = await client.get("/v2/persons")
    assert r.status_code == 404 and r.json()["success"] is False
    r = await client.put("/api/v2/persons/101", json={"name": "x"})
    assert r.status_code == 405 and r.json()["success"] is False


async def test_instances_are_isolated() -> None:
    a = await start_sandbox()
    b = await start_sandbox()
    try:
        assert a.base_url != b.base_url
        async with httpx.AsyncClient(headers={"x-api-token": "t"}) as c:
            r = await c.post(f"{a.base_url}/api/v2/persons", json={"name": "Only In A"})
            new_id = r.json()["data"]["id"]
            a.faults.server_error(count=5)
            assert (await c.get(f"{b.base_url}/api/v2/persons/{new_id}")).status_code == 404
            assert (await c.get(f"{a.base_url}/api/v2/persons/{new_id}")).status_code == 500
        assert len(a.state.requests) == 2 and len(b.state.requests) == 1
        assert a.state.find("person", name="Only In A") and not b.state.find("person", name="Only In A")
    finally:
        await a.stop()
        await b.stop()
    await a.stop()  # stopping twice is harmless
    assert not a.running
    async with httpx.AsyncClient() as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(f"{a.base_url}/api/v1/users/me")
    # A restart is a fresh copy of the seed.
    c2 = await start_sandbox()
    try:
        assert not c2.state.find("person", name="Only In A")
        assert len(c2.state.records("person")) == 20
    finally:
        await c2.stop()


async def test_control_plane_reset_and_request_log(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    await client.post("/api/v2/organizations", json={"name": "Temp Org"})
    log = (await client.get("/__sandbox/requests")).json()
    assert [e["path"] for e in log] == ["/api/v2/organizations"] and all(
        "x-api-token" not in e["headers"] for e in log
    )
    assert (await client.post("/__sandbox/reset")).json() == {"ok": True}
    assert not sandbox.state.find("organization", name="Temp Org") and sandbox.state.requests == []
    await client.post("/api/v2/organizations", json={"name": "Temp Org"})
    sandbox.reset()
    assert not sandbox.state.find("organization", name="Temp Org") and sandbox.state.requests == []
    async with httpx.AsyncClient() as anonymous:  # the control plane needs no token
        assert (await anonymous.get(f"{sandbox.base_url}/__sandbox/health")).json() == {
            "ok": True,
            "service": "pipedrive-gui sandbox",
            "request_models": sdk_models().version,
        }


async def test_record_links_open_readable_pages_without_a_token(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as browser:
        page = await browser.get("/person/101")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        text = page.text
        assert "Ada Lovelace" in text and "Acme Analytics" in text and "user-1001" in text
        assert "Pro" in text and "Analytics, CRM" in text  # option ids shown as their labels
        assert "<li>Ada prefers email over calls.</li>" in text  # note HTML shown as its text, never run
        assert (
            "Linus website enquiry"
            in (await browser.get("/leads/inbox/4b2f9a2e-1d7c-4f3e-9a51-0c6a8e2d7b11")).text
        )
        assert "Acme annual licence" in (await browser.get("/deal/301")).text
        assert "Intro call with Ada" in (await browser.get("/activities/list")).text
        assert "Sandbox Co" in (await browser.get("/")).text
        assert (await browser.get("/deal/999")).status_code == 404
    assert sandbox.state.requests == []  # pages are not API calls
