"""Real Segment clients → receiver → mappings → upsert engine → the Pipedrive sandbox.

analytics-python (always) and @segment/analytics-node (when node and npm are present) deliver
identify/group/track/page calls and a batch; every event must land in the journal with the
outcome a user expects, in dry run (nothing written) and live (records appear in the sandbox).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import segment.analytics as segment

from pipedrive_gui.core.project import Mapping, Project
from pipedrive_gui.receiver import JournalQuery, Receiver, ReceiverSettings
from pipedrive_gui.receiver.setup import PipedriveTarget, ProcessorHandle, open_processor
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from tests.receiver.conftest import WRITE_KEY, eventually, person_by_email
from tests.timing import shorten_client_retries

PROJECT = Project(
    name="receiver test",
    mappings=[
        person_by_email(),
        Mapping(
            id="org",
            name="Companies",
            action="createUpdateOrganization",
            trigger='type = "group"',
            settings={
                "match_field": "name",
                "match_value": {"@path": "$.traits.name"},
                "name": {"@path": "$.traits.name"},
            },
        ),
        Mapping(
            id="deal",
            name="Deals",
            action="createUpdateDeal",
            trigger='type = "track" and event = "Deal Upserted"',
            settings={
                "title": {"@path": "$.properties.title"},
                "person_match_field": "email",
                "person_match_value": {"@path": "$.properties.email"},
                "value": {"@path": "$.properties.value"},
                "currency": {"@path": "$.properties.currency"},
            },
        ),
    ],
)

ADA = "ada@example.com"  # seeded in the sandbox as person #101


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    try:
        yield sb
    finally:
        await sb.stop()


async def running(data_dir: Path, sandbox: RunningSandbox, mode: str) -> tuple[Receiver, ProcessorHandle]:
    handle = await open_processor(PROJECT, mode=mode, target=PipedriveTarget(sandbox.base_url, sandbox.token))
    receiver = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY), processor=handle.processor)
    await receiver.start()
    return receiver, handle


def send_with_analytics_python(url: str, tag: str) -> None:
    """One call per endpoint (sync mode), then a gzip'd batch (queue + flush)."""
    client = segment.Client(write_key=WRITE_KEY, host=url, sync_mode=True, max_retries=0)
    client.identify(
        "u-new", {"email": f"new-{tag}@example.com", "name": "New Person"}, message_id=f"{tag}-identify"
    )
    client.identify("u-ada", {"email": ADA, "name": "Ada Lovelace"}, message_id=f"{tag}-identify-ada")
    client.group("u-ada", f"g-{tag}", {"name": f"Org {tag}"}, message_id=f"{tag}-group")
    client.track(
        "u-ada",
        "Deal Upserted",
        {"title": f"Deal {tag}", "email": ADA, "value": 1200, "currency": "EUR"},
        message_id=f"{tag}-deal",
    )
    client.page("u-ada", name="Pricing", properties={"path": "/pricing"}, message_id=f"{tag}-page")
    # upload_interval: how long the consumer thread waits for more events before it uploads a batch
    # (0.5 s by default, waited again when join() stops it).
    batcher = segment.Client(
        write_key=WRITE_KEY, host=url, gzip=True, upload_size=50, upload_interval=0.05, max_retries=0
    )
    for i in range(5):
        batcher.track("u-ada", "Viewed Item", {"i": i}, message_id=f"{tag}-batch-{i}")
    batcher.identify(
        "u-batch",
        {"email": f"batch-{tag}@example.com", "name": "Batch Person"},
        message_id=f"{tag}-batch-identify",
    )
    batcher.flush()
    batcher.join()


async def journal_outcomes(r: Receiver) -> dict[str, str]:
    page = await r.query(JournalQuery(limit=1000))
    return {row.message_id: row.outcome for row in page.rows}


def settled(expected: int):
    return lambda o: len(o) == expected and not {"pending", "retrying"} & set(o.values())


