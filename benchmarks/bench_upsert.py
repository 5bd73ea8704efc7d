"""API calls and rate-limit tokens per event: this app's upsert engine vs Segment's algorithm.

Run: ``.venv/bin/python benchmarks/bench_upsert.py [--limit N] [--plan lite]``

Replays the bundled corpus (``resources/events/corpus.jsonl``) through the demo project's mappings
(triggers → Segment payload → ``UpsertEngine.run(..., "send")``) against the offline sandbox over
loopback, with the sandbox enforcing the plan's burst limits (Lite: 20 requests / 2 s, search 10 /
2 s) and the client pacing itself for the same plan.

Baseline, computed by counting on the same payloads: Segment's destination searches every match
value (the record and each associated person / organization / deal) on every event
(``itemSearch/field``) and then writes once, unless it refuses the event. Its tokens are priced
as it actually calls (API v1: search 40, write 10) and, for a like-for-like view, at v2 prices.

Targets: at most half of Segment's calls, and no 429 answer at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
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
from pipedrive_gui.pipedrive.pacing import PLAN_BURST_LIMITS, SEARCH_BURST_LIMIT, Pacer  # noqa: E402
from pipedrive_gui.pipedrive.planner import ACTIONS  # noqa: E402
from pipedrive_gui.sandbox import start_sandbox  # noqa: E402
from pipedrive_gui.sandbox.ratelimit import token_cost  # noqa: E402

CORPUS = ROOT / "resources" / "events" / "corpus.jsonl"
DEMO = ROOT / "resources" / "demo" / "demo.pipedrive-map.json"


def segment_calls(action: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The calls Segment's destination makes for one payload (its perform(), counted)."""
    spec = ACTIONS[action]
    calls: list[tuple[str, str]] = []
    values = [payload.get(f"{role}_match_value") for role in spec.associations]
    if spec.match_prefix is not None:
        values.append(payload.get(f"{spec.match_prefix}match_value"))
    # getId() returns at once for an empty term; every other value costs a search.
    calls += [("GET", "/api/v1/itemSearch/field") for v in values if v]
    refuses = False
    if action in ("createUpdateDeal", "createUpdateLead", "createUpdateNote"):
        # It refuses when no link was found; counting assumes every searched link exists, which
        # favours Segment (a refused event would save it the write).
        has_id = bool(payload.get("lead_id") if action == "createUpdateLead" else payload.get("note_id"))
        links = [payload.get("person_match_value"), payload.get("organization_match_value")]
        if action == "createUpdateNote":
            links += [payload.get("deal_match_value"), payload.get("lead_id")]
        if action == "createUpdateDeal":
            has_id = bool(payload.get("deal_match_value"))
        refuses = not has_id and not any(links)
    if not refuses:
        entity = {
            "createUpdatePerson": "persons",
            "createUpdateOrganization": "organizations",
            "createUpdateDeal": "deals",
            "createUpdateActivity": "activities",
            "createUpdateLead": "leads",
            "createUpdateNote": "notes",
        }[action]
        calls.append(("POST", f"/api/v1/{entity}"))
    return calls


def v2_price(method: str, path: str) -> int:
    return (
        token_cost(method, path.replace("/api/v1/", "/api/v2/"))
        if "itemSearch" in path or path.split("/")[3] in ("persons", "organizations", "deals", "activities")
        else token_cost(method, path)
    )


