"""Where a field's value comes from, as data: what the field editor decides without Qt.

A mapping stores each field's value as a mapping-kit value; the editor shows it in one of a few
*modes* — *From the event* (``{"@path": …}``), *Fixed value*, *Template* (``{"@template": …}``),
*Advanced* (any expression, as JSON), *Custom fields* (the ``custom_fields`` object, one row per
Pipedrive custom field) or *Not set* (no key). This module decides which mode a stored value belongs
to, what a mode starts from when the user switches to it, how fixed values are parsed and shown,
what the drop-downs list, what a custom-field row stores, and why an Advanced expression is refused
(with its line and column). The widgets are in ``gui/field_editor.py`` and the modules beside it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from pipedrive_gui.core.actions import ACTIONS, DYNAMIC_ACTIVITY_TYPES, FieldDef, dynamic_entity
from pipedrive_gui.core.errors import UserError
from pipedrive_gui.core.project import is_empty_path, is_unfinished_custom_value

__all__ = [
    "KEEP",
    "MODE_ADVANCED",
    "MODE_CUSTOM",
    "MODE_LABELS",
    "MODE_PATH",
    "MODE_STATIC",
    "MODE_TEMPLATE",
    "MODE_UNSET",
    "UNSET",
    "ActivityTypeInfo",
    "CatalogField",
    "Entry",
    "ExpressionError",
    "FieldListing",
    "Listing",
    "carried_value",
    "catalog_problem",
    "classify",
    "custom_field_choices",
    "custom_field_entity",
    "custom_fields_value",
    "custom_row_field",
    "custom_row_start",
    "first_free_custom_field",
    "modes_for",
    "parse_expression",
    "parse_static_text",
    "shown_mode",
    "static_checked",
    "static_choices",
    "static_date_text",
    "static_text",
    "stored_value",
    "unlisted_activity_type_note",
    "unlisted_label",
]


class _Unset(enum.Enum):
    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


#: The field has no value in the mapping (its key is absent).
UNSET: Final = _Unset.UNSET


class _Keep(enum.Enum):
    KEEP = "keep"


#: :func:`carried_value`'s answer when the mode's editor keeps what it shows.
KEEP: Final = _Keep.KEEP

MODE_UNSET: Final = "unset"
MODE_PATH: Final = "path"
MODE_STATIC: Final = "static"
MODE_TEMPLATE: Final = "template"
MODE_ADVANCED: Final = "advanced"
MODE_CUSTOM: Final = "custom"
MODE_LABELS: Final = {
    MODE_UNSET: "Not set",
    MODE_PATH: "From the event",
    MODE_STATIC: "Fixed value",
    MODE_TEMPLATE: "Template",
    MODE_ADVANCED: "Advanced (mapping kit)",
    MODE_CUSTOM: "Custom fields",
}


# -- modes ------------------------------------------------------------------------------------------


def _is_custom_fields(field: FieldDef) -> bool:
    return field.type == "object" and field.key == "custom_fields"


def classify(field: FieldDef, value: Any) -> str:
    """Which editor shows ``value`` best."""
    if value is UNSET:
        return MODE_UNSET
    if isinstance(value, dict):
        if set(value) == {"@path"} and isinstance(value["@path"], str):
            return MODE_PATH
        if set(value) == {"@template"} and isinstance(value["@template"], str):
            return MODE_TEMPLATE
        if _is_custom_fields(field) and not any(k.startswith("@") for k in value):
            return MODE_CUSTOM
        return MODE_ADVANCED
    if isinstance(value, list):
        return MODE_ADVANCED
    if isinstance(value, str) and field.type == "boolean":
        return MODE_ADVANCED
    return MODE_STATIC


def modes_for(field: FieldDef, *, allow_custom: bool = True) -> list[str]:
    """The modes the field's drop-down offers, in order. The ``custom_fields`` object has rows of
    its own instead of a fixed value or a template (not inside a custom-field row: no rows in rows)."""
    if allow_custom and _is_custom_fields(field):
        return [MODE_UNSET, MODE_CUSTOM, MODE_PATH, MODE_ADVANCED]
    return [MODE_UNSET, MODE_PATH, MODE_STATIC, MODE_TEMPLATE, MODE_ADVANCED]


def shown_mode(field: FieldDef, value: Any, modes: Sequence[str]) -> str:
    """The mode that shows ``value`` among ``modes``: Advanced shows anything the others cannot."""
    mode = classify(field, value)
    return mode if mode in modes else MODE_ADVANCED


def carried_value(mode: str, old: Any) -> Any:
    """What the editor of ``mode`` shows when the user switches to it from a field whose value was
    ``old``; :data:`KEEP` when it keeps what it shows (it already fits, or nothing carries over)."""
    if mode == MODE_ADVANCED:
        return old if old is not UNSET else ""
    if mode == MODE_PATH and not (isinstance(old, dict) and "@path" in old):
        return {"@path": ""}
    if mode == MODE_STATIC and not isinstance(old, (str, int, float, bool)):
        return UNSET
    if mode == MODE_TEMPLATE:  # a path becomes its placeholder: $.traits.name -> {{traits.name}}
        seed = old.get("@path", "")[2:] if isinstance(old, dict) and isinstance(old.get("@path"), str) else ""
        return {"@template": "{{" + seed + "}}" if seed else ""}
    if mode == MODE_CUSTOM and not isinstance(old, dict):
        return {}
    return KEEP


def stored_value(mode: str, value: Any) -> Any:
    """What the mapping stores for what a mode's editor holds: UNSET (nothing sent) for "Not set"
    and for an empty path, which Segment would read as the whole event."""
    if mode == MODE_UNSET or is_empty_path(value):
        return UNSET
    return value


# -- fixed values -----------------------------------------------------------------------------------


def static_text(value: Any) -> str:
    """A fixed value in a text box: a string as it is, anything else as JSON."""
    if value is UNSET or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def parse_static_text(field: FieldDef, text: str) -> Any:
    """The fixed value typed in a text box: a number for number fields (an integer when whole), else
    the text; a number field's text that is not a number is kept as typed, and Segment's schema
    check explains the problem."""
    if field.type in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def static_checked(value: Any) -> bool:
    """A yes/no field's check box."""
    return bool(value) if value is not UNSET else False


