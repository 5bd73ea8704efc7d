"""The pure upsert planner: Segment's update-vs-create rules, carried out with today's API."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from pipedrive_gui.core.project import DestinationDefaults
from pipedrive_gui.pipedrive import planner
from pipedrive_gui.pipedrive.fields import FieldCatalog, parse_activity_types, parse_fields
from pipedrive_gui.pipedrive.planner import LookupResult
from pipedrive_gui.resources import resource_path

SEG_USER = "52d19da55d7099e586a31be618830bcd5c239d54"
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"
LTV = "1924676a305ba82f358ceb58630f9b5c4ef91f3e"
SCORE = "bb528bfcd8fe8d563d06f31606db33cee39c9fd9"
SIGNUP = "d1a68c39c3625323a5504750132917ed07349573"
INTERESTS = "026d222d4a614a1589da403db5e26edc1077b364"
SEG_GROUP = "d4dfe30411effdb15017a7c96e7721cb9adbfa72"
SEG_DEAL = "36a55f412247e226b1ecb70efcaf0daeed656961"


def sandbox_catalog() -> FieldCatalog:
    """The field catalog of the offline sandbox, built from its seed files (no network)."""
    standard = json.loads(resource_path("sandbox", "standard_fields.json").read_text())
    custom = json.loads(resource_path("sandbox", "custom_fields.json").read_text())["fields"]
    seed = json.loads(resource_path("sandbox", "seed.json").read_text())
    by_entity = {}
    for entity in ("person", "organization", "deal", "activity", "lead", "note"):
        raws = list(standard.get(entity, []))
        raws += [
            {
                "field_code": f["key"],
                "field_name": f["label"],
                "field_type": f["field_type"],
                "options": f.get("options"),
                "is_custom_field": True,
            }
            for f in custom.get(entity, [])
        ]
        by_entity[entity] = parse_fields(entity, raws)
    return FieldCatalog(
        "sandbox", datetime.now(timezone.utc), by_entity, parse_activity_types(seed["activity_types"])
    )


CATALOG = sandbox_catalog()
CUSTOM_DEFAULTS = DestinationDefaults(
    person_field=SEG_USER, organization_field=SEG_GROUP, deal_field=SEG_DEAL
)


def resolved(p: planner.Plan, **found: LookupResult) -> dict:
    """Every lookup of ``p`` answered: by role from ``found``, else "not found"."""
    return {r.key: found.get(r.role, LookupResult.not_found()) for r in p.lookups}


def replan(slug: str, payload: dict, defaults=CUSTOM_DEFAULTS, **found: LookupResult) -> planner.Plan:
    first = planner.plan(slug, payload, defaults, None, CATALOG)
    return planner.plan(slug, payload, defaults, resolved(first, **found), CATALOG)


PERSON = {
    "match_value": "user-1001",
    "name": "Jane Doe",
    "email": ["jane@example.com"],
    "custom_fields": {PLAN: "Pro"},
}


# -- match field resolution ----------------------------------------------------------------------


def test_plan_mode_shows_lookup_then_both_writes_in_words():
    p = planner.plan("createUpdatePerson", PERSON, CUSTOM_DEFAULTS, None, CATALOG)
    assert p.outcome == "planned"
    assert [c.purpose for c in p.calls][0] == "look up person where Segment user ID = user-1001"
    lookup, update, create = p.calls
    assert (lookup.method, lookup.path) == ("GET", "/api/v2/itemSearch/field")
    assert lookup.query == {
        "term": "user-1001",
        "entity_type": "person",
        "field": SEG_USER,
        "match": "exact",
        "limit": 2,
    }
    assert (update.method, update.condition) == ("PATCH", "if a person is found")
    assert (create.method, create.path, create.condition) == (
        "POST",
        "/api/v2/persons",
        "if no person is found",
    )
    assert "then update the person if one matches, otherwise create it" in p.describe("plan")


def test_mapping_match_field_beats_destination_default():
    payload = dict(PERSON, match_field="email", match_value="Jane@Example.com")
    p = planner.plan("createUpdatePerson", payload, CUSTOM_DEFAULTS, None, CATALOG)
    call = p.calls[0]
    assert (call.path, call.query["fields"], call.query["exact_match"]) == (
        "/api/v2/persons/search",
        "email",
        "true",
    )
    assert p.calls[0].purpose == "look up person where Email = Jane@Example.com"


def test_no_default_means_id_lookup_by_get():
    payload = dict(PERSON, match_value="123")
    p = planner.plan("createUpdatePerson", payload, DestinationDefaults(), None, CATALOG)
    assert (p.calls[0].method, p.calls[0].path) == ("GET", "/api/v2/persons/123")
    p = planner.plan("createUpdatePerson", payload, None, None, CATALOG)
    assert p.calls[0].path == "/api/v2/persons/123"


def test_id_match_with_non_numeric_value_needs_no_call_and_warns_about_duplicates():
    p = planner.plan("createUpdatePerson", PERSON, DestinationDefaults(), None, CATALOG)
    assert p.outcome == "create"
    assert [c.method for c in p.calls] == ["POST"]
    assert any("not a Pipedrive ID number" in w and "created on every event" in w for w in p.warnings)


def test_found_person_is_updated_without_creation_only_fields():
    payload = dict(PERSON, add_time="2026-01-02T03:04:05.678+02:00", visible_to="3")
    p = replan("createUpdatePerson", payload, target=LookupResult(True, 123, "Jane D."))
    assert p.outcome == "update" and p.record_id == 123
    (write,) = p.calls
    assert (write.method, write.path) == ("PATCH", "/api/v2/persons/123")
    assert write.body == {
        "name": "Jane Doe",
        "emails": [{"value": "jane@example.com", "primary": True, "label": "work"}],
        "visible_to": 3,
        "custom_fields": {PLAN: 102},
    }
    assert p.describe("dry_run") == "Would update person #123 'Jane D.' (name becomes 'Jane Doe')"


def test_created_person_carries_match_value_from_destination_default_and_add_time():
    payload = dict(PERSON, add_time="2026-01-02T03:04:05.678+02:00")
    p = replan("createUpdatePerson", payload)
    (write,) = p.calls
    assert (write.method, write.path) == ("POST", "/api/v2/persons")
    assert write.body["custom_fields"] == {PLAN: 102, SEG_USER: "user-1001"}
    assert write.body["add_time"] == "2026-01-02T01:04:05Z"
    assert p.describe("dry_run") == "Would create person 'Jane Doe'"


def test_created_person_matched_by_email_gets_that_email():
    payload = {
        "match_field": "email",
        "match_value": "new@example.com",
        "name": "New",
        "email": ["other@example.com"],
    }
    p = replan("createUpdatePerson", payload)
    assert [e["value"] for e in p.calls[0].body["emails"]] == ["other@example.com", "new@example.com"]
    assert [e["primary"] for e in p.calls[0].body["emails"]] == [True, False]


def test_person_without_name_cannot_be_created():
    p = replan("createUpdatePerson", {"match_value": "user-9"})
    assert p.outcome == "fail"
    assert "needs a name to create a person" in p.reason and "Person Name" in p.reason
    assert all(c.kind == "lookup" for c in p.calls)


def test_organization_wording_has_its_article():
    """ "an organization", not "a organization" (issue 14)."""
    p = replan("createUpdateOrganization", {"match_value": "group-9"})
    assert p.outcome == "fail" and "to create an organization" in p.reason
    p = planner.plan(
        "createUpdateOrganization",
        {"match_field": "name", "match_value": "Acme", "name": "Acme"},
        CUSTOM_DEFAULTS,
        None,
        CATALOG,
    )
    assert any(c.condition == "if an organization is found" for c in p.calls), [c.condition for c in p.calls]


def test_encode_error_becomes_a_failed_plan_naming_the_field():
    p = replan("createUpdatePerson", dict(PERSON, custom_fields={"Plan": "Gold"}))
    assert p.outcome == "fail"
    assert p.describe("dry_run") == "Would fail: Plan: 'Gold' is not one of Free, Pro, Enterprise"


def test_organization_create_and_update():
    payload = {
        "match_value": "grp-1",
        "name": "Acme",
        "custom_fields": {"Industry": "Retail", "Employees": "250"},
    }
    p = replan("createUpdateOrganization", payload)
    assert p.calls[0].body == {
        "name": "Acme",
        "custom_fields": {
            "ec881dc64d14d2f5e539e2f56f36625bb4a2be70": 108,
            "d93d1066bf45650ac1db8a26532fb69b2a76a206": 250,
            SEG_GROUP: "grp-1",
        },
    }
    p = replan("createUpdateOrganization", payload, target=LookupResult(True, 201, "Acme"))
    assert (p.calls[0].method, p.calls[0].path) == ("PATCH", "/api/v2/organizations/201")
    assert SEG_GROUP not in p.calls[0].body["custom_fields"]


def test_organization_match_by_name_uses_organization_search():
    p = planner.plan(
        "createUpdateOrganization",
        {"match_field": "name", "match_value": "Acme", "name": "Acme"},
        None,
        None,
        CATALOG,
    )
    assert p.calls[0].path == "/api/v2/organizations/search"
    assert p.calls[0].query["fields"] == "name"


# -- deals ---------------------------------------------------------------------------------------

DEAL = {
    "deal_match_value": "deal-7",
    "title": "Big deal",
    "value": "5000",
    "currency": "eur",
    "stage_id": "2",
    "status": "open",
    "expected_close_date": "2026-12-24T10:00:00Z",
    "probability": "60",
    "visible_to": "3",
    "person_match_value": "user-1001",
    "organization_match_value": "grp-1",
    "add_time": "2026-01-01T00:00:00Z",
    "custom_fields": {"Lead source": "referral"},
}


def test_deal_lookups_are_associations_then_target():
    p = planner.plan("createUpdateDeal", DEAL, CUSTOM_DEFAULTS, None, CATALOG)
    assert [r.role for r in p.lookups] == ["person", "organization", "target"]
    assert [c.purpose for c in p.calls if c.kind == "lookup"] == [
        "look up person where Segment user ID = user-1001",
        "look up organization where Segment group ID = grp-1",
        "look up deal where Segment deal ID = deal-7",
    ]


def test_deal_created_with_found_person_and_typed_values():
    p = replan("createUpdateDeal", DEAL, person=LookupResult(True, 101, "Ada"))
    assert p.outcome == "create"
    assert p.calls[0].body == {
        "title": "Big deal",
        "value": 5000,
        "currency": "EUR",
        "stage_id": 2,
        "status": "open",
        "expected_close_date": "2026-12-24",
        "probability": 60,
        "visible_to": 3,
        "person_id": 101,
        "custom_fields": {"eb439a21f8e73a2e467bf7a6336bad7aa3ee9e35": 112, SEG_DEAL: "deal-7"},
    }
    assert any("Created At was not sent" in w for w in p.warnings)
    assert any("not linked to an organization" in w for w in p.warnings)


def test_deal_without_person_or_org_fails_like_segment_with_reasons():
    p = replan("createUpdateDeal", DEAL)
    assert p.outcome == "fail"
    assert p.reason.startswith("No related organization or person, unable to create deal!")
    assert "no person where Segment user ID = user-1001 exists in Pipedrive" in p.reason


def test_existing_deal_updates_even_without_associations():
    p = replan("createUpdateDeal", DEAL, target=LookupResult(True, 301, "Big deal"))
    assert p.outcome == "update"
    assert (p.calls[0].method, p.calls[0].path) == ("PATCH", "/api/v2/deals/301")
    assert "person_id" not in p.calls[0].body and "org_id" not in p.calls[0].body


def test_deleted_status_deletes_an_existing_deal_and_cannot_create():
    payload = dict(DEAL, status="deleted")
    p = replan("createUpdateDeal", payload, target=LookupResult(True, 301, "Big deal"))
    assert (p.calls[0].method, p.calls[0].path, p.calls[0].body) == ("DELETE", "/api/v2/deals/301", None)
    assert p.describe("dry_run") == "Would delete deal #301 'Big deal'"
    p = replan("createUpdateDeal", payload, person=LookupResult(True, 101))
    assert p.outcome == "fail" and "nothing to delete" in p.reason


def test_plan_mode_shows_placeholder_for_association_ids():
    p = planner.plan("createUpdateDeal", DEAL, CUSTOM_DEFAULTS, None, CATALOG)
    create = [c for c in p.calls if c.method == "POST"][0]
    assert create.body["person_id"] == "<id of person where Segment user ID = user-1001>"


# -- activity / lead / note ----------------------------------------------------------------------

ACTIVITY = {
    "subject": "Call Ada",
    "type": "Call",
    "description": "<p>hi</p>",
    "due_date": "2026-12-01",
    "due_time": "09:30:00",
    "duration": "0:45",
    "done": "true",
    "person_match_value": "user-1001",
    "deal_match_value": "deal-7",
}


def test_activity_without_id_is_created_with_participants():
    p = replan("createUpdateActivity", ACTIVITY, person=LookupResult(True, 101), deal=LookupResult(True, 301))
    assert p.outcome == "create"
    assert p.calls[0].body == {
        "subject": "Call Ada",
        "type": "call",
        "public_description": "<p>hi</p>",
        "due_date": "2026-12-01",
        "due_time": "09:30",
        "duration": "00:45",
        "done": True,
        "participants": [{"person_id": 101, "primary": True}],
        "deal_id": 301,
    }


def test_activity_with_id_updates_without_search():
    payload = dict(ACTIVITY, activity_id=401)
    p = planner.plan("createUpdateActivity", payload, CUSTOM_DEFAULTS, None, CATALOG)
    assert [c.method + " " + c.path for c in p.calls] == [
        "GET /api/v2/itemSearch/field",
        "GET /api/v2/itemSearch/field",
        "GET /api/v2/activities/401",
        "PATCH /api/v2/activities/401",
    ]  # the read: its participants are sent back (test_bodies.py)
    p = replan("createUpdateActivity", payload, target=LookupResult.not_found())
    assert p.outcome == "fail" and "no activity with ID 401" in p.reason


def test_activity_type_must_exist():
    p = replan("createUpdateActivity", dict(ACTIVITY, type="Webinar"))
    assert p.outcome == "fail"
    assert p.reason.startswith("Type: 'Webinar' is not one of Call (call), Meeting (meeting)")


def test_lead_needs_person_or_org_and_uses_v1_shapes():
    payload = {
        "title": "Lead",
        "amount": "1200",
        "currency": "usd",
        "visible_to": 3,
        "person_match_value": "user-1001",
        "organization_match_value": "grp-1",
    }
    p = replan("createUpdateLead", payload, organization=LookupResult(True, 201))
    assert (p.calls[0].method, p.calls[0].path) == ("POST", "/api/v1/leads")
    assert p.calls[0].body == {
        "title": "Lead",
        "visible_to": "3",
        "organization_id": 201,
        "value": {"amount": 1200, "currency": "USD"},
    }
    p = replan("createUpdateLead", payload)
    assert p.outcome == "fail" and "unable to create lead!" in p.reason
    uuid = "adf21080-0e10-11eb-879b-05d71fb426ec"
    p = replan("createUpdateLead", dict(payload, lead_id=uuid), target=LookupResult(True, uuid, "Lead"))
    assert (p.calls[0].method, p.calls[0].path) == ("PATCH", f"/api/v1/leads/{uuid}")


def test_note_needs_a_link_and_updates_with_put():
    p = replan("createUpdateNote", {"content": "<b>Hello</b> there", "person_match_value": "user-1"})
    assert p.outcome == "fail" and "unable to create/update note!" in p.reason
    p = replan("createUpdateNote", {"content": "Hi", "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec"})
    assert p.outcome == "create" and p.calls[0].body == {
        "content": "Hi",
        "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec",
    }
    p = replan(
        "createUpdateNote",
        {"content": "Hi", "note_id": 501, "deal_match_value": "deal-7"},
        deal=LookupResult(True, 301),
        target=LookupResult(True, 501, "Old"),
    )
    assert (p.calls[0].method, p.calls[0].path, p.calls[0].body) == (
        "PUT",
        "/api/v1/notes/501",
        {"content": "Hi", "deal_id": 301},
    )


def test_unknown_action_is_refused():
    with pytest.raises(planner.PlanningError, match="not a Pipedrive action"):
        planner.plan("createUpdateThing", {}, None, None, CATALOG)


# -- reading lookup answers ----------------------------------------------------------------------


def test_parse_lookup_shapes():
    req = planner.LookupRequest("target", "person", SEG_USER, "user-1", "Segment user ID")
    assert planner.parse_lookup(req, {"data": [{"id": 5, "name": "A"}, {"id": 6}]}).record_id == 5
    assert "More than one person" in planner.parse_lookup(req, {"data": [{"id": 5}, {"id": 6}]}).note
    assert planner.parse_lookup(req, {"data": [{"result_score": 1, "item": {"id": 7}}]}).record_id == 7
    assert not planner.parse_lookup(req, {"data": []}).found
    email = planner.LookupRequest("target", "person", "email", "a@b.c", "Email")
    res = planner.parse_lookup(email, {"data": {"items": [{"item": {"id": 9, "name": "Ann"}}]}})
    assert (res.found, res.record_id, res.name) == (True, 9, "Ann")
    by_id = planner.LookupRequest("target", "person", "id", "9", "ID")
    assert not planner.parse_lookup(by_id, {"data": {"id": 9, "is_deleted": True}}).found
    # Entries that are not records (a search answer's odd item) are skipped, not fatal.
    assert planner.parse_lookup(req, {"data": {"items": ["junk", None, {"item": {"id": 4}}]}}).record_id == 4


# -- the remaining branches: costs, wording, settings as a mapping -------------------------------


def test_token_costs_of_deletes_and_reads_by_api_version():
    assert planner.estimated_tokens("DELETE", "/api/v2/deals/1") == 3
    assert planner.estimated_tokens("DELETE", "/api/v1/leads/x") == 6
    assert planner.estimated_tokens("GET", "/api/v1/notes/1") == 2
    assert planner.estimated_tokens("GET", "/api/v2/persons/1") == 1


def test_send_mode_says_what_will_happen():
    p = replan("createUpdatePerson", PERSON, target=LookupResult(True, 7, "Jane Doe"))
    assert p.describe("send") == "Will update person #7 'Jane Doe'"
    assert p.describe("dry_run") == "Would update person #7 'Jane Doe'"


def test_destination_settings_as_a_mapping_give_the_default_match_field():
    # Segment's settings keys (personField ...) as well as the project's attribute names.
    assert planner.default_match_field({"personField": SEG_USER}, "person") == SEG_USER
    assert planner.default_match_field({"deal_field": SEG_DEAL}, "deal") == SEG_DEAL
    assert planner.default_match_field({}, "organization") is None
    p = planner.plan("createUpdatePerson", PERSON, {"personField": SEG_USER}, None, CATALOG)
    assert p.calls[0].query["field"] == SEG_USER


def test_a_match_value_that_is_not_text_fails_the_plan():
    p = planner.plan(
        "createUpdatePerson", dict(PERSON, match_value={"id": 1}), CUSTOM_DEFAULTS, None, CATALOG
    )
    assert p.outcome == "fail" and p.calls == []
    assert "is not text" in (p.reason or "")


def test_deal_without_title_cannot_be_created_even_when_linked():
    payload = {k: v for k, v in DEAL.items() if k != "title"}
    p = replan("createUpdateDeal", payload, person=LookupResult(True, 101, "Ada"))
    assert (p.outcome, p.reason) == ("fail", "Pipedrive needs a Title to create a deal.")


def test_found_deal_waits_for_an_unresolved_association_before_updating():
    first = planner.plan("createUpdateDeal", DEAL, CUSTOM_DEFAULTS, None, CATALOG)
    target = next(r for r in first.lookups if r.role == "target")
    p = planner.plan(
        "createUpdateDeal", DEAL, CUSTOM_DEFAULTS, {target.key: LookupResult(True, 301, "Big deal")}, CATALOG
    )
    assert p.outcome == "planned" and p.record_id == 301
    assert p.reason is not None and p.reason.endswith("then update deal #301 'Big deal'.")
    assert [c.kind for c in p.calls] == ["lookup", "lookup", "write"]


def test_plan_mode_create_that_will_fail_says_why():
    # The person is still to be looked up, so the deal's link is a placeholder: what makes the
    # create fail is the missing title, whatever the lookup finds.
    payload = {"person_match_value": "user-1001", "deal_match_value": "deal-7", "value": "5"}
    first = planner.plan("createUpdateDeal", payload, CUSTOM_DEFAULTS, None, CATALOG)
    target = next(r for r in first.lookups if r.role == "target")
    p = planner.plan(
        "createUpdateDeal", payload, CUSTOM_DEFAULTS, {target.key: LookupResult.not_found()}, CATALOG
    )
    assert p.outcome == "planned"
    assert p.reason == (
        "Will look up person where Segment user ID = user-1001, then create deal. "
        "It fails: Pipedrive needs a Title to create a deal."
    )
