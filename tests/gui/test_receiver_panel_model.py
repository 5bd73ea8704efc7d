"""The receiver's event table model: Qt's model contract, and 100,000 events without loading them all."""

from __future__ import annotations

import functools
import gc
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")

from pipedrive_gui.gui.receiver_model import (  # noqa: E402
    EventFilter,
    EventRow,
    EventTableModel,
    JournalSource,
    JournalWatcher,
    format_time,
)
from pipedrive_gui.gui.tasks import TaskRunner  # noqa: E402
from pipedrive_gui.receiver import JOURNAL_FILE, Journal, Retention  # noqa: E402
from pipedrive_gui.receiver.intake import AcceptedEvent  # noqa: E402

# Shared fixtures (aloop, rec) and helpers live in the panel's test module.
from tests.gui.test_receiver_panel import aloop, make_panel, rec, run, until  # noqa: E402, F401

OUTCOME_CYCLE = ("delivered", "planned", "failed", "skipped", "dropped")


def events(n: int, start: int = 0) -> list[AcceptedEvent]:
    out = []
    for i in range(start, start + n):
        kind = "track" if i % 3 else "identify"
        body = {
            "type": kind,
            "messageId": f"msg-{i:06d}",
            "userId": f"user-{i % 997}",
            "receivedAt": f"2026-01-{1 + i % 28:02d}T10:{i % 60:02d}:00.000Z",
            "properties" if kind == "track" else "traits": {"n": i, "label": f"item {i}"},
        }
        if kind == "track":
            body["event"] = f"Event {i % 7}"
        out.append(AcceptedEvent(f"msg-{i:06d}", kind, None, json.dumps(body, separators=(",", ":"))))
    return out


async def fill(path: Path, n: int, start: int = 0) -> None:
    """Bulk insert through the journal's API, then give the events varied outcomes in one write."""
    journal = Journal(path, retention=Retention(None, None, None), synchronous="OFF")
    await journal.open()
    try:
        await journal.append(events(n, start))

        def outcomes(conn: Any) -> None:
            result = json.dumps(
                [
                    {"mapping": "People", "fired": True, "outcome": "create"},
                    {"mapping": "Deals", "fired": False},
                ]
            )
            for k, outcome in enumerate(OUTCOME_CYCLE):
                conn.execute(
                    "UPDATE events SET outcome = ?, result = ?, summary = ?"
                    " WHERE seq % 5 = ? AND outcome = 'pending'",
                    (
                        outcome,
                        result if outcome in ("delivered", "planned") else None,
                        f"summary {outcome}",
                        k,
                    ),
                )

        await journal.write(outcomes)
    finally:
        await journal.close()


