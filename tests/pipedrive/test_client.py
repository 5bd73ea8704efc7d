"""PipedriveClient against httpx.MockTransport: auth, errors, retries, pacing, pagination."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pipedrive_gui.pipedrive.client import PipedriveClient, check_base_url, normalize_domain
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
)
from pipedrive_gui.pipedrive.pacing import Pacer, RollingWindow, retry_after_seconds

TOKEN = "tok-6f1e2d3c4b5a-distinctive"


class FakeTime:
    """A clock that only moves when someone sleeps: retries and pacing without real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_client(
    handler: Callable[[httpx.Request], Any], fake: FakeTime | None = None, **kw: Any
) -> PipedriveClient:
    fake = fake or FakeTime()
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    return PipedriveClient(
        "https://acme.pipedrive.com",
        TOKEN,
        transport=httpx.MockTransport(handler),
        pacer=pacer,
        sleep=fake.sleep,
        rng=lambda: 1.0,
        **kw,
    )


def ok(data: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data, "additional_data": extra or None})


ME = {
    "id": 7,
    "name": "Test User",
    "email": "user@example.com",
    "company_id": 900,
    "company_name": "Acme",
    "company_domain": "acme",
}


async def test_token_goes_in_header_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(ME)

    async with make_client(handler) as client:
        me = await client.get_me()
    assert me.name == "Test User" and me.company_domain == "acme" and me["company_name"] == "Acme"
    request = seen[0]
    assert request.url.path == "/api/v1/users/me"
    assert request.headers["x-api-token"] == TOKEN
    assert TOKEN not in str(request.url)
    assert "api_token" not in str(request.url)
    assert "authorization" not in request.headers
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client._http.headers) and TOKEN not in repr(vars(client))


async def test_for_domain_uses_company_host() -> None:
    client = PipedriveClient.for_domain("Acme.pipedrive.com", TOKEN)
    assert client.base_url == "https://acme.pipedrive.com"
    await client.aclose()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("acme", "acme"),
        (" ACME ", "acme"),
        ("acme.pipedrive.com", "acme"),
        ("https://acme-sandbox.pipedrive.com/deals", "acme-sandbox"),
    ],
)
def test_normalize_domain(text: str, expected: str) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize("text", ["", "acme corp", "-acme", "acme.example.com"])
def test_bad_domain_explains(text: str) -> None:
    with pytest.raises(ValueError, match="company domain"):
        normalize_domain(text)


def test_plain_http_only_on_loopback() -> None:
    assert check_base_url("http://127.0.0.1:8123/") == "http://127.0.0.1:8123"
    with pytest.raises(ValueError, match="unencrypted"):
        check_base_url("http://example.com")


def test_empty_or_odd_token_rejected_without_echo() -> None:
    with pytest.raises(ValueError, match="empty"):
        PipedriveClient("https://acme.pipedrive.com", "  ")
    with pytest.raises(ValueError) as info:
        PipedriveClient("https://acme.pipedrive.com", "abc def-secret")
    assert "secret" not in str(info.value)


ERROR_CASES = [
    (
        401,
        {
            "success": False,
            "error": "unauthorized access",
            "errorCode": 401,
            "error_info": "Please check developers.pipedrive.com",
        },
        AuthError,
        "Settings > Personal preferences > API",
    ),
    (402, {"success": False, "error": "Company account is not open"}, PlanError, "not open"),
    (
        403,
        {
            "success": False,
            "error": "You have reached the deals limit",
            "code": "feature_capping_deals_limit",
        },
        PlanError,
        "You have reached the deals limit",
    ),
    (
        404,
        {"success": False, "error": "Person not found", "code": "ERR_NOT_FOUND"},
        NotFoundError,
        "Person not found",
    ),
    (
        400,
        {
            "success": False,
            "error": "Validation failed: value: Parameter 'value' must be a number.",
            "code": "ERR_SCHEMA_VALIDATION_FAILED",
        },
        ValidationError,
        "must be a number",
    ),
    (
        500,
        {"success": False, "error": "Internal Server Error", "code": "ERR_UNKNOWN"},
        ServerError,
        "internal problem",
    ),
    (503, "<html>maintenance</html>", ServerError, "temporarily unavailable"),
    (410, {"success": False, "error": "Gone"}, UnexpectedResponseError, "no longer offers"),
]


