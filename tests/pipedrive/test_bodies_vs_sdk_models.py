"""Every write body the client sends fits Pipedrive's official SDK request models.

A representative run of the real engine against the offline sandbox: all six actions, create and
update, every custom field type the sandbox seeds. Each body the sandbox recorded is checked
against the request model of its call in ``resources/sandbox/pipedrive-sdk-models.json``
(generated from the npm package ``pipedrive``), read strictly: no key the model does not declare,
JSON types and enum values as the model gives them. The sandbox must also have accepted every
write (its own rules: ids, formats, custom values per type, status-only deal keys).

The models come from Pipedrive, not from the client or the sandbox, so a wrong assumption the two
share (a key Pipedrive does not have, a wrong type) fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pipedrive_gui.core.project import DestinationDefaults
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.fields import fetch_catalog
from pipedrive_gui.pipedrive.pacing import Pacer
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox
from pipedrive_gui.sandbox.sdk_models import sdk_models
from pipedrive_gui.sandbox.validate_v2 import STATUS_ONLY
from tests.pipedrive.test_planner import SEG_DEAL, SEG_GROUP, SEG_USER

DEFAULTS = DestinationDefaults(person_field=SEG_USER, organization_field=SEG_GROUP, deal_field=SEG_DEAL)
WRITES = ("POST", "PATCH", "PUT")
_ID = re.compile(r"^(/api/v[12]/[A-Za-z]+)/[^/]+$")

PERSON = {
    "match_value": "user-9101",
    "name": "Rin Tanaka",
    "email": ["rin@tanaka.example"],
    "phone": ["+372 5000 0101"],
    "visible_to": "3",
    "add_time": "2026-11-01T10:00:00.250Z",
    "custom_fields": {
        "Plan": "Pro",
        "Lifetime value": 1200,
        "Lead score": "88.5",
        "Signup date": "2026-11-01",
        "Interests": "CRM, Automation",
    },
}
ORGANIZATION = {
    "match_value": "grp-9101",
    "name": "Umbrella",
    "visible_to": "7",
    "add_time": "2026-11-01T10:00:00Z",
    "custom_fields": {"Industry": "Finance", "Employees": "120"},
}
DEAL = {
    "deal_match_value": "D-9101",
    "title": "Umbrella - 10 seats",
    "value": "5000",
    "currency": "eur",
    "stage_id": 2,
    "status": "open",
    "expected_close_date": "2026-12-31",
    "probability": 40,
    "add_time": "2026-11-01T10:00:00Z",
    "person_match_value": "user-9101",
    "organization_match_value": "grp-9101",
    "custom_fields": {"Lead source": "Website", "Contract notes": "Net 30"},
}
ACTIVITY = {
    "subject": "Kick-off",
    "type": "Call",
    "due_date": "2026-12-02",
    "due_time": "14:30",
    "duration": "0:30",
    "done": False,
    "description": "Agenda",
    "note": "<p>Bring slides</p>",
    "person_match_value": "user-9101",
    "organization_match_value": "grp-9101",
    "deal_match_value": "D-9101",
}
LEAD = {
    "title": "Umbrella demo request",
    "amount": 900,
    "currency": "EUR",
    "visible_to": "3",
    "organization_match_value": "grp-9101",
    "person_match_value": "user-9101",
    "expected_close_date": "2027-01-15",
}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    yield sb
    await sb.stop()


@pytest.fixture
async def engine(sandbox: RunningSandbox) -> AsyncIterator[UpsertEngine]:
    client = PipedriveClient(
        sandbox.base_url, sandbox.token, pacer=Pacer(burst_limit=10_000, search_limit=10_000), timeout=5.0
    )
    catalog = await fetch_catalog(client, domain="sandbox")
    yield UpsertEngine(client, catalog, DEFAULTS, default_currency="EUR", recheck_delay=0.3)
    await client.aclose()


def template(method: str, path: str) -> str:
    """``PATCH /api/v2/persons/121`` -> ``PATCH /api/v2/persons/{id}`` (the SDK's operation key)."""
    if method in ("PATCH", "PUT") and (m := _ID.match(path)):
        return f"{method} {m.group(1)}/{{id}}"
    return f"{method} {path}"


def custom_types(sandbox: RunningSandbox, entity: str, body: dict[str, Any]) -> set[str]:
    catalog = sandbox.state.store.catalog
    keys = body if entity == "lead" else (body.get("custom_fields") or {})
    return {f.field_type for k, f in catalog.custom(entity).items() if k in keys}


ENTITY_OF = {
    "persons": "person",
    "organizations": "organization",
    "deals": "deal",
    "activities": "activity",
    "leads": "lead",
    "notes": "note",
}


async def representative_run(engine: UpsertEngine) -> dict[str, str]:
    """All six actions, created then updated; the outcome of each step (for the failure message)."""
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("person create", "createUpdatePerson", PERSON),
        (
            "person update",
            "createUpdatePerson",
            dict(
                PERSON, name="Rin Tanaka-Sato", custom_fields={"Plan": "Enterprise", "Lifetime value": 1500}
            ),
        ),
        ("organization create", "createUpdateOrganization", ORGANIZATION),
        ("organization update", "createUpdateOrganization", dict(ORGANIZATION, name="Umbrella Corp")),
        ("deal create", "createUpdateDeal", DEAL),
        ("deal lost", "createUpdateDeal", dict(DEAL, status="lost", lost_reason="Price")),
        ("deal won", "createUpdateDeal", dict(DEAL, status="won", value="6000")),
        ("activity create", "createUpdateActivity", ACTIVITY),
        ("lead create", "createUpdateLead", LEAD),
        (
            "note create",
            "createUpdateNote",
            {
                "content": "<p>Budget approved</p>",
                "deal_match_value": "D-9101",
                "person_match_value": "user-9101",
            },
        ),
    ]
    outcomes: dict[str, str] = {}
    ids: dict[str, Any] = {}
    for name, slug, payload in steps:
        result = await engine.run(slug, payload, "send")
        outcomes[name] = f"{result.outcome}: {result.message}"
        ids[slug] = result.record_id
    follow_ups = [
        (
            "activity update",
            "createUpdateActivity",
            dict(ACTIVITY, activity_id=ids["createUpdateActivity"], done="true", subject="Kick-off (done)"),
        ),
        (
            "lead update",
            "createUpdateLead",
            dict(LEAD, lead_id=ids["createUpdateLead"], title="Umbrella demo (2)"),
        ),
        ("note update", "createUpdateNote", {"note_id": ids["createUpdateNote"], "content": "<p>Signed</p>"}),
    ]
    for name, slug, payload in follow_ups:
        result = await engine.run(slug, payload, "send")
        outcomes[name] = f"{result.outcome}: {result.message}"
    return outcomes


