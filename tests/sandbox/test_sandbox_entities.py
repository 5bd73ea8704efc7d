"""v2 create/read/update/delete, strict typing, referential checks; v1 leads and notes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pipedrive_gui.sandbox import RunningSandbox
from tests.sandbox.conftest import key_of

UID = "52d19da55d7099e586a31be618830bcd5c239d54"  # person "Segment user ID" (varchar)
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"  # person "Plan" (enum 101-103)
LTV = "1924676a305ba82f358ceb58630f9b5c4ef91f3e"  # person "Lifetime value" (monetary)
SCORE = "bb528bfcd8fe8d563d06f31606db33cee39c9fd9"  # person "Lead score" (double)
SIGNUP = "d1a68c39c3625323a5504750132917ed07349573"  # person "Signup date" (date)
INTERESTS = "026d222d4a614a1589da403db5e26edc1077b364"  # person "Interests" (set 104-106)
DEAL_SID = "36a55f412247e226b1ecb70efcaf0daeed656961"  # deal "Segment deal ID" (varchar)
DEAL_SRC = "eb439a21f8e73a2e467bf7a6336bad7aa3ee9e35"  # deal "Lead source" (enum 111-114)
LEAD_ID = "4b2f9a2e-1d7c-4f3e-9a51-0c6a8e2d7b11"


def test_constants_match_the_seeded_custom_fields(custom_fields: dict[str, Any]) -> None:
    assert key_of(custom_fields, "person", "Segment user ID") == UID
    assert key_of(custom_fields, "person", "Plan") == PLAN
    assert key_of(custom_fields, "person", "Interests") == INTERESTS
    assert key_of(custom_fields, "deal", "Lead source") == DEAL_SRC


async def test_seed_is_a_realistic_company(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    persons = (await client.get("/api/v2/persons", params={"limit": 500})).json()["data"]
    assert len(persons) == 20
    assert sum(p["custom_fields"][UID] is not None for p in persons) >= 15
    assert persons[0]["custom_fields"][UID] == "user-1001"
    assert len((await client.get("/api/v2/organizations")).json()["data"]) == 8
    assert len((await client.get("/api/v2/deals")).json()["data"]) == 10
    assert (await client.get("/api/v2/activities")).json()["data"]
    assert (await client.get("/api/v1/leads")).json()["data"]
    assert (await client.get("/api/v1/notes")).json()["data"]


async def test_v2_list_pages_with_cursor(client: httpx.AsyncClient) -> None:
    ids: list[int] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        body = (await client.get("/api/v2/persons", params=params)).json()
        ids += [p["id"] for p in body["data"]]
        if body["additional_data"]["next_cursor"] is None:
            break
        params["cursor"] = body["additional_data"]["next_cursor"]
    assert ids == list(range(101, 121))


async def test_v2_list_sorted_newest_first(client: httpx.AsyncClient) -> None:
    """``sort_by``/``sort_direction`` (SDK getPersons): a read of the newest records, which search lag does not hide."""
    new = (await client.post("/api/v2/persons", json={"name": "Newest"})).json()["data"]["id"]
    body = (
        await client.get("/api/v2/persons", params={"sort_by": "id", "sort_direction": "desc", "limit": 3})
    ).json()
    assert [p["id"] for p in body["data"]] == [new, 120, 119] and body["additional_data"]["next_cursor"]
    body = (await client.get("/api/v2/deals", params={"sort_by": "add_time", "sort_direction": "asc"})).json()
    times = [d["add_time"] for d in body["data"]]
    assert times == sorted(times)
    for params in ({"sort_by": "name"}, {"sort_direction": "down"}):
        r = await client.get("/api/v2/persons", params=params)
        assert r.status_code == 400 and "sort_" in r.json()["error"]


async def test_person_create_then_get_patch_delete(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Mary Jackson",
        "emails": [
            {"value": "mary@example.com", "primary": True, "label": "work"},
            {"value": "mj@home.example"},
        ],
        "phones": [{"value": "+1 555 0199"}],
        "org_id": 204,
        "visible_to": 3,
        "add_time": "2026-11-30T09:15:00Z",
        "custom_fields": {
            UID: "user-9001",
            PLAN: 102,
            LTV: {"value": 500, "currency": "USD"},
            SCORE: 4.5,
            SIGNUP: "2026-01-31",
            INTERESTS: [104, 106],
        },
    }
    r = await client.post("/api/v2/persons", json=body)
    assert r.status_code in (200, 201), r.text
    created = r.json()["data"]
    pid = created["id"]
    assert created["emails"][1] == {"value": "mj@home.example", "primary": False, "label": "work"}
    assert created["phones"][0]["primary"] is True
    assert created["add_time"] == "2026-11-30T09:15:00Z" and created["custom_fields"][PLAN] == 102
    got = (await client.get(f"/api/v2/persons/{pid}")).json()["data"]
    assert got == created
    r = await client.patch(
        f"/api/v2/persons/{pid}", json={"custom_fields": {SCORE: 9}, "emails": [{"value": "new@example.com"}]}
    )
    patched = r.json()["data"]
    assert patched["custom_fields"][SCORE] == 9 and patched["custom_fields"][UID] == "user-9001"  # merge
    assert [e["value"] for e in patched["emails"]] == ["new@example.com"]  # replace
    r = await client.patch(f"/api/v2/persons/{pid}", json={"custom_fields": {INTERESTS: None}})
    assert r.json()["data"]["custom_fields"][INTERESTS] is None
    assert (await client.delete(f"/api/v2/persons/{pid}")).json()["data"] == {"id": pid}
    r = await client.get(f"/api/v2/persons/{pid}")
    assert r.status_code == 404 and r.json() == {
        "success": False,
        "error": "Person not found",
        "code": "ERR_NOT_FOUND",
    }


async def test_custom_fields_selector_on_gets(client: httpx.AsyncClient) -> None:
    one = (await client.get("/api/v2/persons/101", params={"custom_fields": f"{UID},{PLAN}"})).json()["data"]
    assert one["custom_fields"] == {UID: "user-1001", PLAN: 102} and one["name"] == "Ada Lovelace"
    many = (await client.get("/api/v2/persons", params={"custom_fields": UID, "limit": 2})).json()["data"]
    assert [p["custom_fields"] for p in many] == [{UID: "user-1001"}, {UID: "user-1002"}]
    assert (await client.get("/api/v2/persons/101", params={"custom_fields": "nope"})).status_code == 400


async def test_unknown_ids_are_404_and_non_numeric_ids_400(client: httpx.AsyncClient) -> None:
    for coll in ("persons", "organizations", "deals", "activities"):
        assert (await client.get(f"/api/v2/{coll}/999999")).status_code == 404
        assert (await client.patch(f"/api/v2/{coll}/999999", json={})).status_code == 404
    assert (await client.get("/api/v2/persons/abc")).status_code == 400


BAD_PERSON_BODIES = [
    ({"name": "A", "visible_to": "3"}, "visible_to"),
    ({"name": "A", "visible_to": 2}, "visible_to"),
    ({"name": "A", "owner_id": "1"}, "owner_id"),
    ({"name": "A", "org_id": 999}, "org_id: Organization not found"),
    ({"name": "A", "org_id": 101}, "org_id: Organization not found"),  # a person id is not an org id
    ({"name": "A", "owner_id": 77}, "owner_id: User not found"),
    ({"name": "A", "emails": "a@b.c"}, "emails"),
    ({"name": "A", "emails": ["a@b.c"]}, "emails[0]"),
    ({"name": "A", "emails": [{"value": "a@b.c", "primary": 1}]}, "emails[0].primary"),
    (
        {"name": "A", "emails": [{"value": "a@b.c", "primary": True}, {"value": "d@e.f", "primary": True}]},
        "primary",
    ),
    ({"name": "A", "email": ["a@b.c"]}, "email: is not an allowed property (use emails"),
    ({"name": "A", "custom_fields": {"0" * 40: "x"}}, "unknown custom field"),
    ({"name": "A", "custom_fields": {PLAN: 999}}, "option 999 does not exist"),
    ({"name": "A", "custom_fields": {PLAN: "102"}}, "must be an option id (integer)"),
    ({"name": "A", "custom_fields": {LTV: 500}}, LTV),
    ({"name": "A", "custom_fields": {LTV: {"value": 500}}}, f"{LTV}.currency: is required"),
    ({"name": "A", "custom_fields": {LTV: {"value": "500", "currency": "USD"}}}, "must be a number"),
    ({"name": "A", "custom_fields": {SCORE: "5"}}, "must be a number"),
    ({"name": "A", "custom_fields": {SIGNUP: "31/01/2026"}}, "YYYY-MM-DD"),
    ({"name": "A", "custom_fields": {INTERESTS: []}}, "non-empty array"),
    ({"name": "A", "custom_fields": {INTERESTS: [104, 999]}}, "option 999"),
    ({"name": "A", "custom_fields": {UID: 1001}}, "must be a string"),
    ({"name": "A", "custom_fields": {"label": "x"}}, "unknown custom field"),
    ({"name": "A", "add_time": "2026-11-30 09:15:00"}, "RFC 3339"),
    ({"name": "A", "add_time": "2026-11-30T09:15"}, "RFC 3339"),
    # Not in the SDK's AddPersonRequest: v2 persons take the whole name in `name`.
    ({"name": "A", "first_name": "Ada"}, "first_name: is not an allowed property"),
    ({"name": "A", "last_name": "Lovelace"}, "last_name: is not an allowed property"),
    ({"name": "A", "marketing_status": "opted_in"}, "marketing_status: must be one of"),
    ({"name": "A", "label_ids": [99]}, "label 99"),
    ({"name": 5}, "name: must be a string"),
    ({"visible_to": 3}, "name: is required"),
]


@pytest.mark.parametrize(("body", "needle"), BAD_PERSON_BODIES)
async def test_person_strictness(
    client: httpx.AsyncClient, sandbox: RunningSandbox, body: dict[str, Any], needle: str
) -> None:
    before = len(sandbox.state.records("person"))
    r = await client.post("/api/v2/persons", json=body)
    assert r.status_code == 400, r.text
    err = r.json()
    assert err["success"] is False and err["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    assert err["error"].startswith("Validation failed: ") and needle in err["error"], err["error"]
    assert len(sandbox.state.records("person")) == before  # nothing half-written


@pytest.mark.parametrize(
    "stamp", ["2026-11-30T09:15:00.123Z", "2026-11-30T09:15:00.5+02:00", "2026-11-30T09:15:00Z"]
)
async def test_rfc3339_timestamps_with_fractional_seconds_are_accepted(
    client: httpx.AsyncClient, stamp: str
) -> None:
    r = await client.post("/api/v2/persons", json={"name": "A", "add_time": stamp})
    assert r.status_code == 200, r.text
    r = await client.post("/api/v2/organizations", json={"name": "O", "add_time": stamp})
    assert r.status_code == 200, r.text


async def test_patch_rejects_post_only_and_contact_sync_fields(client: httpx.AsyncClient) -> None:
    r = await client.patch("/api/v2/persons/101", json={"add_time": "2026-11-30T09:15:00Z"})
    assert r.status_code == 400 and "only be set when creating" in r.json()["error"]
    r = await client.post("/api/v2/persons", json={"name": "A", "job_title": "CTO"})
    assert r.status_code == 403 and "Contact Sync" in r.json()["error"]


async def test_bodies_must_be_json_objects(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v2/persons", content=b"name=A", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v2/persons", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["success"] is False
    r = await client.post("/api/v2/persons", json=[{"name": "A"}])
    assert r.status_code == 400


async def test_organization_create_with_address_and_custom_fields(
    client: httpx.AsyncClient, custom_fields: dict[str, Any]
) -> None:
    gid = key_of(custom_fields, "organization", "Segment group ID")
    industry = key_of(custom_fields, "organization", "Industry")
    r = await client.post(
        "/api/v2/organizations",
        json={
            "name": "Hooli",
            "address": {"value": "1 Main St, Palo Alto", "locality": "Palo Alto"},
            "custom_fields": {gid: "group-9", industry: 107},
            "visible_to": 7,
        },
    )
    org = r.json()["data"]
    assert org["address"]["locality"] == "Palo Alto" and org["address"]["country"] is None
    assert org["custom_fields"][gid] == "group-9"
    assert (await client.post("/api/v2/organizations", json={"visible_to": 3})).status_code == 400
    bad = await client.post("/api/v2/organizations", json={"name": "X", "custom_fields": {industry: 101}})
    assert bad.status_code == 400 and "option 101" in bad.json()["error"]  # a person option id


async def test_deal_rules(client: httpx.AsyncClient) -> None:
    ok = await client.post(
        "/api/v2/deals",
        json={
            "title": "New deal",
            "value": 5000,
            "currency": "EUR",
            "person_id": 101,
            "org_id": 201,
            "stage_id": 6,
            "custom_fields": {DEAL_SID: "deal-9", DEAL_SRC: 112},
        },
    )
    deal = ok.json()["data"]
    assert deal["pipeline_id"] == 2 and deal["status"] == "open" and deal["value"] == 5000
    for body, needle in [
        ({"title": "D", "value": "5000"}, "value: must be a number"),
        ({"title": "D", "add_time": "2026-11-30T09:15:00Z"}, "add_time: is not supported"),
        ({"title": "D", "person_id": 999}, "person_id: Person not found"),
        ({"title": "D", "org_id": 101}, "org_id: Organization not found"),
        ({"title": "D", "status": "deleted"}, "status"),
        ({"title": "D", "stage_id": 6, "pipeline_id": 1}, "not in pipeline"),
        ({"title": "D", "user_id": 1}, "use owner_id"),
        ({"title": "D", "currency": "euro"}, "currency"),
        ({"value": 1}, "title: is required"),
    ]:
        r = await client.post("/api/v2/deals", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
    won = await client.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"})
    assert won.json()["data"]["won_time"] is not None


async def test_activity_rules(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v2/activities",
        json={
            "subject": "Call Ada",
            "type": "call",
            "participants": [{"person_id": 101, "primary": True}],
            "deal_id": 301,
            "org_id": 201,
            "due_date": "2026-12-01",
            "due_time": "10:00",
            "duration": "00:30",
            "done": True,
            "public_description": "Agenda",
        },
    )
    act = r.json()["data"]
    assert act["person_id"] == 101 and act["done"] is True and act["marked_as_done_time"]
    default = (await client.post("/api/v2/activities", json={"deal_id": 301})).json()["data"]
    assert default["type"] == "call" and default["subject"] == "Call"
    for body, needle in [
        ({"type": "webinar"}, "activity type 'webinar' does not exist"),
        ({"type": "old_webinar"}, "does not exist"),  # inactive types are not usable
        ({"done": 1}, "done: must be a boolean"),
        ({"person_id": "101"}, "person_id: must be a number"),
        ({"person_id": 999}, "person_id: Person not found"),
        ({"outcom": 1}, "outcom: is not an allowed property"),
        ({"participants": [{"person_id": 999, "primary": True}]}, "Person not found"),
        ({"due_time": "10am"}, "due_time"),
        ({"lead_id": 5}, "lead_id"),
        ({"lead_id": "00000000-0000-4000-8000-000000000000"}, "Lead not found"),
    ]:
        r = await client.post("/api/v2/activities", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
    r = await client.patch(f"/api/v2/activities/{act['id']}", json={"done": False})
    assert r.json()["data"]["marked_as_done_time"] is None


async def test_activity_person_id_is_accepted_and_sets_the_primary_participant(
    client: httpx.AsyncClient,
) -> None:
    # The SDK's AddActivityRequest (used for POST and PATCH) has person_id.
    r = await client.post("/api/v2/activities", json={"subject": "Call", "type": "call", "person_id": 101})
    assert r.status_code == 200, r.text
    act = r.json()["data"]
    assert act["person_id"] == 101 and act["participants"] == [{"person_id": 101, "primary": True}]
    r = await client.patch(f"/api/v2/activities/{act['id']}", json={"person_id": 102})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["person_id"] == 102
    assert r.json()["data"]["participants"] == [
        {"person_id": 102, "primary": True},
        {"person_id": 101, "primary": False},
    ]
    # A PATCH without person_id/participants leaves the participants alone.
    r = await client.patch(f"/api/v2/activities/{act['id']}", json={"subject": "Call back"})
    assert [p["person_id"] for p in r.json()["data"]["participants"]] == [102, 101]


async def test_deal_status_only_keys(client: httpx.AsyncClient) -> None:
    """lost_reason only with status lost, close_time with won/lost (notes of the SDK's AddDealRequest)."""
    for body, needle in [
        ({"title": "D", "status": "won", "lost_reason": "Price"}, "lost_reason: can only be set when"),
        ({"title": "D", "lost_reason": "Price"}, "status is open"),
        (
            {"title": "D", "status": "open", "close_time": "2026-11-30T09:15:00Z"},
            "close_time: can only be set",
        ),
        ({"title": "D", "status": "lost", "won_time": "2026-11-30T09:15:00Z"}, "won_time: can only be set"),
    ]:
        r = await client.post("/api/v2/deals", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
    lost = await client.post(
        "/api/v2/deals",
        json={"title": "D", "status": "lost", "lost_reason": "Price", "close_time": "2026-11-30T09:15:00Z"},
    )
    assert lost.status_code == 200, lost.text
    deal_id = lost.json()["data"]["id"]
    # A PATCH is judged by the deal's status when the body does not change it.
    assert (await client.patch(f"/api/v2/deals/{deal_id}", json={"lost_reason": "Timing"})).status_code == 200
    r = await client.patch("/api/v2/deals/301", json={"lost_reason": "Timing"})
    assert r.status_code == 400 and "lost_reason" in r.json()["error"]


async def test_leads_v1(client: httpx.AsyncClient) -> None:
    got = (await client.get(f"/api/v1/leads/{LEAD_ID}")).json()["data"]
    assert got["title"] == "Linus website enquiry" and got[DEAL_SID] == "lead-4001"
    r = await client.post(
        "/api/v1/leads",
        json={
            "title": "New lead",
            "person_id": 101,
            "value": {"amount": 100, "currency": "EUR"},
            "visible_to": "3",
            DEAL_SID: "lead-9",
        },
    )
    assert r.status_code in (200, 201), r.text
    lead = r.json()["data"]
    assert isinstance(lead["id"], str) and len(lead["id"]) == 36 and lead["source_name"] == "API"
    r = await client.patch(f"/api/v1/leads/{lead['id']}", json={"title": "Renamed", "organization_id": 201})
    assert r.json()["data"]["title"] == "Renamed" and r.json()["data"][DEAL_SID] == "lead-9"
    for body, needle in [
        ({"title": "L"}, "person_id or an organization_id"),
        ({"title": "L", "person_id": 101, "visible_to": 3}, "visible_to"),
        ({"title": "L", "org_id": 201}, "use organization_id"),
        ({"title": "L", "person_id": 101, "value": 100}, "value"),
        ({"title": "L", "person_id": 101, "value": {"amount": 100}}, "value.currency"),
        ({"title": "L", "person_id": 101, DEAL_SRC: "999"}, "does not exist"),
        ({"title": "L", "person_id": "101"}, "person_id: must be a number"),
    ]:
        r = await client.post("/api/v1/leads", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
        assert r.json()["error_info"] == "Please check developers.pipedrive.com"
    r = await client.get("/api/v1/leads/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json() == {
        "success": False,
        "error": "Lead not found",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


async def test_notes_v1(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/notes",
        json={
            "content": "<p>Hi</p><script>x()</script>",
            "person_id": 101,
            "pinned_to_person_flag": 1,
            "lead_id": LEAD_ID,
        },
    )
    note = r.json()["data"]
    assert note["content"] == "<p>Hi</p>" and note["pinned_to_person_flag"] is True
    assert note["person"] == {"name": "Ada Lovelace"} and note["lead_id"] == LEAD_ID
    r = await client.put(f"/api/v1/notes/{note['id']}", json={"content": "<p>Edited</p>"})
    assert r.json()["data"]["content"] == "<p>Edited</p>" and r.json()["data"]["person_id"] == 101
    assert (await client.get(f"/api/v1/notes/{note['id']}")).json()["data"]["content"] == "<p>Edited</p>"
    listed = (await client.get("/api/v1/notes", params={"person_id": 101})).json()["data"]
    assert note["id"] in [n["id"] for n in listed]
    for body, needle in [
        ({"content": "x"}, "needs one of"),
        ({"person_id": 101}, "content: is required"),
        ({"content": "x", "deal_id": 101}, "Deal not found"),
        ({"content": "x", "lead_id": 7}, "lead_id"),
        ({"content": "x", "person_id": 101, "pinned_to_person_flag": "yes"}, "must be one of 0, 1"),
        # The SDK types pin flags as the numbers 0/1, not booleans.
        (
            {"content": "x", "person_id": 101, "pinned_to_person_flag": True},
            "must be one of 0, 1, got boolean",
        ),
        ({"content": "x", "person_id": 101, "add_time": "2026-11-30T09:00:00Z"}, "HH:MM:SS"),
    ]:
        r = await client.post("/api/v1/notes", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
    assert (await client.get("/api/v1/notes/999999")).status_code == 404
