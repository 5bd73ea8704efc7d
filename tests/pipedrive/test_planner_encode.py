"""Values encoded for API v2's strict types, with errors a user can act on."""

from __future__ import annotations

import pytest

from pipedrive_gui.pipedrive import encode
from pipedrive_gui.pipedrive.encode import EncodeError
from tests.pipedrive.test_planner import CATALOG, INTERESTS, LTV, PLAN, SCORE, SIGNUP


def person_field(key):
    return CATALOG.by_key("person", key)


@pytest.mark.parametrize("value, expected", [(5, 5), ("5", 5), (" 42 ", 42), (7.0, 7), ("7.0", 7)])
def test_to_int(value, expected):
    assert encode.to_int(value, "Stage ID") == expected


@pytest.mark.parametrize("value", ["five", True, 2.5, None, "1e400"])
def test_to_int_rejects(value):
    with pytest.raises(EncodeError, match="Stage ID: .* is not a whole number"):
        encode.to_int(value, "Stage ID")


@pytest.mark.parametrize(
    "value, expected", [("5000", 5000), ("5,000.50", 5000.5), ("12,5", 12.5), (1.5, 1.5), ("3.0", 3)]
)
def test_to_number(value, expected):
    assert encode.to_number(value, "Value") == expected


def test_to_number_rejects_text_and_nan():
    for bad in ("lots", "nan", True, {"a": 1}):
        with pytest.raises(EncodeError, match="is not a number"):
            encode.to_number(bad, "Value")


@pytest.mark.parametrize(
    "value, expected", [(True, True), ("true", True), ("0", False), (1, True), ("No", False)]
)
def test_to_bool_never_sends_0_or_1(value, expected):
    assert encode.to_bool(value, "Done") is expected


def test_to_bool_rejects_other_text():
    with pytest.raises(EncodeError, match="Done: 'maybe' is not true or false"):
        encode.to_bool("maybe", "Done")


def test_visible_to_integer_choices():
    assert encode.visible_to("3") == 3
    assert encode.visible_to(7) == 7
    with pytest.raises(EncodeError, match=r"Visible To: '2' is not one of 1 \(Owner & followers"):
        encode.visible_to("2")


def test_dates_and_timestamps():
    assert encode.to_date("2026-02-03", "d") == "2026-02-03"
    assert encode.to_date("2026-02-03T23:30:00-05:00", "d") == "2026-02-03"
    assert encode.to_rfc3339("2026-02-03T23:30:00.123-05:00", "t") == "2026-02-04T04:30:00Z"
    assert encode.to_rfc3339("2026-02-03 10:00:00", "t") == "2026-02-03T10:00:00Z"
    assert encode.to_v1_datetime("2026-02-03T10:00:00Z", "t") == "2026-02-03 10:00:00"
    with pytest.raises(EncodeError, match=r"Signup: '03/02/2026' is not a date \(expected YYYY-MM-DD"):
        encode.to_date("03/02/2026", "Signup")
    with pytest.raises(EncodeError, match="is not a date"):
        encode.to_date("2026-02-30", "d")
    assert encode.to_hhmm("9:05", "t") == "09:05"
    assert encode.to_hhmm("09:05:59", "t") == "09:05"
    with pytest.raises(EncodeError, match="is not a time"):
        encode.to_hhmm("25:00", "Due Time")


def test_contacts_shape_first_is_primary_and_duplicates_dropped():
    assert encode.contacts(["a@x.com", "A@x.com", "", "b@x.com"], "Email") == [
        {"value": "a@x.com", "primary": True, "label": "work"},
        {"value": "b@x.com", "primary": False, "label": "work"},
    ]
    assert encode.contacts("+372 555", "Phone") == [{"value": "+372 555", "primary": True, "label": "work"}]


def test_option_field_takes_label_or_id_and_sends_id():
    plan = person_field(PLAN)
    assert encode.custom_value(plan, "Pro") == 102
    assert encode.custom_value(plan, "enterprise") == 103
    assert encode.custom_value(plan, "101") == 101
    assert encode.custom_value(plan, 101) == 101
    with pytest.raises(EncodeError) as err:
        encode.custom_value(plan, "Gold")
    assert str(err.value) == "Plan: 'Gold' is not one of Free, Pro, Enterprise"


