"""The Public API client against the stand-in: pages, errors in plain words, 429s, write pacing."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from pipedrive_gui.segment.client import PIPEDRIVE_METADATA_ID, SegmentClient, WritePacer, base_url_for
from pipedrive_gui.segment.errors import (
    SegmentAuthError,
    SegmentConnectionError,
    SegmentFeatureError,
    SegmentNotFoundError,
    SegmentPermissionError,
    SegmentRateLimitError,
    SegmentValidationError,
)
from pipedrive_gui.segment.standin import Fault, RunningStandin, StandinState

from .conftest import TOKEN, FakeTime, make_client, prod_id

PERSON = "66wGU3cfJrrdBk8CqekrJc"


def body(name: str = "New", **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "actionId": PERSON,
        "trigger": 'type = "identify"',
        "enabled": True,
        "settings": {"match_value": {"@path": "$.traits.email"}},
        **kw,
    }


def test_region_urls() -> None:
    assert base_url_for("us") == "https://api.segmentapis.com"
    assert base_url_for("eu") == "https://eu1.api.segmentapis.com"
    assert base_url_for("eu", "http://127.0.0.1:9/") == "http://127.0.0.1:9"
    with pytest.raises(ValueError):
        base_url_for("apac")


async def test_workspace_and_pipedrive_destinations_over_all_pages(
    standin: RunningStandin, fake_time: FakeTime, state: StandinState
) -> None:
    async with make_client(standin, fake_time, page_size=1) as client:
        ws = await client.get_workspace()
        found = await client.list_destinations()
    assert ws.name == "Acme (stand-in)"
    assert [(d.name, d.source_name, d.enabled) for d in found] == [
        ("Pipedrive (production)", "Website", True),
        ("Pipedrive (staging)", "Staging site", False),
    ]
    assert all(d.metadata_id == PIPEDRIVE_METADATA_ID for d in found)
    pages = [r for r in state.requests if r[1] == "/destinations"]
    assert len(pages) == 3  # three destinations, one per page
    assert "apiToken" not in repr(found) and "pd-secret-token" not in repr(found)


async def test_subscriptions_every_page(client: SegmentClient, state: StandinState) -> None:
    dest = prod_id(state)
    for n in range(7):
        state.add_subscription(dest, f"Extra {n}", "createUpdateNote", 'type = "track"', {"content": "x"})
    client.page_size = 3
    subs = await client.list_subscriptions(dest)
    assert len(subs) == 9 and subs[-1]["name"] == "Extra 6"
    assert {"id", "name", "actionId", "actionSlug", "destinationId", "enabled", "settings", "trigger"} <= set(
        subs[0]
    )


async def test_create_update_delete_shapes(client: SegmentClient, state: StandinState) -> None:
    dest = prod_id(state)
    created = await client.create_subscription(dest, body())
    assert created["actionSlug"] == "createUpdatePerson" and created["destinationId"] == dest
    updated = await client.update_subscription(dest, created["id"], {"enabled": False})
    assert updated["enabled"] is False and updated["name"] == "New"
    method, path, sent = state.requests[-1]
    assert (method, sent) == ("PATCH", {"input": {"enabled": False}})
    await client.remove_subscription(dest, created["id"])
    assert all(s["id"] != created["id"] for s in state.subscriptions[dest])


async def test_wrong_token_says_what_to_do_and_never_shows_it(
    standin: RunningStandin, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sgp_wrong_token_123456"
    caplog.set_level(logging.DEBUG)
    async with make_client(standin, fake_time, token=secret) as client:
        with pytest.raises(SegmentAuthError) as info:
            await client.list_destinations()
        assert secret not in repr(client)
    err = info.value
    assert "Access Management > Tokens" in err.user_message and "other region" in err.user_message
    assert secret not in str(err) and secret not in repr(err) and secret not in (err.segment_message or "")
    assert secret not in caplog.text


async def test_read_only_token_cannot_write(
    standin: RunningStandin, fake_time: FakeTime, state: StandinState
) -> None:
    state.tokens["reader"] = "read"
    async with make_client(standin, fake_time, token="reader") as client:
        assert await client.list_subscriptions(prod_id(state))
        with pytest.raises(SegmentPermissionError) as info:
            await client.create_subscription(prod_id(state), body())
    assert "Workspace Owner" in info.value.user_message


async def test_workspace_without_the_subscriptions_feature(
    client: SegmentClient, state: StandinState
) -> None:
    state.subscriptions_feature = False
    with pytest.raises(SegmentFeatureError) as info:
        await client.list_subscriptions(prod_id(state))
    assert "customer success manager" in info.value.user_message
    assert "not enabled" in (info.value.segment_message or "")


async def test_unknown_destination(client: SegmentClient) -> None:
    with pytest.raises(SegmentNotFoundError) as info:
        await client.get_destination("nope")
    assert "no such destination" in info.value.user_message


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"trigger": 'type = "identify" and ('}, "trigger builder"),
        ({"actionId": "notAnAction"}, "action id"),
        ({"settings": {"colour": "red"}}, "field values"),
        ({"enabled": "yes"}, "Segment refused"),
        ({"extra": 1}, "Segment refused"),
    ],
)
async def test_validation_errors_in_plain_words(
    client: SegmentClient, state: StandinState, bad: dict[str, Any], words: str
) -> None:
    with pytest.raises(SegmentValidationError) as info:
        await client.create_subscription(prod_id(state), {**body(), **bad})
    assert words in info.value.user_message
    assert info.value.segment_message and info.value.segment_message in info.value.user_message


async def test_list_without_pagination_is_refused_by_the_standin(standin: RunningStandin) -> None:
    async with httpx.AsyncClient(
        base_url=standin.base_url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as http:
        answer = await http.get("/destinations")
        assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "pagination.count"
        answer = await http.get("/destinations", params={"pagination.count": 1001})
        assert answer.status_code == 400
        answer = await http.get("/destinations", params={"pagination.count": 2})
        data = answer.json()["data"]
        assert (
            len(data["destinations"]) == 2
            and data["pagination"]["next"]
            and data["pagination"]["totalEntries"] == 3
        )


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", "/subscriptions", status=429, retry_after="7"),
        Fault("POST", "/subscriptions", status=429, ms_before_next=7000),
    ],
)
async def test_429_is_waited_out_as_segment_says(
    client: SegmentClient, state: StandinState, fake_time: FakeTime, fault: Fault
) -> None:
    state.faults.append(fault)
    waits: list[tuple[float, str]] = []
    client.on_wait = lambda s, why: waits.append((s, why))
    created = await client.create_subscription(prod_id(state), body())
    assert created["id"]
    assert 7.0 in fake_time.waits and waits[0] == (7.0, "Segment's rate limit")
    assert [r[0] for r in state.requests].count("POST") == 2


async def test_429_asking_too_long_is_reported(client: SegmentClient, state: StandinState) -> None:
    state.faults.append(Fault("POST", "/subscriptions", status=429, retry_after="3600"))
    with pytest.raises(SegmentRateLimitError) as info:
        await client.create_subscription(prod_id(state), body())
    assert "5 a minute" in info.value.user_message


async def test_writes_are_paced_within_five_a_minute(
    client: SegmentClient, state: StandinState, fake_time: FakeTime
) -> None:
    dest = prod_id(state)
    for n in range(7):
        await client.create_subscription(dest, body(f"S{n}"))
    statuses_429 = [w for w in fake_time.waits if w > 0]
    assert statuses_429 and sum(statuses_429) >= 60.0  # the 6th write waited for the window
    assert len(state.subscriptions[dest]) == 9


async def test_standin_rate_limit_answers_429_and_the_client_resumes(
    standin: RunningStandin, fake_time: FakeTime, state: StandinState
) -> None:
    dest = prod_id(state)
    # No pacing on our side: the stand-in's own limit answers 429 with msBeforeNext.
    async with SegmentClient(
        standin.base_url,
        TOKEN,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        pacer=WritePacer(limit=100, clock=fake_time.clock),
    ) as client:
        for n in range(6):
            await client.create_subscription(dest, body(f"S{n}"))
    assert len(state.subscriptions[dest]) == 8
    assert [r[0] for r in state.requests].count("POST") == 7  # one 429, sent again


async def test_unreachable_server() -> None:
    async with SegmentClient("http://127.0.0.1:9", TOKEN) as client:
        with pytest.raises(SegmentConnectionError) as info:
            await client.get_workspace()
    assert "SEGMENT_PUBLIC_API_URL" in info.value.user_message
