"""The action catalog of Segment's "Actions Pipedrive" destination.

Every action, field, default mapping, trigger and preset the app offers is described here as data, as
Segment's published destination (``@segment/action-destinations`` 3.497.0) defines it, so the editor,
the payload schema and the Segment export all read one source.  Labels and descriptions are Segment's
own words: the user sees what they would see in Segment's UI.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pipedrive_gui.core.errors import UserError

__all__ = [
    "ACTIONS",
    "ACTION_SLUGS",
    "APP_PRESET_MARK",
    "DESTINATION_METADATA_ID",
    "DESTINATION_SETTINGS",
    "DYNAMIC_ACTIVITY_TYPES",
    "DYNAMIC_DEAL_FIELDS",
    "DYNAMIC_ORGANIZATION_FIELDS",
    "DYNAMIC_PERSON_FIELDS",
    "ENTITIES",
    "ENTITY_PLURAL",
    "FIELD_TYPES",
    "MATCH_ENTITIES",
    "PRESETS",
    "VISIBILITY_CHOICES",
    "ActionDef",
    "Choice",
    "FieldDef",
    "Preset",
    "SettingDef",
    "UnknownActionError",
    "CarryOver",
    "action_by_id",
    "action_entity",
    "carry_over",
    "dynamic_entity",
    "default_settings",
    "get_action",
    "starter_settings",
]

# Segment's catalog id of Actions Pipedrive (docs/segment.md#actions-pipedrive).
DESTINATION_METADATA_ID = "5f7dd8191ad74f868ab1fc48"

# Field types as Segment names them; "datetime" accepts a string or a number (see core/schema.py).
FIELD_TYPES = ("string", "text", "password", "number", "integer", "boolean", "datetime", "object")

# What live Pipedrive data fills a dynamic field's drop-down (Segment's `dynamicFields`): the fields of
# an entity (a match field may be any of them, including custom ones) or the account's activity types.
DYNAMIC_PERSON_FIELDS = "person_fields"
DYNAMIC_ORGANIZATION_FIELDS = "organization_fields"
DYNAMIC_DEAL_FIELDS = "deal_fields"
DYNAMIC_ACTIVITY_TYPES = "activity_types"

#: The kinds of Pipedrive record the actions write, in the order the app lists them.
ENTITIES = ("person", "organization", "deal", "activity", "lead", "note")
#: The records that are found by a match field + match value (the others only by id).
MATCH_ENTITIES = ("person", "organization", "deal")
#: How a sentence names several records of a kind ("two people").
ENTITY_PLURAL: dict[str, str] = {
    "person": "people",
    "organization": "organizations",
    "deal": "deals",
    "activity": "activities",
    "lead": "leads",
    "note": "notes",
}


class UnknownActionError(UserError, KeyError):
    """An action slug or action id that Actions Pipedrive does not have."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what!r} is not an action of Actions Pipedrive. Choose one of: "
            + ", ".join(a.title for a in ACTIONS.values())
            + "."
        )


@dataclass(frozen=True)
class Choice:
    """One entry of a field's fixed list of values."""

    label: str
    value: str


@dataclass(frozen=True)
class FieldDef:
    """One field of an action, as Segment defines it.

    ``default`` is the field's default mapping (a mapping-kit value such as ``{"@path": "$.userId"}``)
    or ``None`` when Segment gives none; ``dynamic`` says which live Pipedrive data lists the values
    (one of the ``DYNAMIC_*`` constants) or is ``None``; ``properties`` are the sub-fields of an object
    field (none of Pipedrive's fields has them, but the schema supports them).
    """

    key: str
    label: str
    description: str
    type: str
    required: bool = False
    multiple: bool = False
    choices: tuple[Choice, ...] | None = None
    default: Any = field(default=None, hash=False)
    dynamic: str | None = None
    allow_null: bool = False
    properties: tuple[FieldDef, ...] | None = None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices or ())


