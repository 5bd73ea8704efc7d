"""Small type checks shared by the v2 and v1 body validators (JSON types exactly, no coercion).

v2 does not coerce: ``"5000"`` is not a number, ``1``/``0`` are not booleans (docs/pipedrive-api.md#v2-types).
Each check returns a problem text or ``None``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from pipedrive_gui.core.jsvalues import real_type_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339 date-time (section 5.6), fractional seconds included: Pipedrive's v2 timestamps are
# RFC 3339, which allows them. ("Send whole seconds with Z" in docs/pipedrive-api.md#v2-types
# is advice to clients.)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_V1_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


# The JSON type of a decoded request value, named as JavaScript does ("null", "array", "number"...).
type_name = real_type_of


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def want_int(value: Any) -> str | None:
    return None if is_int(value) else f"must be an integer, got {type_name(value)} {_short(value)}"


def want_number(value: Any) -> str | None:
    return None if is_number(value) else f"must be a number, got {type_name(value)} {_short(value)}"


def want_bool(value: Any) -> str | None:
    return (
        None
        if isinstance(value, bool)
        else f"must be a boolean (true/false), got {type_name(value)} {_short(value)}"
    )


def want_str(value: Any, *, nonempty: bool = False) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, got {type_name(value)} {_short(value)}"
    if nonempty and not value.strip():
        return "must not be empty"
    return None


def want_date(value: Any) -> str | None:
    if isinstance(value, str) and _DATE.match(value):
        try:
            date.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"must be a date YYYY-MM-DD, got {_short(value)}"


def want_rfc3339(value: Any) -> str | None:
    if isinstance(value, str) and _RFC3339.match(value):
        try:
            whole, _, rest = value.upper().partition(".")
            zone = rest.lstrip("0123456789") if rest else ""
            datetime.fromisoformat((whole + zone if rest else whole).replace("Z", "+00:00"))
            return None
        except ValueError:
            pass
    return f"must be an RFC 3339 timestamp like 2026-11-30T09:15:00Z, got {_short(value)}"


def want_v1_time(value: Any) -> str | None:
    if isinstance(value, str) and _V1_TIME.match(value):
        try:
            datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            return None
        except ValueError:
            pass
    return f"must be a UTC time YYYY-MM-DD HH:MM:SS, got {_short(value)}"


def want_clock(value: Any) -> str | None:
    if isinstance(value, str) and _CLOCK.match(value):
        return None
    return f"must be a time HH:MM, got {_short(value)}"


def want_currency(value: Any) -> str | None:
    if isinstance(value, str) and _CURRENCY.match(value):
        return None
    return f"must be a 3-letter currency code like EUR, got {_short(value)}"


def want_uuid(value: Any) -> str | None:
    if isinstance(value, str) and _UUID.match(value):
        return None
    return f"must be a lead id (UUID string), got {type_name(value)} {_short(value)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
