"""Turn Segment payload values into the strict JSON types Pipedrive's API v2 accepts.

Segment maps most fields as strings and its destination relied on API v1 coercing them
("5000", "1", "3"). API v2 rejects string numbers, 0/1 booleans, non-RFC-3339 timestamps and
custom-field values of the wrong shape, so every value is encoded here, with an error that names
the field and says what was expected when a value cannot be converted.

The field catalog (helper module ``fields``) is used duck-typed: ``by_key(entity, key)`` /
``by_label(entity, label)`` returning objects with ``key``, ``label``, ``field_type``, ``options``
and ``is_custom``; ``activity_types`` with ``key_string`` and ``name``. Options may be objects or
dicts with ``id`` and ``label``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import Any

from pipedrive_gui.core.errors import UserError

VISIBLE_TO = {
    1: "Owner & followers (private)",
    3: "Entire company (shared)",
    5: "Owner's visibility group and sub-groups",
    7: "Entire company",
}

_HEX_KEY = re.compile(r"^[0-9a-f]{40}$")
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DATE_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_TEXT = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_MONEY_TEXT = re.compile(r"^\s*(?:([A-Za-z]{3})\s*([-+]?[\d.,]+)|([-+]?[\d.,]+)\s*([A-Za-z]{3}))\s*$")

# Field types whose values are Pipedrive record or user ids (plain integers in v2).
_ID_TYPES = {"int", "user", "org", "people", "deal", "stage", "activity", "project"}
_TEXT_TYPES = {"varchar", "varchar_auto", "text", "phone", "varchar_options"}


class EncodeError(UserError, ValueError):
    """A payload value that Pipedrive would reject: ``user_message`` is "<field label>: <detail>"."""

    def __init__(self, label: str, detail: str) -> None:
        super().__init__(f"{label}: {detail}")
        self.label = label
        self.detail = detail


class EncodeProblems(EncodeError):
    """Several values Pipedrive would reject; ``user_message`` lists them all, ``.problems`` one by one."""

    def __init__(self, problems: list[EncodeError]) -> None:
        first = problems[0]
        super().__init__(first.label, first.detail)
        self.problems = list(problems)
        self.user_message = "; ".join(str(p) for p in self.problems)
        self.args = (self.user_message,)


def attr(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` from an object or a dict (catalog entries come in either form)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def show(value: Any) -> str:
    """A value as a user would recognise it in a message: text in quotes, anything else as the
    JSON it is in the event (``{"plan": "pro"}``, ``[1, 2]``, ``true``, ``null``), never as Python
    would print it (``{'plan': 'pro'}``, ``True``, ``None``)."""
    if isinstance(value, str):
        return f"'{value}'"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # not from JSON (circular, odd keys): still no Python repr
        return f"<{type(value).__name__}>"


# -- scalars -------------------------------------------------------------------------------------


def to_int(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise EncodeError(label, f"{show(value)} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.match(value.strip()):
        return int(value.strip())
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number.is_integer():
            return int(number)
    raise EncodeError(label, f"{show(value)} is not a whole number")


def to_number(value: Any, label: str) -> int | float:
    if isinstance(value, bool):
        raise EncodeError(label, f"{show(value)} is not a number")
    if isinstance(value, (int, float)):
        number: int | float = value
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        # "5,000.50" is common in event data; a lone comma is a decimal separator ("12,5").
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        try:
            number = int(text) if _INT_TEXT.match(text) else float(text)
        except ValueError:
            raise EncodeError(label, f"{show(value)} is not a number") from None
    else:
        raise EncodeError(label, f"{show(value)} is not a number")
    if isinstance(number, float) and not math.isfinite(number):
        raise EncodeError(label, f"{show(value)} is not a number")
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


_TRUE = {"true", "yes", "1", "y", "on", "done"}
_FALSE = {"false", "no", "0", "n", "off", ""}


def to_bool(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise EncodeError(label, f"{show(value)} is not true or false")


def to_text(value: Any, label: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(to_number(value, label))
    raise EncodeError(label, f"{show(value)} is not text")


def visible_to(value: Any, label: str = "Visible To") -> int:
    """Visibility as v2's integer 1/3/5/7 (v1 leads want the same number as a string)."""
    try:
        number = to_int(value, label)
    except EncodeError:
        number = -1
    if number not in VISIBLE_TO:
        choices = ", ".join(f"{k} ({v})" for k, v in VISIBLE_TO.items())
        raise EncodeError(label, f"{show(value)} is not one of {choices}")
    return number


