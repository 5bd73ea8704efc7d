"""The condition-builder model behind the GUI's trigger editor, and FQL written the way Segment's
own condition builder writes it (destination-subscriptions' generateFql)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pipedrive_gui.core.events import EVENT_TYPES

from .errors import FqlSyntaxError
from .jsops import from_u16, is_number, number_to_string, to_number, to_string, to_u16
from .nodes import (
    EVENT,
    EVENT_MEMBER,
    EVENT_TYPE,
    KINDS,
    NAME,
    NUMERIC_OPERATORS,
    PATH_KINDS,
    TEXT_OPERATORS,
    USER_ID,
    VALUELESS_OPERATORS,
    Condition,
    Group,
    Value,
)
from .parser import parse

MATCH_ALL = "all"
MATCH_ANY = "any"

# What the builder offers for each kind of condition.
_TEXT_ONLY = ("=", "!=", *TEXT_OPERATORS)
ALLOWED_OPERATORS: dict[str, tuple[str, ...]] = {
    EVENT_TYPE: ("=", "!="),
    EVENT: _TEXT_ONLY,
    NAME: (*_TEXT_ONLY, "exists", "not_exists"),
    USER_ID: (*_TEXT_ONLY, "exists", "not_exists"),
    **{kind: ("=", "!=", *NUMERIC_OPERATORS, *TEXT_OPERATORS, *VALUELESS_OPERATORS) for kind in PATH_KINDS},
}

# Labels for the builder's drop-downs.
KIND_LABELS = {
    EVENT_TYPE: "Event type",
    EVENT: "Event name",
    NAME: "Name (page/screen)",
    USER_ID: "User ID",
    "event-property": "Event property",
    "event-trait": "User trait",
    "event-context": "Event context",
}
OPERATOR_LABELS = {
    "=": "is",
    "!=": "is not",
    "number_equals": "= (number)",
    "number_not_equals": "≠ (number)",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "not_starts_with": "does not start with",
    "ends_with": "ends with",
    "not_ends_with": "does not end with",
    "exists": "exists",
    "not_exists": "does not exist",
    "is_true": "is true",
    "is_false": "is false",
}


@dataclass
class TriggerModel:
    """What the builder shows: match all/any of a flat list of conditions."""

    match: str = MATCH_ALL  # "all" | "any"
    conditions: list[Condition] = field(default_factory=list)


# -- FQL text as Segment's builder writes it -----------------------------------------------------

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]")


def _quote(value: Value) -> str:
    # Segment wraps text in double quotes without escaping anything inside.
    if isinstance(value, bool) or is_number(value):
        assert isinstance(value, (bool, float, int))
        return to_string(value if isinstance(value, bool) else float(value))
    return f'"{"undefined" if value is None else value}"'


def _number(value: Value) -> str:
    if value is None:
        return "NaN"
    return number_to_string(to_number(value if isinstance(value, (str, bool)) else float(value)))


def _escape_name(name: str) -> str:
    # Segment escapes per UTF-16 code unit (its regex has no "u" flag).
    return from_u16(_NAME_UNSAFE.sub(lambda m: "\\" + m.group(), to_u16(name)))


def condition_fql(condition: Condition) -> str:
    """One condition as FQL, e.g. `contains(properties.plan, "pro")`."""
    member = EVENT_MEMBER.get(condition.kind)
    if member is None:
        raise ValueError(f"Unknown condition kind {condition.kind!r}")
    subject = f"{member}.{_escape_name(condition.name)}" if condition.kind in PATH_KINDS else member
    operator, value = condition.operator, condition.value
    if operator in ("contains", "not_contains"):
        prefix = "!" if operator == "not_contains" else ""
        return f"{prefix}contains({subject}, {_quote(value)})"
    if operator == "exists":
        return f"{subject} != null"
    if operator == "not_exists":
        return f"{subject} = null"
    if operator in ("is_true", "is_false"):
        return f"{subject} = {'true' if operator == 'is_true' else 'false'}"
    if operator in ("starts_with", "not_starts_with", "ends_with", "not_ends_with"):
        prefix = "!" if operator.startswith("not_") else ""
        text = (
            "undefined"
            if value is None
            else to_string(value if isinstance(value, (str, bool)) else float(value))
        )
        pattern = f"{text}*" if operator.endswith("starts_with") else f"*{text}"
        return f'{prefix}match({subject}, "{pattern}")'
    if operator in ("<", ">", "<=", ">="):
        return f"{subject} {operator} {_number(value)}"
    if operator == "number_equals":
        return f"{subject} = {_number(value)}"
    if operator == "number_not_equals":
        return f"{subject} != {_number(value)}"
    return f"{subject} {operator} {_quote(value)}"


def _group_fql(group: Group) -> str:
    parts = []
    for child in group.children:
        if child is None:
            raise ValueError("A group with an empty child cannot be written as FQL")
        parts.append(f"({_group_fql(child)})" if isinstance(child, Group) else condition_fql(child))
    return f" {group.operator} ".join(parts)


def generate_fql(root: Group) -> str:
    """A condition tree as FQL, exactly as Segment's generateFql writes it."""
    text = _group_fql(root)
    if text.startswith("(") and text.endswith(")") and text.count("(") + text.count(")") == 2:
        return text[1:-1]
    return text


