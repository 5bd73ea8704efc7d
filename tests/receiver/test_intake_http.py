"""The HTTP intake answers like Segment's tracking API: paths, auth, gzip, limits, stamps (CORS: test_access)."""

from __future__ import annotations

import base64
import gzip
import io
import json

import aiohttp
import pytest

from pipedrive_gui.receiver import JournalQuery, Receiver
from tests.receiver.conftest import WRITE_KEY

BASIC = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


async def post(
    r: Receiver,
    path: str,
    body: object = None,
    *,
    raw: bytes | None = None,
    headers: dict | None = None,
    method: str = "POST",
) -> tuple[int, dict]:
    data: bytes | io.BytesIO = raw if raw is not None else json.dumps(body).encode()
    if len(data) > 1024 * 1024:
        # aiohttp warns (ResourceWarning) that a large bytes body may block its loop, and asks for a
        # file-like object instead; the request on the wire is the same (Content-Length, same bytes).
        data = io.BytesIO(data)
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, r.url + path, data=data, headers=headers or {}) as resp,
    ):
        text = await resp.text()
        return resp.status, (json.loads(text) if text else {})


def track(**extra: object) -> dict:
    return {"type": "track", "event": "Signed Up", "userId": "u1", "properties": {"plan": "pro"}, **extra}


async def stored(r: Receiver) -> list[dict]:
    page = await r.query(JournalQuery(oldest_first=True, limit=1000))
    out = []
    for row in page.rows:
        detail = await r.detail(row.seq)
        assert detail is not None
        out.append({"row": row, "event": detail.event})
    return out


@pytest.mark.parametrize("path", ["/v1/track", "/v1/t"])
async def test_single_event_paths_with_key_in_body(receiver: Receiver, path: str) -> None:
    status, body = await post(receiver, path, {**track(), "writeKey": WRITE_KEY})
    assert (status, body) == (200, {"success": True})
    [e] = await stored(receiver)
    assert e["event"]["type"] == "track" and e["event"]["event"] == "Signed Up"
    assert "writeKey" not in e["event"]  # the key is a credential, never stored
    assert e["event"]["receivedAt"].endswith("Z") and e["event"]["messageId"]


async def test_every_long_and_short_path(receiver: Receiver) -> None:
    for name in ("identify", "track", "page", "screen", "group", "alias"):
        for path in (f"/v1/{name}", f"/v1/{name[0]}"):
            ev = {"userId": "u", "event": "E", "messageId": f"{path}"}
            assert (await post(receiver, path, ev, headers=BASIC))[0] == 200
    rows = (await receiver.query(JournalQuery(limit=100))).rows
    assert sorted(r.type for r in rows) == sorted(
        2 * ["identify", "track", "page", "screen", "group", "alias"]
    )


async def test_basic_auth_and_bearer_with_body_key(receiver: Receiver) -> None:
    assert (await post(receiver, "/v1/identify", {"userId": "a"}, headers=BASIC))[0] == 200
    bearer = {"Authorization": "Bearer some-oauth-token"}
    assert (await post(receiver, "/v1/identify", {"userId": "b", "writeKey": WRITE_KEY}, headers=bearer))[
        0
    ] == 200
    assert (await post(receiver, "/v1/identify", {"userId": "c"}, headers=bearer))[0] == 401


async def test_wrong_or_missing_write_key_is_401(receiver: Receiver) -> None:
    wrong = {"Authorization": "Basic " + base64.b64encode(b"nope:").decode()}
    status, body = await post(receiver, "/v1/track", track(), headers=wrong)
    assert status == 401 and body["code"] == "invalid_write_key" and body["message"]
    assert (await post(receiver, "/v1/track", {**track(), "writeKey": "nope"}))[0] == 401
    assert (await post(receiver, "/v1/track", track()))[0] == 401
    assert (await receiver.query()).total == 0


async def test_batch_merges_context_integrations_and_sent_at(receiver: Receiver) -> None:
    batch = {
        "writeKey": WRITE_KEY,
        "sentAt": "2026-01-01T00:00:10.000Z",
        "context": {"library": {"name": "x"}, "ip": "1.2.3.4"},
        "integrations": {"All": True},
        "batch": [
            {
                "type": "identify",
                "userId": "u1",
                "traits": {"email": "a@b.c"},
                "messageId": "m1",
                "originalTimestamp": "2026-01-01T00:00:04.000Z",
                "context": {"ip": "9.9.9.9"},
            },
            {
                "type": "track",
                "userId": "u1",
                "event": "Deal Upserted",
                "messageId": "m2",
                "timestamp": "2025-05-05T05:05:05.000Z",
            },
        ],
    }
    assert (await post(receiver, "/v1/batch", batch))[0] == 200
    e1, e2 = (x["event"] for x in await stored(receiver))
    assert e1["context"] == {"ip": "9.9.9.9", "library": {"name": "x"}}  # the event's own value wins
    assert e2["context"] == {"library": {"name": "x"}, "ip": "1.2.3.4"}
    assert e1["integrations"] == {"All": True}
    # timestamp = receivedAt - (sentAt - originalTimestamp): 6 s before receivedAt
    from pipedrive_gui.receiver.intake import parse_time

    skew = parse_time(e1["receivedAt"]) - parse_time(e1["timestamp"])  # type: ignore[operator]
    assert skew.total_seconds() == pytest.approx(6.0, abs=0.002)
    assert e2["timestamp"] == "2025-05-05T05:05:05.000Z"  # a client-set timestamp is kept


