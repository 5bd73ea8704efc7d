"""The action catalog: what the user picks from in the editor and what the Segment export names."""

from __future__ import annotations

import json
import subprocess
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from pipedrive_gui.core.actions import (
    ACTION_SLUGS,
    ACTIONS,
    DESTINATION_SETTINGS,
    DYNAMIC_ACTIVITY_TYPES,
    DYNAMIC_DEAL_FIELDS,
    DYNAMIC_ORGANIZATION_FIELDS,
    DYNAMIC_PERSON_FIELDS,
    ENTITIES,
    PRESETS,
    UnknownActionError,
    action_by_id,
    action_entity,
    default_settings,
    dynamic_entity,
    get_action,
)
from tests import oracle

EXPECTED_FIELDS = {
    "createUpdatePerson": [
        "match_field",
        "match_value",
        "name",
        "email",
        "phone",
        "visible_to",
        "add_time",
        "custom_fields",
    ],
    "createUpdateOrganization": [
        "match_field",
        "match_value",
        "name",
        "visible_to",
        "add_time",
        "custom_fields",
    ],
    "createUpdateDeal": [
        "deal_match_field",
        "deal_match_value",
        "person_match_field",
        "person_match_value",
        "organization_match_field",
        "organization_match_value",
        "title",
        "value",
        "currency",
        "stage_id",
        "status",
        "expected_close_date",
        "probability",
        "lost_reason",
        "visible_to",
        "add_time",
        "custom_fields",
    ],
    "createUpdateLead": [
        "lead_id",
        "person_match_field",
        "person_match_value",
        "organization_match_field",
        "organization_match_value",
        "title",
        "amount",
        "currency",
        "expected_close_date",
        "visible_to",
    ],
    "createUpdateActivity": [
        "activity_id",
        "person_match_field",
        "person_match_value",
        "organization_match_field",
        "organization_match_value",
        "deal_match_field",
        "deal_match_value",
        "subject",
        "type",
        "description",
        "note",
        "due_date",
        "due_time",
        "duration",
        "done",
    ],
    "createUpdateNote": [
        "note_id",
        "lead_id",
        "person_match_field",
        "person_match_value",
        "organization_match_field",
        "organization_match_value",
        "deal_match_field",
        "deal_match_value",
        "content",
    ],
}


def test_six_actions_with_their_segment_ids_and_triggers() -> None:
    assert list(ACTIONS) == list(EXPECTED_FIELDS)
    expected = {
        "createUpdatePerson": ("66wGU3cfJrrdBk8CqekrJc", 'type = "identify"', "Create or Update Person"),
        "createUpdateOrganization": (
            "uVzPR9SSpfLqF3zoPok99Q",
            'type = "group"',
            "Create or Update Organization",
        ),
        "createUpdateDeal": (
            "sHeYJxo1R6dwzgH9koDgZy",
            'type = "track" and event = "Deal Upserted"',
            "Create or update a Deal",
        ),
        "createUpdateLead": ("hd2J84Sw2PcfzEkAm47YaK", 'type = "identify"', "Create or update Lead"),
        "createUpdateActivity": (
            "dGDsZPqKXXCQNrgDcr1oKb",
            'type = "track" and event = "Activity Upserted"',
            "Create or update an Activity",
        ),
        "createUpdateNote": (
            "qGniQ3jn3aUkXmCmzkM2RN",
            'type = "track" and event = "Note Upserted"',
            "Create or update a Note",
        ),
    }
    for slug, (action_id, trigger, title) in expected.items():
        action = ACTIONS[slug]
        assert (action.slug, action.action_id, action.default_trigger, action.title) == (
            slug,
            action_id,
            trigger,
            title,
        )
        assert action.description
        assert action_by_id(action_id) is action
        assert get_action(slug) is action


@pytest.mark.parametrize("slug", list(EXPECTED_FIELDS))
def test_every_field_is_present_in_segment_order(slug: str) -> None:
    action = ACTIONS[slug]
    assert list(action.field_keys) == EXPECTED_FIELDS[slug]
    for f in action.fields:
        assert f.label and f.description, f.key
        assert f.type in {"string", "number", "integer", "boolean", "datetime", "object"}


def test_required_fields_are_the_ones_segment_enforces() -> None:
    assert {slug: a.required_keys for slug, a in ACTIONS.items()} == {
        "createUpdatePerson": ("match_value",),
        "createUpdateOrganization": ("match_value",),
        "createUpdateDeal": ("title",),
        "createUpdateLead": ("title",),
        "createUpdateActivity": (),
        "createUpdateNote": ("content",),
    }


