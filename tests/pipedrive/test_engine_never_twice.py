"""Never twice: a create whose answer was lost, search lag, and separate runs sharing the ledger.

The fake Pipedrive (``test_engine.FakePipedrive``) can lag its search behind writes the way
Pipedrive does, while its v2 lists (newest first) are current. Time is a fake clock: the engine's
``sleep`` advances it, so the re-check windows are asserted exactly and cost nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import Origin, UpsertEngine, timing_from_env
from pipedrive_gui.pipedrive.ledger import (
    CREATED,
    SOURCE_CLI_SEND,
    SOURCE_RECEIVER,
    SOURCE_SEND_TEST,
    UNCONFIRMED,
    Ledger,
    MatchKey,
)
from pipedrive_gui.pipedrive.pacing import Pacer
from tests.pipedrive.test_engine import DEFAULTS, PERSON, TOKEN, FakePipedrive, no_sleep, status
from tests.pipedrive.test_planner import CATALOG, SEG_USER

ACCOUNT = "acme.pipedrive.com"
KEY = MatchKey(ACCOUNT, "person", SEG_USER, "user-1")


class FakeTime:
    """The engine's clock and sleep: sleeping advances the clock (and can run a hook)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[int], None] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))


def applied_then(fake: FakePipedrive, code: int) -> Callable[[httpx.Request], httpx.Response]:
    """The write lands, then a gateway answers ``code`` (the sandbox's ``503:after=true``)."""

    def action(request: httpx.Request) -> httpx.Response:
        fake.apply(request)
        return status(code)(request)

    return action


class World:
    """One fake Pipedrive, one ledger file, and as many engines (runs of the app) as asked for."""

    def __init__(self, tmp_path: Path) -> None:
        self.fake = FakePipedrive()
        self.time = FakeTime()
        self.ledger = Ledger(tmp_path / "ledger.sqlite3")
        self.clients: list[PipedriveClient] = []

    def engine(self, *, ledger: bool = True, origin: Origin | None = None, **kw: Any) -> UpsertEngine:
        """A new run: its own client and lookup cache, the shared ledger."""
        client = PipedriveClient(
            "https://acme.pipedrive.com",
            TOKEN,
            transport=httpx.MockTransport(self.fake.handler),
            pacer=Pacer(burst_limit=1000, search_limit=1000),
            sleep=no_sleep,
        )
        self.clients.append(client)
        return UpsertEngine(
            client,
            CATALOG,
            DEFAULTS,
            ledger=self.ledger if ledger else None,
            origin=origin or Origin(SOURCE_CLI_SEND, test=True),
            sleep=self.time.sleep,
            clock=self.time.clock,
            **kw,
        )

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = World(tmp_path)
    yield w
    await w.close()


# -- a create whose answer was lost ------------------------------------------------------------------


async def test_lost_create_during_search_lag_is_found_not_created_again(world: World) -> None:
    fake = world.fake
    fake.lagging = True  # the search will not see the new person for a while
    fake.fault("POST", "/api/v2/persons", applied_then(fake, 503))
    result = await world.engine(ledger=False).run("createUpdatePerson", PERSON, "send")
    assert (result.outcome, result.record_id) == ("create", 101), result.message
    assert len(fake.records["persons"]) == 1 and len(fake.calls("POST")) == 1
    assert world.time.sleeps == [0.5]  # the first re-check of the 8 s window found it
    assert "Pipedrive answered HTTP 503, but the person is there: it was created once" in result.message


async def test_create_shown_not_to_have_happened_is_sent_again_after_the_window(world: World) -> None:
    fake = world.fake
    fake.fault("POST", "/api/v2/persons", status(503))  # refused before anything was written
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "create" and len(fake.records["persons"]) == 1
    # Reads at 1/16, 1/8, 1/4, 1/2 and all of the window, then the second POST.
    assert world.time.sleeps == [0.5, 0.5, 1.0, 2.0, 4.0]
    assert fake.calls() == (
        ["GET /api/v2/itemSearch/field", "POST /api/v2/persons"]
        + ["GET /api/v2/persons"] * 5
        + ["POST /api/v2/persons"]
    )
    entry = world.ledger.find(KEY)
    assert entry is not None and (entry.state, entry.record_id) == (CREATED, "101")


