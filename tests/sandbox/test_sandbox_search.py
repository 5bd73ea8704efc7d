"""Search exactness: itemSearch/field (case-sensitive) and entity search (exact_match case-insensitive)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pipedrive_gui.sandbox import RunningSandbox
from pipedrive_gui.sandbox.sdk_models import sdk_models

UID = "52d19da55d7099e586a31be618830bcd5c239d54"
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"
LTV = "1924676a305ba82f358ceb58630f9b5c4ef91f3e"
SCORE = "bb528bfcd8fe8d563d06f31606db33cee39c9fd9"
GID = "d4dfe30411effdb15017a7c96e7721cb9adbfa72"
DEAL_SID = "36a55f412247e226b1ecb70efcaf0daeed656961"


def ids(response: httpx.Response) -> list[Any]:
    return [entry["item"]["id"] for entry in response.json()["data"]]


async def field_search(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    params.setdefault("match", "exact")
    return await client.get("/api/v2/itemSearch/field", params=params)


async def test_item_search_field_exact_custom_field(client: httpx.AsyncClient) -> None:
    r = await field_search(client, term="user-1001", entity_type="person", field=UID)
    # The SDK's GetItemSearchFieldResponse: data is a list of ItemSearchItem {result_score, item}.
    assert r.json() == {
        "success": True,
        "data": [
            {
                "result_score": 1.0,
                "item": {"id": 101, "type": "person", "name": "Ada Lovelace", UID: "user-1001"},
            }
        ],
        "additional_data": {"next_cursor": None},
    }
    assert (
        sdk_models().check_answer(sdk_models().response_model("GET", "/api/v2/itemSearch/field"), r.json())
        == []
    )
    # Exact means the whole value, case-sensitively.
    assert (await field_search(client, term="user-100", entity_type="person", field=UID)).json()["data"] == []
    assert (await field_search(client, term="USER-1001", entity_type="person", field=UID)).json()[
        "data"
    ] == []
    org = await field_search(client, term="group-2003", entity_type="organization", field=GID)
    assert ids(org) == [203]
    deal = await field_search(client, term="deal-3001", entity_type="deal", field=DEAL_SID)
    assert ids(deal) == [301] and deal.json()["data"][0]["item"]["title"]
    lead = await field_search(client, term="lead-4001", entity_type="lead", field=DEAL_SID)
    assert ids(lead) == ["4b2f9a2e-1d7c-4f3e-9a51-0c6a8e2d7b11"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v2/persons/search", {"term": "ada", "fields": "name,email"}),
        ("/api/v2/organizations/search", {"term": "acme", "fields": "name"}),
        ("/api/v2/deals/search", {"term": "pilot", "fields": "title"}),
        ("/api/v2/leads/search", {"term": "referral", "fields": "title"}),
        (
            "/api/v2/itemSearch/field",
            {"term": "user", "entity_type": "person", "field": UID, "match": "beginning"},
        ),
    ],
)
async def test_search_answers_have_the_sdk_response_shapes(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    r = await client.get(path, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    data = body["data"] if path.endswith("/field") else body["data"]["items"]
    assert data and all(set(entry) == {"result_score", "item"} and entry["item"]["id"] for entry in data)
    assert sdk_models().check_answer(sdk_models().response_model("GET", path), body) == []


async def test_item_search_field_default_match_is_exact(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v2/itemSearch/field", params={"term": "user-10", "entity_type": "person", "field": UID}
    )
    assert r.json()["data"] == []


async def test_item_search_field_beginning_middle_and_numbers(client: httpx.AsyncClient) -> None:
    begin = await field_search(client, term="user-100", entity_type="person", field=UID, match="beginning")
    assert ids(begin) == [101, 102, 103, 104, 105, 106, 107, 109]  # 108 has none
    assert begin.json()["data"][0]["result_score"] < 1  # a partial match scores below an exact one
    middle = await field_search(client, term="-101", entity_type="person", field=UID, match="middle")
    assert ids(middle) == [110, 111, 112, 113, 115, 116, 117, 118, 119]
    score = await field_search(client, term="88", entity_type="person", field=SCORE)
    assert ids(score) == [101]
    money = await field_search(client, term="12500", entity_type="person", field=LTV)
    assert ids(money) == [101]


async def test_item_search_field_pagination(client: httpx.AsyncClient) -> None:
    found: list[int] = []
    params: dict[str, Any] = {
        "term": "user",
        "entity_type": "person",
        "field": UID,
        "match": "beginning",
        "limit": 5,
    }
    while True:
        body = (await client.get("/api/v2/itemSearch/field", params=params)).json()
        found += [d["item"]["id"] for d in body["data"]]
        if not body["additional_data"]["next_cursor"]:
            break
        params["cursor"] = body["additional_data"]["next_cursor"]
    assert len(found) == 17 and len(set(found)) == 17


async def test_item_search_field_rejects_bad_queries(client: httpx.AsyncClient) -> None:
    cases = [
        ({"entity_type": "person", "field": UID}, "term: is required"),
        ({"term": "x", "entity_type": "person", "field": UID, "match": "beginning"}, "at least 2"),
        ({"term": "x", "entity_type": "persons", "field": UID}, "entity_type"),
        ({"term": "x", "entity_type": "person", "field": PLAN}, "cannot be searched"),  # enum
        ({"term": "x", "entity_type": "person", "field": "0" * 40}, "is not a person field"),
        ({"term": "x", "entity_type": "organization", "field": "0" * 40}, "is not an organization field"),
        ({"term": "101", "entity_type": "person", "field": "id"}, "GET /api/v2/persons/{id}"),
        ({"term": "x", "entity_type": "person", "field": UID, "match": "fuzzy"}, "match"),
        ({"term": "x", "entity_type": "person", "field": UID, "limit": "1000"}, "limit"),
    ]
    for params, needle in cases:
        r = await client.get("/api/v2/itemSearch/field", params=params)
        assert r.status_code == 400 and needle in r.json()["error"], (params, r.text)
    one = await field_search(client, term="x", entity_type="person", field=UID)
    assert one.status_code == 200  # 1 character is enough for exact


async def test_person_search_by_email_is_exact_and_case_insensitive(client: httpx.AsyncClient) -> None:
    async def emails(term: str, exact: str = "true") -> list[int]:
        r = await client.get(
            "/api/v2/persons/search", params={"term": term, "fields": "email", "exact_match": exact}
        )
        body = r.json()
        assert body["success"] is True and body["additional_data"] == {"next_cursor": None}
        return [i["item"]["id"] for i in body["data"]["items"]]

    assert await emails("ada@example.com") == [101]
    assert await emails("ADA@EXAMPLE.COM") == [101]
    assert await emails("jane.doe@example.com") == [119]  # stored as Jane.Doe@Example.com
    assert await emails("ada@example") == []  # exact: no partial match
    assert sorted(await emails("jane.doe", exact="false")) == [119, 120]
    r = await client.get(
        "/api/v2/persons/search", params={"term": "ada@example.com", "fields": "email", "exact_match": "true"}
    )
    item = r.json()["data"]["items"][0]
    assert item["result_score"] == 1.0
    assert item["item"]["emails"][0] == "ada@example.com" and item["item"]["organization"]["id"] == 201
    assert item["item"]["type"] == "person" and item["item"]["owner"] == {"id": 2}


async def test_entity_search_validation_and_other_entities(client: httpx.AsyncClient) -> None:
    bad = [
        {"term": "a", "fields": "email"},  # 2 chars unless exact
        {"term": "ada", "fields": "title"},
        {"term": "ada", "exact_match": "1"},
        {"fields": "email"},
    ]
    for params in bad:
        assert (await client.get("/api/v2/persons/search", params=params)).status_code == 400, params
    names = await client.get(
        "/api/v2/persons/search", params={"term": "jane doe", "fields": "name", "exact_match": "true"}
    )
    assert sorted(i["item"]["id"] for i in names.json()["data"]["items"]) == [119, 120]
    orgs = await client.get(
        "/api/v2/organizations/search", params={"term": "acme analytics", "exact_match": "true"}
    )
    assert [i["item"]["id"] for i in orgs.json()["data"]["items"]] == [201]
    deals = await client.get("/api/v2/deals/search", params={"term": "Acme", "status": "won"})
    assert [i["item"]["id"] for i in deals.json()["data"]["items"]] == [309]
    custom = await client.get(
        "/api/v2/persons/search",
        params={"term": "user-1005", "fields": "custom_fields", "exact_match": "true"},
    )
    assert [i["item"]["id"] for i in custom.json()["data"]["items"]] == [105]
    leads = await client.get("/api/v2/leads/search", params={"term": "referral"})
    assert [i["item"]["title"] for i in leads.json()["data"]["items"]] == ["Hedy referral"]


async def test_writes_are_searchable_and_lag_can_be_simulated(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    await client.post(
        "/api/v2/persons",
        json={
            "name": "Fresh",
            "emails": [{"value": "fresh@example.com"}],
            "custom_fields": {UID: "user-7777"},
        },
    )
    assert ids(await field_search(client, term="user-7777", entity_type="person", field=UID))
    sandbox.faults.search_lag_s = 60
    await client.post("/api/v2/persons", json={"name": "Lagging", "custom_fields": {UID: "user-8888"}})
    assert (await field_search(client, term="user-8888", entity_type="person", field=UID)).json()[
        "data"
    ] == []
    r = await client.get(
        "/api/v2/persons/search", params={"term": "Lagging", "fields": "name", "exact_match": "true"}
    )
    assert r.json()["data"]["items"] == []
    sandbox.faults.search_lag_s = 0
    assert (await field_search(client, term="user-8888", entity_type="person", field=UID)).json()["data"]
