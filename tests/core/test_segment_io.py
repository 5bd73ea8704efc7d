"""Segment Public API / Terraform export, import of every Segment shape, and the UI checklist."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from pipedrive_gui.core.actions import ACTIONS, PRESETS
from pipedrive_gui.core.project import DestinationDefaults, Mapping, Project, SampleEvent, load_project
from pipedrive_gui.core.segment_io import (
    APP_KEY,
    EXPORT_KINDS,
    SegmentImportError,
    export_checklist,
    export_segment,
    export_segment_document,
    export_terraform,
    export_text,
    import_segment,
    read_segment,
    terraform_resource_names,
)
from pipedrive_gui.resources import resource_path

PERSON_ID = "66wGU3cfJrrdBk8CqekrJc"


def _demo() -> Project:
    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def _person_project() -> Project:
    return Project(
        name="P",
        mappings=[
            Mapping(
                id="m1",
                name="Upsert Person by email",
                action="createUpdatePerson",
                trigger='type = "identify" and traits.email != null',
                enabled=False,
                settings={
                    "match_field": "email",
                    "match_value": {"@path": "$.traits.email"},
                    "custom_fields": {"dcf558aac1ae4e8c4f849ba5e668430d8df9be12": {"@path": "$.traits.plan"}},
                },
            )
        ],
    )


def test_export_matches_the_public_api_shape() -> None:
    assert export_segment(_person_project()) == [
        {
            "name": "Upsert Person by email",
            "actionId": PERSON_ID,
            "trigger": 'type = "identify" and traits.email != null',
            "enabled": False,
            "settings": {
                "match_field": "email",
                "match_value": {"@path": "$.traits.email"},
                "custom_fields": {"dcf558aac1ae4e8c4f849ba5e668430d8df9be12": {"@path": "$.traits.plan"}},
            },
        }
    ]


def test_every_action_exports_its_catalog_id() -> None:
    exported = export_segment(_demo())
    assert {e["actionId"] for e in exported} == {a.action_id for a in ACTIONS.values()}


def test_export_never_contains_destination_secrets() -> None:
    text = (
        json.dumps(export_segment(_demo())) + export_terraform(_demo(), "var.d") + export_checklist(_demo())
    )
    assert "apiToken" not in text


def test_round_trip_export_import_export_is_identical() -> None:
    first = export_segment(_demo())
    again = export_segment(Project(mappings=import_segment(copy.deepcopy(first))))
    assert json.dumps(again) == json.dumps(first)  # same values, same key order


def _full_project() -> Project:
    project = _demo()
    project.destination = DestinationDefaults(
        person_field="email", organization_field="abc123", deal_field="d1", domain="acme"
    )
    project.samples.append(
        SampleEvent("With a token property", {"type": "track", "properties": {"token": "x"}})
    )
    return project


def test_document_carries_destination_settings_in_the_update_destination_shape() -> None:
    document = export_segment_document(_full_project())
    assert list(document) == ["destination", "subscriptions", APP_KEY]
    # UpdateDestinationV1Input (public-api-sdk-typescript): optional name, enabled, settings.
    assert set(document["destination"]) <= {"name", "enabled", "settings"}
    assert document["destination"]["settings"] == {
        "domain": "acme",
        "personField": "email",
        "organizationField": "abc123",
        "dealField": "d1",
    }
    assert document["subscriptions"] == export_segment(_full_project())
    assert document[APP_KEY]["name"] == _demo().name
    assert len(document[APP_KEY]["samples"]) == len(_demo().samples) + 1
    # An unknown domain is left out rather than sent as "" (which would clear Segment's).
    assert "domain" not in export_segment_document(_demo())["destination"]["settings"]


def test_demo_document_validates_against_the_public_api_models() -> None:
    """public-api-sdk-typescript 73.2.0: CreateDestinationSubscriptionAlphaInput (name, actionId,
    trigger, enabled required; settings, modelId optional) and UpdateDestinationV1Input."""
    types = {"name": str, "actionId": str, "trigger": str, "enabled": bool, "settings": dict, "modelId": str}
    document = json.loads(json.dumps(export_segment_document(_demo())))
    for sub in document["subscriptions"]:
        assert {"name", "actionId", "trigger", "enabled"} <= set(sub) <= set(types)
        assert all(isinstance(sub[k], types[k]) for k in sub)
    update = document["destination"]
    assert set(update) <= {"name", "enabled", "settings"}
    assert isinstance(update["settings"], dict)
    assert all(isinstance(v, str) for v in update["settings"].values())


def test_document_round_trip_keeps_every_setting() -> None:
    project = _full_project()
    found = read_segment(json.loads(json.dumps(export_segment_document(project))))
    assert found.destination == project.destination
    assert found.name == project.name
    assert found.samples == project.samples
    assert found.ignored_settings == []
    strip = [(m.name, m.action, m.trigger, m.enabled, m.settings) for m in project.mappings]
    assert [(m.name, m.action, m.trigger, m.enabled, m.settings) for m in found.mappings] == strip


@pytest.mark.parametrize(
    "wrap",
    [lambda subs: subs, lambda subs: subs[0], lambda subs: {"data": {"subscriptions": subs}}],
    ids=["list", "subscription", "list-response"],
)
def test_segments_own_shapes_carry_no_project_parts(wrap: Any) -> None:
    found = read_segment(wrap(export_segment(_demo())))
    assert found.mappings
    assert (found.destination, found.name, found.samples) == (None, None, None)


def test_document_never_brings_a_token_in() -> None:
    document = export_segment_document(_demo())
    document["destination"]["settings"] |= {"apiToken": "t0k3n", "somethingElse": 1}
    found = read_segment(document)
    assert found.ignored_settings == ["apiToken", "somethingElse"]
    assert found.token_dropped  # what `import` and File > Import tell the user
    assert "t0k3n" not in repr(found)


@pytest.mark.parametrize(
    ("settings", "dropped"),
    [({"api_token": "t0k3n"}, True), ({"apiToken": ""}, False), ({"somethingElse": "x"}, False), ({}, False)],
)
def test_token_dropped_only_when_the_file_held_one(settings: dict[str, Any], dropped: bool) -> None:
    document = export_segment_document(_demo())
    document["destination"]["settings"] |= settings
    assert read_segment(document).token_dropped is dropped


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda d: d.update(destination=[]), '"settings" object'),
        (lambda d: d["destination"]["settings"].update(personField=5), '"personField" must be text'),
        (lambda d: d[APP_KEY].update(samples={}), '"samples" must be a list'),
        (lambda d: d[APP_KEY]["samples"].append({"name": "x", "event": "no"}), "sample"),
        (lambda d: d[APP_KEY].update(version=99), "newer Pipedrive Mapper"),
        (lambda d: d[APP_KEY].update(name=3), '"name" must be text'),
    ],
)
def test_damaged_document_is_explained(edit: Any, fragment: str) -> None:
    document = export_segment_document(_demo())
    edit(document)
    with pytest.raises(SegmentImportError, match=re.escape(fragment)):
        read_segment(document)


def test_import_single_subscription_keeps_everything() -> None:
    [m] = import_segment(export_segment(_person_project())[0])
    assert (m.name, m.action, m.trigger, m.enabled) == (
        "Upsert Person by email",
        "createUpdatePerson",
        'type = "identify" and traits.email != null',
        False,
    )
    assert m.settings["match_value"] == {"@path": "$.traits.email"}


def _read_shape(**extra: Any) -> dict[str, Any]:
    sub = export_segment(_person_project())[0]
    return {"id": "sub123", "actionSlug": "createUpdatePerson", "destinationId": "dest1", **sub, **extra}


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: {"data": {"subscriptions": [s], "pagination": {"current": "MA==", "totalEntries": 1}}},
        lambda s: {"data": {"destinationSubscription": s}},
        lambda s: {"data": {"subscription": s}},
        lambda s: {"subscription": s},
        lambda s: [s],
    ],
    ids=["list-response", "create-response", "get-response", "unwrapped-get", "list"],
)
def test_import_public_api_responses(wrap: Any) -> None:
    [m] = import_segment(wrap(_read_shape()))
    assert m.id == "sub123"
    assert m.action == "createUpdatePerson"
    assert m.name == "Upsert Person by email"


def test_import_catalog_presets_use_fields() -> None:
    presets = [
        {
            "actionId": ACTIONS[p.action_slug].action_id,
            "name": p.name,
            "fields": p.settings,
            "trigger": p.trigger,
        }
        for p in PRESETS
    ]
    mappings = import_segment(
        {"data": {"destinationMetadata": {"id": "5f7dd8191ad74f868ab1fc48", "presets": presets}}}
    )
    assert [m.action for m in mappings] == [p.action_slug for p in PRESETS]
    assert mappings[0].settings == PRESETS[0].settings
    assert all(m.enabled is False for m in mappings)
    assert len({m.id for m in mappings}) == len(mappings)


def test_unknown_action_id_is_named() -> None:
    with pytest.raises(SegmentImportError) as info:
        import_segment(
            [_read_shape(), {"name": "Klaviyo", "actionId": "zzzUnknown123", "trigger": "", "settings": {}}]
        )
    message = str(info.value)
    assert '"zzzUnknown123"' in message
    assert "subscription 2" in message and "Klaviyo" in message


def test_unknown_id_with_known_slug_is_accepted() -> None:
    [m] = import_segment(
        {"actionId": "renamedInCatalog", "actionSlug": "createUpdateDeal", "trigger": "", "name": "D"}
    )
    assert m.action == "createUpdateDeal"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("hello", "Nothing to import"),
        ({"foo": 1}, "Nothing to import"),
        ([3], "not a JSON object"),
        ([{"name": "x", "trigger": ""}], 'no "actionId"'),
        ([{"actionId": PERSON_ID, "name": "x"}], '"trigger"'),
        ([{"actionId": PERSON_ID, "trigger": "", "settings": [1]}], '"settings"'),
        ([{"actionId": PERSON_ID, "trigger": "", "enabled": "yes"}], '"enabled"'),
    ],
)
def test_bad_input_is_explained(data: Any, fragment: str) -> None:
    with pytest.raises(SegmentImportError, match=re.escape(fragment)):
        import_segment(data)


def test_terraform_blocks() -> None:
    text = export_terraform(_person_project(), "segment_destination.pipedrive.id")
    assert 'resource "segment_destination_subscription" "upsert_person_by_email" {' in text
    assert "destination_id = segment_destination.pipedrive.id" in text
    assert f'action_id      = "{PERSON_ID}"' in text
    assert 'trigger        = "type = \\"identify\\" and traits.email != null"' in text
    assert "enabled        = false" in text
    assert "  settings = jsonencode({" in text  # a multi-line value is not aligned (terraform fmt)
    assert '"match_value" = {\n      "@path" = "$.traits.email"\n    }' in text


def test_terraform_literal_destination_id_is_quoted() -> None:
    assert 'destination_id = "abc123XYZ"' in export_terraform(_person_project(), "abc123XYZ")


def test_terraform_escapes_template_sequences() -> None:
    p = _person_project()
    p.mappings[0].settings = {"name": '${var.x} %{if} \\ "q"\nline\t\u0001'}
    text = export_terraform(p, "var.d")
    assert r'"name" = "$${var.x} %%{if} \\ \"q\"\nline\t\u0001"' in text


def test_terraform_resource_names_are_stable_and_unique() -> None:
    names = ["People", "people!", "1st mapping", "", "Déjà vu"]
    assert terraform_resource_names(names) == ["people", "people_2", "m_1st_mapping", "mapping", "deja_vu"]
    assert terraform_resource_names(names) == terraform_resource_names(names)


def test_checklist_lists_every_mapping_with_labels() -> None:
    text = export_checklist(_demo())
    demo = _demo()
    for m in demo.mappings:
        assert m.name in text
        assert m.trigger in text
        assert ACTIONS[m.action].title in text
    assert "Person match value (person_match_value): event variable userId" in text
    assert "External ID field for a Person: 52d19da55d7099e586a31be618830bcd5c239d54" in text
    assert "API Token" in text and "not in this export" in text


def test_checklist_names_custom_fields_when_labels_are_known() -> None:
    text = export_checklist(_demo(), {"52d19da55d7099e586a31be618830bcd5c239d54": "Segment user ID"})
    assert "Match field (match_field): Segment user ID (key 52d19da55d7099e586a31be618830bcd5c239d54)" in text
    assert (
        "External ID field for a Person: 52d19da55d7099e586a31be618830bcd5c239d54 (Segment user ID)" in text
    )


def test_export_text_is_the_file_of_each_kind() -> None:
    demo = _demo()
    segment = export_text(demo, "segment")
    assert segment.endswith("}\n") and json.loads(segment) == json.loads(
        json.dumps(export_segment_document(demo))
    )
    assert export_text(demo, "terraform") == export_terraform(demo)
    assert "var.pipedrive_destination_id" in export_text(demo, "terraform")
    labels = {"52d19da55d7099e586a31be618830bcd5c239d54": "Segment user ID"}
    assert export_text(demo, "checklist", labels) == export_checklist(demo, labels)
    assert export_text(demo, "checklist") == export_checklist(demo)
    assert set(EXPORT_KINDS) == {"segment", "terraform", "checklist"}


def test_export_text_keeps_non_ascii_characters_and_refuses_an_unknown_kind() -> None:
    project = Project(name="Café ✓")
    assert "Café ✓" in export_text(project, "segment")
    with pytest.raises(ValueError, match="unknown export kind"):
        export_text(project, "csv")