@dataclass(frozen=True)
class ActionDef:
    """One action of the destination: what it does, when it fires by default, and its fields.

    ``entity`` is the Pipedrive record the action creates or updates (one of ``ENTITIES``); the
    properties below derive the rest of its shape from its fields, so nothing else lists them.
    """

    slug: str
    action_id: str
    title: str
    description: str
    default_trigger: str
    fields: tuple[FieldDef, ...]
    entity: str

    def field(self, key: str) -> FieldDef | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None

    @property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)

    @property
    def match_prefix(self) -> str | None:
        """Prefix of the keys that find the record itself: ``""`` (``match_field``/``match_value``),
        ``"deal_"`` (the deal's ``deal_match_value``), or ``None`` when it is found by id only."""
        if self.field("match_value") is not None:
            return ""
        if self.field(f"{self.entity}_match_value") is not None:
            return f"{self.entity}_"
        return None

    @property
    def id_key(self) -> str | None:
        """The field holding the id of the record to update (activities, leads, notes), or None."""
        return f"{self.entity}_id" if self.match_prefix is None and self.field(f"{self.entity}_id") else None

    @property
    def links(self) -> tuple[str, ...]:
        """The other records the action links to by match value (a deal's person and organization)."""
        return tuple(e for e in MATCH_ENTITIES if e != self.entity and self.field(f"{e}_match_value"))

    @property
    def custom_fields_entity(self) -> str | None:
        """Whose custom fields the ``custom_fields`` object sets (Segment has it on three actions)."""
        return self.entity if self.field("custom_fields") is not None else None


@dataclass(frozen=True)
class Preset:
    """A ready-made mapping: Segment's automatic ones are created with the destination.

    ``settings`` is the action's default mapping; it is shared, so copy it (or call
    ``default_settings``) before editing.
    """

    name: str
    action_slug: str
    trigger: str
    settings: Any = field(hash=False)
    automatic: bool

    @property
    def ships_with_segment(self) -> bool:
        """Whether Segment's Actions Pipedrive has this preset (its ``presets`` are exactly the three
        automatic ones). The others are the app's own: in Segment's web app the same mapping is made
        from the action (its default trigger and fields), not picked from a preset."""
        return self.automatic


# How the app's own presets are marked wherever presets are listed (the New mapping menu, docs).
APP_PRESET_MARK = "Pipedrive Mapper preset"


@dataclass(frozen=True)
class SettingDef:
    """A destination-level setting (shared by all mappings)."""

    key: str
    label: str
    description: str
    type: str
    required: bool
    default: str | None = None
    secret: bool = False


DESTINATION_SETTINGS: tuple[SettingDef, ...] = (
    SettingDef(
        key="domain",
        label="Domain",
        description="Pipedrive domain. This is found in Pipedrive in Settings > Company settings > Company domain.",
        type="string",
        required=True,
    ),
    SettingDef(
        key="apiToken",
        label="API Token",
        description=(
            "Pipedrive API token. This is found in Pipedrive in Settings > Personal preferences > API > "
            "Your personal API token."
        ),
        type="password",
        required=True,
        secret=True,
    ),
    SettingDef(
        key="personField",
        label="External ID field for a Person in Pipedrive",
        description=(
            "This is a key by which a Person in Pipedrive will be searched. It can be either Person id or has "
            "of a custom field containing external id. Default value is `person_id`."
        ),
        type="string",
        required=False,
        default="id",
    ),
    SettingDef(
        key="organizationField",
        label="External ID field for an Organization in Pipedrive",
        description=(
            "This is a key by which an Organization in Pipedrive will be searched. It can be either "
            "Organization id or has of a custom field containing external id. Default value is `org_id`."
        ),
        type="string",
        required=False,
        default="id",
    ),
    SettingDef(
        key="dealField",
        label="External ID field for a Deal in Pipedrive",
        description=(
            "This is a key by which a Deal in Pipedrive will be searched. It can be either Deal id or has of "
            "a custom field containing external id. Default value is `deal_id`."
        ),
        type="string",
        required=False,
        default="id",
    ),
)