def test_field_details_a_user_sees() -> None:
    person = ACTIONS["createUpdatePerson"]
    email = person.field("email")
    assert email is not None and email.multiple and email.label == "Email Address"
    assert email.default == {"@path": "$.traits.email"}
    visible = person.field("visible_to")
    assert visible is not None and visible.choice_values == ("1", "3", "5", "7")
    assert visible.choices is not None and visible.choices[0].label == "Owner & followers (private)"
    add_time = person.field("add_time")
    assert add_time is not None and add_time.type == "datetime" and add_time.default is None
    status = ACTIONS["createUpdateDeal"].field("status")
    assert status is not None and status.choice_values == ("open", "won", "lost", "deleted")
    assert ACTIONS["createUpdateActivity"].field("activity_id").type == "integer"  # type: ignore[union-attr]
    assert ACTIONS["createUpdateActivity"].field("done").type == "boolean"  # type: ignore[union-attr]
    assert ACTIONS["createUpdateDeal"].field("stage_id").type == "number"  # type: ignore[union-attr]
    assert ACTIONS["createUpdateLead"].field("title").default == {  # type: ignore[union-attr]
        "@if": {
            "exists": {"@path": "$.traits.title"},
            "then": {"@path": "$.traits.title"},
            "else": {"@path": "$.properties.title"},
        }
    }
    assert person.field("nope") is None


def test_dynamic_fields_say_which_pipedrive_data_fills_them() -> None:
    dynamic = {slug: {f.key: f.dynamic for f in a.fields if f.dynamic} for slug, a in ACTIONS.items()}
    assert dynamic["createUpdatePerson"] == {"match_field": DYNAMIC_PERSON_FIELDS}
    assert dynamic["createUpdateOrganization"] == {"match_field": DYNAMIC_ORGANIZATION_FIELDS}
    assert dynamic["createUpdateActivity"] == {
        "person_match_field": DYNAMIC_PERSON_FIELDS,
        "organization_match_field": DYNAMIC_ORGANIZATION_FIELDS,
        "deal_match_field": DYNAMIC_DEAL_FIELDS,
        "type": DYNAMIC_ACTIVITY_TYPES,
    }
    assert dynamic["createUpdateLead"] == {
        "person_match_field": DYNAMIC_PERSON_FIELDS,
        "organization_match_field": DYNAMIC_ORGANIZATION_FIELDS,
    }
    assert set(dynamic["createUpdateDeal"]) == {
        "person_match_field",
        "organization_match_field",
        "deal_match_field",
    }
    assert set(dynamic["createUpdateNote"]) == {
        "person_match_field",
        "organization_match_field",
        "deal_match_field",
    }


def test_presets_three_automatic_plus_one_per_other_action() -> None:
    by_slug = {p.action_slug: p for p in PRESETS}
    assert len(PRESETS) == 6 and set(by_slug) == set(ACTIONS)
    assert [(p.name, p.trigger) for p in PRESETS if p.automatic] == [
        ("Create or Update a Person", 'type = "identify"'),
        ("Create or Update an Organization", 'type = "group"'),
        ("Create or Update an Activity", 'type = "track" and event = "Activity Upserted"'),
    ]
    assert by_slug["createUpdateDeal"].trigger == 'type = "track" and event = "Deal Upserted"'
    assert by_slug["createUpdateNote"].trigger == 'type = "track" and event = "Note Upserted"'
    assert not by_slug["createUpdateLead"].automatic
    # Segment's destination ships exactly the three automatic presets; Deal, Lead and Note are the app's.
    assert {p.action_slug for p in PRESETS if not p.ships_with_segment} == {
        "createUpdateDeal",
        "createUpdateLead",
        "createUpdateNote",
    }
    for preset in PRESETS:
        assert preset.settings == default_settings(preset.action_slug)
    assert by_slug["createUpdatePerson"].settings == {
        "match_value": {"@path": "$.userId"},
        "name": {"@path": "$.traits.name"},
        "email": {"@path": "$.traits.email"},
        "phone": {"@path": "$.traits.phone"},
    }


def test_default_settings_is_a_fresh_copy_in_field_order() -> None:
    first = default_settings("createUpdateOrganization")
    assert list(first) == ["match_value", "name"]
    first["match_value"]["@path"] = "$.changed"
    assert default_settings("createUpdateOrganization")["match_value"] == {"@path": "$.groupId"}
    assert ACTIONS["createUpdateOrganization"].field("match_value").default == {"@path": "$.groupId"}  # type: ignore[union-attr]


def test_unknown_actions_raise_a_helpful_error() -> None:
    with pytest.raises(UnknownActionError) as info:
        get_action("createUpdateProduct")
    assert "createUpdateProduct" in str(info.value) and "Create or Update Person" in str(info.value)
    with pytest.raises(KeyError):
        action_by_id("nope")


