"""In-memory records of one sandbox instance (a fresh deep copy of the seed per start).

v2 entities (person, organization, deal, activity) are kept in their v2 response shape with a nested
``custom_fields`` object; leads and notes in their v1 response shape (lead custom fields at the root,
v1 format). Ids: integers per entity range, lead ids UUID strings (docs/pipedrive-api.md#leads-api-v1).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox.catalog import FieldCatalog, load_catalog

V2_ENTITIES = ("person", "organization", "deal", "activity")
ALL_ENTITIES = (*V2_ENTITIES, "lead", "note")
PLURAL = {
    "person": "persons",
    "organization": "organizations",
    "deal": "deals",
    "activity": "activities",
    "lead": "leads",
    "note": "notes",
}
SINGULAR = {v: k for k, v in PLURAL.items()}
LABEL = {
    "person": "Person",
    "organization": "Organization",
    "deal": "Deal",
    "activity": "Activity",
    "lead": "Lead",
    "note": "Note",
}


def rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def lead_time(t: datetime) -> str:
    # Lead timestamps are ISO with milliseconds in v1 (e.g. "2020-10-14T11:30:36.551Z").
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class SandboxStore:
    """Every record plus the account facts (company, users, activity types, pipelines)."""

    def __init__(
        self,
        seed: dict[str, Any] | None,
        catalog: FieldCatalog,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.catalog = catalog
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        data = copy.deepcopy(seed) if seed else {}
        self.company: dict[str, Any] = data.get(
            "company",
            {"id": 9001, "name": "Sandbox Co", "domain": "sandbox", "country": "EE", "industry": None},
        )
        self.users: dict[int, dict[str, Any]] = {u["id"]: u for u in data.get("users", [])}
        if not self.users:
            self.users[1] = {
                "id": 1,
                "name": "Sandy Sandbox",
                "email": "sandy@sandbox.example",
                "is_you": True,
            }
        self.me_id = next((u["id"] for u in self.users.values() if u.get("is_you")), min(self.users))
        self.activity_types: list[dict[str, Any]] = [
            self._activity_type(t, i) for i, t in enumerate(data.get("activity_types", []))
        ]
        self.pipelines: dict[int, dict[str, Any]] = {}
        self.stages: dict[int, dict[str, Any]] = {}
        for p in data.get(
            "pipelines", [{"id": 1, "name": "Pipeline", "stages": [{"id": 1, "name": "Qualified"}]}]
        ):
            self.pipelines[p["id"]] = {"id": p["id"], "name": p["name"]}
            for order, s in enumerate(p["stages"]):
                self.stages[s["id"]] = {
                    "id": s["id"],
                    "name": s["name"],
                    "pipeline_id": p["id"],
                    "order_nr": order,
                }
        self.lead_label_ids = {lbl["id"] for lbl in data.get("lead_labels", [])}
        self.records: dict[str, dict[Any, dict[str, Any]]] = {e: {} for e in ALL_ENTITIES}
        # Monotonic time of each record's last write, for the simulated search-index lag.
        self.written_at: dict[tuple[str, Any], float] = {}
        self._next_id = {"person": 101, "organization": 201, "deal": 301, "activity": 401, "note": 501}
        for entity in ALL_ENTITIES:
            for raw in data.get(PLURAL[entity], []):
                rec = self._normalise_seed(entity, raw)
                self.records[entity][rec["id"]] = rec
                if entity in self._next_id:
                    self._next_id[entity] = max(self._next_id[entity], rec["id"] + 1)

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self._clock()

    # -- account facts -------------------------------------------------------------------------
    @staticmethod
    def _activity_type(raw: dict[str, Any], order: int) -> dict[str, Any]:
        return {
            "id": raw["id"],
            "order_nr": raw.get("order_nr", order + 1),
            "name": raw["name"],
            "key_string": raw["key_string"],
            "icon_key": raw.get("icon_key", raw["key_string"]),
            "active_flag": raw.get("active_flag", True),
            "color": raw.get("color"),
            "is_custom_flag": raw.get("is_custom_flag", False),
            "add_time": "2025-06-01 09:00:00",
            "update_time": "2025-06-01 09:00:00",
        }

    def active_type_keys(self) -> dict[str, dict[str, Any]]:
        return {t["key_string"]: t for t in self.activity_types if t["active_flag"]}

    # -- records -------------------------------------------------------------------------------
    def exists(self, entity: str, record_id: Any) -> bool:
        rec = self.records[entity].get(record_id)
        return (
            rec is not None and not rec.get("is_deleted", False) and rec.get("active_flag", True) is not False
        )

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        return self.records[entity].get(record_id) if self.exists(entity, record_id) else None

    def live(self, entity: str) -> list[dict[str, Any]]:
        """Non-deleted records in id order (lead UUIDs: insertion order)."""
        recs = [r for k, r in self.records[entity].items() if self.exists(entity, k)]
        if entity != "lead":
            recs.sort(key=lambda r: r["id"])
        return recs

    def new_id(self, entity: str) -> Any:
        if entity == "lead":
            return str(uuid.uuid4())
        nid = self._next_id[entity]
        self._next_id[entity] = nid + 1
        return nid

    def put(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        self.records[entity][record["id"]] = record
        self.written_at[(entity, record["id"])] = time.monotonic()
        return record

    def written_within(self, entity: str, record_id: Any, seconds: float) -> bool:
        at = self.written_at.get((entity, record_id))
        return at is not None and time.monotonic() - at < seconds

    def display_name(self, entity: str, record: dict[str, Any]) -> str:
        if entity in ("person", "organization"):
            return str(record.get("name") or "")
        if entity in ("deal", "lead"):
            return str(record.get("title") or "")
        if entity == "activity":
            return str(record.get("subject") or "")
        return str(record.get("content") or "")

    # -- seed normalisation ---------------------------------------------------------------------
    def _empty_custom(self, entity: str) -> dict[str, Any]:
        return dict.fromkeys(self.catalog.custom(entity))

    def _normalise_seed(self, entity: str, raw: dict[str, Any]) -> dict[str, Any]:
        rec = dict(raw)
        if entity in V2_ENTITIES:
            rec.setdefault("update_time", rec.get("add_time"))
            rec.setdefault("is_deleted", False)
            custom = self._empty_custom(entity)
            custom.update(rec.get("custom_fields") or {})
            rec["custom_fields"] = custom
            return self.complete_v2(entity, rec)
        if entity == "lead":
            return self.complete_lead(rec)
        return self.complete_note(rec)

    def complete_v2(self, entity: str, rec: dict[str, Any]) -> dict[str, Any]:
        """Fill the keys a v2 response always carries, in Pipedrive's usual order."""
        if entity == "person":
            keys = [
                "id",
                "name",
                "first_name",
                "last_name",
                "owner_id",
                "org_id",
                "add_time",
                "update_time",
                "emails",
                "phones",
                "is_deleted",
                "visible_to",
                "label_ids",
                "picture_id",
                "marketing_status",
            ]
            defaults: dict[str, Any] = {"emails": [], "phones": [], "label_ids": [], "visible_to": 3}
        elif entity == "organization":
            keys = [
                "id",
                "name",
                "owner_id",
                "add_time",
                "update_time",
                "is_deleted",
                "visible_to",
                "label_ids",
                "address",
            ]
            defaults = {"label_ids": [], "visible_to": 3}
        elif entity == "deal":
            keys = [
                "id",
                "title",
                "creator_user_id",
                "owner_id",
                "value",
                "currency",
                "person_id",
                "org_id",
                "pipeline_id",
                "stage_id",
                "status",
                "probability",
                "lost_reason",
                "visible_to",
                "close_time",
                "won_time",
                "lost_time",
                "expected_close_date",
                "label_ids",
                "is_deleted",
                "is_archived",
                "archive_time",
                "add_time",
                "update_time",
                "stage_change_time",
            ]
            defaults = {
                "value": 0,
                "currency": "EUR",
                "status": "open",
                "label_ids": [],
                "visible_to": 3,
                "is_archived": False,
            }
        else:
            keys = [
                "id",
                "subject",
                "type",
                "owner_id",
                "creator_user_id",
                "is_deleted",
                "add_time",
                "update_time",
                "deal_id",
                "lead_id",
                "person_id",
                "org_id",
                "project_id",
                "due_date",
                "due_time",
                "duration",
                "busy",
                "done",
                "marked_as_done_time",
                "location",
                "participants",
                "attendees",
                "public_description",
                "note",
                "priority",
            ]
            defaults = {"busy": False, "done": False, "participants": [], "attendees": []}
            primary = [p for p in rec.get("participants") or [] if p.get("primary")]
            # person_id mirrors the primary participant (a written person_id became one, writes.py).
            rec["person_id"] = primary[0]["person_id"] if primary else None
        out = {k: rec.get(k, defaults.get(k)) for k in keys}
        out["custom_fields"] = rec.get("custom_fields", {})
        return out

    def complete_lead(self, rec: dict[str, Any]) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": rec["id"],
            "title": rec.get("title"),
            "owner_id": rec.get("owner_id", self.me_id),
            "creator_id": rec.get("creator_id", self.me_id),
            "label_ids": rec.get("label_ids", []),
            "person_id": rec.get("person_id"),
            "organization_id": rec.get("organization_id"),
            "source_name": rec.get("source_name", "Manually created"),
            "origin": rec.get("origin", "ManuallyCreated"),
            "origin_id": rec.get("origin_id"),
            "channel": rec.get("channel"),
            "channel_id": rec.get("channel_id"),
            "is_archived": rec.get("is_archived", False),
            "was_seen": rec.get("was_seen", False),
            "value": rec.get("value"),
            "expected_close_date": rec.get("expected_close_date"),
            "next_activity_id": rec.get("next_activity_id"),
            "add_time": rec.get("add_time"),
            "update_time": rec.get("update_time", rec.get("add_time")),
            "visible_to": rec.get("visible_to", "3"),
            "cc_email": f"sandbox+lead{str(rec['id'])[:8]}@pipedrivemail.com",
        }
        for key in self.catalog.custom("lead"):
            base[key] = rec.get(key)
            if self.catalog.custom("lead")[key].field_type == "monetary":
                base[f"{key}_currency"] = rec.get(f"{key}_currency")
        return base

    def complete_note(self, rec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": rec["id"],
            "user_id": rec.get("user_id", self.me_id),
            "deal_id": rec.get("deal_id"),
            "person_id": rec.get("person_id"),
            "org_id": rec.get("org_id"),
            "lead_id": rec.get("lead_id"),
            "project_id": rec.get("project_id"),
            "task_id": rec.get("task_id"),
            "content": rec.get("content", ""),
            "add_time": rec.get("add_time"),
            "update_time": rec.get("update_time", rec.get("add_time")),
            "active_flag": rec.get("active_flag", True),
        }
        for target in ("deal", "organization", "person", "lead", "project", "task"):
            flag = f"pinned_to_{target}_flag"
            out[flag] = bool(rec.get(flag, False))
        return out


def load_seed(path: Path | None = None) -> dict[str, Any]:
    target = path if path is not None else resource_path("sandbox", "seed.json")
    data: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return data


def new_store(
    seed: bool | dict[str, Any] = True, clock: Callable[[], datetime] | None = None
) -> SandboxStore:
    """A store with the bundled seed (``True``), no records (``False``) or the given seed dict."""
    catalog = load_catalog()
    if seed is True:
        data: dict[str, Any] | None = load_seed()
    elif seed is False:
        # Keep the account facts (company, users, types, pipelines) so the app still works.
        full = load_seed()
        data = {k: v for k, v in full.items() if k not in PLURAL.values()}
    else:
        data = seed
    return SandboxStore(data, catalog, clock)
