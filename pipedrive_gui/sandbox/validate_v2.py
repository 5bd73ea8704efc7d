"""Strict validation of v2 write bodies (persons, organizations, deals, activities).

Two layers, in this order:
1. the official SDK's request model of the call (``sdk_models``, generated from the npm package
   ``pipedrive``; version in ``resources/sandbox/pipedrive-sdk-models.json``): keys the model does
   not have are refused (so are v1 spellings such as ``email`` or ``user_id``, and person
   ``first_name``/``last_name``), values must have the model's JSON type, ``| null`` decides
   whether null is allowed, enum values exactly;
2. the sandbox's rules for keys the model has (docs/pipedrive-api.md#v2-types,
   #writes, #custom-field-values): ids that exist,
   RFC 3339 timestamps, integer ``visible_to`` 1/3/5/7, custom values typed per field type, deal
   ``lost_reason`` only with status lost and close/won/lost times only with the matching status
   (as the model's notes say). Every key a rule names must be in the model (a test checks).
Where Pipedrive's docs are unsure the sandbox takes its stated best guess:
- activity ``person_id`` (in the model) makes that person the primary participant (unconfirmed, docs/pipedrive-api.md#unconfirmed item 9);
- deal ``add_time`` is not in the v2 model and is refused (docs/pipedrive-api.md#deals);
- PATCH replaces ``emails``/``phones`` and merges ``custom_fields`` (unconfirmed, item 8 there; expected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipedrive_gui.sandbox import checks
from pipedrive_gui.sandbox.catalog import FieldDef
from pipedrive_gui.sandbox.errors import v2_error, validation_failed
from pipedrive_gui.sandbox.sdk_models import sdk_models
from pipedrive_gui.sandbox.store import SandboxStore

VISIBLE_TO = (1, 3, 5, 7)
#: The parts of an address (organization ``address``, activity ``location``, address custom fields):
#: the SDK's address model (the catalog lists the same as the field's subfields); parts left out
#: become null (docs/pipedrive-api.md#organizations).
ADDRESS_PARTS = tuple(sdk_models().properties("v2.OrganizationItemAddress"))
PLURAL = {"person": "persons", "organization": "organizations", "deal": "deals", "activity": "activities"}
# Helpful hints for keys that were right in v1 (or Segment's payload) but are wrong in v2.
HINTS = {
    "email": "use emails: [{value, primary, label}]",
    "phone": "use phones: [{value, primary, label}]",
    "label": "use label_ids (integer array)",
    "user_id": "use owner_id",
    "active_flag": "use is_deleted / DELETE",
    "deleted": "use DELETE",
    "organization_id": "use org_id",
}
CONTACT_SYNC_ONLY = frozenset({"notes", "im", "birthday", "job_title", "postal_address"})
REF_MESSAGES = {
    "user": "User not found or not accessible.",
    "person": "Person not found or not accessible.",
    "organization": "Organization not found or not accessible.",
    "deal": "Deal not found or not accessible.",
    "lead": "Lead not found or not accessible.",
    "stage": "Stage not found.",
    "pipeline": "Pipeline not found.",
    "project": "Project not found or not accessible.",
}


@dataclass
class Ctx:
    store: SandboxStore
    entity: str
    creating: bool
    version: int = 2
    problems: list[str] = field(default_factory=list)

    def bad(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")


Check = Callable[[Any, str, Ctx], Any]


def exists(store: SandboxStore, ref: str, value: Any) -> bool:
    if ref == "user":
        return value in store.users
    if ref == "stage":
        return value in store.stages
    if ref == "pipeline":
        return value in store.pipelines
    if ref == "project":
        return False  # the sandbox account has no Projects add-on
    return store.exists(ref, value)


def ref(kind: str, *, nullable: bool = False) -> Check:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if value is None and nullable:
            return None
        if kind == "lead":
            problem = checks.want_uuid(value)
        else:
            problem = checks.want_int(value)
        if problem:
            ctx.bad(path, problem)
        elif not exists(ctx.store, kind, value):
            ctx.bad(path, REF_MESSAGES[kind])
        return value

    return check


def simple(fn: Callable[[Any], str | None], *, nullable: bool = False) -> Check:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if value is None and nullable:
            return None
        problem = fn(value)
        if problem:
            ctx.bad(path, problem)
        return value

    return check


def text(*, nullable: bool = False, nonempty: bool = False) -> Check:
    return simple(lambda v: checks.want_str(v, nonempty=nonempty), nullable=nullable)


def one_of(values: tuple[Any, ...], *, nullable: bool = False) -> Check:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or value not in values or type(value) is not type(values[0]):
            ctx.bad(
                path,
                f"must be one of {', '.join(repr(v) for v in values)}, got {checks.type_name(value)} {value!r}",
            )
        return value

    return check


def visible_to(value: Any, path: str, ctx: Ctx) -> Any:
    if not checks.is_int(value):
        ctx.bad(path, f"must be an integer (1, 3, 5 or 7), got {checks.type_name(value)} {value!r}")
    elif value not in VISIBLE_TO:
        ctx.bad(path, f"must be 1, 3, 5 or 7, got {value}")
    return value


def label_ids(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, list):
        ctx.bad(path, f"must be an array of integers, got {checks.type_name(value)}")
        return value
    f = ctx.store.catalog.get(ctx.entity, "label_ids")
    allowed = f.option_ids if f else frozenset()
    for i, item in enumerate(value):
        if not checks.is_int(item):
            ctx.bad(f"{path}[{i}]", checks.want_int(item) or "")
        elif allowed and item not in allowed:
            ctx.bad(f"{path}[{i}]", f"label {item} does not exist")
    return value


def contacts(value: Any, path: str, ctx: Ctx) -> Any:
    """emails / phones: ``[{value, primary, label}]``; only ``value`` required (docs/pipedrive-api.md#persons)."""
    if not isinstance(value, list):
        ctx.bad(path, f"must be an array of objects {{value, primary, label}}, got {checks.type_name(value)}")
        return value
    out = []
    primaries = 0
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        if not isinstance(item, dict):
            ctx.bad(p, f"must be an object {{value, primary, label}}, got {checks.type_name(item)} {item!r}")
            continue
        for key in item:
            if key not in ("value", "primary", "label"):
                ctx.bad(f"{p}.{key}", "is not an allowed property")
        if "value" not in item:
            ctx.bad(f"{p}.value", "is required")
        elif problem := checks.want_str(item["value"], nonempty=True):
            ctx.bad(f"{p}.value", problem)
        if "primary" in item and (problem := checks.want_bool(item["primary"])):
            ctx.bad(f"{p}.primary", problem)
        if "label" in item and (problem := checks.want_str(item["label"])):
            ctx.bad(f"{p}.label", problem)
        primary = item.get("primary") is True
        primaries += primary
        out.append({"value": item.get("value"), "primary": primary, "label": item.get("label", "work")})
    if primaries > 1:
        ctx.bad(path, "only one item may be primary")
    if out and primaries == 0:
        out[0]["primary"] = True
    return out


def address(*, nullable: bool = True) -> Check:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            ctx.bad(path, f"must be an object with at least 'value', got {checks.type_name(value)} {value!r}")
            return value
        for key, part in value.items():
            if key not in ADDRESS_PARTS:
                ctx.bad(f"{path}.{key}", "is not an allowed property")
            elif part is not None and (problem := checks.want_str(part)):
                ctx.bad(f"{path}.{key}", problem)
        if not isinstance(value.get("value"), str):
            ctx.bad(f"{path}.value", "is required (string)")
        # Parts left out become null (docs/pipedrive-api.md#organizations).
        return {k: value.get(k) for k in ADDRESS_PARTS}

    return check


def participants(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, list):
        ctx.bad(path, f"must be an array of objects {{person_id, primary}}, got {checks.type_name(value)}")
        return value
    primaries = 0
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        if not isinstance(item, dict):
            ctx.bad(p, f"must be an object {{person_id, primary}}, got {checks.type_name(item)}")
            continue
        for key in item:
            if key not in ("person_id", "primary"):
                ctx.bad(f"{p}.{key}", "is not an allowed property")
        ref("person")(item.get("person_id"), f"{p}.person_id", ctx)
        if "primary" in item and (problem := checks.want_bool(item["primary"])):
            ctx.bad(f"{p}.primary", problem)
        primaries += item.get("primary") is True
    if primaries > 1:
        ctx.bad(path, "only one participant may be primary")
    out = [
        {"person_id": item.get("person_id"), "primary": item.get("primary") is True}
        for item in value
        if isinstance(item, dict)
    ]
    if out and primaries == 0:
        out[0]["primary"] = True  # like emails: the first one leads when none is marked
    return out


def attendees(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, list):
        ctx.bad(path, f"must be an array of objects, got {checks.type_name(value)}")
        return value
    kinds: dict[str, Check] = {
        "email": text(),
        "name": text(nullable=True),
        "status": text(nullable=True),
        "is_organizer": simple(checks.want_bool),
        "person_id": ref("person", nullable=True),
        "user_id": ref("user", nullable=True),
    }
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            ctx.bad(f"{path}[{i}]", f"must be an object, got {checks.type_name(item)}")
            continue
        for key, v in item.items():
            if key not in kinds:
                ctx.bad(f"{path}[{i}].{key}", "is not an allowed property")
            else:
                kinds[key](v, f"{path}[{i}].{key}", ctx)
    return value


# -- custom fields ----------------------------------------------------------------------------


def _object(value: Any, path: str, ctx: Ctx, required: dict[str, Check], optional: dict[str, Check]) -> Any:
    if not isinstance(value, dict):
        keys = ", ".join(required)
        ctx.bad(path, f"must be an object {{{keys}}}, got {checks.type_name(value)} {value!r}")
        return value
    for key, v in value.items():
        if key in required:
            required[key](v, f"{path}.{key}", ctx)
        elif key in optional:
            optional[key](v, f"{path}.{key}", ctx)
        else:
            ctx.bad(f"{path}.{key}", "is not an allowed property")
    for key in required:
        if key not in value:
            ctx.bad(f"{path}.{key}", "is required")
    return value


def check_custom_value(f: FieldDef, value: Any, path: str, ctx: Ctx) -> Any:
    """One v2 custom field value, typed per field type (docs/pipedrive-api.md#custom-field-values). ``null`` clears any field."""
    if value is None:
        return None
    t = f.field_type
    if t in ("varchar", "varchar_auto", "text", "phone"):
        # phone as a string is the best guess (unconfirmed, docs/pipedrive-api.md#unconfirmed item 11).
        return text()(value, path, ctx)
    if t == "double":
        return simple(checks.want_number)(value, path, ctx)
    if t == "monetary":
        return _object(
            value,
            path,
            ctx,
            {"value": simple(checks.want_number), "currency": simple(checks.want_currency)},
            {},
        )
    if t == "date":
        return simple(checks.want_date)(value, path, ctx)
    if t == "daterange":
        d = simple(checks.want_date)
        return _object(value, path, ctx, {"value": d, "until": d}, {})
    if t in ("time", "timerange"):
        clock = simple(checks.want_clock)
        req = {"value": clock, "until": clock} if t == "timerange" else {"value": clock}
        return _object(
            value, path, ctx, req, {"timezone_name": text(), "timezone_id": simple(checks.want_int)}
        )
    if t == "enum":
        if not checks.is_int(value):
            ctx.bad(path, f"must be an option id (integer), got {checks.type_name(value)} {value!r}")
        elif value not in f.option_ids:
            ctx.bad(
                path, f"option {value} does not exist in field '{f.name}' (options: {sorted(f.option_ids)})"
            )
        return value
    if t == "set":
        if not isinstance(value, list) or not value:
            # Third parties report [] rejected; clear a set with null (docs/pipedrive-api.md#custom-field-values).
            ctx.bad(path, f"must be a non-empty array of option ids (clear with null), got {value!r}")
            return value
        for i, item in enumerate(value):
            if not checks.is_int(item):
                ctx.bad(
                    f"{path}[{i}]", f"must be an option id (integer), got {checks.type_name(item)} {item!r}"
                )
            elif item not in f.option_ids:
                ctx.bad(f"{path}[{i}]", f"option {item} does not exist in field '{f.name}'")
        return value
    if t == "user":
        return ref("user")(value, path, ctx)
    if t == "org":
        return ref("organization")(value, path, ctx)
    if t == "people":
        return ref("person")(value, path, ctx)
    if t == "address":
        return address()(value, path, ctx)
    ctx.bad(path, f"fields of type {t} cannot be written by the sandbox")
    return value


def custom_fields(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, dict):
        ctx.bad(path, f"must be an object keyed by field_code, got {checks.type_name(value)}")
        return value
    known = ctx.store.catalog.custom(ctx.entity)
    out = {}
    for key, v in value.items():
        f = known.get(key)
        if f is None:
            ctx.bad(
                f"{path}.{key}", f"unknown custom field for {ctx.entity} (see GET /api/v2/{ctx.entity}Fields)"
            )
            continue
        out[key] = check_custom_value(f, v, f"{path}.{key}", ctx)
    return out


# -- entity specs -----------------------------------------------------------------------------


def write_model(entity: str, creating: bool) -> str:
    """The SDK request model of ``POST /api/v2/{entities}`` or ``PATCH /api/v2/{entities}/{id}``."""
    path = f"/api/v2/{PLURAL[entity]}"
    return (
        sdk_models().body_model("POST", path)
        if creating
        else sdk_models().body_model("PATCH", path + "/{id}")
    )


def _spec(entity: str, creating: bool) -> dict[str, Check]:
    """The sandbox's own rules per key; keys the SDK model has but no rule names are type-checked only."""
    ts = simple(checks.want_rfc3339)
    if entity == "person":
        spec: dict[str, Check] = {
            "name": text(nonempty=True),
            "owner_id": ref("user"),
            "org_id": ref("organization", nullable=True),
            "emails": contacts,
            "phones": contacts,
            "visible_to": visible_to,
            "label_ids": label_ids,
            "custom_fields": custom_fields,
        }
        if creating:
            spec["add_time"] = ts
        return spec
    if entity == "organization":
        spec = {
            "name": text(nonempty=True),
            "owner_id": ref("user"),
            "visible_to": visible_to,
            "label_ids": label_ids,
            "address": address(),
            "custom_fields": custom_fields,
            "industry": simple(checks.want_int, nullable=True),
            "employee_count": simple(checks.want_int, nullable=True),
        }
        if creating:
            spec["add_time"] = ts
        return spec
    if entity == "deal":
        return {
            "title": text(nonempty=True),
            "currency": simple(checks.want_currency),
            "person_id": ref("person", nullable=True),
            "org_id": ref("organization", nullable=True),
            "owner_id": ref("user"),
            "pipeline_id": ref("pipeline"),
            "stage_id": ref("stage"),
            "status": one_of(("open", "won", "lost")),
            "visible_to": visible_to,
            "expected_close_date": simple(checks.want_date, nullable=True),
            "close_time": ts,
            "won_time": ts,
            "lost_time": ts,
            "label_ids": label_ids,
            "custom_fields": custom_fields,
        }
    return {
        "subject": text(nonempty=True),
        "type": activity_type,
        "owner_id": ref("user"),
        "deal_id": ref("deal", nullable=True),
        "org_id": ref("organization", nullable=True),
        "project_id": ref("project", nullable=True),
        "lead_id": ref("lead", nullable=True),
        "person_id": ref("person"),
        "participants": participants,
        "due_date": simple(checks.want_date, nullable=True),
        "due_time": simple(checks.want_clock, nullable=True),
        "duration": simple(checks.want_clock, nullable=True),
        "location": address(),
        "attendees": attendees,
        "priority": priority,
        "outcome": simple(checks.want_int, nullable=True),
    }


def activity_type(value: Any, path: str, ctx: Ctx) -> Any:
    types = ctx.store.active_type_keys()
    if not isinstance(value, str):
        ctx.bad(path, f"must be an activity type key_string, got {checks.type_name(value)} {value!r}")
    elif value not in types:
        ctx.bad(
            path,
            f"activity type '{value}' does not exist (see GET /api/v1/activityTypes: {', '.join(types)})",
        )
    return value


def priority(value: Any, path: str, ctx: Ctx) -> Any:
    f = ctx.store.catalog.get("activity", "priority")
    if value is None:
        return None
    if not checks.is_int(value):
        ctx.bad(path, checks.want_int(value) or "")
    elif f is not None and value not in f.option_ids:
        ctx.bad(path, f"priority {value} does not exist")
    return value


def _top_key(problem: str) -> str:
    return problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]