def fql_from_model(model: TriggerModel) -> str:
    """The FQL Segment's condition builder writes for `model` ("" when it has no conditions)."""
    operator = "or" if model.match == MATCH_ANY else "and"
    return generate_fql(Group(operator, tuple(model.conditions)))


# -- FQL text → model ----------------------------------------------------------------------------


def _fits_builder(condition: Condition) -> bool:
    if condition.operator not in ALLOWED_OPERATORS.get(condition.kind, ()):
        return False
    value = condition.value
    if condition.operator in VALUELESS_OPERATORS:
        return value is None
    if condition.operator in NUMERIC_OPERATORS:
        return is_number(value) and isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, str)


def model_from_fql(text: str) -> TriggerModel | None:
    """The builder model for `text`, or None when the builder cannot show it faithfully (syntax
    error, text Segment partly ignores, nested groups, conditions the builder does not offer, or
    text that Segment would read back differently once rewritten by the builder). A model with one
    condition always comes back as match "all"."""
    try:
        result = parse(text)
    except FqlSyntaxError:
        return None
    if result.warnings:  # the builder would silently drop what Segment ignores; keep the text instead
        return None
    root = result.root
    conditions: list[Condition] = []
    for child in root.children:
        if not isinstance(child, Condition) or not _fits_builder(child):
            return None
        conditions.append(child)
    model = TriggerModel(
        MATCH_ANY if root.operator == "or" and len(conditions) > 1 else MATCH_ALL, conditions
    )
    try:
        reparsed = parse(fql_from_model(model)).root
    except FqlSyntaxError:
        return None
    return model if _normal(reparsed) == _normal(root) else None


def _normal(group: Group) -> Group:
    # A single condition's joiner does not matter.
    return Group("and", group.children) if len(group.children) == 1 else group


def model_problems(model: TriggerModel) -> list[str]:
    """Why the FQL written for `model` would not mean what the builder shows (empty when fine)."""
    problems: list[str] = []
    for index, condition in enumerate(model.conditions, start=1):
        label = f"Condition {index} ({condition.field})"
        if condition.kind not in KINDS:
            problems.append(f"{label}: unknown kind {condition.kind!r}")
            continue
        if not _fits_builder(condition):
            problems.append(
                f"{label}: the builder does not offer “{OPERATOR_LABELS.get(condition.operator, condition.operator)}” "
                "with this kind of value"
            )
            continue
        reason = _round_trip_problem(condition)
        if reason:
            problems.append(f"{label}: {reason}")
    return problems


def _round_trip_problem(condition: Condition) -> str | None:
    text = condition_fql(condition)
    try:
        root = parse(text).root
    except FqlSyntaxError as error:
        return f"Segment could not read the FQL it would get ({error.message})"
    if root.children == (condition,):
        return None
    value = condition.value
    if isinstance(value, str) and '"' in value:
        return 'a value cannot contain a double quote (") because Segment does not escape it'
    if (
        condition.operator.endswith("ends_with")
        and isinstance(value, str)
        and (value == "" or value.endswith("*"))
    ):
        return 'an "ends with" value that is empty or ends with "*" is read back by Segment as "starts with"'
    if condition.kind in PATH_KINDS:
        for segment in condition.name.split("."):
            if segment == "":
                return "the field name has an empty part between dots"
            if segment[0].isdigit() or segment[0] in "-+":
                return f'the part "{segment}" of the field name starts with a digit or sign, which Segment cannot read'
            if segment in ("and", "or", "null"):
                return f'the part "{segment}" of the field name is a reserved word in Segment\'s FQL'
    return "Segment would read the written FQL back as a different condition"


def describe_condition(condition: Condition) -> str:
    """A one-line summary for lists: `Event name is "Order Completed"`, `User trait email exists`."""
    label = KIND_LABELS.get(condition.kind, condition.kind)
    if condition.kind in PATH_KINDS:
        label = f"{label} {condition.name}"
    operator = OPERATOR_LABELS.get(condition.operator, condition.operator)
    if condition.operator in VALUELESS_OPERATORS:
        return f"{label} {operator}"
    value = event_value_text(condition.value)
    shown = f'"{value}"' if isinstance(condition.value, str) else value
    return f"{label} {operator} {shown}"


def event_value_text(value: Value) -> str:
    """The value as the builder's text box shows it."""
    if value is None:
        return ""
    return to_string(value if isinstance(value, (str, bool)) else float(value))


__all__ = [
    "ALLOWED_OPERATORS",
    "EVENT_TYPES",
    "KIND_LABELS",
    "MATCH_ALL",
    "MATCH_ANY",
    "OPERATOR_LABELS",
    "TriggerModel",
    "condition_fql",
    "describe_condition",
    "event_value_text",
    "fql_from_model",
    "generate_fql",
    "model_from_fql",
    "model_problems",
]
