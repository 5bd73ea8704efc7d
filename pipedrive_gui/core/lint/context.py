"""The linter's view of a project: which mappings fire on which events, with which payload.

Every (mapping, event) pair is evaluated once per lint run, exactly as the preview does (Segment's
trigger, then mapping kit → empty-value removal → schema validation), and the rules read the
results. :class:`LintCache` keeps compiled mappings and per-event results across runs, so the GUI
re-evaluates only the mapping that was edited.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipedrive_gui.core.actions import ACTIONS, ActionDef
from pipedrive_gui.core.payload import CompiledAction, PayloadResult, compile_action
from pipedrive_gui.core.project import DestinationDefaults, Project
from pipedrive_gui.core.project import Mapping as ProjectMapping
from pipedrive_gui.core.triggers import FqlSyntaxError, Trigger, parse_fql

from .model import FieldFacts, LintEvent

#: The Pipedrive record each action writes (read from the action catalog).
ENTITY_OF: dict[str, str] = {slug: a.entity for slug, a in ACTIONS.items()}
#: Which entity's custom fields an action's ``custom_fields`` object sets (Segment has them on three).
CUSTOM_FIELDS_ENTITY: dict[str, str] = {
    slug: a.custom_fields_entity for slug, a in ACTIONS.items() if a.custom_fields_entity is not None
}


@dataclass(frozen=True)
class MatchPair:
    """A match field + match value of an action: ``target`` finds the record the action writes,
    ``link`` finds a record it is linked to (a deal's person...)."""

    role: str  # "target" | "link"
    entity: str
    field_key: str
    value_key: str
    default_attr: str  # DestinationDefaults attribute used when the mapping sets no match field


def _pair(role: str, entity: str, prefixed: bool = True) -> MatchPair:
    prefix = f"{entity}_" if prefixed else ""
    # DestinationDefaults.person_field, .organization_field, .deal_field
    return MatchPair(role, entity, f"{prefix}match_field", f"{prefix}match_value", f"{entity}_field")


def _pairs(action: ActionDef) -> tuple[MatchPair, ...]:
    own = (
        ()
        if action.match_prefix is None
        else (_pair("target", action.entity, prefixed=action.match_prefix != ""),)
    )
    return own + tuple(_pair("link", e) for e in action.links)


#: Each action's match field + match value pairs: the record it writes first, then its links.
MATCH_PAIRS: dict[str, tuple[MatchPair, ...]] = {slug: _pairs(a) for slug, a in ACTIONS.items()}


def default_match_field(destination: DestinationDefaults, pair: MatchPair) -> str:
    value = getattr(destination, pair.default_attr, "") or ""
    return str(value) or "id"


def static_match_field(
    mapping: ProjectMapping, destination: DestinationDefaults, pair: MatchPair
) -> str | None:
    """The match field as set (a fixed key), else the destination default; None when the mapping
    computes it from the event (then only payloads tell)."""
    value = mapping.settings.get(pair.field_key)
    if value is None:
        return default_match_field(destination, pair)
    if isinstance(value, str):
        return value.strip() or default_match_field(destination, pair)
    return None


def payload_match_field(
    payload: Mapping[str, Any], mapping: ProjectMapping, destination: DestinationDefaults, pair: MatchPair
) -> str:
    """The match field Segment uses for this payload (``match_field || settings.personField || 'id'``)."""
    value = payload.get(pair.field_key)
    if isinstance(value, str) and value:
        return value
    return default_match_field(destination, pair)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


@dataclass(frozen=True)
class Run:
    """One mapping on one event: does it fire, and the payload (None when the trigger is broken)."""

    event: LintEvent
    fires: bool
    payload: PayloadResult | None


class LintCache:
    """Compiled mappings and per-event results, reused across lint runs (the GUI keeps one)."""

    def __init__(self, size: int = 4096) -> None:
        self._actions: OrderedDict[tuple[str, str], CompiledAction] = OrderedDict()
        self._results: OrderedDict[tuple[str, str, int], tuple[Any, PayloadResult]] = OrderedDict()
        self._size = size

    @staticmethod
    def settings_key(mapping: ProjectMapping) -> str:
        return json.dumps(mapping.settings, sort_keys=True, default=str)

    def action(self, mapping: ProjectMapping, key: str) -> CompiledAction:
        k = (mapping.action, key)
        found = self._actions.get(k)
        if found is None:
            found = compile_action(mapping.action, mapping.settings)
            self._actions[k] = found
            if len(self._actions) > self._size // 8:
                self._actions.popitem(last=False)
        else:
            self._actions.move_to_end(k)
        return found

    def payload(self, mapping: ProjectMapping, key: str, event: Mapping[str, Any]) -> PayloadResult:
        k = (mapping.action, key, id(event))
        hit = self._results.get(k)
        if hit is not None and hit[0] is event:
            self._results.move_to_end(k)
            return hit[1]
        result = self.action(mapping, key).run(event)
        self._results[k] = (event, result)  # the event is kept so its id() cannot be reused
        if len(self._results) > self._size:
            self._results.popitem(last=False)
        return result


def trigger_of(text: str) -> Trigger | FqlSyntaxError:
    try:
        return parse_fql(text)
    except FqlSyntaxError as exc:
        return exc


def fires(trigger: Trigger | FqlSyntaxError, event: Mapping[str, Any]) -> bool:
    if isinstance(trigger, FqlSyntaxError):
        return False
    try:
        return bool(trigger.matches(event))
    except Exception:  # noqa: BLE001 - Segment's matcher fails on such FQL too: it never fires
        return False


class LintContext:
    """A project, the events to look at, the account's fields (or None), and the evaluated runs."""

    def __init__(
        self,
        project: Project,
        events: Sequence[LintEvent],
        fields: FieldFacts | None,
        cache: LintCache | None = None,
    ) -> None:
        self.project = project
        self.events = list(events)
        self.fields = fields
        self.cache = cache or LintCache()
        self._runs: dict[str, list[Run]] = {}

    @property
    def destination(self) -> DestinationDefaults:
        return self.project.destination

    def runs(self, mapping: ProjectMapping) -> list[Run]:
        """Every event with whether ``mapping`` fires on it (enabled or not) and its payload."""
        found = self._runs.get(mapping.id)
        if found is not None:
            return found
        out: list[Run] = []
        if mapping.action in ENTITY_OF:
            trigger = trigger_of(mapping.trigger) if mapping.trigger.strip() else None
            key = LintCache.settings_key(mapping)
            for ev in self.events:
                hit = trigger is not None and fires(trigger, ev.event)
                payload = self.cache.payload(mapping, key, ev.event) if hit else None
                out.append(Run(ev, hit, payload))
        self._runs[mapping.id] = out
        return out

    def firing(self, mapping: ProjectMapping) -> list[Run]:
        return [r for r in self.runs(mapping) if r.fires and r.payload is not None]

    def ok_payloads(self, mapping: ProjectMapping) -> list[tuple[LintEvent, dict[str, Any]]]:
        return [
            (r.event, r.payload.payload)
            for r in self.firing(mapping)
            if r.payload is not None and r.payload.ok and r.payload.payload is not None
        ]


def names(events: Iterable[LintEvent], limit: int = 3) -> str:
    """“Maria signs up”, “Deal won” and 3 more."""
    items = list(dict.fromkeys(e.name for e in events))
    shown = [f"“{n}”" for n in items[:limit]]
    rest = len(items) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
