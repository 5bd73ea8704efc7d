"""v1 leads and notes: validation and writes (docs/pipedrive-api.md#leads-api-v1, #notes-api-v1).

Bodies are checked first against the official SDK's request models (``sdk_models``:
``AddLeadRequest``/``UpdateLeadRequest``, ``AddNoteRequest``/``NoteRequest``), then by the
sandbox's own rules (ids that exist, dates, a lead or note needs a link).
Leads carry deal custom fields at the record root in v1 format (monetary as ``k`` + ``k_currency``,
enum as the option id): the lead models do not list them, the operation's description does, so
those keys (and only those) are allowed besides the model's. Non-text lead custom shapes are
unconfirmed; the sandbox accepts the v1 shapes of docs/pipedrive-api.md#custom-field-values (enum id
as string or integer, set as ``"1,2"`` or an id array). ``AddNoteRequest`` allows extra keys (the
model says so); the sandbox ignores them.
"""

from __future__ import annotations

import re
from typing import Any

from pipedrive_gui.sandbox import checks
from pipedrive_gui.sandbox.catalog import FieldDef
from pipedrive_gui.sandbox.errors import validation_failed
from pipedrive_gui.sandbox.sdk_models import sdk_models
from pipedrive_gui.sandbox.store import SandboxStore, lead_time, v1_time
from pipedrive_gui.sandbox.validate_v2 import REF_MESSAGES, Ctx, exists

NOTE_PIN_FLAGS = tuple(
    f"pinned_to_{t}_flag" for t in ("lead", "deal", "organization", "person", "project", "task")
)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)


def _ref(ctx: Ctx, path: str, kind: str, value: Any, *, nullable: bool) -> None:
    if value is None and nullable:
        return
    problem = checks.want_uuid(value) if kind == "lead" else checks.want_int(value)
    if problem:
        ctx.bad(path, problem)
    elif not exists(ctx.store, kind, value):
        ctx.bad(path, REF_MESSAGES[kind])


def _lead_custom(ctx: Ctx, f: FieldDef, key: str, value: Any) -> None:
    if value is None:
        return
    t = f.field_type
    if t in ("varchar", "varchar_auto", "text", "phone", "address"):
        problem = checks.want_str(value)
    elif t in ("double", "monetary"):
        problem = checks.want_number(value)
    elif t == "date":
        problem = checks.want_date(value)
    elif t == "enum":
        ok = (checks.is_int(value) and value in f.option_ids) or (
            isinstance(value, str) and value.isdigit() and int(value) in f.option_ids
        )
        problem = None if ok else f"option {value!r} does not exist in field '{f.name}'"
    elif t == "set":
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
        ok = items is not None and all(
            str(i).strip().isdigit() and int(str(i)) in f.option_ids for i in items
        )
        problem = None if ok else f"options {value!r} do not all exist in field '{f.name}'"
    else:
        problem = checks.want_int(value) if t in ("user", "org", "people") else None
    if problem:
        ctx.bad(key, problem)


def _top_key(problem: str) -> str:
    return problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]


_LEAD_HINTS = {
    "org_id": "leads use organization_id",
    "custom_fields": "lead custom fields go at the root, v1 format",
}


def _lead_unknown(path: str) -> str:
    hint = _LEAD_HINTS.get(path)
    return f"is not an allowed property ({hint})" if hint else "is not an allowed property"


