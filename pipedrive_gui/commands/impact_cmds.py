"""``pipedrive-gui impact PROJECT EVENTS``: what a set of events would do, found out read-only.

EVENTS is one of:

- a JSON Lines file (one Segment event per line; lines of ``journal-export`` — ``{"event": {...}}`` —
  work too), or ``-`` for stdin;
- ``corpus``: the bundled 1,100-event corpus (``resources/events/corpus.jsonl``);
- ``journal``: the events in the local receiver's journal, oldest first, narrowed with
  ``--outcome`` / ``--type`` / ``--search`` (the ``journal`` command's filters).

For each enabled mapping it prints how many events would update, create, fail (with the top
reasons) or not trigger it; the records the batch itself creates and then reaches again (where
Segment's parallel delivery makes duplicates); the Pipedrive API calls and tokens sending them
would cost, and the share of the daily token budget at ``--per-day`` events a day. Only lookups are
made (each distinct match value once, paced within Pipedrive's limits); nothing is written.

``--compare OTHER_PROJECT`` runs the same events through OTHER_PROJECT too (the "before", e.g. the
saved version) and lists the events whose outcome changes from it to PROJECT.

``--json`` prints one JSON object: ``mappings`` is a summary object per mapping (``mapping``,
``update``, ``create``, ``fail``, ``not_triggered``, ``fail_reasons``, ``api_calls``, ``tokens``
...), plus ``batch_records``, ``budget`` and, with ``--compare``, ``before`` and ``changes``.

Exit codes: 0 the run finished; 1 it could not (a file, the journal, Pipedrive's daily budget);
2 a wrong command line; 3 no usable keyring; 4 Pipedrive refused the connection or could not be
reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipedrive_gui.commands.common import CliError

EXIT_FAILED = 1
EXIT_INPUT = 2
PLANS = ("lite", "growth", "premium", "ultimate")
DEFAULT_PER_DAY = 1000
SHOWN = 10


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "impact",
        help="what a set of events would do to Pipedrive, per mapping (read-only)",
        description="Runs EVENTS through the project's mappings with read-only lookups: per mapping, how many "
        "would update, create, fail or not trigger; records the batch creates twice; the API calls and tokens "
        "it would cost.",
        epilog="EVENTS: a .jsonl file (or - for stdin), 'corpus' (the bundled 1,100 events) or 'journal' (the "
        "local receiver's events; narrow with --outcome/--type/--search). Exit codes: 0 done; 1 the run could "
        "not finish; 2 a wrong command line; 3 no usable keyring; 4 Pipedrive refused or could not be reached.",
    )
    p.add_argument("project", metavar="PROJECT", help="the project file (*.pipedrive-map.json)")
    p.add_argument("events", metavar="EVENTS", help="a JSON Lines file, -, 'corpus' or 'journal'")
    p.add_argument(
        "--compare",
        metavar="OTHER_PROJECT",
        help="also run OTHER_PROJECT (the 'before') and list the events whose outcome changes",
    )
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--csv", metavar="FILE", help="also write one row per event and mapping to FILE")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N events")
    p.add_argument(
        "--plan",
        choices=PLANS,
        help="the Pipedrive plan for the budget (default: told by Pipedrive's rate limit, else growth)",
    )
    p.add_argument(
        "--seats", type=int, default=1, metavar="N", help="paid seats (the budget grows with them)"
    )
    p.add_argument(
        "--per-day",
        type=int,
        default=DEFAULT_PER_DAY,
        metavar="N",
        help=f"events a day, for the share of the daily budget (default {DEFAULT_PER_DAY})",
    )
    j = p.add_argument_group("with EVENTS = journal")
    j.add_argument(
        "--outcome",
        action="append",
        metavar="OUTCOME",
        help="only events with this journal outcome (delivered, failed, planned, ...; repeatable)",
    )
    j.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="TYPE",
        help="only this event type (identify, track, ...; repeatable)",
    )
    j.add_argument("--search", default="", metavar="TEXT", help="only events whose body contains TEXT")
    p.set_defaults(func=cmd_impact)


# -- events ------------------------------------------------------------------------------------------


def _unwrap(item: Any) -> dict[str, Any] | None:
    if isinstance(item, dict) and "type" not in item and isinstance(item.get("event"), dict):
        item = item["event"]  # a journal-export line, or a bundled-sample-style object
    return item if isinstance(item, dict) else None


def parse_jsonl(text: str, shown: str) -> list[dict[str, Any]]:
    """Events of a JSON Lines text (blank lines skipped); a CliError names the first bad line."""
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"{shown}, line {n}, is not valid JSON: {exc.msg} (column {exc.colno}). "
                "Expected one Segment event per line (JSON Lines)."
            ) from None
        event = _unwrap(item)
        if event is None:
            raise CliError(
                f"{shown}, line {n}, is not an event (a JSON object with a type, traits/properties...)."
            )
        events.append(event)
    return events


def corpus_events() -> list[dict[str, Any]]:
    from pipedrive_gui.resources import resource_path

    return parse_jsonl(resource_path("events", "corpus.jsonl").read_text(encoding="utf-8"), "the corpus")


def journal_events(
    path: Path,
    *,
    outcomes: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    text: str = "",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The receiver journal's events (oldest first) that a :class:`JournalQuery` with these filters
    selects. Read through the journal's own export, so its storage is its business."""
    from pipedrive_gui.receiver import Journal, JournalError, JournalQuery

    if not path.exists():
        raise CliError(f"No journal yet at {path}: start a receiver with `pipedrive-gui receive PROJECT`.")
    journal = Journal(path)
    try:
        journal.open_sync()
        with tempfile.TemporaryDirectory(prefix="pipedrive-gui-impact-") as tmp:
            out = Path(tmp) / "events.jsonl"
            journal.export_jsonl_sync(out, JournalQuery(outcomes=outcomes, types=types, text=text))
            with out.open(encoding="utf-8") as f:
                events = []
                for line in f:
                    event = _unwrap(json.loads(line))
                    if event is not None:
                        events.append(event)
                    if limit is not None and len(events) >= limit:
                        break
    except JournalError as exc:
        raise CliError(exc.message) from exc
    finally:
        journal.close_sync()
    return events


