"""Field catalog: fetching (v2 + v1 fallbacks, pagination, concurrency), searchability, cache."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.errors import AuthError
from pipedrive_gui.pipedrive.fields import (
    FieldCatalog,
    PipedriveField,
    cache_path,
    fetch_catalog,
    get_catalog,
    load_cached,
    parse_field,
    save_cache,
)
from pipedrive_gui.pipedrive.pacing import Pacer

TOKEN = "fields-test-token-5c0ffee"
EXTERNAL_ID = "9f1c2d3e4b5a69788796a5b4c3d2e1f001122334"
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"
REVENUE = "1924676a305ba82f358ceb58630f9b5c4ef91f3e"
DEAL_SOURCE = "aa0126a15894687c771822a02954494f350d2f5e"


def v2(
    code: str, name: str, ftype: str, custom: bool, options: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "field_code": code,
        "field_name": name,
        "field_type": ftype,
        "is_custom_field": custom,
        "options": options,
        "subfields": None,
    }


PERSON_PAGES = {
    None: (
        [
            v2("id", "ID", "int", False),
            v2("name", "Name", "varchar", False),
            v2("email", "Email", "varchar", False),
            v2("owner_id", "Owner", "user", False),
        ],
        "p2",
    ),
    "p2": (
        [
            v2(EXTERNAL_ID, "External ID", "varchar", True),
            v2(PLAN, "Plan", "enum", True, [{"id": 101, "label": "Free"}, {"id": 102, "label": "Pro"}]),
            {
                **v2(REVENUE, "Revenue", "monetary", True),
                "subfields": [
                    {"field_code": f"{REVENUE}_currency", "field_name": "Currency", "field_type": "varchar"}
                ],
            },
        ],
        None,
    ),
}


class FakePipedrive:
    """Field endpoints of a small account; activityFields (v2) needs admin, no v1 leadFields."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.status_for: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return self.respond(request)
        finally:
            self.in_flight -= 1

    def respond(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in self.status_for:
            return httpx.Response(self.status_for[path], json={"success": False, "error": "nope"})
        if request.headers.get("x-api-token") != TOKEN:
            return httpx.Response(401, json={"success": False, "error": "unauthorized access"})
        if path == "/api/v2/personFields":
            items, nxt = PERSON_PAGES[request.url.params.get("cursor")]
            return self.ok(items, next_cursor=nxt)
        if path == "/api/v2/organizationFields":
            return self.ok(
                [v2("name", "Name", "varchar", False), v2("address", "Address", "address", False)],
                next_cursor=None,
            )
        if path == "/api/v2/dealFields":
            return self.ok(
                [
                    v2("title", "Title", "varchar", False),
                    v2("value", "Value", "monetary", False),
                    v2(DEAL_SOURCE, "Deal source", "varchar", True),
                ],
                next_cursor=None,
            )
        if path == "/api/v2/activityFields":
            return httpx.Response(403, json={"success": False, "error": "Admin only"})
        if path == "/api/v1/activityFields":
            return self.ok(
                [
                    {"id": 1, "key": "subject", "name": "Subject", "field_type": "varchar"},
                    {"id": 2, "key": "type", "name": "Type", "field_type": "enum"},
                ],
                pagination={"more_items_in_collection": False},
            )
        if path == "/api/v1/leadFields":
            return httpx.Response(404, json={"success": False, "error": "Not found"})
        if path == "/api/v1/noteFields":
            return self.ok(
                [
                    {"id": 1, "key": "content", "name": "Content", "field_type": "text"},
                    {"id": 2, "key": "deal_id", "name": "Deal", "field_type": "deal"},
                ]
            )
        if path == "/api/v1/activityTypes":
            return self.ok(
                [
                    {"id": 1, "name": "Call", "key_string": "call", "active_flag": True},
                    {"id": 2, "name": "Demo", "key_string": "demo_meeting", "active_flag": True},
                    {"id": 3, "name": "Fax", "key_string": "fax", "active_flag": False},
                ]
            )
        return httpx.Response(404, json={"success": False, "error": "unknown path"})

    @staticmethod
    def ok(data: Any, **extra: Any) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "data": data, "additional_data": extra or None})


def client_for(fake: FakePipedrive, token: str = TOKEN) -> PipedriveClient:
    # A roomy pacer: these tests fetch whole catalogs several times in a row.
    return PipedriveClient(
        "https://acme.pipedrive.com", token, transport=httpx.MockTransport(fake), pacer=Pacer(burst_limit=500)
    )


