"""Journal → triggers → payload → upsert engine, one event at a time, oldest first.

For every event the dispatcher records which mappings fired, the payload each built, the calls the
upsert engine planned or made and the outcome. Passing failures (rate limits, 5xx, network) are
retried with exponential backoff, then parked as ``failed`` with the reason; mapping problems fail
at once (retrying cannot fix them; fix the mapping and replay).

No duplicates: a mapping that already created/updated a record for a messageId in live mode is not
sent again on a retry or replay (it is reported as ``already_delivered``) unless the replay is
forced. An event whose result was not yet committed when the process died is dispatched again on
restart; the upsert engine's lookup by match field then finds the record it made.

Writes cut off by a crash: just before a live write is sent (the engine awaits the hook after
its lookups, right before the POST/PATCH) the dispatcher commits a "write in flight" note (journal
``inflight``); a crash during the lookups leaves no note, since nothing was written. If the process dies before the result is recorded, the next try knows the
record may already exist. A mapping whose payload lets the engine find the record again (a match
value, or the record's ID) is simply sent again: the lookup finds it. One that cannot be found
again (an activity or note without an ID, a person without a match value, ...) would be created a
second time, so it is parked as ``failed`` with outcome ``needs_review`` and a reason saying so;
the user checks Pipedrive and replays with force to send it anyway.

Every live create goes through the app's ledger (see ``pipedrive/ledger.py``) with source
``receiver``; it is listed under Test records only with ``track_test_records``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pipedrive_gui.receiver.journal import DueEvent, Journal
from pipedrive_gui.receiver.outcomes import FAILING, MODES, SUCCESS, DeliveryOutcome, Outcome, ReceiverMode

log = logging.getLogger(__name__)

RETRIABLE_ERRORS = ("RateLimitedError", "ServerError", "TimeoutError_", "NetworkError")
_SECRET_KEYS = ("token", "authorization", "api_key", "apikey", "password")
#: Marks a mapping in ``previous`` whose live write was cut off (see the module docstring).
IN_FLIGHT_KEY = "write_in_flight"

#: ``before_write(mapping_id)``: commits the "write in flight" note; awaited before a live write.
BeforeWrite = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Processed:
    """What happened to one event."""

    outcome: Outcome  # skipped | planned | delivered | failed
    deliveries: list[dict[str, Any]]
    summary: str
    retry_reason: str | None = None  # set when the failure may pass (rate limit, 5xx, network)


class EventProcessor(Protocol):
    async def process(
        self,
        event: dict[str, Any],
        previous: list[dict[str, Any]],
        force: bool,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Processed: ...


class MappingLike(Protocol):
    id: str
    name: str
    action: str
    trigger: str
    enabled: bool
    settings: dict[str, Any]


class EngineLike(Protocol):
    """The upsert engine (``pipedrive.engine.UpsertEngine``). Its ``run`` takes ``origin``,
    ``mapping`` and ``before_write`` keywords; a stand-in with only ``run(action, payload, mode)``
    still works, with the in-flight note written before the whole call."""

    async def run(self, action_slug: str, payload: dict[str, Any], mode: str) -> Any: ...


def _takes_before_write(engine: Any) -> bool:
    try:
        params = inspect.signature(engine.run).parameters
    except (AttributeError, TypeError, ValueError):
        return False
    return "before_write" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


@dataclass
class _Compiled:
    mapping: Any
    trigger: Any  # None when ``error`` is set
    action: Any
    error: str | None


def _plain(value: Any) -> Any:
    """JSON-ready copy of an engine record (dataclasses, objects), without anything secret."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            str(k): _plain(v) for k, v in value.items() if not any(s in str(k).lower() for s in _SECRET_KEYS)
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _call_status(call: Any) -> int | None:
    for name in ("status", "status_code"):
        value = call.get(name) if isinstance(call, dict) else getattr(call, name, None)
        if isinstance(value, int):
            return value
    return None


def _retriable_calls(calls: Sequence[Any]) -> bool:
    """The last call failed for a passing reason: 429, a 5xx, or no answer at all (network, timeout)."""
    if not calls:
        return False
    last = calls[-1]
    status = _call_status(last)
    if status is not None:
        return status == 429 or status >= 500
    error = last.get("error") if isinstance(last, dict) else getattr(last, "error", None)
    return bool(error)


