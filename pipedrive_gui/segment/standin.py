"""A local stand-in of Segment's Public API: the routes this app calls, over loopback.

For tests and for trying pull/push without a Segment workspace (``SEGMENT_PUBLIC_API_URL``). Routes,
request validation, response shapes, pagination, errors and rate limiting follow Segment's generated
SDK, ``@segment/public-api-sdk-typescript`` 73.2.0 (commit 3780bc6078c0463733403e6ea86b9c7d40987b42),
and the Public API's documented conventions (https://docs.segmentapis.com: "Pagination",
"Error-Handling", "Rate-Limits"):

- Every answer is ``{"data": ...}`` or ``{"errors": [{"type", "message", "field"?, "data"?}]}``.
- Bearer token auth; 401 without a known token; 403 for a read-only token on writes.
- ``GET /destinations`` and ``GET /sources`` require ``pagination.count`` (1–1000); the subscription
  list takes it optionally (default 200). Cursors are opaque; ``pagination`` answers ``current``,
  ``next``, ``previous``, ``totalEntries``.
- Create takes ``CreateDestinationSubscriptionAlphaInput`` (required ``name``, ``actionId``,
  ``trigger``, ``enabled``; optional ``settings``, ``modelId``) and answers ``destinationSubscription``;
  update takes ``{"input": DestinationSubscriptionUpdateInput}`` and answers ``subscription``; delete
  answers ``{"status": "SUCCESS"}``.
- Subscription writes: at most 5 a minute (by the injected clock); beyond that 429 with
  ``X-RateLimit-*`` headers and ``data.msBeforeNext``, as the Rate-Limits page describes.
- A workspace without the Destination Subscriptions feature answers 403 on subscription routes.

What is not documented and therefore assumed: the exact wording of Segment's error messages, the
status of a request with an invalid trigger or unknown action id (400 here), and that a trigger
is checked as FQL on write (here with this app's own FQL parser). Unknown keys in bodies are refused,
as strictly as the SDK's models are typed. The stand-in never logs tokens or request headers.
"""

from __future__ import annotations

import base64
import copy
import email.utils
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pipedrive_gui.core.actions import ACTIONS
from pipedrive_gui.segment.client import PIPEDRIVE_METADATA_ID, SDK_VERSION, WRITE_LIMIT, WRITE_WINDOW_S

_CREATE_KEYS = {
    "name": str,
    "actionId": str,
    "trigger": str,
    "enabled": bool,
    "settings": dict,
    "modelId": str,
}
_CREATE_REQUIRED = ("name", "actionId", "trigger", "enabled")
_UPDATE_KEYS = {
    "name": str,
    "trigger": str,
    "enabled": bool,
    "settings": dict,
    "reverseETLModelId": str,
    "reverseETLSchedule": dict,
}
_DEST_UPDATE_KEYS = {"name": (str, type(None)), "enabled": bool, "settings": dict}
_ACTION_BY_ID = {a.action_id: a for a in ACTIONS.values()}


@dataclass
class Fault:
    """Answer the ``nth`` matching request (1 = the next one) with ``status`` and ``errors``
    instead of handling it; ``times`` how many in a row. ``name`` matches a subscription's name in
    a create/update body. A 429 carries ``retry_after`` (header) and/or ``ms_before_next``."""

    method: str
    path_contains: str = ""
    status: int = 500
    errors: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    nth: int = 1
    times: int = 1
    retry_after: str | None = None
    ms_before_next: int | None = None
    #: Handle the request, then answer with the fault anyway (an answer lost after the change).
    after_handling: bool = False
    seen: int = 0

    def matches(self, method: str, path: str, body: Any) -> bool:
        if method != self.method or self.path_contains not in path:
            return False
        if self.name is not None:
            inner = body.get("input", body) if isinstance(body, dict) else {}
            if not isinstance(inner, dict) or inner.get("name") != self.name:
                return False
        return True


