"""How events are stored: each exactly as the intake encoded it, and the WAL kept in bounds."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pipedrive_gui.receiver import Journal
from pipedrive_gui.receiver.intake import AcceptedBatch, accept_request, encode_json, events_from_request


async def test_each_stored_event_is_exactly_its_own_encoding(tmp_path: Path) -> None:
    """The journal cuts each event out of the request's bodies by offset: every event row must hold
    exactly the bytes the intake's encoder wrote for it (multi-byte characters, escapes, numbers)."""
    items = [
        {
            "type": "identify",
            "userId": "Zoë \u2603 \U0001f600",
            "messageId": "u1",
            "traits": {"n": 1e300, "i": -0, "f": 0.1},
        },
        {
            "type": "track",
            "event": 'quote " backslash \\ tab \t nul \u0000 line\u2028',
            "anonymousId": "a",
            "messageId": "u2",
        },
        {
            "type": "track",
            "event": "big",
            "userId": "u",
            "messageId": "u3",
            "properties": {"big": 2**70, "neg": -(2**63)},
        },
        {
            "type": "page",
            "userId": "u",
            "messageId": "u4",
            "properties": {"a": [[], {}, [None, True, False]], "e": ""},
        },
    ]
    when = datetime(2026, 11, 30, 12, 0, 1, tzinfo=timezone.utc)
    expected = {
        e.message_id: e.body
        for e in events_from_request("batch", json.loads(json.dumps({"batch": items})), when)
    }
    async with Journal(tmp_path / "j.sqlite3") as journal:
        accepted = accept_request("batch", json.loads(json.dumps({"batch": items})), when)
        assert isinstance(accepted, AcceptedBatch)
        await journal.append(accepted)
        stored = await journal.read(
            lambda c: dict(c.execute("SELECT message_id, body FROM events").fetchall())
        )
    assert {k: v.encode("utf-8") for k, v in stored.items()} == expected
    assert json.loads(stored["u3"])["properties"]["big"] == 2**70
    assert encode_json(json.loads(stored["u1"])) == stored["u1"].encode("utf-8")


async def test_sustained_intake_checkpoints_the_wal(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Requests that never pause must not grow the WAL without end (every commit would slow down):
    the writer checkpoints after a number of rows, after answering."""
    import asyncio

    from pipedrive_gui.receiver import journal as journal_module

    monkeypatch.setattr(journal_module._Writer, "CHECKPOINT_ROWS", 2000)
    monkeypatch.setattr(journal_module._Writer, "IDLE_CHECKPOINT", 3600.0)  # only the row count triggers it
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as journal:
        for r in range(10):
            requests = [
                accept_request(
                    "batch",
                    {
                        "batch": [
                            {
                                "type": "track",
                                "event": "E",
                                "userId": "u",
                                "messageId": f"{r}-{k}-{i}",
                                "properties": {"pad": "x" * 300},
                            }
                            for i in range(100)
                        ]
                    },
                )
                for k in range(5)
            ]
            await asyncio.gather(*(journal.append(a) for a in requests))
        assert (await journal.counts())["pending"] == 5000
        wal = path.with_name(path.name + "-wal").stat().st_size
        assert wal < path.stat().st_size, f"WAL {wal:,} bytes, database {path.stat().st_size:,} bytes"
