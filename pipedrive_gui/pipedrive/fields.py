"""Field catalog: every person/organization/deal/activity/lead/note field plus activity types.

Used for the match-field dropdowns ("which fields can identify a record"), for choosing custom
fields by label, and for encoding values by field type. Fetched concurrently, following
pagination; cached per company domain as JSON under the cache dir (no secret in it), with the
time it was fetched so the UI can say how old it is and offer a refresh.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from pipedrive_gui.core.actions import ENTITIES, ENTITY_PLURAL
from pipedrive_gui.core.wording import with_article
from pipedrive_gui.pipedrive.errors import NotFoundError, PlanError

CACHE_VERSION = 1

#: Custom field types ``itemSearch/field`` can search (docs/pipedrive-api.md#match-fields).
_SEARCHABLE_ORDER = ("varchar", "text", "varchar_auto", "double", "monetary", "phone", "address")
SEARCHABLE_CUSTOM_TYPES = frozenset(_SEARCHABLE_ORDER)
#: System fields that entity search endpoints can match (docs/pipedrive-api.md#match-fields).
SEARCHABLE_SYSTEM_FIELDS: Mapping[str, frozenset[str]] = {
    "person": frozenset({"name", "email", "phone"}),
    "organization": frozenset({"name", "address"}),
    "deal": frozenset({"title"}),
    "lead": frozenset({"title"}),
}
#: Entities whose records Pipedrive can search at all (activities and notes are found by id).
SEARCHABLE_ENTITIES = frozenset(SEARCHABLE_SYSTEM_FIELDS)

#: How Pipedrive's own UI names each field type.
TYPE_LABELS = {
    "varchar": "Text",
    "varchar_auto": "Autocomplete",
    "text": "Large text",
    "double": "Numerical",
    "int": "Number",
    "monetary": "Monetary",
    "phone": "Phone",
    "address": "Address",
    "date": "Date",
    "daterange": "Date range",
    "time": "Time",
    "timerange": "Time range",
    "enum": "Single option",
    "set": "Multiple options",
    "user": "User",
    "org": "Organization",
    "people": "Person",
    "deal": "Deal",
    "lead": "Lead",
    "boolean": "Yes/No",
    "stage": "Pipeline stage",
    "status": "Status",
    "visible_to": "Visibility",
    "varchar_options": "Text options",
    "json": "Structured data",
    "picture": "Picture",
    "activity": "Activity",
    "project": "Project",
}

_HEX_KEY = re.compile(r"^[0-9a-f]{40}$")


class FieldSource(Protocol):
    """What fetch_catalog needs from a client (PipedriveClient satisfies it)."""

    async def list_fields(self, entity: str) -> list[dict[str, Any]]: ...

    async def list_activity_types(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class FieldOption:
    id: int | str
    label: str


@dataclass(frozen=True)
class PipedriveField:
    entity: str
    key: str
    label: str
    field_type: str
    options: tuple[FieldOption, ...] = ()
    is_custom: bool = False
    #: Can this field identify a record (be a match field)?
    searchable: bool = False
    #: Why not, in words a user understands (None when searchable).
    not_searchable_reason: str | None = None
    #: How a match on this field is looked up: "id" (direct GET), "item_search" (itemSearch/field
    #: on a custom field), "entity_search" (persons/search etc. on a system field), or None.
    match_via: str | None = None
    #: Parts of composite fields (monetary → value/currency, address → route/locality, ...).
    subfields: tuple[str, ...] = ()
    mandatory: bool = False

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.field_type, self.field_type)

    def option_by_label(self, label: str) -> FieldOption | None:
        for option in self.options:
            if option.label == label:
                return option
        folded = label.casefold()
        matches = [o for o in self.options if o.label.casefold() == folded]
        return matches[0] if len(matches) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "key": self.key,
            "label": self.label,
            "field_type": self.field_type,
            "options": [{"id": o.id, "label": o.label} for o in self.options],
            "is_custom": self.is_custom,
            "searchable": self.searchable,
            "not_searchable_reason": self.not_searchable_reason,
            "match_via": self.match_via,
            "subfields": list(self.subfields),
            "mandatory": self.mandatory,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PipedriveField:
        return cls(
            entity=str(d["entity"]),
            key=str(d["key"]),
            label=str(d["label"]),
            field_type=str(d["field_type"]),
            options=tuple(FieldOption(o["id"], str(o["label"])) for o in d.get("options") or ()),
            is_custom=bool(d.get("is_custom")),
            searchable=bool(d.get("searchable")),
            not_searchable_reason=d.get("not_searchable_reason"),
            match_via=d.get("match_via"),
            subfields=tuple(d.get("subfields") or ()),
            mandatory=bool(d.get("mandatory")),
        )


@dataclass(frozen=True)
class ActivityType:
    id: int | None
    name: str
    key_string: str
    active: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "key_string": self.key_string, "active": self.active}


@dataclass
class FieldCatalog:
    """All fields of one company, as fetched at ``fetched_at`` (UTC)."""

    domain: str
    fetched_at: datetime
    fields_by_entity: dict[str, tuple[PipedriveField, ...]]
    activity_types: tuple[ActivityType, ...] = ()
    #: Entities whose fields could not be fetched, with the user-facing reason.
    problems: dict[str, str] = field(default_factory=dict)

    def fields(self, entity: str) -> tuple[PipedriveField, ...]:
        return self.fields_by_entity.get(entity, ())

    def by_key(self, entity: str, key: str) -> PipedriveField | None:
        for f in self.fields(entity):
            if f.key == key:
                return f
        return None

    def by_label(self, entity: str, label: str) -> PipedriveField | None:
        """Exact label first; else a case-insensitive match if it is unambiguous."""
        fields = self.fields(entity)
        for f in fields:
            if f.label == label:
                return f
        folded = label.strip().casefold()
        matches = [f for f in fields if f.label.casefold() == folded]
        return matches[0] if len(matches) == 1 else None

    def match_fields(self, entity: str) -> tuple[PipedriveField, ...]:
        """Fields that can identify a record of ``entity`` (the match-field dropdown)."""
        return tuple(f for f in self.fields(entity) if f.searchable)

    def custom_field_labels(self) -> dict[str, str]:
        """Custom-field key -> label over every entity (what the export checklist names them by)."""
        labels: dict[str, str] = {}
        for fields in self.fields_by_entity.values():
            for f in fields:
                if f.is_custom:
                    labels[f.key] = f.label
        return labels

    def active_activity_types(self) -> tuple[ActivityType, ...]:
        return tuple(t for t in self.activity_types if t.active)

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(timezone.utc)) - self.fetched_at

    def age_text(self, now: datetime | None = None) -> str:
        """ "fetched just now" / "fetched 5 minutes ago" / "fetched 3 days ago"."""
        seconds = max(0, int(self.age(now).total_seconds()))
        if seconds < 60:
            return "fetched just now"
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
            if seconds >= size:
                n = seconds // size
                return f"fetched {n} {unit}{'s' if n != 1 else ''} ago"
        return "fetched just now"  # pragma: no cover

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": CACHE_VERSION,
            "domain": self.domain,
            "fetched_at": self.fetched_at.isoformat(),
            "fields": {e: [f.to_dict() for f in fs] for e, fs in self.fields_by_entity.items()},
            "activity_types": [t.to_dict() for t in self.activity_types],
            "problems": dict(self.problems),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FieldCatalog:
        if d.get("version") != CACHE_VERSION:
            raise ValueError("unsupported field cache version")
        fetched = datetime.fromisoformat(str(d["fetched_at"]))
        if fetched.tzinfo is None:
            fetched = fetched.replace(tzinfo=timezone.utc)
        return cls(
            domain=str(d["domain"]),
            fetched_at=fetched,
            fields_by_entity={
                str(e): tuple(PipedriveField.from_dict(f) for f in fs) for e, fs in d["fields"].items()
            },
            activity_types=tuple(
                ActivityType(t.get("id"), str(t["name"]), str(t["key_string"]), bool(t.get("active", True)))
                for t in d.get("activity_types") or ()
            ),
            problems={str(k): str(v) for k, v in (d.get("problems") or {}).items()},
        )


# -- normalising Pipedrive's field objects (v2 and v1 shapes) ---------------------------------------


def parse_field(entity: str, raw: Mapping[str, Any]) -> PipedriveField | None:
    """One v2 (``field_code``/``field_name``) or v1 (``key``/``name``) field object → PipedriveField.

    Returns None for v1 subfield rows and inactive fields (v2 nests those / leaves them out).
    """
    if raw.get("is_subfield") or raw.get("active_flag") is False:
        return None
    key = raw.get("field_code", raw.get("key"))
    if not isinstance(key, str) or not key:
        return None
    label = str(raw.get("field_name", raw.get("name")) or key)
    field_type = str(raw.get("field_type") or "varchar")
    if "is_custom_field" in raw:
        is_custom = bool(raw["is_custom_field"])
    else:
        is_custom = bool(_HEX_KEY.match(key))
    options = tuple(
        FieldOption(_option_id(o.get("id")), str(o.get("label", "")))
        for o in raw.get("options") or ()
        if isinstance(o, Mapping) and o.get("id") is not None
    )
    subfields = tuple(
        str(s.get("field_code", s.get("key", "")))
        for s in raw.get("subfields") or ()
        if isinstance(s, Mapping)
    )
    searchable, reason, via = _searchability(entity, key, label, field_type, is_custom)
    return PipedriveField(
        entity=entity,
        key=key,
        label=label,
        field_type=field_type,
        options=options,
        is_custom=is_custom,
        searchable=searchable,
        not_searchable_reason=reason,
        match_via=via,
        subfields=subfields,
        mandatory=bool(raw.get("mandatory_flag")),
    )


def _option_id(value: Any) -> int | str:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) else str(value)


def _searchability(
    entity: str, key: str, label: str, field_type: str, is_custom: bool
) -> tuple[bool, str | None, str | None]:
    things = ENTITY_PLURAL.get(entity, entity)
    if entity not in SEARCHABLE_ENTITIES:
        return (
            False,
            (f"Pipedrive cannot search {things} by field; {things} are updated by their ID only."),
            None,
        )
    if key == "id":
        return True, None, "id"
    if is_custom:
        if field_type in SEARCHABLE_CUSTOM_TYPES:
            return True, None, "item_search"
        allowed = ", ".join(TYPE_LABELS[t] for t in _SEARCHABLE_ORDER)
        return (
            False,
            (
                f"Pipedrive can only search custom fields of these types: {allowed}. "
                f"“{label}” is {with_article(TYPE_LABELS.get(field_type, field_type))} field."
            ),
            None,
        )
    if key in SEARCHABLE_SYSTEM_FIELDS.get(entity, ()):
        return True, None, "entity_search"
    names = ", ".join(sorted(SEARCHABLE_SYSTEM_FIELDS[entity]))
    return (
        False,
        (
            f"Pipedrive cannot search {things} by the built-in field “{label}”. Use ID, "
            f"{names}, or a text/number custom field."
        ),
        None,
    )


def _id_field(entity: str) -> PipedriveField:
    searchable, reason, via = _searchability(entity, "id", "ID", "int", False)
    return PipedriveField(
        entity=entity,
        key="id",
        label="ID",
        field_type="int",
        searchable=searchable,
        not_searchable_reason=reason,
        match_via=via,
    )


def parse_fields(entity: str, raws: Iterable[Mapping[str, Any]]) -> tuple[PipedriveField, ...]:
    out: list[PipedriveField] = []
    seen: set[str] = set()
    for raw in raws:
        parsed = parse_field(entity, raw)
        if parsed is not None and parsed.key not in seen:
            seen.add(parsed.key)
            out.append(parsed)
    if "id" not in seen and entity in SEARCHABLE_ENTITIES:
        # Records can always be matched by their Pipedrive ID, listed or not.
        out.insert(0, _id_field(entity))
    return tuple(out)


def parse_activity_types(raws: Iterable[Mapping[str, Any]]) -> tuple[ActivityType, ...]:
    types = []
    for raw in raws:
        key = raw.get("key_string")
        if not isinstance(key, str) or not key:
            continue
        ident = raw.get("id")
        types.append(
            ActivityType(
                id=ident if isinstance(ident, int) else None,
                name=str(raw.get("name") or key),
                key_string=key,
                active=raw.get("active_flag") is not False,
            )
        )
    return tuple(types)


# -- fetching -----------------------------------------------------------------------------------------


async def fetch_catalog(
    client: FieldSource, *, domain: str = "", entities: Sequence[str] = ENTITIES
) -> FieldCatalog:
    """Fetch every entity's fields and the activity types concurrently.

    A 403/404 for one entity (e.g. activity fields need admin rights) is recorded in ``problems``
    and that entity is left empty; any other failure (bad token, network, rate limit) cancels the
    rest and is raised.
    """

    async def one(entity: str) -> tuple[tuple[PipedriveField, ...], str | None]:
        try:
            return parse_fields(entity, await client.list_fields(entity)), None
        except (NotFoundError, PlanError) as exc:
            if getattr(exc, "blocked", False):
                raise
            return (), exc.user_message

    async def types() -> tuple[tuple[ActivityType, ...], str | None]:
        try:
            return parse_activity_types(await client.list_activity_types()), None
        except (NotFoundError, PlanError) as exc:
            if getattr(exc, "blocked", False):
                raise
            return (), exc.user_message

    field_tasks = [asyncio.ensure_future(one(e)) for e in entities]
    types_task = asyncio.ensure_future(types())
    every: list[asyncio.Future[Any]] = [*field_tasks, types_task]
    try:
        await asyncio.gather(*every)
    except BaseException:
        # First failure (or our own cancellation): stop the other fetches before raising.
        for task in every:
            task.cancel()
        await asyncio.gather(*every, return_exceptions=True)
        raise
    catalog = FieldCatalog(domain=domain, fetched_at=datetime.now(timezone.utc), fields_by_entity={})
    for entity, task in zip(entities, field_tasks, strict=True):
        fields, problem = task.result()
        catalog.fields_by_entity[entity] = fields
        if problem:
            catalog.problems[entity] = problem
    _inherit_deal_custom_fields(catalog)
    catalog.activity_types, problem = types_task.result()
    if problem:
        catalog.problems["activity_types"] = problem
    return catalog


def _inherit_deal_custom_fields(catalog: FieldCatalog) -> None:
    """Leads use the deals' custom fields (docs/pipedrive-api.md#field-lists): add any that leadFields did not list."""
    leads, deals = catalog.fields_by_entity.get("lead"), catalog.fields_by_entity.get("deal")
    if leads is None or not deals:
        return
    have = {f.key for f in leads}
    extra = []
    for f in deals:
        if f.is_custom and f.key not in have:
            searchable, reason, via = _searchability("lead", f.key, f.label, f.field_type, True)
            extra.append(
                replace(f, entity="lead", searchable=searchable, not_searchable_reason=reason, match_via=via)
            )
    if extra:
        catalog.fields_by_entity["lead"] = (*leads, *extra)


