"""Lint time per mapping on the demo project, with a ~32 KB event on screen.

What the window does after each edit: the linter re-runs over the whole project (its 9 samples plus
the 32 KB event on screen) with the account's fields (the sandbox's, as data); compiled mappings and
per-event results of the mappings that did not change come from the cache. For every demo mapping:
edit one of its fields (a new mapping, so nothing of it is cached), re-lint, time it. Reports
p50/p95/max per edited mapping and overall (the bar: p95 < 50 ms), a cold full lint (empty cache),
and, as the baseline measured in the same run, the preview's own payload evaluation of that
mapping on the same 32 KB event.

    .venv/bin/python benchmarks/bench_lint.py [--rounds 60]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import datetime, timezone

from support import TARGET_BYTES, padded, pct  # this folder is on sys.path (run as a script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    from pipedrive_gui.core.lint import LintCache, LintEvent, lint_project, project_events
    from pipedrive_gui.core.payload import compile_action
    from pipedrive_gui.core.project import load_project
    from pipedrive_gui.core.triggers import parse_fql
    from pipedrive_gui.pipedrive.fields import ENTITIES, FieldCatalog, parse_fields
    from pipedrive_gui.pipedrive.lint_fields import field_facts
    from pipedrive_gui.resources import resource_path
    from pipedrive_gui.sandbox.catalog import load_catalog

    seeded = load_catalog()
    catalog = FieldCatalog(
        "sandbox",
        datetime.now(timezone.utc),
        {e: parse_fields(e, [f.to_v2() for f in seeded.fields(e)]) for e in ENTITIES},
    )
    facts = field_facts(catalog)
    project = load_project(resource_path("demo", "demo.pipedrive-map.json"))

    all_times: list[float] = []
    print(
        f"Lint after an edit, demo project ({len(project.mappings)} mappings, {len(project.samples)} samples "
        f"+ a {TARGET_BYTES // 1024} KB event on screen), {args.rounds} edits per mapping:"
    )
    print(f"{'mapping':<58} {'p50':>7} {'p95':>7} {'max':>7}   preview eval p95 (baseline)")
    for m in list(project.mappings):
        sample = next(
            (s.event for s in project.samples if parse_fql(m.trigger).matches(s.event)),
            project.samples[0].event,
        )
        big = padded(sample)
        events = project_events(project, [LintEvent("the event on screen", big, "current")])
        cache = LintCache()
        lint_project(project, events, facts, cache=cache)  # warm, as the window is after the first lint
        key = next(k for k, v in m.settings.items() if isinstance(v, dict) and "@path" in v)
        times, baseline = [], []
        for i in range(args.rounds):
            settings = dict(m.settings)
            settings[key] = {"@path": m.settings[key]["@path"]} if i % 2 else {"@path": "$.context.locale"}
            settings["_round"] = i  # a mapping never seen before: no cache hit for it
            edited = replace(m, settings=settings)
            project.mappings[project.mappings.index(next(x for x in project.mappings if x.id == m.id))] = (
                edited
            )
            t0 = time.perf_counter()
            lint_project(project, events, facts, cache=cache)
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            compile_action(edited.action, edited.settings).run(big)
            baseline.append((time.perf_counter() - t0) * 1000)
        project.mappings[[x.id for x in project.mappings].index(m.id)] = m
        all_times += times
        print(
            f"{m.name[:58]:<58} {statistics.median(times):7.2f} {pct(times, 95):7.2f} {max(times):7.2f}"
            f"   {pct(baseline, 95):6.2f} ms"
        )
    cold = []
    for _ in range(max(5, args.rounds // 6)):
        t0 = time.perf_counter()
        lint_project(
            project,
            project_events(project, [LintEvent("big", padded(project.samples[0].event))]),
            facts,
            cache=LintCache(),
        )
        cold.append((time.perf_counter() - t0) * 1000)
    print(
        f"{'all edits':<58} {statistics.median(all_times):7.2f} {pct(all_times, 95):7.2f} {max(all_times):7.2f}"
    )
    per_mapping_cold = [c / len(project.mappings) for c in cold]
    print(
        f"cold full lint (empty cache): p95 {pct(cold, 95):.2f} ms = {pct(per_mapping_cold, 95):.2f} ms per mapping"
    )
    p95 = pct(all_times, 95)
    print(
        f"lint time per mapping edit, p95: {p95:.2f} ms — {'within' if p95 < 50 else 'OVER'} the 50 ms budget"
    )


if __name__ == "__main__":
    main()
