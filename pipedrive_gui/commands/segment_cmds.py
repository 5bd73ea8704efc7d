"""``pipedrive-gui segment ...``: the workspace's Actions Pipedrive destinations, pull and push.

- ``segment login [--region us|eu] [--token-stdin]``: checks the Public API token by listing the
  workspace and its destinations, then keeps it in the OS keyring (its own entry).
- ``segment logout``: forgets it.
- ``segment destinations [--json]``: the Actions Pipedrive destinations (id, name, source, enabled).
- ``segment pull DESTINATION_ID -o PROJECT [--merge update|copy|replace | --force]``.
- ``segment push PROJECT DESTINATION_ID [--dry-run] [--delete-missing] [--push-settings] [--yes]``.

``SEGMENT_PUBLIC_API_TOKEN`` and ``SEGMENT_PUBLIC_API_URL`` override the keyring and the region's
URL. The token is never printed. Exit codes: 2 bad input, 3 no usable keyring, 5 Segment refused or
could not be reached (or a push had failures).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipedrive_gui.commands.common import CliError
from pipedrive_gui.core.wording import with_article

if TYPE_CHECKING:
    from pipedrive_gui.credentials import CredentialStore, SegmentCredentials
    from pipedrive_gui.segment.client import SegmentClient

EXIT_INPUT = 2
EXIT_KEYRING = 3
EXIT_SEGMENT = 5
T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    seg = sub.add_parser(
        "segment",
        help="pull and push mappings through Segment's Public API",
        description="Work with the Actions Pipedrive destinations of your Segment workspace: list them, pull "
        "a destination's mappings into a project, push a project's mappings to a destination. Needs a Segment "
        "Public API token (Workspace Owner), kept in the OS keyring by `segment login`, or given in "
        "SEGMENT_PUBLIC_API_TOKEN; SEGMENT_PUBLIC_API_URL points at another server (a test stand-in).",
    )
    ss = seg.add_subparsers(dest="segment_command", metavar="SUBCOMMAND")
    seg.set_defaults(func=lambda args: _help(seg))

    p = ss.add_parser(
        "login",
        help="check a Public API token and keep it in the OS keyring",
        description="Asks for a Segment Public API token (Segment: Settings > Workspace settings > "
        "Access Management > Tokens; Workspace Owner role), lists the workspace's destinations "
        "with it, and only then stores it in the OS keyring.",
    )
    p.add_argument("--token-stdin", action="store_true", help="read the token from standard input")
    _region_option(p)
    p.set_defaults(func=cmd_login)

    p = ss.add_parser("logout", help="remove the Segment token from the OS keyring")
    p.set_defaults(func=cmd_logout)

    p = ss.add_parser("destinations", help="list the workspace's Actions Pipedrive destinations")
    p.add_argument("--json", action="store_true", help="print as JSON")
    _region_option(p)
    p.set_defaults(func=cmd_destinations)

    p = ss.add_parser(
        "pull",
        help="bring a destination's mappings and settings into a project",
        description="Reads every subscription (mapping) of the destination and its settings "
        "(domain and the match-field defaults; never the API token) into PROJECT, which then "
        "remembers the destination and each mapping's subscription.",
    )
    p.add_argument("destination", metavar="DESTINATION_ID")
    p.add_argument("-o", "--output", metavar="PROJECT", required=True, help="the project file to write")
    p.add_argument("--name", help="project name (new project: default from the file name)")
    existing = p.add_mutually_exclusive_group()
    existing.add_argument(
        "--merge",
        choices=("update", "copy", "replace"),
        help="PROJECT exists: update (the same subscription, or the same name and action: "
        "updated; others added), copy (all added) or replace its mappings",
    )
    existing.add_argument("--force", action="store_true", help="overwrite PROJECT if it exists")
    _region_option(p)
    p.set_defaults(func=cmd_pull)

    p = ss.add_parser(
        "push",
        help="make a destination's mappings those of a project (shows the diff first)",
        description="Compares PROJECT with the destination and shows what would change: mappings "
        "to create, to update (field by field), unchanged, and subscriptions only in Segment (left "
        "alone unless --delete-missing). Then sends the changes one at a time, within Segment's "
        "rate limit, and records the subscription ids in PROJECT.",
    )
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("destination", metavar="DESTINATION_ID")
    p.add_argument("--dry-run", action="store_true", help="print the diff and send nothing")
    p.add_argument(
        "--delete-missing",
        action="store_true",
        help="delete the destination's subscriptions that no mapping of PROJECT pairs with",
    )
    p.add_argument(
        "--push-settings",
        action="store_true",
        help="also set the destination's domain and match-field defaults from PROJECT",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before sending")
    p.add_argument("--json", action="store_true", help="print the diff and the report as JSON")
    _region_option(p)
    p.set_defaults(func=cmd_push)


def _region_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--region",
        choices=("us", "eu"),
        help="the workspace's region (default: the one saved at login, else us)",
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# -- plumbing -------------------------------------------------------------------------------------


def make_store() -> CredentialStore:
    from pipedrive_gui.credentials import CredentialStore

    return CredentialStore()


def _keyring_text(message: str) -> str:
    return message.replace("use the token for this session only, or set", "set")


def load_segment_credentials(store: CredentialStore) -> SegmentCredentials:
    from pipedrive_gui.credentials import KeyringUnavailableError

    try:
        creds = store.load_segment()
    except KeyringUnavailableError as exc:
        raise CliError(
            _keyring_text(exc.user_message) + " (Or set SEGMENT_PUBLIC_API_TOKEN.)", EXIT_KEYRING
        ) from None
    if creds is None:
        raise CliError(
            "Not connected to Segment. Run `pipedrive-gui segment login` (or set SEGMENT_PUBLIC_API_TOKEN).",
            EXIT_INPUT,
        )
    return creds


def make_client(args: argparse.Namespace, creds: SegmentCredentials) -> SegmentClient:
    from pipedrive_gui.segment.client import SegmentClient, base_url_for

    region = getattr(args, "region", None) or creds.region
    try:
        return SegmentClient(base_url_for(region, creds.base_url), creds.token)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None


def _region(args: argparse.Namespace, creds: SegmentCredentials) -> str:
    return str(getattr(args, "region", None) or creds.region)


def run_segment(make: Callable[[], Awaitable[T]]) -> T:
    """asyncio.run, with Segment failures as one CLI line."""
    from pipedrive_gui.segment.errors import SegmentAuthError, SegmentError

    async def go() -> T:
        return await make()

    try:
        return asyncio.run(go())
    except SegmentAuthError as exc:
        raise CliError(f"{exc.user_message} (`pipedrive-gui segment login`)", EXIT_SEGMENT) from None
    except SegmentError as exc:
        raise CliError(exc.user_message, EXIT_SEGMENT) from None


def _load_project(path: str) -> Any:
    from pipedrive_gui.core.project import ProjectFileError, load_project

    try:
        return load_project(path)
    except ProjectFileError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None


def _save_project(project: Any, path: Path) -> None:
    from pipedrive_gui.core.project import ProjectFileError, save_project

    try:
        save_project(project, path)
    except ProjectFileError as exc:
        raise CliError(str(exc)) from None


def _on_wait(seconds: float, why: str) -> None:
    print(f"  waiting {seconds:.0f} s ({why})…", file=sys.stderr)


# -- login / logout -------------------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    from pipedrive_gui.credentials import KeyringUnavailableError, SegmentCredentials

    store = make_store()
    status = store.status()
    if not status.usable:
        raise CliError(_keyring_text(status.error().user_message), EXIT_KEYRING)
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        token = getpass.getpass(
            "Segment Public API token (Settings > Workspace settings > Access Management > Tokens): "
        ).strip()
    else:
        raise CliError("No terminal to ask for the token: pipe it in with --token-stdin.", EXIT_INPUT)
    if not token:
        raise CliError(
            "No token given. Create one in Segment: Settings > Workspace settings > Access Management "
            "> Tokens (Workspace Owner role).",
            EXIT_INPUT,
        )
    region = args.region or "us"
    probe = SegmentCredentials(token=token, region=region, source="login", base_url=store.segment_env_url())
    client = make_client(args, probe)

    async def check() -> tuple[Any, list[Any]]:
        async with client:
            workspace = await client.get_workspace()
            return workspace, await client.list_destinations()

    workspace, found = run_segment(check)
    try:
        store.save_segment(token, region)
    except KeyringUnavailableError as exc:
        raise CliError(_keyring_text(exc.user_message), EXIT_KEYRING) from None
    print(
        f"Connected to the Segment workspace “{workspace.name or workspace.slug}” ({client.host}); "
        f"{len(found)} Actions Pipedrive destination(s)."
    )
    print(f"The Segment token is stored in {store.backend_name}.")
    print("Next: `pipedrive-gui segment destinations` lists them.")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    import os

    from pipedrive_gui.credentials import ENV_SEGMENT_TOKEN, KeyringUnavailableError

    store = make_store()
    try:
        removed = store.delete_segment()
    except KeyringUnavailableError as exc:
        raise CliError(_keyring_text(exc.user_message), EXIT_KEYRING) from None
    print(
        "Removed the Segment token from " + store.backend_name + "."
        if removed
        else f"No Segment token was stored in {store.backend_name}."
    )
    if os.environ.get(ENV_SEGMENT_TOKEN):
        print(f"Note: {ENV_SEGMENT_TOKEN} is still set in the environment and will keep being used.")
    return 0


# -- destinations ---------------------------------------------------------------------------------


def cmd_destinations(args: argparse.Namespace) -> int:
    creds = load_segment_credentials(make_store())
    client = make_client(args, creds)

    async def go() -> list[Any]:
        async with client:
            return await client.list_destinations()

    found = run_segment(go)
    if args.json:
        print(json.dumps([d.summary() for d in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(
            "This workspace has no Actions Pipedrive destination. Add one in Segment (Connections > Catalog > "
            "Actions Pipedrive), then list again."
        )
        return 0
    rows = [
        (d.id, d.name, d.source_name or d.source_id, "enabled" if d.enabled else "disabled") for d in found
    ]
    widths = [max(len(r[i]) for r in rows + [("ID", "NAME", "SOURCE", "STATE")]) for i in range(4)]
    for row in [("ID", "NAME", "SOURCE", "STATE"), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


# -- pull -----------------------------------------------------------------------------------------


def _check_pipedrive(dest: Any) -> None:
    if not dest.is_pipedrive:
        kind = (
            f"{with_article(dest.metadata_name)} destination" if dest.metadata_name else "another destination"
        )
        raise CliError(
            f"“{dest.name}” ({dest.id}) is {kind}, not Actions Pipedrive. "
            "`pipedrive-gui segment destinations` lists the Actions Pipedrive ones.",
            EXIT_INPUT,
        )


def cmd_pull(args: argparse.Namespace) -> int:
    from pipedrive_gui.core.project import Project
    from pipedrive_gui.segment.push import DestinationState, fetch_destination, pull_into

    out = Path(args.output)
    if out.is_dir():
        raise CliError(
            f"{out} is a folder: give the project file's name, e.g. -o {out / 'mappings.pipedrive-map.json'}",
            EXIT_INPUT,
        )
    merging = bool(args.merge) and out.exists()
    if out.exists() and not args.force and not merging:
        raise CliError(
            f"{out} already exists; bring the destination's mappings into it with --merge update (the "
            "same subscription, or name and action: updated; others: added), --merge copy or --merge "
            "replace, or use --force to replace the whole file, or choose another -o file",
            EXIT_INPUT,
        )
    creds = load_segment_credentials(make_store())
    client = make_client(args, creds)

    async def go() -> DestinationState:
        async with client:
            return await fetch_destination(client, args.destination)

    state = run_segment(go)
    _check_pipedrive(state.destination)
    if merging:
        project = _load_project(str(out))
        mode = args.merge
    else:
        name = args.name or out.name.removesuffix(".json").removesuffix(".pipedrive-map")
        project, mode = Project(name=name), "replace"
    result = pull_into(project, state, mode, region=_region(args, creds))
    if args.name:
        result.project.name = args.name
    _save_project(result.project, out)
    print(f"{result.summary()} → {out}", file=sys.stderr)
    details = result.details()
    if details:
        print(details, file=sys.stderr)
    return 0


# -- push -----------------------------------------------------------------------------------------


def cmd_push(args: argparse.Namespace) -> int:
    from pipedrive_gui.segment.diff import PushPlan, plan_push
    from pipedrive_gui.segment.push import PushReport, execute_push, fetch_destination, project_after_push

    path = Path(args.project)
    project = _load_project(args.project)
    creds = load_segment_credentials(make_store())
    client = make_client(args, creds)
    client.on_wait = _on_wait
    state_holder: dict[str, Any] = {}

    async def diff() -> PushPlan:
        state = await fetch_destination(client, args.destination)
        state_holder["state"] = state
        return plan_push(
            project,
            args.destination,
            state.subscriptions,
            state.destination.settings,
            delete_missing=args.delete_missing,
            push_settings=args.push_settings,
        )

    async def send(plan: PushPlan) -> PushReport:
        def progress(n: int, total: int, what: str) -> None:
            if what != "done":
                print(f"[{n + 1}/{total}] {what}", file=sys.stderr)

        return await execute_push(client, plan, on_progress=progress)

    async def everything() -> tuple[PushPlan, PushReport | None]:
        async with client:
            plan = await diff()
            _check_pipedrive(state_holder["state"].destination)
            if not args.json:
                print(plan.describe())
            if args.dry_run or plan.nothing_to_change:
                return plan, None
            if not args.yes:
                if not sys.stdin.isatty():
                    raise CliError(
                        "Add --yes to send these changes (no terminal to ask), or --dry-run to only look.",
                        EXIT_INPUT,
                    )
                answer = await asyncio.get_running_loop().run_in_executor(
                    None, input, f"Send {plan.request_count} change(s) to Segment? [y/N] "
                )
                if answer.strip().lower() not in ("y", "yes"):
                    print("Nothing was sent.", file=sys.stderr)
                    return plan, None
            return plan, await send(plan)

    plan, report = run_segment(everything)
    if args.json:
        print(
            json.dumps(
                {"plan": plan.to_json(), "report": report.to_json() if report else None},
                indent=2,
                ensure_ascii=False,
            )
        )
    if args.dry_run:
        print("Dry run: nothing was sent.", file=sys.stderr)
        return 0
    if report is None:
        return 0
    dest = state_holder["state"].destination
    _save_project(
        project_after_push(project, report, destination_name=dest.name, region=_region(args, creds)), path
    )
    if not args.json:
        print(report.describe())
    print(f"{path} now remembers the destination and the subscription of each mapping.", file=sys.stderr)
    return EXIT_SEGMENT if report.failed or report.stopped else 0
