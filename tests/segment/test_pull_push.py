"""Pull → edit → push → pull against the stand-in; the diff; 429 mid-push; failures reported."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pipedrive_gui.core.project import Mapping, Project, SegmentLink, project_from_dict, project_to_dict
from pipedrive_gui.segment.client import SegmentClient
from pipedrive_gui.segment.diff import MISSING, plan_push
from pipedrive_gui.segment.push import (
    CancelFlag,
    execute_push,
    fetch_destination,
    project_after_push,
    pull_into,
)
from pipedrive_gui.segment.standin import Fault, StandinState

from .conftest import FakeTime, prod_id


async def pull(
    client: SegmentClient, state: StandinState, project: Project | None = None, mode: str = "update"
) -> Project:
    remote = await fetch_destination(client, prod_id(state))
    return pull_into(project or Project(name="Pulled"), remote, mode).project  # type: ignore[arg-type]


async def push(
    client: SegmentClient, state: StandinState, project: Project, **kw: object
) -> tuple[Project, object]:
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions, remote.destination.settings, **kw)  # type: ignore[arg-type]
    report = await execute_push(client, plan)
    return project_after_push(project, report, destination_name=remote.destination.name), report


async def test_pull_brings_subscriptions_and_safe_settings(
    client: SegmentClient, state: StandinState
) -> None:
    project = await pull(client, state)
    assert [(m.name, m.action, m.enabled) for m in project.mappings] == [
        ("Upsert person", "createUpdatePerson", True),
        ("Upsert organization", "createUpdateOrganization", False),
    ]
    assert all(m.subscription_id for m in project.mappings)
    assert project.segment == SegmentLink(prod_id(state), "Pipedrive (production)", "us")
    assert project.destination.person_field == "email" and project.destination.domain == "acme"
    text = json.dumps(project_to_dict(project))
    assert "pd-secret-token" not in text and "apiToken" not in text
    # The file round trip keeps the link.
    assert project_from_dict(json.loads(text)) == project


async def test_pull_edit_push_pull_gives_the_same_project(client: SegmentClient, state: StandinState) -> None:
    project = await pull(client, state)
    person, org = project.mappings
    edited = replace(
        project,
        mappings=[
            replace(
                person, name="Upsert person by email", trigger='type = "identify" and traits.email != null'
            ),
            replace(org, enabled=True, settings={**org.settings, "visible_to": 3}),
            Mapping(
                "m-new",
                "Deal from checkout",
                "createUpdateDeal",
                'type = "track" and event = "Order Completed"',
                True,
                {"title": {"@path": "$.properties.order_id"}},
            ),
        ],
    )
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(edited, prod_id(state), remote.subscriptions, remote.destination.settings)
    assert [i.kind for i in plan.items] == ["update", "update", "create"]
    rename = plan.items[0]
    assert rename.matched_by == "subscription id" and rename.subscription_id == person.subscription_id
    assert [c.field for c in rename.changes] == ["name", "trigger"]
    assert [c.field for c in plan.items[1].changes] == ["enabled", "settings.visible_to"]
    assert plan.items[1].changes[1].before is MISSING
    assert plan.items[1].body == {"enabled": True, "settings": {**org.settings, "visible_to": 3}}
    # The dry run sends nothing.
    writes_before = len(state.writes_sent())
    assert "Upsert person by email" in plan.describe() and "+ create" in plan.describe()
    assert len(state.writes_sent()) == writes_before

    report = await execute_push(client, plan)
    assert not report.failed and len(report.succeeded) == 3
    pushed = project_after_push(edited, report, destination_name="Pipedrive (production)")
    assert pushed.mappings[2].subscription_id
    assert len(state.subscriptions[prod_id(state)]) == 3  # the rename did not duplicate

    remote = await fetch_destination(client, prod_id(state))
    again = plan_push(pushed, prod_id(state), remote.subscriptions, remote.destination.settings)
    assert again.nothing_to_change and again.summary().startswith("Nothing to change")
    writes = len(state.writes_sent())
    second = await execute_push(client, again)
    assert second.summary().startswith("Nothing to change") and len(state.writes_sent()) == writes

    pulled_again = await pull(client, state, pushed)
    assert project_to_dict(pulled_again) == project_to_dict(pushed)


async def test_a_429_mid_push_resumes(
    client: SegmentClient, state: StandinState, fake_time: FakeTime
) -> None:
    project = Project(
        mappings=[
            Mapping(
                f"m{n}",
                f"Note {n}",
                "createUpdateNote",
                'type = "track"',
                True,
                {"content": {"@path": "$.properties.text"}},
            )
            for n in range(4)
        ]
    )
    state.faults.append(Fault("POST", "/subscriptions", status=429, nth=2, ms_before_next=12_000))
    progress: list[tuple[int, int, str]] = []
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions, remote.destination.settings)
    report = await execute_push(client, plan, on_progress=lambda n, t, what: progress.append((n, t, what)))
    assert len(report.succeeded) == 4 and not report.failed
    assert 12.0 in fake_time.waits
    assert [p[0] for p in progress] == [0, 1, 2, 3, 4] and progress[-1][2] == "done"
    assert sum(1 for s in state.subscriptions[prod_id(state)] if s["name"].startswith("Note")) == 4


async def test_a_failing_subscription_is_reported_and_the_rest_go_through(
    client: SegmentClient, state: StandinState
) -> None:
    project = Project(
        mappings=[
            Mapping("a", "Good one", "createUpdateNote", 'type = "track"', True, {"content": "a"}),
            Mapping(
                "b", "Broken trigger", "createUpdateNote", 'type = "track" and (', True, {"content": "b"}
            ),
            Mapping("c", "Another good one", "createUpdateNote", 'type = "page"', True, {"content": "c"}),
        ]
    )
    pushed, report = await push(client, state, project)
    assert [r.ok for r in report.results] == [True, False, True]  # type: ignore[attr-defined]
    failed = report.failed[0]  # type: ignore[attr-defined]
    assert "Broken trigger" in failed.label and "trigger builder" in failed.message
    assert failed.segment_message.startswith("Invalid FQL")
    assert "1 failed" in report.summary()  # type: ignore[attr-defined]
    assert [m.subscription_id is not None for m in pushed.mappings] == [True, False, True]
    # Next time only the failed one is left to create.
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(pushed, prod_id(state), remote.subscriptions)
    assert [(i.kind, i.name) for i in plan.to_send] == [("create", "Broken trigger")]


async def test_only_in_segment_is_left_alone_unless_asked(client: SegmentClient, state: StandinState) -> None:
    project = await pull(client, state)
    project = replace(project, mappings=project.mappings[:1])
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions, remote.destination.settings)
    assert [i.kind for i in plan.items] == ["unchanged", "only_in_segment"] and plan.nothing_to_change
    plan = plan_push(
        project, prod_id(state), remote.subscriptions, remote.destination.settings, delete_missing=True
    )
    assert [i.kind for i in plan.items] == ["unchanged", "delete"]
    report = await execute_push(client, plan)
    assert report.succeeded and len(state.subscriptions[prod_id(state)]) == 1


async def test_destination_settings_differ_and_are_pushed_only_when_asked(
    client: SegmentClient, state: StandinState
) -> None:
    project = await pull(client, state)
    project.destination.person_field = "abc123_customer_id"
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions, remote.destination.settings)
    assert [(s.key, s.before, s.after) for s in plan.settings] == [
        ("personField", "email", "abc123_customer_id")
    ]
    assert plan.nothing_to_change and "not pushed" in plan.summary()
    plan = plan_push(
        project, prod_id(state), remote.subscriptions, remote.destination.settings, push_settings=True
    )
    report = await execute_push(client, plan)
    assert report.succeeded and report.results[0].label == "Destination settings"
    settings = state.destinations[0]["settings"]
    assert settings["personField"] == "abc123_customer_id" and settings["apiToken"] == "pd-secret-token"
    assert state.writes_sent()[-1][2] == {"settings": {"personField": "abc123_customer_id"}}


async def test_ids_of_another_destination_are_not_used(client: SegmentClient, state: StandinState) -> None:
    project = await pull(client, state)
    other = str(state.destinations[1]["id"])
    remote = await fetch_destination(client, other)
    plan = plan_push(project, other, remote.subscriptions, remote.destination.settings)
    assert [i.kind for i in plan.items] == ["create", "create"]


async def test_a_renamed_mapping_of_an_unlinked_project_pairs_by_name(
    client: SegmentClient, state: StandinState
) -> None:
    project = await pull(client, state)
    unlinked = replace(
        project, segment=None, mappings=[replace(m, subscription_id=None) for m in project.mappings]
    )
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(unlinked, prod_id(state), remote.subscriptions, remote.destination.settings)
    assert [(i.kind, i.matched_by) for i in plan.items] == [("unchanged", "name"), ("unchanged", "name")]


async def test_cancel_stops_between_requests(client: SegmentClient, state: StandinState) -> None:
    project = Project(
        mappings=[Mapping(f"m{n}", f"N{n}", "createUpdateNote", 'type = "track"', True, {}) for n in range(3)]
    )
    flag = CancelFlag()
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions)
    report = await execute_push(
        client, plan, cancel=flag, on_progress=lambda n, t, w: flag.cancel() if n == 1 else None
    )
    assert report.cancelled and len(report.results) == 2 and report.not_sent == 1
    assert "1 not sent (cancelled)" in report.summary()


async def test_a_failure_every_request_would_meet_stops_the_push(
    client: SegmentClient, state: StandinState
) -> None:
    project = Project(
        mappings=[Mapping(f"m{n}", f"N{n}", "createUpdateNote", 'type = "track"', True, {}) for n in range(3)]
    )
    remote = await fetch_destination(client, prod_id(state))
    plan = plan_push(project, prod_id(state), remote.subscriptions)
    state.subscriptions_feature = False
    report = await execute_push(client, plan)
    assert len(report.results) == 1 and report.stopped and "customer success manager" in report.stopped


@pytest.mark.parametrize(
    "mode, names",
    [
        ("replace", ["Upsert person", "Upsert organization"]),
        ("copy", ["Mine", "Upsert person", "Upsert organization"]),
        ("update", ["Mine", "Upsert person", "Upsert organization"]),
    ],
)
async def test_pull_merge_choices(
    client: SegmentClient, state: StandinState, mode: str, names: list[str]
) -> None:
    mine = Project(mappings=[Mapping("m1", "Mine", "createUpdateNote", 'type = "track"', True, {})])
    project = await pull(client, state, mine, mode)
    assert [m.name for m in project.mappings] == names


async def test_pull_after_a_rename_in_segment_updates_the_mapping(
    client: SegmentClient, state: StandinState
) -> None:
    project = await pull(client, state)
    state.subscriptions[prod_id(state)][0]["name"] = "Renamed in Segment"
    again = await pull(client, state, project)
    assert [m.name for m in again.mappings] == ["Renamed in Segment", "Upsert organization"]
    assert [m.id for m in again.mappings] == [m.id for m in project.mappings]


def test_an_empty_project_domain_is_not_proposed() -> None:
    plan = plan_push(Project(), "d", [], {"domain": "acme", "personField": "email"})
    assert [s.key for s in plan.settings] == ["personField"]


async def test_a_create_whose_answer_was_lost_is_found_not_repeated(
    client: SegmentClient, state: StandinState
) -> None:
    project = Project(
        mappings=[
            Mapping("a", "Lost answer", "createUpdateNote", 'type = "track"', True, {}),
            Mapping("b", "Fine", "createUpdateNote", 'type = "page"', True, {}),
        ]
    )
    state.faults.append(Fault("POST", "/subscriptions", status=502, after_handling=True))
    pushed, report = await push(client, state, project)
    assert [r.ok for r in report.results] == [True, True]  # type: ignore[attr-defined]
    assert "answer was lost" in report.results[0].message  # type: ignore[attr-defined]
    assert all(m.subscription_id for m in pushed.mappings)
    assert [s["name"] for s in state.subscriptions[prod_id(state)]].count("Lost answer") == 1
    remote = await fetch_destination(client, prod_id(state))
    assert plan_push(
        pushed, prod_id(state), remote.subscriptions, remote.destination.settings
    ).nothing_to_change