@pytest.mark.parametrize("status, body, error_type, phrase", ERROR_CASES)
async def test_status_maps_to_typed_error(status: int, body: Any, error_type: type, phrase: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": "text/html"})
        return httpx.Response(status, json=body)

    async with make_client(handler, max_attempts=1) as client:
        with pytest.raises(error_type) as info:
            await client.request("POST", "/api/v2/persons", json={"name": "x"})
    error = info.value
    assert isinstance(error, PipedriveError)
    assert error.status == status
    assert phrase in error.user_message
    assert error.call == "POST /api/v2/persons"
    for text in (str(error), repr(error), error.user_message):
        assert TOKEN not in text


async def test_server_text_echoing_the_token_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"success": False, "error": f"bad token {TOKEN} here"})

    async with make_client(handler) as client:
        with pytest.raises(ValidationError) as info:
            await client.request("POST", "/api/v2/deals", json={})
    assert TOKEN not in str(info.value) and TOKEN not in (info.value.pipedrive_message or "")
    assert "***" in info.value.user_message


async def test_html_403_means_blocked_and_pauses() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<html>Cloudflare</html>", headers={"content-type": "text/html"})

    async with make_client(handler) as client:
        with pytest.raises(PlanError) as info:
            await client.request("GET", "/api/v2/persons")
        assert info.value.blocked
        assert "blocked" in info.value.user_message
        assert client.rate_budget.paused_for > 0


async def test_timeout_and_network_down() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async with make_client(slow, max_attempts=1) as client:
        with pytest.raises(TimeoutError_, match="did not answer in time"):
            await client.get_me()
    async with make_client(down, max_attempts=1) as client:
        with pytest.raises(NetworkError, match="Could not reach Pipedrive at acme.pipedrive.com") as info:
            await client.get_me()
    assert info.value.status is None


async def test_429_waits_retry_after_then_succeeds() -> None:
    calls: list[float] = []
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(fake.now)
        if len(calls) == 1:
            return httpx.Response(
                429,
                json={"success": False, "error": "Rate limit"},
                headers={"retry-after": "3", "x-ratelimit-remaining": "0"},
            )
        return ok([{"id": 1}])

    async with make_client(handler, fake) as client:
        envelope = await client.request("GET", "/api/v2/persons")
    assert envelope["data"] == [{"id": 1}]
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 3.0  # waited what Pipedrive asked for
    assert fake.sleeps and max(fake.sleeps) >= 3.0


async def test_429_without_retry_after_backs_off_exponentially() -> None:
    calls: list[float] = []
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(fake.now)
        return httpx.Response(429, json={"success": False, "error": "Rate limit"})

    async with make_client(handler, fake) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/api/v2/deals")
    assert len(calls) == 4
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] < gaps[1] < gaps[2]
    assert "rate limit" in info.value.user_message


async def test_daily_budget_exhausted_is_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            429,
            json={"success": False, "error": "Daily limit"},
            headers={"x-daily-ratelimit-token-remaining": "0"},
        )

    async with make_client(handler) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.get_me()
    assert calls == 1 and info.value.daily
    assert "today's API budget" in info.value.user_message


@pytest.mark.parametrize("failure", ["429", "503", "timeout"])
async def test_writes_are_never_retried(failure: str) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if failure == "429":
            return httpx.Response(429, json={"success": False}, headers={"retry-after": "1"})
        if failure == "503":
            return httpx.Response(503, json={"success": False, "error": "Maintenance"})
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_client(handler) as client:
        with pytest.raises(PipedriveError):
            await client.request("POST", "/api/v2/persons", json={"name": "Ada"})
        with pytest.raises(PipedriveError):
            await client.request("GET", "/api/v2/persons/1", safe_to_retry=False)
    assert calls == 2


