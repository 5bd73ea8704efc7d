"""``pipedrive-gui send PROJECT EVENT``: run every mapping the event triggers against Pipedrive.

``--plan`` shows the calls without any network; ``--dry-run`` does only the read-only lookups and
says what would happen; without either, the records are created or updated and each call is
listed with its status and a link to the record. Credentials come from the OS keyring or
``PIPEDRIVE_API_TOKEN`` / ``PIPEDRIVE_DOMAIN``; ``--base-url`` (or ``PIPEDRIVE_BASE_URL``) points at
the sandbox or a test server.

Exit codes: 0 every triggered mapping succeeded (or none fired), 1 at least one failed or a file
could not be used, 2 a wrong command line (an unknown mapping, a folder for a file...) or an
enabled mapping whose trigger is not valid FQL, 3 no usable keyring, 4 Pipedrive refused the
connection or could not be reached.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pipedrive_gui.commands.common import CliError
from pipedrive_gui.core.modes import DRY_RUN, PLAN, SEND

EXIT_FAILED = 1
EXIT_INPUT = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "send",
        help="send one event through the project's mappings to Pipedrive (or --dry-run / --plan)",
        description="Runs every enabled mapping whose trigger fires for EVENT: builds the payload as "
        "Segment would, finds the matching Pipedrive records and creates or updates them.",
        epilog="Exit codes: 0 done (or no mapping fires); 1 a mapping failed or a file could not be used; "
        "2 a wrong command line or a trigger that is not valid FQL; 3 no usable keyring; "
        "4 Pipedrive refused the connection or could not be reached.",
    )
    p.add_argument("project", metavar="PROJECT", help="the project file (*.pipedrive-map.json)")
    p.add_argument(
        "event",
        metavar="EVENT",
        help="an event JSON file, '-' for stdin, a sample name from the project, or a bundled sample",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="only look records up (read-only) and say what would be updated or created",
    )
    mode.add_argument(
        "--plan", action="store_true", help="no network at all: list the calls that would be made"
    )
    p.add_argument("--mapping", metavar="NAME_OR_ID", action="append", help="only this mapping (repeatable)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_send)


def _event_for(project: Any, source: str) -> dict[str, Any]:
    from pipedrive_gui.commands.core_cmds import _read_event

    for sample in getattr(project, "samples", []):
        if sample.name == source and isinstance(sample.event, dict):
            return dict(sample.event)
    return _read_event(source)


def _selected(project: Any, names: list[str] | None) -> list[Any]:
    if not names:
        return list(project.mappings)
    chosen = [m for m in project.mappings if m.id in names or m.name in names]
    missing = [n for n in names if not any(n in (m.id, m.name) for m in project.mappings)]
    if missing:
        known = ", ".join(f"{m.name} ({m.id})" for m in project.mappings) or "none"
        raise CliError(f"No mapping called {', '.join(missing)} in this project. Mappings: {known}", 2)
    return chosen


def cmd_send(args: argparse.Namespace) -> int:
    from pipedrive_gui.commands.core_cmds import _load_project, preview_project

    project = _load_project(args.project)
    event = _event_for(project, args.event)
    mappings = _selected(project, args.mapping)
    wanted = {m.id for m in mappings}
    previews = [p for p in preview_project(project, event) if p["id"] in wanted]
    firing = [p for p in previews if p["enabled"] and p["fires"]]
    mode = PLAN if args.plan else DRY_RUN if args.dry_run else SEND
    # An enabled mapping whose trigger is not valid FQL never fires: a script must not take that
    # for "nothing to do".
    broken = [p for p in previews if p["enabled"] and p.get("trigger_error")]

    if not firing:
        reasons = {
            p["name"]: (p["reasons"] if p["enabled"] else ["the mapping is disabled"]) for p in previews
        }
        if args.json:
            print(
                json.dumps({"mode": mode, "results": [], "not_fired": reasons}, indent=2, ensure_ascii=False)
            )
        else:
            print("No enabled mapping fires for this event; nothing was sent.")
            for name, why in reasons.items():
                print(f"  {name}: {'; '.join(why)}")
        return EXIT_INPUT if broken else 0

    results = _run(args, project, firing, mode)
    if args.json:
        print(json.dumps({"mode": mode, "results": results}, indent=2, ensure_ascii=False, default=str))
    else:
        _print_human(results)
        if mode == DRY_RUN:
            again = (
                " Run the same command without --dry-run to send."
                if any(r["outcome"] != "fail" for r in results)
                else ""
            )
            print(f"Dry run: only lookups were made; nothing was changed in Pipedrive.{again}")
        elif mode == PLAN:
            print("Plan only: no call was made. --dry-run looks the records up (read-only).")
        for p in broken:
            print(f"[!] {p['name']} ({p['action']}) did not run: {'; '.join(p['reasons'])}")
    if any(r["outcome"] == "fail" for r in results):
        return EXIT_FAILED
    return EXIT_INPUT if broken else 0


def _run(
    args: argparse.Namespace, project: Any, firing: list[dict[str, Any]], mode: str
) -> list[dict[str, Any]]:
    from pipedrive_gui.commands.pipedrive_cmds import run_async

    creds = None
    if mode != PLAN:
        from pipedrive_gui.commands.pipedrive_cmds import load_credentials, make_store

        creds = load_credentials(make_store(), args)  # before the loop: it may check for the sandbox

    async def go() -> list[dict[str, Any]]:
        if creds is None:
            engine, client = await _offline_engine(args, project), None
        else:
            engine, client = await _online_engine(args, project, creds)
        try:
            out = []
            for item in firing:
                entry: dict[str, Any] = {
                    "mapping": item["name"],
                    "mapping_id": item["id"],
                    "action": item["action"],
                }
                if not item.get("ok"):
                    entry.update(
                        outcome="fail",
                        message="Segment would reject this event's payload: " + _payload_problems(item),
                        calls=[],
                        warnings=[],
                        link=None,
                    )
                else:
                    # The mapping's name goes into the ledger with what it creates (Test records).
                    result = await engine.run(item["action"], item["payload"], mode, mapping=item["name"])
                    entry.update(result.to_dict())
                    entry["action"] = item["action"]
                out.append(entry)
            return out
        finally:
            if client is not None:
                await client.aclose()

    return list(run_async(go()))


def _payload_problems(item: dict[str, Any]) -> str:
    from pipedrive_gui.commands.core_cmds import problem_text

    problems = item.get("problems") or []
    if problems:
        return "; ".join(problem_text(p).rstrip(".") for p in problems) + "."
    return str(item.get("error") or "unknown problem")


async def _offline_engine(args: argparse.Namespace, project: Any) -> Any:
    """Plan mode: no network; use the cached field catalog when one is on disk."""
    from pipedrive_gui.pipedrive.engine import UpsertEngine
    from pipedrive_gui.pipedrive.fields import load_cached

    catalog = None
    domain = getattr(project.destination, "domain", "") or ""
    try:
        from pipedrive_gui.commands.pipedrive_cmds import base_url_for, cache_key, make_store

        creds = make_store().env_override()
        domain = (creds.domain if creds and creds.domain else "") or domain
        base_url = base_url_for(args, creds)
        if domain:
            catalog = load_cached(args.paths.cache, cache_key(domain, base_url))
        elif base_url:
            # The company behind a test server/sandbox is only known after a call; plan mode makes
            # none, so use the one catalog cached for that server, if there is exactly one.
            catalog = _only_catalog_for(args.paths.cache, base_url)
    except Exception:  # noqa: BLE001 - the plan works without a catalog (values unchecked)
        catalog = None
    return UpsertEngine(None, catalog, project.destination)


def _only_catalog_for(cache_dir: Any, base_url: str) -> Any:
    from pathlib import Path

    from pipedrive_gui.commands.pipedrive_cmds import cache_key
    from pipedrive_gui.pipedrive.fields import cache_path, load_cached

    suffix = cache_path(cache_dir, cache_key("x", base_url)).name[1:]  # "_127.0.0.1_8765.json"
    found = [p for p in (Path(cache_dir) / "fields").glob(f"*{suffix}") if not p.name.startswith(".")]
    if len(found) != 1:
        return None
    catalog = load_cached(cache_dir, cache_key(found[0].name[: -len(suffix)], base_url))
    return catalog


async def _online_engine(args: argparse.Namespace, project: Any, creds: Any) -> tuple[Any, Any]:
    from pipedrive_gui.commands.pipedrive_cmds import base_url_for, cache_key, ensure_paths, make_client
    from pipedrive_gui.pipedrive.engine import Origin, UpsertEngine, timing_from_env
    from pipedrive_gui.pipedrive.fields import fetch_catalog, load_cached, save_cache
    from pipedrive_gui.pipedrive.ledger import SOURCE_CLI_SEND

    base_url = base_url_for(args, creds)
    # Every process consults the ledger before creating: two runs seconds apart (search lag) do
    # not both create the same person; what ``send`` creates is listed under Test records.
    ledger = _open_ledger(args)
    client = make_client(args, creds)
    try:
        me = await client.get_me()
        domain = creds.domain or me.company_domain
        key = cache_key(domain, base_url)
        cache_dir = ensure_paths(args).cache
        catalog = load_cached(cache_dir, key)
        if catalog is None:
            catalog = await fetch_catalog(client, domain=key)
            save_cache(cache_dir, catalog)
    except BaseException:
        await client.aclose()
        raise
    engine = UpsertEngine(
        client,
        catalog,
        project.destination,
        default_currency=str(me.get("default_currency") or "") or None,
        ledger=ledger,
        origin=Origin(SOURCE_CLI_SEND, test=True),
        **timing_from_env(),
    )
    if not base_url:
        engine.web_base = f"https://{domain}.pipedrive.com"
    return engine, client


def _open_ledger(args: argparse.Namespace) -> Any:
    from pipedrive_gui.commands.pipedrive_cmds import ensure_paths
    from pipedrive_gui.pipedrive.ledger import Ledger, LedgerError

    try:
        return Ledger.in_data_dir(ensure_paths(args).data)
    except LedgerError as exc:
        raise CliError(exc.user_message, EXIT_FAILED) from None


_MARK = {"create": "+", "update": "~", "fail": "!", "planned": "?"}


def _print_human(results: list[dict[str, Any]]) -> None:
    for r in results:
        print(f"[{_MARK.get(r['outcome'], '-')}] {r['mapping']} ({r['action']})")
        print(f"    {r['message']}")
        for i, call in enumerate(r.get("calls") or [], 1):
            query = ""
            if call.get("query"):
                query = "?" + "&".join(f"{k}={v}" for k, v in call["query"].items())
            if call.get("from_cache"):
                status = "no call"
            elif call.get("sent"):
                status = str(call.get("status") or "no answer")
            else:
                status = "not sent"
            cond = f" ({call['condition']})" if call.get("condition") else ""
            print(f"    {i}. {call['method']} {call['path']}{query} — {call['purpose']}{cond} [{status}]")
            if call.get("error") and call["error"] not in r["message"]:
                print(f"       {call['error']}")  # (the reason the whole mapping failed is said above)
        for warning in r.get("warnings") or []:
            print(f"    note: {warning}")
        if r.get("link"):
            print(f"    open: {r['link']}{_where_shown(r)}")


def _where_shown(r: dict[str, Any]) -> str:
    """Activities and notes have no page of their own: say which record's page lists them."""
    if r.get("entity") not in ("activity", "note"):
        return ""
    parts = str(r["link"]).rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in ("deal", "person", "organization") and parts[-1].isdigit():
        return f" (the {r['entity']} is listed on {parts[-2]} #{parts[-1]})"
    return ""
