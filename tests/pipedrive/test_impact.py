"""Impact runs against the offline sandbox: what they predict is what sending the events does.

The reference run sends every event, one by one and in order, through the same engine
``pipedrive-gui send`` and the receiver use, to a fresh sandbox; the impact run (read-only) must
predict each mapping's outcome on each event, and the very API calls and tokens the sends cost.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from pipedrive_gui.core.impact import ImpactReport
from pipedrive_gui.core.payload import compile_action
from pipedrive_gui.core.project import Mapping as ProjectMapping
from pipedrive_gui.core.project import Project, load_project
from pipedrive_gui.core.triggers import parse_fql
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.fields import fetch_catalog
from pipedrive_gui.pipedrive.impact import ImpactError, mapping_cost, run_impact
from pipedrive_gui.pipedrive.pacing import Pacer
from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from pipedrive_gui.sandbox.ratelimit import token_cost

DEMO = resource_path("demo", "demo.pipedrive-map.json")
CORPUS = [
    json.loads(line)
    for line in resource_path("events", "corpus.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
WRITES = ("POST", "PATCH", "PUT", "DELETE")


class Unpaced(Pacer):
    """A pacer that ignores the sandbox's rate-limit headers: "limits off", as fast as it goes."""

    def __init__(self) -> None:
        super().__init__(burst_limit=10**6, search_limit=10**6)

    def observe(self, headers: Mapping[str, str], *, search: bool = False) -> None:
        return None


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox(seed=True)
    try:
        yield sb
    finally:
        await sb.stop()


async def _send_all(
    client: PipedriveClient, catalog: Any, project: Project, events: list[dict[str, Any]]
) -> dict[tuple[int, str], str]:
    """Every event, one by one and in order, through every mapping it fires (as ``send`` does)."""
    engine = UpsertEngine(client, catalog, project.destination)
    mappings = [
        (m, parse_fql(m.trigger), compile_action(m.action, m.settings)) for m in project.mappings if m.enabled
    ]
    outcomes: dict[tuple[int, str], str] = {}
    for i, event in enumerate(events, 1):
        for m, trigger, action in mappings:
            if not trigger.matches(event):
                continue
            payload = action.run(event)
            if not payload.ok or payload.payload is None:
                outcomes[(i, m.id)] = "fail"
                continue
            outcomes[(i, m.id)] = (await engine.run(m.action, payload.payload, "send")).outcome
    return outcomes


async def _impact_equals_sending(
    sandbox: RunningSandbox, events: list[dict[str, Any]], project: Project | None = None
) -> ImpactReport:
    project = project if project is not None else load_project(DEMO)
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        sandbox.state.clear_requests()
        result = await run_impact(client, catalog, project, events)
        lookups = list(sandbox.state.requests)
        assert lookups and all(r.method == "GET" for r in lookups), "an impact run only reads"
        asked = Counter((r.path, json.dumps(r.query, sort_keys=True)) for r in lookups)
        assert max(asked.values()) == 1, "each distinct match value is looked up once"
        assert result.report.lookups == len(lookups)

        sandbox.state.clear_requests()
        sent = await _send_all(client, catalog, project, events)
        requests = list(sandbox.state.requests)

    report = result.report
    predicted = {r.key: r.outcome for r in report.runs}
    assert predicted == sent
    # The counts per mapping are those of the sends.
    for s in report.summaries:
        mine = Counter(o for (_, mid), o in sent.items() if mid == s.mapping_id)
        assert (s.update, s.create, s.fail) == (mine["update"], mine["create"], mine["fail"]), s.mapping
        assert s.not_triggered == len(events) - sum(mine.values())
    # And so are the calls and tokens the sends cost.
    assert report.api_calls == len(requests)
    assert report.tokens == sum(token_cost(r.method, r.path) for r in requests)
    assert not any(r.status == 429 for r in requests)
    return report


async def test_impact_over_the_whole_corpus_equals_sending_it(sandbox: RunningSandbox) -> None:
    assert len(CORPUS) == 1100
    await _impact_equals_sending(sandbox, CORPUS)


