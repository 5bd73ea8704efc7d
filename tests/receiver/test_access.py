"""Secure by default: web pages only from allowed origins (no credentialed CORS), Host names the
receiver serves only (DNS rebinding), Private Network Access preflights only for allowed origins.

A plain ``text/plain`` POST from a web page needs no preflight, so refusing it in the browser is not
enough: the receiver itself must refuse it and journal nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import aiohttp
import pytest

from pipedrive_gui.receiver import Receiver, ReceiverSettings, ReceiverStartError
from pipedrive_gui.receiver.access import HostPolicy, OriginPolicy, normalize_origin, normalize_origins
from tests.receiver.conftest import WRITE_KEY

SITE = "http://localhost:3000"  # the page the user allowed
EVIL = "https://evil.example"


@pytest.fixture
async def guarded(data_dir: Path) -> AsyncIterator[Receiver]:
    r = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY, allowed_origins=(SITE + "/",)))
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


def analytics_js_body(**extra: object) -> str:
    """What analytics.js posts: the event with ``writeKey`` inside, as text/plain."""
    return json.dumps({"type": "track", "event": "Signed Up", "userId": "u1", "writeKey": WRITE_KEY, **extra})


def from_page(
    s: aiohttp.ClientSession, r: Receiver, origin: str, **extra: object
) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
    """The request analytics.js on the page at ``origin`` makes: ``analytics_js_body(**extra)`` posted
    to /v1/t as text/plain (a simple request: the browser sends it without a preflight)."""
    return s.post(
        r.url + "/v1/t",
        data=analytics_js_body(**extra),
        headers={"Origin": origin, "Content-Type": "text/plain"},
    )


async def journaled(r: Receiver) -> int:
    return (await r.query()).total


async def test_an_allowed_page_posts_text_plain_with_the_key_in_the_body(guarded: Receiver) -> None:
    async with aiohttp.ClientSession() as s:
        async with from_page(s, guarded, SITE) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == SITE
            assert "Access-Control-Allow-Credentials" not in resp.headers
            assert "Origin" in resp.headers["Vary"]
        # A wrong key is refused, and the page may read why.
        async with from_page(s, guarded, SITE, writeKey="guess") as resp:
            assert resp.status == 401 and (await resp.json())["code"] == "invalid_write_key"
            assert resp.headers["Access-Control-Allow-Origin"] == SITE
    assert await journaled(guarded) == 1


@pytest.mark.parametrize(
    "origin", [EVIL, "http://localhost:3001", "https://localhost:3000", "null", "garbage"]
)
async def test_a_page_from_another_origin_is_refused_and_nothing_is_journaled(
    guarded: Receiver, origin: str
) -> None:
    async with aiohttp.ClientSession() as s:
        async with from_page(s, guarded, origin) as resp:
            assert resp.status == 403
            body = await resp.json()
            assert body["code"] == "origin_not_allowed" and "--allow-origin" in body["message"]
            assert "Access-Control-Allow-Origin" not in resp.headers
            assert "Access-Control-Allow-Credentials" not in resp.headers
    assert await journaled(guarded) == 0
    assert guarded.stats().rejected == {"origin_not_allowed": 1}


async def test_without_allowed_origins_every_browser_request_is_refused(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as s:
        async with from_page(s, receiver, SITE) as resp:
            assert resp.status == 403
        # Programs send no Origin and are unaffected.
        async with s.post(receiver.url + "/v1/t", data=analytics_js_body()) as resp:
            assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers
    assert await journaled(receiver) == 1


async def test_preflights_and_private_network_access_only_for_allowed_origins(guarded: Receiver) -> None:
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true",
    }
    async with aiohttp.ClientSession() as s:
        async with s.options(guarded.url + "/v1/batch", headers={**pre, "Origin": SITE}) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == SITE
            assert resp.headers["Access-Control-Allow-Private-Network"] == "true"
            assert "POST" in resp.headers["Access-Control-Allow-Methods"]
            assert resp.headers["Access-Control-Allow-Headers"] == "content-type"
            assert "Access-Control-Allow-Credentials" not in resp.headers
        async with s.options(
            guarded.url + "/v1/t", headers={"Origin": SITE, "Access-Control-Request-Method": "POST"}
        ) as resp:
            assert resp.status == 204 and "Access-Control-Allow-Private-Network" not in resp.headers
        async with s.options(guarded.url + "/v1/batch", headers={**pre, "Origin": EVIL}) as resp:
            assert resp.status == 403
            assert not {
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Private-Network",
                "Access-Control-Allow-Methods",
            } & set(resp.headers)


async def test_allowed_origins_can_change_while_running(guarded: Receiver) -> None:
    guarded.set_allowed_origins(["https://Shop.Example:443"])
    assert guarded.allowed_origins == ("https://shop.example",)
    async with aiohttp.ClientSession() as s:
        for origin, status in ((SITE, 403), ("https://shop.example", 200)):
            async with s.post(
                guarded.url + "/v1/t", data=analytics_js_body(), headers={"Origin": origin}
            ) as resp:
                assert resp.status == status, origin
    with pytest.raises(ValueError, match="no path"):
        guarded.set_allowed_origins(["https://shop.example/checkout"])


async def test_a_malformed_allowed_origin_stops_the_start_with_a_clear_message(data_dir: Path) -> None:
    r = Receiver(data_dir, ReceiverSettings(allowed_origins=("localhost:3000",)))
    with pytest.raises(ReceiverStartError, match="http://localhost:3000"):
        await r.start()


async def test_host_names_other_than_the_receivers_are_refused(guarded: Receiver) -> None:
    port = guarded.port
    async with aiohttp.ClientSession() as s:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
            async with s.post(
                guarded.url + "/v1/t", data=analytics_js_body(), headers={"Host": host}
            ) as resp:
                assert resp.status == 200, host
        # DNS rebinding: a name the attacker controls now resolves to 127.0.0.1; its page is then
        # "same-origin" and sends Host: rebind.evil.example:PORT.
        for host in (
            f"rebind.evil.example:{port}",
            f"127.0.0.1:{port + 1}",
            "127.0.0.1",
            f"evil@127.0.0.1:{port}",
            f"192.168.1.20:{port}",
            "",
        ):
            for method, path in (("POST", "/v1/t"), ("GET", "/health"), ("OPTIONS", "/v1/t")):
                async with s.request(
                    method, guarded.url + path, data=analytics_js_body(), headers={"Host": host}
                ) as resp:
                    assert resp.status == 403, (host, method)
                    assert (await resp.json())["code"] == "host_not_allowed"
    assert await journaled(guarded) == 4


def test_origins_are_compared_the_way_browsers_send_them() -> None:
    assert normalize_origin(" HTTP://LocalHost:3000/ ") == "http://localhost:3000"
    assert normalize_origin("https://example.com:443") == "https://example.com"
    assert normalize_origin("http://example.com:8080") == "http://example.com:8080"
    assert normalize_origin("http://[::1]:5173") == "http://[::1]:5173"
    assert normalize_origins(["http://a.test", "http://A.test/", "http://b.test"]) == (
        "http://a.test",
        "http://b.test",
    )
    for bad in (
        "localhost:3000",
        "ftp://example.com",
        "http://example.com/path",
        "http://example.com?x",
        "http://user@example.com",
        "null",
        "*",
        "",
        "http://example.com:99999",
    ):
        with pytest.raises(ValueError):
            normalize_origin(bad)
    policy = OriginPolicy(["http://localhost:3000"])
    assert policy.allows("http://localhost:3000") and not policy.allows("http://localhost:3000.evil.example")


def test_listening_on_all_interfaces_accepts_ip_addresses_and_this_machines_name() -> None:
    import socket

    wide = HostPolicy("0.0.0.0", 8787)
    assert wide.allows("192.168.1.20:8787") and wide.allows(f"{socket.gethostname()}:8787")
    assert not wide.allows("rebind.evil.example:8787") and not wide.allows("192.168.1.20:8788")
    bound = HostPolicy("192.168.1.20", 8787)
    assert bound.allows("192.168.1.20:8787") and bound.allows("localhost:8787")
    assert not bound.allows("192.168.1.21:8787")
    assert HostPolicy("127.0.0.1", 80).allows("localhost") and HostPolicy("127.0.0.1", 80).allows(None)
