"""Apply validated changes to the store: create and update for the four v2 entities."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.sandbox.store import SandboxStore, rfc3339


def _split_name(name: str) -> tuple[str, str | None]:
    first, _, last = name.strip().partition(" ")
    return first, (last or None)


def create_v2(store: SandboxStore, entity: str, changes: dict[str, Any]) -> dict[str, Any]:
    now = rfc3339(store.now())
    rec: dict[str, Any] = {
        "id": store.new_id(entity),
        "add_time": now,
        "update_time": now,
        "is_deleted": False,
    }
    custom = dict.fromkeys(store.catalog.custom(entity))
    custom.update(changes.pop("custom_fields", {}) or {})
    rec.update(changes)
    rec["custom_fields"] = custom
    rec.setdefault("owner_id", store.me_id)
    if entity == "person":
        # v2 persons are written by name only; first/last name are derived for the answer.
        rec["first_name"], rec["last_name"] = _split_name(rec["name"])
        rec.setdefault("marketing_status", "no_consent")
    elif entity == "deal":
        rec["creator_user_id"] = store.me_id
        rec.setdefault("currency", store.users[store.me_id].get("default_currency", "EUR"))
        _place_in_pipeline(store, rec)
        rec["stage_change_time"] = now
        _status_times(rec, now)
    elif entity == "activity":
        _person_as_participant(rec, changes)
        types = store.active_type_keys()
        rec.setdefault("type", next(iter(types)) if types else "task")
        rec.setdefault("subject", types.get(rec["type"], {}).get("name", rec["type"]))
        rec["creator_user_id"] = store.me_id
        rec["marked_as_done_time"] = now if rec.get("done") else None
    return store.put(entity, store.complete_v2(entity, rec))


def update_v2(
    store: SandboxStore, entity: str, record: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    now = rfc3339(store.now())
    rec = dict(record)
    custom = dict(rec.get("custom_fields") or {})
    # PATCH leaves custom fields that are not sent untouched (expected; docs/pipedrive-api.md#unconfirmed, item 8).
    custom.update(changes.pop("custom_fields", {}) or {})
    old_status, old_stage, old_done = rec.get("status"), rec.get("stage_id"), rec.get("done")
    rec.update(changes)
    rec["custom_fields"] = custom
    rec["update_time"] = now
    if entity == "person" and "name" in changes:
        rec["first_name"], rec["last_name"] = _split_name(rec["name"])
    if entity == "deal":
        if "stage_id" in changes or "pipeline_id" in changes:
            _place_in_pipeline(store, rec)
        if rec.get("stage_id") != old_stage:
            rec["stage_change_time"] = now
        if rec.get("status") != old_status:
            _status_times(rec, now)
    if entity == "activity":
        _person_as_participant(rec, changes)
    if entity == "activity" and rec.get("done") != old_done:
        rec["marked_as_done_time"] = now if rec.get("done") else None
    return store.put(entity, store.complete_v2(entity, rec))


def delete_v2(store: SandboxStore, entity: str, record: dict[str, Any]) -> None:
    # Soft delete; later GETs answer 404 (unconfirmed: docs/pipedrive-api.md#unconfirmed,
    # item 12; deleted counts as not found, which a 404 makes unambiguous: docs/pipedrive-api.md#lookups).
    rec = dict(record)
    rec["is_deleted"] = True
    rec["update_time"] = rfc3339(store.now())
    store.put(entity, rec)


def _person_as_participant(rec: dict[str, Any], changes: dict[str, Any]) -> None:
    """Activity ``person_id`` (in the SDK model) makes that person the primary participant, unless
    the same body sets ``participants`` (then those decide). What Pipedrive does is UNCONFIRMED (#9)."""
    person_id = changes.get("person_id")
    if person_id is None or "participants" in changes:
        return
    others = [
        dict(p, primary=False) for p in rec.get("participants") or [] if p.get("person_id") != person_id
    ]
    rec["participants"] = [{"person_id": person_id, "primary": True}, *others]


def _place_in_pipeline(store: SandboxStore, rec: dict[str, Any]) -> None:
    stage_id = rec.get("stage_id")
    if stage_id in store.stages:
        rec["pipeline_id"] = store.stages[stage_id]["pipeline_id"]
        return
    pipeline_id = (
        rec.get("pipeline_id") if rec.get("pipeline_id") in store.pipelines else min(store.pipelines)
    )
    stages = sorted(
        (s for s in store.stages.values() if s["pipeline_id"] == pipeline_id), key=lambda s: s["order_nr"]
    )
    rec["pipeline_id"] = pipeline_id
    rec["stage_id"] = stages[0]["id"] if stages else None


def _status_times(rec: dict[str, Any], now: str) -> None:
    status = rec.get("status", "open")
    rec["won_time"] = now if status == "won" else None
    rec["lost_time"] = now if status == "lost" else None
    rec["close_time"] = now if status in ("won", "lost") else None
    if status != "lost":
        rec["lost_reason"] = None