@dataclass
class StandinState:
    workspace: dict[str, Any] = field(
        default_factory=lambda: {"id": "ws-standin", "slug": "acme", "name": "Acme (stand-in)"}
    )
    tokens: dict[str, str] = field(default_factory=dict)  # token -> "owner" | "read"
    subscriptions_feature: bool = True
    sources: list[dict[str, Any]] = field(default_factory=list)
    destinations: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # destination id -> subs
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, body)
    write_limit: int = WRITE_LIMIT
    write_window: float = WRITE_WINDOW_S
    writes: list[float] = field(default_factory=list)
    clock: Callable[[], float] = time.time
    ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- helpers for tests ---------------------------------------------------------------------

    def writes_sent(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] in ("POST", "PATCH", "DELETE")]

    def add_destination(
        self,
        name: str,
        *,
        source: str = "Website",
        enabled: bool = True,
        metadata_id: str = PIPEDRIVE_METADATA_ID,
        settings: dict[str, Any] | None = None,
        destination_id: str | None = None,
    ) -> dict[str, Any]:
        src = next((s for s in self.sources if s["name"] == source), None)
        if src is None:
            src = {
                "id": f"src-{next(self.ids)}",
                "slug": source.lower().replace(" ", "-"),
                "name": source,
                "workspaceId": self.workspace["id"],
                "enabled": True,
                "writeKeys": [],
                "labels": [],
                "metadata": {"id": "js", "slug": "javascript", "name": "Javascript"},
            }
            self.sources.append(src)
        meta_name = "Actions Pipedrive" if metadata_id == PIPEDRIVE_METADATA_ID else "Other destination"
        dest = {
            "id": destination_id or f"dest-{next(self.ids)}",
            "name": name,
            "enabled": enabled,
            "sourceId": src["id"],
            "settings": dict(settings or {}),
            "metadata": {"id": metadata_id, "name": meta_name, "slug": meta_name.lower().replace(" ", "-")},
        }
        self.destinations.append(dest)
        self.subscriptions[dest["id"]] = []
        return dest

    def add_subscription(
        self,
        destination_id: str,
        name: str,
        action_slug: str,
        trigger: str,
        settings: dict[str, Any],
        enabled: bool = True,
    ) -> dict[str, Any]:
        sub = {
            "id": f"sub-{next(self.ids)}",
            "name": name,
            "actionId": ACTIONS[action_slug].action_id,
            "actionSlug": action_slug,
            "destinationId": destination_id,
            "enabled": enabled,
            "settings": copy.deepcopy(settings),
            "trigger": trigger,
        }
        self.subscriptions[destination_id].append(sub)
        return sub


def _errors(
    status: int,
    message: str,
    *,
    type_: str = "input-validation",
    fld: str | None = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    err: dict[str, Any] = {"type": type_, "message": message}
    if fld:
        err["field"] = fld
    if data is not None:
        err["data"] = data
    return web.json_response({"errors": [err]}, status=status, headers=headers)


def _ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"data": data}, status=status, headers=headers)


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _page(
    request: web.Request, items: list[dict[str, Any]], *, required: bool
) -> tuple[list[Any], dict[str, Any]] | web.Response:
    raw_count = request.query.get("pagination.count")
    if raw_count is None:
        if required:
            return _errors(400, '"pagination.count" is required', fld="pagination.count")
        raw_count = "200"
    try:
        count = int(raw_count)
    except ValueError:
        return _errors(400, '"pagination.count" must be a number', fld="pagination.count")
    if not 1 <= count <= 1000:
        return _errors(400, '"pagination.count" must be between 1 and 1000', fld="pagination.count")
    offset = 0
    cursor = request.query.get("pagination.cursor")
    if cursor:
        try:
            offset = int(base64.b64decode(cursor, validate=True).decode())
        except (ValueError, UnicodeDecodeError):
            return _errors(400, '"pagination.cursor" is not a valid cursor', fld="pagination.cursor")
    chunk = items[offset : offset + count]
    pagination: dict[str, Any] = {
        "current": _cursor(offset),
        "totalEntries": len(items),
        "previous": _cursor(max(0, offset - count)) if offset else None,
    }
    if offset + count < len(items):
        pagination["next"] = _cursor(offset + count)
    return chunk, pagination


