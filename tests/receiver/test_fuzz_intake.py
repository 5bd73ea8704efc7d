"""Fuzz: whatever a client sends, the receiver answers it (2xx/4xx, JSON ``{code, message}`` on
errors) and never with a 5xx or an unhandled exception; what it stored stays readable.

The real receiver runs on loopback; hypothesis throws generated requests at it: random JSON (lone
surrogates included), deep nesting, NaN/Infinity, wrong types, garbage bytes, gzip/deflate headers
that lie, odd content types and auth headers, big fields within Segment's limits, and raw bytes
straight onto the socket. A bounded number of examples keeps it to a few seconds.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipedrive_gui.receiver import JournalQuery, Receiver, ReceiverSettings  # noqa: E402
from pipedrive_gui.receiver.intake import ENDPOINTS  # noqa: E402

KEY = "fuzz-key"
FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# -- strategies ------------------------------------------------------------------------------------------

odd_strings = st.sampled_from(
    [
        "\ud83c",
        "\udfff",
        "a\ud800b",
        "\ud83c\udf89",
        "\x00",
        "\u2028",
        "",
        " ",
        "🎉",
        "\\",
        '"',
        "null",
        "x" * 2000,
    ]
)
texts = st.one_of(st.text(max_size=20), odd_strings)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)
ids = st.one_of(texts, st.integers(), st.none(), st.just(0), st.lists(scalars, max_size=2))


@st.composite
def events(draw: Any) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not an object at all
    event: dict[str, Any] = {}
    for key, values in (
        (
            "type",
            st.one_of(
                st.sampled_from(["identify", "track", "page", "screen", "group", "alias", "Track", "batch"]),
                ids,
            ),
        ),
        ("userId", ids),
        ("anonymousId", ids),
        ("messageId", ids),
        ("event", ids),
        ("name", ids),
        ("traits", json_values),
        ("properties", json_values),
        ("context", json_values),
        ("integrations", json_values),
        ("writeKey", ids),
        ("timestamp", ids),
        ("originalTimestamp", st.one_of(ids, st.just("2026-01-01T00:00:00Z"))),
        ("sentAt", st.one_of(ids, st.just("2026-01-01T00:00:05.123+02:00"))),
    ):
        if draw(st.booleans()):
            event[key] = draw(values)
    if draw(st.integers(0, 20)) == 0:
        event["properties"] = {"big": "x" * draw(st.integers(20_000, 33_000))}  # near the 32 KB limit
    return event


@st.composite
def json_bodies(draw: Any) -> tuple[str, bytes]:
    """(path, body) of a JSON request; sometimes spoiled on purpose."""
    kind = draw(st.sampled_from(sorted(ENDPOINTS) + ["nope", "batch", "batch", "track"]))
    if ENDPOINTS.get(kind) == "batch":
        body: Any = {"batch": draw(st.one_of(st.lists(events(), max_size=8), json_values))}
        for key in ("context", "integrations", "sentAt", "writeKey"):
            if draw(st.booleans()):
                body[key] = (
                    draw(json_values) if key != "writeKey" else draw(st.sampled_from([KEY, "wrong", 5]))
                )
        if draw(st.integers(0, 30)) == 0:
            body["batch"] = [{"type": "track", "userId": "u", "event": "E"}] * draw(
                st.sampled_from([2500, 2501])
            )
    else:
        body = draw(events())
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    spoil = draw(st.integers(0, 12))
    if spoil == 1:  # a number Go refuses
        text = text.replace("null", draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400"])), 1)
    elif spoil == 2:  # deep nesting, inside an event or as the whole body
        depth = draw(st.integers(100, 4000))
        deep = "[" * depth + "1" + "]" * depth
        text = text.replace("null", deep, 1) if "null" in text else deep
    elif spoil == 3:  # cut off
        text = text[: draw(st.integers(0, len(text)))]
    elif spoil == 4:  # trailing garbage
        text += draw(st.sampled_from([",", "}", " x", "\x00", "\ufeff"]))
    elif spoil == 5:
        text = "\ufeff" + text  # a byte-order mark
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # ensure_ascii=False with a lone surrogate: what a sloppy client sends
        raw = text.encode("utf-8", "surrogatepass")
    if spoil == 6:  # invalid UTF-8 bytes somewhere
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9"])) + raw[at:]
    elif spoil == 7:
        raw = draw(st.binary(max_size=200))
    return kind, raw


encodings = st.sampled_from(
    [None, "gzip", "deflate", "x-gzip", "identity", "br", "GZIP", "gzip, deflate", " ", "zstd"]
)


@st.composite
def requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    kind, raw = draw(json_bodies())
    headers: dict[str, str] = {}
    auth = draw(st.integers(0, 6))
    if auth <= 3:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    elif auth == 4:
        headers["Authorization"] = draw(
            st.sampled_from(
                [
                    "Basic",
                    "Basic !!!",
                    "Bearer x",
                    "Basic " + base64.b64encode(b"\xff\xfe:").decode(),
                    "Digest a=b",
                    "Basic " + base64.b64encode(b":").decode(),
                ]
            )
        )
    claimed = draw(encodings)
    if claimed:
        headers["Content-Encoding"] = claimed
    compress = draw(st.sampled_from([None, "gzip", "deflate", "truncated-gzip"]))
    if compress == "gzip":
        raw = gzip.compress(raw)
    elif compress == "deflate":
        raw = zlib.compress(raw)
    elif compress == "truncated-gzip":
        raw = gzip.compress(raw)[: max(1, len(raw) // 2)]
    headers["Content-Type"] = draw(
        st.sampled_from(
            [
                "application/json",
                "text/plain",
                "text/plain;charset=UTF-8",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "application/json; charset=latin-1",
                "",
                "*/*",
            ]
        )
    )
    if draw(st.integers(0, 10)) == 0:
        headers["Origin"] = draw(st.sampled_from(["https://example.com", "null", "http://127.0.0.1:1"]))
    method = draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT", "OPTIONS", "DELETE"]))
    path = draw(st.sampled_from([f"/v1/{kind}", f"/v1/{kind}/", "/v1/", "/v2/track", "/health"]))
    return method, path, raw, headers


raw_requests = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.builds(
        lambda line, extra: line + extra,
        st.sampled_from(
            [
                b"POST /v1/track HTTP/1.1\r\nHost: x\r\n",
                b"POST /v1/batch HTTP/1.0\r\n",
                b"POST /v1/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"POST /v1/t HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
                b"POST /v1/t HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                b"POST /v1/t HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            ]
        ),
        st.binary(max_size=200),
    ),
)


# -- the receiver and the checks ---------------------------------------------------------------------------


class Problems(logging.Handler):
    """Collects every ERROR (or worse) logged while the fuzz runs: aiohttp's "Error handling request",
    the receiver's own, asyncio's "exception was never retrieved"."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()} {record.exc_text or ''}")


