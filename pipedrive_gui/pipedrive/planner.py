"""Decide, without any I/O, which Pipedrive calls one Segment action makes for one payload.

The rules are Segment's ("Actions Pipedrive"):
- the match field comes from the mapping (``match_field``, ``person_match_field`` ...), else the
  destination default (``personField`` / ``organizationField`` / ``dealField``), else ``id``;
- Person / Organization / Deal are looked up by their match value: found → update, else create,
  and a created record gets the match value written onto it (here also when the match field
  came from the destination default, so the next event finds it);
- Deal and Lead are only created when a person or organization was found; a Note needs a link
  (note id, lead, person, organization or deal);
- Activity, Lead and Note update only when their id is given; otherwise they are created.

They are carried out with today's API (docs/pipedrive-api.md#calls-per-action): lookups by
``id`` are ``GET``s, by person email the persons search, by any other field ``itemSearch/field``
with ``match=exact``; writes go to v2 (persons, organizations, deals, activities) or v1 (leads,
notes) with values encoded by ``encode`` (the bodies are built in ``bodies``).

Use :func:`lookups_for` to learn which lookups a payload needs, resolve them (or not: plan mode),
then :func:`plan` with the results.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pipedrive_gui.core.actions import ACTIONS as CATALOG
from pipedrive_gui.core.errors import UserError
from pipedrive_gui.core.modes import DRY_RUN
from pipedrive_gui.core.wording import with_article
from pipedrive_gui.pipedrive import encode
from pipedrive_gui.pipedrive.bodies import (
    BodyContext,
    activity_participants,
    build_body,
    present,
    write_match_value,
)
from pipedrive_gui.pipedrive.encode import EncodeError
from pipedrive_gui.pipedrive.lookup_cache import CacheKey, cache_key

#: Where each record type is read, written and deleted: API v2 where it exists, v1 for leads and
#: notes (docs/pipedrive-api.md#writes).
ENTITY_PATHS = {
    "person": "/api/v2/persons",
    "organization": "/api/v2/organizations",
    "deal": "/api/v2/deals",
    "activity": "/api/v2/activities",
    "lead": "/api/v1/leads",
    "note": "/api/v1/notes",
}


@dataclass(frozen=True)
class ActionSpec:
    entity: str
    #: Prefix of the target's match keys ("" → match_field/match_value), None: id-only target.
    match_prefix: str | None
    #: Payload key holding the record id (Activity/Lead/Note), None for match-based actions.
    id_key: str | None
    associations: tuple[str, ...]
    #: Update method for the id-based write.
    update_method: str = "PATCH"


#: Notes are updated with PUT (docs/pipedrive-api.md#notes-api-v1); everything else with PATCH.
_UPDATE_METHOD = {"note": "PUT"}

#: Each action's shape as the planner needs it, read from the action catalog (core/actions.py).
ACTIONS: dict[str, ActionSpec] = {
    a.slug: ActionSpec(
        a.entity, a.match_prefix, a.id_key, a.links, update_method=_UPDATE_METHOD.get(a.entity, "PATCH")
    )
    for a in CATALOG.values()
}

_DEFAULT_ATTR = {"person": "person_field", "organization": "organization_field", "deal": "deal_field"}
_SETTING_KEY = {"person": "personField", "organization": "organizationField", "deal": "dealField"}
_SYSTEM_LABELS = {
    "id": "ID",
    "email": "Email",
    "name": "Name",
    "title": "Title",
    "phone": "Phone",
    "address": "Address",
}
_TAG = re.compile(r"<[^>]+>")

#: Built-in fields searched through /api/v2/{entities}/search (docs/pipedrive-api.md#lookups).
ENTITY_SEARCH_FIELDS = {
    "person": ("name", "email", "phone"),
    "organization": ("name", "address"),
    "deal": ("title",),
}

#: Token costs (docs/pipedrive-api.md#rate-limits, v2 figures; v1 leads/notes writes cost 10).
SEARCH_COST = 20


def estimated_tokens(method: str, path: str) -> int:
    if "/search" in path or "/itemSearch" in path:
        return SEARCH_COST if path.startswith("/api/v2") else 40
    v1 = path.startswith("/api/v1")
    if method == "GET":
        return 2 if v1 else 1
    if method == "DELETE":
        return 6 if v1 else 3
    return 10 if v1 else 5


# -- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupRequest:
    """ "Find the ``entity`` whose ``match_field`` equals ``value``" (role: target or association)."""

    role: str  # "target", "person", "organization", "deal"
    entity: str
    match_field: str
    value: str
    field_label: str

    @property
    def key(self) -> CacheKey:
        return cache_key(self.entity, self.match_field, self.value)

    def describe(self) -> str:
        return f"{self.entity} where {self.field_label} = {self.value}"


@dataclass(frozen=True)
class LookupResult:
    found: bool
    record_id: int | str | None = None
    name: str | None = None
    #: "cache", "lookup", "created", "skipped" (no call possible, e.g. non-numeric id)
    source: str = "lookup"
    note: str | None = None
    #: An activity's participants as Pipedrive has them, ``((person_id, primary), ...)``, when the
    #: activity was read (GET by id); None when unknown. An update sends them back (bodies.py).
    participants: tuple[tuple[Any, bool], ...] | None = None

    @classmethod
    def not_found(cls, note: str | None = None, source: str = "lookup") -> LookupResult:
        return cls(False, None, None, source, note)


@dataclass
class PlannedCall:
    method: str
    path: str
    query: dict[str, Any] | None
    body: dict[str, Any] | None
    purpose: str
    kind: str  # "lookup" or "write"
    #: When the call happens, for plans whose lookups are unresolved ("if found" / "if not found").
    condition: str | None = None
    lookup: LookupRequest | None = None

    @property
    def tokens(self) -> int:
        return estimated_tokens(self.method, self.path)


@dataclass
class Plan:
    action: str
    entity: str
    outcome: str  # "update", "create", "fail", "planned"
    record_id: int | str | None = None
    record_name: str | None = None
    #: The record's name in Pipedrive before this update (when it changes).
    previous_name: str | None = None
    reason: str | None = None
    calls: list[PlannedCall] = field(default_factory=list)
    lookups: list[LookupRequest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    target: LookupRequest | None = None
    #: Association ids used in the write, by role (for cache re-checks after a refusal).
    associations: dict[str, int | str] = field(default_factory=dict)
    deletes: bool = False

    @property
    def writes(self) -> list[PlannedCall]:
        return [c for c in self.calls if c.kind == "write"]

    def subject(self) -> str:
        """ "person #123 'Jane Doe'" / "person 'Jane Doe'"."""
        text = self.entity
        if self.record_id is not None:
            text += f" #{self.record_id}"
        if self.previous_name and self.record_name and self.previous_name != self.record_name:
            return f"{text} '{self.previous_name}' (name becomes '{self.record_name}')"
        if self.record_name:
            text += f" '{self.record_name}'"
        return text

    def describe(self, mode: str) -> str:
        """One sentence for the user: what will / would / did happen."""
        if self.outcome == "fail":
            return f"{'Would fail' if mode == DRY_RUN else 'Failed'}: {self.reason}"
        verb = "delete" if self.deletes else self.outcome
        if self.outcome == "planned":
            return self.reason or "Planned."
        if mode == DRY_RUN:
            return f"Would {verb} {self.subject()}"
        return f"Will {verb} {self.subject()}"


class PlanningError(UserError, ValueError):
    """The action slug is not one of Segment's six Pipedrive actions."""