def _check_keys(
    body: Any, allowed: dict[str, Any], required: tuple[str, ...], where: str
) -> web.Response | None:
    if not isinstance(body, dict):
        return _errors(400, f"{where} must be an object")
    for key in required:
        if key not in body:
            return _errors(400, f'"{key}" is required', fld=key)
    for key, value in body.items():
        if key not in allowed:
            return _errors(400, f'"{key}" is not allowed', fld=key)
        if not isinstance(value, allowed[key]) or (allowed[key] is str and isinstance(value, bool)):
            return _errors(400, f'"{key}" has the wrong type', fld=key)
        if allowed[key] is bool and not isinstance(value, bool):
            return _errors(400, f'"{key}" must be a boolean', fld=key)
    return None


def _check_trigger(trigger: str) -> web.Response | None:
    from pipedrive_gui.core.triggers import FqlError, parse_fql

    if not trigger.strip():
        return _errors(400, "Invalid FQL: the trigger is empty", fld="trigger")
    try:
        parse_fql(trigger)
    except FqlError as exc:
        return _errors(400, f"Invalid FQL: {exc}", fld="trigger")
    return None


def _check_settings(action_id: str, settings: dict[str, Any]) -> web.Response | None:
    action = _ACTION_BY_ID[action_id]
    keys = {f.key for f in action.fields} | {"dynamicAuthSettings"}
    for key in settings:
        if key not in keys:
            return _errors(
                400, f'settings: "{key}" is not a field of the action "{action.slug}"', fld="settings"
            )
    return None


STATE_KEY: web.AppKey[StandinState] = web.AppKey("segment_standin_state", StandinState)


async def _body(request: web.Request) -> Any:
    """The JSON body (the edge already checked it parses; aiohttp keeps the bytes read)."""
    raw = await request.read()
    return json.loads(raw) if raw else None


