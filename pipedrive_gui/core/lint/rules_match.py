"""Match traps: where the lookup that decides "update or create" would not find the record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pipedrive_gui.core.actions import ENTITY_PLURAL
from pipedrive_gui.core.project import Mapping as ProjectMapping
from pipedrive_gui.core.wording import with_article

from .context import (
    ENTITY_OF,
    MATCH_PAIRS,
    LintContext,
    MatchPair,
    is_blank,
    names,
    payload_match_field,
    plural,
    static_match_field,
)
from .model import Finding, LintEvent
from .registry import finding, rule, show, source_text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Paths that hold Segment ids, never an email address.
_ID_PATHS = ("$.userId", "$.anonymousId", "$.groupId", "$.context.groupId", "$.messageId")


def consequence(mapping: ProjectMapping, pair: MatchPair) -> str:
    """What a lookup that never finds anything does to this mapping."""
    writes = ENTITY_OF.get(mapping.action, "record")
    if pair.role == "target":
        return f"every event would create a new {pair.entity} instead of updating the one you have"
    text = f"the {writes} would never be linked to the {pair.entity}"
    if writes in ("deal", "lead"):
        text += f" (and Segment only creates {with_article(writes)} that has a person or an organization)"
    return text


def _match_fields(ctx: LintContext, m: ProjectMapping, pair: MatchPair) -> dict[str, list[LintEvent]]:
    """The match fields in use: the fixed one (no events), else per payload."""
    static = static_match_field(m, ctx.destination, pair)
    if static is not None:
        return {static: []}
    out: dict[str, list[LintEvent]] = {}
    for ev, payload in ctx.ok_payloads(m):
        out.setdefault(payload_match_field(payload, m, ctx.destination, pair), []).append(ev)
    return out


def _mappings(ctx: LintContext) -> Iterator[tuple[ProjectMapping, MatchPair]]:
    for m in ctx.project.mappings:
        for pair in MATCH_PAIRS.get(m.action, ()):
            yield m, pair


def _field_place(m: ProjectMapping, pair: MatchPair) -> str:
    """Point at the mapping's match-field row (set there, or inherited from the destination)."""
    return pair.field_key


def _where(m: ProjectMapping, pair: MatchPair) -> str:
    if pair.field_key in m.settings:
        return ""
    return " (the destination's default, as the mapping sets no match field)"


