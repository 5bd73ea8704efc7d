"""Production differences: Segment's own destination versus this app's *Send test*.

Segment's published Actions Pipedrive calls Pipedrive's API **v1** and copies ``custom_fields`` into
the request as they are; *Send test* calls API v2 and encodes every custom-field value by its
Pipedrive type. Where the two would reach Pipedrive differently, say what Segment sends and what
Pipedrive makes of it: a test here passing does not mean Segment's calls store the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import CUSTOM_FIELDS_ENTITY, LintContext, names
from .model import Finding, LintEvent
from .registry import finding, rule, show
from .rules_values import _fact_for, custom_keys
from .values import option_for, set_parts

#: Pipedrive's notice (2026-07-29) that the deprecated v1 endpoints are out of support from 2026-08-01.
OUT_OF_SUPPORT_URL = (
    "https://developers.pipedrive.com/changelog/post/deprecated-apiv1-endpoints-become-out-of-support"
)
DEPRECATION_URL = "https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints"


@rule(
    "segment-v1-out-of-support",
    "info",
    "Segment's destination calls API v1 endpoints that are out of support",
)
def segment_v1_out_of_support(ctx: LintContext) -> Iterator[Finding]:
    if not any(m.enabled for m in ctx.project.mappings):
        return
    yield finding(
        segment_v1_out_of_support,
        None,
        "Segment's Actions Pipedrive destination still calls Pipedrive API v1 endpoints that Pipedrive "
        "deprecated and took out of support on 2026-08-01 (record search “itemSearch/field” and the "
        "persons, organizations, deals and activities writes): they may still work, but without support, "
        "fixes or notice before they change or go. This app's Send test uses API v2, so a test passing here "
        f"does not prove Segment's calls work. Pipedrive's notice: {OUT_OF_SUPPORT_URL}",
        "Nothing to change in the mappings. Watch Segment's destination for an update to API v2, check "
        "events in Segment's Event Delivery view after going live, and keep this project's tests as the "
        "reference for what should reach Pipedrive.",
    )


def _difference(
    ftype: str, fact: Any, value: Any, key: str, path: str = "traits.x"
) -> tuple[str, str, str] | None:
    """(what Segment sends, what Pipedrive makes of it, the fix) when v1-as-is differs from v2-typed."""
    if ftype == "monetary" and isinstance(value, dict):
        return (
            f"the object {show(value)} as the field's value",
            f"API v1 takes a monetary field as the amount under the field's key and the currency under "
            f"“{key[:8]}…_currency”; an object is not an amount, so Pipedrive refuses the value or leaves the "
            "field empty",
            "Map the amount alone (a number, e.g. $.traits.lifetime_value): Pipedrive then stores it in the "
            "company's default currency, through Segment and through Send test alike.",
        )
    if ftype == "enum" and not isinstance(value, bool) and isinstance(value, (str, int)):
        option = option_for(fact, value)
        if option is not None and str(option[0]) != str(value).strip():
            return (
                f"the label {show(value)}",
                f"API v1 takes an option's ID here ({option[0]} for “{option[1]}”); with a label the field "
                "is left empty or the call refused",
                f"Send the option ID from your source, or map it with Liquid, e.g. {_liquid_ids(fact, path)}; "
                "Send test accepts the ID too.",
            )
    if ftype == "set" and (isinstance(value, list) or isinstance(value, str)):
        parts = set_parts(value)
        options = [option_for(fact, p) for p in parts]
        ids = ",".join(str(o[0]) for o in options if o is not None)
        if isinstance(value, list) or any(
            o is not None and str(o[0]) != str(p).strip() for o, p in zip(options, parts, strict=True)
        ):
            return (
                f"{show(value)}",
                f"API v1 takes a multiple-option field as option IDs separated by commas (here “{ids}”); "
                "labels or a list leave the field empty or get the call refused",
                "Send the option IDs as one comma-separated text from your source; Send test accepts them too.",
            )
    if ftype == "date" and isinstance(value, str) and len(value.strip()) > 10:
        return (
            f"the timestamp {show(value)}",
            "API v1 takes a date field as YYYY-MM-DD; a full timestamp is refused or stored as another day "
            "(Send test cuts it to the date)",
            'Map the date alone, e.g. {"@liquid": "{{ traits.signup_at | date: \'%Y-%m-%d\' }}"}.',
        )
    if ftype in ("daterange", "time", "timerange", "address") and isinstance(value, dict):
        return (
            f"the object {show(value)}",
            "API v1 takes the parts of this field under separate keys (“<key>_until”, “<key>_route”…), "
            "not as an object, so Pipedrive refuses the value or leaves the field empty",
            "Map the field's main value as text (the start date / time / full address); Send test accepts "
            "that too.",
        )
    return None


def _liquid_ids(fact: Any, path: str) -> str:
    parts = []
    for i, (oid, label) in enumerate(fact.options[:6]):
        parts.append(f'{{% {"if" if i == 0 else "elsif"} {path} == "{label}" %}}{oid}')
    return '{"@liquid": "' + "".join(parts).replace('"', "'") + '{% endif %}"}'


@rule(
    "segment-v1-custom-field",
    "warning",
    "A custom field would reach Pipedrive differently through Segment (v1, as is) than through Send test (v2)",
    needs_fields=True,
)
def segment_v1_custom_field(ctx: LintContext) -> Iterator[Finding]:
    if ctx.fields is None:
        return
    for m in ctx.project.mappings:
        entity = CUSTOM_FIELDS_ENTITY.get(m.action)
        if entity is None:
            continue
        settings_values = m.settings.get("custom_fields")
        found: dict[str, tuple[tuple[str, str, str], list[LintEvent]]] = {}
        for key in custom_keys(m.settings):
            fact = _fact_for(ctx, entity, key)
            if fact is None or not fact.is_custom:
                continue
            static = settings_values.get(key) if isinstance(settings_values, dict) else None
            mapped = static.get("@path") if isinstance(static, dict) and len(static) == 1 else None
            path = mapped[2:] if isinstance(mapped, str) and mapped.startswith("$.") else "traits.x"
            # A fixed object (not an expression) is what Segment sends for every event.
            if isinstance(static, dict) and not any(k.startswith("@") for k in static):
                diff = _difference(fact.field_type, fact, static, fact.key, path)
                if diff is not None:
                    found[key] = (diff, [])
            for ev, payload in ctx.ok_payloads(m):
                values = payload.get("custom_fields")
                if not isinstance(values, dict) or key not in values:
                    continue
                diff = _difference(fact.field_type, fact, values[key], fact.key, path)
                if diff is not None:
                    found.setdefault(key, (diff, []))[1].append(ev)
        for key, ((sends, makes, fix), events) in found.items():
            fact = _fact_for(ctx, entity, key)
            seen = f" (e.g. for {names(events, 2)})" if events else ""
            yield finding(
                segment_v1_custom_field,
                m,
                f"Custom field “{fact.label}” ({fact.field_type}): Segment's destination sends {sends}{seen} "
                f"to Pipedrive's API v1 as it is. {makes[:1].upper()}{makes[1:]}. This app's Send test "
                "(API v2) converts it, so it shows the field filled in where Segment's call would not.",
                fix,
                field="custom_fields",
                custom_field=key,
                custom_label=fact.label,
                events=events,
            )