async def test_fetch_catalog_reads_every_entity() -> None:
    fake = FakePipedrive()
    async with client_for(fake) as client:
        catalog = await fetch_catalog(client, domain="acme")
    assert catalog.domain == "acme" and catalog.problems == {}
    person = catalog.fields("person")
    assert [f.key for f in person][:2] == ["id", "name"] and len(person) == 7  # both pages
    external = catalog.by_label("person", "external id")
    assert external is not None and external.key == EXTERNAL_ID and external.is_custom
    plan = catalog.by_key("person", PLAN)
    assert plan is not None and plan.type_label == "Single option"
    assert [(o.id, o.label) for o in plan.options] == [(101, "Free"), (102, "Pro")]
    assert plan.option_by_label("pro") is not None and plan.option_by_label("pro").id == 102  # type: ignore[union-attr]
    revenue = catalog.by_key("person", REVENUE)
    assert revenue is not None and revenue.subfields == (f"{REVENUE}_currency",)
    # activity: v2 needs admin rights → v1 fallback; lead: no leadFields → deal fields.
    assert [f.key for f in catalog.fields("activity")] == ["subject", "type"]
    assert "/api/v1/activityFields" in fake.calls
    assert catalog.by_key("lead", DEAL_SOURCE) is not None
    assert [f.key for f in catalog.fields("note")] == ["content", "deal_id"]
    assert [t.key_string for t in catalog.active_activity_types()] == ["call", "demo_meeting"]
    assert len(catalog.activity_types) == 3


async def test_fetches_run_concurrently() -> None:
    fake = FakePipedrive()
    async with client_for(fake) as client:
        await fetch_catalog(client, domain="acme")
    assert fake.max_in_flight > 1


async def test_match_fields_and_reasons() -> None:
    fake = FakePipedrive()
    async with client_for(fake) as client:
        catalog = await fetch_catalog(client, domain="acme")
    person_matches = {f.key: f.match_via for f in catalog.match_fields("person")}
    assert person_matches == {
        "id": "id",
        "name": "entity_search",
        "email": "entity_search",
        EXTERNAL_ID: "item_search",
        REVENUE: "item_search",
    }
    plan = catalog.by_key("person", PLAN)
    assert plan is not None and not plan.searchable
    assert "Single option" in (plan.not_searchable_reason or "")
    owner = catalog.by_key("person", "owner_id")
    assert owner is not None and "built-in field “Owner”" in (owner.not_searchable_reason or "")
    assert {f.key for f in catalog.match_fields("organization")} == {"id", "name", "address"}
    assert {f.key for f in catalog.match_fields("deal")} == {"id", "title", DEAL_SOURCE}
    assert {f.key for f in catalog.match_fields("lead")} >= {"id", "title", DEAL_SOURCE}
    assert catalog.match_fields("note") == () and catalog.match_fields("activity") == ()
    content = catalog.by_key("note", "content")
    assert content is not None and "by their ID only" in (content.not_searchable_reason or "")


async def test_forbidden_entity_is_a_problem_not_a_failure() -> None:
    fake = FakePipedrive()
    fake.status_for["/api/v2/organizationFields"] = 403
    async with client_for(fake) as client:
        catalog = await fetch_catalog(client, domain="acme")
    assert catalog.fields("organization") == ()
    assert "refused" in catalog.problems["organization"]
    assert catalog.fields("person")


async def test_bad_token_fails_the_whole_fetch() -> None:
    fake = FakePipedrive()
    async with client_for(fake, token="wrong-token") as client:
        with pytest.raises(AuthError, match="Personal preferences"):
            await fetch_catalog(client, domain="acme")


def test_custom_field_labels_cover_every_entity_and_only_custom_fields() -> None:
    catalog = FieldCatalog(
        "acme",
        datetime.now(timezone.utc),
        {
            "person": (
                PipedriveField("person", "name", "Name", "varchar"),
                PipedriveField("person", EXTERNAL_ID, "External ID", "varchar", is_custom=True),
            ),
            "deal": (PipedriveField("deal", DEAL_SOURCE, "Deal source", "enum", is_custom=True),),
        },
    )
    assert catalog.custom_field_labels() == {EXTERNAL_ID: "External ID", DEAL_SOURCE: "Deal source"}