#: Deal keys the SDK model allows only with one status ("Can only be set if deal status is ...").
STATUS_ONLY = {
    "lost_reason": ("lost",),
    "lost_time": ("lost",),
    "won_time": ("won",),
    "close_time": ("won", "lost"),
}


def validate_v2_body(
    store: SandboxStore, entity: str, body: Any, *, creating: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Checked and normalised changes, or raise a 400 (403 for Contact-Sync-only person fields).

    ``current`` is the record a PATCH changes (deal rules that depend on its status)."""
    ctx = Ctx(store, entity, creating)
    if not isinstance(body, dict):
        raise validation_failed(2, [f"body: must be a JSON object, got {checks.type_name(body)}"])
    if entity == "person" and (gated := CONTACT_SYNC_ONLY & body.keys()):
        # Third parties report 403 for these person fields unless Contact Sync is on (docs/pipedrive-api.md#persons).
        raise v2_error(
            403,
            f"Fields {', '.join(sorted(gated))} need the Contact Sync feature, which this "
            "account does not have.",
            "ERR_FORBIDDEN",
        )
    structural = sdk_models().check(
        write_model(entity, creating), body, unknown=lambda path: _unknown_hint(entity, path, creating)
    )
    ctx.problems.extend(structural)
    flagged = {_top_key(p) for p in structural}
    spec = _spec(entity, creating)
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in flagged:
            continue
        check = spec.get(key)
        out[key] = check(value, key, ctx) if check is not None else value
    if creating and entity == "person" and "name" not in body:
        # Optional in the SDK model, required by Pipedrive's docs (docs/pipedrive-api.md#persons).
        ctx.bad("name", "is required")
    if entity == "deal" and not ctx.problems:
        status = body.get("status", (current or {}).get("status", "open"))
        for key, statuses in STATUS_ONLY.items():
            if body.get(key) is not None and status not in statuses:
                ctx.bad(
                    key,
                    f"can only be set when the deal's status is {' or '.join(statuses)} "
                    f"(this deal's status is {status})",
                )
    if entity == "deal" and not ctx.problems and "stage_id" in out and "pipeline_id" in out:
        if store.stages[out["stage_id"]]["pipeline_id"] != out["pipeline_id"]:
            ctx.bad("stage_id", f"stage {out['stage_id']} is not in pipeline {out['pipeline_id']}")
    if ctx.problems:
        raise validation_failed(2, ctx.problems)
    return out


def _unknown_hint(entity: str, key: str, creating: bool) -> str:
    if key == "add_time" and entity == "deal":
        return "is not supported on deals in API v2 (leave it out)"
    if key == "add_time":
        return "can only be set when creating"
    if key in ("first_name", "last_name") and entity == "person":
        return "is not an allowed property (API v2 persons take the whole name in name)"
    if key == "id":
        return "is read-only"
    hint = HINTS.get(key)
    return f"is not an allowed property ({hint})" if hint else "is not an allowed property"


__all__ = ["validate_v2_body", "check_custom_value", "write_model", "Ctx", "exists", "REF_MESSAGES"]