async def test_reads_retry_server_errors_then_give_up() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(502, text="Bad gateway")

    async with make_client(handler) as client:
        with pytest.raises(ServerError):
            await client.request("GET", "/api/v2/persons/1")
    assert calls == 4


async def test_v2_cursor_pagination() -> None:
    pages = {None: ([1, 2], "c1"), "c1": ([3, 4], "c2"), "c2": ([5], None)}
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        items, nxt = pages[params.get("cursor")]
        return ok([{"id": i} for i in items], next_cursor=nxt)

    async with make_client(handler) as client:
        items = await client.get_all("/api/v2/personFields")
    assert [i["id"] for i in items] == [1, 2, 3, 4, 5]
    assert all(p["limit"] == "500" for p in seen)
    assert [p.get("cursor") for p in seen] == [None, "c1", "c2"]


async def test_v2_repeated_cursor_stops() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return ok([{"id": calls}], next_cursor="same")

    async with make_client(handler) as client:
        items = await client.get_all("/api/v2/dealFields")
    assert len(items) == 2 and calls == 2


async def test_v1_start_limit_pagination() -> None:
    starts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        starts.append(request.url.params["start"])
        more = start < 4
        return ok(
            [{"id": start + 1}, {"id": start + 2}],
            pagination={
                "start": start,
                "limit": 2,
                "more_items_in_collection": more,
                "next_start": start + 2,
            },
        )

    async with make_client(handler) as client:
        items = await client.get_all("/api/v1/leadFields", page_size=2)
    assert [i["id"] for i in items] == [1, 2, 3, 4, 5, 6]
    assert starts == ["0", "2", "4"]


async def test_budget_follows_ratelimit_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"success": True, "data": ME},
            headers={
                "x-ratelimit-limit": "40",
                "x-ratelimit-remaining": "30",
                "x-ratelimit-reset": "2",
                "x-daily-ratelimit-token-remaining": "59000",
            },
        )

    async with make_client(handler) as client:
        assert client.budget == 18  # default plan (Lite 20) minus the safety margin
        await client.get_me()
        budget = client.rate_budget
    assert budget.burst_limit == 40
    assert client.budget == 28  # server said 30 left; we keep 2 spare
    assert budget.daily_remaining == 59000


async def test_pacer_holds_requests_beyond_the_burst_window() -> None:
    fake = FakeTime()
    pacer = Pacer(burst_limit=5, clock=fake.clock, sleep=fake.sleep)  # 3 per 2 s with the margin
    for _ in range(3):
        await pacer.acquire()
    assert fake.sleeps == []
    await pacer.acquire()
    assert fake.sleeps == [pytest.approx(2.0)]


async def test_search_has_its_own_lower_limit() -> None:
    fake = FakeTime()
    pacer = Pacer(burst_limit=100, clock=fake.clock, sleep=fake.sleep)
    for _ in range(8):
        await pacer.acquire(search=True)
    await pacer.acquire()  # a non-search call is not held by the search window
    assert fake.sleeps == []
    await pacer.acquire(search=True)
    assert fake.sleeps == [pytest.approx(2.0)]


async def test_search_paths_use_search_window() -> None:
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        return ok([])

    async with make_client(handler, fake) as client:
        for _ in range(9):
            await client.request("GET", "/api/v2/itemSearch/field", params={"term": "x", "exact": True})
    assert sum(fake.sleeps) >= 2.0


def test_rolling_window_and_retry_after_parsing() -> None:
    window = RollingWindow(2, 2.0)
    window.record(0.0)
    window.record(0.5)
    assert window.remaining(1.0) == 0 and window.wait_time(1.0) == pytest.approx(1.0)
    assert window.remaining(2.1) == 1
    assert retry_after_seconds({"retry-after": "7"}) == 7
    assert retry_after_seconds({"x-ratelimit-reset": "2"}) == 2
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10
    assert retry_after_seconds({}) is None


