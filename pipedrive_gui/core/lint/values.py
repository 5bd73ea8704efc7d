"""Does a value fit a Pipedrive field type? The question *Send test* (API v2, typed) would answer.

Pure and lenient in the same places the app's v2 encoder is (numbers as text, option labels in any
case or option ids, "500 EUR"): a value reported here is one *Send test* refuses, and Pipedrive
would not store through Segment either.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .model import FieldFact

TEXT_TYPES = frozenset({"varchar", "varchar_auto", "text", "phone", "varchar_options"})
ID_TYPES = frozenset({"int", "user", "org", "people", "deal", "stage", "activity", "project"})
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T t])")
_MONEY_TEXT = re.compile(r"^\s*(?:[A-Za-z]{3}\s*[-+]?[\d.,]+|[-+]?[\d.,]+\s*[A-Za-z]{3})\s*$")


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        try:
            return math.isfinite(float(text))
        except ValueError:
            return False
    return False


def is_whole_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, str):
        return bool(_INT_TEXT.match(value.strip()))
    return False


def option_for(fact: FieldFact, value: Any) -> tuple[int | str, str] | None:
    """The (id, label) ``value`` names: a label in any case, or an option id."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    for oid, label in fact.options:
        if label.casefold() == text.casefold():
            return oid, label
    for oid, label in fact.options:
        if str(oid) == text:
            return oid, label
    return None


def set_parts(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [p for p in value.split(",") if p.strip()]
    if isinstance(value, list):
        return list(value)
    return [value]


def value_problem(fact: FieldFact, value: Any) -> str | None:
    """Why ``value`` cannot go into ``fact`` (a sentence fragment), or None when it fits."""
    ftype = fact.field_type
    if value is None:
        return None  # clears the field
    if ftype in TEXT_TYPES:
        return None if isinstance(value, (str, int, float, bool)) else f"{_kind(value)} is not text"
    if ftype == "double":
        return None if is_number(value) else "is not a number"
    if ftype in ID_TYPES:
        return None if is_whole_number(value) else "is not a whole number (a Pipedrive ID)"
    if ftype == "boolean":
        ok = (
            isinstance(value, bool)
            or (isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no", "1", "0"})
            or value in (0, 1)
        )
        return None if ok else "is not yes/no (true or false)"
    if ftype == "monetary":
        if isinstance(value, dict):
            ok = value.get("value", value.get("amount")) is not None and isinstance(
                value.get("currency"), str
            )
            return None if ok else 'needs "value" and "currency"'
        if is_number(value) or (isinstance(value, str) and _MONEY_TEXT.match(value)):
            return None
        return "is not an amount of money"
    if ftype == "enum":
        if option_for(fact, value) is not None:
            return None
        return f"is not one of the options ({_options(fact)})"
    if ftype == "set":
        bad = [p for p in set_parts(value) if option_for(fact, p) is None]
        if not bad:
            return None
        return f"has {', '.join(repr(str(b).strip()) for b in bad[:3])}, not among the options ({_options(fact)})"
    if ftype == "date":
        ok = isinstance(value, str) and _DATE.match(value.strip()) is not None
        return None if ok else "is not a date (YYYY-MM-DD)"
    if ftype == "address" and isinstance(value, dict) and not value.get("value"):
        return 'is an address without its "value" (the full address)'
    return None


def _options(fact: FieldFact) -> str:
    labels = [label for _, label in fact.options]
    shown = ", ".join(labels[:8]) + (", …" if len(labels) > 8 else "")
    return shown or "none defined"


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "the value"
