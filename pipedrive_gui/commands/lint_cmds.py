"""``pipedrive-gui lint PROJECT``: what would go wrong with these mappings, before Segment runs them.

Runs every lint rule (``core.lint``) over the project, its sample events and the events of
``--events FILE.jsonl`` (captured events: Segment events one per line, or the receiver's
``journal-export`` lines), with the account's live Pipedrive fields when a connection is
configured (keyring, ``PIPEDRIVE_*`` variables or ``--base-url``, as ``send``), without them
otherwise; the rules that could not run are named on stderr.

stdout: one finding per line (``--json``: one JSON object per line). Exit codes: 0 no error found
(warnings and notes do not count), 1 at least one error, 2 a file could not be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipedrive_gui.commands.common import CliError

EXIT_FOUND_ERRORS = 1
EXIT_INPUT = 2
_MARK = {"error": "error  ", "warning": "warning", "info": "note   "}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lint",
        help="find duplicate traps, Segment's limits and production differences in a project",
        description="Checks every mapping of PROJECT against its sample events (and captured events "
        "with --events) and, when connected, the account's Pipedrive fields: match traps, fan-out, "
        "custom-field values, Segment's limits, and where Segment's API v1 calls differ from Send test.",
        epilog="Exit codes: 0 no error (warnings and notes do not count); 1 errors found; "
        "2 a file could not be used.",
    )
    p.add_argument("project", metavar="PROJECT", help="the project file (*.pipedrive-map.json)")
    p.add_argument(
        "--events",
        metavar="FILE.jsonl",
        action="append",
        help="captured events, one JSON event per line (journal-export files too); repeatable",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per finding and line")
    p.add_argument(
        "--offline",
        action="store_true",
        help="do not connect to Pipedrive (rules that need its fields are skipped)",
    )
    p.set_defaults(func=cmd_lint)


def read_events(path: str) -> list[Any]:
    """LintEvents from a JSON Lines file; raises CliError naming the bad line."""
    from pipedrive_gui.core.lint import LintEvent

    p = Path(path)
    if p.is_dir():
        raise CliError(f"{path} is a folder, not a JSON Lines file.", EXIT_INPUT)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise CliError(f"Events file not found: {path}", EXIT_INPUT) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(
            f"Could not read {path}: {getattr(exc, 'strerror', None) or exc}.", EXIT_INPUT
        ) from None
    events = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"{p.name} line {number} is not JSON ({exc.msg}, column {exc.colno}).", EXIT_INPUT
            ) from None
        event = item.get("event") if isinstance(item, dict) and "type" not in item else item
        if not isinstance(event, dict):
            raise CliError(
                f'{p.name} line {number} is not a Segment event (a JSON object with a "type").', EXIT_INPUT
            )
        events.append(LintEvent(f"{p.name} line {number}", event, "captured"))
    return events


def live_fields(args: argparse.Namespace, project: Any) -> tuple[Any, str]:
    """(FieldFacts or None, where they came from / why there are none)."""
    if args.offline:
        return None, "--offline"
    from pipedrive_gui.commands.pipedrive_cmds import load_credentials, make_store, run_async

    try:
        creds = load_credentials(make_store(), args)
    except CliError as exc:
        return None, f"not connected to Pipedrive ({str(exc).rstrip('.')})"

    async def fetch() -> tuple[Any, str]:
        from pipedrive_gui.commands.pipedrive_cmds import base_url_for, cache_key, ensure_paths, make_client
        from pipedrive_gui.pipedrive.fields import fetch_catalog, save_cache
        from pipedrive_gui.pipedrive.lint_fields import field_facts

        base_url = base_url_for(args, creds)
        client = make_client(args, creds)
        try:
            me = await client.get_me()
            domain = creds.domain or me.company_domain
            key = cache_key(domain, base_url)
            catalog = await fetch_catalog(client, domain=key)  # live: the linter judges today's fields
            save_cache(ensure_paths(args).cache, catalog)
        finally:
            await client.aclose()
        where = base_url or f"{domain}.pipedrive.com"
        return field_facts(catalog, where), f"fields of {where}"

    try:
        result: tuple[Any, str] = run_async(fetch())
    except CliError as exc:
        return None, f"could not fetch the Pipedrive fields ({str(exc).rstrip('.')})"
    return result


def finding_line(f: Any) -> str:
    events = f" [events: {', '.join(f.events[:3])}{', …' if len(f.events) > 3 else ''}]" if f.events else ""
    return f"{_MARK[f.severity]} {f.rule}  {f.place}: {f.message}{events} Fix: {f.fix}"


def cmd_lint(args: argparse.Namespace) -> int:
    from pipedrive_gui.commands.core_cmds import _load_project
    from pipedrive_gui.core.lint import lint_project, project_events

    project = _load_project(args.project)
    captured = [e for path in args.events or [] for e in read_events(path)]
    fields, where = live_fields(args, project)
    report = lint_project(project, project_events(project, captured), fields)
    for f in report.findings:
        print(json.dumps(f.to_dict(), ensure_ascii=False) if args.json else finding_line(f))
    counts = report.counts()
    err = sys.stderr
    samples = len(project.samples)
    print(
        f"Checked {len(project.mappings)} mapping(s) against {samples} sample(s) and {len(captured)} captured "
        f"event(s), {'with the ' + where if fields is not None else 'without Pipedrive fields: ' + where}.",
        file=err,
    )
    by_reason: dict[str, list[str]] = {}
    for s in report.skipped:
        by_reason.setdefault(s.reason, []).append(s.rule)
    for reason, rules in by_reason.items():
        print(f"Skipped, {reason}: {', '.join(rules)}.", file=err)
    print(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s).", file=err)
    return EXIT_FOUND_ERRORS if report.has_errors else 0