def body_problems(sandbox: RunningSandbox) -> tuple[list[str], set[str], set[str]]:
    """Problems of the recorded write bodies, the SDK operations seen and the custom field types sent."""
    models = sdk_models()
    problems: list[str] = []
    seen_ops: set[str] = set()
    seen_types: set[str] = set()
    for req in sandbox.state.requests:
        if req.method not in WRITES:
            continue
        op = template(req.method, req.path)
        try:
            model = models.body_model(*op.split(" ", 1))
        except KeyError:
            problems.append(f"{req.call}: no SDK request model for this call")
            continue
        seen_ops.add(op)
        for problem in models.check(model, req.json, closed=True):
            problems.append(f"{req.call} ({model}, {models.version}): {problem}")
        if req.status is None or not 200 <= req.status < 300:
            problems.append(f"{req.call}: the sandbox answered {req.status} to {req.json}")
        seen_types |= custom_types(sandbox, ENTITY_OF[req.path.split("/")[3]], req.json or {})
    return problems, seen_ops, seen_types


def report(problems: list[str], outcomes: dict[str, str]) -> str:
    return "\n".join(problems) + "\n\noutcomes:\n" + "\n".join(f"{k}: {v}" for k, v in outcomes.items())


async def test_every_recorded_write_body_fits_the_sdk_models(
    sandbox: RunningSandbox, engine: UpsertEngine
) -> None:
    outcomes = await representative_run(engine)
    models = sdk_models()
    problems, seen_ops, seen_types = body_problems(sandbox)
    problems += [f"{step}: {outcome}" for step, outcome in outcomes.items() if outcome.startswith("fail")]
    assert not problems, report(problems, outcomes)
    # The run covered every write the app makes (all six actions, create and update) ...
    assert seen_ops == {k for k, v in models.operations.items() if v.get("body_model")}, outcomes
    # ... and every custom field type the sandbox seeds.
    seeded = {
        f.field_type for e in ENTITY_OF.values() for f in sandbox.state.store.catalog.custom(e).values()
    }
    assert seen_types == seeded, (seen_types, seeded)


async def test_a_won_deal_goes_out_without_the_events_lost_reason(
    sandbox: RunningSandbox, engine: UpsertEngine
) -> None:
    await engine.run("createUpdatePerson", PERSON, "send")
    await engine.run("createUpdateOrganization", ORGANIZATION, "send")
    outcomes = {}
    for name, status in (("create", "open"), ("won", "won")):
        result = await engine.run("createUpdateDeal", dict(DEAL, status=status, lost_reason="Price"), "send")
        outcomes[name] = f"{result.outcome}: {result.message}"
    problems, _, _ = body_problems(sandbox)
    for req in sandbox.state.requests:
        if req.method in WRITES and req.path.startswith("/api/v2/deals") and isinstance(req.json, dict):
            status = req.json.get("status", "open")
            problems += [
                f"{req.call}: {key} sent with status {status}"
                for key, allowed in STATUS_ONLY.items()
                if key in req.json and status not in allowed
            ]
    assert not problems and not any(o.startswith("fail") for o in outcomes.values()), report(
        problems, outcomes
    )
