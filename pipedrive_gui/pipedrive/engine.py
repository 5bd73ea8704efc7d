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

Writes are never retried blindly. A create (POST) that timed out or got a 5xx may have happened:
the engine looks the match value up again (bypassing the cache) and only re-sends when the record
is still absent; a create it cannot re-check is reported, not repeated. Updates (PATCH/PUT) are
idempotent, so the client retries them; a 404 on an update means the cached id went stale: the
engine forgets it, looks again and updates (or creates) the right record.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

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
from pipedrive_gui.pipedrive.lookup_cache import CacheKey, LookupCache
from pipedrive_gui.pipedrive.pacing import backoff_delay
from pipedrive_gui.pipedrive.planner import LookupRequest, LookupResult, Plan, PlannedCall

MODES = ("plan", "dry_run", "send")
#: Create attempts when a POST's fate is unknown and the re-check says it did not happen.
MAX_CREATE_ATTEMPTS = 3
#: Tries for an update (PATCH/PUT/DELETE), which is safe to repeat.
MAX_WRITE_ATTEMPTS = 5
EXCERPT_CHARS = 300
_WEB_PATHS = {"person": "person", "organization": "organization", "deal": "deal"}

Sleep = Callable[[float], Awaitable[None]]


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
        return cls(call.method, call.path, call.query, call.body, call.purpose, call.kind, call.condition,
                   tokens=call.tokens)

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
    mode: str = "plan"
    entity: str | None = None

    @property
    def api_calls(self) -> int:
        return sum(1 for c in self.calls if c.sent)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls if c.sent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "mode": self.mode, "entity": self.entity, "outcome": self.outcome,
            "record_id": self.record_id, "record_name": self.record_name, "message": self.message,
            "link": self.link, "warnings": list(self.warnings), "api_calls": self.api_calls,
            "tokens": self.tokens, "calls": [c.to_dict() for c in self.calls],
        }


