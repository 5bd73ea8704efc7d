"""Receiver commands: ``receive``, ``journal``, ``replay``, ``journal-export``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from pipedrive_gui.commands.argtypes import SQLITE_MAX_INT, amount, port, whole_number
from pipedrive_gui.commands.common import CliError

DEFAULT_PORT = 8787


def register(sub: Any) -> None:
    p = sub.add_parser(
        "receive",
        help="run a local Segment-compatible receiver that dispatches events through a project's mappings",
        description="Accept events the way Segment's tracking API does (POST /v1/batch, /v1/track, ...), "
        "journal them and run them through the project's mappings: a dry run by default, --live to write "
        "to Pipedrive.",
    )
    p.add_argument("project", help="the project file (*.pipedrive-map.json)")
    p.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; 0 = any)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this computer only)"
    )
    p.add_argument(
        "--allow-remote", action="store_true", help="allow listening on an address other machines can reach"
    )
    keys = p.add_mutually_exclusive_group()
    keys.add_argument(
        "--write-key",
        metavar="K",
        help="require this write key (default: the receiver's own, made once and kept in the "
        "config folder; the GUI's receiver panel uses the same)",
    )
    keys.add_argument(
        "--no-write-key",
        action="store_true",
        help="accept events without a write key (any program on this computer can send)",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let web pages from ORIGIN (e.g. http://localhost:3000) send events with analytics.js; "
        "repeatable (default: no web page may send)",
    )
    p.add_argument(
        "--live", action="store_true", help="create/update records in Pipedrive (default: dry run)"
    )
    p.add_argument(
        "--track-test-records",
        action="store_true",
        help="with --live: list what the receiver creates under Test records "
        "(`pipedrive-gui test-records`), so it can be deleted again",
    )
    p.add_argument("--no-dispatch", action="store_true", help="only journal events; do not run the mappings")
    # Retention belongs to the journal: these change what it keeps from now on (for later receivers
    # too); left out, the journal keeps its setting (30 days, 200,000 events, 1024 MB for a new one).
    p.add_argument(
        "--keep-days",
        type=amount(0, 100 * 365, "days"),
        help="forget finished events older than this (0: never); the journal remembers it (new: 30)",
    )
    p.add_argument(
        "--keep-events",
        type=whole_number(what="a number of events"),
        help="keep at most this many events (0: no limit); the journal remembers it (new: 200,000)",
    )
    p.add_argument(
        "--keep-mb",
        type=whole_number(hi=SQLITE_MAX_INT >> 20, what="megabytes"),
        help="keep the journal under this size in MB (0: no limit); the journal remembers it (new: 1024)",
    )
    p.set_defaults(func=cmd_receive)

    j = sub.add_parser("journal", help="list the events the receiver got and what happened to them")
    j.add_argument("--json", action="store_true", help="one JSON object per line")
    j.add_argument("--failed", action="store_true", help="only failed events")
    j.add_argument("--outcome", action="append", help="only events with this outcome (repeatable)")
    j.add_argument("--type", action="append", dest="types", help="only events of this type (repeatable)")
    j.add_argument("--search", default="", help="only events containing this text")
    j.add_argument(
        "--limit",
        type=whole_number(1, 10_000, "a number of events"),
        default=50,
        help="how many (newest first; default 50, at most 10,000)",
    )
    j.set_defaults(func=cmd_journal)

    r = sub.add_parser(
        "replay", help="run journaled events through the mappings again (e.g. after fixing one)"
    )
    r.add_argument("ids", nargs="*", metavar="ID", help="event numbers (seq) or messageIds")
    r.add_argument("--failed", action="store_true", help="replay every failed event")
    r.add_argument("--force", action="store_true", help="send again even what was already delivered live")
    r.add_argument("--project", help="dispatch now with this project (when no receiver is running)")
    r.add_argument(
        "--live", action="store_true", help="with --project: write to Pipedrive (default: dry run)"
    )
    r.set_defaults(func=cmd_replay)

    e = sub.add_parser("journal-export", help="write the journal as JSON Lines")
    e.add_argument("-o", "--output", required=True, metavar="FILE", help="the .jsonl file to write")
    e.add_argument("--failed", action="store_true", help="only failed events")
    e.set_defaults(func=cmd_journal_export)


# -- helpers -------------------------------------------------------------------------------------------


def _journal_path(args: argparse.Namespace) -> Path:
    from pipedrive_gui.receiver import JOURNAL_FILE

    return Path(args.paths.data) / JOURNAL_FILE


def _load_project(path: str) -> Any:
    from pipedrive_gui.core.project import ProjectFileError, load_project

    try:
        return load_project(path)
    except ProjectFileError as exc:
        raise CliError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise CliError(f"No project file at {path}.") from exc


def _target(args: argparse.Namespace, project: Any) -> Any:
    """The Pipedrive connection: --base-url / PIPEDRIVE_* / the keyring; None when there is none.

    Not logged in but pointed (--base-url) at the offline sandbox on this computer: its token, as
    ``send`` does. Call it before the command's event loop starts (the sandbox check runs its own).
    """
    from pipedrive_gui.commands.pipedrive_cmds import sandbox_credentials
    from pipedrive_gui.credentials import CredentialStore
    from pipedrive_gui.receiver.setup import PipedriveTarget

    store = CredentialStore()
    try:
        creds = store.load()
    except Exception:  # noqa: BLE001 - no usable keyring: the environment may still have a token
        creds = store.env_override()
    if creds is None:
        creds = sandbox_credentials(args)
    if creds is None:
        return None
    base_url = args.base_url or getattr(creds, "base_url", None) or os.environ.get("PIPEDRIVE_BASE_URL")
    if not base_url:
        domain = getattr(creds, "domain", "") or getattr(project.destination, "domain", "")
        if not domain:
            return None
        base_url = f"https://{domain}.pipedrive.com"
    return PipedriveTarget(base_url=base_url, token=creds.token)


def client_snippets(url: str, write_key: str | None) -> str:
    """The receiver panel's snippets (receiver/snippets.py) as text for the terminal."""
    import textwrap

    from pipedrive_gui.receiver.snippets import all_snippets

    blocks = []
    for snippet in all_snippets(url, write_key or "any-write-key"):
        install = f"  ({snippet.install})" if snippet.install else ""
        blocks.append(f"{snippet.title}{install}:\n{textwrap.indent(snippet.code, '    ')}")
    return "\n".join(blocks)


