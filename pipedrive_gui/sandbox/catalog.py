"""The sandbox's field catalog: system fields + the seeded custom fields, served as v2 and v1 JSON.

Custom fields come from ``resources/sandbox/custom_fields.json`` (keys, types and option ids used
exactly); system fields from ``standard_fields.json``. Leads have no custom fields of their own:
"leads inherit all deals' custom fields" (docs/pipedrive-api.md#field-lists), so the lead catalog
reuses the deal ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipedrive_gui.core.actions import ENTITIES
from pipedrive_gui.resources import resource_path

# Custom field types itemSearch/field can search (docs/pipedrive-api.md#match-fields).
ITEM_SEARCH_TYPES = frozenset({"address", "varchar", "text", "varchar_auto", "double", "monetary", "phone"})

# System fields entity search serves (docs/pipedrive-api.md#match-fields); also what v1 reports as searchable.
SYSTEM_SEARCHABLE = {
    "person": frozenset({"name", "email", "phone"}),
    "organization": frozenset({"name", "address"}),
    "deal": frozenset({"title"}),
    "lead": frozenset({"title"}),
    "activity": frozenset(),
    "note": frozenset(),
}

#: The parts of an address field (a v2 address value's keys: the SDK's ``OrganizationItemAddress``),
#: listed as the field's subfields; the whole address is ``value``.
ADDRESS_SUBFIELDS = (
    ("value", "Full address"),
    ("country", "Country"),
    ("admin_area_level_1", "State/county"),
    ("admin_area_level_2", "Region"),
    ("locality", "City/town/village/locality"),
    ("sublocality", "District/sublocality"),
    ("route", "Street/road name"),
    ("street_number", "House number"),
    ("subpremise", "Apartment/suite no"),
    ("postal_code", "ZIP/Postal code"),
)

# Fixed times so field JSON is stable between runs (v1 fields carry add/update times).
_FIELD_TIME_V1 = "2025-06-01 09:00:00"
_FIELD_TIME_V2 = "2025-06-01T09:00:00Z"


@dataclass(frozen=True)
class FieldDef:
    entity: str
    code: str
    name: str
    field_type: str
    is_custom: bool
    options: tuple[dict[str, Any], ...] | None = None
    v1_key: str | None = None
    order: int = 0
    option_ids: frozenset[Any] = field(default=frozenset())

    @property
    def searchable(self) -> bool:
        if self.is_custom:
            return self.field_type in ITEM_SEARCH_TYPES
        return self.code in SYSTEM_SEARCHABLE.get(self.entity, frozenset())

    def to_v2(self, include: frozenset[str] = frozenset()) -> dict[str, Any]:
        options = None
        if self.options is not None:
            options = [
                {
                    "id": o["id"],
                    "label": o["label"],
                    "color": o.get("color"),
                    "add_time": _FIELD_TIME_V2,
                    "update_time": _FIELD_TIME_V2,
                }
                for o in self.options
            ]
        subfields = None
        if self.field_type == "monetary":
            subfields = [
                {"field_code": "value", "field_name": "Value", "field_type": "double"},
                {"field_code": "currency", "field_name": "Currency", "field_type": "varchar"},
            ]
        elif self.field_type == "address":
            subfields = [
                {"field_code": code, "field_name": name, "field_type": "varchar"}
                for code, name in ADDRESS_SUBFIELDS
            ]
        out: dict[str, Any] = {
            "field_code": self.code,
            "field_name": self.name,
            "field_type": self.field_type,
            "is_custom_field": self.is_custom,
            "is_optional_response_field": False,
            "options": options,
            "subfields": subfields,
        }
        for extra in sorted(include):
            out[extra] = {}
        return out

    def to_v1(self, numeric_id: int) -> list[dict[str, Any]]:
        key = self.v1_key or self.code
        row: dict[str, Any] = {
            "id": numeric_id,
            "key": key,
            "name": self.name,
            "order_nr": self.order,
            "field_type": self.field_type,
            "add_time": _FIELD_TIME_V1,
            "update_time": _FIELD_TIME_V1,
            "last_updated_by_user_id": 1,
            "active_flag": True,
            "edit_flag": self.is_custom,
            "index_visible_flag": True,
            "details_visible_flag": True,
            "add_visible_flag": True,
            "important_flag": False,
            "bulk_edit_allowed": True,
            "searchable_flag": self.searchable,
            "filtering_allowed": True,
            "sortable_flag": True,
            "mandatory_flag": self.code in ("name", "title", "content"),
            "options": [{"id": o["id"], "label": o["label"]} for o in self.options]
            if self.options is not None
            else None,
            "options_deleted": [],
            "is_subfield": False,
        }
        rows = [row]
        if self.is_custom and self.field_type == "monetary":
            # v1 lists the currency part of a monetary field as its own row (docs/pipedrive-api.md#field-lists).
            rows.append(
                {
                    **row,
                    "id": None,
                    "key": f"{key}_currency",
                    "name": f"Currency of {self.name}",
                    "field_type": "varchar",
                    "options": None,
                    "searchable_flag": False,
                    "is_subfield": True,
                }
            )
            row["subfields"] = [
                {"key": f"{key}_currency", "name": f"Currency of {self.name}", "field_type": "varchar"}
            ]
        if self.is_custom and self.field_type == "address":
            # v1 lists each part of a custom address as its own row, keyed <key>_<part>.
            parts = [(f"{key}_{code}", f"{name} of {self.name}") for code, name in ADDRESS_SUBFIELDS[1:]]
            rows += [
                {
                    **row,
                    "id": None,
                    "key": k,
                    "name": n,
                    "field_type": "varchar",
                    "options": None,
                    "searchable_flag": False,
                    "is_subfield": True,
                }
                for k, n in parts
            ]
            row["subfields"] = [{"key": k, "name": n, "field_type": "varchar"} for k, n in parts]
        return rows


class FieldCatalog:
    """All fields per entity, in display order: system fields first, then custom fields."""

    def __init__(self, fields: dict[str, list[FieldDef]]) -> None:
        self._fields = fields
        self._by_code = {e: {f.code: f for f in fs} for e, fs in fields.items()}

    def fields(self, entity: str) -> list[FieldDef]:
        return list(self._fields.get(entity, []))

    def get(self, entity: str, code: str) -> FieldDef | None:
        return self._by_code.get(entity, {}).get(code)

    def custom(self, entity: str) -> dict[str, FieldDef]:
        return {f.code: f for f in self._fields.get(entity, []) if f.is_custom}

    def v1_rows(self, entity: str) -> list[dict[str, Any]]:
        # v1 numeric field ids: a distinct range per entity so they look like real ids.
        base = (ENTITIES.index(entity) + 1) * 1000 if entity in ENTITIES else 9000
        rows: list[dict[str, Any]] = []
        for i, f in enumerate(self._fields.get(entity, [])):
            rows.extend(f.to_v1(base + i + 1))
        return rows


def _read_json(path: Path | None, *parts: str) -> Any:
    target = path if path is not None else resource_path(*parts)
    return json.loads(target.read_text(encoding="utf-8"))


def _field(entity: str, raw: dict[str, Any], *, custom: bool, order: int) -> FieldDef:
    options = raw.get("options")
    opts = tuple(dict(o) for o in options) if options is not None else None
    return FieldDef(
        entity=entity,
        code=raw["key"] if custom else raw["field_code"],
        name=raw["label"] if custom else raw["field_name"],
        field_type=raw["field_type"],
        is_custom=custom,
        options=opts,
        v1_key=raw.get("v1_key"),
        order=order,
        option_ids=frozenset(o["id"] for o in opts) if opts else frozenset(),
    )


def load_catalog(standard_path: Path | None = None, custom_path: Path | None = None) -> FieldCatalog:
    standard = _read_json(standard_path, "sandbox", "standard_fields.json")
    custom = _read_json(custom_path, "sandbox", "custom_fields.json")["fields"]
    out: dict[str, list[FieldDef]] = {}
    for entity in ENTITIES:
        fields = [
            _field(entity, raw, custom=False, order=i) for i, raw in enumerate(standard.get(entity, []))
        ]
        customs = custom.get("deal", []) if entity == "lead" else custom.get(entity, [])
        start = len(fields)
        fields += [_field(entity, raw, custom=True, order=start + i) for i, raw in enumerate(customs)]
        out[entity] = fields
    return FieldCatalog(out)
