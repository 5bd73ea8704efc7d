"""Receiver intake throughput: events/s accepted *and journaled* through ``/v1/batch``.

"Journaled" means what a 200 means: every event is a row of its own in the journal, deduplicated by
messageId (the ``seen`` table), committed with ``synchronous=FULL`` (fsync) before the answer. The
load comes from a separate process over loopback (aiohttp client, several connections, batches of
``--batch`` events with random UUID messageIds, as real clients make them), in rounds; the server's
RSS is read after each round (memory must stay flat however many events go through: nothing about
them is kept in memory).

    .venv/bin/python benchmarks/bench_receiver.py            # 200,000 events
    .venv/bin/python benchmarks/bench_receiver.py --full     # 1,000,000 events

The floor: >= 20,000 events/s on this 2-core machine (load generator included), every event
journaled once, RSS growth < 50 MB over the run. That is a floor, not a goal: Pipedrive's rate limit
lets the dispatcher write a few events per second, so a live receiver never comes near it. For
context the run also measures a bare aiohttp handler that only parses the body (no target).
Other work on the machine slows both down: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipedrive_gui.receiver import Receiver, ReceiverSettings, Retention  # noqa: E402

WRITE_KEY = "bench-key"
FLOOR_EVENTS_PER_S = 20_000
MAX_RSS_GROWTH_MB = 50.0


def cpu_seconds() -> float:
    """CPU time of this process (all threads): the servers under test; the load runs elsewhere."""
    t = os.times()
    return t.user + t.system


def rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- load generator (separate process) -------------------------------------------------------------

# messageIds are random UUIDs, as analytics-python, analytics-node and analytics.js make them
# (sequential ids would flatter the dedupe table's index).
EVENT_TEMPLATE = (
    '{"type":"track","event":"Order Completed","userId":"user-%d","messageId":"%s-%s",'
    '"timestamp":"2026-11-30T12:00:00.000Z","properties":{"order_id":"o-%d","revenue":42.5,'
    '"currency":"EUR","products":[{"sku":"sku-1","price":21.25,"quantity":2}]},'
    '"context":{"library":{"name":"bench","version":"1.0"},"ip":"127.0.0.1"}}'
)


def _loadgen(url: str, total: int, batch: int, concurrency: int, tag: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import aiohttp

    # Bodies are built before the clock starts so the generator spends its CPU on sending only
    # (this 2-core machine also runs the server under test).
    bodies = []
    for start in range(0, total, batch):
        n = min(batch, total - start)
        events = ",".join(EVENT_TEMPLATE % (i % 5000, tag, uuid.uuid4(), i) for i in range(start, start + n))
        body = f'{{"writeKey":"{WRITE_KEY}","sentAt":"2026-11-30T12:00:01.000Z","batch":[{events}]}}'
        bodies.append((n, body.encode()))

    async def run() -> tuple[float, int, int]:
        todo = iter(bodies)
        ok = failed = 0
        connector = aiohttp.TCPConnector(limit=concurrency)
        headers = {"Content-Type": "application/json"}
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                nonlocal ok, failed
                for n, body in todo:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        if resp.status == 200:
                            ok += n
                        else:
                            failed += n

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - t0, ok, failed

    out.put(asyncio.run(run()))


async def drive(url: str, total: int, batch: int, concurrency: int, tag: str) -> tuple[float, int, int]:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=_loadgen, args=(url, total, batch, concurrency, tag, q))
    proc.start()
    result = await asyncio.to_thread(q.get)
    await asyncio.to_thread(proc.join)
    return result  # type: ignore[no-any-return]


# -- servers ---------------------------------------------------------------------------------------


async def start_bare() -> tuple[web.AppRunner, str]:
    async def handler(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.Response(body=b'{"success":true}', content_type="application/json")

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post("/v1/batch", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1/batch"


def journal_counts(db: Path) -> tuple[int, int, int]:
    """Events rows, distinct messageIds among them, and messageIds in the dedupe window."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        events, distinct = conn.execute("SELECT count(*), count(DISTINCT message_id) FROM events").fetchone()
        seen = conn.execute("SELECT count(*) FROM seen").fetchone()[0]
        return int(events), int(distinct), int(seen)
    finally:
        conn.close()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="1,000,000 events through the receiver")
    ap.add_argument(
        "--events", type=int, help="events through the receiver (default 200,000; 1,000,000 with --full)"
    )
    ap.add_argument("--rounds", type=int, help="rounds of load (default: one per 100,000 events)")
    ap.add_argument("--batch", type=int, default=100, help="events per /v1/batch request (default 100)")
    ap.add_argument("--concurrency", type=int, default=8, help="client connections (default 8)")
    ap.add_argument(
        "--synchronous", default="FULL", choices=("FULL", "NORMAL"), help="SQLite durability level"
    )
    ap.add_argument(
        "--bare-events",
        type=int,
        default=100_000,
        help="events through the bare handler, for context (0: skip)",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    total = args.events or (1_000_000 if args.full else 200_000)
    rounds = max(1, args.rounds or total // 100_000)
    per_round = total // rounds
    total = per_round * rounds

    print(
        f"cpus={os.cpu_count()} python={sys.version.split()[0]} sqlite={sqlite3.sqlite_version} batch={args.batch} "
        f"conns={args.concurrency} rounds={rounds}x{per_round:,}; load average at start {load_average()}",
        flush=True,
    )
    settings = ReceiverSettings(
        write_key=WRITE_KEY,
        retention=Retention(max_age_days=None, max_rows=None, max_bytes=None),
        synchronous=args.synchronous,
    )
    recv_t = recv_n = failed = recv_cpu = 0.0
    rows: list[tuple[float, float, float]] = []  # (events/s, us CPU/event, RSS MB) per round
    bare_rate = None
    with tempfile.TemporaryDirectory(prefix="bench-receiver-") as tmp:
        if args.bare_events > 0:
            bare_runner, bare_url = await start_bare()
            try:
                t, ok, bad = await drive(bare_url, args.bare_events, args.batch, args.concurrency, "bare")
                bare_rate = ok / t
                failed += bad
            finally:
                await bare_runner.cleanup()
        receiver = Receiver(Path(tmp), settings)
        await receiver.start()
        try:
            rss_start = rss_mb()
            for r in range(rounds):
                c0 = cpu_seconds()
                t, ok, bad = await drive(
                    receiver.url + "/v1/batch", per_round, args.batch, args.concurrency, f"r{r}"
                )
                cpu = cpu_seconds() - c0
                recv_t += t
                recv_n += ok
                recv_cpu += cpu
                failed += bad
                rows.append((ok / t, cpu / max(1, ok) * 1e6, rss_mb()))
                print(
                    f"  round {r + 1}: {ok / t:,.0f} events/s, server CPU {rows[-1][1]:.1f} us/event, "
                    f"RSS {rows[-1][2]:.1f} MB, load average {load_average()}",
                    flush=True,
                )
            rss_end = rss_mb()
            commits = receiver.journal.commits
        finally:
            await receiver.stop()
        db = receiver.journal.path
        events, distinct, seen = journal_counts(db)
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
    recv_rate = recv_n / recv_t
    if bare_rate is not None:
        print(f"bare aiohttp handler (read + json.loads only, for context): {bare_rate:,.0f} events/s")
    print(
        f"receiver (accepted + journaled, synchronous={args.synchronous}): {recv_rate:,.0f} events/s over "
        f"{recv_n:,.0f} events (rounds {min(r[0] for r in rows):,.0f}-{max(r[0] for r in rows):,.0f}/s; "
        f"first {rows[0][0]:,.0f}/s, last {rows[-1][0]:,.0f}/s); server CPU {recv_cpu / recv_n * 1e6:.1f} us/event"
    )
    print(
        f"journal: {events:,} events ({distinct:,} messageIds), {seen:,} in the dedupe window, {commits:,} commits "
        f"({recv_n / max(1, commits):,.0f} events/commit), {size / 1024 / 1024:,.0f} MB"
    )
    print(
        f"server RSS: start {rss_start:.1f} MB -> after round 1 {rows[0][2]:.1f} MB -> end {rss_end:.1f} MB "
        f"(growth {rss_end - rss_start:+.1f} MB, {rss_end - rows[0][2]:+.1f} MB after round 1: SQLite's page "
        f"cache fills to its bound first); load average at end {load_average()}"
    )
    holds = (
        recv_rate >= FLOOR_EVENTS_PER_S
        and failed == 0
        and events == distinct == seen == total
        and rss_end - rss_start < MAX_RSS_GROWTH_MB
    )
    print(
        f"floor (>= {FLOOR_EVENTS_PER_S:,} events/s, every event journaled once, RSS growth < "
        f"{MAX_RSS_GROWTH_MB:.0f} MB): {'HOLDS' if holds else 'DOES NOT HOLD'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "receiver_events_per_s": recv_rate,
                    "bare_events_per_s": bare_rate,
                    "journaled": events,
                    "distinct": distinct,
                    "seen": seen,
                    "failed": failed,
                    "rss_start_mb": rss_start,
                    "rss_end_mb": rss_end,
                    "cpu_us_per_event": recv_cpu / recv_n * 1e6,
                    "load_average": load_average(),
                    "rounds": rows,
                    "floor_holds": holds,
                }
            )
        )
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