@rule(
    "match-field-unknown",
    "error",
    "The match field is not one of the account's Pipedrive fields",
    needs_fields=True,
)
def match_field_unknown(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.fields
    if facts is None:
        return
    for m, pair in _mappings(ctx):
        if not facts.knows(pair.entity):
            continue
        for key, events in _match_fields(ctx, m, pair).items():
            if key == "id" or facts.get(pair.entity, key) is not None:
                continue
            yield finding(
                match_field_unknown,
                m,
                f"The {pair.entity} match field “{key}”{_where(m, pair)} is not "
                f"{with_article(pair.entity)} field in this Pipedrive account (deleted, renamed or from "
                f"another account): Pipedrive cannot look {ENTITY_PLURAL[pair.entity]} up by it, "
                f"so {consequence(m, pair)}.",
                f"Choose the {pair.entity} match field again from the list of your Pipedrive fields "
                "(Pipedrive > Refresh fields if it was added recently).",
                field=_field_place(m, pair),
                events=events,
            )


@rule(
    "match-field-not-searchable",
    "error",
    "Pipedrive cannot search the match field (by its type)",
    needs_fields=True,
)
def match_field_not_searchable(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.fields
    if facts is None:
        return
    for m, pair in _mappings(ctx):
        for key, events in _match_fields(ctx, m, pair).items():
            fact = facts.get(pair.entity, key)
            if fact is None or fact.searchable or key == "id":
                continue
            reason = fact.not_searchable_reason or f"“{fact.label}” cannot be searched."
            yield finding(
                match_field_not_searchable,
                m,
                f"The {pair.entity} match field “{fact.label}”{_where(m, pair)} cannot be searched: "
                f"{reason.rstrip('.')}. The lookup never finds {with_article(pair.entity)}, "
                f"so {consequence(m, pair)} "
                "(or Pipedrive refuses the search and the event fails).",
                "Match on a field Pipedrive can search: ID, or a custom field of type Text, Large text, "
                "Autocomplete, Numerical, Monetary, Phone or Address that holds your own id "
                "(e.g. a “Segment user ID” text field).",
                field=_field_place(m, pair),
                events=events,
            )


def _match_values(ctx: LintContext, m: ProjectMapping, pair: MatchPair) -> list[tuple[LintEvent, str, Any]]:
    """(event, match field, match value) for every event the mapping fires on with a payload."""
    out = []
    for ev, payload in ctx.ok_payloads(m):
        value = payload.get(pair.value_key)
        if not is_blank(value):
            out.append((ev, payload_match_field(payload, m, ctx.destination, pair), value))
    return out


@rule(
    "match-case-differs",
    "warning",
    "Match values differ only in letter case (exact match is case-sensitive)",
    needs_events=True,
)
def match_case_differs(ctx: LintContext) -> Iterator[Finding]:
    for m, pair in _mappings(ctx):
        groups: dict[tuple[str, str], dict[str, list[LintEvent]]] = {}
        for ev, key, value in _match_values(ctx, m, pair):
            if key == "id" or not isinstance(value, str):
                continue
            groups.setdefault((key, value.strip().casefold()), {}).setdefault(value.strip(), []).append(ev)
        for (key, _), spellings in groups.items():
            if len(spellings) < 2:
                continue
            shown = "; ".join(f"{show(v)} in {names(evs, 2)}" for v, evs in list(spellings.items())[:3])
            email_note = (
                " (This app's Send test finds people by email without regard to case, so it "
                "will not show the duplicate; Segment's lookup does.)"
                if pair.entity == "person" and key == "email"
                else ""
            )
            yield finding(
                match_case_differs,
                m,
                f"The {pair.entity} match value differs only in upper/lower case between events: {shown}. "
                f"Segment looks {ENTITY_PLURAL[pair.entity]} up with Pipedrive's exact field search, which "
                f"is case-sensitive: to Pipedrive these are different values, so one {pair.entity} "
                f"becomes two.{email_note}",
                "Send the value in one spelling from your source (e.g. always lower-case emails), or "
                'normalise it in the match value with Liquid, e.g. {"@liquid": "{{ traits.email | '
                'downcase }}"} — and write it the same way wherever the record is created.',
                field=pair.value_key,
                events=[e for evs in spellings.values() for e in evs],
            )


@rule(
    "match-value-missing",
    "warning",
    "The match value is missing or empty in events the mapping fires on",
    needs_events=True,
)
def match_value_missing(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        for pair in MATCH_PAIRS.get(m.action, ()):
            if pair.role != "target":
                continue
            required = pair.value_key == "match_value"
            missing: list[LintEvent] = []
            for run in ctx.firing(m):
                result = run.payload
                if result is None:
                    continue
                if result.ok and result.payload is not None:
                    if is_blank(result.payload.get(pair.value_key)):
                        missing.append(run.event)
                elif any(
                    p.field == pair.value_key and "missing the required" in p.message for p in result.problems
                ):
                    missing.append(run.event)
            if not missing:
                continue
            source = source_text(m.settings.get(pair.value_key))
            where = f" ({source})" if pair.value_key in m.settings else " (not mapped)"
            if required:
                what = (
                    f"Segment rejects these events (the match value is required), so no {pair.entity} "
                    "is created or updated for them"
                )
            else:
                what = (
                    f"Segment then has nothing to look the {pair.entity} up by, so every such event "
                    f"creates a new {pair.entity}"
                )
            yield finding(
                match_value_missing,
                m,
                f"The {pair.entity} match value{where} is missing or empty in "
                f"{plural(len(missing), 'event')} this mapping fires on: {names(missing)}. {what}.",
                "Map the match value from a path these events always have, or add a condition to the "
                "trigger so the mapping only runs when it is there (e.g. “userId exists”).",
                field=pair.value_key,
                events=missing,
            )


@rule("match-id-not-ids", "error", "Matching by Pipedrive ID with values that are not IDs", needs_events=True)
def match_id_not_ids(ctx: LintContext) -> Iterator[Finding]:
    for m, pair in _mappings(ctx):
        bad: list[tuple[LintEvent, Any]] = []
        for ev, key, value in _match_values(ctx, m, pair):
            if key != "id":
                continue
            text = (
                str(value).strip()
                if isinstance(value, (str, int, float)) and not isinstance(value, bool)
                else ""
            )
            if not (text.isdigit() or (isinstance(value, float) and value.is_integer() and value > 0)):
                bad.append((ev, value))
        if not bad:
            continue
        examples = ", ".join(dict.fromkeys(show(v) for _, v in bad[:3]))
        yield finding(
            match_id_not_ids,
            m,
            f"The {pair.entity} is matched by its Pipedrive ID{_where(m, pair)}, but the match value "
            f"{source_text(m.settings.get(pair.value_key))} gives {examples}, which is not a Pipedrive ID "
            f"(IDs are numbers Pipedrive assigns). The lookup never finds {with_article(pair.entity)}: "
            f"{consequence(m, pair)}.",
            f"Either map the match value to the Pipedrive {pair.entity} ID, or keep your own id and match "
            f"on a custom text field that holds it (e.g. “Segment user ID”): choose it as the match field.",
            field=pair.field_key,
            events=[e for e, _ in bad],
        )


@rule("match-value-mismatch", "warning", "The match value does not look like what the match field holds")
def match_value_mismatch(ctx: LintContext) -> Iterator[Finding]:
    for m, pair in _mappings(ctx):
        mapped = m.settings.get(pair.value_key)
        path = mapped.get("@path") if isinstance(mapped, dict) and len(mapped) == 1 else None
        static = static_match_field(m, ctx.destination, pair)
        if pair.entity == "person" and static == "email" and path in _ID_PATHS:
            yield finding(
                match_value_mismatch,
                m,
                f"People are matched by Email, but the match value is {path}, a Segment id, not an email "
                "address: no person's email equals it, so " + consequence(m, pair) + ".",
                "Map the match value to the email (e.g. $.traits.email), or match on a custom field that "
                "holds the Segment id.",
                field=pair.value_key,
            )
            continue
        bad: list[tuple[LintEvent, Any, str]] = []
        for ev, key, value in _match_values(ctx, m, pair):
            if pair.entity == "person" and key == "email":
                if not (isinstance(value, str) and _EMAIL.match(value.strip())):
                    bad.append((ev, value, "an email address"))
                continue
            fact = ctx.fields.get(pair.entity, key) if ctx.fields is not None else None
            if fact is not None and fact.field_type in ("double", "monetary"):
                from .values import is_number

                if not is_number(value):
                    bad.append((ev, value, f"a number (“{fact.label}” is a numeric field)"))
        if not bad:
            continue
        examples = ", ".join(dict.fromkeys(show(v) for _, v, _ in bad[:3]))
        yield finding(
            match_value_mismatch,
            m,
            f"The {pair.entity} match value gives {examples} in {names([e for e, _, _ in bad])}, which is "
            f"not {bad[0][2]}: no {pair.entity} can hold it in the match field, so {consequence(m, pair)}.",
            "Map the match value to what the match field holds, or choose the match field that holds "
            "this value.",
            field=pair.value_key,
            events=[e for e, _, _ in bad],
        )
