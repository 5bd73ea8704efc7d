"""analytics.js in a real browser: Segment's ``@segment/analytics-next`` (from npm, bundled here with
esbuild, no CDN) runs the receiver panel's own analytics.js snippet in headless Chromium (Debian's
``chromium``, driven by ``playwright-core``) on pages served from loopback.

The page on the allowed origin sends identify, group, page and track; each is journaled and
dispatched live to the offline Pipedrive sandbox with the outcome a user expects. The same page on
an origin the user did not allow is refused by the receiver: nothing from it is journaled.
``make node-deps`` installs the npm packages (versions pinned in tests/browser/package.json) into a
cache folder outside the repository; the test itself never leaves this computer.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from pipedrive_gui.core.project import load_project
from pipedrive_gui.receiver import JournalQuery, Receiver, ReceiverSettings
from pipedrive_gui.receiver.setup import PipedriveTarget, open_processor
from pipedrive_gui.receiver.snippets import browser_snippet
from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from tests.receiver.conftest import eventually

HERE = Path(__file__).resolve().parent
BROWSER_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pipedrive-gui-tests" / "browser"
)
CHROMIUM = Path(os.environ.get("PIPEDRIVE_GUI_CHROMIUM", "/usr/bin/chromium"))
PACKAGES = ("@segment/analytics-next", "playwright-core", "esbuild")
WRITE_KEY = "browser-test-key"
SENDS = ["/v1/i", "/v1/g", "/v1/p", "/v1/t"]  # analytics.js's short paths: identify, group, page, track


def missing_tools() -> str | None:
    """Why this test cannot run here, or None."""
    if not shutil.which("node"):
        return "node is missing (Debian: apt-get install nodejs npm)"
    if not CHROMIUM.exists():
        return f"Chromium is missing at {CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)"
    absent = [p for p in PACKAGES if not (BROWSER_CACHE / "node_modules" / p / "package.json").exists()]
    if absent:
        return f"{', '.join(absent)} not installed in {BROWSER_CACHE}: `make node-deps` installs them"
    return None


def page_html(title: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<script src='/snippet.js'></script></head><body><h1>Shop</h1></body></html>"
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    try:
        yield sb
    finally:
        await sb.stop()


async def node(*args: str, timeout: float) -> str:
    proc = await asyncio.create_subprocess_exec(
        "node",
        *args,
        cwd=str(HERE),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(BROWSER_CACHE / "node_modules")},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode(errors="replace")
    return out.decode()


async def bundle(snippet_code: str, workdir: Path) -> bytes:
    """The snippet exactly as the receiver panel shows it, bundled with analytics-next for the browser."""
    entry = workdir / "snippet.js"
    entry.write_text(snippet_code, encoding="utf-8")
    out = workdir / "bundle.js"
    await node("bundle.cjs", str(entry), str(out), timeout=60)
    return out.read_bytes()


async def test_analytics_js_in_chromium_sends_from_allowed_pages_only(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    why = missing_tools()
    if why:
        pytest.skip(why)
    data_dir = tmp_path / "data"
    script: dict[str, bytes] = {}

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page_html(request.host), content_type="text/html")

    async def snippet_js(request: web.Request) -> web.Response:
        return web.Response(body=script["js"], content_type="text/javascript")

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/snippet.js", snippet_js)
    pages = web.AppRunner(app, access_log=None)
    await pages.setup()
    sites = [web.TCPSite(pages, "127.0.0.1", 0) for _ in range(2)]
    for site in sites:
        await site.start()
    allowed, other = (f"http://127.0.0.1:{address[1]}" for address in pages.addresses)

    project = load_project(resource_path("demo", "demo.pipedrive-map.json"))
    handle = await open_processor(
        project, mode="send", target=PipedriveTarget(sandbox.base_url, sandbox.token)
    )
    receiver = Receiver(
        data_dir,
        ReceiverSettings(write_key=WRITE_KEY, allowed_origins=(allowed,)),
        processor=handle.processor,
    )
    await receiver.start()
    try:
        script["js"] = await bundle(browser_snippet(receiver.url, WRITE_KEY).code, tmp_path)
        config = {
            "chromium": str(CHROMIUM),
            "receiver": receiver.url,
            "timeoutMs": 15000,
            "pages": [{"url": other + "/", "expect": SENDS}, {"url": allowed + "/", "expect": SENDS}],
        }
        report = json.loads(await node("drive.cjs", json.dumps(config), timeout=60))
        refused, sent = report["pages"]
        assert report["outside"] == []  # no CDN, no api.segment.io

        # The page on an origin nobody allowed: the receiver refused every send, nothing journaled.
        assert refused["missing"] == [], refused
        assert {s["path"] for s in refused["sends"]} == set(SENDS)
        assert all(s["status"] in (403, None) for s in refused["sends"]), refused["sends"]
        assert receiver.stats().rejected.get("origin_not_allowed", 0) >= len(SENDS)

        # The allowed page: every send answered 200 and readable by the page (CORS), no retries.
        assert sent["missing"] == [] and sent["errors"] == [], sent
        assert sorted(s["path"] for s in sent["sends"]) == sorted(SENDS), sent["sends"]
        assert all(s["status"] == 200 and s["failure"] is None for s in sent["sends"]), sent["sends"]
        assert not [c for c in sent["console"] if c.startswith("error")], sent["console"]

        async def outcomes() -> dict[str, Any]:
            rows = (await receiver.query(JournalQuery(limit=100))).rows
            return {r.message_id: (r.type, r.name, r.outcome) for r in rows}

        got = await eventually(
            outcomes,
            lambda o: len(o) == 4 and not any(v[2] in ("pending", "retrying") for v in o.values()),
            deadline=20,
        )
        assert set(got) == {s["messageId"] for s in sent["sends"]}  # nothing of the refused page
        assert sorted(got.values()) == sorted(
            [
                ("group", None, "delivered"),
                ("identify", None, "delivered"),
                ("page", None, "skipped"),
                ("track", "Deal Upserted", "delivered"),
            ]
        ), got
        detail = await receiver.detail(next(m for m, v in got.items() if v[0] == "identify"))
        assert detail is not None
        assert detail.event["context"]["library"]["name"] == "analytics.js"
        assert detail.event["traits"]["email"] == "maria.gonzalez@acme-robotics.example"
        assert "writeKey" not in detail.event
        assert len(sandbox.state.find("person", name="Maria Gonzalez")) == 1
    finally:
        await receiver.stop()
        await handle.close()
        await pages.cleanup()
