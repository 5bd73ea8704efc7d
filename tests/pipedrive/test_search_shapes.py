"""The client reads search answers in the shape the official SDK documents ({result_score, item})."""

from __future__ import annotations

from pipedrive_gui.pipedrive.planner import LookupRequest, parse_lookup
from tests.pipedrive.test_planner import SEG_USER


def _req(field: str = SEG_USER, value: str = "user-1") -> LookupRequest:
    return LookupRequest("target", "person", field, value, "Segment user ID")


def test_item_search_field_in_the_sdk_shape() -> None:
    envelope = {
        "success": True,
        "data": [
            {
                "result_score": 1.0,
                "item": {"id": 121, "type": "person", "name": "Nia Park", SEG_USER: "user-1"},
            }
        ],
        "additional_data": {"next_cursor": None},
    }
    result = parse_lookup(_req(), envelope)
    assert (result.found, result.record_id, result.name) == (True, 121, "Nia Park")


def test_item_search_field_in_the_api_references_example_shape() -> None:
    result = parse_lookup(_req(), {"success": True, "data": [{"id": 7, "name": "Jane Doe"}]})
    assert (result.found, result.record_id, result.name) == (True, 7, "Jane Doe")


def test_entity_search_items_and_several_hits() -> None:
    envelope = {
        "success": True,
        "data": {
            "items": [
                {"result_score": 1.0, "item": {"id": 119, "name": "Jane Doe"}},
                {"result_score": 0.5, "item": {"id": 120, "name": "Jane Doe"}},
            ]
        },
    }
    result = parse_lookup(_req("email", "jane@example.com"), envelope)
    assert (result.found, result.record_id) == (True, 119) and result.note and "#119" in result.note


def test_no_hits_and_entries_without_an_id() -> None:
    assert not parse_lookup(_req(), {"success": True, "data": []}).found
    assert not parse_lookup(_req(), {"success": True, "data": [{"result_score": 1.0, "item": {}}]}).found
    assert not parse_lookup(_req(), {"success": True, "data": None}).found
