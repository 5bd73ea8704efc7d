"""Run one Segment action against Pipedrive: look up, decide (``planner``), write, report.

Modes:
- ``plan``: no network. The calls, with lookups unresolved ("look up person where Segment user
  ID = user-1001", then update it or create it).
- ``dry_run``: only the read-only lookups, then "Would update person #123 'Jane Doe'" / "Would
  create person 'Jane Doe'" / "Would fail: why".
- ``send``: does it; every call comes back with its status, a response excerpt, and a link to
  the record in Pipedrive.

Lookups go through a :class:`LookupCache` (associations too), so a stream of events about the same
people costs one write per event instead of Segment's search-per-association-per-event.

Never twice (docs/architecture.md#never-twice). A create is only repeated when Pipedrive has shown
it did not happen:

- Pipedrive's search lags behind writes by seconds, so a search miss right after a create proves
  nothing. With a :class:`~pipedrive_gui.pipedrive.ledger.Ledger` (every process of the app shares
  one), a person / organization / deal is claimed there before it is created: a value this app
  already created is updated instead (also when the search does not see it yet), one another run
  is creating right now is waited for, and one whose earlier create was never confirmed is first
  looked for. Search misses of person / organization / deal lookups (associations too) are
  answered from the ledger's created records.
- A create (POST) that timed out or got a 5xx may have happened. The engine does not search again
  and re-create: it re-checks over ``confirm_window`` seconds (reads at 1/16, 1/8, 1/4, 1/2 and all
  of it) with a read that search lag does not affect: the entity's newest records
  (``GET /api/v2/persons?sort_by=id&sort_direction=desc``) compared on the match field. Found: the
  create happened, nothing is sent again. Absent on every read, the last of them reaching back past
  the create: it did not happen, so it is sent again. Anything else (the list cannot be read, or
  does not reach back far enough): it is reported as not confirmed — check Pipedrive — and not
  repeated; the ledger keeps it "unconfirmed" so the next run checks again before creating.
- Activities, notes and leads have no match value to look for: a create of theirs whose answer
  was lost is reported, never repeated.

Updates (PATCH/PUT) are idempotent, so the engine retries them; a 404 on an update means the
cached (or ledger's) id went stale: the engine forgets it, looks again and updates (or creates)
the right record.

``run(..., before_write=hook)`` awaits ``hook()`` just before the first write is sent (not before
the lookups): the receiver notes "write in flight" there, so only a write that may really have been
cut off is held for review after a crash.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from pipedrive_gui.core.actions import MATCH_ENTITIES
from pipedrive_gui.core.modes import DRY_RUN, MODES, PLAN, SEND
from pipedrive_gui.pipedrive import planner
from pipedrive_gui.pipedrive.errors import (
    NetworkError,
    NotFoundError,
    PipedriveError,
    RateLimitedError,
    ServerError,
    TimeoutError_,
    ValidationError,
)
from pipedrive_gui.pipedrive.ledger import (
    CREATED,
    SOURCE_CLI_SEND,
    UNCONFIRMED,
    Claim,
    Ledger,
    LedgerError,
    MatchKey,
    UnopenedLedger,
)
from pipedrive_gui.pipedrive.lookup_cache import CacheKey, LookupCache, cache_key
from pipedrive_gui.pipedrive.pacing import backoff_delay
from pipedrive_gui.pipedrive.planner import LookupRequest, LookupResult, Plan, PlannedCall

log = logging.getLogger(__name__)

#: Create attempts when a POST's fate is unknown and the re-check says it did not happen.
MAX_CREATE_ATTEMPTS = 3
#: After a create's answer was lost: how long to keep re-checking whether it happened. Covers
#: Pipedrive's search lag ("seconds"; magnitude unconfirmed, docs/pipedrive-api.md#search-lag) and a
#: slow request still landing.
CONFIRM_WINDOW_S = 8.0
#: How long to wait for another run of the app that is creating the same record right now.
CLAIM_WAIT_S = 45.0
#: The newest-records read that confirms a create: page size and pages at most.
CONFIRM_PAGE_SIZE = 100
CONFIRM_PAGES = 3
#: Clock difference allowed between this computer and Pipedrive when comparing ``update_time``.
CLOCK_SKEW_S = 300.0
#: Test settings (seconds): shorter windows for end-to-end tests against the sandbox.
ENV_CONFIRM_WINDOW = "PIPEDRIVE_GUI_CONFIRM_WINDOW"
ENV_CLAIM_WAIT = "PIPEDRIVE_GUI_CLAIM_WAIT"
#: The records found by match value, which the ledger and the lookup cache keep.
_LEDGER_ENTITIES = MATCH_ENTITIES
#: Tries for an update (PATCH/PUT/DELETE), which is safe to repeat.
MAX_WRITE_ATTEMPTS = 5
EXCERPT_CHARS = 300
_WEB_PATHS = {"person": "person", "organization": "organization", "deal": "deal"}

Sleep = Callable[[float], Awaitable[None]]
#: ``before_write()``: awaited once per run, just before its first write is sent.
BeforeWrite = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Origin:
    """Who asks for the writes: noted in the ledger with every record the app creates."""

    source: str = SOURCE_CLI_SEND  # ledger.SOURCE_SEND_TEST / SOURCE_CLI_SEND / SOURCE_RECEIVER
    #: Listed under "Test records" (GUI Send test, CLI send; the receiver when the user opts in).
    test: bool = True
    mapping: str | None = None


@dataclass
class _Run:
    """One ``run``: its origin and the before-write hook (awaited at most once)."""

    origin: Origin
    before_write: BeforeWrite | None = None
    announced: bool = False


class Timing(TypedDict, total=False):
    confirm_window: float
    claim_wait: float


def timing_from_env(environ: Mapping[str, str] | None = None) -> Timing:
    """``UpsertEngine`` keyword arguments for re-check windows set in the environment
    (``PIPEDRIVE_GUI_CONFIRM_WINDOW``, ``PIPEDRIVE_GUI_CLAIM_WAIT``, seconds): tests shorten them."""
    env = os.environ if environ is None else environ
    out = Timing()
    for name, key in ((ENV_CONFIRM_WINDOW, "confirm_window"), (ENV_CLAIM_WAIT, "claim_wait")):
        raw = env.get(name, "").strip()
        if raw:
            try:
                out[key] = max(0.0, float(raw))  # type: ignore[literal-required]
            except ValueError:
                log.warning("ignoring %s=%r: not a number of seconds", name, raw)
    return out


@dataclass
class CallRecord:
    """One call as shown to the user (planned, answered from the cache, or sent)."""

    method: str
    path: str
    query: dict[str, Any] | None
    body: dict[str, Any] | None
    purpose: str
    kind: str = "write"  # "lookup" or "write"
    condition: str | None = None
    sent: bool = False
    from_cache: bool = False
    status: int | None = None
    response_excerpt: str | None = None
    error: str | None = None
    tokens: int = 0
    elapsed_ms: float | None = None

    @classmethod
    def planned(cls, call: PlannedCall) -> CallRecord:
        return cls(
            call.method,
            call.path,
            call.query,
            call.body,
            call.purpose,
            call.kind,
            call.condition,
            tokens=call.tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UpsertResult:
    action: str
    outcome: str  # "update", "create", "fail", "planned"
    record_id: int | str | None
    record_name: str | None
    message: str
    calls: list[CallRecord]
    link: str | None = None
    warnings: list[str] = field(default_factory=list)
    mode: str = PLAN
    entity: str | None = None
    #: A failure that sending the event again later may fix (the receiver retries it).
    retriable: bool = False

    @property
    def api_calls(self) -> int:
        return sum(1 for c in self.calls if c.sent)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls if c.sent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "mode": self.mode,
            "entity": self.entity,
            "outcome": self.outcome,
            "record_id": self.record_id,
            "record_name": self.record_name,
            "message": self.message,
            "link": self.link,
            "warnings": list(self.warnings),
            "api_calls": self.api_calls,
            "tokens": self.tokens,
            "calls": [c.to_dict() for c in self.calls],
        }


class _Abort(Exception):
    """Stop this upsert with a user-facing reason (a lookup failed, a write is uncertain...)."""

    def __init__(self, message: str, *, retriable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retriable = retriable


class UpsertEngine:
    """``UpsertEngine(client, catalog, defaults)``; one per connection, shared across events."""

    def __init__(
        self,
        client: Any,
        catalog: Any = None,
        defaults: Any = None,
        *,
        cache: LookupCache | None = None,
        web_base: str | None = None,
        default_currency: str | None = None,
        recheck_delay: float = 2.0,
        backoff_base: float = 0.5,
        ledger: Ledger | UnopenedLedger | None = None,
        origin: Origin | None = None,
        account: str | None = None,
        confirm_window: float = CONFIRM_WINDOW_S,
        claim_wait: float = CLAIM_WAIT_S,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``ledger``: the app's record of what it created (None: no cross-run memory, for unit
        tests); ``origin``: who runs it, unless a ``run`` says; ``account``: the ledger's account
        (default: the client's host); ``confirm_window``/``claim_wait``: see the module docstring."""
        self.client = client
        #: The company's default currency (users/me), used for bare monetary amounts.
        self.default_currency = default_currency
        self.catalog = catalog
        self.defaults = defaults
        self.cache = cache if cache is not None else LookupCache()
        self.web_base = web_base if web_base is not None else _web_base(client, defaults)
        #: After a create timed out, how long to let a slow server finish before looking again.
        self.recheck_delay = recheck_delay
        self.backoff_base = backoff_base
        self.ledger = ledger
        self.origin = origin if origin is not None else Origin()
        self.account = account if account is not None else str(getattr(client, "host", "") or "")
        self.confirm_window = confirm_window
        self.claim_wait = claim_wait
        self._sleep = sleep
        self._rng = rng
        self._clock = clock
        self._locks: dict[CacheKey, asyncio.Lock] = {}

    # -- public ---------------------------------------------------------------------------------

    async def run(
        self,
        action_slug: str,
        payload: Mapping[str, Any],
        mode: str = PLAN,
        *,
        origin: Origin | None = None,
        mapping: str | None = None,
        before_write: BeforeWrite | None = None,
    ) -> UpsertResult:
        """``origin`` (default: the engine's) and ``mapping`` (its name) go into the ledger with
        what this run creates; ``before_write`` is awaited just before the first write."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        try:
            spec = planner.ACTIONS[action_slug]
        except KeyError:
            return UpsertResult(
                action_slug,
                "fail",
                None,
                None,
                f"'{action_slug}' is not one of the Pipedrive actions ({', '.join(planner.ACTIONS)}).",
                [],
                mode=mode,
            )
        if mode == PLAN:
            return self._plan_only(action_slug, payload)
        try:
            requests = planner.lookups_for(action_slug, payload, self.defaults, self.catalog)
        except ValueError as exc:  # EncodeError: a match value that is not text
            return UpsertResult(
                action_slug,
                "fail",
                None,
                None,
                f"Would fail: {exc}" if mode == DRY_RUN else f"Failed: {exc}",
                [],
                mode=mode,
                entity=spec.entity,
            )
        base = origin if origin is not None else self.origin
        ctx = _Run(base if mapping is None else replace(base, mapping=mapping), before_write)
        target = next((r for r in requests if r.role == "target"), None)
        lock = self._lock_for(target) if target is not None and spec.match_prefix is not None else None
        if lock is None:
            return await self._run(action_slug, payload, mode, requests, ctx)
        # Two events for the same new record must not both decide "create".
        async with lock:
            return await self._run(action_slug, payload, mode, requests, ctx)

    def link_for(
        self, entity: str, record_id: Any, associations: Mapping[str, Any] | None = None
    ) -> str | None:
        """Where the user can see the record in Pipedrive (or the sandbox)."""
        if not self.web_base or record_id is None:
            return None
        if entity in _WEB_PATHS:
            return f"{self.web_base}/{_WEB_PATHS[entity]}/{record_id}"
        if entity == "lead":
            return f"{self.web_base}/leads/inbox/{record_id}"
        # Activities and notes show on the deal / person / organization they belong to.
        for role in ("deal", "person", "organization"):
            if associations and associations.get(role) is not None:
                return f"{self.web_base}/{_WEB_PATHS[role]}/{associations[role]}"
        return f"{self.web_base}/activities/list" if entity == "activity" else None

    def _plan(
        self, action_slug: str, payload: Mapping[str, Any], results: Mapping[CacheKey, LookupResult]
    ) -> Plan:
        return planner.plan(
            action_slug, payload, self.defaults, results, self.catalog, default_currency=self.default_currency
        )

    # -- plan mode ------------------------------------------------------------------------------

    def _plan_only(self, action_slug: str, payload: Mapping[str, Any]) -> UpsertResult:
        p = self._plan(action_slug, payload, {})
        outcome = "fail" if p.outcome == "fail" else "planned"
        return UpsertResult(
            action_slug,
            outcome,
            p.record_id,
            p.record_name,
            p.describe(PLAN),
            [CallRecord.planned(c) for c in p.calls],
            None,
            p.warnings,
            PLAN,
            p.entity,
        )

    # -- dry run / send -------------------------------------------------------------------------

    async def _run(
        self,
        action_slug: str,
        payload: Mapping[str, Any],
        mode: str,
        requests: list[LookupRequest],
        ctx: _Run,
    ) -> UpsertResult:
        spec = planner.ACTIONS[action_slug]
        calls: list[CallRecord] = []
        results: dict[CacheKey, LookupResult] = {}
        try:
            # An activity update that links a person sends the activity's whole participant list
            # (it replaces the list), so the activity is read first; see bodies.activity_participants.
            reads_target = spec.entity == "activity" and any(r.role == "person" for r in requests)
            for req in requests:
                if mode == SEND and req.role == "target" and spec.id_key is not None and not reads_target:
                    continue  # Activity/Lead/Note: the write itself tells whether the id exists
                results[req.key] = await self._lookup(req, calls)
            if mode == DRY_RUN:
                await self._name_targets(requests, results, calls)
            p = self._plan(action_slug, payload, results)
            if mode == DRY_RUN or p.outcome == "fail":
                return self._finish(p, calls, mode)
            return await self._send(action_slug, payload, p, results, calls, ctx, retried=False)
        except _Abort as exc:
            return UpsertResult(
                action_slug,
                "fail",
                None,
                None,
                f"Failed: {exc.message}",
                calls,
                mode=mode,
                entity=spec.entity,
                retriable=exc.retriable,
            )

    def _finish(self, p: Plan, calls: list[CallRecord], mode: str) -> UpsertResult:
        if mode == DRY_RUN:
            calls.extend(CallRecord.planned(c) for c in p.writes)
        link = self.link_for(p.entity, p.record_id, p.associations) if p.outcome == "update" else None
        return UpsertResult(
            p.action,
            p.outcome,
            p.record_id,
            p.record_name,
            p.describe(mode),
            calls,
            link,
            p.warnings,
            mode,
            p.entity,
        )

    async def _send(
        self,
        action_slug: str,
        payload: Mapping[str, Any],
        p: Plan,
        results: dict[CacheKey, LookupResult],
        calls: list[CallRecord],
        ctx: _Run,
        *,
        retried: bool,
    ) -> UpsertResult:
        write = p.writes[0]
        claim: Claim | None = None
        key = self._ledger_key(p) if write.method == "POST" else None
        if key is not None:
            assert p.target is not None
            known = await self._claim(key, p.target, calls, ctx)
            if isinstance(known, LookupResult):
                # The app created this record already (the search does not show it yet): update it.
                results[p.target.key] = known
                again = self._plan(action_slug, payload, results)
                if again.outcome == "fail":
                    return self._finish(again, calls, SEND)
                return await self._send(action_slug, payload, again, results, calls, ctx, retried=retried)
            claim = known
        try:
            if write.method == "POST":
                data = await self._create(write, p, calls, ctx, claim)
            else:
                data = await self._update(write, calls, ctx)
        except NotFoundError as exc:
            if (
                retried
                or p.target is None
                or p.target.match_field == "id"
                and p.entity in ("activity", "lead", "note")
            ):
                return self._failed(p, calls, self._not_found_text(p, exc))
            # The cached / found id is gone (deleted or merged): look again and redo the upsert.
            if p.record_id is not None:
                await self._ledger_gone(p.entity, p.record_id, "not found in Pipedrive (404 on update)")
            self.cache.forget_id(p.entity, p.record_id if p.record_id is not None else "")
            results[p.target.key] = await self._lookup(p.target, calls, fresh=True)
            again = self._plan(action_slug, payload, results)
            if again.outcome == "fail":
                return self._finish(again, calls, SEND)
            return await self._send(action_slug, payload, again, results, calls, ctx, retried=True)
        except ValidationError as exc:
            stale = [
                r
                for r in p.lookups
                if r.role != "target" and r.key in results and results[r.key].source in ("cache", "ledger")
            ]
            if retried or not stale:
                return self._failed(p, calls, exc.user_message)
            # A linked record remembered from earlier may have been deleted: check them again.
            changed = False
            for req in stale:
                self.cache.forget(req.entity, req.match_field, req.value)
                fresh = await self._recheck_association(req, results[req.key], calls)
                changed |= fresh.record_id != results[req.key].record_id
                results[req.key] = fresh
            if not changed:
                return self._failed(p, calls, exc.user_message)
            again = self._plan(action_slug, payload, results)
            if again.outcome == "fail":
                return self._finish(again, calls, SEND)
            return await self._send(action_slug, payload, again, results, calls, ctx, retried=True)
        except PipedriveError as exc:
            return self._failed(p, calls, exc.user_message)

        record_id = p.record_id
        name = p.record_name
        if isinstance(data, Mapping):
            record_id = data.get("id", record_id)
            name = planner._record_name(data) or name
        if (
            p.target is not None
            and p.entity not in ("activity", "lead", "note")
            and record_id is not None
            and not p.deletes
        ):
            self.cache.remember(
                p.entity,
                p.target.match_field,
                p.target.value,
                record_id,
                name,
                source="created" if write.method == "POST" else "lookup",
            )
        if p.deletes and record_id is not None:
            self.cache.forget_id(p.entity, record_id)
            await self._ledger_gone(p.entity, record_id, "deleted (Status is Deleted)")
        if write.method == "POST" and claim is None and record_id is not None:
            await self._ledger_record(p.entity, record_id, name, ctx)
        outcome = "create" if write.method == "POST" else "update"
        verb = {"create": "Created", "update": "Updated"}[outcome]
        if p.deletes:
            verb = "Deleted"
        subject = f"{p.entity} #{record_id}" + (f" '{name}'" if name else "")
        if write.method != "POST" and p.previous_name and name and p.previous_name != name:
            subject += f" (was '{p.previous_name}')"
        message = f"{verb} {subject}"
        if isinstance(data, Mapping) and data.get("_confirmed_by"):
            message += f" ({data['_confirmed_by']})"
        link = None if p.deletes else self.link_for(p.entity, record_id, p.associations)
        return UpsertResult(
            p.action, outcome, record_id, name, message, calls, link, p.warnings, SEND, p.entity
        )

    def _failed(self, p: Plan, calls: list[CallRecord], reason: str) -> UpsertResult:
        return UpsertResult(
            p.action,
            "fail",
            p.record_id,
            p.record_name,
            f"Failed: {reason}",
            calls,
            None,
            p.warnings,
            SEND,
            p.entity,
        )

    @staticmethod
    def _not_found_text(p: Plan, exc: PipedriveError) -> str:
        if p.entity in ("activity", "lead", "note"):
            label = {"activity": "Activity ID", "lead": "Lead ID", "note": "Note ID"}[p.entity]
            return (
                f"There is no {p.entity} with ID {p.record_id} in Pipedrive (it may have been deleted). "
                f"Leave {label} empty to create a new {p.entity}."
            )
        return exc.user_message

    async def _name_targets(
        self, requests: list[LookupRequest], results: dict[CacheKey, LookupResult], calls: list[CallRecord]
    ) -> None:
        """Dry run: a field search answers only ids, so fetch the record to say which one it is."""
        for req in requests:
            res = results.get(req.key)
            if req.role != "target" or res is None or not res.found or res.name or req.match_field == "id":
                continue
            by_id = LookupRequest("target", req.entity, "id", str(res.record_id), "ID")
            named = await self._lookup(by_id, calls, fresh=True)
            calls[-1].purpose = f"read {req.entity} #{res.record_id} to show its name"
            if named.found:
                results[req.key] = LookupResult(True, res.record_id, named.name, res.source, res.note)

    # -- lookups --------------------------------------------------------------------------------

    def _lock_for(self, req: LookupRequest) -> asyncio.Lock:
        lock = self._locks.get(req.key)
        if lock is None:
            if len(self._locks) > 10_000:
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[req.key] = asyncio.Lock()
        return lock

    async def _lookup(
        self, req: LookupRequest, calls: list[CallRecord], *, fresh: bool = False, use_ledger: bool = True
    ) -> LookupResult:
        """Cache, then Pipedrive; a search miss is then checked against the ledger (records this
        app created that the search does not show yet)."""
        call = planner.lookup_call(req)
        if call is None:
            return planner.unmatchable_result(req)
        if not fresh and req.entity in MATCH_ENTITIES:
            hit = self.cache.get(req.entity, req.match_field, req.value)
            if hit is not None:
                rec = CallRecord.planned(call)
                rec.from_cache = True
                rec.tokens = 0
                rec.purpose = (
                    f"{req.describe()} is #{hit.record_id}"
                    + (f" '{hit.name}'" if hit.name else "")
                    + " (remembered; no API call)"
                )
                calls.append(rec)
                return LookupResult(True, hit.record_id, hit.name, "cache")
        rec = CallRecord.planned(call)
        calls.append(rec)
        try:
            envelope = await self._send_call(rec, safe_to_retry=True)
        except NotFoundError:
            rec.status = 404
            return LookupResult.not_found()
        except PipedriveError as exc:
            raise _Abort(
                f"Could not look up {req.describe()}: {exc.user_message} Nothing was written, "
                "so sending this event again is safe."
            ) from exc
        result = planner.parse_lookup(req, envelope)
        if result.found and result.record_id is not None and req.entity in MATCH_ENTITIES:
            self.cache.remember(req.entity, req.match_field, req.value, result.record_id, result.name)
        elif not result.found and use_ledger:
            known = await self._ledger_created(req)
            if known is not None:
                rec.purpose += (
                    f": not found by search yet, but this app created it as #{known.record_id} "
                    "(Pipedrive's search lags behind writes)"
                )
                return known
        return result

    async def _recheck_association(
        self, req: LookupRequest, old: LookupResult, calls: list[CallRecord]
    ) -> LookupResult:
        """A linked record Pipedrive may have refused: look again. One known from the ledger is read
        by id (the search may still not show it); if it is gone, the ledger learns that."""
        if old.source != "ledger" or old.record_id is None:
            return await self._lookup(req, calls, fresh=True)
        by_id = LookupRequest(req.role, req.entity, "id", str(old.record_id), "ID")
        again = await self._lookup(by_id, calls, fresh=True, use_ledger=False)
        if again.found:
            return old
        await self._ledger_gone(req.entity, old.record_id, "not found in Pipedrive")
        return await self._lookup(req, calls, fresh=True)

    # -- writes ---------------------------------------------------------------------------------

    async def _update(self, write: PlannedCall, calls: list[CallRecord], ctx: _Run) -> Any:
        """PATCH/PUT/DELETE set values, so sending one again is harmless and is how no update is lost.

        The engine retries them itself (not the client) so that after a timeout it can first let a
        slow copy of the same request land: otherwise that late copy could overwrite a newer update.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_write(write, attempt, calls, ctx)
            except RateLimitedError as exc:
                if exc.daily or attempt >= MAX_WRITE_ATTEMPTS:
                    raise
                await self._sleep(0)  # the client's pacer holds requests for the wait asked for
            except (ServerError, TimeoutError_, NetworkError) as exc:
                if attempt >= MAX_WRITE_ATTEMPTS or (isinstance(exc, ServerError) and exc.status == 501):
                    raise
                await self._sleep(self._retry_wait(attempt, exc))

    async def _create(
        self, write: PlannedCall, p: Plan, calls: list[CallRecord], ctx: _Run, claim: Claim | None
    ) -> Any:
        """POST once; if its fate is unknown, find out (without search) before any second try.

        ``claim`` (the ledger's, when the record has a match value) is settled on every way out:
        confirmed with the new id, released when Pipedrive showed nothing was written, or left
        unconfirmed when nobody knows (also when this task is cancelled mid-create)."""
        checkable = p.target is not None and p.target.match_field != "id" and p.entity in _LEDGER_ENTITIES
        what = planner.ACTIONS[p.action].entity
        attempt = 0
        maybe_written = False
        settled = claim is None
        note = "the create's answer was lost"
        try:
            while True:
                attempt += 1
                started = self._clock()
                maybe_written = True
                try:
                    data = await self._send_write(write, attempt, calls, ctx)
                except RateLimitedError as exc:
                    # A 429 is answered before anything is written: waiting and re-sending is safe.
                    # The client's pacer already holds every request for the wait Pipedrive asked for.
                    maybe_written = False
                    if exc.daily or attempt >= MAX_CREATE_ATTEMPTS + 1:
                        raise
                    await self._sleep(0)
                    continue
                except (ServerError, TimeoutError_, NetworkError) as exc:
                    if _never_sent(exc):
                        maybe_written = False
                        if attempt >= MAX_CREATE_ATTEMPTS:
                            raise
                        await self._sleep(self._backoff(attempt - 1))
                        continue
                    note = f"the create's answer was lost (Pipedrive {_short(exc)})"
                    if not checkable:
                        raise _Abort(
                            f"Not confirmed — check Pipedrive: Pipedrive did not confirm whether the {what} was "
                            f"created ({exc.user_message}) It was not sent again, to avoid a duplicate: check "
                            "Pipedrive before sending this event again."
                        ) from exc
                    assert p.target is not None
                    verdict, found = await self._confirm_lost_create(p.target, calls, exc, since=started)
                    if verdict == "found" and found is not None:
                        data = {
                            "id": found.record_id,
                            "name": found.name,
                            "_confirmed_by": f"Pipedrive {_short(exc)}, but the {what} is there: "
                            "it was created once",
                        }
                    elif verdict == "absent":
                        # Pipedrive showed the create did not happen: sending it again makes no duplicate.
                        maybe_written = False
                        if attempt >= MAX_CREATE_ATTEMPTS:
                            raise _Abort(
                                f"{exc.user_message} The {what} was not created (checked in Pipedrive "
                                f"{attempt} times); sending this event again later is safe.",
                                retriable=True,
                            ) from exc
                        continue
                    else:
                        raise _Abort(self._unconfirmed_text(p, exc), retriable=True) from exc
                except PipedriveError:
                    maybe_written = False  # Pipedrive refused the create: nothing was written
                    raise
                if claim is not None:
                    record_id = data.get("id") if isinstance(data, Mapping) else None
                    name = planner._record_name(data) if isinstance(data, Mapping) else None
                    if record_id is not None:
                        await self._ledger_quietly(self._ledger().confirm, claim, record_id, name)
                    settled = True
                return data
        finally:
            if not settled and claim is not None:
                self._settle_now(claim, maybe_written, note)

    def _unconfirmed_text(self, p: Plan, exc: PipedriveError) -> str:
        assert p.target is not None
        return (
            f"Not confirmed — check Pipedrive: the create of {p.subject()} got no clear answer "
            f"({exc.user_message.rstrip('.')}), and Pipedrive did not show the {p.entity} within "
            f"{self.confirm_window:g} s afterwards, so whether it was created is unknown. It was not sent "
            f"again, to avoid a duplicate: look for {p.target.describe()} in Pipedrive. The next event "
            f"for this {p.entity} checks again before creating anything."
        )

    async def _confirm_lost_create(
        self, target: LookupRequest, calls: list[CallRecord], exc: PipedriveError, *, since: float
    ) -> tuple[str, LookupResult | None]:
        """Did a create whose answer was lost happen? Reads at 1/16, 1/8, 1/4, 1/2 and the whole of
        ``confirm_window``: ``("found", record)``, ``("absent", None)`` (the last read reached back
        past the create and the record is not there) or ``("unknown", None)``."""
        w = self.confirm_window
        waits = [w / 16, w / 16, w / 8, w / 4, w / 2] if w > 0 else [0.0]
        if isinstance(exc, TimeoutError_):
            # A request that timed out may still be running on Pipedrive's side: let it land first.
            waits[0] = max(waits[0], min(self.recheck_delay, w) if w > 0 else 0.0)
        verdict = "unknown"
        for wait in waits:
            await self._sleep(wait)
            verdict, found = await self._find_recent(target, calls, since=since)
            if verdict == "found":
                return verdict, found
            if verdict == "unknown":
                # The newest records could not tell: the search can still say "found".
                res = await self._lookup(target, calls, fresh=True, use_ledger=False)
                calls[-1].purpose += " (did the create happen?)"
                if res.found:
                    return "found", res
        return verdict, None

    async def _find_recent(
        self,
        req: LookupRequest,
        calls: list[CallRecord],
        *,
        since: float | None,
        question: str = "did the create happen?",
    ) -> tuple[str, LookupResult | None]:
        """Look for ``req``'s match value among the entity's newest records (a list read, which
        Pipedrive's search lag does not affect). ``since``: when the create in question was sent
        (this computer's clock); pages stop at a record last changed well before it."""
        path = planner.ENTITY_PATHS[req.entity]
        query: dict[str, Any] = {"sort_by": "id", "sort_direction": "desc", "limit": CONFIRM_PAGE_SIZE}
        bound = since - CLOCK_SKEW_S if since is not None else None
        last_id: Any = None
        for _page in range(CONFIRM_PAGES):
            rec = CallRecord(
                "GET",
                path,
                dict(query),
                None,
                f"{question} Read the newest {req.entity} records for {req.describe()} "
                "(Pipedrive's search lags behind writes)",
                kind="lookup",
                tokens=10,
            )
            calls.append(rec)
            try:
                envelope = await self._send_call(rec, safe_to_retry=True)
            except PipedriveError:
                return "unknown", None
            data = envelope.get("data")
            if not isinstance(data, list):
                return "unknown", None
            for item in data:
                if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
                    return "unknown", None
                if last_id is not None and item["id"] >= last_id:
                    return "unknown", None  # not newest first: this read cannot tell
                last_id = item["id"]
                if item.get("is_deleted") is True:
                    continue
                if _has_match_value(item, req):
                    return "found", LookupResult(True, item["id"], planner._record_name(item))
                changed = _epoch(item.get("update_time"))
                if bound is not None and changed is not None and changed < bound:
                    # Unchanged since well before the create: it and everything older (lower ids)
                    # existed before it, and the record it made would have been listed above.
                    return "absent", None
            additional = envelope.get("additional_data")
            cursor = additional.get("next_cursor") if isinstance(additional, Mapping) else None
            if not cursor:
                return "absent", None  # the whole list was read
            query["cursor"] = cursor
        return "unknown", None

    # -- the ledger -----------------------------------------------------------------------------

    def _ledger(self) -> Ledger | UnopenedLedger:
        assert self.ledger is not None
        return self.ledger

    def _ledger_key(self, p: Plan) -> MatchKey | None:
        if (
            self.ledger is None
            or p.target is None
            or p.target.match_field == "id"
            or p.entity not in _LEDGER_ENTITIES
        ):
            return None
        return MatchKey(self.account, p.entity, p.target.match_field, p.target.value)

    async def _ledger_quietly(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """A ledger call whose failure must not fail the upsert (the write already happened)."""
        try:
            return await asyncio.to_thread(fn, *args, **kw)
        except LedgerError as exc:
            log.warning("ledger: %s", exc.user_message)
            return None

    async def _ledger_created(self, req: LookupRequest) -> LookupResult | None:
        if self.ledger is None or req.entity not in _LEDGER_ENTITIES or req.match_field == "id":
            return None
        entry = await self._ledger_quietly(
            self.ledger.find, MatchKey(self.account, req.entity, req.match_field, req.value)
        )
        if entry is None or entry.state != CREATED or entry.record_id is None:
            return None
        return LookupResult(True, _typed_id(entry.record_id), entry.name, "ledger")

    async def _ledger_gone(self, entity: str, record_id: Any, note: str) -> None:
        if self.ledger is not None:
            await self._ledger_quietly(self.ledger.mark_gone, self.account, entity, record_id, note)

    async def _ledger_record(self, entity: str, record_id: Any, name: str | None, ctx: _Run) -> None:
        """A record without a match value (activity, note, lead, match by id): only listed, for Test
        records; the receiver's live creates are listed when the user asked for it."""
        if self.ledger is not None and ctx.origin.test:
            await self._ledger_quietly(
                self.ledger.record,
                self.account,
                entity,
                record_id,
                name,
                mapping=ctx.origin.mapping,
                source=ctx.origin.source,
                test=True,
            )

    def _settle_now(self, claim: Claim, maybe_written: bool, note: str) -> None:
        """Settle a claim on the way out of a failed or cancelled create; synchronous, so it also
        runs in a task being cancelled."""
        ledger = self._ledger()
        try:
            if maybe_written:
                ledger.leave_unconfirmed(claim, note)
            else:
                ledger.release(claim)
        except LedgerError as exc:
            log.warning("ledger: %s", exc.user_message)

    async def _claim(
        self, key: MatchKey, target: LookupRequest, calls: list[CallRecord], ctx: _Run
    ) -> Claim | LookupResult:
        """Claim ``key`` before creating; or the record to update instead (see the module docstring)."""
        ledger = self._ledger()
        origin = ctx.origin
        waited, delay = 0.0, 0.25
        for _round in range(1000):
            try:
                claim = await asyncio.to_thread(
                    ledger.claim, key, mapping=origin.mapping, source=origin.source, test=origin.test
                )
            except LedgerError as exc:
                raise _Abort(exc.user_message, retriable=True) from exc
            if claim.status == "claimed":
                return claim
            if claim.status == CREATED and claim.record_id is not None:
                if calls and calls[-1].kind == "lookup":
                    calls[-1].purpose += (
                        f"; this app created it as #{claim.record_id} (Pipedrive's search "
                        "does not show it yet)"
                    )
                return LookupResult(True, _typed_id(claim.record_id), claim.name, "ledger")
            if claim.status == UNCONFIRMED:
                since = claim.created_at if claim.created_at is not None else claim.since
                verdict, found = await self._find_recent(
                    target, calls, since=since, question="did an earlier, unconfirmed create happen?"
                )
                if verdict == "found" and found is not None:
                    await self._ledger_quietly(ledger.adopt, key, found.record_id, found.name)
                    return LookupResult(True, found.record_id, found.name, "lookup")
                if verdict == "absent":
                    try:
                        claim = await asyncio.to_thread(
                            ledger.take_over,
                            claim,
                            mapping=origin.mapping,
                            source=origin.source,
                            test=origin.test,
                        )
                    except LedgerError as exc:
                        raise _Abort(exc.user_message, retriable=True) from exc
                    if claim.status == "claimed":
                        return claim
                    continue  # another run got there first: see what it is doing
                raise _Abort(
                    f"Not confirmed — check Pipedrive: an earlier create of {target.describe()} by this app "
                    f"({_when(since)}) never got a clear answer, and Pipedrive's newest {target.entity} records do "
                    f"not show whether it happened. Nothing was sent, to avoid a duplicate: look for "
                    f"{target.describe()} in Pipedrive.",
                    retriable=True,
                )
            # CREATING: another run is creating this record right now; wait for it, within limits.
            if waited >= self.claim_wait:
                raise _Abort(
                    f"Another run of this app has been creating {target.describe()} since {_when(claim.since)} "
                    f"and has not finished after {waited:g} s more; nothing was sent, to avoid a duplicate. "
                    "Send again in a minute.",
                    retriable=True,
                )
            step = min(delay, self.claim_wait - waited)
            await self._sleep(step)
            waited += step
            delay = min(delay * 2, 2.0)
        raise _Abort(f"Could not settle who creates {target.describe()}; nothing was sent.", retriable=True)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.backoff_base, rng=self._rng)

    def _retry_wait(self, attempt: int, exc: Exception) -> float:
        """The pause before re-sending a write; after a timeout at least ``recheck_delay``, so a slow
        copy of the request can land first."""
        wait = self._backoff(attempt - 1)
        if isinstance(exc, TimeoutError_):
            wait = max(wait, self.recheck_delay)
        return wait

    async def _send_write(self, write: PlannedCall, attempt: int, calls: list[CallRecord], ctx: _Run) -> Any:
        """Send one attempt of a write (recorded in ``calls``) and return the envelope's data."""
        if ctx.before_write is not None and not ctx.announced:
            ctx.announced = True
            await ctx.before_write()  # e.g. the receiver's durable "write in flight" note
        rec = CallRecord.planned(write)
        if attempt > 1:
            rec.purpose += f" (attempt {attempt})"
        calls.append(rec)
        envelope = await self._send_call(rec, safe_to_retry=False)
        return envelope.get("data")

    async def _send_call(self, rec: CallRecord, *, safe_to_retry: bool) -> dict[str, Any]:
        started = time.perf_counter()
        rec.sent = True
        try:
            # PipedriveClient.request_full: the status comes with the envelope.
            answer = await self.client.request_full(
                rec.method, rec.path, params=rec.query, json=rec.body, safe_to_retry=safe_to_retry
            )
        except PipedriveError as exc:
            rec.status = exc.status
            rec.error = exc.user_message
            raise
        finally:
            rec.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        rec.status = answer.status
        rec.response_excerpt = _excerpt(answer.envelope)
        return answer.envelope if isinstance(answer.envelope, dict) else {}