def test_v1_field_shape() -> None:
    sub = parse_field(
        "person", {"key": f"{REVENUE}_currency", "name": "Revenue currency", "is_subfield": True}
    )
    assert sub is None
    assert (
        parse_field("person", {"key": "x", "name": "Old", "field_type": "varchar", "active_flag": False})
        is None
    )
    f = parse_field(
        "person",
        {
            "id": 9,
            "key": EXTERNAL_ID,
            "name": "External ID",
            "field_type": "varchar",
            "edit_flag": True,
            "options": None,
            "mandatory_flag": False,
        },
    )
    assert f is not None and f.is_custom and f.searchable and f.match_via == "item_search"
    enum = parse_field(
        "deal", {"key": PLAN, "name": "Tier", "field_type": "enum", "options": [{"id": "7", "label": "Gold"}]}
    )
    assert enum is not None and enum.options[0].id == 7


async def test_cache_roundtrip_and_age(tmp_path: Path) -> None:
    fake = FakePipedrive()
    async with client_for(fake) as client:
        catalog = await fetch_catalog(client, domain="acme")
    path = save_cache(tmp_path, catalog)
    assert path == cache_path(tmp_path, "acme") and path.exists()
    text = path.read_text()
    assert TOKEN not in text
    assert json.loads(text)["fetched_at"] == catalog.fetched_at.isoformat()
    loaded = load_cached(tmp_path, "acme")
    assert loaded is not None
    assert loaded.to_dict() == catalog.to_dict()
    assert load_cached(tmp_path, "other") is None
    later = catalog.fetched_at + timedelta(minutes=5, seconds=3)
    assert loaded.age(later) == timedelta(minutes=5, seconds=3)
    assert loaded.age_text(later) == "fetched 5 minutes ago"
    assert loaded.age_text(catalog.fetched_at + timedelta(days=1)) == "fetched 1 day ago"


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    path = cache_path(tmp_path, "acme")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_cached(tmp_path, "acme") is None
    path.write_text(json.dumps({"version": 999}))
    assert load_cached(tmp_path, "acme") is None


async def test_get_catalog_uses_cache_until_refresh(tmp_path: Path) -> None:
    fake = FakePipedrive()
    async with client_for(fake) as client:
        first = await get_catalog(client, tmp_path, "acme")
        n = len(fake.calls)
        again = await get_catalog(client, tmp_path, "acme")
        assert len(fake.calls) == n and again.fetched_at == first.fetched_at
        await get_catalog(client, tmp_path, "acme", refresh=True)
        assert len(fake.calls) > n
        old = FieldCatalog.from_dict(
            {**first.to_dict(), "fetched_at": (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()}
        )
        save_cache(tmp_path, old)
        m = len(fake.calls)
        fresh = await get_catalog(client, tmp_path, "acme", max_age=timedelta(hours=1))
    assert len(fake.calls) > m and fresh.age() < timedelta(minutes=1)


async def test_leads_inherit_deal_custom_fields() -> None:
    class Source:
        async def list_fields(self, entity: str) -> list[dict[str, Any]]:
            if entity == "lead":
                return [v2("title", "Title", "varchar", False)]
            if entity == "deal":
                return [
                    v2("title", "Title", "varchar", False),
                    v2(DEAL_SOURCE, "Deal source", "varchar", True),
                    v2(PLAN, "Tier", "enum", True, [{"id": 1, "label": "Gold"}]),
                ]
            return []

        async def list_activity_types(self) -> list[dict[str, Any]]:
            return []

    catalog = await fetch_catalog(Source(), domain="acme")
    lead_source = catalog.by_key("lead", DEAL_SOURCE)
    assert lead_source is not None and lead_source.entity == "lead" and lead_source.match_via == "item_search"
    tier = catalog.by_label("lead", "Tier")
    assert tier is not None and not tier.searchable and tier.options[0].label == "Gold"
    assert catalog.by_key("lead", "title") is not None and len(catalog.fields("lead")) == 4  # + id


def test_not_searchable_reason_names_the_type_with_its_article() -> None:
    employer = parse_field("person", v2(PLAN, "Employer", "org", True))
    assert employer is not None
    assert (employer.not_searchable_reason or "").endswith("“Employer” is an Organization field.")
    manager = parse_field("person", v2(PLAN, "Account manager", "user", True))
    assert manager is not None
    assert (manager.not_searchable_reason or "").endswith("“Account manager” is a User field.")