async def test_timed_out_create_is_first_given_time_to_land(world: World) -> None:
    fake = world.fake
    fake.fault("POST", "/api/v2/persons", status(504))
    engine = world.engine(confirm_window=4.0, recheck_delay=2.0)
    await engine.run("createUpdatePerson", PERSON, "send")
    assert world.time.sleeps == [0.25, 0.25, 0.5, 1.0, 2.0]  # a 5xx: the window alone
    world.time.sleeps.clear()

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake.fault("POST", "/api/v2/persons", timeout)
    await engine.run("createUpdatePerson", dict(PERSON, match_value="user-2"), "send")
    assert world.time.sleeps[0] == 2.0  # a timeout: the slow request may still land first


async def test_unconfirmable_create_is_reported_and_the_next_run_checks_first(world: World) -> None:
    fake = world.fake
    fake.lagging = True
    fake.fault("POST", "/api/v2/persons", applied_then(fake, 503))
    fake.fault("GET", "/api/v2/persons", *[status(403, {"success": False, "error": "Forbidden"})] * 5)
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "fail" and result.retriable
    assert result.message.startswith(
        "Failed: Not confirmed — check Pipedrive: the create of person 'Jane Doe'"
    )
    assert "It was not sent again, to avoid a duplicate" in result.message
    assert "look for person where Segment user ID = user-1 in Pipedrive" in result.message
    assert len(fake.calls("POST")) == 1 and sum(world.time.sleeps) == 8.0
    entry = world.ledger.find(KEY)
    assert entry is not None and entry.state == UNCONFIRMED and "HTTP 503" in (entry.note or "")

    # Another run: the search still lags, but the newest persons show the record: adopt and update it.
    again = await world.engine().run("createUpdatePerson", dict(PERSON, name="Jane Smith"), "send")
    assert (again.outcome, again.record_id) == ("update", 101), again.message
    assert len(fake.records["persons"]) == 1 and fake.records["persons"][101]["name"] == "Jane Smith"
    entry = world.ledger.find(KEY)
    assert entry is not None and (entry.state, entry.record_id) == (CREATED, "101")


async def test_unconfirmed_create_shown_absent_is_taken_over(world: World) -> None:
    claim = world.ledger.claim(KEY, mapping="People", source=SOURCE_RECEIVER)
    world.ledger.leave_unconfirmed(claim, "the receiver stopped mid-create")
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert (result.outcome, result.record_id) == ("create", 101), result.message
    assert world.fake.calls() == [
        "GET /api/v2/itemSearch/field",
        "GET /api/v2/persons",
        "POST /api/v2/persons",
    ]
    entry = world.ledger.find(KEY)
    assert entry is not None and (entry.state, entry.record_id) == (CREATED, "101")


async def test_uncheckable_create_is_not_confirmed_and_not_repeated(world: World) -> None:
    world.fake.fault("POST", "/api/v2/activities", applied_then(world.fake, 503))
    result = await world.engine().run("createUpdateActivity", {"subject": "Call", "type": "call"}, "send")
    assert result.message.startswith(
        "Failed: Not confirmed — check Pipedrive: Pipedrive did not confirm whether the activity was created"
    )
    assert world.fake.calls("POST") == ["POST /api/v2/activities"]


# -- separate runs, one ledger ------------------------------------------------------------------------


