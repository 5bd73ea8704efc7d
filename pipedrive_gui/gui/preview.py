"""What the preview shows for one mapping and one event, computed without touching widgets.

Trigger (fires or why not) → Segment's payload (``core.payload``; compiled mappings are cached by
content, so re-evaluating after a keystroke in another field costs one evaluation) → the planned
Pipedrive calls (engine ``plan`` mode: no network). Also what follows from a preview without being
one: which sample event a mapping is best shown on, and what a new mapping still lacks.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipedrive_gui.core import samples
from pipedrive_gui.core.modes import PLAN
from pipedrive_gui.core.project import Mapping, SampleEvent
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

        return cls(
            mapping.id,
            mapping.action,
            mapping.trigger,
            mapping.enabled,
            dump(mapping.settings),
            dump(event),
            dump(getattr(destination, "__dict__", destination)),
            account,
        )

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
        action: CompiledAction = self._cached(
            self._actions, key, lambda: compile_action(mapping.action, mapping.settings)
        )
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
            return (
                False,
                "This mapping is disabled: Segment will not run it (tick it in the list to enable).",
                [],
            )
        if not mapping.trigger.strip():
            return False, "This mapping has no trigger yet, so it never runs. Add a condition.", []
        trigger = self.trigger(mapping.trigger)
        if isinstance(trigger, FqlSyntaxError):
            return (
                False,
                f"The trigger is not valid FQL ({trigger.message.rstrip('.')}), so it never runs.",
                [],
            )
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


#: A sample event to show: where it comes from ("project", its index in the project's samples, or
#: "bundled", its name in the library) and the event.
SampleChoice = tuple[str, Any, dict[str, Any]]


def choose_sample(
    computer: PreviewComputer,
    m: Mapping,
    current: dict[str, Any] | None,
    project_samples: Sequence[SampleEvent],
) -> SampleChoice | None:
    """The sample a mapping fires on and previews cleanly on (else one it fires on), so the preview is
    meaningful: the project's samples first, then the bundled ones. None when the event on screen
    (``current``) is as good as any: it previews cleanly, or it fires and no sample previews cleanly,
    or no sample fires."""

    def score(event: dict[str, Any]) -> tuple[bool, bool]:
        fires = computer.trigger_state(m, event)[0]
        try:
            clean = fires and computer.payload(m, event).ok
        except Exception:  # noqa: BLE001 - an unknown action: the preview says why
            clean = False
        return fires, clean

    if current is not None and score(current) == (True, True):
        return None
    chosen: tuple[str, Any, dict[str, Any]] | None = None
    chosen_clean = False
    candidates: list[tuple[str, Any, dict[str, Any] | None]] = [
        ("project", idx, s.event) for idx, s in enumerate(project_samples)
    ]
    candidates += [("bundled", info.name, None) for info in samples.list_samples()]
    for kind, key, maybe_event in candidates:
        event = maybe_event if maybe_event is not None else samples.load_sample(key)
        fires, clean = score(event)
        if clean:
            chosen, chosen_clean = (kind, key, event), True
            break
        if fires and chosen is None:
            chosen = (kind, key, event)
    if chosen is None or (not chosen_clean and current is not None and score(current)[0]):
        return None  # nothing better than the event on screen
    return chosen


def what_is_missing(
    computer: PreviewComputer, m: Mapping, event: dict[str, Any]
) -> tuple[str | None, str] | None:
    """For a new mapping that does not preview cleanly on the sample event (the user's own event
    lacks what the defaults read): the one thing left to fill in, as (field, text), or (None, text)
    when the trigger does not fire. None when there is nothing to point at (or the preview says why)."""
    fires, trigger_text, _ = computer.trigger_state(m, event)
    try:
        payload = computer.payload(m, event)
    except Exception:  # noqa: BLE001 - the preview says why
        return None
    problem = next((p for p in payload.problems if p.field), None)
    if problem is not None:
        from pipedrive_gui.core.actions import action_entity

        value = m.settings.get(problem.field)
        label = problem.label or problem.field
        if isinstance(value, dict) and isinstance(value.get("@path"), str):
            holds = (
                f"identifies the {action_entity(m.action)}" if problem.field == "match_value" else "holds it"
            )
            text = (
                f"One thing left to fill in: {label}. The sample event has nothing at "
                f"{value['@path']}, so Segment would not send anything. Choose the field of the event "
                f"that {holds} (Pick… lists them), or another sample event."
            )
        else:
            text = f"One thing left to fill in: {label} — {problem.message}"
        return problem.field, text
    if not fires:
        return None, (
            f"{trigger_text.removeprefix('✘ ')} Choose a sample event this "
            "mapping is for, or change the trigger."
        )
    return None