# -- helpers -------------------------------------------------------------------------------------


def default_match_field(defaults: Any, entity: str) -> str | None:
    if defaults is None:
        return None
    if isinstance(defaults, Mapping):
        value = defaults.get(_DEFAULT_ATTR[entity]) or defaults.get(_SETTING_KEY[entity])
    else:
        value = getattr(defaults, _DEFAULT_ATTR[entity], None)
    return str(value) if value else None


def field_label(catalog: Any, entity: str, key: str) -> str:
    found = encode.find_field(catalog, entity, key) if key not in ("id",) else None
    if found is not None and encode.attr(found, "label"):
        return str(encode.attr(found, "label"))
    return _SYSTEM_LABELS.get(key, key)


def _match_request(
    role: str, entity: str, field_key: Any, value: Any, defaults: Any, catalog: Any
) -> LookupRequest | None:
    chosen = field_key if present(field_key) else default_match_field(defaults, entity)
    chosen = str(chosen or "id")
    if not present(value):
        return None  # Segment's getId returns null for an empty term: nothing to find
    text = value if isinstance(value, str) else encode.to_text(value, f"{entity} match value")
    return LookupRequest(role, entity, chosen, text, field_label(catalog, entity, chosen))


def lookups_for(
    action_slug: str, payload: Mapping[str, Any], defaults: Any = None, catalog: Any = None
) -> list[LookupRequest]:
    """Lookups this payload needs: associations first (Segment's order), then the target."""
    spec = _spec(action_slug)
    requests: list[LookupRequest] = []
    for role in spec.associations:
        req = _match_request(
            role,
            role,
            payload.get(f"{role}_match_field"),
            payload.get(f"{role}_match_value"),
            defaults,
            catalog,
        )
        if req is not None:
            requests.append(req)
    if spec.match_prefix is not None:
        req = _match_request(
            "target",
            spec.entity,
            payload.get(f"{spec.match_prefix}match_field"),
            payload.get(f"{spec.match_prefix}match_value"),
            defaults,
            catalog,
        )
        if req is not None:
            requests.append(req)
    elif spec.id_key and present(payload.get(spec.id_key)):
        requests.append(LookupRequest("target", spec.entity, "id", str(payload[spec.id_key]), "ID"))
    return requests