def create_app(state: StandinState | None = None) -> web.Application:
    """The stand-in as an aiohttp app; ``app[STATE_KEY]`` is its :class:`StandinState`."""
    st = state or StandinState()
    app = web.Application(client_max_size=1024 * 1024)
    app[STATE_KEY] = st

    def role(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return st.tokens.get(header[len("Bearer ") :].strip())

    def rate_headers() -> dict[str, str]:
        now = st.clock()
        recent = [t for t in st.writes if t > now - st.write_window]
        reset = (min(recent) + st.write_window) if recent else now
        return {
            "X-RateLimit-Consumed": str(len(recent)),
            "X-RateLimit-Remaining": str(max(0, st.write_limit - len(recent))),
            "X-RateLimit-Reset": email.utils.formatdate(reset, usegmt=True),
        }

    @web.middleware
    async def edge(request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.method in ("POST", "PATCH", "PUT"):
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return _errors(400, "The request body is not valid JSON")
        st.requests.append((request.method, request.path, body))
        who = role(request)
        if who is None:
            return _errors(401, "Unauthorized: missing or invalid token", type_="unauthorized")
        for fault in st.faults:
            if fault.times > 0 and fault.matches(request.method, request.path, body):
                fault.seen += 1
                if fault.seen < fault.nth:
                    continue
                fault.times -= 1
                headers: dict[str, str] = {}
                errors = fault.errors or [
                    {
                        "type": "RequestError",
                        "message": "Too many requests" if fault.status == 429 else "Internal error",
                    }
                ]
                if fault.status == 429:
                    if fault.retry_after is not None:
                        headers["Retry-After"] = fault.retry_after
                    if fault.ms_before_next is not None:
                        errors = [
                            dict(
                                errors[0],
                                data={
                                    "remainingPoints": 0,
                                    "msBeforeNext": fault.ms_before_next,
                                    "consumedPoints": st.write_limit,
                                },
                            )
                        ]
                if fault.after_handling:
                    await handler(request)
                return web.json_response({"errors": errors}, status=fault.status, headers=headers)
        writing = request.method in ("POST", "PATCH", "DELETE")
        if writing and who != "owner":
            return _errors(
                403, "Forbidden: this token does not have write access to the workspace", type_="forbidden"
            )
        if "/subscriptions" in request.path and not st.subscriptions_feature:
            return _errors(
                403,
                "The Destination Subscriptions feature is not enabled for this workspace",
                type_="forbidden",
            )
        if writing and "/subscriptions" in request.path:
            now = st.clock()
            st.writes = [t for t in st.writes if t > now - st.write_window]
            if len(st.writes) >= st.write_limit:
                wait_ms = int((st.writes[0] + st.write_window - now) * 1000) + 1
                return _errors(
                    429,
                    "Too many requests",
                    type_="RequestError",
                    data={"remainingPoints": 0, "msBeforeNext": wait_ms, "consumedPoints": len(st.writes)},
                    headers=rate_headers(),
                )
            st.writes.append(now)
        response: web.StreamResponse = await handler(request)
        if writing and "/subscriptions" in request.path:
            response.headers.update(rate_headers())
        return response

    app.middlewares.append(edge)

    def destination(request: web.Request) -> dict[str, Any] | None:
        return next((d for d in st.destinations if d["id"] == request.match_info["destination_id"]), None)

    def not_found(what: str) -> web.Response:
        return _errors(404, f"{what} not found", type_="not-found")

    async def get_workspace(request: web.Request) -> web.Response:
        return _ok({"workspace": st.workspace})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"service": "pipedrive-gui segment stand-in", "sdk": SDK_VERSION})

    async def list_sources(request: web.Request) -> web.Response:
        page = _page(request, st.sources, required=True)
        if isinstance(page, web.Response):
            return page
        return _ok({"sources": page[0], "pagination": page[1]})

    async def list_destinations(request: web.Request) -> web.Response:
        page = _page(request, st.destinations, required=True)
        if isinstance(page, web.Response):
            return page
        return _ok({"destinations": page[0], "pagination": page[1]})

    async def get_destination(request: web.Request) -> web.Response:
        dest = destination(request)
        return not_found("Destination") if dest is None else _ok({"destination": dest})

    async def update_destination(request: web.Request) -> web.Response:
        dest = destination(request)
        if dest is None:
            return not_found("Destination")
        body = await _body(request)
        bad = _check_keys(body, {k: v for k, v in _DEST_UPDATE_KEYS.items()}, (), "The request body")
        if bad is not None:
            return bad
        if "name" in body:
            dest["name"] = body["name"]
        if "enabled" in body:
            dest["enabled"] = body["enabled"]
        if "settings" in body:
            dest["settings"] = {**dest["settings"], **body["settings"]}  # writable settings are updated
        return _ok({"destination": dest})

    async def list_subscriptions(request: web.Request) -> web.Response:
        dest = destination(request)
        if dest is None:
            return not_found("Destination")
        page = _page(request, st.subscriptions[dest["id"]], required=False)
        if isinstance(page, web.Response):
            return page
        return _ok({"subscriptions": page[0], "pagination": page[1]})

    def subscription(request: web.Request) -> dict[str, Any] | None:
        subs = st.subscriptions.get(request.match_info["destination_id"], [])
        return next((s for s in subs if s["id"] == request.match_info["subscription_id"]), None)

    async def get_subscription(request: web.Request) -> web.Response:
        if destination(request) is None:
            return not_found("Destination")
        sub = subscription(request)
        return not_found("Subscription") if sub is None else _ok({"subscription": sub})

    async def create_subscription(request: web.Request) -> web.Response:
        dest = destination(request)
        if dest is None:
            return not_found("Destination")
        body = await _body(request)
        bad = _check_keys(body, _CREATE_KEYS, _CREATE_REQUIRED, "The request body")
        if bad is not None:
            return bad
        if dest["metadata"]["id"] != PIPEDRIVE_METADATA_ID or body["actionId"] not in _ACTION_BY_ID:
            return _errors(
                400, f'Action "{body["actionId"]}" does not exist for this destination', fld="actionId"
            )
        bad = _check_trigger(body["trigger"]) or _check_settings(body["actionId"], body.get("settings") or {})
        if bad is not None:
            return bad
        action = _ACTION_BY_ID[body["actionId"]]
        sub = {
            "id": f"sub-{next(st.ids)}",
            "name": body["name"],
            "actionId": body["actionId"],
            "actionSlug": action.slug,
            "destinationId": dest["id"],
            "enabled": body["enabled"],
            "settings": copy.deepcopy(body.get("settings") or {}),
            "trigger": body["trigger"],
        }
        st.subscriptions[dest["id"]].append(sub)
        return _ok({"destinationSubscription": sub})

    async def update_subscription(request: web.Request) -> web.Response:
        if destination(request) is None:
            return not_found("Destination")
        sub = subscription(request)
        if sub is None:
            return not_found("Subscription")
        body = await _body(request)
        bad = _check_keys(body, {"input": dict}, ("input",), "The request body")
        if bad is not None:
            return bad
        changes = body["input"]
        bad = _check_keys(changes, _UPDATE_KEYS, (), '"input"')
        if bad is not None:
            return bad
        if "trigger" in changes:
            bad = _check_trigger(changes["trigger"])
        if bad is None and "settings" in changes:
            bad = _check_settings(sub["actionId"], changes["settings"])
        if bad is not None:
            return bad
        for key in ("name", "trigger", "enabled"):
            if key in changes:
                sub[key] = changes[key]
        if "settings" in changes:
            sub["settings"] = copy.deepcopy(changes["settings"])
        return _ok({"subscription": sub})

    async def remove_subscription(request: web.Request) -> web.Response:
        if destination(request) is None:
            return not_found("Destination")
        sub = subscription(request)
        if sub is None:
            return not_found("Subscription")
        st.subscriptions[request.match_info["destination_id"]].remove(sub)
        return _ok({"status": "SUCCESS"})

    r = app.router
    r.add_get("/", get_workspace)
    r.add_get("/__standin/health", health)
    r.add_get("/sources", list_sources)
    r.add_get("/destinations", list_destinations)
    r.add_get("/destinations/{destination_id}", get_destination)
    r.add_patch("/destinations/{destination_id}", update_destination)
    r.add_get("/destinations/{destination_id}/subscriptions", list_subscriptions)
    r.add_post("/destinations/{destination_id}/subscriptions", create_subscription)
    r.add_get("/destinations/{destination_id}/subscriptions/{subscription_id}", get_subscription)
    r.add_patch("/destinations/{destination_id}/subscriptions/{subscription_id}", update_subscription)
    r.add_delete("/destinations/{destination_id}/subscriptions/{subscription_id}", remove_subscription)
    return app


