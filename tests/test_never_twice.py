"""Never twice, end to end: no duplicate records from retries, search lag or separate runs.

Against the sandbox with 3 s of search lag and a 503 answered *after* every person and
organization create was stored (``503:after=true``):

- separate ``pipedrive-gui send`` processes (real subprocesses): the same new person twice in a
  row, two at the same moment, and a few others;
- then 200 events posted over loopback HTTP to the live receiver (same data folder, so the same
  ledger), many about the same people and companies.

Every match value must end up as exactly one record. The re-check windows are shortened through
``PIPEDRIVE_GUI_CONFIRM_WINDOW`` / ``PIPEDRIVE_GUI_CLAIM_WAIT`` (their timing is covered with a fake
clock in tests/pipedrive/test_engine_never_twice.py), so this stays a few seconds long.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipedrive_gui.core.project import load_project
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.pipedrive.ledger import CREATED, Ledger
from pipedrive_gui.receiver import JournalQuery, Receiver, ReceiverSettings
from pipedrive_gui.receiver.setup import PipedriveTarget, open_processor
from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from tests.receiver.conftest import WRITE_KEY, eventually

DEMO = resource_path("demo", "demo.pipedrive-map.json")
SEG_USER = "52d19da55d7099e586a31be618830bcd5c239d54"  # the demo's person match field (Segment user ID)
SEG_GROUP = "d4dfe30411effdb15017a7c96e7721cb9adbfa72"  # the demo's organization match field
WINDOWS = {"PIPEDRIVE_GUI_CONFIRM_WINDOW": "0.4", "PIPEDRIVE_GUI_CLAIM_WAIT": "20"}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    sb.faults.search_lag_s = 3.0
    for path in ("/api/v2/persons", "/api/v2/organizations"):
        sb.faults.add("503", method="POST", path=path, after=True)  # every create lands, then a 503
    # Pacing is not what is tested here: let the client learn a generous burst limit.
    sb.faults.burst_limit = sb.faults.search_burst_limit = 5000
    try:
        yield sb
    finally:
        await sb.stop()


async def send(sandbox: RunningSandbox, data_dir: Path, event: dict[str, Any]) -> dict[str, Any]:
    """``pipedrive-gui send --json DEMO EVENT`` in its own process."""
    path = data_dir / f"event-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(event))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env.update(PIPEDRIVE_API_TOKEN=sandbox.token, PIPEDRIVE_DOMAIN="sandbox", **WINDOWS)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pipedrive_gui",
        "--data-dir",
        str(data_dir),
        "--base-url",
        sandbox.base_url,
        "send",
        "--json",
        str(DEMO),
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode() + err.decode()
    (result,) = json.loads(out)["results"]
    return dict(result)


def identify(user: str, name: str) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "traits": {"name": name}}


def records(sandbox: RunningSandbox, entity: str, field: str, value: str) -> int:
    return len(sandbox.state.find(entity, **{field: value}))


async def test_no_duplicates_from_separate_sends_and_the_live_receiver(
    sandbox: RunningSandbox, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.perf_counter()
    # -- separate CLI processes ------------------------------------------------------------------
    first = await send(sandbox, data_dir, identify("cli-1", "Ada One"))
    again = await send(sandbox, data_dir, identify("cli-1", "Ada One (again)"))  # seconds later: search lags
    assert (first["outcome"], again["outcome"], again["record_id"]) == (
        "create",
        "update",
        first["record_id"],
    )
    assert "it was created once" in first["message"]
    together = await asyncio.gather(
        send(sandbox, data_dir, identify("cli-2", "Bo Two")),
        send(sandbox, data_dir, identify("cli-2", "Bo Two")),
    )
    assert sorted(r["outcome"] for r in together) == ["create", "update"]
    for user in ("cli-3", "cli-4"):
        assert (await send(sandbox, data_dir, identify(user, f"Person {user}")))["outcome"] == "create"
    cli_seconds = time.perf_counter() - started
    for user in ("cli-1", "cli-2", "cli-3", "cli-4"):
        assert records(sandbox, "person", SEG_USER, user) == 1, user

    # -- 200 events through the live receiver, same data folder (same ledger) --------------------
    for name, value in WINDOWS.items():
        monkeypatch.setenv(name, value)
    ledger = Ledger.in_data_dir(AppPaths.resolve(data_dir).data)
    handle = await open_processor(
        load_project(DEMO),
        mode="send",
        ledger=ledger,
        target=PipedriveTarget(sandbox.base_url, sandbox.token),
    )
    receiver = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY), processor=handle.processor)
    users = [f"cli-{i}" for i in range(1, 5)] + [f"live-{i}" for i in range(26)]
    events: list[dict[str, Any]] = []
    for i in range(160):
        user = users[i % len(users)]
        events.append(dict(identify(user, f"Person {user} v{i}"), messageId=f"id-{i}"))
    for i in range(40):
        group = f"grp-{i % 8}"
        events.append(
            {
                "type": "group",
                "userId": users[i % len(users)],
                "groupId": group,
                "traits": {"name": f"Company {group}"},
                "messageId": f"grp-{i}",
            }
        )
    await receiver.start()
    live_started = time.perf_counter()
    try:
        async with httpx.AsyncClient(base_url=receiver.url, auth=(WRITE_KEY, "")) as http:
            for chunk in range(0, len(events), 50):
                r = await http.post("/v1/batch", json={"batch": events[chunk : chunk + 50]})
                assert r.status_code == 200, r.text

        async def outcomes() -> dict[str, str]:
            page = await receiver.query(JournalQuery(limit=1000))
            return {row.message_id: row.outcome for row in page.rows}

        got = await eventually(
            outcomes, lambda o: len(o) == 200 and set(o.values()) <= {"delivered", "failed"}, deadline=60
        )
    finally:
        await receiver.stop()
        await handle.close()
    live_seconds = time.perf_counter() - live_started
    assert set(got.values()) == {"delivered"}, {k: v for k, v in got.items() if v != "delivered"}

    duplicates = sum(records(sandbox, "person", SEG_USER, u) - 1 for u in users)
    duplicates += sum(records(sandbox, "organization", SEG_GROUP, f"grp-{i}") - 1 for i in range(8))
    lost_answers = sum(1 for r in sandbox.state.requests if r.fault == "server_error_after")
    assert duplicates == 0
    assert lost_answers == len(users) + 8  # every create got a 503, and each was created once
    created = [e for e in ledger.entries() if e.state == CREATED]
    assert len(created) == len(users) + 8
    assert {e.source for e in created} == {"cli_send", "receiver"}
    assert {e.test for e in created if e.source == "receiver"} == {False}  # not asked to track them
    print(
        f"\nCLI: 6 send processes in {cli_seconds:.1f} s; receiver: 200 events in {live_seconds:.1f} s; "
        f"{lost_answers} creates answered 503 after storing; duplicates: {duplicates}"
    )


async def test_receiver_lists_live_creates_as_test_records_when_asked(data_dir: Path) -> None:
    from pipedrive_gui.cli import build_parser

    parser, _ = build_parser()
    args = parser.parse_args(["receive", str(DEMO), "--live", "--track-test-records"])
    assert args.track_test_records is True
    sb = await start_sandbox()
    ledger = Ledger.in_data_dir(AppPaths.resolve(data_dir).data)
    handle = await open_processor(
        load_project(DEMO),
        mode="send",
        ledger=ledger,
        track_test_records=True,
        target=PipedriveTarget(sb.base_url, sb.token),
    )
    receiver = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY), processor=handle.processor)
    await receiver.start()
    try:
        async with httpx.AsyncClient(base_url=receiver.url, auth=(WRITE_KEY, "")) as http:
            r = await http.post(
                "/v1/identify",
                json={"userId": "tracked-1", "traits": {"name": "Tracked"}, "messageId": "t-1"},
            )
            assert r.status_code == 200, r.text
        await eventually(
            lambda: receiver.detail("t-1"), lambda d: d is not None and d.row.outcome == "delivered"
        )
    finally:
        await receiver.stop()
        await handle.close()
        await sb.stop()
    [entry] = ledger.entries(test_only=True)
    assert (entry.entity, entry.source, entry.name) == ("person", "receiver", "Tracked")
    assert entry.mapping == "People from Identify (matched by Segment user ID)"