def read_events(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str]:
    source = args.events
    limit = args.limit if args.limit and args.limit > 0 else None
    if source == "corpus":
        events, shown = corpus_events(), "the bundled corpus"
    elif source == "journal":
        from pipedrive_gui.commands.receiver_cmds import _journal_path

        events = journal_events(
            _journal_path(args),
            outcomes=tuple(args.outcome or ()),
            types=tuple(args.types or ()),
            text=args.search or "",
            limit=limit,
        )
        shown = "the receiver's journal"
    elif source == "-":
        events, shown = parse_jsonl(sys.stdin.read(), "stdin"), "stdin"
    else:
        path = Path(source)
        if path.is_dir():
            raise CliError(f"{source} is a folder: name a JSON Lines file (one event per line).", EXIT_INPUT)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CliError(
                f"Events file not found: {source} (or use 'corpus' or 'journal').", EXIT_INPUT
            ) from None
        except UnicodeDecodeError:
            raise CliError(f"{source} is not a text file (JSON Lines in UTF-8 expected).") from None
        except OSError as exc:
            raise CliError(f"Could not read {source}: {exc.strerror or exc}") from None
        events, shown = parse_jsonl(text, source), source
    if source != "journal" and (args.outcome or args.types or args.search):
        raise CliError("--outcome, --type and --search only apply to EVENTS = journal.", EXIT_INPUT)
    if limit is not None:
        events = events[:limit]
    return events, shown


# -- the command -------------------------------------------------------------------------------------


def cmd_impact(args: argparse.Namespace) -> int:
    from pipedrive_gui.commands.core_cmds import _load_project
    from pipedrive_gui.commands.pipedrive_cmds import load_credentials, make_store, run_async

    if args.seats < 1 or args.per_day < 0:
        raise CliError("--seats must be 1 or more and --per-day 0 or more.", EXIT_INPUT)
    project = _load_project(args.project)
    baseline = _load_project(args.compare) if args.compare else None
    events, shown = read_events(args)
    if not events:
        raise CliError(f"No events in {shown}: nothing to run.", EXIT_FAILED)
    creds = load_credentials(make_store(), args)  # before the loop: it may check for the sandbox
    progress = _Progress(enabled=sys.stderr.isatty() and not args.json)
    result = run_async(_run(args, creds, project, baseline, events, shown, progress))
    progress.done()
    plan = args.plan or result.plan or "growth"
    plan_note = (
        ""
        if args.plan
        else (" (told by Pipedrive's rate limit)" if result.plan else " (assumed; see --plan)")
    )
    if args.csv:
        from pipedrive_gui.core.impact import csv_text
        from pipedrive_gui.core.project import atomic_write_text

        atomic_write_text(args.csv, csv_text(result.report.runs))
    if args.json:
        out = result.report.to_json(plan=plan, events_per_day=args.per_day, seats=args.seats)
        out["plan_source"] = "option" if args.plan else ("rate limit" if result.plan else "assumed")
        if result.before is not None:
            out["before"] = result.before.to_json()
            out["changes"] = [c.to_dict() for c in result.changes]
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return 0
    _print_human(result, shown, plan, plan_note, args)
    return 0


