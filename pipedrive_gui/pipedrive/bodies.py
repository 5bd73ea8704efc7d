"""The request bodies of Pipedrive writes, built from a Segment action's payload (no I/O).

Each action's fields are encoded for the endpoint that writes them (v2 persons, organizations, deals,
activities; v1 leads, notes) by ``encode``; every value Pipedrive would reject is collected so the
user sees all of them at once (:class:`EncodeProblems`).  The planner decides which call carries
the body; this module only says what it contains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipedrive_gui.pipedrive import encode
from pipedrive_gui.pipedrive.encode import EncodeError, EncodeProblems

if TYPE_CHECKING:  # the planner imports this module; the type only is needed here
    from pipedrive_gui.pipedrive.planner import LookupRequest


def present(value: Any) -> bool:
    """Segment passes undefined/null/"" as "not given" to Pipedrive (``|| undefined``)."""
    return value is not None and value != "" and value != []


@dataclass
class BodyContext:
    """What body builders need besides the payload."""

    catalog: Any
    warnings: list[str]
    #: Currency for a bare money amount (the company's default currency), when known.
    default_currency: str | None = None
    #: Values Pipedrive would reject, collected so the user sees all of them at once.
    problems: list[EncodeError] = field(default_factory=list)
    #: Top-level keys only the create model has (a person's add_time chosen in Custom fields):
    #: the planner adds them to the create body only.
    create_only: dict[str, Any] = field(default_factory=dict)


def _custom(
    entity: str, payload: Mapping[str, Any], ctx: BodyContext
) -> tuple[dict[str, Any], dict[str, Any]]:
    values = payload.get("custom_fields")
    if not isinstance(values, Mapping) or not values:
        return {}, {}
    try:
        root, custom, notes = encode.custom_fields(
            entity, dict(values), ctx.catalog, default_currency=ctx.default_currency
        )
    except EncodeProblems as exc:
        ctx.problems.extend(exc.problems)
        return {}, {}
    except EncodeError as exc:
        ctx.problems.append(exc)
        return {}, {}
    ctx.warnings.extend(notes)
    return root, custom


_SKIPPED = object()


def _attempt(ctx: BodyContext, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except EncodeError as exc:
        ctx.problems.append(exc)
        return _SKIPPED


def _put(ctx: BodyContext, body: dict[str, Any], key: str, fn: Callable[..., Any], *args: Any) -> None:
    """``body[key] = fn(*args)``, or note the problem and carry on with the other fields."""
    value = _attempt(ctx, fn, *args)
    if value is not _SKIPPED:
        body[key] = value


def _copy(
    ctx: BodyContext,
    body: dict[str, Any],
    p: Mapping[str, Any],
    key: str,
    fn: Callable[..., Any],
    label: str | None = None,
    *,
    to: str | None = None,
) -> None:
    """When the payload gives ``key``, put ``fn(value, label)`` (``fn(value)`` without a label) in
    ``body[to or key]``, or note the problem."""
    if present(p.get(key)):
        args = (p[key],) if label is None else (p[key], label)
        _put(ctx, body, to or key, fn, *args)


def _currency(value: Any, label: str) -> str:
    return encode.to_text(value, label).strip().upper()


def _apply_custom(
    body: dict[str, Any],
    root: dict[str, Any],
    custom: dict[str, Any],
    ctx: BodyContext | None = None,
    entity: str = "",
) -> None:
    # Segment merges custom_fields last, so they win over the action's own fields.
    for key, value in root.items():
        if ctx is not None and key in encode.CREATE_ONLY.get(entity, ()):
            ctx.create_only[key] = value
            continue
        if key in ("emails", "phones") and isinstance(body.get(key), list):
            body[key] = _merge_contacts(body[key], value)
        else:
            body[key] = value
    if custom:
        body.setdefault("custom_fields", {}).update(custom)


def _merge_contacts(existing: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = list(existing)
    known = {str(c.get("value", "")).casefold() for c in merged}
    for item in extra:
        if str(item.get("value", "")).casefold() not in known:
            merged.append(dict(item, primary=not merged))
    return merged


def write_match_value(entity: str, req: LookupRequest, body: dict[str, Any], ctx: BodyContext) -> None:
    """On create, store the match value so the next event finds this record."""
    if req.match_field == "id":
        return
    if req.match_field in ("email", "phone"):
        key = req.match_field + "s"
        body[key] = _merge_contacts(body.get(key, []), encode.contacts(req.value, req.field_label))
        return
    if req.match_field in ("name", "title"):
        body[req.match_field] = req.value
        return
    root, custom, _ = encode.custom_fields(
        entity, {req.match_field: req.value}, ctx.catalog, default_currency=ctx.default_currency
    )
    _apply_custom(body, root, custom)


def _contacts(ctx: BodyContext, body: dict[str, Any], p: Mapping[str, Any], key: str, label: str) -> None:
    """A person's emails / phones (``key`` + "s"), left out when the list comes out empty."""
    if present(p.get(key)):
        contacts = _attempt(ctx, encode.contacts, p[key], label)
        if contacts and contacts is not _SKIPPED:
            body[key + "s"] = contacts


