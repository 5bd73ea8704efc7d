"""The sandbox web application: one middleware does what Pipedrive's edge does, then the handlers.

Per request, in order: record it (without credentials) → injected faults (they act like the
gateway, so they come before auth) → auth (``x-api-token``; any non-empty token but ``bad-token``)
→ burst window and daily token budget → handler. Every API answer carries the rate-limit headers;
every error is a Pipedrive-style JSON body. ``/__sandbox/...`` is the control plane (faults,
recorded requests, reset) and ``/``, ``/person/{id}``... are read-only web pages (so record links
work); neither needs a token, nor is recorded or faulted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from pipedrive_gui.sandbox.errors import ERROR_INFO, SandboxHTTPError, api_error, unauthorized
from pipedrive_gui.sandbox.faults import FaultRule, FaultSettings, FaultSpecError, parse_fault_spec
from pipedrive_gui.sandbox.handlers import BODY_KEY, FAULTS_KEY, STATE_KEY, add_routes
from pipedrive_gui.sandbox.ratelimit import RateLimiter, token_cost
from pipedrive_gui.sandbox.sdk_models import sdk_models
from pipedrive_gui.sandbox.state import SECRET_HEADERS, SECRET_PARAMS, RecordedRequest, SandboxState
from pipedrive_gui.sandbox.store import new_store
from pipedrive_gui.sandbox.web_pages import WEB_ROUTE_PREFIX, add_web_routes

log = logging.getLogger("pipedrive_gui.sandbox")

SEED_KEY: web.AppKey[Any] = web.AppKey("sandbox_seed", object)
CLOCK_KEY: web.AppKey[Any] = web.AppKey("sandbox_clock", object)
BAD_TOKEN = "bad-token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ABUSE_PAGE = """<!DOCTYPE html>
<html><head><title>Attention Required! | Cloudflare</title></head>
<body><h1>Sorry, you have been blocked</h1>
<p>You are unable to access pipedrive.com (offline sandbox: simulated abuse block).</p></body></html>
"""


class DroppedConnection(Exception):
    """Raised after the sandbox closed the client's connection on purpose."""


def _version(path: str) -> int:
    return 2 if path.startswith("/api/v2/") else 1


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        body, status=status, headers=headers, dumps=lambda o: json.dumps(o, ensure_ascii=False)
    )


def _record(request: web.Request, raw: bytes) -> tuple[RecordedRequest, Any, bool]:
    body: Any = None
    bad_json = False
    if raw:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            bad_json = True
            body = raw.decode("utf-8", "replace")
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS}
    query = {k: ("<redacted>" if k in SECRET_PARAMS else v) for k, v in request.query.items()}
    rec = RecordedRequest(
        method=request.method,
        path=request.path,
        query=query,
        json=body,
        headers=headers,
        had_token=bool(request.headers.get("x-api-token")),
    )
    return rec, body, bad_json


def _seconds_to_midnight(now: datetime) -> int:
    now = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - now).total_seconds()))