async def test_burst_limits_on_no_429_progress_and_nothing_written(sandbox: RunningSandbox) -> None:
    """Against a sandbox enforcing a Lite plan's burst limits in real time, 50 events need 15 searches:
    more than the 10 a 2-second window allows, so the pacer must hold some back."""
    sandbox.faults.enforce_burst = True
    sandbox.faults.burst_limit = 20  # Lite
    sandbox.faults.search_burst_limit = 10
    project = load_project(DEMO)
    seen: list[tuple[str, int, int]] = []
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Pacer.for_plan("lite")) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        sandbox.state.clear_requests()
        result = await run_impact(
            client,
            catalog,
            project,
            CORPUS[:50],
            progress=lambda phase, done, total: seen.append((phase, done, total)),
        )
    requests = list(sandbox.state.requests)
    assert result.report.lookups > sandbox.faults.search_burst_limit  # more than one window's worth
    assert requests and not any(r.status == 429 for r in requests)
    assert not any(r.method in WRITES for r in requests)
    lookups = [(d, t) for p, d, t in seen if p == "lookups"]
    assert lookups[0][0] == 0 and lookups[-1] == (result.report.lookups, result.report.lookups)
    assert [d for d, _ in lookups] == sorted(d for d, _ in lookups)
    assert {p for p, _, _ in seen} == {"prepare", "lookups", "simulate"}
    assert result.plan == "lite"  # told by x-ratelimit-limit


