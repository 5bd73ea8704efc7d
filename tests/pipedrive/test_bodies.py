"""Request bodies Pipedrive accepts, per the official SDK's v2 request models (npm ``pipedrive``):
fields valid only in some deal statuses, built-in fields chosen under Custom fields, an activity's
participants, and values of the wrong kind shown as JSON in messages."""

from __future__ import annotations

import pytest

from pipedrive_gui.pipedrive import encode, planner
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.pipedrive.engine import UpsertEngine
from pipedrive_gui.pipedrive.fields import fetch_catalog
from pipedrive_gui.pipedrive.pacing import Pacer
from pipedrive_gui.pipedrive.planner import LookupResult
from pipedrive_gui.sandbox import start_sandbox
from tests.pipedrive.test_integration import DEFAULTS, assert_requests_follow_reference
from tests.pipedrive.test_planner import CATALOG, SEG_DEAL, replan

PERSON_FOUND = LookupResult(True, 101, "Ada")
DEAL = {"deal_match_value": "deal-7", "title": "Big deal", "person_match_value": "user-1001"}


def create_body(slug: str, payload: dict, **found: LookupResult) -> tuple[dict, list[str]]:
    p = replan(slug, payload, **found)
    assert p.outcome == "create", p.reason
    (write,) = p.writes
    assert write.method == "POST"
    return write.body, p.warnings


def update_body(slug: str, payload: dict, **found: LookupResult) -> tuple[dict, list[str]]:
    p = replan(slug, payload, **found)
    assert p.outcome == "update", p.reason
    (write,) = p.writes
    assert write.method in ("PATCH", "PUT")
    return write.body, p.warnings


# -- deal fields valid only in some statuses ------------------------------------------------------


def test_won_deal_goes_out_without_lost_reason_and_says_why():
    body, warnings = create_body(
        "createUpdateDeal", dict(DEAL, status="won", lost_reason="Price"), person=PERSON_FOUND
    )
    assert body["status"] == "won" and "lost_reason" not in body
    assert (
        "Lost Reason was not sent: Pipedrive accepts it only when the deal's status is Lost, and "
        "this event sets the Status to Won."
    ) in warnings


def test_lost_deal_keeps_its_lost_reason():
    body, warnings = create_body(
        "createUpdateDeal", dict(DEAL, status="lost", lost_reason="Price"), person=PERSON_FOUND
    )
    assert (body["status"], body["lost_reason"]) == ("lost", "Price")
    assert not any("Lost Reason" in w for w in warnings)


def test_lost_reason_without_a_status_is_left_out_on_create_and_update():
    payload = dict(DEAL, lost_reason="Price")
    body, warnings = create_body("createUpdateDeal", payload, person=PERSON_FOUND)
    assert "lost_reason" not in body
    assert any(
        w.startswith("Lost Reason was not sent") and "does not set the deal's Status" in w for w in warnings
    )
    body, warnings = update_body("createUpdateDeal", payload, target=LookupResult(True, 301, "Big deal"))
    assert body == {"title": "Big deal"}
    assert any("map Status to Lost to send Lost Reason with it" in w for w in warnings)


def test_close_time_chosen_in_custom_fields_only_with_won_or_lost():
    """ "Deal closed on" is a built-in (a date in the field list): sent as close_time, RFC 3339, and
    only when the status is won or lost; won_time/lost_time only with their own status."""
    closed = {
        "Deal closed on": "2025-01-01T10:00:00+02:00",
        "Won time": "2025-01-01T10:00:00Z",
        "Lost time": "2025-01-01T10:00:00Z",
    }
    body, warnings = create_body(
        "createUpdateDeal", dict(DEAL, status="won", custom_fields=closed), person=PERSON_FOUND
    )
    assert body["close_time"] == "2025-01-01T08:00:00Z" and body["won_time"] == "2025-01-01T10:00:00Z"
    assert "lost_time" not in body and body["custom_fields"] == {SEG_DEAL: "deal-7"}
    assert any(w.startswith("Lost time was not sent") and "Status to Won" in w for w in warnings)
    body, warnings = create_body(
        "createUpdateDeal", dict(DEAL, status="open", custom_fields=closed), person=PERSON_FOUND
    )
    assert not {"close_time", "won_time", "lost_time"} & set(body)
    assert any(
        w.startswith(
            "Deal closed on was not sent: Pipedrive accepts it only when the deal's status is Won or Lost"
        )
        for w in warnings
    )


