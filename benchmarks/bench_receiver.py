"""Receiver intake throughput: events/s accepted *and journaled* through ``/v1/batch``.

Baseline in the same run: a bare aiohttp handler that only reads and parses the JSON body. The
load comes from a separate process over loopback (aiohttp client, several connections, batches of
``--batch`` events with unique messageIds). Reports events/s for both, the ratio and the server's
RSS at start and end (memory must stay flat however many events go through).

"Journaled" means committed (fsync) before the 200: the journal commits each request whole and
splits it into per-event rows right after (see ``journal.py``). After each receiver round the
benchmark waits for that split and reports a "settled" rate that includes it, and the server CPU
per event (all threads, split included), which machine noise disturbs far less than rates.

    .venv/bin/python benchmarks/bench_receiver.py            # 200,000 events per server
    .venv/bin/python benchmarks/bench_receiver.py --full     # 1,000,000 events

Targets: >= 10,000 events/s and >= 0.5x the bare handler; flat RSS over 1,000,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipedrive_gui.receiver import Receiver, ReceiverSettings, Retention  # noqa: E402

WRITE_KEY = "bench-key"


def cpu_seconds() -> float:
    """CPU time of this process (all threads): the servers under test; the load runs elsewhere."""
    t = os.times()
    return t.user + t.system


def unsplit(db: Path) -> int:
    """Events committed (acknowledged) but not yet split into rows of their own."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT coalesce(sum(count), 0) FROM inbox").fetchone()[0])
    finally:
        conn.close()


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


# -- load generator (separate process) -------------------------------------------------------------

# messageIds are random UUIDs, as analytics-python, analytics-node and analytics.js make them
# (sequential ids would flatter any index on them).
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


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="1,000,000 events through the receiver")
    ap.add_argument("--events", type=int, help="events through the receiver (default 200,000; 1,000,000 with --full)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating bare/receiver rounds (default 5)")
    ap.add_argument("--batch", type=int, default=100, help="events per /v1/batch request (default 100)")
    ap.add_argument("--concurrency", type=int, default=8, help="client connections (default 8)")
    ap.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"), help="SQLite durability level")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    total = args.events or (1_000_000 if args.full else 200_000)
    rounds = max(1, args.rounds)
    per_round = total // rounds
    total = per_round * rounds
    # The same load on both sides: the load generator itself slows down as its pre-built bodies
    # grow (200,000 events: ~75 MB), so shorter baseline rounds would flatter the baseline.
    bare_per_round = per_round

    print(f"cpus={os.cpu_count()} python={sys.version.split()[0]} batch={args.batch} conns={args.concurrency} "
          f"rounds={rounds}; bare and receiver alternate so machine noise hits both", flush=True)
    settings = ReceiverSettings(
        write_key=WRITE_KEY,
        retention=Retention(max_age_days=None, max_rows=None, max_bytes=None),
        synchronous=args.synchronous,
    )
    bare_t = bare_n = recv_t = recv_n = failed = bare_cpu = recv_cpu = settle_t = 0.0
    max_backlog = 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-receiver-") as tmp:
        bare_runner, bare_url = await start_bare()
        receiver = Receiver(Path(tmp), settings)
        await receiver.start()
        try:
            rss_start = rss_mb()
            for r in range(rounds):
                c0 = cpu_seconds()
                t, ok, bad = await drive(bare_url, bare_per_round, args.batch, args.concurrency, f"bare{r}")
                c1 = cpu_seconds()
                bare_t += t
                bare_n += ok
                t2, ok2, bad2 = await drive(receiver.url + "/v1/batch", per_round, args.batch, args.concurrency, f"r{r}")
                # Requests are committed whole before their 200 and split into per-event rows just
                # after (see journal.py). Wait until that is done, so the split's CPU counts for the
                # receiver (not the next bare round) and the settled rate includes it.
                backlog = unsplit(receiver.journal.path)
                t_settle = time.perf_counter()
                await receiver.counts()  # a read: splits what is left first
                settle = time.perf_counter() - t_settle
                c2 = cpu_seconds()
                settle_t += settle
                max_backlog = max(max_backlog, backlog)
                bare_cpu += c1 - c0
                recv_cpu += c2 - c1
                recv_t += t2
                recv_n += ok2
                failed += bad + bad2
                rows.append((ok / t, ok2 / t2, rss_mb()))
                print(f"  round {r + 1}: bare {ok / t:,.0f}/s  receiver {ok2 / t2:,.0f}/s  "
                      f"ratio {(ok2 / t2) / (ok / t):.2f}  unsplit at end {backlog:,} events, split in {settle * 1000:.0f} ms"
                      f"  RSS {rows[-1][2]:.1f} MB", flush=True)
            rss_end = rss_mb()
            counts = await receiver.counts()
            commits = receiver.journal.commits
        finally:
            await receiver.stop()
            await bare_runner.cleanup()
        db = receiver.journal.path
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
    bare_rate = bare_n / bare_t
    recv_rate = recv_n / recv_t
    ratio = recv_rate / bare_rate
    journaled = sum(counts.values())
    print(f"bare aiohttp handler (read + json.loads only): {bare_rate:,.0f} events/s over {bare_n:,.0f} events")
    print(f"receiver (accepted + journaled, synchronous={args.synchronous}): {recv_rate:,.0f} events/s over "
          f"{recv_n:,.0f} events; {journaled:,} in the journal, {commits:,} commits "
          f"({recv_n / max(1, commits):,.0f} events/commit), journal {size / 1024 / 1024:,.0f} MB")
    print(f"settled (every event also split into its own row): {recv_n / (recv_t + settle_t):,.0f} events/s, "
          f"ratio {recv_n / (recv_t + settle_t) / bare_rate:.2f}x; largest unsplit backlog {max_backlog:,} events")
    round_ratios = sorted(rec / bare for bare, rec, _rss in rows)
    print(f"ratio receiver/bare: {ratio:.2f}x (per round: median {round_ratios[len(round_ratios) // 2]:.2f}, "
          f"{round_ratios[0]:.2f}-{round_ratios[-1]:.2f})   server RSS start {rss_start:.1f} MB -> end {rss_end:.1f} MB")
    print(f"server CPU per event (robust to machine noise): "
          f"bare {bare_cpu / bare_n * 1e6:.1f} us, receiver {recv_cpu / recv_n * 1e6:.1f} us "
          f"(CPU-bound ratio {bare_cpu / bare_n / (recv_cpu / recv_n):.2f}x)")
    ok_all = recv_rate >= 10_000 and ratio >= 0.5 and failed == 0 and journaled == total and rss_end - rss_start < 50
    print("targets (>=10,000/s, >=0.5x bare, all journaled, RSS growth < 50 MB):", "MET" if ok_all else "NOT MET")
    if args.json:
        print(json.dumps({"bare_events_per_s": bare_rate, "receiver_events_per_s": recv_rate, "ratio": ratio,
                          "journaled": journaled, "rss_start_mb": rss_start,
                          "settled_events_per_s": recv_n / (recv_t + settle_t), "max_unsplit": max_backlog,
                          "bare_cpu_us_per_event": bare_cpu / bare_n * 1e6, "receiver_cpu_us_per_event": recv_cpu / recv_n * 1e6, "rss_end_mb": rss_end, "rounds": rows}))
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