def _write_key(args: argparse.Namespace) -> tuple[str | None, str]:
    """The key the receiver requires and where it comes from (for the start-up text)."""
    from pipedrive_gui.receiver.access import config_path, stored_write_key

    if args.no_write_key:
        return None, "none: any program on this computer can send events (--no-write-key)"
    if args.write_key:
        return args.write_key, "given with --write-key"
    path = config_path(args.paths.config)
    try:
        key, made = stored_write_key(args.paths.config)
    except OSError as exc:
        raise CliError(
            f"Could not save the receiver's write key in {path}: {exc.strerror or exc}. "
            "Give one with --write-key."
        ) from exc
    return key, (
        "made now and saved in " if made else "from "
    ) + f"{path} (the receiver panel uses the same key)"


# -- receive -------------------------------------------------------------------------------------------


def _ledger(args: argparse.Namespace) -> Any:
    """The app's ledger of created records (shared with the GUI and ``send``): consulted before
    every create, so separate runs never create the same record twice."""
    from pipedrive_gui.pipedrive.ledger import Ledger, LedgerError

    try:
        return Ledger.in_data_dir(args.paths.data)
    except LedgerError as exc:
        raise CliError(exc.user_message) from None


def cmd_receive(args: argparse.Namespace) -> int:
    from pipedrive_gui.receiver.access import normalize_origins

    project = _load_project(args.project)
    try:
        args.allow_origin = list(normalize_origins(args.allow_origin))
    except ValueError as exc:
        raise CliError(f"--allow-origin: {exc}.") from exc
    args.paths.ensure()
    args.write_key, args.key_source = _write_key(args)
    if args.write_key is None:
        print(
            "WARNING: --no-write-key: the receiver accepts events from any program on this computer"
            + (" and writes them to Pipedrive (--live)" if args.live else "")
            + (", and from the web pages allowed with --allow-origin" if args.allow_origin else "")
            + ". Leave the option out to require the receiver's write key.",
            file=sys.stderr,
        )
    target = None if args.no_dispatch else _target(args, project)
    return asyncio.run(_receive(args, project, target))