def test_model_passes_qt_model_tester_while_events_arrive(
    aloop: Any,  # noqa: F811
    qtmodeltester: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / JOURNAL_FILE

    async def scenario() -> None:
        await fill(path, 40)
        runner = TaskRunner()
        journal = Journal(path)
        await journal.open()
        model = EventTableModel(runner.spawn)
        try:
            model.set_source(JournalSource(journal))
            await until(lambda: model.rowCount() == 40, "the count")
            for row in range(40):
                model.data(model.index(row, 0))
            await until(lambda: not model.busy, "the pages")
            qtmodeltester.check(model)
            assert model.data(model.index(1, 2)) == "Event 3"  # newest first: msg-000038
            assert model.data(model.index(39, 1)) == "identify"

            await fill(path, 5, start=40)  # new events arrive while the table shows
            model.refresh()
            await until(lambda: model.rowCount() == 45, "the new rows")
            await until(lambda: (top := model.row_data(0)) is not None and top.seq == 45, "the new top row")
            qtmodeltester.check(model)

            model.set_filter(EventFilter(outcome="failed"))
            await until(lambda: model.rowCount() == 9, "the failed filter")
            qtmodeltester.check(model)
            model.set_filter(EventFilter(outcome="fired", type="identify"))
            await until(lambda: model.rowCount() > 0 and not model.busy, "a combined filter")
            for row in range(model.rowCount()):
                r = model.row_data(row)
                assert r is None or (r.type == "identify" and r.outcome in ("planned", "delivered"))
        finally:
            await runner.wait_idle()
            await journal.close()

    run(aloop, scenario())


def test_100k_events_stay_smooth_and_are_never_all_loaded(
    aloop: Any,  # noqa: F811
    data_dir: Path,
    rec: Any,  # noqa: F811
) -> None:
    from pipedrive_gui.core.project import Project

    total = 100_000
    # Filling the journal allocates 100,000 events in its writer thread, where Python's cycle collector
    # would then run: garbage Qt objects left by earlier tests must be collected here, on the GUI thread
    # (Qt warns, and may crash, when a QObject with timers is deleted from another thread).
    gc.collect()

    async def scenario() -> None:
        started = time.perf_counter()
        path = data_dir / "data" / JOURNAL_FILE
        await fill(path, total)
        fill_s = time.perf_counter() - started
        panel, runner = make_panel(data_dir, rec, Project())
        model = panel.model
        try:
            await until(lambda: model.rowCount() == total, "the count", timeout=20)
            await until(lambda: not model.busy, "the first visible page")
            first_pages = model.pages_loaded
            assert first_pages <= 2  # only what the window shows

            # data() never waits: a row that is not cached answers a placeholder at once.
            rng = random.Random(7)
            rows = [rng.randrange(total) for _ in range(300)]
            t0 = time.perf_counter()
            for row in rows:
                model.data(model.index(row, 2))
                model.rowCount()
            per_call = (time.perf_counter() - t0) / len(rows)
            # A blocking read of the journal would take tens of ms; the margin is for busy machines
            # (the whole suite runs beside other work), not for a slower implementation.
            assert per_call < 0.005, f"data() took {per_call * 1000:.2f} ms"
            await until(lambda: not model.busy, "the random pages", timeout=20)

            # Each page of a random row arrives quickly (including deep offsets).
            latencies = []
            for row in rng.sample(range(total), 25):
                t0 = time.perf_counter()
                loaded: EventRow = await until(functools.partial(model.row_data, row), f"row {row}")
                latencies.append(time.perf_counter() - t0)
                assert loaded.message_id == f"msg-{total - 1 - row:06d}"
            assert statistics.median(latencies) < 0.3, latencies
            assert model.cached_rows <= EventTableModel.MAX_ROWS

            # Scrolling to the end loads the last page, not everything before it.
            before = model.pages_loaded
            panel.table.scrollToBottom()
            oldest: EventRow = await until(lambda: model.row_data(total - 1), "the oldest row")
            assert oldest.message_id == "msg-000000"
            assert model.pages_loaded - before <= 3
            assert model.cached_rows <= EventTableModel.MAX_ROWS < total

            # A new event while scrolled to the end: it appears on top, the oldest row stays put.
            await fill(path, 1, start=total)
            await until(lambda: model.rowCount() == total + 1, "the new event", timeout=5)
            model.data(model.index(0, 0))
            await until(
                lambda: (top := model.row_data(0)) is not None and top.message_id == f"msg-{total:06d}",
                "the new row on top",
            )
            print(
                f"\n100k journal: fill {fill_s:.2f} s, data() {per_call * 1e6:.0f} µs, "
                f"page median {statistics.median(latencies) * 1000:.1f} ms, pages loaded {model.pages_loaded}"
            )
        finally:
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario(), timeout=120)


def test_watcher_notices_commits_from_another_connection(
    aloop: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / JOURNAL_FILE

    async def scenario() -> None:
        watcher = JournalWatcher(path)
        assert watcher.changed() is False  # no file yet
        await fill(path, 1)
        assert watcher.changed() is False  # first look sets the baseline
        assert watcher.changed() is False
        await fill(path, 1, start=1)
        assert watcher.changed() is True
        assert watcher.changed() is False
        watcher.close()

    run(aloop, scenario())


def test_counts_mean_what_the_journal_filters_mean(aloop: Any, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / JOURNAL_FILE

    async def scenario() -> None:
        await fill(path, 60)
        journal = Journal(path)
        await journal.open()
        source = JournalSource(journal)
        try:
            for flt in (
                EventFilter(),
                EventFilter(outcome="failed"),
                EventFilter(type="identify"),
                EventFilter(outcome="fired", type="track"),
                EventFilter(text="item 1"),
                EventFilter(text="50%_"),
                EventFilter(outcome="waiting"),
            ):
                total, top = await source.snapshot(flt)
                page = await journal.query(flt.query(limit=1))
                assert total == page.total, flt
                assert top == (page.rows[0].seq if page.rows else None), flt
                below = await source.count_upto(flt, 30)
                older = await journal.query(flt.query(limit=10_000, before=31, count_total=False))
                assert below == len(older.rows), flt
        finally:
            await journal.close()

    run(aloop, scenario())


def test_time_is_shown_local_and_short() -> None:
    assert format_time("") == ""
    assert format_time("not a time") == "not a time"
    shown = format_time("2026-01-02T03:04:05.000Z", today="1999-01-01")
    assert len(shown) == len("2026-01-02 03:04") and shown.startswith("2026-01-0")
