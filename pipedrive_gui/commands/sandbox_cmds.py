"""``pipedrive-gui sandbox``: run the offline Pipedrive emulator until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

from pipedrive_gui.commands.argtypes import amount, port

DEFAULT_PORT = 8766


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sandbox",
        help="run an offline Pipedrive sandbox (seeded company 'Sandbox Co') until Ctrl-C",
        description="Run an offline Pipedrive emulator with seeded fields and records. Point the app "
        "or the CLI at it with --base-url (or PIPEDRIVE_BASE_URL); any API token except 'bad-token' works.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free port)"
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, repeatable: KIND[:key=value,...] with KIND one of rate_limit (429), "
        "server_error (500/503), slow, drop, abuse_block (HTML 403), error (a JSON refusal: 400, 401, "
        "402, json403, 404); keys: path, method, count, rate, status, retry_after, delay_ms, daily, "
        "after. Examples: 429:count=3,retry_after=2  503:rate=0.1  slow:delay_ms=800,path=/api/v2/*  "
        "drop:count=1  402:path=/api/v2/persons*  503:after=true,method=POST (the write lands, then 503)",
    )
    p.add_argument(
        "--search-lag",
        type=amount(0, 24 * 3600, "seconds"),
        default=0.0,
        metavar="SECONDS",
        help="records written less than SECONDS ago are not found by search yet",
    )
    p.add_argument(
        "--enforce-burst",
        action="store_true",
        help="answer 429 beyond the burst limit (40 requests / 2 s; search 10 / 2 s)",
    )
    p.add_argument(
        "--empty", action="store_true", help="start without seeded records (fields and users stay)"
    )
    p.add_argument("--quiet", action="store_true", help="do not print one line per request")
    p.set_defaults(func=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import sys

    from pipedrive_gui.commands.common import CliError
    from pipedrive_gui.sandbox import FaultSettings, FaultSpecError, parse_fault_spec

    faults = FaultSettings(search_lag_s=max(0.0, args.search_lag), enforce_burst=args.enforce_burst)
    for spec in args.fault:
        try:
            faults.rules.append(parse_fault_spec(spec))
        except FaultSpecError as exc:
            raise CliError(f"--fault {spec!r}: {exc}", 2) from None
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port {args.port}: choose a port between 0 and 65535", 2)
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log = logging.getLogger("pipedrive_gui.sandbox")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        asyncio.run(_serve(args, faults))
    except KeyboardInterrupt:
        print("Sandbox stopped.", flush=True)
    return 0


async def _serve(args: argparse.Namespace, faults: Any) -> None:
    import asyncio

    from pipedrive_gui.commands.common import CliError
    from pipedrive_gui.sandbox import start_sandbox

    try:
        sandbox = await start_sandbox(args.host, args.port, seed=not args.empty, faults=faults)
    except OSError as exc:
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise CliError(
                f"Port {args.port} on {args.host} is already in use, perhaps by a sandbox started earlier "
                f"(check with `pipedrive-gui --base-url http://{args.host}:{args.port} whoami`). "
                "Pick another --port, or --port 0 for any free one."
            ) from None
        raise CliError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
            "pick another --port, or --port 0 for any free one"
        ) from None
    company = sandbox.state.store.company
    lines = [
        f"Pipedrive sandbox running at {sandbox.base_url}  (company {company['name']!r}, domain {company['domain']!r})",
        f"Point the CLI at it:  pipedrive-gui --base-url {sandbox.base_url} COMMAND ...",
        f"  or set PIPEDRIVE_BASE_URL={sandbox.base_url}",
        f"API token: any value except 'bad-token', e.g. PIPEDRIVE_API_TOKEN={sandbox.token}",
        f"Faults: {len(faults.rules)} active; change them with POST {sandbox.base_url}/__sandbox/faults",
        "Press Ctrl-C to stop.",
    ]
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        lines.insert(1, "Warning: listening beyond this computer; the sandbox accepts any token.")
    print("\n".join(lines), flush=True)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        await stop.wait()
        print("Sandbox stopped.", flush=True)
    finally:
        await sandbox.stop()


def _stop_on_signals(stop: Any) -> None:
    """Ctrl-C and SIGTERM end the sandbox cleanly (where the loop supports signal handlers;
    elsewhere Ctrl-C arrives as KeyboardInterrupt)."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
