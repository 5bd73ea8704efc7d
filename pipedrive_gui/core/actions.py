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

__all__ = [
    "ACTIONS",
    "DESTINATION_METADATA_ID",
    "DESTINATION_SETTINGS",
    "DYNAMIC_ACTIVITY_TYPES",
    "DYNAMIC_DEAL_FIELDS",
    "DYNAMIC_ORGANIZATION_FIELDS",
    "DYNAMIC_PERSON_FIELDS",
    "FIELD_TYPES",
    "PRESETS",
    "VISIBILITY_CHOICES",
    "ActionDef",
    "Choice",
    "FieldDef",
    "Preset",
    "SettingDef",
    "UnknownActionError",
    "action_by_id",
    "default_settings",
    "get_action",
]

# Segment's catalog id of Actions Pipedrive (reference/segment.md).
DESTINATION_METADATA_ID = "5f7dd8191ad74f868ab1fc48"

# Field types as Segment names them; "datetime" accepts a string or a number (see core/schema.py).
FIELD_TYPES = ("string", "text", "password", "number", "integer", "boolean", "datetime", "object")

# What live Pipedrive data fills a dynamic field's drop-down (Segment's `dynamicFields`): the fields of
# an entity (a match field may be any of them, including custom ones) or the account's activity types.
DYNAMIC_PERSON_FIELDS = "person_fields"
DYNAMIC_ORGANIZATION_FIELDS = "organization_fields"
DYNAMIC_DEAL_FIELDS = "deal_fields"
DYNAMIC_ACTIVITY_TYPES = "activity_types"


