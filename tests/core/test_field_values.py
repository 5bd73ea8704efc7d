"""core.field_values: what the field editor decides, tested without a display — which mode shows a
stored value, what a mode starts from, fixed values, what the drop-downs list, custom-field rows and
why (and where) an Advanced expression is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pipedrive_gui.core.actions import (
    DYNAMIC_ACTIVITY_TYPES,
    DYNAMIC_PERSON_FIELDS,
    Choice,
    FieldDef,
    get_action,
)
from pipedrive_gui.core.field_values import (
    KEEP,
    MODE_ADVANCED,
    MODE_CUSTOM,
    MODE_PATH,
    MODE_STATIC,
    MODE_TEMPLATE,
    MODE_UNSET,
    UNSET,
    Entry,
    ExpressionError,
    carried_value,
    classify,
    custom_field_choices,
    custom_field_entity,
    custom_fields_value,
    custom_row_field,
    custom_row_start,
    first_free_custom_field,
    modes_for,
    parse_expression,
    parse_static_text,
    shown_mode,
    static_checked,
    static_choices,
    static_date_text,
    static_text,
    stored_value,
    unlisted_activity_type_note,
    unlisted_label,
)

NAME = get_action("createUpdatePerson").field("name")
CUSTOM = get_action("createUpdatePerson").field("custom_fields")
DONE = get_action("createUpdateActivity").field("done")
assert NAME is not None and CUSTOM is not None and DONE is not None
NUMBER = FieldDef("probability", "Probability", "", "number")
TYPE = FieldDef("type", "Type", "", "string", dynamic=DYNAMIC_ACTIVITY_TYPES)
MATCH = FieldDef("match_field", "Match field", "", "string", dynamic=DYNAMIC_PERSON_FIELDS)


@dataclass(frozen=True)
class _Field:
    key: str
    label: str
    type_label: str = "Text"
    is_custom: bool = True
    searchable: bool = True
    not_searchable_reason: str | None = None


@dataclass(frozen=True)
class _Type:
    name: str
    key_string: str


@dataclass
class _Catalog:
    by_entity: dict[str, list[_Field]] = field(default_factory=dict)
    types: list[_Type] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    def fields(self, entity: str) -> list[_Field]:
        return self.by_entity.get(entity, [])

    def active_activity_types(self) -> list[_Type]:
        return self.types


# -- modes ------------------------------------------------------------------------------------------


def test_classify_picks_the_right_editor() -> None:
    assert classify(NAME, UNSET) == MODE_UNSET == "unset"
    assert classify(NAME, {"@path": "$.traits.name"}) == MODE_PATH == "path"
    assert classify(NAME, {"@template": "{{traits.name}}"}) == MODE_TEMPLATE == "template"
    assert classify(NAME, "Jane") == MODE_STATIC == "static"
    assert classify(NAME, None) == classify(NAME, 3) == MODE_STATIC
    assert classify(NAME, {"@if": {}}) == MODE_ADVANCED == "advanced"
    assert classify(NAME, {"@path": 5}) == classify(NAME, {"@path": "$.a", "x": 1}) == MODE_ADVANCED
    assert classify(NAME, [1]) == MODE_ADVANCED
    assert classify(DONE, "true") == MODE_ADVANCED  # text in a yes/no field is not a fixed yes/no
    assert classify(DONE, True) == MODE_STATIC
    assert classify(CUSTOM, {"abc": {"@path": "$.x"}}) == MODE_CUSTOM == "custom"
    assert classify(CUSTOM, {"@path": "$.x"}) == MODE_PATH
    assert classify(CUSTOM, {"@if": {}, "abc": 1}) == MODE_ADVANCED
    assert classify(NAME, {"abc": 1}) == MODE_ADVANCED  # rows only for the custom_fields object


def test_modes_offered_and_the_mode_shown() -> None:
    assert modes_for(NAME) == ["unset", "path", "static", "template", "advanced"]
    assert modes_for(CUSTOM) == ["unset", "custom", "path", "advanced"]
    assert modes_for(CUSTOM, allow_custom=False) == modes_for(NAME)
    assert shown_mode(CUSTOM, "text", modes_for(CUSTOM)) == MODE_ADVANCED  # no fixed value there
    assert shown_mode(CUSTOM, {"k": 1}, modes_for(CUSTOM, allow_custom=False)) == MODE_ADVANCED
    assert shown_mode(NAME, "Jane", modes_for(NAME)) == MODE_STATIC


@pytest.mark.parametrize(
    ("mode", "old", "new"),
    [
        (MODE_ADVANCED, UNSET, ""),
        (MODE_ADVANCED, {"@path": "$.a"}, {"@path": "$.a"}),
        (MODE_ADVANCED, None, None),
        (MODE_PATH, "Jane", {"@path": ""}),
        (MODE_PATH, {"@path": "$.a"}, KEEP),
        (MODE_PATH, {"@path": 5, "x": 1}, KEEP),
        (MODE_STATIC, {"@path": "$.a"}, UNSET),
        (MODE_STATIC, None, UNSET),
        (MODE_STATIC, "Jane", KEEP),
        (MODE_STATIC, 4.5, KEEP),
        (MODE_TEMPLATE, {"@path": "$.traits.name"}, {"@template": "{{traits.name}}"}),
        (MODE_TEMPLATE, {"@path": ""}, {"@template": ""}),
        (MODE_TEMPLATE, "Jane", {"@template": ""}),
        (MODE_CUSTOM, "x", {}),
        (MODE_CUSTOM, {"k": 1}, KEEP),
        (MODE_UNSET, "Jane", KEEP),
    ],
)
def test_what_a_mode_starts_from(mode: str, old: Any, new: Any) -> None:
    assert carried_value(mode, old) == new
    if new is KEEP or new is UNSET:
        assert carried_value(mode, old) is new


def test_what_is_stored() -> None:
    assert stored_value(MODE_UNSET, "Jane") is UNSET
    assert stored_value(MODE_PATH, {"@path": "  "}) is UNSET  # Segment would read the whole event
    assert stored_value(MODE_PATH, {"@path": "$.a"}) == {"@path": "$.a"}
    assert stored_value(MODE_STATIC, "") == ""
    assert repr(UNSET) == "UNSET"


# -- fixed values -----------------------------------------------------------------------------------


def test_fixed_values_shown_and_parsed() -> None:
    assert static_text(UNSET) == static_text(None) == ""
    assert static_text("Jane") == "Jane"
    assert static_text(42) == "42" and static_text({"a": 1}) == '{"a": 1}' and static_text(True) == "true"
    assert parse_static_text(NUMBER, "75") == 75 and isinstance(parse_static_text(NUMBER, "75.0"), int)
    assert parse_static_text(NUMBER, "7.5") == 7.5
    assert parse_static_text(NUMBER, "about 7") == "about 7"  # kept; Segment's schema check explains
    assert parse_static_text(NAME, "75") == "75"
    assert static_checked(UNSET) is False and static_checked(1) is True and static_checked("") is False
    assert static_date_text(UNSET) is None and static_date_text(None) is None
    assert static_date_text("2026-01-02T03:04:05Z") == "2026-01-02T03:04:05Z"


def test_fixed_choices_and_activity_types() -> None:
    status = FieldDef(
        "status", "Status", "", "string", choices=(Choice("Open", "open"), Choice("won", "won"))
    )
    assert static_choices(status, None).entries == (Entry("Open (open)", "open"), Entry("won", "won"))
    assert static_choices(NAME, _Catalog()).entries == ()
    assert static_choices(TYPE, None).note == "Connect to Pipedrive to list your activity types."
    catalog = _Catalog(types=[_Type("Call", "call")], problems={"activity_types": "403 Forbidden"})
    listing = static_choices(TYPE, catalog)
    assert listing.entries == (Entry("Call (call)", "call"),)
    assert listing.note == "⚠ Could not load your activity types: 403 Forbidden"
    assert (
        unlisted_activity_type_note("lunch")
        == "“lunch” is not one of this account's activity types; Pipedrive may refuse it."
    )
    assert unlisted_activity_type_note("") == unlisted_activity_type_note(UNSET) == ""
    assert unlisted_label("abc", connected=True) == "abc (not in this account)"
    assert unlisted_label(5, connected=False) == "5"


def test_match_fields_list_searchable_first_and_the_others_disabled_with_the_reason() -> None:
    assert static_choices(MATCH, None).note == "Connect to Pipedrive to list your fields."
    catalog = _Catalog(
        {
            "person": [
                _Field("notes", "Notes", "Large text", is_custom=True, searchable=False),
                _Field("email", "Email", "Email", is_custom=False),
                _Field("abc", "blog", "Text"),
                _Field(
                    "pic",
                    "Picture",
                    "Image",
                    is_custom=False,
                    searchable=False,
                    not_searchable_reason="An image.",
                ),
            ]
        },
        problems={"person": "timeout"},
    )
    listing = static_choices(MATCH, catalog)
    assert [e.value for e in listing.entries] == ["abc", "email", "notes", "pic"]
    assert listing.entries[0] == Entry("blog (Text, custom)", "abc", "Key: abc")
    assert listing.entries[1] == Entry("Email (Email)", "email", "Key: email")
    assert listing.entries[2] == Entry(
        "Notes (Large text, custom) — not searchable: Pipedrive cannot search Large text fields",
        "notes",
        "Cannot be a match field: Pipedrive cannot search this field.",
        enabled=False,
    )
    assert listing.entries[3] == Entry(
        "Picture (Image) — not searchable: Pipedrive cannot search this built-in field",
        "pic",
        "Cannot be a match field: An image.",
        enabled=False,
    )
    assert listing.note == "⚠ Could not load your person fields: timeout"


# -- custom-field rows ------------------------------------------------------------------------------


def test_custom_field_rows_choose_fields_by_label() -> None:
    assert [
        custom_field_entity(slug)
        for slug in ("createUpdatePerson", "createUpdateOrganization", "createUpdateDeal")
    ] == ["person", "organization", "deal"]
    assert (
        custom_field_entity("createUpdateNote") == custom_field_entity("nope") == "person"
    )  # (no such object)
    catalog = _Catalog(
        {
            "person": [
                _Field("k2", "beta"),
                _Field("email", "Email", is_custom=False),
                _Field("k1", "Alpha", "Number"),
            ]
        }
    )
    listing = custom_field_choices(catalog, "person", "k1")
    assert listing.entries == (
        Entry("Alpha (Number)", "k1", "Key: k1"),
        Entry("beta (Text)", "k2", "Key: k2"),
    )
    assert listing.note == ""
    unknown = "0123456789abcdef0123456789abcdef01234567"
    assert custom_field_choices(catalog, "person", unknown).entries[-1] == Entry(
        "Unknown field 01234567…", unknown
    )
    assert custom_field_choices(catalog, "person", "short").entries[-1] == Entry("short", "short")
    offline = custom_field_choices(None, "person", "k1")
    assert offline.entries == (Entry("k1", "k1"),)
    assert offline.note == "Connect to Pipedrive to choose custom fields by name."
    assert custom_field_choices(None, "person", None).entries == ()
    assert first_free_custom_field(catalog, "person", ["k1"]) == "k2"
    assert first_free_custom_field(catalog, "person", ["k1", "k2"]) is None
    assert first_free_custom_field(None, "person", []) is None


def test_custom_field_row_values() -> None:
    assert custom_row_field("k1") == FieldDef("k1", "Custom field value", "", "string")
    assert custom_row_field(None).key == "custom"
    assert custom_row_start(UNSET) == {"@path": ""} and custom_row_start("x") == "x"
    rows = [
        ("k1", {"@path": "$.a"}),
        (None, "x"),
        ("k2", UNSET),
        ("k3", {"@path": ""}),
        ("k4", ""),
        ("k5", {"@template": ""}),
        ("k6", 0),
        ("k7", False),
    ]
    assert custom_fields_value(rows) == {"k1": {"@path": "$.a"}, "k6": 0, "k7": False}


# -- Advanced expressions ---------------------------------------------------------------------------


def test_a_valid_expression_is_its_value() -> None:
    assert parse_expression("name", '{"@path": "$.traits.name"}') == {"@path": "$.traits.name"}
    assert parse_expression("name", "null") is None


def test_invalid_json_says_where() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("name", '{"@path": "$.traits.name"')
    assert (info.value.line, info.value.column) == (1, 26)
    assert (
        info.value.user_message
        == str(info.value)
        == (
            "Not valid JSON at line 1, column 26: Expecting ',' delimiter. "
            "Your text is kept; the last valid expression is used until it is fixed."
        )
    )


def test_a_refused_expression_is_placed_at_the_member_at_fault() -> None:
    # "@path" appears three times: a search of the text for the last key named would find the first.
    source = (
        '{\n  "@if": {\n    "exists": {"@path": "$.a"},\n    "then": {"@path": "$.b"},\n'
        '    "else": {"@path": 7}\n  }\n}'
    )
    with pytest.raises(ExpressionError) as info:
        parse_expression("name", source)
    assert (
        str(info.value) == "Segment would reject this expression: should be a string or a mapping directive "
        "but it is a number"
    )
    assert (info.value.line, info.value.column) == (5, 14)
    assert source.split("\n")[4][13:].startswith('"@path": 7')


def test_a_refused_expression_at_the_top_and_without_a_place() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("name", '  {"@pathh": "$.traits.name"}')
    assert "has an invalid directive: @pathh" in str(info.value)
    assert (info.value.line, info.value.column) == (1, 3)
    # Segment names no place for @merge's objects: the top of the text.
    with pytest.raises(ExpressionError) as info:
        parse_expression("name", '{"@merge": {"objects": [\n 5]}}')
    assert (info.value.line, info.value.column) == (1, 1)


def test_several_problems_name_the_first_three_and_point_at_the_first() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("f", '{"a": {"@x": 1}, "b": {"@y": 1}, "c": {"@z": 1}, "d": {"@w": 1}}')
    assert str(info.value).count("invalid directive") == 3 and "@w" not in str(info.value)
    assert (info.value.line, info.value.column) == (1, 2)
