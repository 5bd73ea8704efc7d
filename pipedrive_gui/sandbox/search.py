"""Search: ``GET /api/v2/itemSearch/field`` and the entity searches ``/api/v2/{entity}/search``.

itemSearch/field is case-sensitive in every match mode; entity search ``exact_match`` is a full,
case-insensitive match (docs/pipedrive-api.md#lookups). Answers have the shapes of the official
SDK's response models (``sdk_models``): itemSearch/field ``data`` is a list of ``ItemSearchItem``
``{result_score, item}``, as entity search ``data.items`` is; the SDK types ``item`` as a free object
and the sandbox puts ``id``, ``type``, the record's name or title and the matched value in it (the API
reference's example shows ``{id, name}``).
System keys as ``field``: unconfirmed (docs/pipedrive-api.md#unconfirmed, item 2); the sandbox
accepts the searchable system text fields (name, email, phone, title, address) and refuses ``id``
with a hint to GET by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedrive_gui.core.wording import with_article
from pipedrive_gui.sandbox.catalog import ITEM_SEARCH_TYPES, SYSTEM_SEARCHABLE
from pipedrive_gui.sandbox.errors import validation_failed
from pipedrive_gui.sandbox.paging import page_v2
from pipedrive_gui.sandbox.store import SandboxStore

ITEM_SEARCH_ENTITIES = ("deal", "lead", "person", "organization", "product", "project")
ENTITY_SEARCH_FIELDS = {
    "person": ("custom_fields", "email", "notes", "phone", "name"),
    "organization": ("address", "custom_fields", "notes", "name"),
    "deal": ("custom_fields", "notes", "title"),
    "lead": ("custom_fields", "notes", "title"),
}


def as_text(value: Any) -> str | None:
    """The searchable text of a stored value (numbers without a trailing .0)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, dict) and "value" in value:
        return as_text(value["value"])  # monetary / address objects
    return None


def field_texts(store: SandboxStore, entity: str, record: dict[str, Any], field: str) -> list[str]:
    """Every text value of one field of a record (emails/phones have several)."""
    f = store.catalog.get(entity, field)
    if f is not None and f.is_custom:
        raw = record.get(field) if entity == "lead" else (record.get("custom_fields") or {}).get(field)
        values = [raw]
    elif field == "email":
        values = [e.get("value") for e in record.get("emails") or []]
    elif field == "phone":
        values = [p.get("value") for p in record.get("phones") or []]
    else:
        values = [record.get(field)]
    return [t for t in (as_text(v) for v in values) if t is not None]


def _min_length(term: str, exact: bool, version: int = 2) -> None:
    need = 1 if exact else 2
    if len(term) < need:
        raise validation_failed(version, [f"term: must be at least {need} characters long"])


def _visible(store: SandboxStore, entity: str, lag_s: float) -> list[dict[str, Any]]:
    records = store.live(entity)
    if lag_s > 0:
        # Simulated search-index lag: records written moments ago are not searchable yet.
        records = [r for r in records if not store.written_within(entity, r["id"], lag_s)]
    return records


def item_search_field(
    store: SandboxStore, query: Mapping[str, str], lag_s: float = 0.0
) -> tuple[list[Any], dict[str, Any]]:
    problems = [f"{p}: is required" for p in ("term", "entity_type", "field") if not query.get(p)]
    if problems:
        raise validation_failed(2, problems)
    term, entity, field = query["term"], query["entity_type"], query["field"]
    match = query.get("match", "exact")
    if match not in ("exact", "beginning", "middle"):
        raise validation_failed(2, [f"match: must be exact, beginning or middle, got {match!r}"])
    if entity not in ITEM_SEARCH_ENTITIES:
        raise validation_failed(
            2, [f"entity_type: must be one of {', '.join(ITEM_SEARCH_ENTITIES)}, got {entity!r}"]
        )
    _min_length(term, match == "exact")
    if entity in ("product", "project"):
        return page_v2([], query)
    f = store.catalog.get(entity, field)
    if field == "id":
        raise validation_failed(
            2, [f"field: 'id' is not searchable; fetch the record with GET /api/v2/{entity}s/{{id}}"]
        )
    if f is None:
        raise validation_failed(
            2, [f"field: {field!r} is not {with_article(entity)} field (see the {entity} fields list)"]
        )
    if f.is_custom and f.field_type not in ITEM_SEARCH_TYPES:
        raise validation_failed(
            2,
            [
                f"field: custom fields of type {f.field_type} cannot be searched "
                f"(searchable types: {', '.join(sorted(ITEM_SEARCH_TYPES))})"
            ],
        )
    if not f.is_custom and field not in SYSTEM_SEARCHABLE[entity]:
        raise validation_failed(2, [f"field: {field!r} is not searchable"])
    hits = []
    for record in _visible(store, entity, lag_s):
        for text in field_texts(store, entity, record, field):
            if (
                (match == "exact" and text == term)
                or (match == "beginning" and text.startswith(term))
                or (match == "middle" and term in text)
            ):
                title = "title" if entity in ("deal", "lead") else "name"
                item = {
                    "id": record["id"],
                    "type": entity,
                    title: store.display_name(entity, record),
                    field: text,
                }
                score = 1.0 if text == term else round(len(term) / max(len(text), 1), 3)
                hits.append({"result_score": score, "item": item})
                break
    return page_v2(hits, query)


def _parse_bool(query: Mapping[str, str], name: str) -> bool:
    raw = query.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        # v2 booleans are true/false only (docs/pipedrive-api.md#v2-types).
        raise validation_failed(2, [f"{name}: must be true or false, got {raw!r}"])
    return raw == "true"


