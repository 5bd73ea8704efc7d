"""Changing a mapping's action keeps what both actions share; a match field suggests where its
value is in the event (issue 14, "Making a mapping")."""

from __future__ import annotations

from pipedrive_gui.core.actions import carry_over, default_settings, starter_settings
from pipedrive_gui.core.match_paths import event_kind_of_trigger, suggest_match_path


def test_person_to_deal_links_the_person_and_reports_the_rest() -> None:
    settings = default_settings("createUpdatePerson") | {
        "match_field": "email",
        "custom_fields": {"a" * 40: "x"},
    }
    result = carry_over("createUpdatePerson", settings, "createUpdateDeal")
    assert result.settings["person_match_field"] == "email"
    assert result.settings["person_match_value"] == {"@path": "$.userId"}
    assert result.settings["title"] == {"@path": "$.properties.title"}  # the deal's default
    assert "custom_fields" not in result.settings  # a person's custom fields are not a deal's
    assert {"Person Name", "Email Address", "Phone Number", "Custom fields"} <= set(result.dropped)
    assert ("Match value", "Person match value") in result.moved


def test_deal_to_lead_keeps_shared_fields_and_a_customised_value() -> None:
    settings = default_settings("createUpdateDeal") | {"currency": "EUR"}
    result = carry_over("createUpdateDeal", settings, "createUpdateLead")
    assert result.settings["currency"] == "EUR"
    assert "Title" in result.kept and "Value" in result.dropped
    assert result.settings["title"] == default_settings("createUpdateLead")["title"]


def test_starter_settings_are_only_what_runs() -> None:
    assert starter_settings("createUpdatePerson") == {"match_value": {"@path": "$.userId"}}
    assert set(starter_settings("createUpdateNote")) == {
        "person_match_value",
        "organization_match_value",
        "deal_match_value",
        "content",
    }


def test_match_paths() -> None:
    identify = {"type": "identify", "traits": {"email": "a@b"}}
    track = {"type": "track", "properties": {"email": "a@b"}, "context": {"traits": {"name": "N"}}}
    assert suggest_match_path("email", "Email", identify) == "$.traits.email"
    assert suggest_match_path("email", "Email", track) == "$.properties.email"
    assert suggest_match_path("name", "Name", track) == "$.context.traits.name"
    assert suggest_match_path("email", "Email", None, "track") == "$.properties.email"
    assert suggest_match_path("id", "ID", identify) is None
    assert suggest_match_path("f" * 40, "Segment user ID", identify) == "$.userId"
    assert (
        suggest_match_path("f" * 40, "Plan", {"type": "identify", "traits": {"plan": "pro"}})
        == "$.traits.plan"
    )
    assert suggest_match_path("f" * 40, "Shoe size", identify) is None
    assert event_kind_of_trigger('type = "group" and traits.x = "1"') == "group"


def test_dynamic_auth_settings_survive_a_change_of_action() -> None:
    """No action has the field, but Segment keeps the key whatever the action (payload.EXEMPT_KEYS)."""
    from pipedrive_gui.core.actions import carry_over, default_settings

    settings = {**default_settings("createUpdatePerson"), "dynamicAuthSettings": {"oauth": {"a": 1}}}
    result = carry_over("createUpdatePerson", settings, "createUpdateOrganization")
    assert result.settings["dynamicAuthSettings"] == {"oauth": {"a": 1}}
    assert "dynamicAuthSettings" not in result.dropped
