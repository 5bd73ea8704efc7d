"""Segment's matching rules that follow from plain JavaScript, as a user of the app meets them."""

from __future__ import annotations

import math

import pytest

from pipedrive_gui.core.triggers import FqlEvaluationError, fql_matches, parse_fql
from pipedrive_gui.core.triggers.jsops import number_to_string, string_to_number


def test_types_must_match_exactly() -> None:
    event = {"properties": {"total": "150", "count": 3, "vip": "true"}}
    assert not fql_matches("properties.total > 100", event)  # text is never a number
    assert fql_matches("properties.count = 3", event)
    assert not fql_matches('properties.count = "3"', event)
    assert not fql_matches("properties.vip = true", event)
    assert fql_matches('properties.vip = "true"', event)
    assert fql_matches('properties.count != "3"', event)  # != holds for anything but that text


def test_paths_use_javascript_property_access() -> None:
    event = {"properties": {"tags": ["a", "b"], "city": "Zürich", "zero": 0, "emoji": "😀"}}
    assert fql_matches("properties.tags.length = 2", event)
    assert fql_matches('properties.tags.1 = "b"', event) is False  # "1" lexes as a number: no path
    assert fql_matches("properties.city.length >= 6", event)
    assert fql_matches("properties.zero.anything = 0", event)  # the walk stops at the falsy 0
    assert fql_matches("properties.emoji.length = 2", event)  # UTF-16 code units
    assert fql_matches('properties.tags\\[0\\] = "x"', {"properties": {"tags": ["x"]}})  # escaped [ ] index
    assert fql_matches("properties.missing.deep = null", event)


def test_match_and_contains_follow_segment() -> None:
    event = {"event": "Order Completed", "userId": "u-1@example.com"}
    assert fql_matches('match(event, "Order*")', event)
    assert fql_matches('match(event, "*Completed")', event)
    assert fql_matches('!match(userId, "*@test.com")', event)
    assert fql_matches('contains(event, "der Co")', event)
    assert not fql_matches('!contains(event, "Order")', event)
    assert not fql_matches('!contains(properties.x, "Order")', event)  # negations also need text
    # "*x" without a star at the end means "ends with", and Segment drops the first UTF-16 unit.
    assert fql_matches('match(event, "😀x")', {"event": "a\ude00x"})


def test_and_or_and_parentheses() -> None:
    trigger = parse_fql('type = "track" and (event = "A" or event = "B")')
    assert trigger.matches({"type": "track", "event": "B"})
    assert not trigger.matches({"type": "identify", "event": "B"})
    # Without parentheses Segment applies the last joiner to all conditions, and says so.
    mixed = parse_fql('type = "track" and event = "A" or event = "B"')
    assert mixed.matches({"type": "identify", "event": "B"})
    assert any("mixed" in warning for warning in mixed.warnings)


def test_undefined_and_null_events() -> None:
    trigger = parse_fql('type = "track"')
    assert trigger.matches() is False
    with pytest.raises(FqlEvaluationError) as caught:
        trigger.matches(None)
    assert caught.value.segment_error == "Cannot read properties of null (reading 'type')"
    assert trigger.matches("a string event") is False


def test_empty_parentheses_fail_only_when_reached() -> None:
    assert fql_matches('type = "track" or ()', {"type": "track"})
    with pytest.raises(FqlEvaluationError, match="empty parentheses"):
        fql_matches('() or type = "track"', {"type": "track"})


def test_ignored_input_is_reported() -> None:
    trigger = parse_fql('type = "track" and foo = "x"')
    assert trigger.matches({"type": "track"})
    assert any('"foo"' in warning for warning in trigger.warnings)
    assert parse_fql('type = "track"').warnings == ()


@pytest.mark.parametrize(
    ("value", "text"),
    [(1e21, "1e+21"), (1e20, "100000000000000000000"), (0.000001, "0.000001"), (1e-7, "1e-7"),
     (-0.0, "0"), (1.5, "1.5"), (123456789.125, "123456789.125"), (math.inf, "Infinity"), (math.nan, "NaN")],
)  # fmt: skip
def test_numbers_print_like_javascript(value: float, text: str) -> None:
    assert number_to_string(value) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [("  12 ", 12.0), ("0x10", 16.0), ("", 0.0), ("1e3", 1000.0), ("-Infinity", -math.inf), ("1_0", math.nan),
     ("-0x10", math.nan), (".5", 0.5), ("5.", 5.0)],
)  # fmt: skip
def test_text_converts_to_numbers_like_javascript(text: str, number: float) -> None:
    got = string_to_number(text)
    assert got == number or (math.isnan(got) and math.isnan(number))


def test_big_integers_compare_as_doubles() -> None:
    assert fql_matches("properties.n = 9007199254740992", {"properties": {"n": 2**53 + 1}})
    assert fql_matches("properties.n > 1000000000000000000000", {"properties": {"n": 10**400}})


def test_the_shared_undefined_value_counts_as_missing() -> None:
    from pipedrive_gui.core.jsvalues import UNDEFINED

    trigger = parse_fql("properties.plan = null")
    assert trigger.matches(UNDEFINED) is False
    assert trigger.matches({"properties": {"plan": UNDEFINED}})
    assert parse_fql("properties.a.b != null").matches({"properties": {"a": [UNDEFINED]}}) is False