def static_date_text(value: Any) -> str | None:
    """The text a date field's value is read from (ISO 8601); None when there is none (the editor
    then shows the current time)."""
    return None if value is UNSET or value is None else str(value)


# -- what the account lists -------------------------------------------------------------------------


class CatalogField(Protocol):
    """A field of the connected account, as the drop-downs list it (``pipedrive.fields``)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def type_label(self) -> str: ...
    @property
    def is_custom(self) -> bool: ...
    @property
    def searchable(self) -> bool: ...
    @property
    def not_searchable_reason(self) -> str | None: ...


class ActivityTypeInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def key_string(self) -> str: ...


class FieldListing(Protocol):
    """What the drop-downs need of the account's field catalog (``pipedrive.fields.FieldCatalog``)."""

    @property
    def problems(self) -> dict[str, str]: ...
    def fields(self, entity: str) -> Sequence[CatalogField]: ...
    def active_activity_types(self) -> Sequence[ActivityTypeInfo]: ...


@dataclass(frozen=True)
class Entry:
    """One entry of a drop-down: what it shows, what it stores, its tooltip, whether it can be
    chosen."""

    label: str
    value: Any
    tooltip: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Listing:
    """A drop-down's entries and the note beside it (why a list from the account is empty)."""

    entries: tuple[Entry, ...]
    note: str = ""


def catalog_problem(catalog: FieldListing, key: str, what: str) -> str:
    """Why a list from the account is empty, shown next to the drop-down that needs it."""
    problem = catalog.problems.get(key)
    return f"⚠ Could not load {what}: {problem}" if problem else ""


def static_choices(field: FieldDef, catalog: FieldListing | None) -> Listing:
    """A fixed value's drop-down: Segment's fixed choices, the account's activity types, or the
    fields of an entity (those Pipedrive cannot search listed last, disabled, with the reason)."""
    if field.choices:
        return Listing(
            tuple(
                Entry(f"{c.label} ({c.value})" if c.label != c.value else c.label, c.value)
                for c in field.choices
            )
        )
    if field.dynamic == DYNAMIC_ACTIVITY_TYPES:
        if catalog is None:
            return Listing((), "Connect to Pipedrive to list your activity types.")
        return Listing(
            tuple(Entry(f"{t.name} ({t.key_string})", t.key_string) for t in catalog.active_activity_types()),
            catalog_problem(catalog, "activity_types", "your activity types"),
        )
    entity = dynamic_entity(field.dynamic)
    if entity is None:
        return Listing(())
    if catalog is None:
        return Listing((), "Connect to Pipedrive to list your fields.")
    entries = []
    for f in sorted(catalog.fields(entity), key=lambda f: (not f.searchable, f.label.casefold())):
        label = f"{f.label} ({f.type_label}{', custom' if f.is_custom else ''})"
        if f.searchable:
            entries.append(Entry(label, f.key, f"Key: {f.key}"))
            continue
        reason = f.not_searchable_reason or "Pipedrive cannot search this field."
        # The reason in the text too: a disabled entry cannot always show its tooltip.
        why = (
            f"Pipedrive cannot search {f.type_label} fields"
            if f.is_custom
            else "Pipedrive cannot search this built-in field"
        )
        entries.append(
            Entry(
                f"{label} — not searchable: {why}", f.key, f"Cannot be a match field: {reason}", enabled=False
            )
        )
    return Listing(tuple(entries), catalog_problem(catalog, entity, f"your {entity} fields"))