def _person_body(p: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "name", encode.to_text, "Person Name")
    _contacts(ctx, body, p, "email", "Email Address")
    _contacts(ctx, body, p, "phone", "Phone Number")
    _copy(ctx, body, p, "visible_to", encode.visible_to)
    _apply_custom(body, *_custom("person", p, ctx), ctx, "person")
    return body


def _org_body(p: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "name", encode.to_text, "Organization Name")
    _copy(ctx, body, p, "visible_to", encode.visible_to)
    _apply_custom(body, *_custom("organization", p, ctx), ctx, "organization")
    return body


#: Deal keys Pipedrive accepts only with some statuses (AddDealRequest / UpdateDealRequest in the
#: official SDK: "Can only be set if deal status is lost" / "… is won or lost" / "… is won").
_STATUS_ONLY: dict[str, tuple[str, tuple[str, ...]]] = {
    "lost_reason": ("Lost Reason", ("lost",)),
    "close_time": ("Deal closed on", ("won", "lost")),
    "won_time": ("Won time", ("won",)),
    "lost_time": ("Lost time", ("lost",)),
}


def _drop_status_only(body: dict[str, Any], ctx: BodyContext) -> None:
    """Leave out what the deal's status does not allow, and say so.

    The status that counts is the one this body sets. When it sets none, the key is left out too:
    a new deal starts as Open, and an existing deal's status is unknown without reading it first;
    sending the key anyway would make Pipedrive refuse the whole update (every other field with it)
    whenever the deal is not in that status. Mapping Status in the same event sends both.
    """
    status = body.get("status")
    if status == "deleted":
        return  # the deal is deleted, nothing else is sent
    for key, (label, allowed) in _STATUS_ONLY.items():
        if key not in body or body[key] is None:
            continue
        if status in allowed:
            continue
        del body[key]
        if key != "lost_reason":  # the others come from Custom fields: say it as the user chose it
            label = str(encode.attr(encode.find_field(ctx.catalog, "deal", key), "label") or label)
        needs = " or ".join(s.capitalize() for s in allowed)
        if status is None:
            why = (
                "this event does not set the deal's Status (a new deal starts as Open); map Status "
                f"to {needs} to send {label} with it"
            )
        else:
            why = f"this event sets the Status to {status.capitalize()}"
        ctx.warnings.append(
            f"{label} was not sent: Pipedrive accepts it only when the deal's status is {needs}, and {why}."
        )


def _link(body: dict[str, Any], assoc: Mapping[str, Any], **keys: str) -> None:
    """Put each linked record that was found (entity -> id in ``assoc``) under its body key, in order;
    the key differs by endpoint (``org_id`` on v2, ``organization_id`` on v1 leads)."""
    for entity, key in keys.items():
        if assoc.get(entity) is not None:
            body[key] = assoc[entity]


def _deal_body(p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "title", encode.to_text, "Title")
    _copy(ctx, body, p, "value", encode.to_number, "Value")
    _copy(ctx, body, p, "currency", _currency, "Currency")
    _copy(ctx, body, p, "stage_id", encode.to_int, "Stage ID")
    _copy(ctx, body, p, "status", encode.deal_status, "Status")
    _copy(ctx, body, p, "expected_close_date", encode.to_date, "Expected Close Date")
    _copy(ctx, body, p, "probability", encode.to_number, "Success Probability")
    _copy(ctx, body, p, "lost_reason", encode.to_text, "Lost Reason")
    _copy(ctx, body, p, "visible_to", encode.visible_to)
    _link(body, assoc, person="person_id", organization="org_id")
    if present(p.get("add_time")):
        ctx.warnings.append(
            "Created At was not sent: Pipedrive's API v2 does not let a deal's creation time be set"
        )
    _apply_custom(body, *_custom("deal", p, ctx), ctx, "deal")
    _drop_status_only(body, ctx)
    return body


