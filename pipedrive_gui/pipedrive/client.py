"""Async Pipedrive API client: auth header, pacing, retries for reads, typed errors, pagination.

- Talks to ``https://{company}.pipedrive.com`` (or any base URL: the offline sandbox, a test server).
- The token goes only in the ``x-api-token`` header (docs/pipedrive-api.md#hosts-and-the-token), never in a URL, and redirects
  are not followed (a redirect would carry the header to another host).
- v2 for persons, organizations, deals, activities, itemSearch and fields; v1 only where Pipedrive
  has nothing else (leads, notes, activityTypes, users/me, lead/note fields).
- Reads (``safe_to_retry=True``, the default for GET) are retried on 429/5xx/timeouts/network errors
  with ``Retry-After`` or exponential backoff with jitter. Writes are never retried here: a write
  that timed out may have happened, so the upsert engine looks again before writing again.
- Every await is cancellable; cancelling a call leaves the client usable.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipedrive_gui import __version__
from pipedrive_gui.core.secret import Secret
from pipedrive_gui.pipedrive.encode import show
from pipedrive_gui.pipedrive.errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    PipedriveError,
    PlanError,
    RateLimitedError,
    ServerError,
    TimeoutError_,
    UnexpectedResponseError,
    ValidationError,
    message_for_status,
)
from pipedrive_gui.pipedrive.pacing import Budget, Pacer, backoff_delay, retry_after_seconds
from pipedrive_gui.pipedrive.planner import ENTITY_PATHS

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Tries per read (first call + retries).
MAX_READ_ATTEMPTS = 4
#: A 429 asking for a longer wait than this is reported instead of waited out.
MAX_RETRY_WAIT = 60.0
#: Concurrent requests in flight per client (the pacer still limits the rate).
MAX_CONCURRENCY = 4
PAGE_SIZE = 500
MAX_PAGES = 2000
RETRYABLE_STATUSES = {500, 502, 503, 504}
#: Which endpoint lists each entity's fields (docs/pipedrive-api.md#field-lists).
FIELD_ENDPOINTS = {
    "person": "/api/v2/personFields",
    "organization": "/api/v2/organizationFields",
    "deal": "/api/v2/dealFields",
    "activity": "/api/v2/activityFields",
    "lead": "/api/v1/leadFields",
    "note": "/api/v1/noteFields",
}
#: Older or restricted accounts: v2 activityFields needs admin rights, leadFields is recent.
FIELD_FALLBACKS = {
    "activity": "/api/v1/activityFields",
    "lead": "/api/v2/dealFields",  # leads use deals' custom fields
}
#: Where each record type is deleted: where it is written, API v2 where it exists, v1 for leads and
#: notes (docs/pipedrive-api.md#deleting).
DELETE_ENDPOINTS = ENTITY_PATHS
_LEAD_ID_RE = re.compile(r"^[0-9a-fA-F-]{1,64}$")
_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def normalize_domain(text: str) -> str:
    """``acme``, ``acme.pipedrive.com`` or ``https://acme.pipedrive.com/x`` → ``acme``.

    Raises ValueError with a user-facing message for anything else.
    """
    value = text.strip().lower()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    value = value.split("/", 1)[0]
    if value.endswith(".pipedrive.com"):
        value = value[: -len(".pipedrive.com")]
    if not _DOMAIN_RE.match(value):
        raise ValueError(
            f"{show(text.strip())} is not a Pipedrive company domain. Enter the part before "
            "“.pipedrive.com” in your browser's address bar, e.g. “acme” for acme.pipedrive.com."
        )
    return value


def domain_base_url(domain: str) -> str:
    return f"https://{normalize_domain(domain)}.pipedrive.com"


def check_base_url(base_url: str) -> str:
    """Accept https, or plain http only on this machine (the sandbox): the token must not travel
    unencrypted over a network."""
    url = base_url.strip().rstrip("/")
    # People paste the API's address ("…/api/v2"); the client adds /api/v… itself.
    url = re.sub(r"/api(?:/v[12])?$", "", url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{show(base_url)} is not a web address (expected https://acme.pipedrive.com, "
            "or http://127.0.0.1:PORT for the sandbox)."
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(
            f"Refusing to send the API token unencrypted to {parts.hostname}: use https://, "
            "or http:// only for a server on this machine (127.0.0.1)."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        # Not echoed: a login in the address may carry a password.
        raise ValueError("A base URL may not contain a query, fragment or login.")
    return url


@dataclass(frozen=True)
class CurrentUser:
    """``GET /api/v1/users/me``: who the token belongs to, and which company."""

    id: int | None
    name: str
    email: str
    company_id: int | None
    company_name: str
    company_domain: str
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CurrentUser:
        return cls(
            id=data.get("id") if isinstance(data.get("id"), int) else None,
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            company_id=data.get("company_id") if isinstance(data.get("company_id"), int) else None,
            company_name=str(data.get("company_name") or ""),
            company_domain=str(data.get("company_domain") or ""),
            raw=dict(data),
        )

    def __getitem__(self, key: str) -> Any:  # dict-style access to any users/me key
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass(frozen=True)
class ApiAnswer:
    """A successful call: the HTTP status and the decoded envelope."""

    status: int
    envelope: dict[str, Any]


Sleep = Callable[[float], Awaitable[None]]


class _TokenHeader(httpx.Auth):
    """Adds ``x-api-token`` to each request, so the token is not among the client's default
    headers (which get printed when someone inspects the client)."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["x-api-token"] = self._token.reveal()
        yield request

    def __repr__(self) -> str:
        return "_TokenHeader(***)"