def unlisted_label(value: Any, *, connected: bool) -> str:
    """The entry for a stored value the drop-down does not list."""
    return f"{value} (not in this account)" if connected else str(value)


def unlisted_activity_type_note(value: Any) -> str:
    """The note under an activity type typed as text that the account's list does not have."""
    if value is UNSET or value is None or value == "":
        return ""
    return f"“{value}” is not one of this account's activity types; Pipedrive may refuse it."


# -- custom-field rows ------------------------------------------------------------------------------


def custom_field_entity(action_slug: str) -> str:
    """Whose custom fields an action's ``custom_fields`` object holds: those of the record the action
    writes (the actions that have the object write a person, an organization or a deal)."""
    action = ACTIONS.get(action_slug)
    return (action.custom_fields_entity if action is not None else None) or "person"


def _custom_fields(catalog: FieldListing | None, entity: str) -> list[CatalogField]:
    if catalog is None:
        return []
    return sorted((f for f in catalog.fields(entity) if f.is_custom), key=lambda f: f.label.casefold())


def custom_field_choices(catalog: FieldListing | None, entity: str, key: str | None) -> Listing:
    """A row's drop-down of custom fields, by label (the hash key is what is stored); a key the
    account does not have (or any key, when not connected) is listed as itself."""
    entries = [
        Entry(f"{f.label} ({f.type_label})", f.key, f"Key: {f.key}") for f in _custom_fields(catalog, entity)
    ]
    if key and all(e.value != key for e in entries):
        entries.append(Entry(f"Unknown field {key[:8]}…" if len(key) > 12 else key, key))
    note = (
        catalog_problem(catalog, entity, f"your {entity} fields")
        if catalog is not None
        else "Connect to Pipedrive to choose custom fields by name."
    )
    return Listing(tuple(entries), note)


def first_free_custom_field(catalog: FieldListing | None, entity: str, used: Iterable[object]) -> str | None:
    """The custom field a new row starts with: the first (by label) that no row sets yet."""
    taken = set(used)
    return next((f.key for f in _custom_fields(catalog, entity) if f.key not in taken), None)


def custom_row_field(key: str | None) -> FieldDef:
    """What a custom field's value editor edits: any value, as for a text field."""
    return FieldDef(key or "custom", "Custom field value", "", "string")


def custom_row_start(value: Any) -> Any:
    """What a row's value editor shows first: a new row starts as an empty path."""
    return {"@path": ""} if value is UNSET else value


def custom_fields_value(rows: Iterable[tuple[object, Any]]) -> dict[str, Any]:
    """The ``custom_fields`` object of the rows (field key, value): a row without a field, or still
    being filled in, contributes nothing (it stays on screen until the user picks a value or removes
    it)."""
    out: dict[str, Any] = {}
    for key, value in rows:
        if key and value is not UNSET and not is_unfinished_custom_value(value):
            out[str(key)] = value
    return out


# -- Advanced expressions ---------------------------------------------------------------------------


class ExpressionError(UserError, ValueError):
    """An Advanced expression Segment would not take; ``line`` and ``column`` (1-based) are where
    in its text, for the editor to underline."""

    def __init__(self, user_message: str, line: int, column: int) -> None:
        super().__init__(user_message)
        self.line = line
        self.column = column


def parse_expression(field_key: str, source: str) -> Any:
    """The value of an Advanced expression's JSON text, validated as Segment validates the field
    ``field_key`` of a mapping; raises :class:`ExpressionError` saying why not and where."""
    # Imported here: the validator is needed only once an Advanced field is shown (never the
    # mapping kit's compiler, see tests/gui/test_startup_cost.py).
    from pipedrive_gui.core.json_position import position_of
    from pipedrive_gui.core.mapping_kit import MappingKitError, MappingValidationError, validate_mapping

    try:
        value = json.loads(source)
    except json.JSONDecodeError as exc:
        raise ExpressionError(
            f"Not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            "Your text is kept; the last valid expression is used until it is fixed.",
            exc.lineno,
            exc.colno,
        ) from exc
    try:
        validate_mapping({field_key: value})
    except MappingValidationError as exc:
        messages = "; ".join(p.message for p in exc.problems[:3])
        location = exc.problems[0].location if exc.problems else ()
        # The problem's keys start at the mapping, i.e. with this field; without them (Segment
        # names none for @merge's objects), the top of the text.
        line, column = position_of(source, location[1:]) if location[:1] == (field_key,) else (1, 1)
        raise ExpressionError(f"Segment would reject this expression: {messages}", line, column) from exc
    except MappingKitError as exc:
        raise ExpressionError(f"Segment would reject this expression: {exc}", 1, 1) from exc
    return value
