"""The mapping validator, with Segment's rules, messages and reporting order.

Segment throws one error for a single problem and an aggregate for the members of an
object (all members are checked, their problems flattened); ``_Invalid`` models both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from pipedrive_gui.core.jsvalues import UNDEFINED, js_keys, js_to_json, real_type_of, utf16_len
from pipedrive_gui.core.wording import with_article

from .errors import MappingProblem, MappingValidationError

MAX_PATTERN_LENGTH: Final = 10
MAX_REPLACEMENT_LENGTH: Final = 10

Stack = tuple[str, ...]
Validator = Callable[[Any, Stack], None]


class _Invalid(Exception):
    def __init__(self, problems: list[MappingProblem]) -> None:
        super().__init__()
        self.problems = problems


def _fail(message: str, stack: Stack) -> _Invalid:
    return _Invalid([MappingProblem("/" + "/".join(stack), message, stack)])


def _type_or_directive(value: Any) -> str:
    if isinstance(value, dict) and any(k.startswith("@") for k in value):
        return "directive"
    return real_type_of(value)


def _validate_directive(obj: dict[str, Any], stack: Stack) -> None:
    keys = js_keys(obj)
    directive_keys = [k for k in keys if k.startswith("@")]
    if len(directive_keys) > 1:
        raise _fail(f"should only have one @-prefixed key but it has {len(directive_keys)} keys", stack)
    if any(not k.startswith("@") and k != "_metadata" for k in keys):
        raise _fail(f"should only have one @-prefixed key but it has {len(keys)} keys", stack)
    name = directive_keys[0]
    rule = _DIRECTIVES.get(name)
    if rule is None:
        raise _fail(f"has an invalid directive: {name}", stack)
    rule(obj[name], (*stack, name))


def _directive_or_raw(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        _validate_directive(value, stack)
    elif kind not in ("object", "array", "boolean", "string", "number", "null"):
        raise _fail(f"should be a mapping directive or a JSON value but it is {with_article(kind)}", stack)


def _directive_or_string(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        _validate_directive(value, stack)
    elif kind != "string":
        raise _fail(f"should be a string or a mapping directive but it is {with_article(kind)}", stack)


def _directive_or_object(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        _validate_directive(value, stack)
    elif kind == "object":
        _validate_object(value, stack)
    else:
        # "a object" is Segment's own wording (mapping-kit validate.ts); the conformance cases keep it.
        raise _fail(f"should be a object or a mapping directive but it is {with_article(kind)}", stack)


def _chain(*validators: Validator) -> Validator:
    def run(value: Any, stack: Stack) -> None:
        for validator in validators:
            validator(value, stack)

    return run


def _string_length(minimum: int, maximum: int) -> Validator:
    def run(value: Any, stack: Stack) -> None:
        if isinstance(value, str):
            length = utf16_len(value)
            if length < minimum:
                raise _fail(f"should be a string of length {minimum} or greater", stack)
            if length > maximum:
                raise _fail(f"should be a string of length {maximum} or less", stack)

    return run


def _expect_type(expected: str, value: Any, stack: Stack) -> None:
    """Fail unless ``value`` is of the JSON type ``expected`` (a directive is not)."""
    kind = _type_or_directive(value)
    if kind != expected:
        raise _fail(f"should be {with_article(expected)} but it is {with_article(kind)}", stack)


def _string(value: Any, stack: Stack) -> None:
    _expect_type("string", value, stack)


def _allowed_strings(*allowed: str) -> Validator:
    def run(value: Any, stack: Stack) -> None:
        _string(value, stack)
        if value.lower() not in allowed:
            quoted = js_to_json(value)
            raise _fail(f"should be one of {', '.join(allowed)} but it is {quoted}", stack)

    return run


def _boolean(value: Any, stack: Stack) -> None:
    _expect_type("boolean", value, stack)


def _validate_object(value: Any, stack: Stack) -> None:
    _expect_type("object", value, stack)
    problems: list[MappingProblem] = []
    for key in js_keys(value):
        try:
            validate_node(value[key], (*stack, key))
        except _Invalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise _Invalid(problems)


Field = tuple[str, bool, Validator]  # name, required, validator


def _object_with_fields(value: Any, fields: list[Field], stack: Stack) -> None:
    _validate_object(value, stack)
    problems: list[MappingProblem] = []
    for name, required, validator in fields:
        try:
            member = value.get(name, _MISSING)
            if required and member is _MISSING:
                raise _fail(f"should have field {json.dumps(name)} but it doesn't", stack)
            if member is not _MISSING:
                validator(member, (*stack, name))
        except _Invalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise _Invalid(problems)


_MISSING: Final = object()


def _array(value: Any, stack: Stack) -> None:
    kind = real_type_of(value)
    if kind != "array":
        raise _fail(f"should be an array but it is {with_article(kind)}", stack)


def _fields(*fields: Field) -> Validator:
    def run(value: Any, stack: Stack) -> None:
        _object_with_fields(value, list(fields), stack)

    return run


def _array_path(value: Any, stack: Stack) -> None:
    _array(value, stack)
    _directive_or_string(value[0] if value else UNDEFINED, stack)
    validate_node(value[1] if len(value) > 1 else None, stack)


def _merge(value: Any, stack: Stack) -> None:
    _object_with_fields(
        value,
        [("direction", False, _allowed_strings("left", "right")), ("objects", True, _array)],
        stack,
    )
    for item in value["objects"]:
        # Segment validates these items without the current location.
        _directive_or_object(item, ())


_DIRECTIVES: Final[dict[str, Validator]] = {
    "@if": _fields(
        ("exists", False, _directive_or_raw),
        ("then", False, _directive_or_raw),
        ("else", False, _directive_or_raw),
    ),
    "@case": _fields(("operator", False, _string), ("value", False, _directive_or_string)),
    "@replace": _fields(
        ("pattern", True, _chain(_string, _string_length(1, MAX_PATTERN_LENGTH))),
        ("replacement", False, _chain(_string, _string_length(0, MAX_REPLACEMENT_LENGTH))),
        ("value", True, _directive_or_string),
        ("ignorecase", False, _boolean),
        ("global", False, _boolean),
    ),
    "@arrayPath": _array_path,
    "@path": _directive_or_string,
    "@json": _fields(
        ("value", True, _directive_or_raw),
        ("mode", True, _allowed_strings("encode", "decode")),
    ),
    "@flatten": _fields(("separator", False, _string), ("value", True, _directive_or_raw)),
    "@merge": _merge,
    "@template": _directive_or_string,
    "@literal": _directive_or_raw,
    "@transform": _fields(
        ("apply", True, _directive_or_object),
        ("mapping", True, _directive_or_object),
    ),
    "@excludeWhenNull": _directive_or_raw,
    "@liquid": _string,
}


def validate_node(value: Any, stack: Stack = ()) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        _validate_directive(value, stack)
    elif kind == "object":
        _validate_object(value, stack)
    elif kind == "array":
        _array(value, stack)


def find_problems(mapping: Any) -> list[MappingProblem]:
    """Every problem Segment's validator reports for ``mapping`` (empty when valid)."""
    try:
        validate_node(mapping)
    except _Invalid as exc:
        return exc.problems
    except RecursionError:
        return [MappingProblem("/", "Maximum call stack size exceeded")]
    return []


def validate_mapping(mapping: Any) -> None:
    """Raise :class:`MappingValidationError` listing every problem of ``mapping``."""
    problems = find_problems(mapping)
    if problems:
        raise MappingValidationError(problems)
