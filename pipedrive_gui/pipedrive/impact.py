"""Impact run: what a set of events would do to Pipedrive, found out read-only.

Three steps (docs/architecture.md#lint-and-impact: the planner with shared, cached lookups):

1. **prepare** (no I/O): every enabled mapping's trigger and payload for every event, exactly as
   the preview computes them, and the lookups each payload needs (``planner.lookups_for``).
2. **resolve**: each distinct match value is looked up once in Pipedrive (``GET`` by id, the
   entity search or ``itemSearch/field``), through the client, whose pacer keeps the requests
   within Pipedrive's burst limits (search: 10 per 2 s). Progress is reported; cancelling the task
   stops it. Nothing is written.
3. **simulate** (no I/O): the events in order, through ``planner.plan``, as sending them one by
   one would go: a record that an earlier event of the batch would create is *found* by later
   lookups (of its match value, or of a name / e-mail / custom-field value it was created with),
   so the second event updates it instead of creating it again; a deal the batch deletes is gone.
   The calls and tokens each event would cost are those of this app's engine in send mode (its
   lookup cache remembers found records, so repeated values cost nothing), and, as an estimate,
   those of Segment's own destination (a v1 search per match value per event, then a v1 write).

Before/after: :func:`run_impact` with ``compare_with`` runs both projects over the same events
with one shared set of lookups, and lists the events whose outcome changes (``core.impact.compare``).

Not simulated: Pipedrive's search lag and Segment's parallel delivery (that is what
``batch_records`` warns about), lookup-cache expiry (15 min), and values an update *removes* from
an existing record (a later lookup of the old value still finds it here).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipedrive_gui.core import impact as core
from pipedrive_gui.core.actions import MATCH_ENTITIES
from pipedrive_gui.core.errors import UserError
from pipedrive_gui.core.impact import CallInfo, EventRun, ImpactReport, MappingRef, OutcomeChange
from pipedrive_gui.core.payload import compile_action
from pipedrive_gui.core.triggers import parse_fql
from pipedrive_gui.pipedrive import planner
from pipedrive_gui.pipedrive.encode import EncodeError
from pipedrive_gui.pipedrive.errors import (
    AuthError,
    NotFoundError,
    PipedriveError,
    PlanError,
    RateLimitedError,
)
from pipedrive_gui.pipedrive.lookup_cache import CacheKey, LookupCache, cache_key
from pipedrive_gui.pipedrive.planner import LookupRequest, LookupResult

#: ``progress(phase, done, total)``; phase is "prepare", "lookups" or "simulate".
Progress = Callable[[str, int, int], None]
#: Concurrent lookups (the client's pacer still decides when each may go).
CONCURRENCY = 4
_SEARCHABLE = MATCH_ENTITIES
#: Segment's destination (API v1): a search per match value, then one write (docs/pipedrive-api.md#rate-limits, #api-v1-deprecation).
SEGMENT_SEARCH_TOKENS = 40
SEGMENT_WRITE_TOKENS = 10


class ImpactError(UserError):
    """The run cannot go on (daily budget spent, token refused); ``str()`` says why and what to do."""


# -- 1. prepare ------------------------------------------------------------------------------------


@dataclass
class PreparedRun:
    ref: MappingRef
    payload: dict[str, Any] | None
    problem: str | None  # Segment would reject the payload
    requests: list[LookupRequest] = field(default_factory=list)
    request_error: str | None = None


@dataclass
class PreparedEvent:
    index: int
    message_id: str
    runs: list[PreparedRun]


@dataclass
class PreparedProject:
    name: str
    defaults: Any
    mappings: list[MappingRef]
    events: list[PreparedEvent]

    def requests(self) -> Iterable[LookupRequest]:
        for ev in self.events:
            for run in ev.runs:
                yield from run.requests


def prepare(
    project: Any, events: Sequence[Mapping[str, Any]], catalog: Any = None, progress: Progress | None = None
) -> PreparedProject:
    """Triggers, payloads and lookups of every enabled mapping on every event (no I/O)."""
    compiled: list[tuple[MappingRef, Any, Any, str | None]] = []
    refs = []
    for m in project.mappings:
        if not m.enabled:
            continue
        try:
            trigger = parse_fql(m.trigger)
        except ValueError as exc:
            refs.append(
                MappingRef(
                    m.id, m.name, m.action, f"the trigger is not valid FQL: {getattr(exc, 'message', exc)}"
                )
            )
            continue
        ref = MappingRef(m.id, m.name, m.action)
        refs.append(ref)
        try:
            action = compile_action(m.action, m.settings)
        except Exception as exc:  # noqa: BLE001 - an unknown action: every run of it fails
            compiled.append((ref, trigger, None, str(exc)))
            continue
        compiled.append((ref, trigger, action, None))
    out: list[PreparedEvent] = []
    total = len(events)
    for i, event in enumerate(events, 1):
        runs = []
        for ref, trigger, action, error in compiled:
            try:
                fires = bool(trigger.matches(event))
            except Exception:  # noqa: BLE001 - a trigger that cannot evaluate this event does not fire
                fires = False
            if not fires:
                continue
            if action is None:
                runs.append(PreparedRun(ref, None, error))
                continue
            result = action.run(event)
            if not result.ok or result.payload is None:
                runs.append(
                    PreparedRun(
                        ref,
                        None,
                        f"Segment would reject this event's payload: {result.error or 'it is not valid'}",
                    )
                )
                continue
            prepared = PreparedRun(ref, result.payload, None)
            try:
                prepared.requests = planner.lookups_for(
                    ref.action, result.payload, project.destination, catalog
                )
            except (EncodeError, planner.PlanningError) as exc:
                prepared.request_error = str(exc)
            runs.append(prepared)
        message_id = event.get("messageId") if isinstance(event, Mapping) else None
        out.append(PreparedEvent(i, str(message_id or ""), runs))
        if progress is not None and (i % 200 == 0 or i == total):
            progress("prepare", i, total)
    return PreparedProject(getattr(project, "name", ""), project.destination, refs, out)


# -- 2. resolve ------------------------------------------------------------------------------------


@dataclass
class Resolved:
    """Pipedrive's answer for each distinct lookup (found / not found / could not look up)."""

    results: dict[CacheKey, LookupResult] = field(default_factory=dict)
    errors: dict[CacheKey, str] = field(default_factory=dict)
    calls: int = 0
    tokens: int = 0