def _parse_datetime(value: Any, label: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str) or not value.strip():
        raise EncodeError(label, f"{show(value)} is not a date and time")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise EncodeError(
            label, f"{show(value)} is not a date and time (expected e.g. 2026-11-30T09:15:00Z)"
        ) from None


def to_rfc3339(value: Any, label: str) -> str:
    """Whole-second UTC timestamp with ``Z`` (v2 rejected fractional seconds in places)."""
    moment = _parse_datetime(value, label)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def to_v1_datetime(value: Any, label: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, the format of API v1 (notes, leads)."""
    return to_rfc3339(value, label)[:-1].replace("T", " ")


def to_date(value: Any, label: str) -> str:
    """``YYYY-MM-DD``; a full timestamp keeps its own calendar day (no time-zone shift)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        match = _DATE_TEXT.match(text[:10])
        if match and (len(text) == 10 or text[10] in "T t"):
            try:
                return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
            except ValueError:
                pass
    raise EncodeError(label, f"{show(value)} is not a date (expected YYYY-MM-DD, e.g. 2026-11-30)")


def to_hhmm(value: Any, label: str) -> str:
    if isinstance(value, str):
        match = _TIME_TEXT.match(value.strip())
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return f"{int(match[1]):02d}:{match[2]}"
    raise EncodeError(label, f"{show(value)} is not a time (expected HH:MM, e.g. 09:30)")


def to_hhmmss(value: Any, label: str) -> str:
    hhmm = to_hhmm(value, label)
    match = _TIME_TEXT.match(str(value).strip())
    seconds = match[3] if match and match[3] else "00"
    return f"{hhmm}:{seconds}"


def contacts(values: Any, label: str) -> list[dict[str, Any]]:
    """Emails/phones as v2's ``[{value, primary, label}]``; the first one becomes primary."""
    items = values if isinstance(values, list) else [values]
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, dict) and "value" in item:
            text = to_text(item["value"], label).strip()
            kind = str(item.get("label") or "work")
        else:
            text, kind = to_text(item, label).strip(), "work"
        if not text or text.lower() in seen:
            continue
        seen.add(text.lower())
        result.append({"value": text, "primary": not result, "label": kind})
    return result


# -- options -------------------------------------------------------------------------------------


def _option_pairs(field: Any) -> list[tuple[Any, str]]:
    """(id, label) per option; custom-field ids are integers, some system enums use strings."""
    pairs = []
    for option in attr(field, "options") or []:
        oid = attr(option, "id")
        if oid is None:
            continue
        if isinstance(oid, str) and _INT_TEXT.match(oid):
            oid = int(oid)
        pairs.append((oid, str(attr(option, "label", ""))))
    return pairs


def option_id(field: Any, value: Any, label: str) -> Any:
    """An option field takes the option's label (any case) or its id; Pipedrive wants the id."""
    pairs = _option_pairs(field)
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for oid, olabel in pairs:
            if olabel.casefold() == wanted:
                return oid
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        text = str(value).strip()
        for oid, _ in pairs:
            if str(oid) == text:
                return oid
    names = ", ".join(olabel for _, olabel in pairs) or "(no options defined)"
    raise EncodeError(label, f"{show(value)} is not one of {names}")


