"""The payload schema of an action and Segment's clean-up, coercion and validation of a payload.

Segment turns an action's fields into a JSON schema and validates every mapped payload with ajv
configured to coerce (``coerceTypes: "array"``), drop unknown keys (``removeAdditional``) and report all
errors; before that it removes empty values.  This module reproduces those steps on a small compiled
schema (only the keywords Segment generates from fields), including the order in which ajv reports
problems and the wording Segment's ``ajv-human-errors`` gives them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from .actions import FieldDef
from .jsdate import is_date_like, js_string_to_number
from .jsvalues import UNDEFINED, number_to_string
from .wording import with_article

__all__ = ["SchemaNode", "SchemaProblem", "build_schema", "remove_empty_values", "validate_payload"]

_COERCIBLE: Final = frozenset({"string", "number", "integer", "boolean", "null", "array"})
_UNSET: Final = object()


@dataclass(frozen=True)
class SchemaProblem:
    """One violation: where (JSON pointer into the payload), the top-level field, and Segment's text."""

    pointer: str
    field: str
    message: str


@dataclass
class SchemaNode:
    """A compiled JSON-schema node (the subset Segment's ``fieldsToJsonSchema`` produces)."""

    title: str | None = None
    types: tuple[str, ...] = ()
    type_is_list: bool = False  # ajv words the error from the schema's own `type` value
    enum: tuple[Any, ...] | None = None
    format: str | None = None
    items: SchemaNode | None = None
    properties: dict[str, SchemaNode] | None = None
    required: tuple[str, ...] = ()
    no_additional: bool = False
    _coerce_to: tuple[str, ...] = field(default=(), init=False)
    _check_types: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._coerce_to = tuple(t for t in self.types if t in _COERCIBLE)
        has_rules = self._has_rules_for(self.types[0]) if len(self.types) == 1 else False
        self._check_types = bool(self.types) and not (
            not self._coerce_to and len(self.types) == 1 and has_rules
        )

    def _has_rules_for(self, json_type: str) -> bool:
        if json_type == "object":
            return self.properties is not None or bool(self.required) or self.no_additional
        if json_type == "array":
            return self.items is not None
        if json_type == "string":
            return self.format is not None
        return False


def _field_types(f: FieldDef) -> tuple[str, ...]:
    if f.type in ("string", "text", "password"):
        return ("string",)
    if f.type == "datetime":
        return ("string", "number")
    return (f.type,)


def _field_node(f: FieldDef) -> SchemaNode:
    types = _field_types(f)
    type_is_list = len(types) > 1
    enum: tuple[Any, ...] | None = f.choice_values if f.choices else None
    if f.allow_null:
        types = (*types, "null")
        type_is_list = True
        if enum is not None:
            enum = (*enum, None)
    fmt = "date-like" if f.type == "datetime" else None
    sub_props: dict[str, SchemaNode] | None = None
    sub_required: tuple[str, ...] = ()
    if f.type == "object" and f.properties:
        sub_props = {p.key: _field_node(p) for p in f.properties}
        sub_required = tuple(p.key for p in f.properties if p.required)
    if f.multiple:
        # Segment gives the items the field's bare type (no null, no format) and its choices.
        if sub_props is not None:
            item = SchemaNode(
                types=("object",), properties=sub_props, required=sub_required, no_additional=True
            )
        else:
            base = _field_types(f)
            item = SchemaNode(types=base, type_is_list=len(base) > 1, enum=enum)
        return SchemaNode(title=f.label, types=("array",), items=item)
    if sub_props is not None:
        return SchemaNode(
            title=f.label,
            types=types,
            type_is_list=type_is_list,
            properties=sub_props,
            required=sub_required,
            no_additional=True,
        )
    return SchemaNode(title=f.label, types=types, type_is_list=type_is_list, enum=enum, format=fmt)


def build_schema(fields: Iterable[FieldDef]) -> SchemaNode:
    """The schema Segment builds from an action's fields (root: an object without extra keys)."""
    fields = tuple(fields)
    return SchemaNode(
        types=("object",),
        properties={f.key: _field_node(f) for f in fields},
        required=tuple(f.key for f in fields if f.required),
        no_additional=True,
    )


# --- empty-value removal ----------------------------------------------------------------------


def remove_empty_values(obj: Any, schema: SchemaNode | None, is_root: bool = False) -> Any:
    """Segment's ``removeEmptyValues``: drop nulls and empty strings the schema does not allow.

    Returns ``_UNSET`` for a value to remove (only ever seen by the recursion and the root caller).
    """
    if schema is None or not schema.types and schema.enum is None:
        return obj
    if isinstance(obj, list):
        if schema.items is None:
            return obj
        kept = []
        for item in obj:
            cleaned = remove_empty_values(item, schema.items)
            if cleaned is not _UNSET and cleaned is not UNDEFINED:
                kept.append(item)
        return kept
    if isinstance(obj, dict):
        if schema.properties is None:
            return obj
        out: dict[str, Any] = {}
        for key, value in obj.items():
            cleaned = remove_empty_values(value, schema.properties.get(key))
            if (
                cleaned is _UNSET
                or cleaned is UNDEFINED
                or (is_root and cleaned == "" and isinstance(cleaned, str))
            ):
                continue
            out[key] = cleaned
        return out
    if obj is None and "null" not in schema.types:
        return _UNSET
    if isinstance(obj, str) and obj == "" and "string" not in schema.types:
        return _UNSET
    return obj


# --- ajv: type checks, coercion, keywords ------------------------------------------------------


