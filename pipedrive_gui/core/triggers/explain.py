"""Plain-English reasons why a trigger does not fire for an event, for people who don't read FQL."""

from __future__ import annotations

from typing import Any

from .errors import FqlEvaluationError
from .evaluate import compile_node, field_reader, value_test
from .jsops import INHERITED, UNDEF, is_number, number_to_string
from .nodes import Condition, Group, Node

_MAX_SHOWN = 60

_COMPARISON = {"<": "less than", "<=": "at most", ">": "more than", ">=": "at least"}
_TEXT_VERB = {
    "contains": ("contain", "containing"),
    "starts_with": ("start with", "starting with"),
    "ends_with": ("end with", "ending with"),
}


def describe_value(value: Any) -> str:
    """How a value of the event is shown to a person: `"Order Completed"`, `42`, `true`, `missing`."""
    if value is UNDEF:
        return "missing"
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if is_number(value):
        return number_to_string(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 1] + "…"
        return f'"{shown}"'
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    if value is INHERITED:
        return "a built-in JavaScript member (the name is inherited, not part of the event)"
    return "a value Segment cannot compare"


def _expected_text(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value)
    return "nothing" if value is None else str(value)


def _kind_of(actual: Any) -> str:
    """`missing`, or the value plus what it is when the type is what makes the condition fail."""
    shown = describe_value(actual)
    if isinstance(actual, str):
        return f"the text {shown}"
    if actual is True or actual is False:
        return f"the true/false value {shown}"
    return shown


def condition_reason(condition: Condition, actual: Any) -> str:
    """Why `condition` does not hold when its field reads `actual`."""
    field = condition.field
    operator = condition.operator
    expected = _expected_text(condition.value)
    shown = describe_value(actual)
    if operator == "=":
        return f"{field} is {shown}, not {expected}"
    if operator == "!=":
        return f"{field} is {shown}, which the trigger excludes"
    if operator in ("number_equals", "number_not_equals") or operator in _COMPARISON:
        if not is_number(actual):
            wanted = {
                "number_equals": f"the number {expected}",
                "number_not_equals": f"a number other than {expected}",
            }.get(operator, f"a number {_COMPARISON.get(operator, '')} {expected}")
            return f"{field} is {_kind_of(actual)}, not {wanted}"
        if operator == "number_equals":
            return f"{field} is {shown}, not {expected}"
        if operator == "number_not_equals":
            return f"{field} is {shown}, which the trigger excludes"
        return f"{field} is {shown}, not {_COMPARISON[operator]} {expected}"
    base = operator.removeprefix("not_")
    if base in _TEXT_VERB:
        verb, gerund = _TEXT_VERB[base]
        if not isinstance(actual, str):
            if operator.startswith("not_"):
                return f"{field} is {_kind_of(actual)}, not text (it must be text not {gerund} {expected})"
            return f"{field} is {_kind_of(actual)}, not text {gerund} {expected}"
        if operator.startswith("not_"):
            return f"{field} is {shown}, which does {verb} {expected}"
        return f"{field} is {shown}, which does not {verb} {expected}"
    if operator == "exists":
        return f"{field} is {shown}"
    if operator == "not_exists":
        return f"{field} is {shown}, but it must be missing or null"
    if operator in ("is_true", "is_false"):
        wanted = "true" if operator == "is_true" else "false"
        return f"{field} is {_kind_of(actual)}, not {wanted}"
    return f'{field} is {shown}; "{operator}" is not an operator Segment knows, so this condition never holds'


def node_reasons(node: Node | None, event: Any) -> list[str]:
    """Reasons `node` does not hold for `event` (empty when it holds)."""
    try:
        if compile_node(node)(event):
            return []
    except FqlEvaluationError as error:
        return [error.message]
    if node is None:  # compile_node raised above; kept for the type checker
        return []
    if isinstance(node, Condition):
        try:
            actual = field_reader(node)(event)
        except FqlEvaluationError as error:
            return [error.message]
        if value_test(node.operator, node.value)(actual):
            return []
        return [condition_reason(node, actual)]
    return _group_reasons(node, event)


def _group_reasons(group: Group, event: Any) -> list[str]:
    per_child = [node_reasons(child, event) for child in group.children]
    if group.operator == "and":
        return [reason for reasons in per_child for reason in reasons]
    failing = [" and ".join(reasons) for reasons in per_child if reasons]
    if len(failing) == 1:
        return [failing[0]]
    return ["none of the alternatives holds: " + "; or ".join(failing)]