def _retry_after(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def _apply_faults(
    request: web.Request, faults: FaultSettings, rec: RecordedRequest
) -> web.Response | None:
    for rule in faults.pick(request.method, request.path):
        rec.fault = rule.kind
        if rule.kind == "slow":
            await asyncio.sleep(rule.delay_ms / 1000)
            continue
        if rule.kind == "drop" and rule.after:
            rec.fault = "drop_after"  # handled once the request has been carried out
            continue
        if rule.kind == "server_error" and rule.after:
            rec.fault = f"server_error_after:{rule.status}"  # likewise: the write lands, then a 5xx
            continue
        if rule.kind == "drop":
            # Abort the TCP connection before any byte of an answer; the client sees a dropped
            # connection. The Response returned afterwards is never written.
            if request.transport is not None:
                request.transport.abort()
            raise DroppedConnection()
        if rule.kind == "rate_limit":
            headers = {
                "x-ratelimit-limit": str(faults.burst_limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "2",
            }
            if rule.retry_after is not None:
                headers["Retry-After"] = _retry_after(rule.retry_after)
            if rule.daily:
                headers["x-daily-ratelimit-token-limit"] = str(faults.daily_budget)
                headers["x-daily-ratelimit-token-remaining"] = "0"
            # The 429 body shape is unconfirmed (docs/pipedrive-api.md#unconfirmed, item 4); v1's generic error shape is used.
            return _json_response(
                429,
                {"success": False, "error": "Too many requests", "errorCode": 429, "error_info": ERROR_INFO},
                headers,
            )
        if rule.kind == "server_error":
            return _server_error(rule.status)
        if rule.kind == "abuse_block":
            return web.Response(status=403, text=ABUSE_PAGE, content_type="text/html")
        if rule.kind == "error":
            return _json_response(
                rule.status,
                _ERROR_BODIES.get(rule.status)
                or {"success": False, "error": f"Simulated error {rule.status}", "error_info": ERROR_INFO},
            )
    return None


#: Bodies of the ``error`` fault, in the shapes Pipedrive answers with (docs/pipedrive-api.md#errors).
_ERROR_BODIES: dict[int, dict[str, Any]] = {
    400: {
        "success": False,
        "error": "Validation failed: simulated by the sandbox",
        "code": "ERR_SCHEMA_VALIDATION_FAILED",
    },
    401: {"success": False, "error": "unauthorized access", "errorCode": 401, "error_info": ERROR_INFO},
    402: {
        "success": False,
        "error": "Company account is not open (the trial ended or payment is missing)",
        "error_info": ERROR_INFO,
    },
    403: {"success": False, "error": "You do not have permission to do this", "error_info": ERROR_INFO},
    404: {"success": False, "error": "Not found", "code": "ERR_NOT_FOUND"},
}


def _server_error(status: int) -> web.Response:
    message = {503: "Service Unavailable", 502: "Bad Gateway", 504: "Gateway Timeout"}.get(
        status, "Internal Server Error"
    )
    return _json_response(status, {"success": False, "error": message, "code": "ERR_UNKNOWN"})


def _authorised(request: web.Request) -> bool:
    # Header only: the query-string api_token is not accepted, so a client that would put the
    # token into URLs fails loudly here (docs/pipedrive-api.md#hosts-and-the-token: the header only).
    token = request.headers.get("x-api-token", "").strip()
    return bool(token) and token != BAD_TOKEN


async def _dispatch(request: web.Request, handler: Handler, body: Any, bad_json: bool) -> web.StreamResponse:
    version = _version(request.path)
    if request.method in ("POST", "PATCH", "PUT"):
        if bad_json:
            raise api_error(version, 400, "Request body is not valid JSON", "ERR_BAD_REQUEST")
        ctype = request.content_type
        if body is not None and ctype != "application/json":
            # v2 takes JSON only (docs/pipedrive-api.md#hosts-and-the-token); the sandbox asks the same of v1 writes.
            raise api_error(
                version,
                400,
                f"Send the body as JSON (Content-Type: application/json), not {ctype}",
                "ERR_BAD_REQUEST",
            )
    request[BODY_KEY] = body
    try:
        return await handler(request)
    except web.HTTPNotFound:
        hint = ""
        if (
            version == 1
            and request.path.split("/")[3:4]
            and request.path.split("/")[3]
            in (
                "persons",
                "organizations",
                "deals",
                "activities",
                "itemSearch",
                "products",
                "pipelines",
                "stages",
            )
        ):
            hint = " (this v1 endpoint is deprecated and out of support; use /api/v2)"
        raise api_error(
            version, 404, f"Unknown method {request.method} {request.path}{hint}", "ERR_NOT_FOUND"
        ) from None
    except web.HTTPMethodNotAllowed:
        raise api_error(
            version, 405, f"Method {request.method} not allowed on {request.path}", "ERR_METHOD_NOT_ALLOWED"
        ) from None


@web.middleware
async def pipedrive_edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    route_name = request.match_info.route.name or ""
    if request.path.startswith("/__sandbox/") or route_name.startswith(WEB_ROUTE_PREFIX):
        return await handler(request)
    state = request.app[STATE_KEY]
    faults = request.app[FAULTS_KEY]
    rec, body, bad_json = _record(request, await request.read())
    state.requests.append(rec)
    try:
        faulted = await _apply_faults(request, faults, rec)
    except DroppedConnection:
        log.info("%s %s -> dropped connection (fault)", request.method, request.path)
        return web.Response(status=204)
    if faulted is not None:
        rec.status = faulted.status
        log.info("%s %s -> %s (fault %s)", request.method, request.path, faulted.status, rec.fault)
        return faulted
    extra_headers: dict[str, str] = {}
    try:
        if not _authorised(request):
            raise unauthorized()
        burst_headers, over = state.limiter.observe(
            request.path, faults.burst_limit, faults.search_burst_limit
        )
        extra_headers.update(burst_headers)
        if over and faults.enforce_burst:
            # Burst 429: the rate-limit headers, and Retry-After = the rest of the window.
            extra_headers["Retry-After"] = burst_headers["x-ratelimit-reset"]
            raise SandboxHTTPError(
                429,
                {"success": False, "error": "Too many requests", "errorCode": 429, "error_info": ERROR_INFO},
            )
        daily_headers, exhausted = state.limiter.spend(
            token_cost(request.method, request.path), faults.daily_budget
        )
        extra_headers.update(daily_headers)
        if exhausted:
            extra_headers["x-daily-ratelimit-token-remaining"] = "0"
            # The budget resets at midnight server time (zone unpublished; the sandbox uses UTC).
            extra_headers["Retry-After"] = str(_seconds_to_midnight(state.store.now()))
            raise SandboxHTTPError(
                429,
                {
                    "success": False,
                    "error": "Daily API token budget used up",
                    "errorCode": 429,
                    "error_info": ERROR_INFO,
                },
            )
        response = await _dispatch(request, handler, body, bad_json)
    except SandboxHTTPError as exc:
        response = _json_response(exc.status, exc.body, exc.headers)
    except Exception:  # a sandbox bug: answer like Pipedrive's 500 and keep serving
        log.exception("sandbox handler failed for %s %s", request.method, request.path)
        response = _json_response(
            500, {"success": False, "error": "Internal Server Error", "code": "ERR_UNKNOWN"}
        )
    for key, value in extra_headers.items():
        response.headers[key] = value
    rec.status = response.status
    if rec.fault == "drop_after":
        # The request took effect; its answer never reaches the client.
        log.info(
            "%s %s -> %s, then dropped connection (fault)", request.method, request.path, response.status
        )
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)
    if rec.fault is not None and rec.fault.startswith("server_error_after:"):
        status = int(rec.fault.rpartition(":")[2])
        log.info("%s %s -> %s, answered as %s (fault)", request.method, request.path, response.status, status)
        rec.fault, rec.status = "server_error_after", status
        return _server_error(status)
    log.info("%s %s -> %s", request.method, request.path, response.status)
    return response


# -- control plane ----------------------------------------------------------------------------------

#: How ``/__sandbox/health`` names this server, so the CLI can tell the sandbox from other servers.
SERVICE_NAME = "pipedrive-gui sandbox"


async def _health(request: web.Request) -> web.Response:
    # Which SDK's request models the sandbox checks bodies against (resources/sandbox/pipedrive-sdk-models.json).
    return _json_response(200, {"ok": True, "service": SERVICE_NAME, "request_models": sdk_models().version})


async def _get_faults(request: web.Request) -> web.Response:
    return _json_response(200, request.app[FAULTS_KEY].to_json())


async def _post_faults(request: web.Request) -> web.Response:
    faults = request.app[FAULTS_KEY]
    try:
        faults.update_from_json(await request.json())
    except (FaultSpecError, ValueError) as exc:
        return _json_response(400, {"success": False, "error": str(exc)})
    return _json_response(200, faults.to_json())


async def _delete_faults(request: web.Request) -> web.Response:
    request.app[FAULTS_KEY].clear()
    return _json_response(200, request.app[FAULTS_KEY].to_json())


async def _get_requests(request: web.Request) -> web.Response:
    reqs = request.app[STATE_KEY].requests
    return _json_response(
        200,
        [
            {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "json": r.json,
                "headers": r.headers,
                "status": r.status,
                "fault": r.fault,
            }
            for r in reqs
        ],
    )


async def _delete_requests(request: web.Request) -> web.Response:
    request.app[STATE_KEY].clear_requests()
    return _json_response(200, [])


def reset_app(app: web.Application) -> None:
    """Back to a fresh copy of the seed: records, request log and token budget (faults stay)."""
    state = app[STATE_KEY]
    state.store = new_store(app[SEED_KEY], app[CLOCK_KEY])
    state.clear_requests()
    state.limiter = RateLimiter()


async def _reset(request: web.Request) -> web.Response:
    reset_app(request.app)
    return _json_response(200, {"ok": True})


def _faults_from(faults: FaultSettings | Iterable[FaultRule | str] | None) -> FaultSettings:
    if isinstance(faults, FaultSettings):
        return faults
    settings = FaultSettings()
    for item in faults or ():
        settings.rules.append(parse_fault_spec(item) if isinstance(item, str) else item)
    return settings


def create_app(
    seed: bool | dict[str, Any] = True,
    faults: FaultSettings | Iterable[FaultRule | str] | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    """A fresh sandbox: its own copy of the seed (``True`` = bundled data, ``False`` = account facts
    without records, or a seed dict), its own faults and request log."""
    app = web.Application(middlewares=[pipedrive_edge], client_max_size=4 * 1024 * 1024)
    app[SEED_KEY] = seed
    app[CLOCK_KEY] = clock
    app[STATE_KEY] = SandboxState(new_store(seed, clock))
    app[FAULTS_KEY] = _faults_from(faults)
    add_routes(app)
    add_web_routes(app)
    app.router.add_get("/__sandbox/health", _health)
    app.router.add_get("/__sandbox/faults", _get_faults)
    app.router.add_post("/__sandbox/faults", _post_faults)
    app.router.add_delete("/__sandbox/faults", _delete_faults)
    app.router.add_get("/__sandbox/requests", _get_requests)
    app.router.add_delete("/__sandbox/requests", _delete_requests)
    app.router.add_post("/__sandbox/reset", _reset)
    return app


__all__ = ["create_app", "reset_app"]