def _activity_body(p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "subject", encode.to_text, "Activity Subject")
    if present(p.get("type")):
        _put(ctx, body, "type", encode.activity_type, ctx.catalog, p["type"])
    _copy(ctx, body, p, "description", encode.to_text, "Description", to="public_description")
    _copy(ctx, body, p, "note", encode.to_text, "Note")
    _copy(ctx, body, p, "due_date", encode.to_date, "Due Date")
    _copy(ctx, body, p, "due_time", encode.to_hhmm, "Due Time")
    _copy(ctx, body, p, "duration", encode.to_hhmm, "Duration")
    if p.get("done") is not None:
        _put(ctx, body, "done", encode.to_bool, p["done"], "Done")
    # The person is not put here: it goes in ``participants``, which differs between a create and
    # an update (see activity_participants; the planner adds it).
    _link(body, assoc, organization="org_id", deal="deal_id")
    return body


# An activity's person is its primary participant. The official SDK's request model
# (AddActivityRequest, used for POST and PATCH, npm ``pipedrive`` 33.7.0) does list a writable
# ``person_id``, but Pipedrive's API v2 migration guide says person_id "is now read-only" and is set
# through the participants, and the live API answers 400 ERR_BAD_REQUEST "'person_id' is a read-only
# field. Add a primary participant to set 'person_id' instead." (reported 2026-06 in n8n-io/n8n
# issue #31684, fixed there by sending participants). So person_id is never sent; the person goes in
# ``participants`` ([{person_id, primary}], in the model and accepted live).
# ``participants`` replaces the activity's whole list, so an update sends the current list (read
# with the activity) with the mapped person made primary, never just the one person.


def activity_participants(
    person_id: Any,
    current: Any = None,
    *,
    create: bool = False,
) -> list[dict[str, Any]] | None:
    """The ``participants`` to send so that ``person_id`` is the activity's (primary) person.

    ``create``: the new activity's list, just that person. Otherwise ``current`` is the activity's
    list as Pipedrive has it (``[(person_id, primary), ...]``): the others are kept, as non-primary
    participants; None when the person already is the primary participant (nothing to change).
    """
    if create:
        return [{"person_id": person_id, "primary": True}]
    pairs = [(pid, bool(primary)) for pid, primary in current or ()]
    if (person_id, True) in pairs and sum(1 for _, primary in pairs if primary) == 1:
        return None
    kept = [{"person_id": pid, "primary": pid == person_id} for pid, _ in pairs]
    if all(pid != person_id for pid, _ in pairs):
        kept.append({"person_id": person_id, "primary": True})
    return kept


def _v1_visible_to(value: Any) -> str:
    return str(encode.visible_to(value))  # v1 leads take the visibility as a string enum


def _lead_body(p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "title", encode.to_text, "Title")
    _copy(ctx, body, p, "expected_close_date", encode.to_date, "Expected Close Date")
    _copy(ctx, body, p, "visible_to", _v1_visible_to)
    _link(body, assoc, person="person_id", organization="organization_id")
    amount, currency = p.get("amount"), p.get("currency")
    if amount and currency:  # Segment sends a value only when both are truthy
        money = {
            "amount": _attempt(ctx, encode.to_number, amount, "Amount"),
            "currency": _attempt(ctx, _currency, currency, "Currency"),
        }
        if _SKIPPED not in money.values():
            body["value"] = money
    elif present(amount) or present(currency):
        ctx.warnings.append("The lead's value was not sent: it needs both Amount and Currency")
    return body


def _note_body(p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _copy(ctx, body, p, "content", encode.to_text, "Note Content")
    _copy(ctx, body, p, "lead_id", encode.to_text, "Lead ID")
    _link(body, assoc, person="person_id", organization="org_id", deal="deal_id")
    return body


def build_body(
    action_slug: str, p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext
) -> dict[str, Any]:
    """The write's body; every value Pipedrive would reject is reported at once (EncodeProblems)."""
    body = _body_of(action_slug, p, assoc, ctx)
    if ctx.problems:
        raise EncodeProblems(ctx.problems)
    return body


def _body_of(
    action_slug: str, p: Mapping[str, Any], assoc: Mapping[str, Any], ctx: BodyContext
) -> dict[str, Any]:
    if action_slug == "createUpdatePerson":
        return _person_body(p, ctx)
    if action_slug == "createUpdateOrganization":
        return _org_body(p, ctx)
    if action_slug == "createUpdateDeal":
        return _deal_body(p, assoc, ctx)
    if action_slug == "createUpdateActivity":
        return _activity_body(p, assoc, ctx)
    if action_slug == "createUpdateLead":
        return _lead_body(p, assoc, ctx)
    return _note_body(p, assoc, ctx)
