"""Async client for the parts of Segment's Public API this app uses.

Shapes, paths and limits follow Segment's generated SDK, ``@segment/public-api-sdk-typescript``
73.2.0 (commit 3780bc6078c0463733403e6ea86b9c7d40987b42, API document version 73.2.0):

=====================================  =======================================================
``GET /``                              ``{data: {workspace: {id, slug, name}}}``
``GET /destinations``                  ``{data: {destinations: [DestinationV1], pagination}}``
``GET /destinations/{id}``             ``{data: {destination: DestinationV1}}``
``PATCH /destinations/{id}``           body ``{name?, enabled?, settings?}`` → ``{data: {destination}}``
``GET /sources``                       ``{data: {sources: [SourceV1], pagination}}``
``GET /destinations/{id}/subscriptions``          ``{data: {subscriptions: [...], pagination}}``
``POST /destinations/{id}/subscriptions``         body ``{name, actionId, trigger, enabled, settings?}``
                                                  → ``{data: {destinationSubscription}}``
``PATCH /destinations/{id}/subscriptions/{sid}``  body ``{input: {name?, trigger?, enabled?, settings?}}``
                                                  → ``{data: {subscription}}``
``DELETE /destinations/{id}/subscriptions/{sid}`` → ``{data: {status: "SUCCESS"}}``
=====================================  =======================================================

Lists take ``pagination.count`` (1–1000) and ``pagination.cursor`` as query parameters and answer
``pagination: {current, next?, previous?, totalEntries?}``; this client reads every page. Errors are
``{errors: [{type, message, field?, data?, status?}]}``. Subscription writes are limited to 5 requests
a minute: the client spaces its writes accordingly, and on a 429 it waits as long as Segment says
(``Retry-After``, else the error's ``data.msBeforeNext``, else ``X-RateLimit-Reset``) and tries
again. The token goes only into the ``Authorization`` header: never into a URL, a log line or an
error message.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from pipedrive_gui.core.secret import Secret

from .errors import (
    SegmentAuthError,
    SegmentConnectionError,
    SegmentError,
    SegmentFeatureError,
    SegmentNotFoundError,
    SegmentPermissionError,
    SegmentRateLimitError,
    SegmentServerError,
    SegmentValidationError,
)

log = logging.getLogger(__name__)

SDK_VERSION = "@segment/public-api-sdk-typescript 73.2.0 (3780bc6078c0463733403e6ea86b9c7d40987b42)"
US_BASE_URL = "https://api.segmentapis.com"
EU_BASE_URL = "https://eu1.api.segmentapis.com"
REGION_URLS = {"us": US_BASE_URL, "eu": EU_BASE_URL}
#: Catalog id of the Actions Pipedrive destination.
PIPEDRIVE_METADATA_ID = "5f7dd8191ad74f868ab1fc48"
#: Subscription create/update/delete: "The rate limit for this endpoint is 5 requests per minute".
WRITE_LIMIT = 5
WRITE_WINDOW_S = 60.0
PAGE_SIZE = 200
#: A 429 asking for a longer wait than this is reported instead of sat out.
MAX_RETRY_WAIT_S = 120.0
MAX_ATTEMPTS = 6
TOKEN_HELP = (
    "Create one in Segment under Settings > Workspace settings > Access Management > Tokens "
    "(only Workspace Owners can), with the Workspace Owner role."
)

Sleep = Callable[[float], Awaitable[None]]
WaitCallback = Callable[[float, str], None]


def base_url_for(region: str, override: str | None = None) -> str:
    """``override`` (SEGMENT_PUBLIC_API_URL) if given, else the region's Public API URL."""
    if override:
        return override.rstrip("/")
    try:
        return REGION_URLS[region]
    except KeyError:
        raise ValueError(f'Unknown Segment region "{region}" (expected us or eu).') from None


@dataclass(frozen=True)
class Workspace:
    id: str
    slug: str
    name: str


@dataclass(frozen=True)
class DestinationInfo:
    """One destination as the picker shows it. ``settings`` may hold secrets (the Pipedrive API
    token): it is never printed, logged or saved; :func:`safe_settings` is what may be shown."""

    id: str
    name: str
    enabled: bool
    source_id: str
    source_name: str
    metadata_id: str
    metadata_name: str
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, obj: dict[str, Any], sources: dict[str, str] | None = None) -> DestinationInfo:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        source_id = str(obj.get("sourceId") or "")
        settings = obj.get("settings")
        return cls(
            id=str(obj.get("id") or ""),
            name=str(obj.get("name") or ""),
            enabled=bool(obj.get("enabled")),
            source_id=source_id,
            source_name=(sources or {}).get(source_id, ""),
            metadata_id=str(meta.get("id") or ""),
            metadata_name=str(meta.get("name") or ""),
            settings=dict(settings) if isinstance(settings, dict) else {},
        )

    @property
    def is_pipedrive(self) -> bool:
        return self.metadata_id == PIPEDRIVE_METADATA_ID

    def summary(self) -> dict[str, Any]:
        """What may be shown or printed (no settings)."""
        return {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "sourceId": self.source_id,
            "sourceName": self.source_name,
        }