VISIBILITY_CHOICES: tuple[Choice, ...] = (
    Choice("Owner & followers (private)", "1"),
    Choice("Entire company (shared)", "3"),
    Choice("Owner's visibility group and sub-groups", "5"),
    Choice("Entire company", "7"),
)

# The fields below that several actions share (match field/value, visibility, creation time, custom
# fields) are built by these factories so each wording is stated once; the text is Segment's.


def _path(path: str) -> dict[str, str]:
    return {"@path": path}


def _traits_or_properties(name: str) -> dict[str, Any]:
    """Segment's default for lead fields: the trait when it exists, else the property."""
    return {
        "@if": {
            "exists": _path(f"$.traits.{name}"),
            "then": _path(f"$.traits.{name}"),
            "else": _path(f"$.properties.{name}"),
        }
    }


_ENTITY_DYNAMIC = {
    "person": DYNAMIC_PERSON_FIELDS,
    "organization": DYNAMIC_ORGANIZATION_FIELDS,
    "deal": DYNAMIC_DEAL_FIELDS,
}
_DYNAMIC_ENTITY = {dynamic: entity for entity, dynamic in _ENTITY_DYNAMIC.items()}

# The note's wording on its three links (Segment repeats it on each).
_NOTE_LINK_RULE = " One of Lead, Person, Organization or Deal must be linked!"


def _match_field(entity: str, *, prefixed: bool = True) -> FieldDef:
    """``<entity>_match_field`` (or plain ``match_field`` on the entity's own action)."""
    return FieldDef(
        key=f"{entity}_match_field" if prefixed else "match_field",
        label=f"{entity.capitalize()} match field" if prefixed else "Match field",
        description=f"If present, used instead of field in settings to find existing {entity} in Pipedrive.",
        type="string",
        dynamic=_ENTITY_DYNAMIC[entity],
    )


def _match_value(
    entity: str, default: Any, *, prefixed: bool = True, required: bool = False, note: str = ""
) -> FieldDef:
    """``<entity>_match_value`` (or plain ``match_value``); ``note`` is appended to the description."""
    return FieldDef(
        key=f"{entity}_match_value" if prefixed else "match_value",
        label=f"{entity.capitalize()} match value" if prefixed else "Match value",
        description=f"Value to find existing {entity} by{note}",
        type="string",
        required=required,
        default=default,
    )


def _linked_records(*, note: str | None = None, with_deal: bool = True) -> tuple[FieldDef, ...]:
    """The person/organization (and deal) match pairs by which a deal, lead, activity or note is linked.

    ``note`` replaces the default remarks (a note's links share one remark)."""
    person_note = ". Required unless organization_match_value present" if note is None else note
    org_note = ". Required unless person_match_value present" if note is None else note
    fields: tuple[FieldDef, ...] = (
        _match_field("person"),
        _match_value("person", _path("$.userId"), note=person_note),
        _match_field("organization"),
        _match_value("organization", _path("$.context.groupId"), note=org_note),
    )
    if with_deal:
        fields += (_match_field("deal"), _match_value("deal", _path("$.properties.deal_id"), note=note or ""))
    return fields


def _visible_to(subject: str) -> FieldDef:
    return FieldDef(
        key="visible_to",
        label="Visible To",
        description=f"Visibility of the {subject}. If omitted, visibility will be set to the default visibility setting of this item type for the authorized user. 'Owner's visibility group and sub-groups' and 'Entire company' options only available with Professional or Enterprise plans",
        type="string",
        choices=VISIBILITY_CHOICES,
    )


def _add_time(entity: str) -> FieldDef:
    return FieldDef(
        key="add_time",
        label="Created At",
        description=f"If the {entity} is created, use this timestamp as the creation timestamp. Format: YYY-MM-DD HH:MM:SS",
        type="datetime",
    )


