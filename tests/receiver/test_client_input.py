"""Segment's answer for every input: what the receiver does with odd JSON, slow clients and a journal
it cannot write, and how the CLI treats numbers out of range.

Segment's tracking API is a Go service: what Go's JSON parser accepts gets a 200 (a lone UTF-16
surrogate, invalid UTF-8 inside a string as U+FFFD), what it refuses gets a 400 for the request
(NaN, Infinity, numbers beyond a double). Nesting is limited (here at 254 levels, a 400). Nothing a
client sends is answered 5xx.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pipedrive_gui.cli import main
from pipedrive_gui.core.project import Project, save_project
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import (
    JOURNAL_FILE,
    JournalError,
    JournalQuery,
    MappingProcessor,
    Receiver,
    ReceiverSettings,
)
from pipedrive_gui.receiver.intake import MAX_DEPTH
from tests.receiver.conftest import WRITE_KEY, eventually, person_by_email
from tests.receiver.support import existing_journal, read_only

BASIC = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
HALF = "\ud83c"  # the first half of 🎉 (U+1F389): what "🎉".slice(0, 1) gives in JavaScript

# A template for the name, so a lone surrogate goes through one into the payload.
PERSON = person_by_email(name={"@template": "{{traits.name}}!"})


async def post(
    r: Receiver, path: str, raw: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as s,
        s.post(r.url + path, data=raw, headers={**BASIC, **(headers or {})}) as resp,
    ):
        text = await resp.text()
        assert resp.content_type == "application/json", f"{resp.status} {text!r}"
        return resp.status, json.loads(text)


def as_json(value: object) -> bytes:
    """JSON as a JavaScript or Python client writes it: lone surrogates as \\uXXXX escapes."""
    return json.dumps(value).encode()


def identify(i: int, name: str = "Jane") -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": f"u{i}",
        "messageId": f"m{i}",
        "traits": {"name": name, "email": f"p{i}@example.com"},
    }


async def stored_events(r: Receiver) -> dict[str, dict[str, Any]]:
    page = await r.query(JournalQuery(oldest_first=True, limit=10_000))
    out = {}
    for row in page.rows:
        detail = await r.detail(row.seq)
        assert detail is not None
        out[row.message_id] = detail.event
    return out


# -- lone surrogates -------------------------------------------------------------------------------


async def test_a_lone_surrogate_costs_nothing_and_round_trips_to_dispatcher_and_export(
    data_dir: Path, tmp_path: Path
) -> None:
    processor = MappingProcessor([PERSON], None, "dry_run")
    folder = AppPaths.resolve(data_dir).data
    r = Receiver(folder, ReceiverSettings(write_key=WRITE_KEY), processor=processor)
    await r.start()
    try:
        batch = [identify(i) for i in range(99)]
        odd = identify(99, name=f"Party {HALF}")
        odd["messageId"] = f"m-{HALF}"  # in the id too (a column of its own)
        odd["traits"][f"key-{HALF}"] = [HALF, {"x": "\udfff"}]
        batch.append(odd)
        status, body = await post(r, "/v1/batch", as_json({"batch": batch}))
        assert (status, body) == (200, {"success": True})
        # Single-event endpoint, and a track whose event name (a listed column) is half an emoji.
        track = {"type": "track", "userId": "u1", "event": f"Won {HALF}", "messageId": "m-track"}
        assert (await post(r, "/v1/track", as_json(track)))[0] == 200

        events = await eventually(lambda: stored_events(r), lambda e: len(e) == 101)
        got = events["m-\\ud83c"]  # the id column keeps the escape; the event keeps the string
        assert got["messageId"] == f"m-{HALF}"
        assert got["traits"]["name"] == f"Party {HALF}"
        assert got["traits"][f"key-{HALF}"] == [HALF, {"x": "\udfff"}]
        assert events["m-track"]["event"] == f"Won {HALF}"

        # Listed with the name shown (U+FFFD where the half emoji was), not a failed page.
        page = await r.query(JournalQuery(types=("track",)))
        assert page.rows[0].name is not None and page.rows[0].name.startswith("Won ")

        # The dispatcher ran the mapping on the string itself: the payload carries it.
        page = await eventually(
            lambda: r.query(JournalQuery(limit=200)),
            lambda p: all(row.outcome not in ("pending", "retrying") for row in p.rows),
        )
        detail = await r.detail("m-\\ud83c")
        assert detail is not None
        assert detail.row.outcome == "planned", detail.row.summary
        [delivery] = detail.deliveries
        assert delivery["payload"]["name"] == f"Party {HALF}!"

        out = tmp_path / "export.jsonl"
        assert await r.export(out) == 101
    finally:
        await r.stop()
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    exported = {line["event"]["messageId"]: line for line in lines}
    assert exported[f"m-{HALF}"]["event"] == got
    assert exported[f"m-{HALF}"]["deliveries"][0]["payload"]["name"] == f"Party {HALF}!"

    # The CLI: journal (table and --json) and journal-export read it too.
    for argv in (["journal"], ["journal", "--json"], ["journal-export", "-o", str(tmp_path / "cli.jsonl")]):
        assert main(["--data-dir", str(data_dir), *argv]) == 0, argv
    cli_lines = [
        json.loads(line) for line in (tmp_path / "cli.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {line["event"]["messageId"]: line["event"] for line in cli_lines}[f"m-{HALF}"] == got


def test_analytics_python_delivers_a_batch_with_half_an_emoji(data_dir: Path) -> None:
    segment = pytest.importorskip("segment.analytics")

    async def scenario() -> None:
        r = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY))
        await r.start()
        try:

            def send() -> list[str]:
                errors: list[str] = []
                client = segment.Client(
                    write_key=WRITE_KEY,
                    host=r.url,
                    upload_size=20,
                    max_retries=0,
                    on_error=lambda e, _batch: errors.append(str(e)),
                )
                for i in range(20):
                    client.track(f"u{i}", "Clicked" if i != 7 else f"Clicked {HALF}", message_id=f"py-{i}")
                client.flush()
                client.join()
                return errors

            assert await asyncio.to_thread(send) == []
            events = await stored_events(r)
            assert len(events) == 20 and events["py-7"]["event"] == f"Clicked {HALF}"
        finally:
            await r.stop()

    asyncio.run(scenario())


# -- what Go refuses or accepts --------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
async def test_nan_infinity_and_out_of_range_numbers_are_a_400_like_segment(
    receiver: Receiver, literal: str
) -> None:
    raw = (
        b'{"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"v": %s}},'
        b' {"type": "identify", "userId": "u2"}]}' % literal.encode()
    )
    status, body = await post(receiver, "/v1/batch", raw)
    assert status == 400 and body["code"] == "invalid_json" and body["message"]
    assert (await receiver.query()).total == 0


async def test_invalid_utf8_inside_a_string_becomes_u_fffd_like_go(receiver: Receiver) -> None:
    raw = b'{"userId": "u", "event": "caf\xe9 \xff", "messageId": "m-latin1"}'
    assert (await post(receiver, "/v1/track", raw))[0] == 200
    assert (await stored_events(receiver))["m-latin1"]["event"] == "caf\ufffd \ufffd"
    status, body = await post(
        receiver, "/v1/track", b'{"userId": "u", \xff "event": "E"}'
    )  # outside a string
    assert status == 400 and body["code"] == "invalid_json"


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


def deep_json(depth: int) -> bytes:
    """``depth`` nested arrays and objects as JSON text (json.dumps itself stops near 1,000)."""
    return (
        b"".join(b"[" if i % 2 else b'{"a":' for i in range(depth))
        + b"1"
        + b"".join(b"]" if i % 2 else b"}" for i in reversed(range(depth)))
    )


async def test_nesting_up_to_the_limit_is_stored_deeper_is_a_400(receiver: Receiver) -> None:
    # The event object itself is one level, its properties another.
    ok = {"userId": "u", "event": "Deep", "messageId": "m-deep", "properties": {"p": nested(MAX_DEPTH - 2)}}
    assert (await post(receiver, "/v1/track", as_json(ok)))[0] == 200
    assert (await stored_events(receiver))["m-deep"]["properties"] == ok["properties"]
    for depth in (MAX_DEPTH - 1, 1000, 5000):
        deep = b'{"type": "track", "userId": "u", "event": "Deep", "properties": {"p": %s}}' % deep_json(
            depth
        )
        batch = b'{"batch": [{"type": "identify", "userId": "u1"}, %s]}' % deep
        for path, raw in (("/v1/track", deep), ("/v1/batch", batch)):
            status, body = await post(receiver, path, raw)
            assert status == 400 and body["code"] == "too_deep", (depth, path, status, body)
            assert str(MAX_DEPTH) in body["message"]
    assert (await receiver.query()).total == 1


async def test_deep_batch_context_merged_into_a_deep_event_context_is_a_400(receiver: Receiver) -> None:
    context = b'{"a": %s}' % deep_json(990)
    raw = b'{"context": %s, "batch": [{"type": "identify", "userId": "u", "context": %s}]}' % (
        context,
        context,
    )
    status, body = await post(receiver, "/v1/batch", raw)
    assert status == 400 and body["code"] == "too_deep"


# -- slow and half-open requests ---------------------------------------------------------------------


@pytest.fixture
async def impatient(data_dir: Path) -> AsyncIterator[Receiver]:
    r = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY, header_timeout=0.5, body_timeout=0.5))
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


async def until_closed(reader: asyncio.StreamReader, bound: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after ``bound`` seconds."""
    received = b""

    async def drain() -> None:
        nonlocal received
        while chunk := await reader.read(65536):
            received += chunk

    try:
        await asyncio.wait_for(drain(), bound)
    except asyncio.TimeoutError:
        raise AssertionError(f"the connection was still open after {bound} s; got {received!r}") from None
    return received


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, sent nothing
        b"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl",  # headers never finished
    ],
    ids=["nothing", "half the headers"],
)
async def test_a_stalled_request_head_is_closed_within_the_header_timeout(
    impatient: Receiver, sent: bytes
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", impatient.port)
    started = time.monotonic()
    writer.write(sent)
    await writer.drain()
    await until_closed(reader, 5.0)
    assert time.monotonic() - started < 5.0
    writer.close()


async def test_a_stalled_body_is_answered_408_and_closed(impatient: Receiver) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", impatient.port)
    body = as_json({"userId": "u", "event": "E"})
    host = f"Host: 127.0.0.1:{impatient.port}".encode()
    writer.write(
        b"POST /v1/track HTTP/1.1\r\n"
        + host
        + b"\r\nAuthorization: "
        + BASIC["Authorization"].encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % (len(body) + 100)
        + body
    )
    await writer.drain()
    answer = await until_closed(reader, 5.0)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b'"request_timeout"' in answer
    writer.close()
    # Many half-open connections at once are all closed, and the receiver still answers.
    conns = [await asyncio.open_connection("127.0.0.1", impatient.port) for _ in range(50)]
    for _r, w in conns[:25]:
        w.write(b"POST /v1/track HTTP/1.1\r\n" + host + b"\r\nContent-Length: 1000\r\n\r\n{")
    await asyncio.gather(*(until_closed(r, 5.0) for r, _w in conns))
    for _r, w in conns:
        w.close()
    assert (await post(impatient, "/v1/track", as_json({"userId": "u", "event": "E"})))[0] == 200
    assert impatient.stats().rejected.get("request_timeout", 0) >= 26


# -- a journal that cannot be written ------------------------------------------------------------------


async def test_disk_full_says_free_disk_space_not_move_the_file(receiver: Receiver) -> None:
    pages = await receiver.journal.write(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await receiver.journal.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 2}"))
    batch = {
        "batch": [{"type": "identify", "userId": f"u{i}", "traits": {"bio": "x" * 150}} for i in range(2000)]
    }
    status, body = await post(receiver, "/v1/batch", as_json(batch))
    assert status == 503 and body["code"] == "journal_unavailable"
    assert "disk is full" in body["message"] and "Free disk space" in body["message"]
    assert "damaged" not in body["message"] and "move" not in body["message"].lower()


async def test_a_damaged_journal_says_move_it_away(data_dir: Path) -> None:
    (data_dir / JOURNAL_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError) as caught:
        await Receiver(data_dir, ReceiverSettings()).start()
    assert "damaged" in caught.value.message and "Move it away" in caught.value.message


async def test_a_read_only_journal_is_refused_at_start(data_dir: Path) -> None:
    with read_only(existing_journal(data_dir)):
        receiver = Receiver(data_dir, ReceiverSettings())
        with pytest.raises(JournalError) as caught:
            await receiver.start()
        assert "read-only" in caught.value.message and "writable" in caught.value.message
        assert not receiver.running
        # Nothing is left held: once writable again, a receiver starts on it.
    receiver = Receiver(data_dir, ReceiverSettings())
    await receiver.start()
    await receiver.stop()


async def test_a_read_only_data_folder_is_refused_at_start(data_dir: Path) -> None:
    folder = data_dir / "data"
    folder.mkdir()
    with read_only(folder):
        with pytest.raises(JournalError) as caught:
            await Receiver(folder, ReceiverSettings()).start()
        assert "read-only" in caught.value.message and str(folder) in caught.value.message


def test_receive_on_a_read_only_journal_exits_2_with_the_reason(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p.pipedrive-map.json"
    save_project(Project(name="p", mappings=[PERSON]), project)
    folder = AppPaths.resolve(data_dir).data
    folder.mkdir(parents=True, exist_ok=True)
    with read_only(existing_journal(folder)):
        code = main(["--data-dir", str(data_dir), "receive", str(project), "--port", "0", "--no-dispatch"])
    err = capsys.readouterr().err
    assert code == 2 and "read-only" in err and "Traceback" not in err


# -- numbers on the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["receive", "P", "--port", "70000"],
        ["receive", "P", "--port", "-1"],
        ["receive", "P", "--port", "99999999999999999999"],
        ["receive", "P", "--keep-days", "nan"],
        ["receive", "P", "--keep-days", "inf"],
        ["receive", "P", "--keep-days", "-1"],
        ["receive", "P", "--keep-days", "1e300"],
        ["receive", "P", "--keep-events", "99999999999999999999"],
        ["receive", "P", "--keep-events", "-5"],
        ["receive", "P", "--keep-mb", "99999999999999999999"],
        ["journal", "--limit", "0"],
        ["journal", "--limit", "99999999999999999999"],
        ["sandbox", "--port", "70000"],
        ["sandbox", "--search-lag", "inf"],
        ["sandbox", "--search-lag", "-3"],
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    data_dir: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--data-dir", str(data_dir), *argv])
    err = capsys.readouterr().err
    option = argv[-2]
    assert exited.value.code == 2 and f"argument {option}" in err, err
    assert "out of range" in err or "is not a port" in err, err
    assert "Overflow" not in err and "Traceback" not in err


def test_replay_of_a_number_beyond_any_event_is_not_an_overflow(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = AppPaths.resolve(data_dir).data
    folder.mkdir(parents=True, exist_ok=True)
    existing_journal(folder)
    code = main(["--data-dir", str(data_dir), "replay", "99999999999999999999", "18446744073709551616"])
    out, err = capsys.readouterr()
    assert code == 0 and "Nothing to replay" in out and not err


def test_the_journal_stores_what_it_was_given_as_utf8(data_dir: Path) -> None:
    """The file itself stays valid UTF-8 text (other SQLite tools read it)."""

    async def fill() -> None:
        r = Receiver(data_dir, ReceiverSettings(synchronous="OFF"))
        await r.start()
        try:
            assert (await post(r, "/v1/track", as_json({"userId": HALF, "event": HALF, "messageId": HALF})))[
                0
            ] == 200
        finally:
            await r.stop()

    asyncio.run(fill())
    conn = sqlite3.connect(data_dir / JOURNAL_FILE)
    try:
        conn.text_factory = bytes
        for body, message_id in conn.execute("SELECT body, message_id FROM events"):
            body.decode("utf-8")  # strict
            assert message_id == b"\\ud83c" and b'"event":"\\ud83c"' in body
    finally:
        conn.close()