def test_set_field_takes_several():
    interests = person_field(INTERESTS)
    assert encode.custom_value(interests, ["CRM", "Analytics"]) == [105, 104]
    assert encode.custom_value(interests, "Analytics, Automation") == [104, 106]
    assert encode.custom_value(interests, []) is None  # Pipedrive clears a set with null, not []
    with pytest.raises(EncodeError, match="Interests: 'Sales' is not one of Analytics, CRM, Automation"):
        encode.custom_value(interests, ["CRM", "Sales"])


def test_monetary_needs_number_and_currency():
    ltv = person_field(LTV)
    assert encode.custom_value(ltv, {"value": "1500", "currency": "eur"}) == {
        "value": 1500,
        "currency": "EUR",
    }
    assert encode.custom_value(ltv, "1500.5 USD") == {"value": 1500.5, "currency": "USD"}
    assert encode.custom_value(ltv, "EUR 20") == {"value": 20, "currency": "EUR"}
    with pytest.raises(EncodeError, match="Lifetime value: 1500 is not a money amount with a currency"):
        encode.custom_value(ltv, 1500)


def test_numbers_dates_and_text_custom_fields():
    assert encode.custom_value(person_field(SCORE), "88") == 88
    assert encode.custom_value(person_field(SIGNUP), "2025-03-14T08:00:00Z") == "2025-03-14"
    assert encode.custom_value(person_field("52d19da55d7099e586a31be618830bcd5c239d54"), 1001) == "1001"
    assert encode.custom_value(person_field(SCORE), None) is None
    with pytest.raises(EncodeError, match="Lead score: 'high' is not a number"):
        encode.custom_value(person_field(SCORE), "high")


def test_custom_fields_split_root_and_custom_by_key_or_label():
    root, custom, warnings = encode.custom_fields(
        "person", {"Plan": "Free", SCORE: 3, "owner_id": "2", "label": "Customer"}, CATALOG
    )
    assert custom == {PLAN: 101, SCORE: 3}
    assert root == {"owner_id": 2, "label_ids": [1]}
    assert warnings == []


def test_unknown_custom_field_is_named():
    with pytest.raises(EncodeError, match="Custom fields → Tier: Pipedrive has no person field"):
        encode.custom_fields("person", {"Tier": "x"}, CATALOG)


def test_without_catalog_values_pass_unchecked_with_a_warning():
    root, custom, warnings = encode.custom_fields("person", {PLAN: "Pro", "owner_id": 3}, None)
    assert custom == {PLAN: "Pro"} and root == {"owner_id": 3}
    assert len(warnings) == 2 and "not checked" in warnings[0]


def test_activity_type_by_key_or_name_only_active():
    assert encode.activity_type(CATALOG, "meeting") == "meeting"
    assert encode.activity_type(CATALOG, "Lunch") == "lunch"
    with pytest.raises(EncodeError, match="Type: 'old_webinar' is not one of"):
        encode.activity_type(CATALOG, "old_webinar")
    assert encode.activity_type(None, "anything") == "anything"


def test_every_rejected_value_is_reported_at_once():
    """A non-developer fixes a mapping in one go: all the values Pipedrive would refuse, not the first."""
    from pipedrive_gui.pipedrive.planner import plan

    p = plan(
        "createUpdatePerson",
        {
            "match_value": "u-1",
            "name": "Ada",
            "email": ["not-an-email"],
            "custom_fields": {PLAN: "Platinum", SCORE: "high", LTV: "lots"},
        },
        None,
        {},
        CATALOG,
    )
    assert p.outcome == "fail"
    assert "'Platinum' is not one of" in p.reason and "'high' is not a number" in p.reason
    assert p.reason.count(";") >= 2
    deal = plan(
        "createUpdateDeal",
        {"title": "T", "value": "12abc", "stage_id": "x", "status": "weird", "expected_close_date": "soon"},
        None,
        {},
        CATALOG,
    )
    assert deal.outcome == "fail"
    for label in ("Value", "Stage ID", "Status", "Expected Close Date"):
        assert f"{label}: " in deal.reason
    one = plan("createUpdateDeal", {"title": "T", "stage_id": "x"}, None, {}, CATALOG)
    assert one.reason.startswith("Stage ID: ") and ";" not in one.reason
