"""Compile a condition tree into Python closures that decide a match exactly like Segment's validate().

Field values are read with plain JS property access (see jsops.get_member): `a.b` on `{"a": 0}` reads
0 because the walk stops at a falsy value; strings and arrays answer `length` and indexes.
"""

from __future__ import annotations

import operator as op
import re
from collections.abc import Callable
from typing import Any

from .errors import FqlEvaluationError
from .jsops import (
    UNDEF,
    as_float,
    get_member,
    has_surrogates,
    is_number,
    is_undef,
    to_number,
    to_string,
    to_u16,
    truthy,
)
from .nodes import EVENT_MEMBER, PATH_KINDS, Condition, Group, Node, Value

Reader = Callable[[Any], Any]
Test = Callable[[Any], bool]
Predicate = Callable[[Any], bool]

_PATH_SPLIT = re.compile(r"[^\[\].]+")


def _top_reader(member: str) -> Reader:
    def read(event: Any) -> Any:
        if isinstance(event, dict):
            value = event.get(member, UNDEF)
            return UNDEF if is_undef(value) else value
        if event is None:
            raise FqlEvaluationError(
                "The event is null, not an object, so Segment's trigger check fails on it "
                '(Segment reports an error instead of "no match").',
                segment_error=f"Cannot read properties of null (reading '{member}')",
            )
        return UNDEF

    return read


def field_reader(condition: Condition) -> Reader:
    """A function event → the value the condition looks at (UNDEF when missing)."""
    top = _top_reader(EVENT_MEMBER.get(condition.kind, condition.kind))
    if condition.kind not in PATH_KINDS:
        return top
    path = to_u16(condition.name)
    if path == "":
        return lambda event: (top(event), UNDEF)[1]
    keys = tuple(_PATH_SPLIT.findall(path))
    if not keys:

        def fail(event: Any) -> Any:
            top(event)
            raise FqlEvaluationError(
                f'The field name "{condition.field}" has no name between its dots and brackets, '
                "so Segment's trigger check fails on every event.",
                segment_error="Cannot read properties of null (reading 'reduce')",
            )

        return fail

    if len(keys) == 1:
        key = keys[0]

        def read_one(event: Any) -> Any:
            value = top(event)
            return get_member(value, key) if truthy(value) else value

        return read_one

    def read_path(event: Any) -> Any:
        value = top(event)
        for key in keys:
            if not truthy(value):
                break
            value = get_member(value, key)
        return value

    return read_path


def _text_test(compare: Callable[[str, str], bool], expected: str, negate: bool = False) -> Test:
    """A test on string values only, comparing in UTF-16 form when the expected text needs it."""
    if has_surrogates(expected):

        def test_u16(actual: Any) -> bool:
            return isinstance(actual, str) and compare(to_u16(actual), expected) != negate

        return test_u16

    def test(actual: Any) -> bool:
        return isinstance(actual, str) and compare(actual, expected) != negate

    return test


def _number_test(compare: Callable[[float, float], bool], expected: float) -> Test:
    def test(actual: Any) -> bool:
        return is_number(actual) and compare(as_float(actual), expected)

    return test


def _js_text(value: Value) -> str:
    return "undefined" if value is None else to_u16(to_string(value))


def _js_number(value: Value) -> float:
    return float("nan") if value is None else to_number(value)


def value_test(operator: str, expected: Value) -> Test:
    """A function actual → bool for one operator, with Segment's type rules (text operators need a
    string, numeric ones a number, is_true/is_false a boolean)."""
    if operator == "=":
        text = _js_text(expected)
        return _text_test(op.eq, text)
    if operator == "!=":
        eq = _text_test(op.eq, _js_text(expected))
        return lambda actual: not eq(actual)
    if operator == "number_equals":
        return _number_test(op.eq, _js_number(expected))
    if operator == "number_not_equals":
        return _number_test(op.ne, _js_number(expected))
    numeric = {"<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge}.get(operator)
    if numeric is not None:
        return _number_test(numeric, _js_number(expected))
    text = _js_text(expected)
    if operator in ("contains", "not_contains"):
        return _text_test(lambda actual, needle: needle in actual, text, operator == "not_contains")
    if operator in ("starts_with", "not_starts_with"):
        return _text_test(str.startswith, text, operator == "not_starts_with")
    if operator in ("ends_with", "not_ends_with"):
        return _text_test(str.endswith, text, operator == "not_ends_with")
    if operator == "exists":
        return lambda actual: actual is not None and actual is not UNDEF
    if operator == "not_exists":
        return lambda actual: actual is None or actual is UNDEF
    if operator == "is_true":
        return lambda actual: actual is True
    if operator == "is_false":
        return lambda actual: actual is False
    return lambda actual: False


def _missing_child(event: Any) -> bool:
    raise FqlEvaluationError(
        'The trigger contains empty parentheses "()"; Segment\'s trigger check fails when it reaches them.',
        segment_error="Cannot read properties of undefined (reading 'type')",
    )


def compile_node(node: Node | None) -> Predicate:
    """A function event → bool for a node (the event must not be undefined)."""
    if node is None:
        return _missing_child
    if isinstance(node, Group):
        children = tuple(compile_node(child) for child in node.children)
        if node.operator == "and":
            if len(children) == 1:
                return children[0]
            return lambda event: all(child(event) for child in children)
        if node.operator == "or":
            return lambda event: any(child(event) for child in children)
        return lambda event: False
    read = field_reader(node)
    test = value_test(node.operator, node.value)
    return lambda event: test(read(event))