def test_deleted_deal_sends_no_body_and_no_warning_about_status_fields():
    p = replan(
        "createUpdateDeal",
        dict(DEAL, status="deleted", lost_reason="Price"),
        target=LookupResult(True, 301, "Big deal"),
    )
    assert (p.writes[0].method, p.writes[0].body) == ("DELETE", None)
    assert not any("Lost Reason" in w for w in p.warnings)


# -- built-in fields chosen under Custom fields ---------------------------------------------------


def test_deal_value_chosen_in_custom_fields_is_the_top_level_number():
    """The field list types a deal's Value as monetary; v2 wants ``value`` a number and the currency
    in ``currency``, not a custom-field money object."""
    body, _ = create_body(
        "createUpdateDeal", dict(DEAL, custom_fields={"Value": "500 EUR"}), person=PERSON_FOUND
    )
    assert (body["value"], body["currency"]) == (500, "EUR")
    assert body["custom_fields"] == {SEG_DEAL: "deal-7"}
    body, _ = create_body(
        "createUpdateDeal", dict(DEAL, currency="usd", custom_fields={"value": 750}), person=PERSON_FOUND
    )
    assert (body["value"], body["currency"]) == (750, "USD")
    p = replan("createUpdateDeal", dict(DEAL, custom_fields={"Value": "lots"}), person=PERSON_FOUND)
    assert p.outcome == "fail" and "Value: 'lots' is not a number" in p.reason


def test_person_created_chosen_in_custom_fields_is_an_rfc3339_add_time_on_create_only():
    payload = {
        "match_value": "user-1001",
        "name": "Ada",
        "custom_fields": {"Person created": "2025-01-01T10:00:00.250+02:00"},
    }
    body, _ = create_body("createUpdatePerson", payload)
    assert body["add_time"] == "2025-01-01T08:00:00Z"
    assert "custom_fields" not in body or "add_time" not in body["custom_fields"]
    body, _ = update_body("createUpdatePerson", payload, target=LookupResult(True, 101, "Ada"))
    assert "add_time" not in body  # UpdatePersonRequest has no add_time


def test_built_ins_no_write_accepts_are_refused_with_the_reason():
    p = replan(
        "createUpdateDeal", dict(DEAL, custom_fields={"Deal created": "2025-01-01"}), person=PERSON_FOUND
    )
    assert p.outcome == "fail" and not p.writes
    assert (
        "Custom fields → Deal created: Pipedrive's API v2 does not let a deal's creation time be set. "
        "Remove it from Custom fields."
    ) in p.reason
    p = replan(
        "createUpdateDeal", dict(DEAL, custom_fields={"Update time": "2025-01-01"}), person=PERSON_FOUND
    )
    assert p.outcome == "fail" and "Update time: Pipedrive fills in this deal field itself" in p.reason
    p = replan(
        "createUpdatePerson", {"match_value": "u-1", "name": "Ada", "custom_fields": {"First name": "Ada"}}
    )
    assert p.outcome == "fail" and "use Person Name" in p.reason


def test_status_chosen_in_custom_fields_is_checked_like_the_action_field():
    body, _ = create_body(
        "createUpdateDeal",
        dict(DEAL, custom_fields={"Status": "Lost"}, lost_reason="Price"),
        person=PERSON_FOUND,
    )
    assert (body["status"], body["lost_reason"]) == ("lost", "Price")
    p = replan("createUpdateDeal", dict(DEAL, custom_fields={"Status": "closed"}), person=PERSON_FOUND)
    assert p.outcome == "fail" and "Status: 'closed' is not one of Open, Won, Lost, Deleted" in p.reason


# -- an activity's person and participants --------------------------------------------------------