def validate_lead(
    store: SandboxStore, body: Any, *, creating: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    ctx = Ctx(store, "lead", creating, version=1)
    if not isinstance(body, dict):
        raise validation_failed(1, [f"body: must be a JSON object, got {checks.type_name(body)}"])
    custom = store.catalog.custom("lead")
    currency_keys = {f"{k}_currency": k for k, f in custom.items() if f.field_type == "monetary"}
    model = (
        sdk_models().body_model("POST", "/api/v1/leads")
        if creating
        else sdk_models().body_model("PATCH", "/api/v1/leads/{id}")
    )
    standard = {k: v for k, v in body.items() if k not in custom and k not in currency_keys}
    structural = sdk_models().check(model, standard, unknown=_lead_unknown)
    ctx.problems.extend(structural)
    flagged = {_top_key(p) for p in structural}
    for key, value in body.items():
        if key in flagged:
            continue
        if key == "title":
            if value is not None and (problem := checks.want_str(value, nonempty=True)):
                ctx.bad(key, problem)
        elif key in ("person_id", "organization_id"):
            _ref(ctx, key, "person" if key == "person_id" else "organization", value, nullable=not creating)
        elif key == "owner_id":
            _ref(ctx, key, "user", value, nullable=False)
        elif key == "value":
            if value is not None and (p := checks.want_currency(value["currency"])):
                ctx.bad("value.currency", p)
        elif key == "expected_close_date":
            if value is not None and (problem := checks.want_date(value)):
                ctx.bad(key, problem)
        elif key == "label_ids":
            if any(v not in store.lead_label_ids for v in value):
                ctx.bad(key, f"must be an array of existing lead label ids (UUID strings), got {value!r}")
        elif key in custom:
            _lead_custom(ctx, custom[key], key, value)
        elif key in currency_keys:
            if value is not None and (problem := checks.want_currency(value)):
                ctx.bad(key, problem)
    for cur_key, base in currency_keys.items():
        has_value = body.get(base) is not None
        has_currency = body.get(cur_key) is not None or (
            current is not None and current.get(cur_key) is not None
        )
        if has_value and not has_currency:
            ctx.bad(cur_key, f"is required when {base} ({custom[base].name}) is set")
    if creating:
        if body.get("person_id") is None and body.get("organization_id") is None:
            ctx.bad("person_id", "a lead needs a person_id or an organization_id")
    elif current is not None:
        merged = {**current, **body}
        if merged.get("person_id") is None and merged.get("organization_id") is None:
            ctx.bad("person_id", "a lead needs a person_id or an organization_id")
    if ctx.problems:
        raise validation_failed(1, ctx.problems)
    return dict(body)


def create_lead(store: SandboxStore, changes: dict[str, Any]) -> dict[str, Any]:
    now = lead_time(store.now())
    rec = {
        "id": store.new_id("lead"),
        "add_time": now,
        "update_time": now,
        "source_name": "API",
        "origin": "API",
        **changes,
    }
    return store.put("lead", store.complete_lead(rec))


def update_lead(store: SandboxStore, current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    rec = {**current, **changes, "update_time": lead_time(store.now())}
    return store.put("lead", store.complete_lead(rec))


def delete_lead(store: SandboxStore, current: dict[str, Any]) -> None:
    """``DELETE /v1/leads/{id}``: gone for later reads (404), like a v2 delete."""
    store.put("lead", {**current, "is_deleted": True, "update_time": lead_time(store.now())})


def validate_note(store: SandboxStore, body: Any, *, creating: bool) -> dict[str, Any]:
    ctx = Ctx(store, "note", creating, version=1)
    if not isinstance(body, dict):
        raise validation_failed(1, [f"body: must be a JSON object, got {checks.type_name(body)}"])
    model = (
        sdk_models().body_model("POST", "/api/v1/notes")
        if creating
        else sdk_models().body_model("PUT", "/api/v1/notes/{id}")
    )
    known = sdk_models().properties(model)
    structural = sdk_models().check(model, body)
    ctx.problems.extend(structural)
    flagged = {_top_key(p) for p in structural}
    out: dict[str, Any] = {}
    refs = {
        "deal_id": "deal",
        "person_id": "person",
        "org_id": "organization",
        "lead_id": "lead",
        "project_id": "project",
        "task_id": "project",
        "user_id": "user",
    }
    for key, value in body.items():
        if key in flagged or key not in known:
            continue  # refused above, or an extra key the create model allows and the sandbox ignores
        if key == "content":
            if problem := checks.want_str(value, nonempty=True):
                ctx.bad(key, problem)
            else:
                # Pipedrive sanitises note HTML server-side; the sandbox drops <script> blocks.
                value = _SCRIPT.sub("", value)
        elif key in refs:
            _ref(ctx, key, refs[key], value, nullable=False)
        elif key in NOTE_PIN_FLAGS:
            # The model types pin flags as the numbers 0/1; answers carry booleans (docs/pipedrive-api.md#notes-api-v1).
            value = bool(value)
        out[key] = value
    if creating and not ctx.problems:
        if not any(
            body.get(k) is not None
            for k in ("deal_id", "person_id", "org_id", "lead_id", "project_id", "task_id")
        ):
            ctx.bad(
                "deal_id", "a note needs one of lead_id, deal_id, person_id, org_id, project_id or task_id"
            )
    if ctx.problems:
        raise validation_failed(1, ctx.problems)
    return out


def create_note(store: SandboxStore, changes: dict[str, Any]) -> dict[str, Any]:
    now = v1_time(store.now())
    rec = {"id": store.new_id("note"), "add_time": now, "update_time": now, **changes}
    return store.put("note", store.complete_note(rec))


def update_note(store: SandboxStore, current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    rec = {**current, **changes, "update_time": v1_time(store.now())}
    return store.put("note", store.complete_note(rec))


def delete_note(store: SandboxStore, current: dict[str, Any]) -> None:
    """``DELETE /v1/notes/{id}``: gone for later reads (404)."""
    store.put("note", {**current, "is_deleted": True, "update_time": v1_time(store.now())})


def render_note(store: SandboxStore, note: dict[str, Any]) -> dict[str, Any]:
    """A note as v1 returns it: ids plus small related summaries (docs/pipedrive-api.md#notes-api-v1)."""
    out = dict(note)
    deal = store.get("deal", note.get("deal_id")) if note.get("deal_id") is not None else None
    person = store.get("person", note.get("person_id")) if note.get("person_id") is not None else None
    org = store.get("organization", note.get("org_id")) if note.get("org_id") is not None else None
    user = store.users.get(note.get("user_id") or 0)
    out["deal"] = {"title": deal["title"]} if deal else None
    out["person"] = {"name": person["name"]} if person else None
    out["organization"] = {"name": org["name"]} if org else None
    out["user"] = (
        {
            "email": user.get("email"),
            "name": user.get("name"),
            "icon_url": None,
            "is_you": bool(user.get("is_you")),
        }
        if user
        else None
    )
    return out