class LookupResolver:
    """Looks each distinct match value up once, paced by the client (``client.request_full``).

    ``cache``: a :class:`LookupCache` shared with an engine; found records in it are not looked up
    again, and what this resolver finds is added to it (only found records: never a "not found")."""

    def __init__(
        self, client: Any, *, cache: LookupCache | None = None, concurrency: int = CONCURRENCY
    ) -> None:
        self.client = client
        self.cache = cache
        self.concurrency = max(1, concurrency)
        self.resolved = Resolved()

    async def resolve(self, requests: Iterable[LookupRequest], progress: Progress | None = None) -> Resolved:
        todo: dict[CacheKey, LookupRequest] = {}
        for req in requests:
            if req.key in todo or req.key in self.resolved.results or req.key in self.resolved.errors:
                continue
            todo[req.key] = req
        queue = list(todo.values())
        total = len(queue)
        done = 0
        if progress is not None:
            progress("lookups", 0, total)
        position = iter(queue)

        async def worker() -> None:
            nonlocal done
            for req in position:
                await self._one(req)
                done += 1
                if progress is not None:
                    progress("lookups", done, total)

        tasks = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, max(1, total)))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.resolved

    async def _one(self, req: LookupRequest) -> None:
        out = self.resolved
        call = planner.lookup_call(req)
        if call is None:
            out.results[req.key] = planner.unmatchable_result(req)
            return
        if self.cache is not None and req.entity in _SEARCHABLE:
            hit = self.cache.get(req.entity, req.match_field, req.value)
            if hit is not None:
                out.results[req.key] = LookupResult(True, hit.record_id, hit.name, "cache")
                return
        out.calls += 1
        out.tokens += call.tokens
        try:
            answer = await self.client.request_full(
                call.method, call.path, params=call.query, safe_to_retry=True
            )
        except NotFoundError:
            out.results[req.key] = LookupResult.not_found()
            return
        except RateLimitedError as exc:
            if exc.daily:
                raise ImpactError(
                    f"{exc.user_message} The impact run stopped: Pipedrive's daily token budget "
                    "is spent; run it again after the budget resets."
                ) from exc
            out.errors[req.key] = exc.user_message
            return
        except (AuthError, PlanError) as exc:
            raise ImpactError(exc.user_message) from exc
        except PipedriveError as exc:
            out.errors[req.key] = exc.user_message
            return
        result = planner.parse_lookup(req, answer.envelope)
        out.results[req.key] = result
        if (
            self.cache is not None
            and result.found
            and result.record_id is not None
            and req.entity in _SEARCHABLE
        ):
            self.cache.remember(req.entity, req.match_field, req.value, result.record_id, result.name)