def _findable_again(action: str, payload: dict[str, Any]) -> bool:
    """Whether the engine would look the target record up (match value or ID) before writing,
    so sending again updates what an interrupted write may have created instead of duplicating it."""
    try:
        from pipedrive_gui.pipedrive.planner import lookups_for

        return any(getattr(req, "role", None) == "target" for req in lookups_for(action, payload))
    except Exception:  # noqa: BLE001 - when unsure, treat it as not findable (the safe side)
        return False


def _is_retriable_exception(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & set(RETRIABLE_ERRORS):
        return True
    status = getattr(exc, "status", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        return True
    return isinstance(exc, (OSError, asyncio.TimeoutError)) or "TransportError" in names


class MappingProcessor:
    """Runs a project's enabled mappings on an event through the upsert engine.

    ``engine`` may be None (no Pipedrive connection): payloads are still built and shown, without
    lookups. ``mode`` is a :class:`ReceiverMode`: dry run (lookups only, nothing written) or live.
    """

    def __init__(
        self,
        mappings: Sequence[Any],
        engine: EngineLike | None,
        mode: str = ReceiverMode.DRY_RUN,
        *,
        track_test_records: bool = False,
    ) -> None:
        """``track_test_records``: list what live mode creates under Test records (the ledger
        keeps every create for dedupe either way)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.engine = engine
        self.mode = ReceiverMode(mode)
        self.track_test_records = track_test_records
        self._engine_hooks = engine is not None and _takes_before_write(engine)
        self._compiled: list[_Compiled] = []
        self.set_mappings(mappings)

    def set_mappings(self, mappings: Sequence[Any]) -> None:
        """Use new mappings from now on (e.g. after the user fixed one; then replay)."""
        from pipedrive_gui.core.payload import compile_action
        from pipedrive_gui.core.triggers import parse_fql

        compiled: list[_Compiled] = []
        for mapping in mappings:
            if not getattr(mapping, "enabled", True):
                continue
            trigger = action = None
            error = None
            try:
                trigger = parse_fql(mapping.trigger)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the mapping's problem
                error = f"The trigger is not valid FQL: {getattr(exc, 'message', exc)}"
            if error is None:
                try:
                    action = compile_action(mapping.action, mapping.settings)
                except Exception as exc:  # noqa: BLE001
                    error = f"The mapping is not valid: {exc}"
            compiled.append(_Compiled(mapping, trigger, action, error))
        self._compiled = compiled

    def explain(self, event: dict[str, Any]) -> dict[str, list[str]]:
        """Why each enabled mapping does not fire for ``event`` (empty list: it fires), by mapping id."""
        out: dict[str, list[str]] = {}
        for c in self._compiled:
            if c.error is not None:
                out[c.mapping.id] = [c.error]
                continue
            try:
                out[c.mapping.id] = list(c.trigger.explain(event))
            except Exception as exc:  # noqa: BLE001
                out[c.mapping.id] = [f"The trigger could not be evaluated: {exc}"]
        return out

    async def process(
        self,
        event: dict[str, Any],
        previous: list[dict[str, Any]],
        force: bool,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Processed:
        done_before = {
            d.get("mapping_id"): d
            for d in previous
            if d.get("delivered_live") or (d.get("mode") == ReceiverMode.LIVE and d.get("outcome") in SUCCESS)
        }
        # Cut-off live writes: noted by the dispatcher, or parked earlier and not forced since.
        in_doubt = {d.get("mapping_id") for d in previous if d.get(IN_FLIGHT_KEY) or d.get("in_doubt")}
        deliveries: list[dict[str, Any]] = []
        retry_reason: str | None = None
        for c in self._compiled:
            m = c.mapping
            base = {"mapping_id": m.id, "mapping": m.name, "action": m.action}
            if c.error is not None:
                deliveries.append(
                    {**base, "fired": True, "outcome": DeliveryOutcome.FAIL, "message": c.error}
                )
                continue
            try:
                fired = bool(c.trigger.matches(event))
            except Exception as exc:  # noqa: BLE001
                deliveries.append(
                    {
                        **base,
                        "fired": True,
                        "outcome": DeliveryOutcome.FAIL,
                        "message": f"The trigger could not be evaluated: {exc}",
                    }
                )
                continue
            if not fired:
                deliveries.append({**base, "fired": False})
                continue
            before = done_before.get(m.id)
            if before is not None and not force and self.mode is ReceiverMode.LIVE:
                deliveries.append(
                    {
                        **base,
                        "fired": True,
                        "mode": self.mode,
                        "outcome": DeliveryOutcome.ALREADY_DELIVERED,
                        "delivered_live": True,
                        "record_id": before.get("record_id"),
                        "record_name": before.get("record_name"),
                        "message": "Already delivered for this messageId; not sent again (replay with --force to send).",
                    }
                )
                continue
            doubt = m.id in in_doubt and not force and self.mode is ReceiverMode.LIVE
            delivery = await self._deliver(c, event, base, before_write, doubt)
            if before is not None:
                delivery["delivered_live"] = True  # keep the memory of the earlier live delivery
            if delivery.get("retriable") and retry_reason is None:
                retry_reason = str(delivery.get("message") or "temporary failure")
            deliveries.append(delivery)
        return self._summarize(deliveries, retry_reason)

    async def _deliver(
        self,
        c: _Compiled,
        event: dict[str, Any],
        base: dict[str, Any],
        before_write: BeforeWrite | None = None,
        in_doubt: bool = False,
    ) -> dict[str, Any]:
        try:
            result = c.action.run(event)
        except Exception as exc:  # noqa: BLE001 - a mapping that cannot run is that mapping's failure
            return {
                **base,
                "fired": True,
                "outcome": DeliveryOutcome.INVALID,
                "message": f"The mapping could not run: {exc}",
            }
        if not result.ok:
            problems = [
                {"field": p.field, "label": getattr(p, "label", p.field), "message": p.message}
                for p in (result.problems or [])
            ]
            return {
                **base,
                "fired": True,
                "outcome": DeliveryOutcome.INVALID,
                "message": result.error or "The mapped payload is not valid.",
                "problems": problems,
            }
        delivery: dict[str, Any] = {
            **base,
            "fired": True,
            "payload": _plain(result.payload),
            "mode": self.mode,
        }
        if self.engine is None:
            delivery.update(
                outcome=DeliveryOutcome.PLANNED,
                message="Payload built; connect to Pipedrive to look up records.",
            )
            return delivery
        if in_doubt and not _findable_again(c.mapping.action, result.payload):
            what = c.mapping.action.replace("createUpdate", "").lower() or "record"
            delivery.update(
                outcome=DeliveryOutcome.NEEDS_REVIEW,
                in_doubt=True,
                message=(
                    f"Needs review: the receiver stopped while this {what} was being written to Pipedrive, and "
                    f"this mapping gives no ID or match value to look it up, so it may already exist. Check "
                    "Pipedrive; replay with force to send it again."
                ),
            )
            return delivery
        try:
            up = await self._run_engine(c, result.payload, before_write)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, retried where it may pass
            delivery.update(
                outcome=DeliveryOutcome.FAIL,
                message=str(exc) or type(exc).__name__,  # a UserError's str() is its user_message
                retriable=_is_retriable_exception(exc),
            )
            return delivery
        calls = list(getattr(up, "calls", []) or [])
        outcome = str(getattr(up, "outcome", DeliveryOutcome.FAIL))
        delivery.update(
            outcome=outcome,
            record_id=getattr(up, "record_id", None),
            record_name=getattr(up, "record_name", None),
            message=getattr(up, "message", None),
            link=getattr(up, "link", None),
            calls=_plain(calls),
        )
        if self.mode is ReceiverMode.LIVE and outcome in SUCCESS:
            delivery["delivered_live"] = True
        if outcome == DeliveryOutcome.FAIL:
            delivery["retriable"] = bool(getattr(up, "retriable", False)) or _retriable_calls(calls)
        return delivery

    async def _run_engine(
        self, c: _Compiled, payload: dict[str, Any], before_write: BeforeWrite | None
    ) -> Any:
        assert self.engine is not None
        mapping_id = c.mapping.id
        if not self._engine_hooks:
            if self.mode is ReceiverMode.LIVE and before_write is not None:
                await before_write(mapping_id)
            return await self.engine.run(c.mapping.action, payload, self.mode.value)
        from pipedrive_gui.pipedrive.engine import Origin
        from pipedrive_gui.pipedrive.ledger import SOURCE_RECEIVER

        hook = None
        if self.mode is ReceiverMode.LIVE and before_write is not None:
            note = before_write

            async def hook() -> None:  # awaited by the engine just before the write, after the lookups
                await note(mapping_id)

        engine: Any = self.engine
        return await engine.run(
            c.mapping.action,
            payload,
            self.mode.value,
            origin=Origin(SOURCE_RECEIVER, test=self.track_test_records),
            mapping=c.mapping.name,
            before_write=hook,
        )

    def _summarize(self, deliveries: list[dict[str, Any]], retry_reason: str | None) -> Processed:
        fired = [d for d in deliveries if d.get("fired")]
        if not fired:
            return Processed(Outcome.SKIPPED, deliveries, "No enabled mapping's trigger matched this event.")
        parts = [f"{d['mapping']}: {d.get('message') or d.get('outcome')}" for d in fired]
        summary = "; ".join(parts)
        if any(d.get("outcome") in FAILING for d in fired):
            return Processed(Outcome.FAILED, deliveries, summary, retry_reason)
        final = Outcome.DELIVERED if self.mode is ReceiverMode.LIVE else Outcome.PLANNED
        return Processed(final, deliveries, summary)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        raw = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return float(raw * (0.8 + 0.4 * random.random()))  # jitter so parked retries do not stampede


class Dispatcher:
    """Processes due journal events in the background until stopped."""

    POLL_SECONDS = 2.0  # picks up replays marked by another process (the CLI) on the same journal

    def __init__(
        self,
        journal: Journal,
        processor: EventProcessor,
        *,
        retry: RetryPolicy | None = None,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self.journal = journal
        self.processor = processor
        self.retry = retry or RetryPolicy()
        self.on_change = on_change
        self.processed = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="receiver-dispatcher")

    async def stop(self, grace: float = 5.0) -> None:
        """Finish the event in hand (up to ``grace`` seconds), then stop; the rest stays queued."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except asyncio.TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                handled = await self.run_due()
            except Exception:  # noqa: BLE001 - keep dispatching; the journal error is logged
                log.exception("dispatcher: could not process journal events")
                handled = 0
            if handled:
                continue
            timeout = self.POLL_SECONDS
            nxt = await self.journal.next_retry_time()
            if nxt is not None:
                timeout = max(0.0, min(timeout, nxt - time.time()))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def run_due(self, limit: int = 100) -> int:
        """Process every event that is due now (one page); returns how many were handled."""
        due = await self.journal.due(limit=limit)
        for item in due:
            if self._stopping:
                break
            await self._handle(item)
        return len(due)

    async def run_until_idle(self) -> int:
        """Process until no event is due now (retries scheduled later stay queued)."""
        total = 0
        while True:
            n = await self.run_due()
            if n == 0:
                return total
            total += n

    async def _handle(self, item: DueEvent) -> None:
        attempt = item.attempts + 1
        previous = item.previous + [{"mapping_id": m, IN_FLIGHT_KEY: True} for m in item.in_flight]
        seq = item.seq

        async def before_write(mapping_id: str) -> None:
            await self.journal.mark_in_flight(seq, mapping_id)

        try:
            processed = await self.processor.process(
                item.event, previous, item.force, before_write=before_write
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the queue; park the event
            log.exception("dispatcher: processing event %s failed", item.message_id)
            # Keeps the notes of cut-off writes, so a replay still treats them with care.
            processed = Processed(Outcome.FAILED, previous, f"Internal error while processing: {exc}")
        outcome = processed.outcome
        summary = processed.summary
        next_attempt = 0.0
        if outcome == Outcome.FAILED and processed.retry_reason:
            if attempt < self.retry.max_attempts:
                delay = self.retry.delay(attempt)
                outcome = Outcome.RETRYING
                next_attempt = time.time() + delay
                summary = f"Try {attempt} of {self.retry.max_attempts} failed ({processed.retry_reason}); retrying in {delay:.0f} s."
            else:
                summary = f"Gave up after {attempt} tries: {summary}"
        await self.journal.record(
            item.seq,
            outcome,
            summary=summary,
            deliveries=processed.deliveries,
            attempts=attempt,
            next_attempt=next_attempt,
        )
        self.processed += 1
        if self.on_change is not None:
            self.on_change(item.seq)