async def test_cancelling_stops_the_lookups(sandbox: RunningSandbox) -> None:
    sandbox.faults.add("slow", delay_ms=50, path="/api/v2/itemSearch/field")
    project = load_project(DEMO)
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        sandbox.state.clear_requests()
        started = asyncio.Event()

        def progress(phase: str, done: int, total: int) -> None:
            if phase == "lookups" and done >= 2:
                started.set()

        task = asyncio.ensure_future(run_impact(client, catalog, project, CORPUS[:400], progress=progress))
        await asyncio.wait_for(started.wait(), 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        made = len(sandbox.state.requests)
        await asyncio.sleep(0.2)
        assert len(sandbox.state.requests) <= made + 4  # at most the lookups already in flight
        assert made < 100


async def test_daily_budget_spent_stops_the_run_with_a_clear_message(sandbox: RunningSandbox) -> None:
    project = load_project(DEMO)
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        sandbox.faults.rate_limit(count=None, daily=True, path="/api/v2/itemSearch/field")
        with pytest.raises(ImpactError, match="daily token budget"):
            await run_impact(client, catalog, project, CORPUS[:30])


def _identify(user: str, name: str, *, event: str | None = None) -> dict[str, Any]:
    if event:
        return {
            "type": "track",
            "event": event,
            "userId": user,
            "messageId": f"m-{user}-{event}",
            "properties": {"name": name},
            "context": {"traits": {"name": name}},
        }
    return {"type": "identify", "userId": user, "messageId": f"m-{user}-{name}", "traits": {"name": name}}


async def test_records_the_batch_creates_then_reaches_again_and_two_mappings_on_one_person(
    sandbox: RunningSandbox,
) -> None:
    project = load_project(DEMO)
    person = next(m for m in project.mappings if m.action == "createUpdatePerson")
    second = ProjectMapping(
        "signup",
        "People from Signed Up",
        "createUpdatePerson",
        'type = "track" and event = "Signed Up"',
        True,
        {**copy.deepcopy(person.settings), "name": {"@path": "$.properties.name"}},
    )
    project.mappings = [person, second]
    events = [
        _identify("new-1", "Ada"),
        _identify("new-1", "Ada L."),
        _identify("new-2", "Bo"),
        _identify("new-2", "Bo", event="Signed Up"),
        _identify("user-lonely", "Cy"),
    ]
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        result = await run_impact(client, catalog, project, events)
    report = result.report
    assert [(r.event_index, r.outcome, r.updates_batch_record) for r in report.runs] == [
        (1, "create", False),
        (2, "update", True),
        (3, "create", False),
        (4, "update", True),
        (5, "create", False),
    ]
    assert report.lookups == 3  # new-1, new-2, user-lonely: once each
    records = {b.describe: b for b in report.batch_records}
    assert set(records) == {"person where Segment user ID = new-1", "person where Segment user ID = new-2"}
    assert not records["person where Segment user ID = new-1"].cross_mapping
    twice = records["person where Segment user ID = new-2"]
    assert twice.cross_mapping and twice.mappings == [person.name, "People from Signed Up"]
    assert "2 mappings write it" in twice.sentence()
    assert "that event 1 of this batch creates" in report.runs[1].message
    summary = {s.mapping: s for s in report.summaries}
    assert summary[person.name].batch_duplicates == 2
    assert (summary["People from Signed Up"].update, summary["People from Signed Up"].not_triggered) == (1, 4)


async def test_before_after_lists_the_events_whose_outcome_changes(sandbox: RunningSandbox) -> None:
    saved = load_project(DEMO)
    edited = copy.deepcopy(saved)
    person = next(m for m in edited.mappings if m.action == "createUpdatePerson")
    person.settings["match_value"] = {"@path": "$.anonymousId"}  # a mistake: anonymous ids never match
    events = CORPUS[:60]
    async with PipedriveClient(sandbox.base_url, sandbox.token, pacer=Unpaced()) as client:
        catalog = await fetch_catalog(client, domain="sandbox")
        await _send_all(client, catalog, saved, events)  # the records exist now: identifies update
        sandbox.state.clear_requests()
        result = await run_impact(client, catalog, edited, events, compare_with=saved)
        assert not any(r.method in WRITES for r in sandbox.state.requests)
    assert result.before is not None
    before = {s.mapping: s for s in result.before.summaries}[person.name]
    after = {s.mapping: s for s in result.report.summaries}[person.name]
    assert before.create == 0 and before.update > 0
    people = len({e["userId"] for e in events if e["type"] == "identify"})
    # Each person's first identify now creates; the second updates what the first created.
    assert (after.create, after.update) == (people, before.update - people)
    assert all(
        r.updates_batch_record
        for r in result.report.runs
        if r.mapping_id == person.id and r.outcome == "update"
    )
    change = next(c for c in result.changes if c.mapping == person.name and c.after == "create")
    assert (change.before, len(change.events)) == ("update", people)
    assert change.sentence().startswith(f"{people} events that updated person #")
    assert "would now create a new person" in change.sentence()
    moved = next(c for c in result.changes if c.mapping == person.name and c.after == "update")
    assert "would now update a person created earlier in the batch" in moved.sentence()
    assert {c.mapping for c in result.changes} == {person.name}  # the other mappings are unchanged
    # The same lookups answered both projects: the saved one's user ids and the edited one's anonymous ids.
    assert result.report.lookups == len(
        {(r.path, json.dumps(r.query, sort_keys=True)) for r in sandbox.state.requests}
    )


def test_per_mapping_cost_from_the_planner() -> None:
    project = load_project(DEMO)
    samples = [s.event for s in project.samples] + CORPUS[:40]
    costs = {m.action: mapping_cost(m, samples, project.destination) for m in project.mappings}
    deal = costs["createUpdateDeal"]
    assert deal is not None
    # person, organization and deal searches (20 tokens each) and one v2 write (5): the 65 of docs/pipedrive-api.md#calls-per-action.
    assert (deal.calls, deal.tokens, deal.searches) == (4, 65, 3)
    person = costs["createUpdatePerson"]
    assert person is not None and (person.calls, person.tokens) == (2, 25)
    assert person.text() == "≈ 2 API calls · 25 tokens per event"
    note = costs["createUpdateNote"]
    assert note is not None and note.tokens == 20 * note.searches + 10  # v1 notes write: 10


async def test_a_record_the_batch_creates_is_found_by_its_other_values(sandbox: RunningSandbox) -> None:
    """People are created matched by user id (with their e-mail); deals then link the person by
    e-mail: a later event's lookup of the e-mail finds the person an earlier event created."""
    project = load_project(DEMO)
    deals = next(m for m in project.mappings if m.action == "createUpdateDeal")
    deals.settings = {
        **deals.settings,
        "person_match_field": "email",
        "person_match_value": {"@path": "$.context.traits.email"},
    }
    events = []
    for n in range(3):
        user, email = f"fresh-{n}", f"fresh{n}@example.com"
        events.append(
            {
                "type": "identify",
                "userId": user,
                "messageId": f"i{n}",
                "traits": {"name": f"Fresh {n}", "email": email},
            }
        )
        events.append(
            {
                "type": "track",
                "event": "Deal Upserted",
                "userId": user,
                "messageId": f"d{n}",
                "context": {"traits": {"email": email.upper()}},  # entity search ignores case
                "properties": {"deal_id": f"FD-{n}", "title": f"Deal {n}", "value": 10, "currency": "EUR"},
            }
        )
    events.append(
        {
            "type": "track",
            "event": "Deal Upserted",
            "userId": "nobody",
            "messageId": "d-none",
            "context": {"traits": {"email": "nobody@example.com"}},
            "properties": {"deal_id": "FD-X", "title": "Orphan", "value": 1, "currency": "EUR"},
        }
    )
    report = await _impact_equals_sending(sandbox, events, project)
    outcomes = [(r.message_id, r.outcome) for r in report.runs if r.action == "createUpdateDeal"]
    assert outcomes == [("d0", "create"), ("d1", "create"), ("d2", "create"), ("d-none", "fail")]
    linked = [r for r in report.runs if r.action == "createUpdateDeal" and r.outcome == "create"]
    # Each deal is linked to the person an earlier event of the batch created (found by e-mail).
    assert not any("not linked to a person" in w for r in linked for w in r.warnings)