def test_catalog_is_immutable() -> None:
    with pytest.raises(FrozenInstanceError):
        ACTIONS["createUpdatePerson"].title = "x"  # type: ignore[misc]


def test_destination_settings() -> None:
    settings = {s.key: s for s in DESTINATION_SETTINGS}
    assert list(settings) == ["domain", "apiToken", "personField", "organizationField", "dealField"]
    assert settings["domain"].required and settings["apiToken"].required and settings["apiToken"].secret
    assert settings["apiToken"].type == "password"
    for key in ("personField", "organizationField", "dealField"):
        assert settings[key].default == "id" and not settings[key].required
    assert settings["personField"].label == "External ID field for a Person in Pipedrive"


# --- the catalog equals Segment's published destination (needs the oracle's npm packages) -------


def _segment_definition() -> dict[str, Any]:
    home = oracle.package_home("@segment/action-destinations")
    script = (
        "const d=require('@segment/action-destinations/dist/destinations/pipedrive').default;"
        "const o={settings:d.authentication.fields,actions:{},presets:d.presets.map(p=>({...p}))};"
        "for(const [k,a] of Object.entries(d.actions)){o.actions[k]={title:a.title,description:a.description,"
        "trigger:a.defaultSubscription,fields:a.fields,dynamic:Object.keys(a.dynamicFields||{})}}"
        "console.log(JSON.stringify(o))"
    )
    out = subprocess.run(["node", "-e", script], cwd=home, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.skip(f"could not load Segment's definition: {out.stderr[-300:]}")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_catalog_matches_segments_definition() -> None:
    segment = _segment_definition()
    assert set(segment["actions"]) == set(ACTIONS)
    for slug, theirs in segment["actions"].items():
        ours = ACTIONS[slug]
        assert (ours.title, ours.description, ours.default_trigger) == (
            theirs["title"],
            theirs["description"],
            theirs["trigger"],
        )
        assert list(ours.field_keys) == list(theirs["fields"])
        for key, spec in theirs["fields"].items():
            f = ours.field(key)
            assert f is not None
            assert (f.label, f.description, f.type) == (spec["label"], spec["description"], spec["type"]), key
            assert f.required == bool(spec.get("required")), key
            assert f.multiple == bool(spec.get("multiple")), key
            assert f.allow_null == bool(spec.get("allowNull")), key
            assert f.default == spec.get("default"), key
            assert [(c.label, c.value) for c in f.choices or ()] == [
                (c["label"], c["value"]) for c in spec.get("choices") or []
            ], key
            assert (f.dynamic is not None) == (key in theirs["dynamic"]), key
    for preset in segment["presets"]:
        ours_preset = next(p for p in PRESETS if p.action_slug == preset["partnerAction"])
        assert (ours_preset.name, ours_preset.trigger, ours_preset.settings) == (
            preset["name"],
            preset["subscribe"],
            preset["mapping"],
        )
        assert ours_preset.automatic and ours_preset.ships_with_segment
    for key, spec in segment["settings"].items():
        ours_setting = next(s for s in DESTINATION_SETTINGS if s.key == key)
        assert (ours_setting.label, ours_setting.description, ours_setting.type) == (
            spec["label"],
            spec["description"],
            spec["type"],
        )
        assert ours_setting.required == spec["required"]
        assert ours_setting.default == spec.get("default")


def test_each_action_knows_the_record_it_writes_and_how_it_is_found() -> None:
    """The one table of what each action writes: planner, lint, editor and legend all read it."""
    shape = {
        slug: (a.entity, a.match_prefix, a.id_key, a.links, a.custom_fields_entity)
        for slug, a in ACTIONS.items()
    }
    assert shape == {
        "createUpdatePerson": ("person", "", None, (), "person"),
        "createUpdateOrganization": ("organization", "", None, (), "organization"),
        "createUpdateDeal": ("deal", "deal_", None, ("person", "organization"), "deal"),
        "createUpdateLead": ("lead", None, "lead_id", ("person", "organization"), None),
        "createUpdateActivity": ("activity", None, "activity_id", ("person", "organization", "deal"), None),
        "createUpdateNote": ("note", None, "note_id", ("person", "organization", "deal"), None),
    }
    assert ACTION_SLUGS == tuple(ACTIONS)
    assert sorted(a.entity for a in ACTIONS.values()) == sorted(ENTITIES)
    assert action_entity("createUpdateLead") == "lead"
    with pytest.raises(UnknownActionError):
        action_entity("createUpdateBanana")
    assert dynamic_entity("deal_fields") == "deal"
    assert dynamic_entity("activity_types") is None and dynamic_entity(None) is None
