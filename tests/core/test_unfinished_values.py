"""What an editor holds before the user chose a value is never a mapping's value: an empty path reads
the whole Segment event, so an unfinished custom-field row used to send the entire event."""

from __future__ import annotations

import json

from pipedrive_gui.core.payload import build_payload
from pipedrive_gui.core.project import (
    is_empty_path,
    is_unfinished_custom_value,
    loads_project,
    without_unfinished,
)
from pipedrive_gui.core.segment_io import export_segment

KEY = "026d222d4a614a1589da403db5e26edc1077b364"
EVENT = {
    "type": "identify",
    "userId": "u-1",
    "anonymousId": "anon-1",
    "traits": {"name": "Ada", "title": "CTO"},
}


def test_empty_paths_and_empty_custom_values_are_unfinished() -> None:
    assert is_empty_path({"@path": ""}) and is_empty_path({"@path": "  "})
    assert not is_empty_path({"@path": "$."})  # typed on purpose: the whole event
    assert not is_empty_path({"@path": "$.traits.name"}) and not is_empty_path("")
    for value in ({"@path": ""}, {"@template": ""}, ""):
        assert is_unfinished_custom_value(value)
    for value in ({"@template": "{{traits.title}}"}, 0, False, None, "x", {"@path": "$.traits.title"}):
        assert not is_unfinished_custom_value(value)


def test_without_unfinished_keeps_everything_else() -> None:
    settings = {
        "name": {"@path": ""},
        "email": "",
        "phone": {"@path": "$.traits.phone"},
        "custom_fields": {KEY: {"@path": ""}, "b" * 40: {"@path": "$.traits.title"}, "c" * 40: ""},
    }
    assert without_unfinished(settings) == {
        "email": "",
        "phone": {"@path": "$.traits.phone"},
        "custom_fields": {"b" * 40: {"@path": "$.traits.title"}},
    }
    directive = {"custom_fields": {"@if": {"exists": {"@path": "$.traits"}, "then": "", "else": ""}}}
    assert without_unfinished(directive) == directive  # a mapping-kit expression is left alone


def _file_with_an_unfinished_row() -> str:
    return json.dumps(
        {
            "format": "pipedrive-map",
            "version": 1,
            "mappings": [
                {
                    "id": "p",
                    "name": "People",
                    "action": "createUpdatePerson",
                    "trigger": 'type = "identify"',
                    "settings": {
                        "match_value": {"@path": "$.userId"},
                        "name": {"@path": "$.traits.name"},
                        "custom_fields": {KEY: {"@path": ""}, "b" * 40: {"@path": "$.traits.title"}},
                    },
                }
            ],
        }
    )


def test_a_file_saved_with_an_unfinished_row_neither_sends_nor_exports_the_whole_event() -> None:
    project = loads_project(_file_with_an_unfinished_row())
    settings = project.mappings[0].settings
    assert settings["custom_fields"] == {"b" * 40: {"@path": "$.traits.title"}}
    payload = build_payload("createUpdatePerson", settings, EVENT)
    assert payload.ok and payload.payload is not None
    assert payload.payload["custom_fields"] == {"b" * 40: "CTO"}
    exported = json.dumps(export_segment(project))
    assert KEY not in exported and "anon-1" not in exported