def entity_search(
    store: SandboxStore, entity: str, query: Mapping[str, str], lag_s: float = 0.0
) -> tuple[Any, dict[str, Any]]:
    term = query.get("term")
    if not term:
        raise validation_failed(2, ["term: is required"])
    exact = _parse_bool(query, "exact_match")
    _min_length(term, exact)
    allowed = ENTITY_SEARCH_FIELDS[entity]
    fields = [f.strip() for f in query.get("fields", "").split(",") if f.strip()] or list(allowed)
    wrong = [f for f in fields if f not in allowed]
    if wrong:
        raise validation_failed(
            2, [f"fields: {', '.join(wrong)} not allowed for {entity} search (allowed: {', '.join(allowed)})"]
        )
    filters = _filters(entity, query)
    needle = term.casefold()
    text_customs = [k for k, f in store.catalog.custom(entity).items() if f.field_type in ITEM_SEARCH_TYPES]
    items: list[dict[str, Any]] = []
    for record in _visible(store, entity, lag_s):
        if any(record.get(k) != v for k, v in filters.items()):
            continue
        best = 0.0
        matched_custom: list[str] = []
        for name in fields:
            if name == "custom_fields":
                texts = [(k, t) for k in text_customs for t in field_texts(store, entity, record, k)]
            elif name == "notes":
                texts = [
                    ("notes", n["content"]) for n in store.live("note") if _note_of(n, entity, record["id"])
                ]
            else:
                texts = [(name, t) for t in field_texts(store, entity, record, name)]
            for _key, text in texts:
                folded = text.casefold()
                hit = folded == needle if exact else needle in folded
                if hit:
                    best = max(best, 1.0 if folded == needle else round(len(needle) / max(len(folded), 1), 3))
                    if name == "custom_fields":
                        matched_custom.append(text)
        if best > 0:
            items.append({"result_score": best, "item": _summary(store, entity, record, matched_custom)})
    items.sort(key=lambda i: -i["result_score"])
    chunk, extra = page_v2(items, query)
    return {"items": chunk}, extra


def _filters(entity: str, query: Mapping[str, str]) -> dict[str, Any]:
    names = {"person_id": "person_id", "organization_id": "org_id" if entity != "lead" else "organization_id"}
    out: dict[str, Any] = {}
    for param, key in names.items():
        raw = query.get(param)
        if raw is None or (param == "person_id" and entity not in ("deal", "lead")):
            continue
        if param == "organization_id" and entity == "organization":
            continue
        if not raw.isdigit():
            raise validation_failed(2, [f"{param}: must be an integer, got {raw!r}"])
        out[key] = int(raw)
    if entity == "deal" and query.get("status"):
        if query["status"] not in ("open", "won", "lost"):
            raise validation_failed(2, [f"status: must be open, won or lost, got {query['status']!r}"])
        out["status"] = query["status"]
    return out


def _note_of(note: dict[str, Any], entity: str, record_id: Any) -> bool:
    key = {"person": "person_id", "organization": "org_id", "deal": "deal_id", "lead": "lead_id"}[entity]
    return bool(note.get(key) == record_id)


def _ref_summary(store: SandboxStore, entity: str, record_id: Any) -> dict[str, Any] | None:
    rec = store.get(entity, record_id) if record_id is not None else None
    if rec is None:
        return None
    out: dict[str, Any] = {"id": rec["id"], "name": store.display_name(entity, rec)}
    if entity == "organization":
        out["address"] = as_text(rec.get("address"))
    return out


def _summary(store: SandboxStore, entity: str, rec: dict[str, Any], custom: list[str]) -> dict[str, Any]:
    base: dict[str, Any] = {"id": rec["id"], "type": entity}
    owner = {"id": rec.get("owner_id")}
    if entity == "person":
        base.update(
            name=rec["name"],
            phones=[p["value"] for p in rec.get("phones") or []],
            emails=[e["value"] for e in rec.get("emails") or []],
            visible_to=rec.get("visible_to"),
            owner=owner,
            organization=_ref_summary(store, "organization", rec.get("org_id")),
            custom_fields=custom,
            notes=[],
            update_time=rec.get("update_time"),
        )
    elif entity == "organization":
        base.update(
            name=rec["name"],
            address=as_text(rec.get("address")),
            visible_to=rec.get("visible_to"),
            owner=owner,
            custom_fields=custom,
            notes=[],
            update_time=rec.get("update_time"),
        )
    elif entity == "deal":
        stage = store.stages.get(rec.get("stage_id") or 0)
        base.update(
            title=rec["title"],
            value=rec.get("value"),
            currency=rec.get("currency"),
            status=rec.get("status"),
            visible_to=rec.get("visible_to"),
            owner=owner,
            stage={"id": stage["id"], "name": stage["name"]} if stage else None,
            person=_ref_summary(store, "person", rec.get("person_id")),
            organization=_ref_summary(store, "organization", rec.get("org_id")),
            custom_fields=custom,
            notes=[],
            update_time=rec.get("update_time"),
        )
    else:
        value = rec.get("value") or {}
        base.update(
            title=rec["title"],
            owner=owner,
            person=_ref_summary(store, "person", rec.get("person_id")),
            organization=_ref_summary(store, "organization", rec.get("organization_id")),
            phones=[],
            emails=[],
            custom_fields=custom,
            notes=[],
            value=value.get("amount"),
            currency=value.get("currency"),
            visible_to=int(rec.get("visible_to") or 3),
            is_archived=rec.get("is_archived", False),
        )
    return base