async def test_second_run_updates_what_the_first_created_while_search_lags(world: World) -> None:
    fake = world.fake
    fake.lagging = True
    first = await world.engine().run("createUpdatePerson", PERSON, "send", mapping="People")
    second = await world.engine().run(
        "createUpdatePerson", dict(PERSON, name="Jane Smith"), "send", mapping="People"
    )
    assert (first.outcome, second.outcome, second.record_id) == ("create", "update", 101), second.message
    assert len(fake.records["persons"]) == 1
    assert fake.calls()[-2:] == ["GET /api/v2/itemSearch/field", "PATCH /api/v2/persons/101"]
    assert "this app created it as #101" in second.calls[0].purpose
    [entry] = world.ledger.entries(test_only=True)
    assert (entry.entity, entry.record_id, entry.mapping, entry.source) == (
        "person",
        "101",
        "People",
        SOURCE_CLI_SEND,
    )


async def test_a_run_waits_for_another_that_is_creating_the_same_record(world: World) -> None:
    other = world.ledger.claim(KEY, mapping="People", source=SOURCE_SEND_TEST, test=True)  # mid-create

    def other_finishes(n: int) -> None:
        if n == 2:
            world.fake.records["persons"][555] = {
                "id": 555,
                "name": "Jane",
                "custom_fields": {SEG_USER: "user-1"},
            }
            world.ledger.confirm(other, 555, "Jane")

    world.time.on_sleep = other_finishes
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert (result.outcome, result.record_id) == ("update", 555), result.message
    assert world.time.sleeps == [0.25, 0.5] and world.fake.calls("POST") == []


async def test_a_run_gives_up_waiting_for_one_that_never_finishes(world: World) -> None:
    world.ledger.claim(KEY, mapping="People", source=SOURCE_SEND_TEST, test=True)
    result = await world.engine(claim_wait=3.0).run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "fail" and result.retriable
    assert "Another run of this app has been creating person where Segment user ID = user-1" in result.message
    assert world.time.sleeps == [0.25, 0.5, 1.0, 1.25] and world.fake.calls("POST") == []


async def test_a_ledger_id_that_is_gone_is_forgotten_and_the_record_created_again(world: World) -> None:
    claim = world.ledger.claim(KEY, mapping=None, source=SOURCE_CLI_SEND, test=True)
    world.ledger.confirm(claim, 77, "Jane")  # deleted in Pipedrive since
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert (result.outcome, result.record_id) == ("create", 101), result.message
    assert world.fake.calls() == [
        "GET /api/v2/itemSearch/field",
        "PATCH /api/v2/persons/77",
        "GET /api/v2/itemSearch/field",
        "POST /api/v2/persons",
    ]
    assert [(e.record_id, e.state) for e in world.ledger.entries(include_gone=True)] == [
        ("101", CREATED),
        ("77", "gone"),
    ]


async def test_a_deal_links_the_person_another_run_created_before_search_shows_it(world: World) -> None:
    world.fake.lagging = True
    await world.engine().run("createUpdatePerson", PERSON, "send")
    deal = {
        "title": "Deal",
        "value": "10",
        "person_match_value": "user-1",
        "deal_match_field": "id",
        "deal_match_value": "",
    }
    result = await world.engine().run("createUpdateDeal", deal, "send")
    assert result.outcome == "create", result.message
    assert world.fake.records["deals"][result.record_id]["person_id"] == 101


async def test_dry_run_knows_records_the_app_created(world: World) -> None:
    world.fake.lagging = True
    await world.engine().run("createUpdatePerson", PERSON, "send")
    result = await world.engine().run("createUpdatePerson", PERSON, "dry_run")
    assert result.message == "Would update person #101 'Jane Doe'"


async def test_records_without_a_match_value_are_listed_when_they_are_test_records(world: World) -> None:
    activity = {"subject": "Call", "type": "call"}
    await world.engine().run("createUpdateActivity", activity, "send", mapping="Calls")
    receiver = Origin(SOURCE_RECEIVER, test=False)
    await world.engine(origin=receiver).run("createUpdateActivity", activity, "send", mapping="Calls")
    assert [(e.entity, e.record_id, e.mapping, e.source, e.test) for e in world.ledger.entries()] == [
        ("activity", "101", "Calls", SOURCE_CLI_SEND, True)
    ]