class _Abort(Exception):
    """Stop this upsert with a user-facing reason (a lookup failed, a write is uncertain...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpsertEngine:
    """``UpsertEngine(client, catalog, defaults)``; one per connection, shared across events."""

    def __init__(self, client: Any, catalog: Any = None, defaults: Any = None, *,
                 cache: LookupCache | None = None, web_base: str | None = None,
                 default_currency: str | None = None, recheck_delay: float = 2.0,
                 backoff_base: float = 0.5,
                 sleep: Sleep = asyncio.sleep, rng: Callable[[], float] = random.random) -> None:
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
        self._sleep = sleep
        self._rng = rng
        self._locks: dict[CacheKey, asyncio.Lock] = {}

    # -- public ---------------------------------------------------------------------------------

    async def run(self, action_slug: str, payload: Mapping[str, Any], mode: str = "plan") -> UpsertResult:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        try:
            spec = planner.ACTIONS[action_slug]
        except KeyError:
            return UpsertResult(action_slug, "fail", None, None,
                                f"'{action_slug}' is not one of the Pipedrive actions "
                                f"({', '.join(planner.ACTIONS)}).", [], mode=mode)
        if mode == "plan":
            return self._plan_only(action_slug, payload)
        try:
            requests = planner.lookups_for(action_slug, payload, self.defaults, self.catalog)
        except ValueError as exc:  # EncodeError: a match value that is not text
            return UpsertResult(action_slug, "fail", None, None, f"Would fail: {exc}" if mode == "dry_run"
                                else f"Failed: {exc}", [], mode=mode, entity=spec.entity)
        target = next((r for r in requests if r.role == "target"), None)
        lock = self._lock_for(target) if target is not None and spec.match_prefix is not None else None
        if lock is None:
            return await self._run(action_slug, payload, mode, requests)
        # Two events for the same new record must not both decide "create".
        async with lock:
            return await self._run(action_slug, payload, mode, requests)

    def link_for(self, entity: str, record_id: Any, associations: Mapping[str, Any] | None = None) -> str | None:
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

    def _plan(self, action_slug: str, payload: Mapping[str, Any],
              results: Mapping[CacheKey, LookupResult]) -> Plan:
        return planner.plan(action_slug, payload, self.defaults, results, self.catalog,
                            default_currency=self.default_currency)

    # -- plan mode ------------------------------------------------------------------------------

    def _plan_only(self, action_slug: str, payload: Mapping[str, Any]) -> UpsertResult:
        p = self._plan(action_slug, payload, {})
        outcome = "fail" if p.outcome == "fail" else "planned"
        return UpsertResult(action_slug, outcome, p.record_id, p.record_name, p.describe("plan"),
                            [CallRecord.planned(c) for c in p.calls], None, p.warnings, "plan", p.entity)

    # -- dry run / send -------------------------------------------------------------------------

    async def _run(self, action_slug: str, payload: Mapping[str, Any], mode: str,
                   requests: list[LookupRequest]) -> UpsertResult:
        spec = planner.ACTIONS[action_slug]
        calls: list[CallRecord] = []
        results: dict[CacheKey, LookupResult] = {}
        try:
            # An activity update that links a person sends the activity's whole participant list
            # (it replaces the list), so the activity is read first; see bodies.activity_participants.
            reads_target = spec.entity == "activity" and any(r.role == "person" for r in requests)
            for req in requests:
                if mode == "send" and req.role == "target" and spec.id_key is not None and not reads_target:
                    continue  # Activity/Lead/Note: the write itself tells whether the id exists
                results[req.key] = await self._lookup(req, calls)
            if mode == "dry_run":
                await self._name_targets(requests, results, calls)
            p = self._plan(action_slug, payload, results)
            if mode == "dry_run" or p.outcome == "fail":
                return self._finish(p, calls, mode)
            return await self._send(action_slug, payload, p, results, calls, retried=False)
        except _Abort as exc:
            return UpsertResult(action_slug, "fail", None, None, f"Failed: {exc.message}", calls,
                                mode=mode, entity=spec.entity)

    def _finish(self, p: Plan, calls: list[CallRecord], mode: str) -> UpsertResult:
        if mode == "dry_run":
            calls.extend(CallRecord.planned(c) for c in p.writes)
        link = self.link_for(p.entity, p.record_id, p.associations) if p.outcome == "update" else None
        return UpsertResult(p.action, p.outcome, p.record_id, p.record_name, p.describe(mode), calls, link,
                            p.warnings, mode, p.entity)

    async def _send(self, action_slug: str, payload: Mapping[str, Any], p: Plan,
                    results: dict[CacheKey, LookupResult], calls: list[CallRecord], *, retried: bool,
                    ) -> UpsertResult:
        write = p.writes[0]
        try:
            if write.method == "POST":
                data = await self._create(write, p, calls)
            else:
                data = await self._update(write, calls)
        except NotFoundError as exc:
            if retried or p.target is None or p.target.match_field == "id" and p.entity in ("activity", "lead", "note"):
                return self._failed(p, calls, self._not_found_text(p, exc))
            # The cached / found id is gone (deleted or merged): look again and redo the upsert.
            self.cache.forget_id(p.entity, p.record_id if p.record_id is not None else "")
            results[p.target.key] = await self._lookup(p.target, calls, fresh=True)
            again = self._plan(action_slug, payload, results)
            if again.outcome == "fail":
                return self._finish(again, calls, "send")
            return await self._send(action_slug, payload, again, results, calls, retried=True)
        except ValidationError as exc:
            stale = [r for r in p.lookups if r.role != "target" and r.key in results
                     and results[r.key].source == "cache"]
            if retried or not stale:
                return self._failed(p, calls, exc.user_message)
            # A linked record remembered from earlier may have been deleted: check them again.
            changed = False
            for req in stale:
                self.cache.forget(req.entity, req.match_field, req.value)
                fresh = await self._lookup(req, calls, fresh=True)
                changed |= fresh.record_id != results[req.key].record_id
                results[req.key] = fresh
            if not changed:
                return self._failed(p, calls, exc.user_message)
            again = self._plan(action_slug, payload, results)
            if again.outcome == "fail":
                return self._finish(again, calls, "send")
            return await self._send(action_slug, payload, again, results, calls, retried=True)
        except PipedriveError as exc:
            return self._failed(p, calls, exc.user_message)

        record_id = p.record_id
        name = p.record_name
        if isinstance(data, Mapping):
            record_id = data.get("id", record_id)
            name = planner._record_name(data) or name
        if p.target is not None and p.entity not in ("activity", "lead", "note") and record_id is not None \
                and not p.deletes:
            self.cache.remember(p.entity, p.target.match_field, p.target.value, record_id, name,
                                source="created" if write.method == "POST" else "lookup")
        if p.deletes and record_id is not None:
            self.cache.forget_id(p.entity, record_id)
        outcome = "create" if write.method == "POST" else "update"
        verb = {"create": "Created", "update": "Updated"}[outcome]
        if p.deletes:
            verb = "Deleted"
        subject = f"{p.entity} #{record_id}" + (f" '{name}'" if name else "")
        if write.method != "POST" and p.previous_name and name and p.previous_name != name:
            subject += f" (was '{p.previous_name}')"
        link = None if p.deletes else self.link_for(p.entity, record_id, p.associations)
        return UpsertResult(p.action, outcome, record_id, name, f"{verb} {subject}", calls, link, p.warnings,
                            "send", p.entity)

    def _failed(self, p: Plan, calls: list[CallRecord], reason: str) -> UpsertResult:
        return UpsertResult(p.action, "fail", p.record_id, p.record_name, f"Failed: {reason}", calls, None,
                            p.warnings, "send", p.entity)

    @staticmethod
    def _not_found_text(p: Plan, exc: PipedriveError) -> str:
        if p.entity in ("activity", "lead", "note"):
            label = {"activity": "Activity ID", "lead": "Lead ID", "note": "Note ID"}[p.entity]
            return (f"There is no {p.entity} with ID {p.record_id} in Pipedrive (it may have been deleted). "
                    f"Leave {label} empty to create a new {p.entity}.")
        return exc.user_message

    async def _name_targets(self, requests: list[LookupRequest], results: dict[CacheKey, LookupResult],
                            calls: list[CallRecord]) -> None:
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

    async def _lookup(self, req: LookupRequest, calls: list[CallRecord], *, fresh: bool = False) -> LookupResult:
        call = planner.lookup_call(req)
        if call is None:
            return planner.unmatchable_result(req)
        if not fresh and req.entity in ("person", "organization", "deal"):
            hit = self.cache.get(req.entity, req.match_field, req.value)
            if hit is not None:
                rec = CallRecord.planned(call)
                rec.from_cache = True
                rec.tokens = 0
                rec.purpose = (f"{req.describe()} is #{hit.record_id}"
                               + (f" '{hit.name}'" if hit.name else "") + " (remembered; no API call)")
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
            raise _Abort(f"Could not look up {req.describe()}: {exc.user_message} Nothing was written, "
                         "so sending this event again is safe.") from exc
        result = planner.parse_lookup(req, envelope)
        if result.found and result.record_id is not None and req.entity in ("person", "organization", "deal"):
            self.cache.remember(req.entity, req.match_field, req.value, result.record_id, result.name)
        return result

    # -- writes ---------------------------------------------------------------------------------

    async def _update(self, write: PlannedCall, calls: list[CallRecord]) -> Any:
        """PATCH/PUT/DELETE set values, so sending one again is harmless and is how no update is lost.

        The engine retries them itself (not the client) so that after a timeout it can first let a
        slow copy of the same request land: otherwise that late copy could overwrite a newer update.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_write(write, attempt, calls)
            except RateLimitedError as exc:
                if exc.daily or attempt >= MAX_WRITE_ATTEMPTS:
                    raise
                await self._sleep(0)  # the client's pacer holds requests for the wait asked for
            except (ServerError, TimeoutError_, NetworkError) as exc:
                if attempt >= MAX_WRITE_ATTEMPTS or (isinstance(exc, ServerError) and exc.status == 501):
                    raise
                await self._sleep(self._retry_wait(attempt, exc))

    async def _create(self, write: PlannedCall, p: Plan, calls: list[CallRecord]) -> Any:
        """POST once; if its fate is unknown, re-check before any second try."""
        checkable = p.target is not None and p.target.match_field != "id" and p.entity in (
            "person", "organization", "deal")
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_write(write, attempt, calls)
            except RateLimitedError as exc:
                # A 429 is answered before anything is written: waiting and re-sending is safe.
                # The client's pacer already holds every request for the wait Pipedrive asked for.
                if exc.daily or attempt >= MAX_CREATE_ATTEMPTS + 1:
                    raise
                await self._sleep(0)
                continue
            except (ServerError, TimeoutError_, NetworkError) as exc:
                if _never_sent(exc):
                    if attempt >= MAX_CREATE_ATTEMPTS:
                        raise
                    await self._sleep(self._backoff(attempt - 1))
                    continue
                if not checkable or attempt >= MAX_CREATE_ATTEMPTS:
                    what = planner.ACTIONS[p.action].entity
                    raise _Abort(
                        f"Pipedrive did not confirm whether the {what} was created ({exc.user_message}) "
                        + ("It was not sent again, to avoid a duplicate: check Pipedrive before sending "
                           "this event again." if not checkable else
                           "Checked several times without success; check Pipedrive before sending again.")
                    ) from exc
                assert p.target is not None
                # A request that timed out may still be running on Pipedrive's side: give it time
                # to land before asking whether it did.
                await self._sleep(self._retry_wait(attempt, exc))
                # Did the create happen after all? Ask Pipedrive, not the cache.
                found = await self._lookup(p.target, calls, fresh=True)
                calls[-1].purpose += " (did the create happen?)"
                if found.found:
                    return {"id": found.record_id, "name": found.name}
                # Still absent: the create did not happen, so sending it again makes no duplicate.

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.backoff_base, rng=self._rng)

    def _retry_wait(self, attempt: int, exc: Exception) -> float:
        """The pause before re-sending a write; after a timeout at least ``recheck_delay``, so a slow
        copy of the request can land first."""
        wait = self._backoff(attempt - 1)
        if isinstance(exc, TimeoutError_):
            wait = max(wait, self.recheck_delay)
        return wait

    async def _send_write(self, write: PlannedCall, attempt: int, calls: list[CallRecord]) -> Any:
        """Send one attempt of a write (recorded in ``calls``) and return the envelope's data."""
        rec = CallRecord.planned(write)
        if attempt > 1:
            rec.purpose += f" (attempt {attempt})"
        calls.append(rec)
        envelope = await self._send_call(rec, safe_to_retry=False)
        return envelope.get("data")

    async def _send_call(self, rec: CallRecord, *, safe_to_retry: bool) -> dict[str, Any]:
        started = time.perf_counter()
        rec.sent = True
        status: int | None = None
        try:
            request_full = getattr(self.client, "request_full", None)
            if request_full is not None:  # PipedriveClient: the status comes with the envelope
                answer = await request_full(rec.method, rec.path, params=rec.query, json=rec.body,
                                            safe_to_retry=safe_to_retry)
                envelope, status = answer.envelope, answer.status
            else:  # a stand-in client that only has request()
                envelope = await self.client.request(rec.method, rec.path, params=rec.query, json=rec.body,
                                                     safe_to_retry=safe_to_retry)
                status = getattr(self.client, "last_status", None)
        except PipedriveError as exc:
            rec.status = exc.status
            rec.error = exc.user_message
            raise
        finally:
            rec.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        rec.status = status
        rec.response_excerpt = _excerpt(envelope)
        return envelope if isinstance(envelope, dict) else {}


def _never_sent(exc: PipedriveError) -> bool:
    """Failures that happen before the request reaches Pipedrive (connecting): safe to re-send."""
    cause = exc.__cause__
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _excerpt(envelope: Any) -> str:
    data = envelope.get("data") if isinstance(envelope, Mapping) else envelope
    if isinstance(data, Mapping):
        keep = {k: data[k] for k in ("id", "name", "title", "subject", "content", "is_deleted", "items")
                if k in data}
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
