"""The payload preview a user sees: Segment's clean-up, coercion and error wording (no Node needed)."""

from __future__ import annotations

import pytest

from pipedrive_gui.core.actions import UnknownActionError, default_settings
from pipedrive_gui.core.jsdate import is_date_like, js_string_to_number
from pipedrive_gui.core.payload import FieldProblem, build_payload, compile_action

IDENTIFY = {"type": "identify", "userId": "user-1", "traits": {"name": "Ada", "email": "ada@example.com"}}


def test_default_person_mapping_gives_segments_payload() -> None:
    result = build_payload("createUpdatePerson", default_settings("createUpdatePerson"), IDENTIFY)
    assert result.ok and result.error is None and result.problems == []
    assert result.payload == {"match_value": "user-1", "name": "Ada", "email": ["ada@example.com"]}


def test_values_are_coerced_like_segment() -> None:
    mapping = {
        "title": 42,
        "stage_id": "5",
        "probability": "75.5",
        "value": 12.0,
        "visible_to": 3,
        "person_match_value": ["only"],
        "nickname": "dropped",
        "currency": "",
    }
    result = build_payload("createUpdateDeal", mapping, {})
    assert result.payload == {
        "title": "42",
        "stage_id": 5,
        "probability": 75.5,
        "value": "12",
        "visible_to": "3",
        "person_match_value": "only",
    }


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        # Answers of Segment's own code (the conformance oracle): actions-core validates with
        # exempt: ["dynamicAuthSettings"], so the key survives the unknown-key removal, uncoerced,
        # and ends up last in the payload.
        (
            {
                "dynamicAuthSettings": {"oauth": {"type": "noAuth"}},
                "match_value": {"@path": "$.userId"},
                "name": "x",
            },
            {"match_value": "user-1", "name": "x", "dynamicAuthSettings": {"oauth": {"type": "noAuth"}}},
        ),
        (
            {"dynamicAuthSettings": None, "match_value": "m"},
            {"match_value": "m", "dynamicAuthSettings": None},
        ),
        (
            {"dynamicAuthSettings": 5, "email": "a@b", "match_value": "m"},
            {"email": ["a@b"], "match_value": "m", "dynamicAuthSettings": 5},
        ),
        ({"dynamicAuthSettings": "", "match_value": "m"}, {"match_value": "m"}),
        ({"dynamicAuthSettings": {"@path": "$.traits.missing"}, "match_value": "m"}, {"match_value": "m"}),
        (
            {"dynamicAuthSettings": [1, "", None], "match_value": "m"},
            {"match_value": "m", "dynamicAuthSettings": [1, "", None]},
        ),
    ],
)
def test_dynamic_auth_settings_stay_in_the_payload(
    mapping: dict[str, object], expected: dict[str, object]
) -> None:
    result = build_payload("createUpdatePerson", mapping, IDENTIFY)
    assert result.ok
    assert result.payload == expected
    assert list(result.payload or {}) == list(expected)  # key order is what perform() iterates


def test_problems_name_fields_by_label_and_join_into_segments_error() -> None:
    mapping = {"stage_id": "first", "status": "WON", "done": "yes"}
    result = build_payload("createUpdateDeal", mapping, {})
    assert not result.ok and result.payload is None
    assert result.problems == [
        FieldProblem("title", "Title", "The root value is missing the required field 'title'."),
        FieldProblem("stage_id", "Stage ID", "Stage ID must be a number but it was a string."),
        FieldProblem("status", "Status", 'Status must be one of: "open", "won", "lost", or "deleted".'),
    ]
    assert result.error == " ".join(p.message for p in result.problems)


def test_problem_inside_a_list_points_at_the_item() -> None:
    result = build_payload("createUpdatePerson", {"match_value": "m", "email": ["a@x.org", {"no": 1}]}, {})
    assert result.problems == [
        FieldProblem("email", "Email Address", "The value at /email/1 must be a string but it was an object.")
    ]


def test_mapping_errors_are_reported_not_raised() -> None:
    result = build_payload("createUpdateNote", {"content": {"@path": 5}}, {})
    assert not result.ok and result.problems == []
    assert result.error == "/content/@path should be a string or a mapping directive but it is a number."


def test_compiled_action_is_reusable_and_leaves_inputs_alone() -> None:
    mapping = {"match_value": {"@path": "$.userId"}, "email": ["x@y.z"], "custom_fields": {"k": [1]}}
    action = compile_action("createUpdatePerson", mapping)
    first = action.run(IDENTIFY)
    assert first == action.run(IDENTIFY)
    assert first.payload == {"match_value": "user-1", "email": ["x@y.z"], "custom_fields": {"k": [1]}}
    assert mapping == {"match_value": {"@path": "$.userId"}, "email": ["x@y.z"], "custom_fields": {"k": [1]}}
    assert action.run({"userId": 7}).payload == {
        "match_value": "7",
        "email": ["x@y.z"],
        "custom_fields": {"k": [1]},
    }


def test_unknown_action_is_a_typed_error() -> None:
    with pytest.raises(UnknownActionError):
        build_payload("createUpdateProduct", {}, {})


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2024-03-05T09:15:30.000Z", True),
        ("1709630130", True),
        ("Tue, 05 Mar 2024 09:15:30 GMT", True),
        ("March 7, 2024 10:00 PM", True),
        ("12/25/2024", True),
        ("2024/04/01", True),
        ("abc 2024", True),
        ("Mar 5 2024 (CET)", True),
        ("2024-03-05 10:00 +0100", True),
        ("1.5", True),
        ("-1", True),
        ("2024-13-45", True),
        ("10:00 2024", True),
        ("yesterday afternoon", False),
        ("March", False),
        ("Infinity", False),
        ("NaN", False),
        ("1e+21", False),
        ("foo", False),
        ("", False),
        ("0x10", False),
        ("Z", False),
        ("10:00", False),
        ("2024-03-05T25:00Z", False),
    ],
)
def test_date_like_matches_segment(text: str, valid: bool) -> None:
    assert is_date_like(text) is valid


def test_js_number_parsing() -> None:
    assert js_string_to_number(" 12 ") == 12
    assert js_string_to_number("") == 0
    assert js_string_to_number("0x1F") == 31
    assert js_string_to_number("-Infinity") == float("-inf")
    assert js_string_to_number("1_000") != js_string_to_number("1_000")  # NaN