class UnknownActionError(KeyError):
    """An action slug or action id that Actions Pipedrive does not have."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.user_message = (
            f"{what!r} is not an action of Actions Pipedrive. Choose one of: "
            + ", ".join(a.title for a in ACTIONS.values())
            + "."
        )

    def __str__(self) -> str:
        return self.user_message


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
    """One action of the destination: what it does, when it fires by default, and its fields."""

    slug: str
    action_id: str
    title: str
    description: str
    default_trigger: str
    fields: tuple[FieldDef, ...]

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

_PERSON_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="match_field",
        label="Match field",
        description="If present, used instead of field in settings to find existing person in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_PERSON_FIELDS,
    ),
    FieldDef(
        key="match_value",
        label="Match value",
        description="Value to find existing person by",
        type="string",
        required=True,
        default={"@path": "$.userId"},
    ),
    FieldDef(
        key="name",
        label="Person Name",
        description="Name of the person",
        type="string",
        default={"@path": "$.traits.name"},
    ),
    FieldDef(
        key="email",
        label="Email Address",
        description="Email addresses for this person.",
        type="string",
        multiple=True,
        default={"@path": "$.traits.email"},
    ),
    FieldDef(
        key="phone",
        label="Phone Number",
        description="Phone numbers for the person.",
        type="string",
        multiple=True,
        default={"@path": "$.traits.phone"},
    ),
    FieldDef(
        key="visible_to",
        label="Visible To",
        description="Visibility of the Person. If omitted, visibility will be set to the default visibility setting of this item type for the authorized user. 'Owner's visibility group and sub-groups' and 'Entire company' options only available with Professional or Enterprise plans",
        type="string",
        choices=VISIBILITY_CHOICES,
    ),
    FieldDef(
        key="add_time",
        label="Created At",
        description="If the person is created, use this timestamp as the creation timestamp. Format: YYY-MM-DD HH:MM:SS",
        type="datetime",
    ),
    FieldDef(
        key="custom_fields",
        label="Custom fields",
        description="New values for custom fields.",
        type="object",
    ),
)

_ORGANIZATION_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="match_field",
        label="Match field",
        description="If present, used instead of field in settings to find existing organization in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_ORGANIZATION_FIELDS,
    ),
    FieldDef(
        key="match_value",
        label="Match value",
        description="Value to find existing organization by",
        type="string",
        required=True,
        default={"@path": "$.groupId"},
    ),
    FieldDef(
        key="name",
        label="Organization Name",
        description="Name of the organization",
        type="string",
        default={"@path": "$.traits.name"},
    ),
    FieldDef(
        key="visible_to",
        label="Visible To",
        description="Visibility of the Organization. If omitted, visibility will be set to the default visibility setting of this item type for the authorized user. 'Owner's visibility group and sub-groups' and 'Entire company' options only available with Professional or Enterprise plans",
        type="string",
        choices=VISIBILITY_CHOICES,
    ),
    FieldDef(
        key="add_time",
        label="Created At",
        description="If the organization is created, use this timestamp as the creation timestamp. Format: YYY-MM-DD HH:MM:SS",
        type="datetime",
    ),
    FieldDef(
        key="custom_fields",
        label="Custom fields",
        description="New values for custom fields.",
        type="object",
    ),
)

_DEAL_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="deal_match_field",
        label="Deal match field",
        description="If present, used instead of field in settings to find existing deal in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_DEAL_FIELDS,
    ),
    FieldDef(
        key="deal_match_value",
        label="Deal match value",
        description="Value to find existing deal by",
        type="string",
        default={"@path": "$.properties.deal_id"},
    ),
    FieldDef(
        key="person_match_field",
        label="Person match field",
        description="If present, used instead of field in settings to find existing person in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_PERSON_FIELDS,
    ),
    FieldDef(
        key="person_match_value",
        label="Person match value",
        description="Value to find existing person by. Required unless organization_match_value present",
        type="string",
        default={"@path": "$.userId"},
    ),
    FieldDef(
        key="organization_match_field",
        label="Organization match field",
        description="If present, used instead of field in settings to find existing organization in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_ORGANIZATION_FIELDS,
    ),
    FieldDef(
        key="organization_match_value",
        label="Organization match value",
        description="Value to find existing organization by. Required unless person_match_value present",
        type="string",
        default={"@path": "$.context.groupId"},
    ),
    FieldDef(
        key="title",
        label="Title",
        description="Deal title  (required for new Leads)",
        type="string",
        required=True,
        default={"@path": "$.properties.title"},
    ),
    FieldDef(
        key="value",
        label="Value",
        description="Value of the deal. If omitted, value will be set to 0.",
        type="string",
        default={"@path": "$.properties.value"},
    ),
    FieldDef(
        key="currency",
        label="Currency",
        description="Currency of the deal. Accepts a 3-character currency code. If omitted, currency will be set to the default currency of the authorized user.",
        type="string",
        default={"@path": "$.properties.currency"},
    ),
    FieldDef(
        key="stage_id",
        label="Stage ID",
        description="The ID of a stage this Deal will be placed in a pipeline (note that you can't supply the ID of the pipeline as this will be assigned automatically based on stage_id). If omitted, the deal will be placed in the first stage of the default pipeline.",
        type="number",
        default={"@path": "$.properties.stage_id"},
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
    FieldDef(
        key="expected_close_date",
        label="Expected Close Date",
        description="The expected close date of the Deal. In ISO 8601 format: YYYY-MM-DD.",
        type="string",
        default={"@path": "$.properties.expected_close_date"},
    ),
    FieldDef(
        key="probability",
        label="Success Probability",
        description="Deal success probability percentage. Used/shown only when deal_probability for the pipeline of the deal is enabled.",
        type="number",
        default={"@path": "$.properties.success_probability"},
    ),
    FieldDef(
        key="lost_reason",
        label="Lost Reason",
        description="Optional message about why the deal was lost (to be used when status=lost)",
        type="string",
        default={"@path": "$.properties.lost_reason"},
    ),
    FieldDef(
        key="visible_to",
        label="Visible To",
        description="Visibility of the deal. If omitted, visibility will be set to the default visibility setting of this item type for the authorized user. 'Owner's visibility group and sub-groups' and 'Entire company' options only available with Professional or Enterprise plans",
        type="string",
        choices=VISIBILITY_CHOICES,
    ),
    FieldDef(
        key="add_time",
        label="Created At",
        description="If the deal is created, use this timestamp as the creation timestamp. Format: YYY-MM-DD HH:MM:SS",
        type="datetime",
    ),
    FieldDef(
        key="custom_fields",
        label="Custom fields",
        description="New values for custom fields.",
        type="object",
    ),
)

_LEAD_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="lead_id",
        label="Lead ID",
        description="ID of Lead in Pipedrive to Update. If left empty, a new one will be created",
        type="string",
        default={
            "@if": {
                "exists": {"@path": "$.traits.lead_id"},
                "then": {"@path": "$.traits.lead_id"},
                "else": {"@path": "$.properties.lead_id"},
            }
        },
    ),
    FieldDef(
        key="person_match_field",
        label="Person match field",
        description="If present, used instead of field in settings to find existing person in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_PERSON_FIELDS,
    ),
    FieldDef(
        key="person_match_value",
        label="Person match value",
        description="Value to find existing person by. Required unless organization_match_value present",
        type="string",
        default={"@path": "$.userId"},
    ),
    FieldDef(
        key="organization_match_field",
        label="Organization match field",
        description="If present, used instead of field in settings to find existing organization in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_ORGANIZATION_FIELDS,
    ),
    FieldDef(
        key="organization_match_value",
        label="Organization match value",
        description="Value to find existing organization by. Required unless person_match_value present",
        type="string",
        default={"@path": "$.context.groupId"},
    ),
    FieldDef(
        key="title",
        label="Title",
        description="The name of the Lead",
        type="string",
        required=True,
        default={
            "@if": {
                "exists": {"@path": "$.traits.title"},
                "then": {"@path": "$.traits.title"},
                "else": {"@path": "$.properties.title"},
            }
        },
    ),
    FieldDef(
        key="amount",
        label="Amount",
        description="Potential value of the lead",
        type="number",
        default={
            "@if": {
                "exists": {"@path": "$.traits.amount"},
                "then": {"@path": "$.traits.amount"},
                "else": {"@path": "$.properties.amount"},
            }
        },
    ),
    FieldDef(
        key="currency",
        label="Currency",
        description="Three-letter code of the currency, e.g. USD",
        type="string",
        default={
            "@if": {
                "exists": {"@path": "$.traits.currency"},
                "then": {"@path": "$.traits.currency"},
                "else": {"@path": "$.properties.currency"},
            }
        },
    ),
    FieldDef(
        key="expected_close_date",
        label="Expected Close Date",
        description="The date of when the Deal which will be created from the Lead is expected to be closed. In ISO 8601 format: YYYY-MM-DD.",
        type="string",
        default={
            "@if": {
                "exists": {"@path": "$.traits.expected_close_date"},
                "then": {"@path": "$.traits.expected_close_date"},
                "else": {"@path": "$.properties.expected_close_date"},
            }
        },
    ),
    FieldDef(
        key="visible_to",
        label="Visible To",
        description="Visibility of the Lead. If omitted, visibility will be set to the default visibility setting of this item type for the authorized user. 'Owner's visibility group and sub-groups' and 'Entire company' options only available with Professional or Enterprise plans",
        type="string",
        choices=VISIBILITY_CHOICES,
    ),
)

_ACTIVITY_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="activity_id",
        label="Activity ID",
        description="ID of Activity in Pipedrive to Update. If left empty, a new one will be created",
        type="integer",
        default={"@path": "$.properties.activity_id"},
    ),
    FieldDef(
        key="person_match_field",
        label="Person match field",
        description="If present, used instead of field in settings to find existing person in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_PERSON_FIELDS,
    ),
    FieldDef(
        key="person_match_value",
        label="Person match value",
        description="Value to find existing person by",
        type="string",
        default={"@path": "$.userId"},
    ),
    FieldDef(
        key="organization_match_field",
        label="Organization match field",
        description="If present, used instead of field in settings to find existing organization in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_ORGANIZATION_FIELDS,
    ),
    FieldDef(
        key="organization_match_value",
        label="Organization match value",
        description="Value to find existing organization by",
        type="string",
        default={"@path": "$.context.groupId"},
    ),
    FieldDef(
        key="deal_match_field",
        label="Deal match field",
        description="If present, used instead of field in settings to find existing deal in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_DEAL_FIELDS,
    ),
    FieldDef(
        key="deal_match_value",
        label="Deal match value",
        description="Value to find existing deal by",
        type="string",
        default={"@path": "$.properties.deal_id"},
    ),
    FieldDef(
        key="subject",
        label="Activity Subject",
        description="Subject of the Activity. When value for subject is not set, it will be given a default value `Call`.",
        type="string",
        default={"@path": "$.properties.subject"},
    ),
    FieldDef(
        key="type",
        label="Type",
        description="Type of the Activity. This is in correlation with the key_string parameter of ActivityTypes. When value for type is not set, it will be given a default value `Call`",
        type="string",
        default={"@path": "$.properties.type"},
        dynamic=DYNAMIC_ACTIVITY_TYPES,
    ),
    FieldDef(
        key="description",
        label="Description",
        description="Additional details about the Activity that is synced to your external calendar. Unlike the note added to the Activity, the description is publicly visible to any guests added to the Activity.",
        type="string",
        default={"@path": "$.properties.description"},
    ),
    FieldDef(
        key="note",
        label="Note",
        description="Note of the Activity (Accepts plain text and HTML)",
        type="string",
        default={"@path": "$.properties.note"},
    ),
    FieldDef(
        key="due_date",
        label="Due Date",
        description="Due date of the Activity. Format: YYYY-MM-DD",
        type="string",
        default={"@path": "$.properties.due_date"},
    ),
    FieldDef(
        key="due_time",
        label="Due Time",
        description="Due time of the Activity. Format: HH:MM",
        type="string",
        default={"@path": "$.properties.due_time"},
    ),
    FieldDef(
        key="duration",
        label="Duration",
        description="Duration of the Activity. Format: HH:MM",
        type="string",
        default={"@path": "$.properties.duration"},
    ),
    FieldDef(
        key="done",
        label="Done",
        description="Whether the Activity is done or not.",
        type="boolean",
        default={"@path": "$.properties.done"},
    ),
)

_NOTE_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        key="note_id",
        label="Note ID",
        description="ID of Note in Pipedrive to Update. If left empty, a new one will be created",
        type="integer",
        default={"@path": "$.properties.note_id"},
    ),
    FieldDef(
        key="lead_id",
        label="Lead ID",
        description="ID of Lead in Pipedrive to link to. One of Lead, Person, Organization or Deal must be linked!",
        type="string",
        default={"@path": "$.properties.lead_id"},
    ),
    FieldDef(
        key="person_match_field",
        label="Person match field",
        description="If present, used instead of field in settings to find existing person in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_PERSON_FIELDS,
    ),
    FieldDef(
        key="person_match_value",
        label="Person match value",
        description="Value to find existing person by. One of Lead, Person, Organization or Deal must be linked!",
        type="string",
        default={"@path": "$.userId"},
    ),
    FieldDef(
        key="organization_match_field",
        label="Organization match field",
        description="If present, used instead of field in settings to find existing organization in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_ORGANIZATION_FIELDS,
    ),
    FieldDef(
        key="organization_match_value",
        label="Organization match value",
        description="Value to find existing organization by. One of Lead, Person, Organization or Deal must be linked!",
        type="string",
        default={"@path": "$.context.groupId"},
    ),
    FieldDef(
        key="deal_match_field",
        label="Deal match field",
        description="If present, used instead of field in settings to find existing deal in Pipedrive.",
        type="string",
        dynamic=DYNAMIC_DEAL_FIELDS,
    ),
    FieldDef(
        key="deal_match_value",
        label="Deal match value",
        description="Value to find existing deal by. One of Lead, Person, Organization or Deal must be linked!",
        type="string",
        default={"@path": "$.properties.deal_id"},
    ),
    FieldDef(
        key="content",
        label="Note Content",
        description="Content of the note in text or HTML format. Subject to sanitization on the back-end.",
        type="string",
        required=True,
        default={"@path": "$.properties.content"},
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
    ),
    ActionDef(
        slug="createUpdateOrganization",
        action_id="uVzPR9SSpfLqF3zoPok99Q",
        title="Create or Update Organization",
        description="Update an organization in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "group"',
        fields=_ORGANIZATION_FIELDS,
    ),
    ActionDef(
        slug="createUpdateDeal",
        action_id="sHeYJxo1R6dwzgH9koDgZy",
        title="Create or update a Deal",
        description="Update a Deal in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "track" and event = "Deal Upserted"',
        fields=_DEAL_FIELDS,
    ),
    ActionDef(
        slug="createUpdateLead",
        action_id="hd2J84Sw2PcfzEkAm47YaK",
        title="Create or update Lead",
        description="Update a Lead in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "identify"',
        fields=_LEAD_FIELDS,
    ),
    ActionDef(
        slug="createUpdateActivity",
        action_id="dGDsZPqKXXCQNrgDcr1oKb",
        title="Create or update an Activity",
        description="Update an Activity in Pipedrive or create one if it doesn't exist.",
        default_trigger='type = "track" and event = "Activity Upserted"',
        fields=_ACTIVITY_FIELDS,
    ),
    ActionDef(
        slug="createUpdateNote",
        action_id="qGniQ3jn3aUkXmCmzkM2RN",
        title="Create or update a Note",
        description="Update a Note in Pipedrive or create it if it doesn't exist yet.",
        default_trigger='type = "track" and event = "Note Upserted"',
        fields=_NOTE_FIELDS,
    ),
)

ACTIONS: dict[str, ActionDef] = {a.slug: a for a in _ACTION_LIST}
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


def _preset(name: str, slug: str, trigger: str, automatic: bool) -> Preset:
    return Preset(
        name=name, action_slug=slug, trigger=trigger, settings=default_settings(slug), automatic=automatic
    )


# Segment creates the three automatic presets with the destination; the other three are offered so that
# every action has a one-click starting point (their triggers are the actions' default subscriptions).
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
