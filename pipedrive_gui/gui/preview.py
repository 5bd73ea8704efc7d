"""What the preview shows for one mapping and one event, computed without touching widgets.

Trigger (fires or why not) → Segment's payload (``core.payload``; compiled mappings are cached by
content, so re-evaluating after a keystroke in another field costs one evaluation) → the planned
Pipedrive calls (engine ``plan`` mode: no network).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipedrive_gui.core.modes import PLAN
from pipedrive_gui.core.project import Mapping
from pipedrive_gui.core.triggers import FqlSyntaxError, Trigger, parse_fql

if TYPE_CHECKING:  # the mapping kit (and its Liquid engine) loads at the first preview, after paint
    from pipedrive_gui.core.payload import CompiledAction, PayloadResult


@dataclass
class PreviewResult:
    mapping_id: str
    fires: bool = False
    trigger_text: str = ""  # one sentence for the trigger indicator
    reasons: list[str] = field(default_factory=list)
    payload: PayloadResult | None = None
    payload_json: str = ""
    plan: Any = None  # UpsertResult of mode "plan"
    error: str | None = None  # the preview could not be computed at all (no event, unknown action)


@dataclass(frozen=True)
class RunInputs:
    """What a *Check in Pipedrive* or *Send test* was computed from. When the inputs on screen are no
    longer equal to these, its result is outdated (a field edit, an undo, another sample event,
    another mapping, a reconnect: a new connection is a new client object)."""

    mapping_id: str
    action: str
    trigger: str
    enabled: bool
    settings_json: str
    event_json: str
    destination_json: str
    account: Any = field(compare=False)

    @classmethod
    def capture(cls, mapping: Mapping, event: Any, destination: Any, account: Any) -> RunInputs:
        def dump(value: Any) -> str:
            return json.dumps(value, sort_keys=True, default=str)

        return cls(mapping.id, mapping.action, mapping.trigger, mapping.enabled, dump(mapping.settings),
                   dump(event), dump(getattr(destination, "__dict__", destination)), account)

    def same_as(self, other: RunInputs | None) -> bool:
        return other is not None and self == other and self.account is other.account


class PreviewComputer:
    """Caches compiled actions and parsed triggers across refreshes."""

    def __init__(self, size: int = 64) -> None:
        self._actions: OrderedDict[tuple[str, str], CompiledAction] = OrderedDict()
        self._triggers: OrderedDict[str, Trigger | FqlSyntaxError] = OrderedDict()
        self._size = size

    def _cached(self, cache: OrderedDict[Any, Any], key: Any, make: Any) -> Any:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = make()
        cache[key] = value
        if len(cache) > self._size:
            cache.popitem(last=False)
        return value

    def action(self, mapping: Mapping) -> CompiledAction:
        from pipedrive_gui.core.payload import compile_action

        key = (mapping.action, json.dumps(mapping.settings, sort_keys=True, default=str))
        action: CompiledAction = self._cached(self._actions, key,
                                              lambda: compile_action(mapping.action, mapping.settings))
        return action

    def trigger(self, text: str) -> Trigger | FqlSyntaxError:
        def make() -> Trigger | FqlSyntaxError:
            try:
                return parse_fql(text)
            except FqlSyntaxError as exc:
                return exc

        trigger: Trigger | FqlSyntaxError = self._cached(self._triggers, text, make)
        return trigger

    def trigger_state(self, mapping: Mapping, event: dict[str, Any]) -> tuple[bool, str, list[str]]:
        if not mapping.enabled:
            return False, "This mapping is disabled: Segment will not run it (tick it in the list to enable).", []
        if not mapping.trigger.strip():
            return False, "This mapping has no trigger yet, so it never runs. Add a condition.", []
        trigger = self.trigger(mapping.trigger)
        if isinstance(trigger, FqlSyntaxError):
            return False, f"The trigger is not valid FQL ({trigger.message.rstrip('.')}), so it never runs.", []
        try:
            reasons = list(trigger.explain(event))
            fires = not reasons and bool(trigger.matches(event))
        except Exception as exc:  # noqa: BLE001 - Segment's matcher fails on such FQL too
            return False, f"Segment cannot evaluate this trigger: {exc}", []
        if fires:
            return True, "✔ The trigger fires for this event: Segment would run this mapping.", []
        reasons = reasons or ["the trigger does not match this event"]
        return False, "✘ The trigger does not fire for this event: " + "; ".join(reasons) + ".", reasons

    def payload(self, mapping: Mapping, event: dict[str, Any]) -> PayloadResult:
        return self.action(mapping).run(event)

    async def compute(self, mapping: Mapping, event: dict[str, Any] | None, engine: Any) -> PreviewResult:
        result = PreviewResult(mapping.id)
        if event is None:
            result.error = "No sample event yet: choose one from the library or paste one."
            return result
        result.fires, result.trigger_text, result.reasons = self.trigger_state(mapping, event)
        try:
            payload = self.payload(mapping, event)
        except Exception as exc:  # noqa: BLE001 - e.g. an unknown action slug in a hand-edited file
            result.error = str(exc)
            return result
        result.payload = payload
        if payload.ok and payload.payload is not None:
            result.payload_json = json.dumps(payload.payload, indent=2, ensure_ascii=False)
            if engine is not None:
                result.plan = await engine.run(mapping.action, payload.payload, PLAN)
        return result
