"""``pipedrive-gui test-records``: list the records this app's tests created, and delete them again.

Lists the test records (made by *Send test…* in the app or by ``pipedrive-gui send``) of the
connected account, from the app's ledger: ``--json`` prints one JSON object per line and record.
``--delete`` deletes them in Pipedrive (after a question on a terminal, or with ``--yes``) and says
for each record that could not be deleted why. Never deletes a record the app did not create;
changes tests made to records that already existed are not undone.

The account is the one ``send`` uses: the OS keyring, ``PIPEDRIVE_API_TOKEN`` +
``PIPEDRIVE_DOMAIN``, or ``--base-url`` (the sandbox). ``--all-accounts`` lists every account's test
records without connecting.

Exit codes: 0 listed / all deleted; 1 some could not be deleted, or the ledger cannot be read;
2 a wrong command line or no confirmation; 3 no usable keyring; 4 Pipedrive refused the connection
or could not be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from pipedrive_gui.commands.common import CliError

if TYPE_CHECKING:
    from pipedrive_gui.pipedrive.ledger import Ledger
    from pipedrive_gui.pipedrive.test_records import DeleteOutcome, TestRecord

EXIT_FAILED = 1
EXIT_INPUT = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from pipedrive_gui.commands.pipedrive_cmds import ENTITY_CHOICES

    p = sub.add_parser(
        "test-records",
        help="list the records your tests created in Pipedrive (or --delete them)",
        description="Lists the records that Send test… (in the app) and `pipedrive-gui send` created in "
        "the connected Pipedrive account, from this app's own list of what it created. --delete deletes "
        "them in Pipedrive. Records the app did not create are never listed or deleted; changes tests "
        "made to records that already existed (updates) are not undone.",
        epilog="Exit codes: 0 done; 1 some records could not be deleted (the reason is printed); 2 a wrong "
        "command line or no confirmation; 3 no usable keyring; 4 Pipedrive refused the connection or "
        "could not be reached.",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per line and record (with --delete: per result)"
    )
    p.add_argument("--delete", action="store_true", help="delete the listed records in Pipedrive")
    p.add_argument("--yes", action="store_true", help="with --delete: do not ask first")
    p.add_argument("--entity", choices=ENTITY_CHOICES, help="only this record type")
    p.add_argument(
        "--all-accounts",
        action="store_true",
        help="list the test records of every account (without connecting; not with --delete)",
    )
    p.set_defaults(func=cmd_test_records)


def _open_ledger(args: argparse.Namespace) -> Ledger:
    from pipedrive_gui.commands.pipedrive_cmds import ensure_paths
    from pipedrive_gui.pipedrive.ledger import Ledger, LedgerError

    try:
        return Ledger.in_data_dir(ensure_paths(args).data)
    except LedgerError as exc:
        raise CliError(exc.user_message, EXIT_FAILED) from None


def cmd_test_records(args: argparse.Namespace) -> int:
    if args.yes and not args.delete:
        raise CliError("--yes only goes with --delete.", EXIT_INPUT)
    if args.all_accounts:
        if args.delete:
            raise CliError(
                "--delete works on the connected account only; leave out --all-accounts "
                "(connect to each account in turn to delete its test records).",
                EXIT_INPUT,
            )
        return _list_all(args)

    from pipedrive_gui.commands.pipedrive_cmds import load_credentials, make_client, make_store, run_async
    from pipedrive_gui.pipedrive.engine import UpsertEngine
    from pipedrive_gui.pipedrive.test_records import ledger_account, list_test_records

    ledger = _open_ledger(args)
    creds = load_credentials(make_store(), args)  # as `send` does (keyring, environment, sandbox)
    client = make_client(args, creds)
    closed = False
    try:
        account = ledger_account(client)
        where = "the offline sandbox" if creds.source == "sandbox" else account
        listing = list_test_records(ledger, account, UpsertEngine(client).link_for, entity=args.entity)
        if not args.delete:
            _print_list(args, listing.records, where)
            _print_notes(args, listing.notes())
            return 0
        if not listing.records:
            _print_notes(args, listing.notes())
            _say(args, f"No test records to delete in {where}.")
            return 0
        if not args.json:
            _print_list(args, listing.records, where)
        _confirm(args, listing.records, where)
        closed = True  # _delete closes it
        outcomes = run_async(_delete(client, ledger, listing.records, args.json))
    finally:
        if not closed:
            run_async(client.aclose())
    _print_outcomes(args, outcomes)
    _print_notes(args, listing.notes())
    return 0 if all(o.removed for o in outcomes) else EXIT_FAILED


async def _delete(client: Any, ledger: Ledger, records: list[TestRecord], quiet: bool) -> list[DeleteOutcome]:
    from pipedrive_gui.pipedrive.test_records import delete_test_records

    def progress(i: int, n: int, record: TestRecord) -> None:
        if i < n:
            print(f"Deleting {i + 1} of {n}: {record.label}…", file=sys.stderr, flush=True)

    async with client:
        return await delete_test_records(client, ledger, records, progress=None if quiet else progress)


def _confirm(args: argparse.Namespace, records: list[TestRecord], where: str) -> None:
    from pipedrive_gui.pipedrive.test_records import confirmation_text

    if args.yes:
        return
    n = len(records)
    if not sys.stdin.isatty():
        raise CliError(
            f"Not deleting: there is no terminal to ask whether to delete {n} record"
            f"{'s' if n != 1 else ''} in {where}. Run it in a terminal, or add --yes to delete "
            "without asking.",
            EXIT_INPUT,
        )
    print(confirmation_text(records, where), file=sys.stderr)
    try:
        answer = input(f"Type yes to delete {'it' if n == 1 else f'these {n} records'}: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise CliError("Nothing was deleted.", EXIT_INPUT)


def _say(args: argparse.Namespace, text: str) -> None:
    print(text, file=sys.stderr if args.json else sys.stdout)


def _print_notes(args: argparse.Namespace, notes: list[str]) -> None:
    for note in notes:
        _say(args, f"Note: {note}")


def _print_list(args: argparse.Namespace, records: list[TestRecord], where: str | None) -> None:
    from pipedrive_gui.pipedrive.test_records import UPDATES_NOT_UNDONE, local_time

    if args.json:
        for r in records:
            print(json.dumps(r.to_json(), ensure_ascii=False))
        return
    if not records:
        print(f"No test records in {where}." if where else "No test records.")
        return
    n = len(records)
    print(f"{n} test record{'s' if n != 1 else ''}" + (f" in {where}:" if where else ":"))
    for r in records:
        mapping = f"mapping “{r.entry.mapping}”, " if r.entry.mapping else ""
        account = "" if where else f" [{r.entry.account}]"
        print(f"  {r.label}{account}")
        print(
            f"      {mapping}by {r.source_text}, {local_time(r.entry.created_at)}"
            + (f" — {r.link}" if r.link else "")
        )
    print(UPDATES_NOT_UNDONE)


def _print_outcomes(args: argparse.Namespace, outcomes: list[DeleteOutcome]) -> None:
    from pipedrive_gui.pipedrive.test_records import summary

    if args.json:
        for o in outcomes:
            print(json.dumps(o.to_json(), ensure_ascii=False))
        return
    print(summary(outcomes))


def _list_all(args: argparse.Namespace) -> int:
    from pipedrive_gui.pipedrive.test_records import list_all_accounts

    records = list_all_accounts(_open_ledger(args), entity=args.entity)
    _print_list(args, records, None)
    return 0