ACTIVITY = {"activity_id": 401, "subject": "Call", "person_match_value": "user-1001"}


def test_activity_update_keeps_the_participants_it_has():
    """``participants`` replaces the whole list: an update sends the current list with the mapped
    person made primary, never only that person."""
    current = LookupResult(True, 401, "Call", participants=((7, True), (8, False)))
    body, _ = update_body("createUpdateActivity", ACTIVITY, person=LookupResult(True, 8), target=current)
    assert body["participants"] == [{"person_id": 7, "primary": False}, {"person_id": 8, "primary": True}]
    body, _ = update_body("createUpdateActivity", ACTIVITY, person=LookupResult(True, 9), target=current)
    assert body["participants"] == [
        {"person_id": 7, "primary": False},
        {"person_id": 8, "primary": False},
        {"person_id": 9, "primary": True},
    ]
    body, _ = update_body("createUpdateActivity", ACTIVITY, person=LookupResult(True, 7), target=current)
    assert "participants" not in body  # already the primary person: nothing to change
    body, _ = update_body("createUpdateActivity", ACTIVITY, target=current)
    assert "participants" not in body  # no person mapped: the list is left alone


def test_plan_of_an_activity_update_shows_the_read_of_its_participants():
    p = planner.plan("createUpdateActivity", ACTIVITY, DEFAULTS, None, CATALOG)
    read, patch = p.calls[-2:]
    assert (read.method, read.path, read.purpose) == (
        "GET",
        "/api/v2/activities/401",
        "read activity #401 (its participants are kept)",
    )
    assert patch.body["participants"] == "<activity #401's participants, with the person as primary>"
    no_person = planner.plan(
        "createUpdateActivity", {"activity_id": 401, "done": True}, DEFAULTS, None, CATALOG
    )
    assert [c.method for c in no_person.calls] == ["PATCH"]


def test_activity_update_without_a_readable_list_does_not_touch_participants():
    body, warnings = update_body(
        "createUpdateActivity", ACTIVITY, person=LookupResult(True, 8), target=LookupResult(True, 401, "Call")
    )
    assert "participants" not in body and "person_id" not in body
    assert any("could not be read" in w for w in warnings)


def test_activity_never_sends_person_id():
    body, _ = create_body(
        "createUpdateActivity",
        {"subject": "Call", "person_match_value": "user-1001"},
        person=LookupResult(True, 8),
    )
    assert body["participants"] == [{"person_id": 8, "primary": True}] and "person_id" not in body


def test_parse_lookup_reads_an_activitys_participants():
    req = planner.LookupRequest("target", "activity", "id", "401", "ID")
    got = planner.parse_lookup(
        req,
        {
            "data": {
                "id": 401,
                "subject": "Call",
                "participants": [{"person_id": 7, "primary": True}, {"person_id": 8, "primary_flag": False}],
            }
        },
    )
    assert got.participants == ((7, True), (8, False))
    assert planner.parse_lookup(req, {"data": {"id": 401}}).participants is None


# -- values of the wrong kind, as JSON -------------------------------------------------------------


def test_an_object_for_a_text_field_is_shown_as_json():
    p = replan("createUpdatePerson", {"match_value": "u-1", "name": {"first": "Ada", "vip": True, "x": None}})
    assert p.outcome == "fail"
    assert 'Person Name: {"first": "Ada", "vip": true, "x": null} is not text' in p.reason
    assert "'first'" not in p.reason and "True" not in p.reason and "None" not in p.reason


@pytest.mark.parametrize(
    "call, shown",
    [
        (lambda: encode.to_number(["5"], "Value"), '["5"] is not a number'),
        (lambda: encode.to_date({"day": 1}, "Due Date"), '{"day": 1} is not a date'),
        (lambda: encode.visible_to({"v": 3}, "Visible To"), '{"v": 3} is not one of'),
        (
            lambda: encode.custom_value(CATALOG.by_label("person", "Plan"), {"id": 1}),
            '{"id": 1} is not one of',
        ),
        (lambda: encode.contacts([{"email": "a@b.c"}], "Email Address"), '{"email": "a@b.c"} is not text'),
    ],
)
def test_encode_messages_show_values_as_json(call, shown):
    with pytest.raises(encode.EncodeError) as info:
        call()
    assert shown in str(info.value)


