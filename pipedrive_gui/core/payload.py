"""Segment's payload pipeline for one Pipedrive action: what ``perform()`` would receive.

mapping-kit transform of the event → removal of empty values → schema coercion and validation, exactly
as Segment runs them before calling the action.  ``compile_action`` does the per-mapping work once
(mapping compilation, schema) so previews and the receiver can run many events quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .actions import EXEMPT_KEYS, ActionDef, get_action
from .jsvalues import UNDEFINED, to_json_value
from .mapping_kit import CompiledMapping, MappingKitError, compile_mapping
from .schema import SchemaNode, build_schema, remove_empty_values, validate_payload

__all__ = [
    "EXEMPT_KEYS",
    "CompiledAction",
    "FieldProblem",
    "PayloadResult",
    "build_payload",
    "compile_action",
]


@dataclass(frozen=True)
class FieldProblem:
    """One reason Segment would reject the payload.

    ``field`` is the top-level field key (``""`` for the payload as a whole), ``label`` its label in
    the action (``""`` when unknown) and ``message`` Segment's sentence for it.
    """

    field: str
    label: str
    message: str


@dataclass(frozen=True)
class PayloadResult:
    """The outcome for one event: the payload, or why Segment would refuse it.

    ``error`` is Segment's exact message (schema problems joined by single spaces, or the mapping
    kit's error); ``problems`` is the same per field, empty for mapping errors.
    """

    ok: bool
    payload: dict[str, Any] | None
    problems: list[FieldProblem] = field(default_factory=list)
    error: str | None = None


def _copy(value: Any) -> Any:
    # The coercion step edits the payload in place; never let it reach values shared with the mapping.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class CompiledAction:
    """A mapping of one action, compiled once; ``run(event)`` gives the payload for an event."""

    def __init__(self, action: ActionDef, mapping: Any) -> None:
        self.action = action
        self.mapping = mapping
        self._schema: SchemaNode = build_schema(action.fields)
        self._labels = {f.key: f.label for f in action.fields}
        self._compiled: CompiledMapping | None = None
        self._mapping_error: str | None = None
        try:
            self._compiled = compile_mapping(mapping)
        except MappingKitError as exc:
            self._mapping_error = str(exc)

    def run(self, event: Any) -> PayloadResult:
        if self._compiled is None:
            return PayloadResult(ok=False, payload=None, error=self._mapping_error)
        try:
            mapped = self._compiled.evaluate(event)
            cleaned = remove_empty_values(_copy(mapped), self._schema, True)
            if not isinstance(cleaned, (dict, list, str, int, float, bool)) and cleaned is not None:
                cleaned = UNDEFINED
            exempted = (
                {k: cleaned[k] for k in EXEMPT_KEYS if k in cleaned} if isinstance(cleaned, dict) else {}
            )
            validated, schema_problems = validate_payload(cleaned, self._schema)
            if isinstance(validated, dict):
                for key, value in exempted.items():
                    if value is not UNDEFINED:
                        validated.pop(key, None)
                        validated[key] = value  # put back last, where Segment's restore puts it
        except MappingKitError as exc:
            return PayloadResult(ok=False, payload=None, error=str(exc))
        except RecursionError:
            # Hundreds of levels of nesting in the event (or the mapping): no real Segment event is
            # like that, and Python's stack is smaller than Node's.
            return PayloadResult(
                ok=False,
                payload=None,
                error="The mapping or the event is nested too deeply (hundreds of levels) to evaluate. "
                "Simplify the mapping, or map a less deeply nested part of the event.",
            )
        if schema_problems:
            problems = [
                FieldProblem(p.field, self._labels.get(p.field, ""), p.message) for p in schema_problems
            ]
            return PayloadResult(
                ok=False,
                payload=None,
                problems=problems,
                error=" ".join(p.message for p in schema_problems),
            )
        payload = to_json_value(validated)
        return PayloadResult(ok=True, payload=payload if isinstance(payload, dict) else None)


def compile_action(slug: str, mapping: Any) -> CompiledAction:
    """Compile ``mapping`` for the action ``slug``; raises ``UnknownActionError`` for a bad slug.

    A malformed mapping does not raise: every ``run`` reports Segment's mapping error.
    """
    return CompiledAction(get_action(slug), mapping)


def build_payload(action_slug: str, mapping: Any, event: Any) -> PayloadResult:
    """The payload Segment's ``perform()`` would receive for ``event`` (one-off; see ``compile_action``)."""
    return compile_action(action_slug, mapping).run(event)