def option_ids(field: Any, value: Any, label: str) -> list[Any]:
    if isinstance(value, str):
        parts: Iterable[Any] = [p for p in value.split(",") if p.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        parts = [value]
    ids: list[Any] = []
    for part in parts:
        oid = option_id(field, part, label)
        if oid not in ids:
            ids.append(oid)
    return ids


# -- custom fields -------------------------------------------------------------------------------


def money(value: Any, label: str, default_currency: str | None = None) -> dict[str, Any]:
    """Monetary values: ``{"value": 500, "currency": "EUR"}``, ``"500 EUR"`` or ``"EUR 500"``;
    a bare number takes ``default_currency`` (the company's default) when one is known."""
    if isinstance(value, dict):
        amount = value.get("value", value.get("amount"))
        currency = value.get("currency")
        if amount is None or not isinstance(currency, str) or not currency.strip():
            raise EncodeError(
                label, 'a money amount needs "value" and "currency", e.g. {"value": 500, "currency": "EUR"}'
            )
        return {"value": to_number(amount, label), "currency": currency.strip().upper()}
    if isinstance(value, str):
        match = _MONEY_TEXT.match(value)
        if match:
            currency = match[1] or match[4]
            return {"value": to_number(match[2] or match[3], label), "currency": currency.upper()}
    if default_currency and not isinstance(value, (dict, list, bool)):
        try:
            return {"value": to_number(value, label), "currency": default_currency.upper()}
        except EncodeError:
            pass
    raise EncodeError(
        label,
        f"{show(value)} is not a money amount with a currency "
        '(e.g. "500 EUR" or {"value": 500, "currency": "EUR"})',
    )


def custom_value(
    field: Any, value: Any, label: str | None = None, *, default_currency: str | None = None
) -> Any:
    """Encode ``value`` for a custom field according to its Pipedrive field type."""
    label = label or str(attr(field, "label") or attr(field, "key"))
    ftype = str(attr(field, "field_type") or "varchar")
    if value is None:
        return None  # clears the field
    if ftype in _TEXT_TYPES:
        return to_text(value, label)
    if ftype == "double":
        return to_number(value, label)
    if ftype in _ID_TYPES:
        return to_int(value, label)
    if ftype == "boolean":
        return to_bool(value, label)
    if ftype == "monetary":
        return money(value, label, default_currency)
    if ftype == "enum":
        return option_id(field, value, label)
    if ftype == "set":
        # Pipedrive rejects [] for a set; null is how a set is cleared.
        return option_ids(field, value, label) or None
    if ftype == "date":
        return to_date(value, label)
    if ftype == "daterange":
        start, until = _range(value, label)
        return {"value": to_date(start, label), "until": to_date(until, label)}
    if ftype == "time":
        if isinstance(value, dict):
            out = {"value": to_hhmmss(value.get("value"), label)}
            if value.get("timezone_name"):
                out["timezone_name"] = str(value["timezone_name"])
            return out
        return {"value": to_hhmmss(value, label)}
    if ftype == "timerange":
        start, until = _range(value, label)
        return {"value": to_hhmmss(start, label), "until": to_hhmmss(until, label)}
    if ftype == "address":
        return _address(value, label)
    if ftype == "visible_to":
        return visible_to(value, label)
    return value


def _range(value: Any, label: str) -> tuple[Any, Any]:
    if isinstance(value, dict):
        start = value.get("value", value.get("start", value.get("from")))
        until = value.get("until", value.get("end", value.get("to")))
        if start is not None and until is not None:
            return start, until
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    raise EncodeError(label, f'{show(value)} is not a range (expected {{"value": …, "until": …}})')


# v1 key names Segment users put in "custom_fields" (merged into the v1 body root) → v2 names.
_V1_ROOT_RENAMES = {"user_id": "owner_id", "email": "emails", "phone": "phones", "label": "label_ids"}
_ROOT_INT_KEYS = {"owner_id", "org_id", "person_id", "pipeline_id", "stage_id", "deal_id"}


def find_field(catalog: Any, entity: str, key: str) -> Any:
    if catalog is None:
        return None
    for finder in ("by_key", "by_label"):
        method = getattr(catalog, finder, None)
        if method is None:
            continue
        try:
            found = method(entity, key)
        except (KeyError, LookupError):
            found = None
        if found is not None:
            return found
    return None


def custom_fields(
    entity: str,
    values: dict[str, Any],
    catalog: Any,
    *,
    default_currency: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Split Segment's ``custom_fields`` object into v2 root keys and the ``custom_fields`` object.

    Keys may be Pipedrive field keys or (for convenience) field labels. Returns (root, custom,
    warnings). Raises :class:`EncodeError` for unknown fields or values of the wrong type.
    """
    root: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    warnings: list[str] = []
    problems: list[EncodeError] = []
    for key, value in values.items():
        try:
            _custom_field(entity, key, value, catalog, default_currency, root, custom, warnings)
        except EncodeError as exc:
            problems.append(exc)  # the others are still checked: the user sees every problem at once
    if problems:
        raise problems[0] if len(problems) == 1 else EncodeProblems(problems)
    return root, custom, warnings


def _custom_field(
    entity: str,
    key: str,
    value: Any,
    catalog: Any,
    default_currency: str | None,
    root: dict[str, Any],
    custom: dict[str, Any],
    warnings: list[str],
) -> None:
    """One entry of Segment's custom_fields object into ``root`` / ``custom``; raises EncodeError."""
    field = find_field(catalog, entity, key)
    if field is None and key in _V1_ROOT_RENAMES:
        field = find_field(catalog, entity, _V1_ROOT_RENAMES[key])
    if field is None:
        if catalog is not None:
            raise EncodeError(
                f"Custom fields → {key}",
                f"Pipedrive has no {entity} field with this key or name; pick one "
                f"from the field list (refresh it if the field was added recently)",
            )
        # No catalog (offline preview): keep the value as given and say it is unchecked.
        if _HEX_KEY.match(key):
            custom[key] = value
        else:
            root[_V1_ROOT_RENAMES.get(key, key)] = value
        warnings.append(f"Custom field {key} was not checked against Pipedrive's field list")
        return
    fkey = str(attr(field, "key") or key)
    label = str(attr(field, "label") or fkey)
    is_custom = attr(field, "is_custom")
    if is_custom is None:
        is_custom = bool(_HEX_KEY.match(fkey))
    if is_custom:
        custom[fkey] = custom_value(field, value, label, default_currency=default_currency)
        return
    name = _V1_ROOT_RENAMES.get(fkey, fkey)
    if entity in BUILTIN_WRITES:
        root.update(builtin_value(entity, name, field, value, label))
    elif name in ("emails", "phones"):
        root[name] = contacts(value, label)
    elif name == "label_ids":
        root[name] = option_ids(field, value, label)
    elif name == "visible_to":
        root[name] = visible_to(value, label)
    elif name in _ROOT_INT_KEYS:
        root[name] = to_int(value, label)
    else:
        root[name] = custom_value(field, value, label, default_currency=default_currency)


# -- built-in fields chosen under "Custom fields" --------------------------------------------------
#
# Pipedrive's field list has built-in fields (``value``, ``add_time``, ``label_ids`` …) next to the
# custom ones (40-hex keys, ``is_custom_field``/``edit_flag`` true), and a user may pick either by
# its label. A built-in goes at the top level of the v2 body under its own key, typed as the
# official request models type it (npm ``pipedrive`` 33.7.0, ``dist/versions/v2/models``:
# AddPersonRequest / UpdatePersonRequest, AddOrganizationRequest / UpdateOrganizationRequest,
# AddDealRequest / UpdateDealRequest). The field list types some of them like custom fields (a deal's
# Value is "monetary", add_time a "date"), but those encodings ({"value", "currency"}, YYYY-MM-DD)
# are not what these keys take: a deal's value is a number with the currency in its own key, and
# timestamps are RFC 3339. Keys that are in no request model are refused with the reason.

#: Top-level keys of each entity's v2 write models, with how the value is encoded.
BUILTIN_WRITES: dict[str, dict[str, str]] = {
    "person": {
        "name": "text",
        "owner_id": "int",
        "org_id": "int",
        "add_time": "timestamp",
        "emails": "contacts",
        "phones": "contacts",
        "visible_to": "visible_to",
        "label_ids": "labels",
        "postal_address": "address",
        "notes": "text",
        "im": "contacts",
        "birthday": "date",
        "job_title": "text",
        "marketing_status": "marketing_status",
    },
    "organization": {
        "name": "text",
        "owner_id": "int",
        "add_time": "timestamp",
        "visible_to": "visible_to",
        "label_ids": "labels",
        "address": "address",
        "website": "text",
        "linkedin": "text",
        "industry": "option",
        "annual_revenue": "number",
        "employee_count": "int",
    },
    "deal": {
        "title": "text",
        "owner_id": "int",
        "person_id": "int",
        "org_id": "int",
        "pipeline_id": "int",
        "stage_id": "int",
        "value": "deal_value",
        "currency": "currency",
        "is_archived": "bool",
        "archive_time": "v1_datetime",
        "status": "deal_status",
        "probability": "number",
        "lost_reason": "text",
        "visible_to": "visible_to",
        "close_time": "timestamp",
        "won_time": "timestamp",
        "lost_time": "timestamp",
        "expected_close_date": "date",
        "label_ids": "labels",
    },
}
#: Keys the create model has and the update model lacks: sent only when the record is created.
CREATE_ONLY: dict[str, frozenset[str]] = {
    "person": frozenset({"add_time"}),
    "organization": frozenset({"add_time"}),
}

DEAL_STATUSES = ("open", "won", "lost", "deleted")
_MARKETING_STATUSES = ("no_consent", "unsubscribed", "subscribed", "archived")

# Built-ins in Pipedrive's field list that no write model has (is_deleted: the deal models have it,
# but a deal is deleted with DELETE, as Status "Deleted" does), and what to do instead.
_NOT_WRITABLE = {
    "id": "a record's ID cannot be set; to update one particular record, use ID as the match field",
    "first_name": "Pipedrive's API v2 takes a person's whole name only: use Person Name",
    "last_name": "Pipedrive's API v2 takes a person's whole name only: use Person Name",
    "is_deleted": "to delete a deal, set the action's Status to Deleted",
}


def deal_status(value: Any, label: str = "Status") -> str:
    """open / won / lost / deleted (``deleted`` becomes a DELETE, not a body value)."""
    status = value.strip().lower() if isinstance(value, str) else None
    if status not in DEAL_STATUSES:
        raise EncodeError(label, f"{show(value)} is not one of Open, Won, Lost, Deleted")
    return status


def deal_value(value: Any, label: str = "Value") -> dict[str, Any]:
    """A deal's value: a number under ``value``; an amount with a currency ("500 EUR",
    ``{"value": 500, "currency": "EUR"}``) also sets the deal's ``currency``."""
    try:
        return {"value": to_number(value, label)}
    except EncodeError:
        pass
    try:
        amount = money(value, label)
    except EncodeError:
        raise EncodeError(
            label, f'{show(value)} is not a number (nor an amount with a currency, e.g. 500 or "500 EUR")'
        ) from None
    return {"value": amount["value"], "currency": amount["currency"]}


def _address(value: Any, label: str) -> dict[str, Any]:
    if isinstance(value, dict):
        if not value.get("value"):
            raise EncodeError(label, 'an address needs at least a "value" (the full address)')
        return dict(value)
    return {"value": to_text(value, label)}


def _marketing_status(value: Any, label: str) -> str:
    text = value.strip().lower().replace(" ", "_") if isinstance(value, str) else None
    if text not in _MARKETING_STATUSES:
        raise EncodeError(label, f"{show(value)} is not one of {', '.join(_MARKETING_STATUSES)}")
    return text


def builtin_value(entity: str, name: str, field: Any, value: Any, label: str) -> dict[str, Any]:
    """The top-level body keys for built-in field ``name`` (v2 key) of ``entity``; raises
    EncodeError for a value of the wrong kind or a field no write accepts."""
    kind = BUILTIN_WRITES.get(entity, {}).get(name)
    if kind is None:
        if name == "add_time" and entity == "deal":
            why = "Pipedrive's API v2 does not let a deal's creation time be set"
        else:
            why = _NOT_WRITABLE.get(name) or (
                f"Pipedrive fills in this {entity} field itself; its API does not accept it in a write"
            )
        raise EncodeError(f"Custom fields → {label}", f"{why}. Remove it from Custom fields.")
    if value is None:
        return {name: None}
    encoded: Any
    if kind == "text":
        encoded = to_text(value, label)
    elif kind == "int":
        encoded = to_int(value, label)
    elif kind == "number":
        encoded = to_number(value, label)
    elif kind == "deal_value":
        return deal_value(value, label)
    elif kind == "currency":
        encoded = to_text(value, label).strip().upper()
    elif kind == "visible_to":
        encoded = visible_to(value, label)
    elif kind == "labels":
        encoded = option_ids(field, value, label)
    elif kind == "option":  # an option id; a field listed without options takes the id as given
        encoded = option_id(field, value, label) if _option_pairs(field) else to_int(value, label)
    elif kind == "contacts":
        encoded = contacts(value, label)
    elif kind == "date":
        encoded = to_date(value, label)
    elif kind == "timestamp":
        encoded = to_rfc3339(value, label)
    elif kind == "v1_datetime":
        encoded = to_v1_datetime(value, label)  # the model: "Format: YYYY-MM-DD HH:MM:SS"
    elif kind == "bool":
        encoded = to_bool(value, label)
    elif kind == "deal_status":
        encoded = deal_status(value, label)
    elif kind == "address":
        encoded = _address(value, label)
    else:  # marketing_status
        encoded = _marketing_status(value, label)
    return {name: encoded}


def activity_type(catalog: Any, value: Any, label: str = "Type") -> str:
    """The activity type's ``key_string``; its display name is accepted too."""
    text = to_text(value, label).strip()
    types = list(attr(catalog, "activity_types") or []) if catalog is not None else []
    if not types:
        return text
    active = [
        t for t in types if attr(t, "active", True) is not False and attr(t, "active_flag", True) is not False
    ]
    for item in active:
        if str(attr(item, "key_string")) == text:
            return text
    for item in active:
        if str(attr(item, "name", "")).casefold() == text.casefold():
            return str(attr(item, "key_string"))
    names = ", ".join(f"{attr(t, 'name')} ({attr(t, 'key_string')})" for t in active)
    raise EncodeError(label, f"{show(value)} is not one of {names}")
