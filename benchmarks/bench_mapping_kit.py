"""Mapping-kit throughput: our compiled evaluator vs Segment's Node implementation.

Run: ``.venv/bin/python benchmarks/bench_mapping_kit.py [--seconds 3]``

Both sides resolve the default mappings of the six Pipedrive actions over the same
events (every event through every mapping) for about the same wall time, each
measuring only its own loop; Node runs Segment's ``transform`` from the oracle's
install folder. Prints events/s for both and the ratio (ours / Segment's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipedrive_gui.core.mapping_kit import compile_mapping, transform  # noqa: E402

SLUGS = (
    "createUpdatePerson",
    "createUpdateOrganization",
    "createUpdateDeal",
    "createUpdateLead",
    "createUpdateActivity",
    "createUpdateNote",
)
PAYLOAD_CASES = ROOT / "tests" / "conformance" / "data" / "pipedrive-payload.jsonl"
# Where the oracle's run.sh installs Segment's packages.
ORACLE_HOME = Path(
    os.environ.get("SEGMENT_ORACLE_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "segment-oracle"
)

NODE_SCRIPT = r"""
const fs = require('fs');
const { createRequire } = require('module');
// Resolve Segment's packages from the oracle's install folder (argv[3]).
const requireFromOracle = createRequire(require('path').join(process.argv[3], 'package.json'));
const { transform } = requireFromOracle('@segment/actions-core/mapping-kit');
const { mappings, events, seconds } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let sink = 0;
function round() {
  for (const event of events) for (const m of mappings) { const r = transform(m, event); if (r) sink++; }
}
for (let i = 0; i < 50; i++) round();  // warm-up (JIT)
let rounds = 0;
const start = process.hrtime.bigint();
const budget = BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() - start < budget) { round(); rounds++; }
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ rounds, elapsed, sink }));
"""


def default_mappings() -> list[dict[str, Any]]:
    try:
        from pipedrive_gui.core.actions import default_settings
    except ImportError:
        default_settings = None
    if default_settings is not None:
        return [default_settings(slug) for slug in SLUGS]
    # Fall back to the default mappings spelled out in the payload conformance cases.
    found: dict[str, dict[str, Any]] = {}
    for line in PAYLOAD_CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if "default mapping" in case["id"]:
            found.setdefault(case["action"], case["mapping"])
    return [found[slug] for slug in SLUGS if slug in found]


# Mappings a user might write on top of the defaults: every directive family once.
RICH_MAPPINGS: list[dict[str, Any]] = [
    {
        "name": {"@template": "{{traits.first_name}} {{traits.last_name}}"},
        "email": {"@case": {"operator": "lower", "value": {"@path": "$.traits.email"}}},
        "phone": {"@replace": {"pattern": " ", "replacement": "", "value": {"@path": "$.traits.phone"}}},
        "plan": {
            "@if": {"exists": {"@path": "$.traits.plan"}, "then": {"@path": "$.traits.plan"}, "else": "free"}
        },
        "custom": {
            "@merge": {"direction": "right", "objects": [{"@path": "$.traits"}, {"source": "segment"}]}
        },
    },
    {
        "title": {"@liquid": "{{ properties.title | default: event | upcase }}"},
        "items": {
            "@arrayPath": [
                "$.properties.products",
                {"sku": {"@path": "$.sku"}, "qty": {"@path": "$.quantity"}},
            ]
        },
        "flat": {"@flatten": {"value": {"@path": "$.context"}, "separator": "."}},
        "raw": {"@json": {"mode": "encode", "value": {"@path": "$.properties"}}},
        "clean": {"@excludeWhenNull": {"@path": "$.traits"}},
    },
]


def sample_events(corpus: bool = False) -> list[dict[str, Any]]:
    events_dir = ROOT / "resources" / "events"
    files = sorted(events_dir.glob("*.json")) if events_dir.is_dir() else []
    events: list[dict[str, Any]] = []
    corpus_file = events_dir / "corpus.jsonl"
    if corpus and corpus_file.is_file():
        events.extend(
            json.loads(line) for line in corpus_file.read_text(encoding="utf-8").splitlines() if line.strip()
        )
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                events.append(
                    item.get("event", item) if "event" in item and isinstance(item["event"], dict) else item
                )
    if not events:
        for line in PAYLOAD_CASES.read_text(encoding="utf-8").splitlines():
            event = json.loads(line).get("event")
            if isinstance(event, dict):
                events.append(event)
    return events


def oracle_install() -> Path | None:
    for candidate in sorted(ORACLE_HOME.glob("*/node_modules/@segment/actions-core")):
        return candidate.parent.parent.parent
    return None


def bench_python(mappings: list[Any], events: list[Any], seconds: float) -> tuple[float, float]:
    compiled = [compile_mapping(m) for m in mappings]
    for event in events:  # same answers as transform, checked before timing
        for m, c in zip(mappings, compiled, strict=True):
            assert c.evaluate(event) == transform(m, event)
    rounds = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for event in events:
            for c in compiled:
                c.evaluate(event)
        rounds += 1
    elapsed = time.perf_counter() - start
    return rounds * len(events) / elapsed, rounds * len(events) * len(mappings) / elapsed


def bench_node(mappings: list[Any], events: list[Any], seconds: float) -> tuple[float, float] | None:
    install = oracle_install()
    if shutil.which("node") is None or install is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "input.json"
        data.write_text(
            json.dumps({"mappings": mappings, "events": events, "seconds": seconds}), encoding="utf-8"
        )
        script = Path(tmp) / "bench_mapping_kit.cjs"
        script.write_text(NODE_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            ["node", str(script), str(data), str(install)],
            cwd=install,
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds * 10 + 60,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    per_round = len(events)
    return result["rounds"] * per_round / result["elapsed"], result["rounds"] * per_round * len(
        mappings
    ) / result["elapsed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed run per implementation")
    parser.add_argument("--corpus", action="store_true", help="also use resources/events/corpus.jsonl")
    parser.add_argument(
        "--rich", action="store_true", help="user-style mappings using every directive family"
    )
    args = parser.parse_args()
    mappings = RICH_MAPPINGS if args.rich else default_mappings()
    events = sample_events(args.corpus)
    kind = "rich" if args.rich else "default"
    print(f"{len(mappings)} {kind} mappings x {len(events)} events, {args.seconds:.1f} s each side")
    ours, ours_evals = bench_python(mappings, events, args.seconds)
    print(f"python compiled : {ours:12,.0f} events/s ({ours_evals:,.0f} mapping evaluations/s)")
    node = bench_node(mappings, events, args.seconds)
    if node is None:
        print("segment (node)  : skipped (node or the oracle install is missing)")
        return 0
    theirs, theirs_evals = node
    print(f"segment (node)  : {theirs:12,.0f} events/s ({theirs_evals:,.0f} mapping evaluations/s)")
    print(f"ratio           : {ours / theirs:.2f}x (python / node)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
