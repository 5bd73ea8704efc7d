"""Fault injection: 429 + Retry-After, 5xx, slow, dropped connections, abuse block, burst and daily limits."""

from __future__ import annotations

import time

import httpx
import pytest

from pipedrive_gui.sandbox import (
    FaultSettings,
    FaultSpecError,
    RunningSandbox,
    parse_fault_spec,
    start_sandbox,
)


async def test_rate_limit_for_next_n_requests_with_retry_after(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    sandbox.faults.rate_limit(count=2, retry_after=3)
    statuses = []
    for _ in range(3):
        r = await client.get("/api/v1/users/me")
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert r.headers["Retry-After"] == "3" and r.headers["x-ratelimit-remaining"] == "0"
            assert r.json()["success"] is False
    assert statuses == [429, 429, 200]
    assert [rq.fault for rq in sandbox.state.requests] == ["rate_limit", "rate_limit", None]


async def test_daily_budget_429_and_without_retry_after(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    sandbox.faults.rate_limit(count=1, retry_after=None, daily=True)
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 429 and "Retry-After" not in r.headers
    assert r.headers["x-daily-ratelimit-token-remaining"] == "0"


async def test_real_daily_budget_runs_out(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.daily_budget = 25  # two v2 lists (10 each) fit, the third does not
    assert (await client.get("/api/v2/persons")).status_code == 200
    assert (await client.get("/api/v2/deals")).headers["x-daily-ratelimit-token-remaining"] == "5"
    r = await client.get("/api/v2/organizations")
    assert r.status_code == 429 and r.headers["x-daily-ratelimit-token-remaining"] == "0"
    # Retry-After: until the daily reset (midnight; the sandbox's clock, UTC).
    assert 1 <= int(r.headers["Retry-After"]) <= 24 * 3600
    assert (await client.get("/api/v2/persons/101")).status_code == 200  # a single GET (1 token) still fits


def test_daily_retry_after_counts_to_midnight_utc() -> None:
    from datetime import datetime, timezone

    from pipedrive_gui.sandbox.app import _seconds_to_midnight

    assert _seconds_to_midnight(datetime(2026, 11, 30, 23, 59, 30, tzinfo=timezone.utc)) == 30
    assert _seconds_to_midnight(datetime(2026, 11, 30, 0, 0, 0, tzinfo=timezone.utc)) == 24 * 3600


async def test_burst_limit_enforced_only_when_asked(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    sandbox.faults.search_burst_limit = 3
    params = {
        "term": "user-1001",
        "entity_type": "person",
        "field": "52d19da55d7099e586a31be618830bcd5c239d54",
    }
    codes = [(await client.get("/api/v2/itemSearch/field", params=params)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 200]
    sandbox.faults.enforce_burst = True
    sandbox.faults.burst_limit = 2
    codes = [(await client.get("/api/v1/users/me")).status_code for _ in range(4)]
    assert codes[-1] == 429 and codes.count(429) >= 1
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 429 and r.headers["x-ratelimit-remaining"] == "0"
    # Every 429 says when to come back: Retry-After = the rest of the 2 s window.
    assert r.headers["Retry-After"] == r.headers["x-ratelimit-reset"] and int(r.headers["Retry-After"]) in (
        1,
        2,
    )


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_then_recovery(
    sandbox: RunningSandbox, client: httpx.AsyncClient, status: int
) -> None:
    sandbox.faults.server_error(count=1, status=status, path="/api/v2/persons*")
    assert (await client.get("/api/v1/users/me")).status_code == 200  # other paths untouched
    r = await client.post("/api/v2/persons", json={"name": "Retry Me"})
    assert r.status_code == status and r.json() == {
        "success": False,
        "error": r.json()["error"],
        "code": "ERR_UNKNOWN",
    }
    assert not sandbox.state.find("person", name="Retry Me")  # the failed write did not happen
    assert (await client.post("/api/v2/persons", json={"name": "Retry Me"})).status_code == 200


async def test_method_filter_and_fraction(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.server_error(count=None, method="PATCH")
    assert (await client.get("/api/v2/persons/101")).status_code == 200
    assert (await client.patch("/api/v2/persons/101", json={"name": "X"})).status_code == 500
    sandbox.faults.clear()
    sandbox.faults.reseed(7)
    sandbox.faults.rate_limit(count=None, rate=0.5)
    codes = [(await client.get("/api/v2/persons/101")).status_code for _ in range(40)]
    assert 5 <= codes.count(429) <= 35 and codes.count(200) >= 5


async def test_slow_responses(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.slow(300, count=1)
    start = time.perf_counter()
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 200 and time.perf_counter() - start >= 0.28
    with pytest.raises(httpx.ReadTimeout):
        sandbox.faults.slow(500, count=1)  # (the sandbox still finishes it when stopping)
        await client.get("/api/v1/users/me", timeout=0.2)


async def test_dropped_connection_then_recovery(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.drop(count=1, path="/api/v2/*")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/api/v2/persons", json={"name": "Dropped"})
    assert not sandbox.state.find("person", name="Dropped")
    assert sandbox.state.requests[-1].fault == "drop"
    assert (await client.get("/api/v2/persons/101")).status_code == 200


async def test_drop_after_the_write_happened(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.drop(count=1, method="POST", after=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/api/v2/persons", json={"name": "Landed Anyway"})
    assert len(sandbox.state.find("person", name="Landed Anyway")) == 1  # the answer was lost, not the write
    assert (sandbox.state.requests[-1].fault, sandbox.state.requests[-1].status) == ("drop_after", 200)
    assert parse_fault_spec("drop:after=true,method=POST").after is True


async def test_server_error_after_the_write_happened(
    sandbox: RunningSandbox, client: httpx.AsyncClient
) -> None:
    """A gateway 503 on a write Pipedrive did make: the record exists, the client is told 503."""
    sandbox.faults.add("503", method="POST", path="/api/v2/persons", after=True)  # every POST
    for _ in range(2):
        r = await client.post("/api/v2/persons", json={"name": "Landed Twice"})
        assert r.status_code == 503 and r.json() == {
            "success": False,
            "error": "Service Unavailable",
            "code": "ERR_UNKNOWN",
        }
    assert len(sandbox.state.find("person", name="Landed Twice")) == 2
    assert [(q.fault, q.status) for q in sandbox.state.requests] == [("server_error_after", 503)] * 2
    assert (await client.get("/api/v2/persons/101")).status_code == 200  # GETs are not matched
    rule = parse_fault_spec("503:after=true,method=POST")
    assert (rule.kind, rule.status, rule.after) == ("server_error", 503, True)
    with pytest.raises(FaultSpecError, match="after=true only applies"):
        parse_fault_spec("429:after=true")


async def test_abuse_block_is_html_403(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.add("abuse_block", count=1)
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")


async def test_faults_over_http_control_endpoint(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/__sandbox/faults",
        json={"rules": [{"kind": "503", "count": 1}, {"kind": "429", "count": 1, "retry_after": 2}]},
    )
    assert r.status_code == 200 and len(r.json()["rules"]) == 2
    assert (await client.get("/api/v1/users/me")).status_code == 503
    r = await client.get("/api/v1/users/me")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert (await client.get("/api/v1/users/me")).status_code == 200
    assert (await client.get("/__sandbox/faults")).json()["rules"][0]["fired"] == 1
    bad = await client.post("/__sandbox/faults", json={"rules": [{"kind": "explode"}]})
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    for bad_body in (
        {"rules": [{"kind": "slow", "delay_ms": "5"}]},
        {"rules": [{"kind": "drop", "path": 5}]},
        {"search_lag_s": "x"},
        {"enforce_burst": 1},
        {"rules": [{"kind": "drop", "colour": 1}]},
    ):
        assert (await client.post("/__sandbox/faults", json=bad_body)).status_code == 400, bad_body
    assert sandbox.faults.search_lag_s == 0 and sandbox.faults.enforce_burst is False
    await client.post("/__sandbox/faults", json={"search_lag_s": 5})
    assert sandbox.faults.search_lag_s == 5 and len(sandbox.faults.rules) == 2  # rules kept
    assert (await client.delete("/__sandbox/faults")).json()["rules"] == []


def test_fault_spec_parsing() -> None:
    rule = parse_fault_spec("429:count=3,retry-after=2,path=/api/v2/*")
    assert (rule.kind, rule.count, rule.retry_after, rule.path) == ("rate_limit", 3, 2.0, "/api/v2/*")
    assert parse_fault_spec("503:rate=0.2").status == 503
    assert parse_fault_spec("slow:delay_ms=800").delay_ms == 800
    assert parse_fault_spec("rate_limit:daily=true,retry_after=none").retry_after is None
    for bad in ("bogus", "slow", "429:count=x", "429:colour=red", "server_error:status=404", "drop:rate=2"):
        with pytest.raises(FaultSpecError):
            parse_fault_spec(bad)


async def test_faults_given_at_start() -> None:
    sb = await start_sandbox(faults=["500:count=1"])
    try:
        async with httpx.AsyncClient(base_url=sb.base_url, headers={"x-api-token": sb.token}) as c:
            assert (await c.get("/api/v1/users/me")).status_code == 500
            assert (await c.get("/api/v1/users/me")).status_code == 200
    finally:
        await sb.stop()
    settings = FaultSettings()
    settings.rate_limit(count=1)
    sb = await start_sandbox(faults=settings)
    try:
        assert sb.faults is settings
    finally:
        await sb.stop()


async def test_pipedrive_json_refusals_on_demand(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    """``error`` faults: the 4xx answers Pipedrive gives (bad data, token, billing, permission, not
    found), as JSON envelopes, for chosen paths and methods only."""
    for spec, status in (
        ("400", 400),
        ("401", 401),
        ("402", 402),
        ("json403", 403),
        ("404", 404),
        ("error:status=422", 422),
    ):
        sandbox.faults.rules[:] = [
            parse_fault_spec(spec + ("," if ":" in spec else ":") + "method=POST,count=1")
        ]
        assert (await client.get("/api/v1/users/me")).status_code == 200  # GETs untouched
        r = await client.post("/api/v2/persons", json={"name": "Refused"})
        body = r.json()
        assert r.status_code == status and body["success"] is False and body["error"], spec
    assert not sandbox.state.find("person", name="Refused")
    r = await client.post("/__sandbox/faults", json={"rules": [{"kind": "402", "count": 1}]})
    assert r.json()["rules"][0]["status"] == 402 and (await client.get("/api/v1/users/me")).status_code == 402
    with pytest.raises(FaultSpecError, match="4xx or 5xx"):
        parse_fault_spec("error:status=302")