class _Bearer(httpx.Auth):
    """The token joins each request here, not the client's default headers (which get printed)."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "_Bearer(***)"


class WritePacer:
    """At most ``limit`` writes per ``window`` seconds (a sliding window), so a long push stays within
    Segment's 5-a-minute limit instead of collecting 429s. Works with an injected sleep that does not
    really wait (tests): the slot taken is the time the wait ends, not the clock after it."""

    def __init__(
        self,
        limit: int = WRITE_LIMIT,
        window: float = WRITE_WINDOW_S,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._stamps: collections.deque[float] = collections.deque()

    def wait_needed(self) -> float:
        now = self._clock()
        while self._stamps and self._stamps[0] + self.window <= now:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[0] + self.window - now

    async def acquire(self, sleep: Sleep, on_wait: WaitCallback | None = None) -> None:
        wait = self.wait_needed()
        slot = self._clock()
        if wait > 0:
            if on_wait is not None:
                on_wait(wait, "Segment allows 5 changes a minute")
            await sleep(wait)
            self._stamps.popleft()
            slot = max(self._clock(), slot + wait)
        self._stamps.append(slot)

    def pause(self, seconds: float) -> None:
        """After a 429: count the window as full for ``seconds``."""
        now = self._clock()
        self._stamps.clear()
        self._stamps.extend([now + seconds - self.window] * self.limit)


class SegmentClient:
    """``async with SegmentClient(base_url, token) as client: ...``. One request at a time."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacer: WritePacer | None = None,
        timeout: float = 30.0,
        max_attempts: int = MAX_ATTEMPTS,
        max_retry_wait: float = MAX_RETRY_WAIT_S,
        page_size: int = PAGE_SIZE,
    ) -> None:
        token = token.strip()
        if not token:
            raise ValueError("No Segment Public API token. " + TOKEN_HELP)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not a Segment Public API URL (e.g. {US_BASE_URL}).")
        self.base_url = base_url.rstrip("/")
        self.host = parts.netloc
        self._token = Secret(token)
        self._sleep = sleep
        self._clock = clock
        self.pacer = pacer or WritePacer(clock=clock)
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.page_size = page_size
        #: Called with (seconds, why) before each wait (rate limit), for progress displays.
        self.on_wait: WaitCallback | None = None
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=_Bearer(self._token),
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "pipedrive-gui (Pipedrive Mapper)"},
        )

    def __repr__(self) -> str:
        return f"SegmentClient(base_url={self.base_url!r}, token=***)"

    async def __aenter__(self) -> SegmentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- one call ---------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        write: bool = False,
    ) -> dict[str, Any]:
        """The ``data`` object of Segment's answer; a :class:`SegmentError` otherwise."""
        method = method.upper()
        attempt = 0
        async with self._lock:
            while True:
                if write:
                    await self.pacer.acquire(self._sleep, self.on_wait)
                try:
                    response = await self._http.request(method, path, params=params, json=json)
                except httpx.TimeoutException as exc:
                    maybe = (
                        ""
                        if method == "GET"
                        else " The change may have been made anyway: pull or "
                        "look in Segment before pushing again."
                    )
                    raise SegmentConnectionError(
                        f"Segment ({self.host}) did not answer in time. Check your connection and try "
                        f"again.{maybe}",
                        method=method,
                        path=path,
                    ) from exc
                except (httpx.TransportError, OSError) as exc:
                    raise SegmentConnectionError(
                        f"Could not reach Segment's Public API at {self.host} ({self._scrub(_reason(exc))}). "
                        "Check your internet connection and proxy settings"
                        + (", and SEGMENT_PUBLIC_API_URL." if "segmentapis.com" not in self.host else "."),
                        method=method,
                        path=path,
                    ) from exc
                if 200 <= response.status_code < 300:
                    return self._decode(response, method, path)
                error = self._error_for(response, method, path)
                wait = self._retry_wait(error, response, attempt, method)
                if wait is None:
                    raise error
                attempt += 1
                if self.on_wait is not None:
                    self.on_wait(
                        wait,
                        "Segment's rate limit"
                        if response.status_code == 429
                        else "Segment had a temporary problem",
                    )
                if response.status_code == 429:
                    self.pacer.pause(wait)
                log.info(
                    "Segment answered %s to %s %s; trying again in %.1f s",
                    response.status_code,
                    method,
                    path,
                    wait,
                )
                await self._sleep(wait)

    def _retry_wait(
        self, error: SegmentError, response: httpx.Response, attempt: int, method: str
    ) -> float | None:
        if attempt + 1 >= self.max_attempts:
            return None
        if response.status_code == 429:  # not processed: safe to send again, whatever the method
            wait = _rate_limit_wait(response, self._clock)
            if wait is None:
                wait = min(2.0**attempt, 30.0)
            if wait > self.max_retry_wait:
                return None
            return max(wait, 0.0)
        if response.status_code in (502, 503, 504) and method == "GET":
            return min(2.0**attempt, 10.0)
        return None

    def _decode(self, response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("data", {}), dict):
            raise SegmentServerError(
                f"{self.host} answered {method} {path} with something that is not Segment's Public API "
                "JSON. Check SEGMENT_PUBLIC_API_URL / the region.",
                status=response.status_code,
                method=method,
                path=path,
            )
        data = body.get("data", {})
        assert isinstance(data, dict)
        return data

    def _scrub(self, text: str) -> str:
        token = self._token.reveal()
        return text.replace(token, "***") if token and token in text else text

    def _error_for(self, response: httpx.Response, method: str, path: str) -> SegmentError:
        status = response.status_code
        errors: list[dict[str, Any]] = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            errors = [e for e in body["errors"] if isinstance(e, dict)]
        messages = [self._scrub(str(e.get("message") or e.get("type") or "")) for e in errors]
        said = "; ".join(m for m in messages if m) or None
        fld = next((str(e["field"]) for e in errors if e.get("field")), None)
        for e in errors:
            if isinstance(e.get("message"), str):
                e["message"] = self._scrub(e["message"])
        kw: dict[str, Any] = {
            "status": status,
            "segment_message": said,
            "field": fld,
            "method": method,
            "path": path,
            "errors": errors,
        }
        quoted = f" Segment said: “{said}”" if said else ""
        text = (said or "").lower()
        if status == 401:
            return SegmentAuthError(
                f"Segment did not accept the Public API token (it is wrong, revoked, or belongs to a workspace "
                f"in the other region, US or EU).{quoted} {TOKEN_HELP} Then connect again.",
                **kw,
            )
        if "feature" in text or ("not enabled" in text and "subscription" in text):
            return SegmentFeatureError(
                "This Segment workspace does not have the Destination Subscriptions feature, which Segment "
                "requires for reading and writing mappings through its Public API. Ask your Segment customer "
                "success manager to enable it; meanwhile use File > Export checklist and create the mappings "
                f"in Segment's web app.{quoted}",
                **kw,
            )
        if status == 403:
            return SegmentPermissionError(
                f"The Public API token is valid but may not do this.{quoted} Use a token with the Workspace "
                "Owner role (Segment: Settings > Workspace settings > Access Management > Tokens).",
                **kw,
            )
        if status == 404:
            what = (
                "subscription"
                if "/subscriptions/" in path
                else "destination"
                if "/destinations/" in path
                else "resource"
            )
            return SegmentNotFoundError(
                f"Segment has no such {what} in this workspace (it was deleted, or it belongs to another "
                f"workspace or region).{quoted} List the destinations again and pick one.",
                **kw,
            )
        if status in (400, 409, 413, 422):
            return SegmentValidationError(_validation_text(fld, said, text), **kw)
        if status == 429:
            return SegmentRateLimitError(
                "Segment's rate limit was reached and did not clear in time (subscription changes are limited "
                f"to {WRITE_LIMIT} a minute).{quoted} Wait a minute and push again: what was done is kept, "
                "the rest will be sent.",
                **kw,
            )
        maybe = (
            ""
            if method == "GET"
            else " The change may have been made anyway: pull or show the changes again before pushing."
        )
        return SegmentServerError(
            f"Segment had a problem (HTTP {status}).{quoted}{maybe} Try again in a few minutes; if it persists, "
            "see status.segment.com.",
            **kw,
        )

    # -- pagination -------------------------------------------------------------------------------

    async def _all_pages(self, path: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"pagination.count": self.page_size}
            if cursor:
                params["pagination.cursor"] = cursor
            data = await self.request("GET", path, params=params)
            page = data.get(key)
            if not isinstance(page, list):
                raise SegmentServerError(
                    f"Segment's answer to GET {path} has no {key} list.", method="GET", path=path
                )
            items.extend(x for x in page if isinstance(x, dict))
            pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
            assert isinstance(pagination, dict)
            nxt = pagination.get("next")
            if not nxt or not isinstance(nxt, str) or nxt in seen:
                return items
            seen.add(nxt)
            cursor = nxt

    # -- operations -------------------------------------------------------------------------------

    async def get_workspace(self) -> Workspace:
        data = await self.request("GET", "/")
        ws = data.get("workspace") if isinstance(data.get("workspace"), dict) else {}
        assert isinstance(ws, dict)
        return Workspace(
            id=str(ws.get("id") or ""), slug=str(ws.get("slug") or ""), name=str(ws.get("name") or "")
        )

    async def list_sources(self) -> dict[str, str]:
        """Source id -> name."""
        return {
            str(s.get("id")): str(s.get("name") or s.get("slug") or "")
            for s in await self._all_pages("/sources", "sources")
        }

    async def list_destinations(self, *, only_pipedrive: bool = True) -> list[DestinationInfo]:
        """The workspace's destinations (Actions Pipedrive only, by default), with their sources' names."""
        raw = await self._all_pages("/destinations", "destinations")
        found = [DestinationInfo.from_api(d) for d in raw]
        if only_pipedrive:
            found = [d for d in found if d.is_pipedrive]
        if found:
            try:
                names = await self.list_sources()
            except SegmentPermissionError:
                names = {}
            found = [
                DestinationInfo.from_api(d, names) for d in raw if any(f.id == d.get("id") for f in found)
            ]
        return found

    async def get_destination(self, destination_id: str) -> DestinationInfo:
        data = await self.request("GET", f"/destinations/{_seg(destination_id)}")
        dest = data.get("destination")
        if not isinstance(dest, dict):
            raise SegmentServerError(
                "Segment's answer has no destination in it.",
                method="GET",
                path=f"/destinations/{destination_id}",
            )
        return DestinationInfo.from_api(dest)

    async def update_destination_settings(
        self, destination_id: str, settings: dict[str, Any]
    ) -> DestinationInfo:
        data = await self.request(
            "PATCH", f"/destinations/{_seg(destination_id)}", json={"settings": settings}, write=True
        )
        dest = data.get("destination")
        return DestinationInfo.from_api(dest if isinstance(dest, dict) else {})

    async def list_subscriptions(self, destination_id: str) -> list[dict[str, Any]]:
        return await self._all_pages(f"/destinations/{_seg(destination_id)}/subscriptions", "subscriptions")

    async def create_subscription(self, destination_id: str, body: dict[str, Any]) -> dict[str, Any]:
        data = await self.request(
            "POST", f"/destinations/{_seg(destination_id)}/subscriptions", json=body, write=True
        )
        sub = data.get("destinationSubscription")
        return sub if isinstance(sub, dict) else {}

    async def update_subscription(
        self, destination_id: str, subscription_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        data = await self.request(
            "PATCH",
            f"/destinations/{_seg(destination_id)}/subscriptions/{_seg(subscription_id)}",
            json={"input": changes},
            write=True,
        )
        sub = data.get("subscription")
        return sub if isinstance(sub, dict) else {}

    async def remove_subscription(self, destination_id: str, subscription_id: str) -> None:
        await self.request(
            "DELETE",
            f"/destinations/{_seg(destination_id)}/subscriptions/{_seg(subscription_id)}",
            write=True,
        )


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:200] or type(exc).__name__