def _spec(action_slug: str) -> ActionSpec:
    try:
        return ACTIONS[action_slug]
    except KeyError:
        raise PlanningError(
            f"'{action_slug}' is not a Pipedrive action; expected one of " + ", ".join(ACTIONS)
        ) from None


def lookup_call(req: LookupRequest) -> PlannedCall | None:
    """The read-only call that answers ``req``; None when no call can match (e.g. id 'abc')."""
    purpose = f"look up {req.describe()}"
    base = ENTITY_PATHS[req.entity]
    if req.match_field == "id":
        record_id = req.value.strip()
        if req.entity != "lead" and not re.fullmatch(r"\d+", record_id):
            return None
        return PlannedCall(
            "GET", f"{base}/{quote(record_id, safe='')}", None, None, purpose, "lookup", lookup=req
        )
    if req.match_field in ENTITY_SEARCH_FIELDS.get(req.entity, ()):
        # Built-in fields are found through the entity's own search (itemSearch/field only
        # searches custom fields); exact_match there ignores case.
        query = {"term": req.value, "fields": req.match_field, "exact_match": "true", "limit": 2}
        return PlannedCall("GET", f"{base}/search", query, None, purpose, "lookup", lookup=req)
    query = {
        "term": req.value,
        "entity_type": req.entity,
        "field": req.match_field,
        "match": "exact",
        "limit": 2,
    }
    return PlannedCall("GET", "/api/v2/itemSearch/field", query, None, purpose, "lookup", lookup=req)


def unmatchable_result(req: LookupRequest) -> LookupResult:
    """The answer for a request that needs no call (``lookup_call`` returned None)."""
    return LookupResult.not_found(
        note=f"{req.entity.capitalize()} match field is ID, but {encode.show(req.value)} is not a Pipedrive ID "
        f"number, so no existing {req.entity} can match",
        source="skipped",
    )


def _participants(data: Mapping[str, Any]) -> tuple[tuple[Any, bool], ...] | None:
    """``participants`` of a v2 activity (``[{person_id, primary}]``; ``primary_flag`` read too)."""
    if "participants" not in data:
        return None
    out = []
    for item in data.get("participants") or ():
        if isinstance(item, Mapping) and item.get("person_id") is not None:
            primary = item.get("primary", item.get("primary_flag"))
            out.append((item["person_id"], primary is True))
    return tuple(out)


def _record_name(data: Mapping[str, Any]) -> str | None:
    for key in ("name", "title", "subject"):
        if isinstance(data.get(key), str) and data[key]:
            return str(data[key])
    content = data.get("content")
    if isinstance(content, str) and content:
        return _excerpt(content)
    return None