async def run(limit: int | None, plan: str) -> dict[str, Any]:
    project = load_project(DEMO)
    events = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    if limit:
        events = events[:limit]
    mappings = [
        (m, parse_fql(m.trigger), compile_action(m.action, m.settings)) for m in project.mappings if m.enabled
    ]

    sandbox = await start_sandbox(seed=True)
    sandbox.faults.enforce_burst = True
    sandbox.faults.burst_limit = PLAN_BURST_LIMITS[plan]
    sandbox.faults.search_burst_limit = SEARCH_BURST_LIMIT
    sandbox.faults.daily_budget = 10**9
    outcomes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    seg_calls = seg_tokens_v1 = seg_tokens_v2 = runs = fired_events = 0
    try:
        async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Pacer.for_plan(plan)) as client:
            catalog = await fetch_catalog(client, domain="sandbox")
            me = await client.get_me()
            engine = UpsertEngine(
                client,
                catalog,
                project.destination,
                default_currency=str(me.get("default_currency") or "") or None,
            )
            sandbox.state.clear_requests()
            started = time.perf_counter()
            for event in events:
                fired = False
                for mapping, trigger, compiled in mappings:
                    if not trigger.matches(event):
                        continue
                    result = compiled.run(event)
                    if not result.ok or result.payload is None:
                        outcomes["payload rejected (as Segment would)"] += 1
                        continue
                    fired = True
                    runs += 1
                    for method, path in segment_calls(mapping.action, result.payload):
                        seg_calls += 1
                        seg_tokens_v1 += token_cost(method, path)
                        seg_tokens_v2 += v2_price(method, path)
                    upsert = await engine.run(mapping.action, result.payload, "send")
                    outcomes[upsert.outcome] += 1
                    if upsert.outcome == "fail":
                        failures[upsert.message[:110]] += 1
                fired_events += fired
            elapsed = time.perf_counter() - started
    finally:
        requests = list(sandbox.state.requests)
        await sandbox.stop()
    ours = len(requests)
    return {
        "events": len(events),
        "events_that_fire": fired_events,
        "action_runs": runs,
        "ours": {
            "calls": ours,
            "tokens": sum(token_cost(r.method, r.path) for r in requests),
            "searches": sum(1 for r in requests if "search" in r.path.lower()),
            "http_429": sum(1 for r in requests if r.status == 429),
        },
        "segment": {"calls": seg_calls, "tokens_v1": seg_tokens_v1, "tokens_v2": seg_tokens_v2},
        "outcomes": dict(outcomes),
        "failures": dict(failures.most_common(5)),
        "cache": {"hits": engine.cache.stats.hits, "misses": engine.cache.stats.misses},
        "seconds": round(elapsed, 1),
        "plan": plan,
    }


def report(r: dict[str, Any]) -> None:
    runs = max(1, r["action_runs"])  # one per firing event with the demo mappings
    ours, seg = r["ours"], r["segment"]
    print(
        f"Corpus: {r['events']} events, {r['events_that_fire']} fire a mapping, {r['action_runs']} action runs "
        f"(plan {r['plan']}: burst {PLAN_BURST_LIMITS[r['plan']]}/2 s, search {SEARCH_BURST_LIMIT}/2 s enforced)"
    )
    print(f"{'':28}{'API calls':>10}{'/run':>9}{'tokens':>9}{'/run':>9}   (run = one mapping on one event)")
    print(
        f"{'this engine (v2)':28}{ours['calls']:>10}{ours['calls'] / runs:>9.2f}{ours['tokens']:>9}"
        f"{ours['tokens'] / runs:>9.1f}"
    )
    print(
        f"{'Segment, as it calls (v1)':28}{seg['calls']:>10}{seg['calls'] / runs:>9.2f}{seg['tokens_v1']:>9}"
        f"{seg['tokens_v1'] / runs:>9.1f}"
    )
    print(
        f"{'Segment algorithm, v2 prices':28}{seg['calls']:>10}{seg['calls'] / runs:>9.2f}{seg['tokens_v2']:>9}"
        f"{seg['tokens_v2'] / runs:>9.1f}"
    )
    ratio = ours["calls"] / max(1, seg["calls"])
    print(
        f"calls vs Segment: {ratio:.2f} (target <= 0.50: {'met' if ratio <= 0.5 else 'NOT met'}); "
        f"tokens vs Segment at v2 prices: {ours['tokens'] / max(1, seg['tokens_v2']):.2f}"
    )
    print(
        f"HTTP 429 answers: {ours['http_429']} (target 0: {'met' if ours['http_429'] == 0 else 'NOT met'}); "
        f"searches: {ours['searches']}; lookup cache hits/misses: {r['cache']['hits']}/{r['cache']['misses']}"
    )
    print(f"outcomes: {r['outcomes']}; wall time {r['seconds']} s")
    for message, count in r["failures"].items():
        print(f"  fail x{count}: {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N corpus events")
    parser.add_argument("--plan", choices=sorted(PLAN_BURST_LIMITS), default="lite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = asyncio.run(run(args.limit, args.plan))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    ok = result["ours"]["calls"] <= result["segment"]["calls"] / 2 and result["ours"]["http_429"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