async def test_analytics_python_dry_run_writes_nothing(data_dir: Path, sandbox: RunningSandbox) -> None:
    persons_before = len(sandbox.state.records("person"))
    receiver, handle = await running(data_dir, sandbox, "dry_run")
    try:
        await asyncio.to_thread(send_with_analytics_python, receiver.url, "dry")
        got = await eventually(lambda: journal_outcomes(receiver), settled(11), deadline=30)
        assert got == {
            "dry-identify": "planned",
            "dry-identify-ada": "planned",
            "dry-group": "planned",
            "dry-deal": "planned",
            "dry-page": "skipped",
            **{f"dry-batch-{i}": "skipped" for i in range(5)},
            "dry-batch-identify": "planned",
        }
        ada = await receiver.detail("dry-identify-ada")
        assert ada is not None
        [fired] = [d for d in ada.deliveries if d.get("fired")]
        assert fired["mapping"] == "People" and fired["outcome"] == "update" and fired["record_id"] == 101
        assert fired["payload"]["email"] and fired["mode"] == "dry_run"
        assert all(c.get("method") == "GET" for c in fired.get("calls", []) if c.get("sent"))
        new = await receiver.detail("dry-identify")
        assert new is not None and [d["outcome"] for d in new.deliveries if d.get("fired")] == ["create"]
        assert len(sandbox.state.records("person")) == persons_before  # a dry run writes nothing
        page = await receiver.detail("dry-page")
        assert page is not None and not any(d.get("fired") for d in page.deliveries)
        reasons = handle.processor.explain(page.event)  # what the GUI shows for mappings that did not fire
        assert set(reasons) == {"person", "org", "deal"} and all(reasons.values())
    finally:
        await receiver.stop()
        await handle.close()


async def test_analytics_python_live_then_replays_make_no_duplicates(
    data_dir: Path, sandbox: RunningSandbox
) -> None:
    receiver, handle = await running(data_dir, sandbox, "send")
    try:
        await asyncio.to_thread(send_with_analytics_python, receiver.url, "live")
        got = await eventually(lambda: journal_outcomes(receiver), settled(11), deadline=30)
        assert {k: v for k, v in got.items() if v != "skipped"} == {
            "live-identify": "delivered",
            "live-identify-ada": "delivered",
            "live-group": "delivered",
            "live-deal": "delivered",
            "live-batch-identify": "delivered",
        }
        assert len(sandbox.state.find("person", name="New Person")) == 1
        assert len(sandbox.state.find("organization", name="Org live")) == 1
        assert len(sandbox.state.find("deal", title="Deal live")) == 1
        assert sandbox.state.find("deal", title="Deal live")[0]["person_id"] == 101

        # Replaying (e.g. after editing a mapping) does not send again what was delivered...
        writes_before = len([r for r in sandbox.state.requests if r.method in ("POST", "PATCH")])
        marked = await receiver.replay(["live-deal", "live-identify"])
        assert len(marked) == 2
        await eventually(
            lambda: receiver.detail("live-deal"), lambda d: d is not None and d.row.dispatches == 2
        )
        await eventually(
            lambda: receiver.detail("live-identify"), lambda d: d is not None and d.row.dispatches == 2
        )
        deal = await receiver.detail("live-deal")
        assert deal is not None and deal.row.outcome == "delivered"
        assert [d["outcome"] for d in deal.deliveries if d.get("fired")] == ["already_delivered"]
        assert len([r for r in sandbox.state.requests if r.method in ("POST", "PATCH")]) == writes_before
        assert len(sandbox.state.find("deal", title="Deal live")) == 1

        # ...unless forced: the person is matched by email and updated, not duplicated.
        await receiver.replay(["live-identify"], force=True)
        await eventually(
            lambda: receiver.detail("live-identify"), lambda d: d is not None and d.row.dispatches == 3
        )
        person = await receiver.detail("live-identify")
        assert person is not None and [d["outcome"] for d in person.deliveries if d.get("fired")] == [
            "update"
        ]
        assert len(sandbox.state.find("person", name="New Person")) == 1
    finally:
        await receiver.stop()
        await handle.close()