def _custom_fields() -> FieldDef:
    return FieldDef(
        key="custom_fields",
        label="Custom fields",
        description="New values for custom fields.",
        type="object",
    )


def _property_field(key: str, label: str, description: str, type: str = "string", **extra: Any) -> FieldDef:
    """A field whose default is the event property of the same name (``$.properties.<key>``)."""
    return FieldDef(
        key=key,
        label=label,
        description=description,
        type=type,
        default=_path(f"$.properties.{key}"),
        **extra,
    )


def _trait_or_property_field(
    key: str, label: str, description: str, type: str = "string", **extra: Any
) -> FieldDef:
    """A lead field: its default is the trait of the same name, else the property."""
    return FieldDef(
        key=key,
        label=label,
        description=description,
        type=type,
        default=_traits_or_properties(key),
        **extra,
    )


_PERSON_FIELDS: tuple[FieldDef, ...] = (
    _match_field("person", prefixed=False),
    _match_value("person", _path("$.userId"), prefixed=False, required=True),
    FieldDef(
        key="name",
        label="Person Name",
        description="Name of the person",
        type="string",
        default=_path("$.traits.name"),
    ),
    FieldDef(
        key="email",
        label="Email Address",
        description="Email addresses for this person.",
        type="string",
        multiple=True,
        default=_path("$.traits.email"),
    ),
    FieldDef(
        key="phone",
        label="Phone Number",
        description="Phone numbers for the person.",
        type="string",
        multiple=True,
        default=_path("$.traits.phone"),
    ),
    _visible_to("Person"),
    _add_time("person"),
    _custom_fields(),
)

_ORGANIZATION_FIELDS: tuple[FieldDef, ...] = (
    _match_field("organization", prefixed=False),
    _match_value("organization", _path("$.groupId"), prefixed=False, required=True),
    FieldDef(
        key="name",
        label="Organization Name",
        description="Name of the organization",
        type="string",
        default=_path("$.traits.name"),
    ),
    _visible_to("Organization"),
    _add_time("organization"),
    _custom_fields(),
)

_DEAL_FIELDS: tuple[FieldDef, ...] = (
    _match_field("deal"),
    _match_value("deal", _path("$.properties.deal_id")),
    *_linked_records(with_deal=False),
    FieldDef(
        key="title",
        label="Title",
        description="Deal title  (required for new Leads)",
        type="string",
        required=True,
        default=_path("$.properties.title"),
    ),
    _property_field("value", "Value", "Value of the deal. If omitted, value will be set to 0."),
    _property_field(
        "currency",
        "Currency",
        "Currency of the deal. Accepts a 3-character currency code. If omitted, currency will be set to the default currency of the authorized user.",
    ),
    _property_field(
        "stage_id",
        "Stage ID",
        "The ID of a stage this Deal will be placed in a pipeline (note that you can't supply the ID of the pipeline as this will be assigned automatically based on stage_id). If omitted, the deal will be placed in the first stage of the default pipeline.",
        "number",
    ),
    FieldDef(
        key="status",
        label="Status",
        description="Deal status - open, won, lost or deleted. If omitted, status will be set to open.",
        type="string",
        choices=(
            Choice("Open", "open"),
            Choice("Won", "won"),
            Choice("Lost", "lost"),
            Choice("Deleted", "deleted"),
        ),
    ),
    _property_field(
        "expected_close_date",
        "Expected Close Date",
        "The expected close date of the Deal. In ISO 8601 format: YYYY-MM-DD.",
    ),
    FieldDef(
        key="probability",
        label="Success Probability",
        description="Deal success probability percentage. Used/shown only when deal_probability for the pipeline of the deal is enabled.",
        type="number",
        default=_path("$.properties.success_probability"),
    ),
    _property_field(
        "lost_reason",
        "Lost Reason",
        "Optional message about why the deal was lost (to be used when status=lost)",
    ),
    _visible_to("deal"),
    _add_time("deal"),
    _custom_fields(),
)