async def test_gzip_body_with_text_plain(receiver: Receiver) -> None:
    payload = gzip.compress(json.dumps({"batch": [track(messageId="g1")], "writeKey": WRITE_KEY}).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain"}
    assert (await post(receiver, "/v1/b", raw=payload, headers=headers))[0] == 200
    [e] = await stored(receiver)
    assert e["event"]["messageId"] == "g1"


async def test_missing_message_id_is_generated(receiver: Receiver) -> None:
    event = track()
    assert (await post(receiver, "/v1/track", event, headers=BASIC))[0] == 200
    assert (await post(receiver, "/v1/track", event, headers=BASIC))[0] == 200  # same body, no id: two events
    ids = [e["event"]["messageId"] for e in await stored(receiver)]
    assert len(set(ids)) == 2 and all(i.startswith("pdg-") for i in ids)


async def test_duplicate_message_ids_are_stored_once(receiver: Receiver) -> None:
    for _ in range(3):
        assert (await post(receiver, "/v1/track", track(messageId="same"), headers=BASIC))[0] == 200
    assert (await receiver.query()).total == 1
    assert receiver.stats().duplicates == 2


async def test_events_segment_would_drop_are_kept_and_flagged(receiver: Receiver) -> None:
    await post(receiver, "/v1/track", {"event": "E", "properties": {}}, headers=BASIC)
    await post(receiver, "/v1/track", {"userId": "u"}, headers=BASIC)
    await post(receiver, "/v1/batch", {"batch": [{"type": "bogus", "userId": "u"}]}, headers=BASIC)
    rows = (await receiver.query(JournalQuery(oldest_first=True))).rows
    assert [(r.flag, r.outcome) for r in rows] == [
        ("no_user_anon_id", "dropped"),
        ("missing_event", "dropped"),
        ("invalid_type", "dropped"),
    ]
    assert all(r.summary for r in rows)


BAD_INPUT = [
    ("invalid json", "/v1/track", b"{not json", {}, 400, "invalid_json"),
    ("json array", "/v1/track", b"[1, 2]", {}, 400, "invalid_json"),
    (
        "event over 32 KB",
        "/v1/track",
        json.dumps(track(properties={"x": "a" * 33_000})).encode(),
        {},
        400,
        "event_too_large",
    ),
    (
        "batch over 500 KB",
        "/v1/batch",
        json.dumps({"batch": [track(properties={"x": "a" * 20_000}) for _ in range(30)]}).encode(),
        {},
        400,
        "batch_too_large",
    ),
    (
        "event in batch over 32 KB",
        "/v1/batch",
        json.dumps({"batch": [track(properties={"x": "a" * 40_000})]}).encode(),
        {},
        400,
        "event_too_large",
    ),
    (
        "2,501 events",
        "/v1/batch",
        json.dumps({"batch": [{"type": "track"}] * 2501}).encode(),
        {},
        400,
        "too_many_events",
    ),
    (
        "truncated gzip",
        "/v1/batch",
        gzip.compress(json.dumps({"batch": [track()]}).encode())[:-12],
        {"Content-Encoding": "gzip"},
        400,
        "invalid_gzip",
    ),
    (
        "garbage gzip",
        "/v1/batch",
        b"\x1f\x8bnot really gzip",
        {"Content-Encoding": "gzip"},
        400,
        "invalid_gzip",
    ),
]


@pytest.mark.parametrize(
    ("what", "path", "raw", "headers", "status", "code"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT]
)
async def test_bad_input_gets_400_and_the_server_keeps_serving(
    receiver: Receiver, what: str, path: str, raw: bytes, headers: dict, status: int, code: str
) -> None:
    got_status, body = await post(receiver, path, raw=raw, headers={**BASIC, **headers})
    assert got_status == status, body
    assert body["code"] == code and body["message"]
    assert (await receiver.query()).total == 0
    assert (await post(receiver, "/v1/track", track(), headers=BASIC)) == (200, {"success": True})


async def test_wrong_method_unknown_path_and_health(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(receiver.url + "/v1/track") as resp:
            assert resp.status == 405 and "POST" in resp.headers["Allow"]
            assert (await resp.json())["code"] == "method_not_allowed"
        async with s.put(receiver.url + "/v1/batch", data=b"{}") as resp:
            assert resp.status == 405
        async with s.post(receiver.url + "/v1/nope", data=b"{}") as resp:
            assert resp.status == 404 and (await resp.json())["code"] == "not_found"
        async with s.get(receiver.url + "/health") as resp:
            assert resp.status == 200
    assert (await post(receiver, "/v1/track", track(), headers=BASIC))[0] == 200


async def test_remote_listening_needs_explicit_option(data_dir) -> None:
    from pipedrive_gui.receiver import ReceiverSettings, ReceiverStartError

    r = Receiver(data_dir, ReceiverSettings(host="0.0.0.0"))
    with pytest.raises(ReceiverStartError, match="allow"):
        await r.start()
    r = Receiver(data_dir, ReceiverSettings(host="0.0.0.0", allow_remote=True))
    await r.start()
    try:
        assert r.warnings and "other machines" in r.warnings[0]
    finally:
        await r.stop()


async def test_second_receiver_on_same_journal_is_refused(receiver: Receiver, data_dir) -> None:
    from pipedrive_gui.receiver import ReceiverStartError

    with pytest.raises(ReceiverStartError, match="already using"):
        await Receiver(data_dir).start()


async def test_huge_raw_body_is_a_400_not_a_413(receiver: Receiver) -> None:
    status, body = await post(receiver, "/v1/batch", raw=b"x" * (3 * 1024 * 1024), headers=BASIC)
    assert status == 400 and body["code"] == "batch_too_large"
    assert (await post(receiver, "/v1/track", track(), headers=BASIC))[0] == 200
