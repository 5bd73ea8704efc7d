"""Values: custom fields that do not exist or cannot hold the value; required fields left empty."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import CUSTOM_FIELDS_ENTITY, LintContext, names, plural
from .model import Finding, LintEvent
from .registry import field_label, finding, rule, short_key, show
from .values import value_problem


def custom_keys(settings: dict[str, Any]) -> list[str]:
    value = settings.get("custom_fields")
    if isinstance(value, dict) and not any(k.startswith("@") for k in value):
        return [str(k) for k in value]
    return []


def _fact_for(ctx: LintContext, entity: str, key: str) -> Any:
    if ctx.fields is None:
        return None
    fact = ctx.fields.get(entity, key)
    if fact is None:  # the app also accepts a field's label as the key
        fact = next(
            (
                f
                for f in ctx.fields.by_entity.get(entity, {}).values()
                if f.label.casefold() == key.strip().casefold()
            ),
            None,
        )
    return fact


@rule("custom-field-unknown", "error", "A custom field that is not in the account", needs_fields=True)
def custom_field_unknown(ctx: LintContext) -> Iterator[Finding]:
    if ctx.fields is None:
        return
    for m in ctx.project.mappings:
        entity = CUSTOM_FIELDS_ENTITY.get(m.action)
        if entity is None or not ctx.fields.knows(entity):
            continue
        for key in custom_keys(m.settings):
            if _fact_for(ctx, entity, key) is None:
                yield finding(
                    custom_field_unknown,
                    m,
                    f"Custom fields: this Pipedrive account has no {entity} field “{short_key(key)}” (deleted, "
                    "or chosen in another account). Pipedrive does not store the value; this app's Send test "
                    "refuses the whole write.",
                    "Remove the row, or choose the field again by its name (Pipedrive > Refresh fields if it "
                    "was added recently).",
                    field="custom_fields",
                    custom_field=key,
                )


@rule(
    "custom-value-type",
    "error",
    "A custom-field value that does not fit the Pipedrive field's type",
    needs_fields=True,
    needs_events=True,
)
def custom_value_type(ctx: LintContext) -> Iterator[Finding]:
    if ctx.fields is None:
        return
    for m in ctx.project.mappings:
        entity = CUSTOM_FIELDS_ENTITY.get(m.action)
        if entity is None:
            continue
        bad: dict[str, list[tuple[LintEvent, Any, str]]] = {}
        for ev, payload in ctx.ok_payloads(m):
            values = payload.get("custom_fields")
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                fact = _fact_for(ctx, entity, key)
                problem = value_problem(fact, value) if fact is not None else None
                if problem:
                    bad.setdefault(key, []).append((ev, value, problem))
        for key, items in bad.items():
            fact = _fact_for(ctx, entity, key)
            ev0, value0, problem0 = items[0]
            yield finding(
                custom_value_type,
                m,
                f"Custom field “{fact.label}” ({fact.field_type}): {show(value0)} {problem0}, in "
                f"{names([e for e, _, _ in items])}. Pipedrive cannot store it: Send test refuses the write, "
                "and through Segment the field is not set.",
                "Map a value of the field's type (for an option field, one of its option labels), or "
                "choose a field of the value's type.",
                field="custom_fields",
                custom_field=key,
                custom_label=fact.label,
                events=[e for e, _, _ in items],
            )


@rule("required-empty", "error", "A field Segment requires is empty for the samples", needs_events=True)
def required_empty(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        missing: dict[str, list[LintEvent]] = {}
        for run in ctx.firing(m):
            if run.payload is None or run.payload.ok:
                continue
            for p in run.payload.problems:
                if "missing the required field" in p.message and p.field not in ("match_value",):
                    key = p.field or p.message.rsplit("'", 2)[-2]
                    missing.setdefault(key, []).append(run.event)
        for key, events in missing.items():
            label = field_label(m.action, key)
            yield finding(
                required_empty,
                m,
                f"{label} is required by Segment but empty in {plural(len(events), 'event')} this mapping "
                f"fires on ({names(events)}): Segment rejects those events, nothing reaches Pipedrive.",
                f"Map {label} from a path these events have (or a template with a fallback), or add a "
                "condition to the trigger so the mapping only runs when the value is there.",
                field=key,
                events=events,
            )


@rule(
    "payload-rejected",
    "error",
    "Segment would reject the payload for a sample (wrong type, mapping error)",
    needs_events=True,
)
def payload_rejected(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        seen: dict[tuple[str, str], list[LintEvent]] = {}
        for run in ctx.firing(m):
            result = run.payload
            if result is None or result.ok:
                continue
            problems = [p for p in result.problems if "missing the required field" not in p.message]
            if not result.problems:
                seen.setdefault(("", result.error or "the mapping could not be evaluated"), []).append(
                    run.event
                )
            for p in problems:
                seen.setdefault((p.field, p.message), []).append(run.event)
        for (key, message), events in seen.items():
            yield finding(
                payload_rejected,
                m,
                f"Segment would reject {names(events)}: {message.rstrip('.')}.",
                "Map a value of the type the field takes, or fix the expression (the preview shows the "
                "same message for that event).",
                field=key,
                events=events,
            )