_LEAD_FIELDS: tuple[FieldDef, ...] = (
    _trait_or_property_field(
        "lead_id",
        "Lead ID",
        "ID of Lead in Pipedrive to Update. If left empty, a new one will be created",
    ),
    *_linked_records(with_deal=False),
    _trait_or_property_field(
        "title",
        "Title",
        "The name of the Lead",
        required=True,
    ),
    _trait_or_property_field(
        "amount",
        "Amount",
        "Potential value of the lead",
        "number",
    ),
    _trait_or_property_field(
        "currency",
        "Currency",
        "Three-letter code of the currency, e.g. USD",
    ),
    _trait_or_property_field(
        "expected_close_date",
        "Expected Close Date",
        "The date of when the Deal which will be created from the Lead is expected to be closed. In ISO 8601 format: YYYY-MM-DD.",
    ),
    _visible_to("Lead"),
)

_ACTIVITY_FIELDS: tuple[FieldDef, ...] = (
    _property_field(
        "activity_id",
        "Activity ID",
        "ID of Activity in Pipedrive to Update. If left empty, a new one will be created",
        "integer",
    ),
    *_linked_records(note=""),
    _property_field(
        "subject",
        "Activity Subject",
        "Subject of the Activity. When value for subject is not set, it will be given a default value `Call`.",
    ),
    _property_field(
        "type",
        "Type",
        "Type of the Activity. This is in correlation with the key_string parameter of ActivityTypes. When value for type is not set, it will be given a default value `Call`",
        dynamic=DYNAMIC_ACTIVITY_TYPES,
    ),
    _property_field(
        "description",
        "Description",
        "Additional details about the Activity that is synced to your external calendar. Unlike the note added to the Activity, the description is publicly visible to any guests added to the Activity.",
    ),
    _property_field("note", "Note", "Note of the Activity (Accepts plain text and HTML)"),
    _property_field("due_date", "Due Date", "Due date of the Activity. Format: YYYY-MM-DD"),
    _property_field("due_time", "Due Time", "Due time of the Activity. Format: HH:MM"),
    _property_field("duration", "Duration", "Duration of the Activity. Format: HH:MM"),
    _property_field("done", "Done", "Whether the Activity is done or not.", "boolean"),
)

_NOTE_FIELDS: tuple[FieldDef, ...] = (
    _property_field(
        "note_id",
        "Note ID",
        "ID of Note in Pipedrive to Update. If left empty, a new one will be created",
        "integer",
    ),
    _property_field("lead_id", "Lead ID", "ID of Lead in Pipedrive to link to." + _NOTE_LINK_RULE),
    *_linked_records(note="." + _NOTE_LINK_RULE),
    _property_field(
        "content",
        "Note Content",
        "Content of the note in text or HTML format. Subject to sanitization on the back-end.",
        required=True,
    ),
)