def _typed_id(raw: str) -> int | str:
    return int(raw) if raw.isdigit() else raw


def _short(exc: PipedriveError) -> str:
    """What became of a write's answer, after "Pipedrive": "answered HTTP 503", "did not answer in time"."""
    if exc.status is not None:
        return f"answered HTTP {exc.status}"
    return "did not answer in time" if isinstance(exc, TimeoutError_) else "dropped the connection"


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "a while ago"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _epoch(text: Any) -> float | None:
    """An RFC 3339 (v2) or ``YYYY-MM-DD HH:MM:SS`` UTC (v1) timestamp as seconds since the epoch."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _value_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):
        return _value_text(value.get("value"))  # monetary / address objects
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _has_match_value(item: Mapping[str, Any], req: LookupRequest) -> bool:
    """Whether a record as a v2 list returns it carries ``req``'s match value (compared the way
    the lookup compares: built-in text fields ignore case)."""
    field_key = req.match_field
    if field_key in ("email", "phone"):
        raw = item.get(f"{field_key}s") if f"{field_key}s" in item else item.get(field_key)
        values = raw if isinstance(raw, list) else [raw]
    elif field_key in ("name", "title", "address"):
        values = [item.get(field_key)]
    else:
        custom = item.get("custom_fields")
        values = [custom.get(field_key)] if isinstance(custom, Mapping) else [item.get(field_key)]
    wanted = cache_key(req.entity, field_key, req.value)[2]
    for value in values:
        text = _value_text(value)
        if text is not None and cache_key(req.entity, field_key, text)[2] == wanted:
            return True
    return False


def _never_sent(exc: PipedriveError) -> bool:
    """Failures that happen before the request reaches Pipedrive (connecting): safe to re-send."""
    cause = exc.__cause__
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _excerpt(envelope: Any) -> str:
    data = envelope.get("data") if isinstance(envelope, Mapping) else envelope
    if isinstance(data, Mapping):
        keep = {
            k: data[k]
            for k in ("id", "name", "title", "subject", "content", "is_deleted", "items")
            if k in data
        }
        data = keep or data
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _web_base(client: Any, defaults: Any) -> str | None:
    """``https://acme.pipedrive.com`` for the real service; the server's own address otherwise."""
    base = str(getattr(client, "base_url", "") or "").rstrip("/")
    domain = getattr(defaults, "domain", None) if defaults is not None else None
    host = urlsplit(base).hostname or ""
    if host.endswith(".pipedrive.com") and host != "api.pipedrive.com":
        return f"https://{host}"
    if host == "api.pipedrive.com" or (not base and domain):
        return f"https://{domain}.pipedrive.com" if domain else None
    return base or None