async def _receive(args: argparse.Namespace, project: Any, target: Any) -> int:
    from pipedrive_gui.receiver import (
        JournalError,
        Receiver,
        ReceiverError,
        ReceiverMode,
        ReceiverSettings,
        Retention,
    )
    from pipedrive_gui.receiver.setup import open_processor

    retention = _retention_from(args, Retention)
    settings = ReceiverSettings(
        host=args.host,
        port=args.port,
        write_key=args.write_key,
        allow_remote=args.allow_remote,
        retention=retention,
        allowed_origins=tuple(args.allow_origin),
    )
    handle = None
    if not args.no_dispatch:
        try:
            mode = ReceiverMode.LIVE if args.live else ReceiverMode.DRY_RUN
            handle = await open_processor(
                project,
                mode=mode,
                target=target,
                ledger=_ledger(args),
                track_test_records=args.track_test_records,
            )
        except ReceiverError as exc:
            raise CliError(exc.message) from exc
    receiver = Receiver(args.paths.data, settings, processor=handle.processor if handle else None)
    try:
        await receiver.start()
    except ReceiverError as exc:
        if handle:
            await handle.close()
        # 2: the journal cannot be used (read-only, disk full, damaged): refused before taking events.
        raise CliError(exc.message, 2 if isinstance(exc, JournalError) else 1) from exc
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass
    for warning in receiver.warnings:
        print(warning, file=sys.stderr)
    print(f"Listening on {receiver.url}  (journal: {receiver.journal.path})")
    print(f"Mappings: {handle.description if handle else 'not dispatched (--no-dispatch)'}")
    print(f"Write key: {args.write_key or 'none'}  ({args.key_source})")
    print(
        "Web pages allowed to send (analytics.js): "
        + (
            ", ".join(args.allow_origin)
            if args.allow_origin
            else "none (allow one with --allow-origin ORIGIN)"
        )
    )
    print(f"The journal {receiver.journal.retention.describe()}.")
    print("\nSend events from a client:\n")
    print(client_snippets(receiver.url, args.write_key))
    print("Press Ctrl-C to stop.", flush=True)
    last: tuple[int, ...] = (0, 0, 0, 0)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 2.0)
            except asyncio.TimeoutError:
                pass
            s = receiver.stats()
            now = (s.accepted, s.dispatched, s.rejected_total, s.duplicates)
            if now != last:
                last = now
                print(
                    f"received {s.accepted}, dispatched {s.dispatched}, duplicates {s.duplicates}, "
                    f"rejected {s.rejected_total}",
                    flush=True,
                )
    finally:
        await receiver.stop()
        if handle:
            await handle.close()
    print("Stopped; unfinished events resume on the next start.", flush=True)
    return 0


def _retention_from(args: argparse.Namespace, retention_class: Any) -> Any:
    """The journal's retention with the --keep-* options given changed (0: no limit); None when
    none is given (the journal keeps its own)."""
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if args.keep_days is not None:
        changes["max_age_days"] = args.keep_days if args.keep_days > 0 else None
    if args.keep_events is not None:
        changes["max_rows"] = args.keep_events if args.keep_events > 0 else None
    if args.keep_mb is not None:
        changes["max_bytes"] = args.keep_mb * 1024 * 1024 if args.keep_mb > 0 else None
    if not changes:
        return None
    current = retention_class()
    if _journal_path(args).exists():
        journal = _open_journal(args)
        current = journal.retention
        journal.close_sync()
    return replace(current, **changes)


# -- journal -------------------------------------------------------------------------------------------


def _open_journal(args: argparse.Namespace) -> Any:
    """The journal for reading: opened read-only, so a reading command can change nothing in it."""
    from pipedrive_gui.receiver import Journal, JournalError

    path = _journal_path(args)
    if not path.exists():
        raise CliError(f"No journal yet at {path}: start a receiver with `pipedrive-gui receive PROJECT`.")
    journal = Journal(path, read_only=True)
    try:
        journal.open_sync()
    except JournalError as exc:
        raise CliError(exc.message) from exc
    return journal