_ACTION_LIST: tuple[ActionDef, ...] = (
    ActionDef(
        slug="createUpdatePerson",
        action_id="66wGU3cfJrrdBk8CqekrJc",
        title="Create or Update Person",
        description="Update a person in Pipedrive or create them if they don't exist yet.",
        default_trigger='type = "identify"',
        fields=_PERSON_FIELDS,
        entity="person",
    ),
    ActionDef(
        slug="createUpdateOrganization",
        action_id="uVzPR9SSpfLqF3zoPok99Q",
        title="Create or Update Organization",
        description="Update an organization in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "group"',
        fields=_ORGANIZATION_FIELDS,
        entity="organization",
    ),
    ActionDef(
        slug="createUpdateDeal",
        action_id="sHeYJxo1R6dwzgH9koDgZy",
        title="Create or update a Deal",
        description="Update a Deal in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "track" and event = "Deal Upserted"',
        fields=_DEAL_FIELDS,
        entity="deal",
    ),
    ActionDef(
        slug="createUpdateLead",
        action_id="hd2J84Sw2PcfzEkAm47YaK",
        title="Create or update Lead",
        description="Update a Lead in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "identify"',
        fields=_LEAD_FIELDS,
        entity="lead",
    ),
    ActionDef(
        slug="createUpdateActivity",
        action_id="dGDsZPqKXXCQNrgDcr1oKb",
        title="Create or update an Activity",
        description="Update an Activity in Pipedrive or create one if it doesn't exist.",
        default_trigger='type = "track" and event = "Activity Upserted"',
        fields=_ACTIVITY_FIELDS,
        entity="activity",
    ),
    ActionDef(
        slug="createUpdateNote",
        action_id="qGniQ3jn3aUkXmCmzkM2RN",
        title="Create or update a Note",
        description="Update a Note in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "track" and event = "Note Upserted"',
        fields=_NOTE_FIELDS,
        entity="note",
    ),
)

ACTIONS: dict[str, ActionDef] = {a.slug: a for a in _ACTION_LIST}
#: The six action slugs, in Segment's order (fixed by Segment).
ACTION_SLUGS: tuple[str, ...] = tuple(ACTIONS)
_BY_ID: dict[str, ActionDef] = {a.action_id: a for a in _ACTION_LIST}


def get_action(slug: str) -> ActionDef:
    """The action with this slug (``createUpdatePerson``, ...); raises ``UnknownActionError``."""
    try:
        return ACTIONS[slug]
    except (KeyError, TypeError):
        raise UnknownActionError(str(slug)) from None


def action_by_id(action_id: str) -> ActionDef:
    """The action with this Segment catalog id (as found in exported subscriptions)."""
    try:
        return _BY_ID[action_id]
    except (KeyError, TypeError):
        raise UnknownActionError(str(action_id)) from None


def default_settings(slug: str) -> dict[str, Any]:
    """The action's default mapping (Segment's ``defaultValues(fields)``): every field that has a
    default, in field order.  A fresh copy each call, safe to edit."""
    action = get_action(slug)
    return {f.key: copy.deepcopy(f.default) for f in action.fields if f.default is not None}


def starter_settings(slug: str) -> dict[str, Any]:
    """A blank mapping of the action ("Blank, from an action"): only what it needs to run, from Segment's
    defaults — the required fields and the match values that find the record and link it to a
    person, organization or deal. (A preset has every default field.)"""
    action = get_action(slug)
    return {
        f.key: copy.deepcopy(f.default)
        for f in action.fields
        if f.default is not None and (f.required or f.key.endswith("match_value"))
    }


def action_entity(slug: str) -> str:
    """The record the action writes: ``person``, ``organization``, ``deal``, ``lead``, ``activity`` or
    ``note``; raises ``UnknownActionError`` for a slug that is not an action."""
    return get_action(slug).entity


def dynamic_entity(dynamic: str | None) -> str | None:
    """Whose fields a dynamic field lists (``person_fields`` → ``person``), or None."""
    return _DYNAMIC_ENTITY.get(dynamic or "")


@dataclass
class CarryOver:
    """What changing a mapping's action does to its fields (see :func:`carry_over`)."""

    settings: dict[str, Any]
    kept: list[str] = field(default_factory=list)  # labels in the new action
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old label, new label)
    dropped: list[str] = field(default_factory=list)  # labels in the old action
    defaulted: list[str] = field(default_factory=list)  # new fields filled with Segment's default