def _excerpt(html: str, limit: int = 40) -> str:
    text = " ".join(_TAG.sub(" ", html).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_lookup(req: LookupRequest, envelope: Any) -> LookupResult:
    """Read a lookup response (GET by id, persons search or itemSearch/field)."""
    data = envelope.get("data") if isinstance(envelope, Mapping) else None
    if req.match_field == "id":
        if (
            not isinstance(data, Mapping)
            or data.get("id") is None
            or data.get("is_deleted") is True
            or data.get("active_flag") is False
        ):
            return LookupResult.not_found()
        return LookupResult(
            True,
            data["id"],
            _record_name(data),
            participants=_participants(data) if req.entity == "activity" else None,
        )
    entries: list[Any]
    if isinstance(data, Mapping):
        entries = list(data.get("items") or [])
    elif isinstance(data, list):
        entries = data
    else:
        entries = []
    hits: list[Mapping[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        inner = entry.get("item")
        item: Mapping[str, Any] = inner if isinstance(inner, Mapping) else entry
        if item.get("id") is not None:
            hits.append(item)
    if not hits:
        return LookupResult.not_found()
    first = hits[0]
    note = None
    if len(hits) > 1:
        note = (
            f"More than one {req.entity} has {req.field_label} = {req.value}; using #{first['id']} "
            f"(the first, as Segment does)"
        )
    return LookupResult(True, first["id"], _record_name(first), note=note)


# -- linked records in bodies (the bodies themselves: bodies.py) ------------------------------


class _Ref(str):
    """A placeholder shown in plan mode where a looked-up id will go."""


def _assoc_value(req: LookupRequest, result: LookupResult | None) -> int | str | None:
    if result is None:
        return _Ref(f"<id of {req.describe()}>")
    return result.record_id if result.found else None


def _name_of(body: Mapping[str, Any]) -> str | None:
    return _record_name(body)


def _create_extras(
    action_slug: str,
    p: Mapping[str, Any],
    target: LookupRequest | None,
    body: dict[str, Any],
    ctx: BodyContext,
    assoc: Mapping[str, Any],
) -> None:
    spec = ACTIONS[action_slug]
    if action_slug in ("createUpdatePerson", "createUpdateOrganization") and present(p.get("add_time")):
        body["add_time"] = encode.to_rfc3339(p["add_time"], "Created At")
    body.update(ctx.create_only)  # built-ins chosen in Custom fields that only a create takes
    if action_slug == "createUpdateActivity" and assoc.get("person") is not None:
        body["participants"] = activity_participants(assoc["person"], create=True)
    if target is not None and spec.match_prefix is not None:
        write_match_value(spec.entity, target, body, ctx)


def _create_problem(
    action_slug: str,
    body: Mapping[str, Any],
    assoc_reqs: Mapping[str, LookupRequest],
    results: Mapping[CacheKey, LookupResult],
) -> str | None:
    """Why a create cannot go ahead (Segment's rules + v2's required fields), or None."""
    entity = ACTIONS[action_slug].entity
    if action_slug in ("createUpdatePerson", "createUpdateOrganization") and not body.get("name"):
        what = "Person Name" if entity == "person" else "Organization Name"
        return (
            f"Pipedrive needs a name to create {with_article(entity)}, and {what} is empty for this event. "
            f"Map {what} to a trait that is always present, or match an existing {entity}."
        )
    if action_slug in ("createUpdateDeal", "createUpdateLead") and not (
        body.get("person_id") is not None
        or body.get("org_id") is not None
        or body.get("organization_id") is not None
    ):
        segment_text = f"No related organization or person, unable to create {entity}!"
        return f"{segment_text} ({_missing_links(assoc_reqs, results, ('person', 'organization'))})"
    if action_slug == "createUpdateNote" and not any(
        body.get(k) is not None for k in ("lead_id", "person_id", "org_id", "deal_id")
    ):
        segment_text = "No related organization or person, unable to create/update note!"
        return f"{segment_text} ({_missing_links(assoc_reqs, results, ('person', 'organization', 'deal'))})"
    if action_slug in ("createUpdateDeal", "createUpdateLead") and not body.get("title"):
        return f"Pipedrive needs a Title to create {with_article(entity)}."
    return None


def _missing_links(
    assoc_reqs: Mapping[str, LookupRequest], results: Mapping[CacheKey, LookupResult], roles: tuple[str, ...]
) -> str:
    parts = []
    for role in roles:
        req = assoc_reqs.get(role)
        if req is None:
            parts.append(f"no {role} match value")
        elif (res := results.get(req.key)) is not None and not res.found:
            parts.append(f"no {req.describe()} exists in Pipedrive")
    return "; ".join(parts) if parts else "nothing to link"


# -- the planner ---------------------------------------------------------------------------------


def plan(
    action_slug: str,
    payload: Mapping[str, Any],
    defaults: Any = None,
    lookups: Mapping[CacheKey, LookupResult] | None = None,
    catalog: Any = None,
    *,
    default_currency: str | None = None,
) -> Plan:
    """The calls for one action and payload, given what is known about the lookups.

    ``lookups`` maps :attr:`LookupRequest.key` to a result; a request missing from it is
    *unresolved* and the plan shows the lookup call plus both possible writes (plan mode).
    ``default_currency`` completes a bare amount for a monetary custom field.
    """
    spec = _spec(action_slug)
    results = dict(lookups or {})
    result = Plan(action=action_slug, entity=spec.entity, outcome="planned")
    try:
        requests = lookups_for(action_slug, payload, defaults, catalog)
    except EncodeError as exc:
        result.outcome, result.reason = "fail", str(exc)
        return result
    result.lookups = requests
    for req in requests:
        if req.key not in results and lookup_call(req) is None:
            results[req.key] = unmatchable_result(req)
    unresolved = [r for r in requests if r.key not in results]
    for req in requests:
        if req.key in results:
            continue
        call = lookup_call(req)
        if call is not None:
            result.calls.append(call)
    for req in requests:
        note = results[req.key].note if req.key in results else None
        if note:
            if req.role == "target" and results[req.key].source == "skipped":
                note += f": a new {req.entity} is created on every event. Choose a match field such as an external-ID custom field."
            result.warnings.append(note)

    assoc_reqs = {r.role: r for r in requests if r.role != "target"}
    target = next((r for r in requests if r.role == "target"), None)
    result.target = target
    assoc = {role: _assoc_value(req, results.get(req.key)) for role, req in assoc_reqs.items()}
    for role, req in assoc_reqs.items():
        res = results.get(req.key)
        if res is not None and not res.found:
            result.warnings.append(
                f"No {req.describe()} was found, so the {spec.entity} is not linked to {with_article(role)}."
            )
        if res is not None and res.found and res.record_id is not None:
            result.associations[role] = res.record_id
    try:
        ctx = BodyContext(catalog, result.warnings, default_currency)
        body = build_body(action_slug, payload, assoc, ctx)
        create_body = dict(body)
        if "custom_fields" in body:
            create_body["custom_fields"] = dict(body["custom_fields"])
        _create_extras(action_slug, payload, target, create_body, ctx, assoc)
    except EncodeError as exc:
        result.outcome, result.reason = "fail", str(exc)
        result.calls = [c for c in result.calls if c.kind == "lookup"]
        return result

    base = ENTITY_PATHS[spec.entity]
    target_result = results.get(target.key) if target is not None else None
    update_body = _update_body(action_slug, body, assoc, target, target_result, result.warnings)

    def update_call(record_id: Any, name: str | None, condition: str | None = None) -> PlannedCall:
        shown = f"#{record_id}" if not isinstance(record_id, _Ref) else "found above"
        label = f" '{name}'" if name else ""
        if spec.entity == "deal" and body.get("status") == "deleted":
            return PlannedCall(
                "DELETE",
                f"{base}/{record_id}",
                None,
                None,
                f"delete deal {shown}{label} (Status is Deleted)",
                "write",
                condition,
            )
        method = "PATCH" if spec.entity != "note" else spec.update_method
        return PlannedCall(
            method,
            f"{base}/{record_id}",
            None,
            _clean(update_body),
            f"update {spec.entity} {shown}{label}",
            "write",
            condition,
        )

    def create_call(condition: str | None = None) -> PlannedCall:
        name = _name_of(create_body)
        label = f" '{name}'" if name else ""
        return PlannedCall(
            "POST", base, None, _clean(create_body), f"create {spec.entity}{label}", "write", condition
        )

    deleting = spec.entity == "deal" and body.get("status") == "deleted"
    result.deletes = deleting
    has_id = spec.id_key is not None and present(payload.get(spec.id_key))

    if spec.id_key is not None and has_id:
        # Activity / Lead / Note: the id decides; there is no search.
        record_id = _typed_id(spec.entity, payload[spec.id_key])
        if target_result is not None and not target_result.found:
            result.outcome = "fail"
            result.reason = (
                f"There is no {spec.entity} with ID {record_id} in Pipedrive. Leave "
                f"{_ID_LABEL[spec.entity]} empty to create a new {spec.entity}."
            )
            return result
        name = target_result.name if target_result is not None else None
        if spec.entity == "activity" and "person" in assoc_reqs:
            # The engine reads the activity first: its participants go back with the person.
            for c in result.calls:
                if c.lookup is not None and c.lookup.role == "target":
                    c.purpose = f"read activity #{record_id} (its participants are kept)"
        else:
            result.calls = [c for c in result.calls if c.lookup is None or c.lookup.role != "target"]
        result.calls.append(update_call(record_id, name))
        pending = [r for r in unresolved if r.role != "target"]
        result.outcome = "update" if not pending else "planned"
        result.record_id, result.record_name = record_id, _name_of(body) or name
        result.previous_name = name
        if pending:
            result.reason = _planned_sentence(pending, f"then update {spec.entity} #{record_id}")
        return result

    if target_result is not None and target_result.found:
        result.record_id = target_result.record_id
        result.record_name = _name_of(body) or target_result.name
        result.previous_name = target_result.name
        result.calls.append(update_call(target_result.record_id, target_result.name))
        result.outcome = "update" if not unresolved else "planned"
        if unresolved:
            result.reason = _planned_sentence(unresolved, f"then update {result.subject()}")
        return result

    problem = _create_problem(action_slug, create_body, assoc_reqs, results)
    if deleting:
        problem = (
            "Status is Deleted, but no existing deal matched, so there is nothing to delete "
            "(Pipedrive cannot create a deleted deal)."
        )
    if target is not None and target_result is None:
        # Plan mode: the search decides between the two writes.
        result.calls.append(
            update_call(_Ref("{id}"), None, condition=f"if {with_article(spec.entity)} is found")
        )
        if problem is None or unresolved_assoc(unresolved):
            result.calls.append(create_call(condition=f"if no {spec.entity} is found"))
        result.reason = _planned_sentence(
            unresolved,
            f"then update the {spec.entity} if one matches, "
            + (
                "otherwise create it"
                if problem is None or unresolved_assoc(unresolved)
                else f"otherwise fail: {problem}"
            ),
        )
        result.record_name = _name_of(body)
        return result
    if problem is not None and not unresolved_assoc(unresolved):
        result.outcome, result.reason = "fail", problem
        result.calls = [c for c in result.calls if c.kind == "lookup"]
        return result
    result.calls.append(create_call())
    result.record_name = _name_of(create_body)
    if unresolved:
        result.reason = _planned_sentence(
            unresolved,
            f"then create {spec.entity}" + (f" '{result.record_name}'" if result.record_name else ""),
        )
        if problem is not None:
            # Unresolved links are placeholders here, so the problem is one no lookup can fix
            # (a missing name or title): say which.
            result.reason += f" It fails: {problem}"
    else:
        result.outcome = "create"
    return result


def _update_body(
    action_slug: str,
    body: dict[str, Any],
    assoc: Mapping[str, Any],
    target: LookupRequest | None,
    target_result: LookupResult | None,
    warnings: list[str],
) -> dict[str, Any]:
    """The body of an update: an activity's person goes in with the participants it already has."""
    person = assoc.get("person")
    if action_slug != "createUpdateActivity" or person is None or target is None:
        return body
    out = dict(body)
    if target_result is None:  # plan mode: the activity is read first
        out["participants"] = _Ref(f"<activity #{target.value}'s participants, with the person as primary>")
    elif target_result.participants is None:
        warnings.append(
            f"The activity was not linked to person #{person}: its current participants "
            "could not be read, and sending only this person would remove the others."
        )
    else:
        merged = activity_participants(person, target_result.participants)
        if merged is not None:
            out["participants"] = merged
    return out


_ID_LABEL = {"activity": "Activity ID", "lead": "Lead ID", "note": "Note ID"}


def unresolved_assoc(unresolved: list[LookupRequest]) -> bool:
    return any(r.role != "target" for r in unresolved)


def _planned_sentence(unresolved: list[LookupRequest], then: str) -> str:
    looks = ", ".join(r.describe() for r in unresolved)
    return f"Will look up {looks}, {then}."


def _typed_id(entity: str, value: Any) -> int | str:
    if entity == "lead":
        return encode.to_text(value, "Lead ID").strip()
    return encode.to_int(value, _ID_LABEL.get(entity, "ID"))


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values (placeholders become ordinary strings for display)."""

    def conv(v: Any) -> Any:
        if isinstance(v, _Ref):
            return str(v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in body.items()}