def cmd_journal(args: argparse.Namespace) -> int:
    from pipedrive_gui.receiver import JournalQuery, Outcome

    outcomes = tuple(args.outcome or ()) + ((Outcome.FAILED,) if args.failed else ())
    journal = _open_journal(args)
    try:
        page = journal.query_sync(
            JournalQuery(
                outcomes=outcomes, types=tuple(args.types or ()), text=args.search, limit=max(1, args.limit)
            )
        )
    finally:
        journal.close_sync()
    if args.json:
        for row in page.rows:
            print(json.dumps(row.to_dict(), ensure_ascii=False))
        return 0
    if not page.rows:
        print("No events match.")
        return 0
    print(f"{'#':>6}  {'received':24}  {'type':8}  {'event / name':22}  {'user':18}  {'outcome':9}  summary")
    # The summary says why an event failed: in a terminal it gets the rest of the line; piped into
    # a file or grep it is printed whole.
    room = shutil.get_terminal_size().columns - 100 if sys.stdout.isatty() else None
    for row in page.rows:
        user = row.user_id or row.anonymous_id or ""
        summary = row.summary or ""
        if room is not None and len(summary) > max(room, 30):
            summary = summary[: max(room, 30) - 1] + "…"
        print(
            f"{row.seq:>6}  {row.received_at:24}  {row.type[:8]:8}  {(row.name or '')[:22]:22}  "
            f"{user[:18]:18}  {row.outcome:9}  {summary}"
        )
    print(
        f"\n{len(page.rows)} of {page.total} shown (newest first). The journal {journal.retention.describe()}."
    )
    return 0


# -- replay --------------------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace) -> int:
    if not args.ids and not args.failed:
        raise CliError("Say which events to replay: their numbers or messageIds, or --failed.")
    project = _load_project(args.project) if args.project else None
    _open_journal(args).close_sync()  # a clear message when there is no journal
    target = _target(args, project) if project is not None else None
    return asyncio.run(_replay(args, project, target))


async def _replay(args: argparse.Namespace, project: Any, target: Any) -> int:
    """Mark the events (a write, through the journal's writer like any other), then dispatch them
    only if no receiver holds the journal's lock: the process with the lock is the one dispatcher,
    so an event is never dispatched by two processes at once. While this holds the lock, a receiver
    refuses to start."""
    from pipedrive_gui.receiver import Dispatcher, Journal, ReceiverError, ReceiverMode
    from pipedrive_gui.receiver.lock import JournalLock
    from pipedrive_gui.receiver.setup import open_processor

    # Digits name an event number (seq); anything else, or digits beyond any event number, a messageId.
    ids: list[int | str] = [int(i) if i.isdigit() and int(i) <= SQLITE_MAX_INT else i for i in args.ids]
    path = _journal_path(args)
    lock = JournalLock(path)
    have_lock = lock.acquire()
    try:
        async with Journal(path) as journal:
            marked = await journal.mark_for_replay(ids, failed=args.failed, force=args.force)
            if not marked:
                print("Nothing to replay (unknown ids, events still queued, or events Segment would drop).")
                return 0
            print(f"Queued {len(marked)} event(s) for replay{' (forced)' if args.force else ''}.")
            if not have_lock:
                print("The running receiver dispatches them now.")
                return 0
            if project is None:
                print(
                    "They are dispatched when a receiver runs (`pipedrive-gui receive PROJECT`), "
                    "or replay with --project to dispatch now."
                )
                return 0
            try:
                mode = ReceiverMode.LIVE if args.live else ReceiverMode.DRY_RUN
                handle = await open_processor(project, mode=mode, target=target, ledger=_ledger(args))
            except ReceiverError as exc:
                raise CliError(exc.message) from exc
            async with handle:
                await Dispatcher(journal, handle.processor).run_until_idle()
            for seq in marked:
                detail = await journal.detail(seq)
                if detail is not None:
                    print(
                        f"#{seq} {detail.row.message_id}: {detail.row.outcome} — {detail.row.summary or ''}"
                    )
            return 0
    finally:
        lock.release()


# -- export --------------------------------------------------------------------------------------------


def cmd_journal_export(args: argparse.Namespace) -> int:
    from pipedrive_gui.receiver import JournalQuery, Outcome

    journal = _open_journal(args)
    try:
        q = JournalQuery(outcomes=(Outcome.FAILED,)) if args.failed else None
        n = journal.export_jsonl_sync(args.output, q)
    except OSError as exc:
        raise CliError(f"Could not write {args.output}: {exc.strerror or exc}.") from exc
    finally:
        journal.close_sync()
    print(f"Wrote {n} event(s) to {args.output}.")
    return 0