# -- against the sandbox: the activity is read, its participants kept ---------------------------


@pytest.fixture
async def engine():
    sb = await start_sandbox()
    client = PipedriveClient(
        sb.base_url, sb.token, pacer=Pacer(burst_limit=10_000, search_limit=10_000), timeout=5.0
    )
    eng = UpsertEngine(
        client, await fetch_catalog(client, domain="sandbox"), DEFAULTS, default_currency="EUR"
    )
    eng.sandbox = sb  # type: ignore[attr-defined]
    yield eng
    await client.aclose()
    await sb.stop()


async def test_sent_activity_update_keeps_a_participant_the_user_added(engine):
    sandbox = engine.sandbox
    for user in ("user-6001", "user-6002"):
        assert (
            await engine.run("createUpdatePerson", {"match_value": user, "name": user}, "send")
        ).outcome == "create"
    pat, kim = (
        sandbox.state.find("person", **{DEFAULTS.person_field: u})[0]["id"]
        for u in ("user-6001", "user-6002")
    )
    created = await engine.run(
        "createUpdateActivity", {"subject": "Demo", "person_match_value": "user-6001"}, "send"
    )
    assert created.outcome == "create", created.message
    # Someone adds Kim to the activity in Pipedrive.
    both = [{"person_id": pat, "primary": True}, {"person_id": kim, "primary": False}]
    await engine.client.request(
        "PATCH", f"/api/v2/activities/{created.record_id}", json={"participants": both}
    )
    sandbox.state.clear_requests()

    done = await engine.run(
        "createUpdateActivity",
        {"activity_id": created.record_id, "done": True, "person_match_value": "user-6001"},
        "send",
    )
    assert done.outcome == "update", done.message
    assert sandbox.state.get("activity", created.record_id)["participants"] == both
    assert sandbox.state.calls()[-2:] == [
        f"GET /api/v2/activities/{created.record_id}",
        f"PATCH /api/v2/activities/{created.record_id}",
    ]

    swap = await engine.run(
        "createUpdateActivity", {"activity_id": created.record_id, "person_match_value": "user-6002"}, "send"
    )
    assert swap.outcome == "update", swap.message
    assert sandbox.state.get("activity", created.record_id)["participants"] == [
        {"person_id": pat, "primary": False},
        {"person_id": kim, "primary": True},
    ]
    assert sandbox.state.get("activity", created.record_id)["person_id"] == kim
    assert_requests_follow_reference(sandbox)


async def test_sent_deal_carries_built_ins_top_level_and_no_lost_reason_when_won(engine):
    sandbox = engine.sandbox
    assert (
        await engine.run("createUpdatePerson", {"match_value": "user-6101", "name": "Lou"}, "send")
    ).outcome == "create"
    sandbox.state.clear_requests()
    event = {
        "deal_match_value": "D-6101",
        "title": "Won deal",
        "status": "won",
        "lost_reason": "Price",
        "person_match_value": "user-6101",
        "custom_fields": {"Value": "500 EUR", "Deal closed on": "2025-01-01T10:00:00.123Z"},
    }
    sent = await engine.run("createUpdateDeal", event, "send")
    assert sent.outcome == "create", sent.message
    (post,) = sandbox.state.requests_to("POST", "/api/v2/deals")
    assert {k: post.json[k] for k in ("status", "value", "currency", "close_time")} == {
        "status": "won",
        "value": 500,
        "currency": "EUR",
        "close_time": "2025-01-01T10:00:00Z",
    }
    assert "lost_reason" not in post.json and set(post.json["custom_fields"]) == {DEFAULTS.deal_field}
    assert any(w.startswith("Lost Reason was not sent") for w in sent.warnings)
    deal = sandbox.state.get("deal", sent.record_id)
    assert (deal["value"], deal["currency"], deal["lost_reason"]) == (500, "EUR", None)