def _is_type(json_type: str, value: Any) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "number":
        return _is_number(value) and _finite(value)
    if json_type == "integer":
        return _is_number(value) and _finite(value) and float(value).is_integer()
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "null":
        return value is None
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: int | float) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def _js_number(value: float) -> int | float:
    """A JS number as the payload carries it: integral values as ``int`` (exact below 2**53)."""
    if math.isfinite(value) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _coerce_one(json_type: str, value: Any) -> Any:
    """ajv's coercion of ``value`` to one type; ``_UNSET`` when this type's rule does not apply."""
    if json_type == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if _is_number(value):
            return number_to_string(value)
        if value is None:
            return ""
    elif json_type in ("number", "integer"):
        if isinstance(value, bool):
            return int(value)
        if value is None:
            return 0
        if isinstance(value, str) and value:
            number = js_string_to_number(value)
            if number == number and (
                json_type == "number" or not math.isfinite(number) or number.is_integer()
            ):
                return _js_number(number)
    elif json_type == "boolean":
        if value == "false" or value is None or (_is_number(value) and value == 0):
            return False
        if value == "true" or (_is_number(value) and value == 1):
            return True
    elif json_type == "null":
        if value == "" or value is False or (_is_number(value) and value == 0):
            return None
    elif json_type == "array":
        if isinstance(value, (str, bool, int, float)) or value is None:
            return [value]
    return _UNSET


@dataclass
class _Run:
    problems: list[SchemaProblem] = field(default_factory=list)

    def report(self, node: SchemaNode, pointer: str, text: str, missing: str | None = None) -> None:
        if node.title:
            preamble = node.title
        elif pointer == "":
            preamble = "the root value"
        else:
            preamble = f"the value at {pointer}"
        sentence = f"{preamble} {text}"
        message = sentence[:1].upper() + sentence[1:] + "."
        where = pointer if missing is None else _pointer(pointer, missing)
        self.problems.append(SchemaProblem(where, _top_key(where), message))


def _top_key(pointer: str) -> str:
    if not pointer:
        return ""
    return pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _type_error(run: _Run, node: SchemaNode, pointer: str, value: Any) -> None:
    expected = _humanize_list(list(node.types), "or")
    run.report(node, pointer, f"must be {with_article(expected)} but it was {_humanize_type(value)}")


def _humanize_type(value: Any) -> str:
    if value is UNDEFINED or value is _UNSET:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _humanize_list(items: list[str], conjunction: str) -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return f"{', '.join(items[:-1])}, {conjunction} {items[-1]}"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _validate(node: SchemaNode, value: Any, pointer: str, run: _Run) -> Any:
    """Validate ``value`` against ``node`` in ajv's order; returns the (possibly coerced) value."""
    if node._check_types and not any(_is_type(t, value) for t in node.types):
        if node._coerce_to:
            coerced: Any = _UNSET
            if isinstance(value, list) and len(value) == 1:
                # coerceTypes "array": a one-element array stands for its element.
                value = value[0]
                # ajv tests the element with an AND over the types, which only a single type can pass:
                # for a field such as a datetime (string or number) the element is coerced instead.
                if len(node.types) == 1 and _is_type(node.types[0], value):
                    coerced = value
            if coerced is _UNSET:
                for json_type in node._coerce_to:
                    coerced = _coerce_one(json_type, value)
                    if coerced is not _UNSET:
                        break
            if coerced is _UNSET:
                _type_error(run, node, pointer, value)
            else:
                value = coerced
        else:
            _type_error(run, node, pointer, value)
    if node.enum is not None and not any(_same(value, allowed) for allowed in node.enum):
        allowed_text = _humanize_list([_json_text(v) for v in node.enum], "or")
        run.report(node, pointer, f"must be one of: {allowed_text}")
    if node.format == "date-like" and isinstance(value, str) and not is_date_like(value):
        run.report(node, pointer, "must be a valid date-like string but it was not")
    if isinstance(value, list):
        if node.items is not None:
            for i, item in enumerate(value):
                value[i] = _validate(node.items, item, _pointer(pointer, i), run)
    elif not node._check_types and node.types == ("array",):
        _type_error(run, node, pointer, value)
    if isinstance(value, dict):
        _validate_object(node, value, pointer, run)
    elif not node._check_types and node.types == ("object",):
        _type_error(run, node, pointer, value)
    return value


def _validate_object(node: SchemaNode, value: dict[str, Any], pointer: str, run: _Run) -> None:
    for key in node.required:
        if key not in value:
            run.report(node, pointer, f"is missing the required field '{key}'", missing=key)
    props = node.properties or {}
    if node.no_additional:
        for key in [k for k in value if k not in props]:
            del value[key]
    for key, sub in props.items():
        if key in value:
            value[key] = _validate(sub, value[key], _pointer(pointer, key), run)


def _same(a: Any, b: Any) -> bool:
    """ajv's ``enum`` equality (strict for primitives, deep for containers)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    return bool(a == b)


def validate_payload(payload: Any, schema: SchemaNode) -> tuple[Any, list[SchemaProblem]]:
    """Segment's ``validateSchema``: wrap ``multiple`` fields in arrays, then coerce and check.

    Works on (and returns) a copy-safe value: the caller passes a fresh payload; it is edited in place.
    """
    if isinstance(payload, dict) and schema.properties:
        for key, value in payload.items():
            sub = schema.properties.get(key)
            if (
                sub is not None
                and sub.types == ("array",)
                and not isinstance(value, list)
                and value is not None
            ):
                payload[key] = [value]
    run = _Run()
    payload = _validate(schema, payload, "", run)
    return payload, run.problems