def _counterpart(old_slug: str, key: str, new_slug: str) -> str | None:
    """The new action's field that means what ``key`` meant in the old one: the same key, or the
    record's own match field/value ↔ the link to that kind of record (a person's ``match_value``
    is a deal's ``person_match_value``). Custom fields are per kind of record."""
    new = get_action(new_slug)
    old_entity, new_entity = action_entity(old_slug), action_entity(new_slug)
    if key == "custom_fields" and old_entity != new_entity:
        return None
    for suffix in ("match_field", "match_value"):
        if key == suffix and new.field(f"{old_entity}_{suffix}") is not None:
            return f"{old_entity}_{suffix}"
        if key == f"{new_entity}_{suffix}" and new.field(suffix) is not None:
            return suffix
    return key if new.field(key) is not None else None


# Keys Segment's ``validateSchema`` is told to leave alone (``exempt: ['dynamicAuthSettings']`` in
# actions-core's ``Action.execute``): no field defines them, so ajv's ``removeAdditional`` drops them,
# and Segment then puts the value back as it was before validation (uncoerced, at the end of the
# payload). A mapping that carries ``dynamicAuthSettings`` hands it to ``perform()``; so does ours,
# and it survives a change of action.
EXEMPT_KEYS: tuple[str, ...] = ("dynamicAuthSettings",)


def carry_over(old_slug: str, settings: dict[str, Any], new_slug: str) -> CarryOver:
    """The settings of a mapping whose action changes from ``old_slug`` to ``new_slug``: the values
    of fields both actions share are kept (a record's own match goes to the link of that kind),
    the new action's other fields start from Segment's defaults, and what has no place in the new
    action is reported as dropped. A value that was the old field's default becomes the new
    field's default (a person's ``$.userId`` is an organization's ``$.groupId``)."""
    old, new = get_action(old_slug), get_action(new_slug)
    result = CarryOver({})
    for key, value in settings.items():
        if key in EXEMPT_KEYS:  # no action's field: Segment keeps it whatever the action
            result.settings[key] = copy.deepcopy(value)
            continue
        target = _counterpart(old_slug, key, new_slug)
        old_field = old.field(key)
        old_label = old_field.label if old_field else key
        if target is None or target in result.settings:
            result.dropped.append(old_label)
            continue
        new_field = new.field(target)
        if (
            old_field is not None
            and new_field is not None
            and new_field.default is not None
            and value == old_field.default
        ):
            value = new_field.default  # an unchanged default becomes the new action's default
        result.settings[target] = copy.deepcopy(value)
        new_label = new_field.label if new_field else target
        if target == key:
            result.kept.append(new_label)
        else:
            result.moved.append((old_label, new_label))
    for f in new.fields:
        if f.key not in result.settings and f.default is not None:
            result.settings[f.key] = copy.deepcopy(f.default)
            result.defaulted.append(f.label)
    # In the new action's field order, as Segment lists them.
    order = {f.key: i for i, f in enumerate(new.fields)}
    result.settings = dict(sorted(result.settings.items(), key=lambda kv: order.get(kv[0], len(order))))
    return result


def _preset(name: str, slug: str, trigger: str, automatic: bool) -> Preset:
    return Preset(
        name=name, action_slug=slug, trigger=trigger, settings=default_settings(slug), automatic=automatic
    )


# Segment creates the three automatic presets with the destination (they are all the presets Segment
# ships); the other three are the app's own, offered so that every action has a one-click starting
# point (their triggers are the actions' default subscriptions). See Preset.ships_with_segment.
PRESETS: tuple[Preset, ...] = (
    _preset("Create or Update a Person", "createUpdatePerson", 'type = "identify"', True),
    _preset("Create or Update an Organization", "createUpdateOrganization", 'type = "group"', True),
    _preset(
        "Create or Update an Activity",
        "createUpdateActivity",
        'type = "track" and event = "Activity Upserted"',
        True,
    ),
    _preset(
        "Create or Update a Deal", "createUpdateDeal", 'type = "track" and event = "Deal Upserted"', False
    ),
    _preset("Create or Update a Lead", "createUpdateLead", 'type = "identify"', False),
    _preset(
        "Create or Update a Note", "createUpdateNote", 'type = "track" and event = "Note Upserted"', False
    ),
)