def _rate_limit_wait(response: httpx.Response, clock: Callable[[], float]) -> float | None:
    """Seconds Segment asks us to wait: Retry-After, else data.msBeforeNext, else X-RateLimit-Reset."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return float(retry_after)
        except ValueError:
            when = email.utils.parsedate_to_datetime(retry_after) if retry_after else None
            if when is not None:
                return max(0.0, when.timestamp() - time.time())
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for e in body.get("errors") or []:
            data = e.get("data") if isinstance(e, dict) else None
            if isinstance(data, dict) and isinstance(data.get("msBeforeNext"), (int, float)):
                return float(data["msBeforeNext"]) / 1000.0
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            when = email.utils.parsedate_to_datetime(reset)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def _validation_text(fld: str | None, said: str | None, text: str) -> str:
    quoted = f" Segment said: “{said}”" if said else ""
    f = (fld or "").lower().replace("_", "")
    trigger = (
        f"Segment refused the trigger (it is not valid FQL).{quoted} Fix the trigger in the mapping's "
        "trigger builder and push again."
    )
    action = (
        f"Segment does not know this action id for the destination.{quoted} The destination may not be "
        "Actions Pipedrive, or Segment changed its action catalog; pick an Actions Pipedrive destination "
        "and update the app."
    )
    settings = (
        f"Segment refused the field values (settings).{quoted} Correct the field named there and push again."
    )
    if f == "trigger" or f.startswith("trigger."):
        return trigger
    if f == "actionid":
        return action
    if f == "settings" or f.startswith("settings."):
        return settings
    if not f:
        if "fql" in text or "trigger" in text:
            return trigger
        if "setting" in text:
            return settings
        if "action" in text:
            return action
    return f"Segment refused the request.{quoted} Correct what it names and try again."
