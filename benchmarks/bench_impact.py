"""Impact-run throughput against the offline sandbox: limits off (events/s) and on (lookups/s vs the limit).

Run: ``.venv/bin/python benchmarks/bench_impact.py [--limit N] [--plan lite]``

Runs the bundled corpus (``resources/events/corpus.jsonl``, 1,100 events) through the demo
project with ``pipedrive.impact.run_impact`` over loopback, twice, each on a fresh sandbox:

1. **limits off**: the sandbox does not enforce burst limits and the client's pacer ignores the
   rate-limit headers: how fast the impact machinery itself goes (events per second, with the
   time split into preparing, looking up and simulating);
2. **limits on**: the sandbox enforces the plan's burst limits (``enforce_burst``: Lite 20
   requests / 2 s, search 10 / 2 s on every plan) and the client paces itself as in the app: the
   distinct lookups per second achieved, against the search limit (5/s), and the number of 429s
   (target 0).

Baseline, measured in the same run: the same events sent one by one with ``UpsertEngine.run(...,
"send")`` (limits off) — what the impact run predicts without doing it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipedrive_gui.core.payload import compile_action  # noqa: E402
from pipedrive_gui.core.project import load_project  # noqa: E402
from pipedrive_gui.core.triggers import parse_fql  # noqa: E402
from pipedrive_gui.pipedrive.client import PipedriveClient  # noqa: E402
from pipedrive_gui.pipedrive.engine import UpsertEngine  # noqa: E402
from pipedrive_gui.pipedrive.fields import fetch_catalog  # noqa: E402
from pipedrive_gui.pipedrive.impact import run_impact  # noqa: E402
from pipedrive_gui.pipedrive.pacing import PLAN_BURST_LIMITS, SEARCH_BURST_LIMIT, WINDOW_SECONDS, Pacer  # noqa: E402
from pipedrive_gui.sandbox import start_sandbox  # noqa: E402

CORPUS = ROOT / "resources" / "events" / "corpus.jsonl"
DEMO = ROOT / "resources" / "demo" / "demo.pipedrive-map.json"


class Unpaced(Pacer):
    """Limits off on the client's side too: the sandbox's headers are ignored."""

    def __init__(self) -> None:
        super().__init__(burst_limit=10**6, search_limit=10**6)

    def observe(self, headers: Mapping[str, str], *, search: bool = False) -> None:
        return None


async def impact_once(events: list[dict[str, Any]], *, limits: bool, plan: str) -> dict[str, Any]:
    project = load_project(DEMO)
    sandbox = await start_sandbox(seed=True)
    sandbox.faults.enforce_burst = limits
    sandbox.faults.burst_limit = PLAN_BURST_LIMITS[plan]
    sandbox.faults.search_burst_limit = SEARCH_BURST_LIMIT
    sandbox.faults.daily_budget = 10**9
    phases: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last[1]:
            phases[str(last[1])] = phases.get(str(last[1]), 0.0) + now - float(last[0])
        last[0], last[1] = now, phase

    try:
        pacer = Pacer.for_plan(plan) if limits else Unpaced()
        async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=pacer) as client:
            catalog = await fetch_catalog(client, domain="sandbox")
            await asyncio.sleep(WINDOW_SECONDS)  # the fields calls leave the burst window
            sandbox.state.clear_requests()
            started = time.perf_counter()
            result = await run_impact(client, catalog, project, events, progress=progress)
            elapsed = time.perf_counter() - started
            progress("end", 0, 0)
    finally:
        requests = list(sandbox.state.requests)
        await sandbox.stop()
    report = result.report
    return {
        "events": len(events),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(events) / elapsed, 1),
        "lookups": report.lookups,
        "lookups_per_s": round(result.lookups_per_second, 2),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "requests": len(requests),
        "http_429": sum(1 for r in requests if r.status == 429),
        "writes": sum(1 for r in requests if r.method != "GET"),
        "counts": {s.mapping: [s.update, s.create, s.fail, s.not_triggered] for s in report.summaries},
    }


async def send_once(events: list[dict[str, Any]]) -> dict[str, Any]:
    project = load_project(DEMO)
    sandbox = await start_sandbox(seed=True)
    try:
        async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
            catalog = await fetch_catalog(client, domain="sandbox")
            engine = UpsertEngine(client, catalog, project.destination)
            mappings = [
                (m, parse_fql(m.trigger), compile_action(m.action, m.settings))
                for m in project.mappings
                if m.enabled
            ]
            started = time.perf_counter()
            for event in events:
                for m, trigger, action in mappings:
                    if trigger.matches(event):
                        payload = action.run(event)
                        if payload.ok and payload.payload is not None:
                            await engine.run(m.action, payload.payload, "send")
            elapsed = time.perf_counter() - started
    finally:
        await sandbox.stop()
    return {"seconds": round(elapsed, 2), "events_per_s": round(len(events) / elapsed, 1)}


def report(off: dict[str, Any], on: dict[str, Any], send: dict[str, Any], plan: str) -> None:
    limit = SEARCH_BURST_LIMIT / WINDOW_SECONDS
    print(
        f"Impact over {off['events']} corpus events, demo project ({off['lookups']} distinct lookups; "
        f"{off['writes'] + on['writes']} writes)"
    )
    print(
        f"  limits off: {off['seconds']:>7.2f} s  {off['events_per_s']:>8.1f} events/s   "
        f"phases {off['phases_s']}"
    )
    print(
        f"  baseline, the same events sent one by one (limits off): {send['seconds']:.2f} s, "
        f"{send['events_per_s']:.1f} events/s"
    )
    print(
        f"  limits on ({plan}: {PLAN_BURST_LIMITS[plan]} req / 2 s, search {SEARCH_BURST_LIMIT} / 2 s enforced): "
        f"{on['seconds']:.2f} s, {on['events_per_s']:.1f} events/s"
    )
    print(
        f"  distinct lookups per second with limits on: {on['lookups_per_s']:.2f} vs the search limit "
        f"{limit:.1f}/s ({on['lookups_per_s'] / limit:.0%}; the client keeps 2 of every 10 slots free)"
    )
    print(
        f"  HTTP 429 answers with limits on: {on['http_429']} (target 0: {'met' if on['http_429'] == 0 else 'NOT met'})"
    )
    same = off["counts"] == on["counts"]
    print(f"  same counts with limits on and off: {'yes' if same else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N corpus events")
    parser.add_argument("--plan", choices=sorted(PLAN_BURST_LIMITS), default="lite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    events = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        events = events[: args.limit]
    off = asyncio.run(impact_once(events, limits=False, plan=args.plan))
    send = asyncio.run(send_once(events))
    on = asyncio.run(impact_once(events, limits=True, plan=args.plan))
    if args.json:
        print(json.dumps({"limits_off": off, "limits_on": on, "send_baseline": send}, indent=2))
    else:
        report(off, on, send, args.plan)
    return 0 if on["http_429"] == 0 and off["counts"] == on["counts"] and not on["writes"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