async def test_a_create_cancelled_mid_request_is_left_unconfirmed(world: World) -> None:
    landed = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        world.fake.apply(request)
        landed.set()
        await asyncio.Event().wait()
        raise AssertionError("not reached")

    world.fake.fault("POST", "/api/v2/persons", hang)  # type: ignore[arg-type]
    task = asyncio.create_task(world.engine().run("createUpdatePerson", PERSON, "send"))
    await asyncio.wait_for(landed.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    entry = world.ledger.find(KEY)
    assert entry is not None and entry.state == UNCONFIRMED


async def test_refused_create_frees_the_claim(world: World) -> None:
    world.fake.fault(
        "POST",
        "/api/v2/persons",
        status(
            400, {"success": False, "error": "Validation failed: x", "code": "ERR_SCHEMA_VALIDATION_FAILED"}
        ),
    )
    result = await world.engine().run("createUpdatePerson", PERSON, "send")
    assert result.outcome == "fail" and world.ledger.find(KEY) is None


# -- the before-write hook (the receiver's "write in flight" note) ------------------------------------


async def test_before_write_is_awaited_once_just_before_the_first_write(world: World) -> None:
    seen: list[list[str]] = []

    async def hook() -> None:
        seen.append(world.fake.calls())

    engine = world.engine()
    await engine.run("createUpdatePerson", PERSON, "dry_run", before_write=hook)
    assert seen == []  # nothing is written in a dry run
    await engine.run("createUpdatePerson", dict(PERSON, name=""), "send", before_write=hook)
    assert seen == []  # the plan fails (no name to create with): nothing is written
    world.fake.fault("POST", "/api/v2/persons", status(503))
    await engine.run("createUpdatePerson", PERSON, "send", before_write=hook)
    assert (
        len(seen) == 1 and seen[0][-1] == "GET /api/v2/itemSearch/field"
    )  # after the lookups, before the POST


def test_windows_can_be_shortened_for_tests() -> None:
    assert timing_from_env({"PIPEDRIVE_GUI_CONFIRM_WINDOW": "0.2", "PIPEDRIVE_GUI_CLAIM_WAIT": "1"}) == {
        "confirm_window": 0.2,
        "claim_wait": 1.0,
    }
    assert timing_from_env({"PIPEDRIVE_GUI_CONFIRM_WINDOW": "soon"}) == {}


# -- a ledger that cannot be opened ------------------------------------------------------------------


async def test_without_its_ledger_the_engine_creates_nothing_but_still_updates(
    world: World, tmp_path: Path
) -> None:
    """What the desktop app gets when the ledger file cannot be opened (gui/connection.py): a create
    is refused with the reason, as a failure worth trying again (the live receiver retries it), and
    an update - which cannot make a duplicate - goes through."""
    from pipedrive_gui.pipedrive.ledger import LedgerError, UnopenedLedger

    (tmp_path / "blocked").mkdir()
    (tmp_path / "blocked" / "ledger.sqlite3").mkdir()  # a folder where the file goes
    with pytest.raises(LedgerError) as cannot:
        Ledger.in_data_dir(tmp_path / "blocked")
    engine = world.engine(ledger=False)
    engine.ledger = UnopenedLedger(cannot.value)
    refused = await engine.run("createUpdatePerson", PERSON, "send")
    assert (refused.outcome, refused.retriable) == ("fail", True), refused.message
    assert "cannot be opened" in refused.message and "Nothing was created" in refused.message
    assert world.fake.calls("POST") == [] and world.fake.records["persons"] == {}

    # The person exists (made by someone else): updating it needs no ledger.
    await world.engine().run("createUpdatePerson", PERSON, "send")
    updated = await engine.run("createUpdatePerson", dict(PERSON, name="Ada L."), "send")
    assert updated.outcome == "update", updated.message