class RunningStandin:
    def __init__(self, runner: web.AppRunner, state: StandinState, port: int) -> None:
        self._runner, self.state, self.port = runner, state, port
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningStandin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_standin(state: StandinState | None = None, *, port: int = 0) -> RunningStandin:
    """Serve the stand-in on 127.0.0.1 (``port`` 0 = a free one) in the running event loop."""
    st = state or StandinState()
    runner = web.AppRunner(create_app(st), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return RunningStandin(runner, st, int(bound))


def demo_state(token: str = "standin-token") -> StandinState:
    """A workspace with two Actions Pipedrive destinations (one with mappings) and another destination."""
    st = StandinState(tokens={token: "owner"})
    prod = st.add_destination(
        "Pipedrive (production)",
        source="Website",
        settings={
            "domain": "acme",
            "apiToken": "pd-secret-token",
            "personField": "email",
            "organizationField": "id",
            "dealField": "id",
        },
    )
    st.add_destination(
        "Pipedrive (staging)",
        source="Staging site",
        enabled=False,
        settings={"domain": "acme-staging", "apiToken": "pd-staging-token"},
    )
    st.add_destination("Google Analytics 4", source="Website", metadata_id="60ad61f9ff47a16b8fb7b5d9")
    st.add_subscription(
        prod["id"],
        "Upsert person",
        "createUpdatePerson",
        'type = "identify"',
        {
            "match_field": "email",
            "match_value": {"@path": "$.traits.email"},
            "name": {"@path": "$.traits.name"},
            "email": [{"@path": "$.traits.email"}],
        },
    )
    st.add_subscription(
        prod["id"],
        "Upsert organization",
        "createUpdateOrganization",
        'type = "group"',
        {"match_value": {"@path": "$.groupId"}, "name": {"@path": "$.traits.name"}},
        enabled=False,
    )
    return st