async def _run(
    args: argparse.Namespace,
    creds: Any,
    project: Any,
    baseline: Any,
    events: list[dict[str, Any]],
    shown: str,
    progress: Any,
) -> Any:
    from pipedrive_gui.commands.pipedrive_cmds import base_url_for, cache_key, ensure_paths, make_client
    from pipedrive_gui.pipedrive.fields import fetch_catalog, load_cached, save_cache
    from pipedrive_gui.pipedrive.impact import ImpactError, run_impact

    client = make_client(args, creds)
    try:
        me = await client.get_me()
        domain = creds.domain or me.company_domain
        key = cache_key(domain, base_url_for(args, creds))
        cache_dir = ensure_paths(args).cache
        catalog = load_cached(cache_dir, key)
        if catalog is None:
            catalog = await fetch_catalog(client, domain=key)
            save_cache(cache_dir, catalog)
        try:
            return await run_impact(
                client,
                catalog,
                project,
                events,
                compare_with=baseline,
                progress=progress,
                default_currency=str(me.get("default_currency") or "") or None,
                source=shown,
            )
        except ImpactError as exc:
            raise CliError(str(exc), EXIT_FAILED) from None
    finally:
        await client.aclose()


class _Progress:
    """ "Looking up 120 of 225 match values…" on stderr (a terminal only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        text = {
            "prepare": "Reading events",
            "lookups": "Looking up match values in Pipedrive",
            "simulate": "Working out outcomes",
        }.get(phase, phase)
        print(f"\r{text}: {done} of {total}…\033[K", end="", file=sys.stderr, flush=True)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _print_human(result: Any, shown: str, plan: str, plan_note: str, args: argparse.Namespace) -> None:
    report = result.report
    print(
        f"Impact of {report.events:,} events from {shown} on {report.project or args.project}: read-only, "
        f"{report.lookups:,} lookups ({report.lookup_tokens:,} tokens), nothing was written."
    )
    width = max([len(s.mapping) for s in report.summaries] + [7])
    print(
        f"{'mapping':{width}}  {'update':>7} {'create':>7} {'fail':>7} {'not triggered':>14} {'calls':>7} "
        f"{'tokens':>8}"
    )
    for s in report.summaries:
        print(
            f"{s.mapping:{width}}  {s.update:>7} {s.create:>7} {s.fail:>7} {s.not_triggered:>14} {s.api_calls:>7} "
            f"{s.tokens:>8}"
        )
        if s.trigger_error:
            print(f"    [!] never runs: {s.trigger_error}")
        for reason, count in s.fail_reasons:
            print(f"    fail x{count}: {reason}")
    if report.events_without_mapping:
        print(f"{report.events_without_mapping:,} events fire no enabled mapping.")
    if report.batch_records:
        cross = [b for b in report.batch_records if b.cross_mapping]
        print(
            f"\nRecords this batch creates and then reaches again: {len(report.batch_records)}"
            + (f" ({len(cross)} written by two or more mappings)" if cross else "")
        )
        print(
            "  Sent one by one, the later events update what the first created; Segment delivers events in "
            "parallel and Pipedrive's search lags behind writes, so in production these may become duplicates."
        )
        for b in (cross + [b for b in report.batch_records if not b.cross_mapping])[:SHOWN]:
            print(f"  - {b.sentence()}")
        if len(report.batch_records) > SHOWN:
            print(f"  … and {len(report.batch_records) - SHOWN} more (--json or --csv lists them all)")
    seg_calls = sum(s.segment_calls for s in report.summaries)
    seg_tokens = sum(s.segment_tokens for s in report.summaries)
    print(
        f"\nCost of sending them: {report.api_calls:,} API calls, {report.tokens:,} tokens through this app "
        f"(lookups remembered); Segment's destination (API v1, a search per match value): about {seg_calls:,} "
        f"calls, {seg_tokens:,} tokens."
    )
    share = report.budget(plan, args.per_day, args.seats)
    print(f"{share.sentence()} Plan: {plan}{plan_note}.")
    if result.before is not None:
        print(f"\nCompared with {args.compare}:")
        if not result.changes:
            print("  No event's outcome changes.")
        for change in result.changes:
            print(f"  - {change.sentence()}")
    if args.csv:
        print(f"\nWrote one row per event and mapping to {args.csv}.")