class PipedriveClient:
    """One company's API, one token. Use as ``async with PipedriveClient(...) as client``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
        max_attempts: int = MAX_READ_ATTEMPTS,
        max_concurrency: int = MAX_CONCURRENCY,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        token = token.strip() if isinstance(token, str) else ""
        if not token:
            raise ValueError("The Pipedrive API token is empty.")
        if not token.isascii() or any(c.isspace() or ord(c) < 32 for c in token):
            # Never echo the token: it may be a paste of something else entirely.
            raise ValueError("The Pipedrive API token contains spaces or unusual characters; paste it again.")
        self.base_url = check_base_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        self._token = Secret(token)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.pacer = pacer or Pacer()
        self.max_attempts = max(1, max_attempts)
        self._sleep = sleep
        self._rng = rng
        self._concurrency = max(1, max_concurrency)
        self._semaphore: asyncio.Semaphore | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=_TokenHeader(self._token),
            headers={
                "accept": "application/json",
                "user-agent": f"pipedrive-gui/{__version__}",
            },
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def for_domain(cls, domain: str, token: str, **kw: Any) -> PipedriveClient:
        return cls(domain_base_url(domain), token, **kw)

    def __repr__(self) -> str:
        return f"PipedriveClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> PipedriveClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- budget ---------------------------------------------------------------------------------

    @property
    def budget(self) -> int:
        """Requests still allowed in the current 2-second window (our estimate ∧ the server's)."""
        return self.pacer.budget().burst_remaining

    @property
    def rate_budget(self) -> Budget:
        """Full picture: burst, search and (when reported) the company's daily budget."""
        return self.pacer.budget()

    # -- core call ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        safe_to_retry: bool | None = None,
    ) -> dict[str, Any]:
        """Send one call, return the decoded envelope ``{"success", "data", "additional_data"}``.

        ``safe_to_retry`` defaults to True for GET/HEAD only. Raises a :class:`PipedriveError`.
        """
        answer = await self.request_full(method, path, params=params, json=json, safe_to_retry=safe_to_retry)
        return answer.envelope

    async def request_full(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        safe_to_retry: bool | None = None,
    ) -> ApiAnswer:
        """Like :meth:`request`, also telling the HTTP status Pipedrive answered with (200, 201...)."""
        method = method.upper()
        if safe_to_retry is None:
            safe_to_retry = method in ("GET", "HEAD", "OPTIONS")
        path = _normalize_path(path)
        search = _is_search(path)
        clean_params = _clean_params(params)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._concurrency)
        attempt = 0
        while True:
            await self.pacer.acquire(search=search)
            error: PipedriveError
            try:
                async with self._semaphore:
                    response = await self._http.request(method, path, params=clean_params, json=json)
            except httpx.TimeoutException as exc:
                maybe_done = (
                    ""
                    if safe_to_retry
                    else (" The change may have been saved anyway: check Pipedrive before sending it again.")
                )
                error = TimeoutError_(
                    f"Pipedrive ({self.host}) did not answer in time ({_timeout_text(self.timeout)}). "
                    f"Check your connection and try again.{maybe_done}",
                    method=method,
                    path=path,
                )
                error.__cause__ = exc
            except (httpx.TransportError, OSError) as exc:
                if urlsplit(self.base_url).hostname in _LOOPBACK:
                    # Only the sandbox or a test server lives on this machine.
                    hint = (
                        "Is the sandbox running? Start it with `pipedrive-gui sandbox --port "
                        f"{urlsplit(self.base_url).port or 80}`, or check --base-url / PIPEDRIVE_BASE_URL."
                    )
                else:
                    hint = "Check your internet connection, proxy settings and the company domain."
                error = NetworkError(
                    f"Could not reach Pipedrive at {self.host} ({self._scrub(_reason(exc))}). {hint}",
                    method=method,
                    path=path,
                )
                error.__cause__ = exc
            else:
                self.pacer.observe(response.headers, search=search)
                if 200 <= response.status_code < 300:
                    envelope = self._decode(response, method, path)
                    return ApiAnswer(response.status_code, envelope)
                error = self._error_for(response, method, path)
            wait = self._retry_wait(error, attempt, safe_to_retry)
            if wait is None:
                raise error
            attempt += 1
            if wait > 0:
                await self._sleep(wait)

    def _retry_wait(self, error: PipedriveError, attempt: int, safe: bool) -> float | None:
        """Seconds to wait before trying again, or None to give up and raise."""
        if isinstance(error, RateLimitedError):
            if error.daily:
                return None
            wait = (
                error.retry_after if error.retry_after is not None else backoff_delay(attempt, rng=self._rng)
            )
            # Every request of this client holds off, whether or not this one is retried (capped:
            # a longer wait is reported to the user rather than silently sat out).
            self.pacer.pause(min(wait, MAX_RETRY_WAIT))
            if not safe or attempt + 1 >= self.max_attempts or wait > MAX_RETRY_WAIT:
                return None
            return 0.0  # the pacer's pause does the waiting
        if not safe or attempt + 1 >= self.max_attempts:
            return None
        if isinstance(error, ServerError) and error.status in RETRYABLE_STATUSES:
            return backoff_delay(attempt, rng=self._rng)
        if isinstance(error, TimeoutError_ | NetworkError):
            return backoff_delay(attempt, rng=self._rng)
        return None

    def _decode(self, response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {"success": True, "data": None, "additional_data": None}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise UnexpectedResponseError(
                f"Pipedrive ({self.host}) answered with something that is not Pipedrive API data "
                f"(HTTP {response.status_code}). Check the company domain or base URL.",
                status=response.status_code,
                method=method,
                path=path,
            )
        if body.get("success") is False:
            message, code = self._error_text(body)
            raise ValidationError(
                message_for_status(400, message, where=self.host),
                status=response.status_code,
                pipedrive_message=message,
                code=code,
                method=method,
                path=path,
            )
        return body

    def _error_text(self, body: Any) -> tuple[str | None, str | None]:
        if not isinstance(body, dict):
            return None, None
        message = body.get("error") or body.get("message")
        detail = body.get("error_info")
        text = str(message) if message else None
        if text and isinstance(detail, str) and detail and "developers.pipedrive.com" not in detail:
            text = f"{text} ({detail})"
        code = body.get("code") if body.get("code") is not None else body.get("errorCode")
        if text:
            text = self._scrub(text)[:500]
        return text, (str(code) if code is not None else None)

    def _error_for(self, response: httpx.Response, method: str, path: str) -> PipedriveError:
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        try:
            body = response.json() if "json" in content_type or response.content[:1] in (b"{", b"[") else None
        except ValueError:
            body = None
        message, code = self._error_text(body)
        common: dict[str, Any] = {
            "status": status,
            "pipedrive_message": message,
            "code": code,
            "method": method,
            "path": path,
        }
        text = message_for_status(status, message, where=self.host)
        if 300 <= status < 400:
            target = urlsplit(response.headers.get("location", "")).netloc or "another address"
            return UnexpectedResponseError(
                f"{self.host} redirected to {target} instead of answering. Check the company domain "
                "(the part before .pipedrive.com) or the base URL.",
                **common,
            )
        if status == 401:
            return AuthError(text, **common)
        if status == 403 and body is None and "html" in content_type:
            self.pacer.pause(MAX_RETRY_WAIT)
            return PlanError(
                "Pipedrive temporarily blocked requests from this API token because it kept sending "
                "requests after being rate limited. Wait several minutes, then try again.",
                blocked=True,
                **common,
            )
        if status in (402, 403, 415):
            return PlanError(text, **common)
        if status == 404:
            return NotFoundError(text, **common)
        if status in (400, 422):
            return ValidationError(text, **common)
        if status == 429:
            retry_after = retry_after_seconds(response.headers)
            daily = response.headers.get("x-daily-ratelimit-token-remaining", "").strip() == "0"
            if retry_after is not None and retry_after >= 1:
                text = (
                    f"Pipedrive's rate limit was reached (too many requests in a short time). "
                    f"Pipedrive asks to wait {math.ceil(retry_after)} s before trying again."
                )
            if daily:
                text = (
                    "Your Pipedrive company has used up today's API budget (shared by every user and "
                    "app of the company). Requests work again after Pipedrive's daily reset at midnight "
                    "(server time); an admin can see usage under Company settings > API usage."
                )
            return RateLimitedError(text, retry_after=retry_after, daily=daily, **common)
        if status >= 500:
            return ServerError(text, **common)
        if status in (405, 410):
            return UnexpectedResponseError(
                f"Pipedrive no longer offers {method} {path} (HTTP {status}). This app may need an update.",
                **common,
            )
        return PipedriveError(text, **common)

    def _scrub(self, text: str) -> str:
        token = self._token.reveal()
        return text.replace(token, "***") if token else text

    # -- pagination -----------------------------------------------------------------------------

    async def iter_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[list[Any]]:
        """Yield each page's items: v2 paths page by ``cursor``, v1 paths by ``start``/``limit``."""
        path = _normalize_path(path)
        pages = (
            self._iter_v2(path, params, page_size)
            if path.startswith("/api/v2/")
            else self._iter_v1(path, params, page_size)
        )
        async for page in pages:
            yield page

    async def get_all(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> list[Any]:
        """Every item of a list endpoint, following pagination."""
        items: list[Any] = []
        async for page in self.iter_pages(path, params, page_size=page_size):
            items.extend(page)
        return items

    async def _iter_v2(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        page_size: int,
    ) -> AsyncIterator[list[Any]]:
        query = dict(params or {})
        query.setdefault("limit", page_size)
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            envelope = await self.request("GET", path, params=query)
            yield _items(envelope)
            cursor = (envelope.get("additional_data") or {}).get("next_cursor")
            if not cursor or not isinstance(cursor, str) or cursor in seen:
                return
            seen.add(cursor)
            query["cursor"] = cursor

    async def _iter_v1(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        page_size: int,
    ) -> AsyncIterator[list[Any]]:
        query = dict(params or {})
        query.setdefault("limit", page_size)
        start = int(query.get("start") or 0)
        for _ in range(MAX_PAGES):
            query["start"] = start
            envelope = await self.request("GET", path, params=query)
            yield _items(envelope)
            extra = envelope.get("additional_data") or {}
            pagination = extra.get("pagination") if isinstance(extra.get("pagination"), dict) else extra
            if not isinstance(pagination, dict) or not pagination.get("more_items_in_collection"):
                return
            next_start = pagination.get("next_start")
            if not isinstance(next_start, int) or next_start <= start:
                return
            start = next_start

    # -- typed helpers --------------------------------------------------------------------------

    async def get_me(self) -> CurrentUser:
        """The token's user and company (``GET /api/v1/users/me``): the connection test."""
        envelope = await self.request("GET", "/api/v1/users/me")
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise UnexpectedResponseError(
                f"{self.host} did not return the current user; is this a Pipedrive address?",
                method="GET",
                path="/api/v1/users/me",
            )
        return CurrentUser.from_data(data)

    async def list_fields(self, entity: str) -> list[dict[str, Any]]:
        """Raw field definitions of ``entity`` (person/organization/deal/activity/lead/note)."""
        try:
            endpoint = FIELD_ENDPOINTS[entity]
        except KeyError:
            raise ValueError(
                f"unknown entity {entity!r}; expected one of {sorted(FIELD_ENDPOINTS)}"
            ) from None
        try:
            return await self._list_fields_at(endpoint)
        except (NotFoundError, PlanError, UnexpectedResponseError) as exc:
            fallback = FIELD_FALLBACKS.get(entity)
            if fallback is None or getattr(exc, "blocked", False):
                raise
            return await self._list_fields_at(fallback)

    async def _list_fields_at(self, endpoint: str) -> list[dict[str, Any]]:
        if endpoint == "/api/v1/noteFields":  # no pagination parameters
            envelope = await self.request("GET", endpoint)
            items = _items(envelope)
        else:
            items = await self.get_all(endpoint)
        return [item for item in items if isinstance(item, dict)]

    async def delete_record(self, entity: str, record_id: Any) -> dict[str, Any]:
        """Delete one record: ``DELETE /api/v2/{persons,organizations,deals,activities}/{id}`` or
        ``DELETE /api/v1/{leads,notes}/{id}``. Raises ``NotFoundError`` when it is already gone.

        Retried like a read: deleting twice leaves the same result (the second answer may be a 404).
        """
        try:
            endpoint = DELETE_ENDPOINTS[entity]
        except KeyError:
            raise ValueError(
                f"unknown entity {entity!r}; expected one of {sorted(DELETE_ENDPOINTS)}"
            ) from None
        text = str(record_id).strip()
        valid = _LEAD_ID_RE.match(text) if entity == "lead" else text.isascii() and text.isdigit()
        if not valid:
            raise ValueError(f"{record_id!r} is not a Pipedrive {entity} id")
        return await self.request("DELETE", f"{endpoint}/{text}", safe_to_retry=True)

    async def list_activity_types(self) -> list[dict[str, Any]]:
        """``GET /api/v1/activityTypes`` (no v2 endpoint, no pagination)."""
        envelope = await self.request("GET", "/api/v1/activityTypes")
        return [item for item in _items(envelope) if isinstance(item, dict)]


def _items(envelope: Mapping[str, Any]) -> list[Any]:
    data = envelope.get("data")
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return list(data["items"])  # entity search endpoints wrap results in {"items": [...]}
    return [data]


def _normalize_path(path: str) -> str:
    if "://" in path or path.startswith("//"):
        raise ValueError("PipedriveClient.request takes a path such as /api/v2/persons, not a full URL")
    if not path.startswith("/"):
        path = "/" + path
    if path.startswith(("/v1/", "/v2/")):
        path = "/api" + path
    if not path.startswith(("/api/v1/", "/api/v2/")):
        raise ValueError(f"Pipedrive paths start with /api/v1/ or /api/v2/, got {path!r}")
    return path


def _is_search(path: str) -> bool:
    return "/itemSearch" in path or path.rstrip("/").endswith("/search")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"  # v2 wants true/false, never 1/0
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = value
    return out


def _timeout_text(timeout: httpx.Timeout) -> str:
    read = timeout.read
    return f"{read:g} s" if read is not None else "no limit"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return text.splitlines()[0][:200]