@pytest.fixture
def loop_and_receiver(data_dir: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, Receiver, Problems]]:
    problems = Problems()
    root = logging.getLogger()
    root.addHandler(problems)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(
        lambda _loop, ctx: problems.records.append(f"loop: {ctx.get('message')} {ctx.get('exception')!r}")
    )
    # One allowed web page, so that requests with an Origin take both ways: allowed and refused.
    receiver = Receiver(
        data_dir,
        ReceiverSettings(
            write_key=KEY,
            synchronous="OFF",
            header_timeout=5.0,
            body_timeout=5.0,
            allowed_origins=("https://example.com",),
        ),
    )
    loop.run_until_complete(receiver.start())
    try:
        yield loop, receiver, problems
    finally:
        loop.run_until_complete(receiver.stop())
        loop.close()
        root.removeHandler(problems)


async def send(
    session: aiohttp.ClientSession, url: str, method: str, path: str, raw: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    async with session.request(
        method, url + path, data=raw, headers=headers, skip_auto_headers=("Content-Type",)
    ) as resp:
        return resp.status, await resp.read()


async def send_raw(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        writer.write_eof()
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 10)
    except ConnectionError:
        return b""  # the server closed on garbage before reading all of it: fine
    finally:
        writer.close()


def test_fuzzed_requests_never_get_a_server_error(
    loop_and_receiver: tuple[asyncio.AbstractEventLoop, Receiver, Problems],
) -> None:
    loop, receiver, problems = loop_and_receiver
    session = loop.run_until_complete(_session())
    statuses: dict[int, int] = {}
    try:

        @FUZZ
        @given(requests())
        def check(request: tuple[str, str, bytes, dict[str, str]]) -> None:
            method, path, raw, headers = request
            status, body = loop.run_until_complete(send(session, receiver.url, method, path, raw, headers))
            statuses[status] = statuses.get(status, 0) + 1
            assert status < 500, (status, body[:300], method, path, headers, raw[:300])
            if status >= 400 and method != "OPTIONS":
                answer = json.loads(body)
                assert set(answer) >= {"code", "message"} and answer["message"], answer
            assert not problems.records, problems.records

        check()

        @settings(FUZZ, max_examples=80)
        @given(raw_requests)
        def check_raw(raw: bytes) -> None:
            answer = loop.run_until_complete(send_raw(receiver.port or 0, raw))
            if answer.startswith(b"HTTP/1."):
                status = int(answer[9:12])
                assert status < 500, (answer[:300], raw[:300])
            assert not problems.records, problems.records

        check_raw()

        # What was stored stays readable: the pages, every event in full, the export.
        async def read_back() -> int:
            page = await receiver.query(JournalQuery(limit=10_000))
            for row in page.rows:
                assert await receiver.detail(row.seq) is not None
            return await receiver.export(receiver.journal.path.with_suffix(".jsonl"))

        exported = loop.run_until_complete(read_back())
    finally:
        loop.run_until_complete(session.close())
    # The fuzz reached the journal too (about one request in ten is a valid one: ~25 of 250 on average;
    # a bound that random draws cannot miss, so the test does not flake).
    assert statuses.get(200, 0) >= 5 and exported >= 5, statuses
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) > 20, statuses
    assert not problems.records, problems.records


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(auto_decompress=False)