async def test_rate_limits_and_server_errors_are_retried(
    data_dir: Path, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipedrive_gui.receiver import RetryPolicy

    shorten_client_retries(monkeypatch)  # the client's own read retries: the same attempts, less waiting
    handle = await open_processor(
        PROJECT, mode="send", target=PipedriveTarget(sandbox.base_url, sandbox.token)
    )
    retry = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2)
    receiver = Receiver(
        data_dir, ReceiverSettings(write_key=WRITE_KEY), processor=handle.processor, retry=retry
    )
    # More 503s than the client and engine retry on their own (4 reads): the dispatcher must try
    # again later. (6, not more: 7 searches stay within the pacer's search window, no 2 s wait.)
    sandbox.faults.add("503", count=6, path="/api/v2/organizations*")
    await receiver.start()
    try:
        await asyncio.to_thread(
            lambda: segment.Client(
                write_key=WRITE_KEY, host=receiver.url, sync_mode=True, max_retries=0
            ).group("u", "g-flaky", {"name": "Flaky Org"}, message_id="flaky-group")
        )
        detail = await eventually(
            lambda: receiver.detail("flaky-group"),
            lambda d: d is not None and d.row.outcome in ("delivered", "failed"),
            deadline=30,
        )
        assert detail is not None
        assert detail.row.attempts >= 2  # retried by the dispatcher, after the engine's own tries
        assert detail.row.outcome == "delivered"
        assert len(sandbox.state.find("organization", name="Flaky Org")) == 1
    finally:
        await receiver.stop()
        await handle.close()


# -- @segment/analytics-node -------------------------------------------------------------------------

NODE_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pipedrive-gui-tests" / "analytics-node"
)


def _analytics_node() -> Path | None:
    """The package folder that `make node-deps` installs (tests themselves never reach a registry)."""
    if not shutil.which("node"):
        return None
    pkg = NODE_CACHE / "node_modules" / "@segment" / "analytics-node"
    return NODE_CACHE if pkg.exists() else None


NODE_SCRIPT = """
const { Analytics } = require('@segment/analytics-node')
const [host, key, tag] = process.argv.slice(1)
const analytics = new Analytics({ writeKey: key, host, flushAt: 4, flushInterval: 200, maxRetries: 1 })
analytics.on('error', (err) => { console.error('analytics error', err); process.exitCode = 1 })
analytics.identify({ userId: 'n1', messageId: `${tag}-identify`, traits: { email: `${tag}@example.com`, name: 'Node Person' } })
analytics.group({ userId: 'n1', groupId: 'g-node', messageId: `${tag}-group`, traits: { name: 'Node Org' } })
analytics.track({ userId: 'n1', event: 'Deal Upserted', messageId: `${tag}-deal`,
                  properties: { title: 'Node deal', email: 'ada@example.com', value: 10, currency: 'EUR' } })
analytics.page({ userId: 'n1', name: 'Home', messageId: `${tag}-page` })
analytics.track({ anonymousId: 'anon-1', event: 'Viewed', messageId: `${tag}-anon` })
analytics.closeAndFlush({ timeout: 10000 }).then(() => console.log('flushed'))
"""


async def test_analytics_node_live(data_dir: Path, sandbox: RunningSandbox) -> None:
    prefix = await asyncio.to_thread(_analytics_node)
    if prefix is None:
        pytest.skip("node or @segment/analytics-node missing: `make node-deps` installs it")
    receiver, handle = await running(data_dir, sandbox, "send")
    try:
        proc = await asyncio.create_subprocess_exec(
            "node",
            "-e",
            NODE_SCRIPT,
            receiver.url,
            WRITE_KEY,
            "node",
            cwd=str(prefix),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "NODE_PATH": str(prefix / "node_modules")},
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        got = await eventually(lambda: journal_outcomes(receiver), settled(5), deadline=30)
        assert got == {
            "node-identify": "delivered",
            "node-group": "delivered",
            "node-deal": "delivered",
            "node-page": "skipped",
            "node-anon": "skipped",
        }
        assert len(sandbox.state.find("person", name="Node Person")) == 1
        detail = await receiver.detail("node-identify")
        assert detail is not None and detail.event["context"]["library"]["name"] == "@segment/analytics-node"
    finally:
        await receiver.stop()
        await handle.close()
