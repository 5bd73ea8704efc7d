"""Route handlers: the Pipedrive endpoints the app calls, plus v1 field lists (docs/pipedrive-api.md).

v2: persons, organizations, deals, activities (list/get/create/patch/delete), their ``*Fields``,
``persons|organizations|deals|leads/search`` and ``itemSearch/field``. v1: ``users/me``,
``activityTypes``, ``*Fields`` (incl. leadFields, noteFields), leads and notes (list/get/create/update/
delete). The deprecated v1 entity endpoints (``/api/v1/persons`` ...) are not served: they are out of
support (docs/pipedrive-api.md#api-v1-deprecation).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pipedrive_gui.core.actions import ENTITIES
from pipedrive_gui.sandbox.errors import not_found, validation_failed
from pipedrive_gui.sandbox.faults import FaultSettings
from pipedrive_gui.sandbox.leads_notes import (
    create_lead,
    create_note,
    delete_lead,
    delete_note,
    render_note,
    update_lead,
    update_note,
    validate_lead,
    validate_note,
)
from pipedrive_gui.sandbox.paging import page_v1, page_v2
from pipedrive_gui.sandbox.search import entity_search, item_search_field
from pipedrive_gui.sandbox.state import SandboxState
from pipedrive_gui.sandbox.store import LABEL, PLURAL, SINGULAR, V2_ENTITIES
from pipedrive_gui.sandbox.validate_v2 import validate_v2_body
from pipedrive_gui.sandbox.writes import create_v2, delete_v2, update_v2

STATE_KEY: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
FAULTS_KEY: web.AppKey[FaultSettings] = web.AppKey("sandbox_faults", FaultSettings)
# aiohttp >= 3.13 wants typed request keys; older versions take a plain string.
_REQUEST_KEY = getattr(web, "RequestKey", None)
BODY_KEY: Any = _REQUEST_KEY("sandbox_json_body", object) if _REQUEST_KEY else "sandbox_json_body"
FIELD_ENDPOINTS = {f"{e}Fields": e for e in ENTITIES}
V2_FIELD_ENTITIES = ("person", "organization", "deal", "activity")


def ok(data: Any, additional_data: Any = None, status: int = 200) -> web.Response:
    body = {"success": True, "data": data, "additional_data": additional_data}
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _state(request: web.Request) -> SandboxState:
    return request.app[STATE_KEY]


def _body(request: web.Request) -> Any:
    return request.get(BODY_KEY)


def _int_id(raw: str, version: int) -> int:
    if not raw.isdigit():
        raise validation_failed(version, [f"id: must be an integer, got {raw!r}"])
    return int(raw)


# -- v1 account ---------------------------------------------------------------------------------


async def users_me(request: web.Request) -> web.Response:
    store = _state(request).store
    user = store.users[store.me_id]
    company = store.company
    data = {
        "id": user["id"],
        "name": user["name"],
        "email": user.get("email"),
        "phone": user.get("phone"),
        "default_currency": user.get("default_currency", "EUR"),
        "locale": user.get("locale", "en_US"),
        "lang": user.get("lang", 1),
        "activated": True,
        "active_flag": True,
        "is_admin": user.get("is_admin", True),
        "last_login": "2026-11-30 08:00:00",
        "created": "2025-06-01 09:00:00",
        "modified": "2026-11-30 08:00:00",
        "has_created_company": True,
        "access": [{"app": "sales", "admin": True, "permission_set_id": "sandbox-admin"}],
        "timezone_name": user.get("timezone_name", "UTC"),
        "timezone_offset": user.get("timezone_offset", "+00:00"),
        "role_id": user.get("role_id", 1),
        "icon_url": None,
        "is_you": True,
        "is_deleted": False,
        "company_id": company["id"],
        "company_name": company["name"],
        "company_domain": company["domain"],
        "company_country": company.get("country"),
        "company_industry": company.get("industry"),
        "language": {"language_code": "en", "country_code": "US"},
    }
    return ok(data)


async def activity_types(request: web.Request) -> web.Response:
    return ok([dict(t) for t in _state(request).store.activity_types])


# -- fields ---------------------------------------------------------------------------------------


def _field_entity(request: web.Request, version: int) -> str:
    name = request.match_info["fields"]
    entity = FIELD_ENDPOINTS.get(name)
    if entity is None or (version == 2 and entity not in V2_FIELD_ENTITIES):
        raise not_found(version, f"Unknown fields endpoint {name}")
    return entity


async def fields_v2(request: web.Request) -> web.Response:
    entity = _field_entity(request, 2)
    include = frozenset(i for i in request.query.get("include_fields", "").split(",") if i)
    allowed = (
        {"ui_visibility"}
        if entity == "activity"
        else {"ui_visibility", "important_fields", "required_fields"}
    )
    if include - allowed:
        raise validation_failed(2, [f"include_fields: must be among {', '.join(sorted(allowed))}"])
    rows = [f.to_v2(include) for f in _state(request).store.catalog.fields(entity)]
    chunk, extra = page_v2(rows, request.query)
    return ok(chunk, extra)


async def field_v2(request: web.Request) -> web.Response:
    entity = _field_entity(request, 2)
    f = _state(request).store.catalog.get(entity, request.match_info["code"])
    if f is None:
        raise not_found(2, "Field not found")
    return ok(f.to_v2())


async def fields_v1(request: web.Request) -> web.Response:
    entity = _field_entity(request, 1)
    rows = _state(request).store.catalog.v1_rows(entity)
    if entity in ("activity", "note"):
        return ok(rows)  # these two take no paging parameters (docs/pipedrive-api.md#paging)
    chunk, extra = page_v1(rows, request.query)
    return ok(chunk, extra)


# -- v2 entities ------------------------------------------------------------------------------------


def _v2_entity(request: web.Request) -> str:
    entity = SINGULAR.get(request.match_info["collection"])
    if entity not in V2_ENTITIES:
        raise not_found(2, f"Unknown endpoint /api/v2/{request.match_info['collection']}")
    return entity


def _v2_record(request: web.Request, entity: str) -> dict[str, Any]:
    rid = _int_id(request.match_info["id"], 2)
    rec = _state(request).store.get(entity, rid)
    if rec is None:
        raise not_found(2, f"{LABEL[entity]} not found")
    return rec


def _custom_selector(request: web.Request, entity: str) -> list[str] | None:
    """``custom_fields=k1,k2``: only these custom fields in the answer (≤ 15 keys, docs/pipedrive-api.md#v2-types)."""
    raw = request.query.get("custom_fields")
    if raw is None:
        return None
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if len(keys) > 15:
        raise validation_failed(2, [f"custom_fields: at most 15 keys, got {len(keys)}"])
    unknown = [k for k in keys if k not in _state(request).store.catalog.custom(entity)]
    if unknown:
        raise validation_failed(2, [f"custom_fields: unknown {entity} custom field {unknown[0]!r}"])
    return keys


def _shaped(record: dict[str, Any], keys: list[str] | None) -> dict[str, Any]:
    if keys is None:
        return record
    return {**record, "custom_fields": {k: record["custom_fields"].get(k) for k in keys}}


async def list_v2(request: web.Request) -> web.Response:
    entity = _v2_entity(request)
    records = _state(request).store.live(entity)
    filters = {
        "owner_id": "owner_id",
        "person_id": "person_id",
        "org_id": "org_id",
        "deal_id": "deal_id",
        "stage_id": "stage_id",
        "pipeline_id": "pipeline_id",
    }
    for param, key in filters.items():
        raw = request.query.get(param)
        if raw is not None:
            value = _int_id(raw, 2)
            records = [r for r in records if r.get(key) == value]
    if "ids" in request.query:
        wanted = {_int_id(x.strip(), 2) for x in request.query["ids"].split(",") if x.strip()}
        records = [r for r in records if r["id"] in wanted]
    records = _sorted(records, request.query)
    keys = _custom_selector(request, entity)
    chunk, extra = page_v2(records, request.query)
    return ok([_shaped(r, keys) for r in chunk], extra)


#: ``sort_by`` of the v2 list endpoints (SDK ``getPersons``/``getOrganizations``/``getDeals``/
#: ``getActivities``: "Supported fields: id, update_time, add_time"), ``sort_direction`` asc|desc.
SORT_FIELDS = ("id", "update_time", "add_time")


def _sorted(records: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    sort_by = query.get("sort_by", "id")
    direction = query.get("sort_direction", "asc")
    if sort_by not in SORT_FIELDS:
        raise validation_failed(2, [f"sort_by: must be one of {', '.join(SORT_FIELDS)}, got {sort_by!r}"])
    if direction not in ("asc", "desc"):
        raise validation_failed(2, [f"sort_direction: must be asc or desc, got {direction!r}"])
    # Timestamps are RFC 3339 in UTC, so they sort as text; the id breaks ties.
    return sorted(
        records,
        key=lambda r: (str(r.get(sort_by) or "") if sort_by != "id" else "", r["id"]),
        reverse=direction == "desc",
    )


async def get_v2(request: web.Request) -> web.Response:
    entity = _v2_entity(request)
    return ok(_shaped(_v2_record(request, entity), _custom_selector(request, entity)))


async def create_v2_handler(request: web.Request) -> web.Response:
    entity = _v2_entity(request)
    store = _state(request).store
    changes = validate_v2_body(store, entity, _body(request), creating=True)
    # 200 vs 201 on create is unconfirmed (docs/pipedrive-api.md#unconfirmed, item 7); clients must accept any 2xx.
    return ok(create_v2(store, entity, changes))


async def patch_v2(request: web.Request) -> web.Response:
    entity = _v2_entity(request)
    store = _state(request).store
    rec = _v2_record(request, entity)
    changes = validate_v2_body(store, entity, _body(request), creating=False, current=rec)
    return ok(update_v2(store, entity, rec, changes))


async def delete_v2_handler(request: web.Request) -> web.Response:
    entity = _v2_entity(request)
    rec = _v2_record(request, entity)
    delete_v2(_state(request).store, entity, rec)
    return ok({"id": rec["id"]})


async def search_v2(request: web.Request) -> web.Response:
    entity = SINGULAR.get(request.match_info["collection"])
    if entity not in ("person", "organization", "deal", "lead"):
        raise not_found(2, f"Unknown endpoint /api/v2/{request.match_info['collection']}/search")
    state = _state(request)
    lag = request.app[FAULTS_KEY].search_lag_s
    data, extra = entity_search(state.store, entity, request.query, lag)
    return ok(data, extra)


async def item_search(request: web.Request) -> web.Response:
    lag = request.app[FAULTS_KEY].search_lag_s
    chunk, extra = item_search_field(_state(request).store, request.query, lag)
    return ok(chunk, extra)


# -- v1 leads -------------------------------------------------------------------------------------


def _lead(request: web.Request) -> dict[str, Any]:
    rec = _state(request).store.get("lead", request.match_info["id"])
    if rec is None:
        raise not_found(1, "Lead not found")
    return rec


async def list_leads(request: web.Request) -> web.Response:
    records = _state(request).store.live("lead")
    archived = request.query.get("archived_status", "not_archived")
    if archived == "archived":
        records = [r for r in records if r.get("is_archived")]
    elif archived == "not_archived":
        records = [r for r in records if not r.get("is_archived")]
    chunk, extra = page_v1(records, request.query)
    return ok(chunk, extra)


async def get_lead(request: web.Request) -> web.Response:
    return ok(_lead(request))


async def post_lead(request: web.Request) -> web.Response:
    store = _state(request).store
    changes = validate_lead(store, _body(request), creating=True)
    # v1 leads answer 201 Created on POST (best guess; any 2xx is fine for clients).
    return ok(create_lead(store, changes), status=201)


async def patch_lead(request: web.Request) -> web.Response:
    store = _state(request).store
    current = _lead(request)
    changes = validate_lead(store, _body(request), creating=False, current=current)
    return ok(update_lead(store, current, changes))


async def delete_lead_handler(request: web.Request) -> web.Response:
    # The official SDK's answer model (v1 LeadsApi.deleteLead -> GetLeadIdResponse): {"id": "<uuid>"}.
    current = _lead(request)
    delete_lead(_state(request).store, current)
    return ok({"id": current["id"]})


# -- v1 notes -------------------------------------------------------------------------------------


def _note(request: web.Request) -> dict[str, Any]:
    rid = _int_id(request.match_info["id"], 1)
    rec = _state(request).store.get("note", rid)
    if rec is None:
        raise not_found(1, "Note not found")
    return rec


async def list_notes(request: web.Request) -> web.Response:
    store = _state(request).store
    records = store.live("note")
    for key in ("person_id", "org_id", "deal_id", "user_id"):
        if key in request.query:
            value = _int_id(request.query[key], 1)
            records = [r for r in records if r.get(key) == value]
    if "lead_id" in request.query:
        records = [r for r in records if r.get("lead_id") == request.query["lead_id"]]
    chunk, extra = page_v1(records, request.query)
    return ok([render_note(store, n) for n in chunk], extra)


async def get_note(request: web.Request) -> web.Response:
    return ok(render_note(_state(request).store, _note(request)))


async def post_note(request: web.Request) -> web.Response:
    store = _state(request).store
    changes = validate_note(store, _body(request), creating=True)
    return ok(render_note(store, create_note(store, changes)))


async def put_note(request: web.Request) -> web.Response:
    store = _state(request).store
    current = _note(request)
    changes = validate_note(store, _body(request), creating=False)
    return ok(render_note(store, update_note(store, current, changes)))


async def delete_note_handler(request: web.Request) -> web.Response:
    # The official SDK's answer model (v1 NotesApi.deleteNote -> DeleteNoteResponse): data is a boolean.
    current = _note(request)
    delete_note(_state(request).store, current)
    return ok(True)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/users/me", users_me)
    r.add_get("/api/v1/activityTypes", activity_types)
    r.add_get("/api/v1/{fields:[a-zA-Z]+Fields}", fields_v1)
    r.add_get("/api/v2/{fields:[a-zA-Z]+Fields}", fields_v2)
    r.add_get("/api/v2/{fields:[a-zA-Z]+Fields}/{code}", field_v2)
    r.add_get("/api/v2/itemSearch/field", item_search)
    r.add_get("/api/v2/{collection}/search", search_v2)
    r.add_get("/api/v2/{collection}", list_v2)
    r.add_post("/api/v2/{collection}", create_v2_handler)
    r.add_get("/api/v2/{collection}/{id}", get_v2)
    r.add_patch("/api/v2/{collection}/{id}", patch_v2)
    r.add_delete("/api/v2/{collection}/{id}", delete_v2_handler)
    r.add_get("/api/v1/leads", list_leads)
    r.add_post("/api/v1/leads", post_lead)
    r.add_get("/api/v1/leads/{id}", get_lead)
    r.add_patch("/api/v1/leads/{id}", patch_lead)
    r.add_delete("/api/v1/leads/{id}", delete_lead_handler)
    r.add_get("/api/v1/notes", list_notes)
    r.add_post("/api/v1/notes", post_note)
    r.add_get("/api/v1/notes/{id}", get_note)
    r.add_put("/api/v1/notes/{id}", put_note)
    r.add_delete("/api/v1/notes/{id}", delete_note_handler)


__all__ = ["add_routes", "STATE_KEY", "BODY_KEY", "FAULTS_KEY", "PLURAL"]