async def test_cancelling_a_request_leaves_client_usable() -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/persons/1"):
            started.set()
            await release.wait()
        return ok({"id": 2})

    async with make_client(handler) as client:
        task = asyncio.create_task(client.request("GET", "/api/v2/persons/1"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        envelope = await asyncio.wait_for(client.request("GET", "/api/v2/persons/2"), 5)
    assert envelope["data"] == {"id": 2}


async def test_redirects_are_not_followed() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(301, headers={"location": "https://evil.example/steal"})

    async with make_client(handler) as client:
        with pytest.raises(UnexpectedResponseError, match="redirected to evil.example"):
            await client.get_me()
    assert len(calls) == 1


async def test_non_json_success_is_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>login page</html>")

    async with make_client(handler) as client:
        with pytest.raises(UnexpectedResponseError, match="not Pipedrive API data"):
            await client.get_me()


async def test_params_and_body_encoding() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"id": 1})

    async with make_client(handler) as client:
        await client.request(
            "GET",
            "v2/persons/search",
            params={"term": "a@b.c", "exact_match": True, "fields": ["email", "name"], "cursor": None},
        )
        await client.request("PATCH", "/api/v2/persons/1", json={"name": "Ada", "visible_to": 3})
    params = dict(seen[0].url.params)
    assert seen[0].url.path == "/api/v2/persons/search"
    assert params == {"term": "a@b.c", "exact_match": "true", "fields": "email,name"}
    assert json.loads(seen[1].content) == {"name": "Ada", "visible_to": 3}
    assert seen[1].headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        await client.request("GET", "https://evil.example/api/v2/persons")


async def test_write_timeout_warns_it_may_have_happened() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.WriteTimeout("timed out", request=request)

    async with make_client(slow) as client:
        with pytest.raises(TimeoutError_, match="may have been saved anyway"):
            await client.request("POST", "/api/v1/notes", json={"content": "x"})


async def test_long_retry_after_is_reported_not_waited() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, json={"success": False}, headers={"retry-after": "600"})

    async with make_client(handler) as client:
        with pytest.raises(RateLimitedError, match="wait 600 s") as info:
            await client.get_me()
        assert client.rate_budget.paused_for <= 60  # later calls are not held for ten minutes
    assert calls == 1 and info.value.retry_after == 600


async def test_successful_calls_tell_their_http_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json={"success": True, "data": {"id": 7}})
        if request.method == "DELETE":
            return httpx.Response(204)
        return ok({"id": 1})

    async with make_client(handler) as client:
        created = await client.request_full("POST", "/api/v1/leads", json={"title": "T"})
        assert (created.status, created.envelope["data"]) == (201, {"id": 7})
        assert (await client.request_full("GET", "/api/v2/persons/1")).status == 200
        gone = await client.request_full("DELETE", "/api/v2/deals/1")
        assert (gone.status, gone.envelope["data"]) == (204, None)
        assert (await client.request("GET", "/api/v2/persons/1"))["data"] == {"id": 1}


def test_base_url_may_be_pasted_with_the_api_path() -> None:
    assert check_base_url("https://acme.pipedrive.com/api/v2/") == "https://acme.pipedrive.com"
    assert check_base_url("http://127.0.0.1:8765/api") == "http://127.0.0.1:8765"
    with pytest.raises(ValueError, match="http://127.0.0.1:PORT for the sandbox"):
        check_base_url("localhost:8765")


async def test_unreachable_local_server_suggests_starting_the_sandbox() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed", request=request)

    fake = FakeTime()
    client = PipedriveClient(
        "http://127.0.0.1:8765",
        TOKEN,
        transport=httpx.MockTransport(refused),
        pacer=Pacer(clock=fake.clock, sleep=fake.sleep),
        sleep=fake.sleep,
    )
    async with client:
        with pytest.raises(NetworkError) as exc:
            await client.get_me()
    assert (
        "Is the sandbox running? Start it with `pipedrive-gui sandbox --port 8765`" in exc.value.user_message
    )
