"""Fan-out traps: several writes for one event, or writes Segment cannot link."""

from __future__ import annotations

from collections.abc import Iterator

from pipedrive_gui.core.actions import ENTITY_PLURAL
from pipedrive_gui.core.project import Mapping as ProjectMapping
from pipedrive_gui.core.wording import with_article

from .context import ENTITY_OF, LintContext, is_blank, names, plural
from .model import Finding, LintEvent
from .registry import finding, rule

_ALWAYS_CREATE = {"lead": "lead_id", "activity": "activity_id", "note": "note_id"}


def _norm(trigger: str) -> str:
    return " ".join(trigger.split())


@rule(
    "fanout-same-entity",
    "warning",
    "Two enabled mappings fire on the same event and write the same record type",
)
def fanout_same_entity(ctx: LintContext) -> Iterator[Finding]:
    enabled = [m for m in ctx.project.mappings if m.enabled and m.action in ENTITY_OF]
    pairs: dict[tuple[str, str], list[LintEvent]] = {}
    for ev_index, ev in enumerate(ctx.events):
        by_entity: dict[str, list[ProjectMapping]] = {}
        for m in enabled:
            run = ctx.runs(m)[ev_index]
            if run.fires and run.payload is not None and run.payload.ok:
                by_entity.setdefault(ENTITY_OF[m.action], []).append(m)
        for group in by_entity.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    pairs.setdefault((a.id, b.id), []).append(ev)
    # Same trigger text, same record type: they fire together whatever the events are.
    for i, a in enumerate(enabled):
        for b in enabled[i + 1 :]:
            if (
                ENTITY_OF[a.action] == ENTITY_OF[b.action]
                and a.trigger.strip()
                and _norm(a.trigger) == _norm(b.trigger)
            ):
                pairs.setdefault((a.id, b.id), [])
    by_id = {m.id: m for m in enabled}
    for (a_id, b_id), events in pairs.items():
        a, b = by_id[a_id], by_id[b_id]
        entity = ENTITY_OF[a.action]
        when = f"on {names(events)}" if events else "on the same events (their triggers are the same)"
        if entity in _ALWAYS_CREATE:
            id_name = _ALWAYS_CREATE[entity].replace("_", " ").replace("id", "ID")
            risk = (
                f"without {with_article(id_name)} each creates its own {entity}: "
                f"two {ENTITY_PLURAL[entity]} per event"
            )
        else:
            risk = (
                f"Segment runs them independently, in no set order, so when no {entity} matches yet both "
                f"look it up, both miss, and both create one: two {ENTITY_PLURAL[entity]}"
            )
        for this, other in ((a, b), (b, a)):
            yield finding(
                fanout_same_entity,
                this,
                f"“{this.name}” and “{other.name}” both run {when} and both write "
                f"{with_article(entity)}: {risk}.",
                "Keep one mapping per record type for these events: merge the fields into one mapping, or "
                "add a condition to one trigger so they never fire on the same event.",
                events=events,
            )


def _set(m: ProjectMapping, key: str) -> bool:
    return key in m.settings and not is_blank(m.settings[key])


def _blank_events(ctx: LintContext, m: ProjectMapping, keys: tuple[str, ...]) -> list[LintEvent]:
    return [ev for ev, payload in ctx.ok_payloads(m) if all(is_blank(payload.get(k)) for k in keys)]


@rule("link-missing", "error", "A Deal or Lead mapping with no person or organization to link")
def link_missing(ctx: LintContext) -> Iterator[Finding]:
    keys = ("person_match_value", "organization_match_value")
    for m in ctx.project.mappings:
        entity = ENTITY_OF.get(m.action)
        if entity not in ("deal", "lead"):
            continue
        if entity == "deal":
            effect = (
                "Segment only creates a deal that has a person or an organization: a deal that "
                "does not exist yet is never created (existing deals found by the deal match value "
                "are still updated)"
            )
        else:
            effect = "Segment refuses to create a lead without a person or an organization: every event fails"
        if not any(_set(m, k) for k in keys):
            yield finding(
                link_missing,
                m,
                f"This {entity} mapping sets neither Person match value nor Organization match value. {effect}.",
                "Map Person match value (e.g. $.userId, with the person match field that holds it) or "
                "Organization match value (e.g. $.context.groupId).",
                field="person_match_value",
            )
            continue
        blank = _blank_events(ctx, m, keys)
        if blank:
            yield finding(
                link_missing,
                m,
                f"In {plural(len(blank), 'event')} this mapping fires on ({names(blank)}) both the person and "
                f"the organization match values are empty. {effect}.",
                "Make sure these events carry the user id or group id, or add a condition to the trigger "
                "(e.g. “userId exists”).",
                field="person_match_value",
                events=blank,
                severity="warning",
            )


@rule("note-link-missing", "error", "A Note mapping with nothing to attach the note to")
def note_link_missing(ctx: LintContext) -> Iterator[Finding]:
    keys = ("lead_id", "person_match_value", "organization_match_value", "deal_match_value")
    for m in ctx.project.mappings:
        if m.action != "createUpdateNote":
            continue
        if not any(_set(m, k) for k in keys):
            yield finding(
                note_link_missing,
                m,
                "This note mapping sets none of Lead ID, Person, Organization or Deal match value. A note "
                "in Pipedrive must belong to one of them: Segment fails every event.",
                "Map at least one link, e.g. Person match value ($.userId) or Deal match value "
                "($.properties.deal_id).",
                field="person_match_value",
            )
            continue
        blank = _blank_events(ctx, m, (*keys, "note_id"))
        if blank:
            yield finding(
                note_link_missing,
                m,
                f"In {plural(len(blank), 'event')} this mapping fires on ({names(blank)}) every link (lead, "
                "person, organization, deal) is empty: Segment fails them, the note is not created.",
                "Make sure these events carry a user id, group id or deal id, or add a condition to the "
                "trigger.",
                field="person_match_value",
                events=blank,
                severity="warning",
            )