# -- cache --------------------------------------------------------------------------------------------


def cache_path(cache_dir: Path | str, domain: str) -> Path:
    safe = re.sub(r"[^a-z0-9._-]+", "_", domain.lower()) or "default"
    return Path(cache_dir) / "fields" / f"{safe}.json"


def load_cached(cache_dir: Path | str, domain: str) -> FieldCatalog | None:
    """The cached catalog for ``domain``, or None when absent, unreadable or from another version."""
    path = cache_path(cache_dir, domain)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        catalog = FieldCatalog.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return catalog if catalog.domain == domain else None


def save_cache(cache_dir: Path | str, catalog: FieldCatalog) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a cache."""
    path = cache_path(cache_dir, catalog.domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fields-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(catalog.to_dict(), fh, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


async def get_catalog(
    client: FieldSource,
    cache_dir: Path | str,
    domain: str,
    *,
    refresh: bool = False,
    max_age: timedelta | None = None,
) -> FieldCatalog:
    """Cached catalog unless ``refresh`` or older than ``max_age``; fetched (and cached) otherwise."""
    if not refresh:
        cached = load_cached(cache_dir, domain)
        if cached is not None and (max_age is None or cached.age() <= max_age):
            return cached
    catalog = await fetch_catalog(client, domain=domain)
    save_cache(cache_dir, catalog)
    return catalog


__all__ = [
    "ENTITIES",
    "ActivityType",
    "FieldCatalog",
    "FieldOption",
    "PipedriveField",
    "cache_path",
    "fetch_catalog",
    "get_catalog",
    "load_cached",
    "parse_activity_types",
    "parse_field",
    "parse_fields",
    "save_cache",
]