# -- 3. simulate -----------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):
        return _text(value.get("value"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _body_keys(entity: str, body: Mapping[str, Any]) -> list[CacheKey]:
    """Every lookup key a record with this (create or update) body would be found by."""
    keys: list[CacheKey] = []

    def add(field_key: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for v in values:
            text = _text(v)
            if text:
                keys.append(cache_key(entity, field_key, text))

    for field_key in planner.ENTITY_SEARCH_FIELDS.get(entity, ()):
        plural = f"{field_key}s"
        if plural in body:
            add(field_key, body[plural])
        elif field_key in body:
            add(field_key, body[field_key])
    custom = body.get("custom_fields")
    if isinstance(custom, Mapping):
        for k, v in custom.items():
            add(str(k), v)
    return keys


@dataclass
class _Record:
    entity: str
    record_id: int | str
    name: str | None
    batch: core.BatchRecord | None = None


class _Simulation:
    """What Pipedrive would hold after each event of the batch (on top of what the lookups found)."""

    def __init__(
        self, prepared: PreparedProject, resolved: Resolved, catalog: Any, default_currency: str | None
    ) -> None:
        self.p = prepared
        self.resolved = resolved
        self.catalog = catalog
        self.default_currency = default_currency
        self.index: dict[CacheKey, _Record] = {}  # values written by the batch
        self.deleted: set[tuple[str, str]] = set()
        self.engine_cache: set[CacheKey] = set()  # what the engine's lookup cache would hold
        self.next_id = 0
        self.batch_records: list[core.BatchRecord] = []
        self.created_by: dict[int, int] = {}  # virtual id → event index

    # lookups

    def _lookup(self, req: LookupRequest) -> tuple[LookupResult | None, str | None]:
        if planner.lookup_call(req) is None:
            return planner.unmatchable_result(req), None
        if req.key in self.resolved.errors:
            return None, self.resolved.errors[req.key]
        real = self.resolved.results.get(req.key)
        if real is not None and real.found and (req.entity, str(real.record_id)) not in self.deleted:
            return real, None
        mine = self.index.get(req.key)
        if mine is not None and (req.entity, str(mine.record_id)) not in self.deleted:
            return LookupResult(True, mine.record_id, mine.name, "batch"), None
        if real is None:
            return None, f"{req.describe()} was not looked up"
        return LookupResult.not_found(note=real.note), None

    def _remember(self, entity: str, key: CacheKey, record_id: Any) -> None:
        if entity in _SEARCHABLE:
            self.engine_cache.add(key)
            self.engine_cache.add(cache_key(entity, "id", record_id))

    def _forget_id(self, entity: str, record_id: Any) -> None:
        self.deleted.add((entity, str(record_id)))
        id_key = cache_key(entity, "id", record_id)
        self.engine_cache.discard(id_key)
        for key, rec in list(self.index.items()):
            if rec.entity == entity and str(rec.record_id) == str(record_id):
                self.engine_cache.discard(key)
        for key in list(self.engine_cache):
            real = self.resolved.results.get(key)
            if key[0] == entity and real is not None and str(real.record_id) == str(record_id):
                self.engine_cache.discard(key)

    # one run

    def run(self, event: PreparedEvent, prepared: PreparedRun) -> EventRun:
        ref = prepared.ref
        spec = planner.ACTIONS.get(ref.action)
        entity = spec.entity if spec else ref.action
        out = EventRun(
            event.index,
            event.message_id,
            ref.id,
            ref.name,
            ref.action,
            entity,
            core.FAIL,
            "",
            payload=prepared.payload,
        )
        problem = prepared.problem or prepared.request_error
        if problem is not None or prepared.payload is None or spec is None:
            out.reason = problem or "the payload could not be built"
            out.message = f"Would fail: {out.reason}"
            return out
        payload = prepared.payload
        self._segment_cost(out, spec, payload)
        results: dict[CacheKey, LookupResult] = {}
        reads_target = spec.entity == "activity" and any(r.role == "person" for r in prepared.requests)
        for req in prepared.requests:
            result, error = self._lookup(req)
            call = planner.lookup_call(req)
            skipped_in_send = req.role == "target" and spec.id_key is not None and not reads_target
            if call is None:
                out.calls.append(
                    CallInfo(
                        "GET",
                        "",
                        f"look up {req.describe()}: not a Pipedrive ID, nothing to look up",
                        "lookup",
                        0,
                        "none",
                    )
                )
            elif not skipped_in_send:
                cached = req.entity in _SEARCHABLE and req.key in self.engine_cache
                query = (
                    "?" + "&".join(f"{k}={v}" for k, v in (call.query or {}).items()) if call.query else ""
                )
                out.calls.append(
                    CallInfo(
                        call.method,
                        call.path + query,
                        call.purpose,
                        "lookup",
                        0 if cached else call.tokens,
                        "cache" if cached else "call",
                    )
                )
            if error is not None:
                out.reason = f"Could not look up {req.describe()}: {error}"
                out.message = f"Would fail: {out.reason}"
                return out
            assert result is not None
            results[req.key] = result
            if result.found and result.record_id is not None and not skipped_in_send:
                self._remember(req.entity, req.key, result.record_id)
        plan = planner.plan(
            ref.action,
            payload,
            self.p.defaults,
            results,
            self.catalog,
            default_currency=self.default_currency,
        )
        out.warnings = list(plan.warnings)
        if plan.outcome not in (core.UPDATE, core.CREATE):
            out.reason = plan.reason or "Pipedrive would refuse it"
            out.message = f"Would fail: {out.reason}"
            target = plan.target
            if (
                spec.id_key is not None
                and target is not None
                and target.role == "target"
                and not reads_target
                and plan.outcome == core.FAIL
                and target.key in results
                and not results[target.key].found
            ):
                # Send mode writes without reading first; Pipedrive answers 404.
                method = "PUT" if spec.entity == "note" else "PATCH"
                path = f"{planner.ENTITY_PATHS[spec.entity]}/{target.value}"
                out.calls.append(
                    CallInfo(
                        method,
                        path,
                        f"update {spec.entity} #{target.value} (Pipedrive answers 404)",
                        "write",
                        planner.estimated_tokens(method, path),
                    )
                )
            return out
        write = plan.writes[0]
        out.calls.append(CallInfo(write.method, write.path, write.purpose, "write", write.tokens))
        out.outcome = plan.outcome
        target = plan.target
        target_result = results.get(target.key) if target is not None else None
        name = plan.record_name
        if plan.outcome == core.CREATE:
            self.next_id += 1
            record_id: Any = -self.next_id
            self.created_by[record_id] = event.index
            out.record_id = record_id
            out.message = f"Would create {entity}" + (f" '{name}'" if name else "")
            if target is not None and spec.match_prefix is not None and entity in _SEARCHABLE:
                batch = core.BatchRecord(entity, target.describe(), (event.index, ref.name))
                rec = _Record(entity, record_id, name, batch)
                self.batch_records.append(batch)
                for key in [target.key, *_body_keys(entity, write.body or {})]:
                    self.index.setdefault(key, rec)
                self._remember(entity, target.key, record_id)
            return out
        record_id = plan.record_id
        out.record_id = record_id
        if plan.deletes and record_id is not None:
            self._forget_id(entity, record_id)
            out.message = f"Would delete {plan.subject()}"
            return out
        if isinstance(record_id, int) and record_id < 0:
            created_at = self.created_by.get(record_id)
            out.updates_batch_record = True
            out.message = (
                f"Would update the {entity}"
                + (f" '{name}'" if name else "")
                + f" that event {created_at} of this batch creates"
            )
        else:
            out.message = f"Would update {plan.subject()}"
        if target is not None and target_result is not None and entity in _SEARCHABLE:
            self._remember(entity, target.key, record_id)
            mine = self.index.get(target.key)
            if out.updates_batch_record and mine is not None and mine.batch is not None:
                mine.batch.touched_by.append((event.index, ref.name))
                out.batch_record = mine.batch.describe
            # Values the update writes: a later lookup of them finds this record.
            rec = (
                mine
                if mine is not None and str(mine.record_id) == str(record_id)
                else _Record(entity, record_id, name)
            )
            for key in _body_keys(entity, write.body or {}):
                self.index.setdefault(key, rec)
        return out

    @staticmethod
    def _segment_cost(out: EventRun, spec: planner.ActionSpec, payload: Mapping[str, Any]) -> None:
        values = [payload.get(f"{role}_match_value") for role in spec.associations]
        if spec.match_prefix is not None:
            values.append(payload.get(f"{spec.match_prefix}match_value"))
        searches = sum(1 for v in values if v not in (None, ""))
        out.segment_calls = searches + 1
        out.segment_tokens = searches * SEGMENT_SEARCH_TOKENS + SEGMENT_WRITE_TOKENS


def simulate(
    prepared: PreparedProject,
    resolved: Resolved,
    catalog: Any = None,
    *,
    default_currency: str | None = None,
    progress: Progress | None = None,
    source: str = "",
) -> ImpactReport:
    """The events in order, as sending them one by one would go (pure; see the module docstring)."""
    sim = _Simulation(prepared, resolved, catalog, default_currency)
    runs: list[EventRun] = []
    without = 0
    total = len(prepared.events)
    for n, event in enumerate(prepared.events, 1):
        if not event.runs:
            without += 1
        for prepared_run in event.runs:
            result = sim.run(event, prepared_run)
            if result.outcome == core.FAIL and result.segment_calls:
                # Segment's destination refuses too, after its searches (no write).
                result.segment_calls -= 1
                result.segment_tokens -= SEGMENT_WRITE_TOKENS
            runs.append(result)
        if progress is not None and (n % 200 == 0 or n == total):
            progress("simulate", n, total)
    creates = {(r.event_index, r.mapping): r for r in runs if r.outcome == core.CREATE}
    for rec in sim.batch_records:
        first = creates.get(rec.created_by)
        if first is not None and rec.touched_by:
            first.batch_record = rec.describe
    dups = [b for b in sim.batch_records if b.touched_by]
    summaries = core.summarize(runs, prepared.mappings, total, dups)
    return ImpactReport(
        total, runs, summaries, dups, resolved.calls, resolved.tokens, without, source, prepared.name
    )


# -- all of it -------------------------------------------------------------------------------------


@dataclass
class ImpactResult:
    report: ImpactReport
    #: The baseline project's report (``compare_with``), and what changes from it to ``report``.
    before: ImpactReport | None = None
    changes: list[OutcomeChange] = field(default_factory=list)
    #: The plan told by Pipedrive's burst limit (``x-ratelimit-limit``), when it matches one.
    plan: str | None = None
    seconds: float = 0.0
    lookups_per_second: float = 0.0


async def run_impact(
    client: Any,
    catalog: Any,
    project: Any,
    events: Sequence[Mapping[str, Any]],
    *,
    compare_with: Any = None,
    progress: Progress | None = None,
    default_currency: str | None = None,
    cache: LookupCache | None = None,
    concurrency: int = CONCURRENCY,
    source: str = "",
) -> ImpactResult:
    """Prepare, look up (read-only, each distinct value once, paced), simulate; see the module
    docstring. ``compare_with``: the baseline project (e.g. the saved file) for before/after."""
    started = time.perf_counter()
    after = prepare(project, events, catalog, progress)
    before = prepare(compare_with, events, catalog) if compare_with is not None else None
    resolver = LookupResolver(client, cache=cache, concurrency=concurrency)
    requests = list(after.requests()) + (list(before.requests()) if before is not None else [])
    t0 = time.perf_counter()
    resolved = await resolver.resolve(requests, progress)
    lookup_seconds = time.perf_counter() - t0
    report = simulate(
        after, resolved, catalog, default_currency=default_currency, progress=progress, source=source
    )
    result = ImpactResult(report)
    if before is not None:
        result.before = simulate(before, resolved, catalog, default_currency=default_currency, source=source)
        result.changes = core.compare(result.before, report)
    pacer = getattr(client, "pacer", None)
    if pacer is not None:
        result.plan = core.plan_for_burst_limit(pacer.budget().burst_limit)
    result.seconds = time.perf_counter() - started
    result.lookups_per_second = (
        resolved.calls / lookup_seconds if lookup_seconds > 0 and resolved.calls else 0.0
    )
    return result


# -- the mapping list's "per event" cost -----------------------------------------------------------


@dataclass(frozen=True)
class MappingCost:
    calls: int
    tokens: int
    searches: int

    def text(self) -> str:
        return f"≈ {self.calls} API call{'s' if self.calls != 1 else ''} · {self.tokens} tokens per event"


def expected_cost(
    action: str, payload: Mapping[str, Any], defaults: Any = None, catalog: Any = None
) -> MappingCost | None:
    """Calls and tokens one event costs this mapping when nothing is remembered: its lookups (the
    plan's, as ``send`` makes them) and the write (the dearer of update / create)."""
    try:
        p = planner.plan(action, payload, defaults, {}, catalog)
    except planner.PlanningError:
        return None
    lookups = [c for c in p.calls if c.kind == "lookup"]
    writes = [c for c in p.calls if c.kind == "write"]
    tokens = sum(c.tokens for c in lookups) + max((c.tokens for c in writes), default=0)
    searches = sum(1 for c in lookups if "search" in c.path.lower())
    return MappingCost(len(lookups) + (1 if writes else 0), tokens, searches)


def mapping_cost(
    mapping: Any, events: Iterable[Mapping[str, Any]], defaults: Any = None, catalog: Any = None
) -> MappingCost | None:
    """:func:`expected_cost` on the first of ``events`` that fires ``mapping`` with a valid payload."""
    try:
        trigger = parse_fql(mapping.trigger)
        action = compile_action(mapping.action, mapping.settings)
    except Exception:  # noqa: BLE001 - an invalid trigger / unknown action has no cost to show
        return None
    for event in events:
        try:
            if not trigger.matches(event):
                continue
        except Exception:  # noqa: BLE001
            continue
        result = action.run(event)
        if result.ok and result.payload is not None:
            return expected_cost(mapping.action, result.payload, defaults, catalog)
    return None
