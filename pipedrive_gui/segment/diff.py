"""What a push would change: the pure difference between a project and a Segment destination.

Input: the project, the destination's subscriptions (Public API read shape) and its settings. Output:
a :class:`PushPlan`, one :class:`PlanItem` per mapping and per subscription:

- ``create``: no subscription of this mapping in the destination;
- ``update``: paired with a subscription that differs; ``changes`` lists each differing field
  (``name``, ``trigger``, ``enabled``, ``settings.<key>``) and ``body`` is the update input (only the
  changed fields; ``settings`` whole, as Segment replaces it);
- ``unchanged``;
- ``only_in_segment``: a subscription no mapping pairs with, left alone; ``delete`` instead when the
  user asked to delete what the project does not have.

Pairing: a mapping's remembered ``subscription_id`` when the project is linked to this destination
(so a renamed mapping updates its subscription), else the first unpaired subscription with the same
name and action. Destination settings (domain and the match-field defaults; never the API token)
that differ are listed in ``settings`` and sent only when asked (``push_settings``).

No I/O here; :mod:`pipedrive_gui.segment.push` sends the plan.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pipedrive_gui.core.project import Mapping, Project, SegmentLink
from pipedrive_gui.core.segment_io import action_id_for, action_title, slug_for_action_id

Kind = Literal["create", "update", "unchanged", "only_in_segment", "delete"]

#: Project destination attribute -> Actions Pipedrive destination setting, and Segment's default.
DESTINATION_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("domain", "domain", "", "Domain"),
    ("person_field", "personField", "id", "External ID field for a Person"),
    ("organization_field", "organizationField", "id", "External ID field for an Organization"),
    ("deal_field", "dealField", "id", "External ID field for a Deal"),
)
#: Destination settings that may be read into a project; everything else (apiToken) is never kept.
SAFE_SETTING_KEYS = frozenset(k for _, k, _, _ in DESTINATION_SETTINGS)


class _Missing:
    def __repr__(self) -> str:
        return "(not set)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Change:
    """One field that differs. ``before`` is Segment's value, ``after`` the project's; either may be
    :data:`MISSING` (a setting only one side has)."""

    field: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.field}: {show(self.before)} → {show(self.after)}"


@dataclass
class PlanItem:
    kind: Kind
    name: str
    action: str  # slug; "" for a subscription of an action this app does not know
    mapping_id: str | None = None
    subscription_id: str | None = None
    changes: list[Change] = field(default_factory=list)
    body: dict[str, Any] | None = None  # create: CreateInput; update: the "input" object
    matched_by: str | None = None  # "subscription id" | "name"
    remote_name: str | None = None

    @property
    def sends(self) -> bool:
        return self.kind in ("create", "update", "delete")

    def title(self) -> str:
        what = action_title(self.action) if self.action else "unknown action"
        return f"“{self.name}” ({what})"


@dataclass(frozen=True)
class SettingChange:
    key: str  # Segment's setting key, e.g. "personField"
    label: str
    before: Any
    after: Any


@dataclass
class PushPlan:
    destination_id: str
    items: list[PlanItem]
    settings: list[SettingChange] = field(default_factory=list)
    delete_missing: bool = False
    push_settings: bool = False

    def of(self, kind: Kind) -> list[PlanItem]:
        return [i for i in self.items if i.kind == kind]

    @property
    def to_send(self) -> list[PlanItem]:
        return [i for i in self.items if i.sends]

    @property
    def settings_body(self) -> dict[str, Any]:
        return {s.key: s.after for s in self.settings} if self.push_settings else {}

    @property
    def request_count(self) -> int:
        return len(self.to_send) + (1 if self.settings_body else 0)

    @property
    def nothing_to_change(self) -> bool:
        return self.request_count == 0

    def summary(self) -> str:
        if self.nothing_to_change:
            extra = ""
            if self.settings and not self.push_settings:
                extra = f" ({len(self.settings)} destination setting(s) differ and are not pushed)"
            return "Nothing to change: the destination already has this project's mappings" + extra
        parts = [
            f"{len(self.of('create'))} to create",
            f"{len(self.of('update'))} to update",
            f"{len(self.of('delete'))} to delete",
            f"{len(self.of('unchanged'))} unchanged",
            f"{len(self.of('only_in_segment'))} only in Segment (left alone)",
        ]
        text = ", ".join(p for p in parts if not p.startswith("0 "))
        if self.settings:
            text += f"; {len(self.settings)} destination setting(s) differ" + (
                "" if self.push_settings else " (not pushed)"
            )
        return text

    def describe(self) -> str:
        """The plan as text (``--dry-run``)."""
        labels = {
            "create": "+ create",
            "update": "~ update",
            "delete": "- delete",
            "unchanged": "= unchanged",
            "only_in_segment": "? only in Segment (left alone; --delete-missing deletes it)",
        }
        lines = [self.summary() + "."]
        for kind in ("create", "update", "delete", "only_in_segment", "unchanged"):
            for item in self.of(kind):
                sid = f" [{item.subscription_id}]" if item.subscription_id else ""
                lines.append(f"{labels[kind]} {item.title()}{sid}")
                if kind == "update" and item.remote_name and item.remote_name != item.name:
                    lines.append(f"      (in Segment: “{item.remote_name}”)")
                for change in item.changes:
                    lines.append(f"      {change.describe()}")
        if self.settings:
            head = "Destination settings that differ" + (
                "" if self.push_settings else " (not pushed; --push-settings sends them)"
            )
            lines.append(head + ":")
            for s in self.settings:
                lines.append(f"      {s.label} ({s.key}): {show(s.before)} → {show(s.after)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        def val(v: Any) -> Any:
            return None if v is MISSING else v

        return {
            "destinationId": self.destination_id,
            "summary": self.summary(),
            "nothingToChange": self.nothing_to_change,
            "items": [
                {
                    "kind": i.kind,
                    "name": i.name,
                    "action": i.action,
                    "mappingId": i.mapping_id,
                    "subscriptionId": i.subscription_id,
                    "matchedBy": i.matched_by,
                    "changes": [
                        {"field": c.field, "segment": val(c.before), "project": val(c.after)}
                        for c in i.changes
                    ],
                }
                for i in self.items
            ],
            "settings": [
                {"key": s.key, "segment": val(s.before), "project": val(s.after)} for s in self.settings
            ],
            "pushSettings": self.push_settings,
        }


def show(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "…"


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON documents (``true`` is not ``1``; key order does not matter)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def remote_slug(sub: dict[str, Any]) -> str:
    slug = slug_for_action_id(str(sub.get("actionId") or ""))
    if slug is None and isinstance(sub.get("actionSlug"), str):
        from pipedrive_gui.core.actions import ACTION_SLUGS

        slug = sub["actionSlug"] if sub["actionSlug"] in ACTION_SLUGS else None
    return slug or ""


def create_body(m: Mapping) -> dict[str, Any]:
    """``CreateDestinationSubscriptionAlphaInput`` for a mapping."""
    return {
        "name": m.name,
        "actionId": action_id_for(m.action),
        "trigger": m.trigger,
        "enabled": m.enabled,
        "settings": copy.deepcopy(m.settings),
    }


def compare(m: Mapping, sub: dict[str, Any]) -> tuple[list[Change], dict[str, Any]]:
    """The differing fields of a mapping and its subscription, and the update input for them."""
    changes: list[Change] = []
    body: dict[str, Any] = {}
    for key, mine in (("name", m.name), ("trigger", m.trigger), ("enabled", m.enabled)):
        theirs = sub.get(key, MISSING)
        if theirs is MISSING or not _same(theirs, mine):
            changes.append(Change(key, theirs, mine))
            body[key] = mine
    remote_settings = sub.get("settings") if isinstance(sub.get("settings"), dict) else {}
    assert isinstance(remote_settings, dict)
    setting_changes = []
    for key in list(m.settings) + [k for k in remote_settings if k not in m.settings]:
        theirs = remote_settings.get(key, MISSING)
        mine = m.settings.get(key, MISSING)
        if theirs is MISSING or mine is MISSING or not _same(theirs, mine):
            setting_changes.append(Change(f"settings.{key}", theirs, mine))
    if setting_changes:
        changes.extend(setting_changes)
        body["settings"] = copy.deepcopy(m.settings)
    return changes, body


def settings_diff(project: Project, remote: dict[str, Any]) -> list[SettingChange]:
    out = []
    for attr, key, default, label in DESTINATION_SETTINGS:
        mine = getattr(project.destination, attr)
        if key == "domain" and not mine:
            continue  # the project does not know the company domain: nothing to propose
        theirs = remote.get(key, MISSING)
        effective = default if theirs in (MISSING, None, "") else theirs
        if not _same(effective, mine):
            out.append(SettingChange(key, label, theirs, mine))
    return out


def plan_push(
    project: Project,
    destination_id: str,
    subscriptions: list[dict[str, Any]],
    destination_settings: dict[str, Any] | None = None,
    *,
    delete_missing: bool = False,
    push_settings: bool = False,
) -> PushPlan:
    """The :class:`PushPlan` for pushing ``project`` to the destination (see the module doc)."""
    linked = project.segment is not None and project.segment.destination_id == destination_id
    remote = [s for s in subscriptions if isinstance(s, dict) and s.get("id")]
    claimed: set[int] = set()
    pair: dict[int, tuple[int, str]] = {}  # mapping index -> (remote index, how)
    if linked:
        by_id = {str(s["id"]): i for i, s in enumerate(remote)}
        for mi, m in enumerate(project.mappings):
            ri = by_id.get(m.subscription_id or "")
            if ri is not None and ri not in claimed and remote_slug(remote[ri]) == m.action:
                pair[mi] = (ri, "subscription id")
                claimed.add(ri)
    for mi, m in enumerate(project.mappings):
        if mi in pair:
            continue
        ri = next(
            (
                i
                for i, s in enumerate(remote)
                if i not in claimed
                and remote_slug(s) == m.action
                and str(s.get("name") or "").strip() == m.name.strip()
            ),
            None,
        )
        if ri is not None:
            pair[mi] = (ri, "name")
            claimed.add(ri)
    items: list[PlanItem] = []
    for mi, m in enumerate(project.mappings):
        if mi not in pair:
            items.append(
                PlanItem(
                    "create",
                    m.name,
                    m.action,
                    mapping_id=m.id,
                    body=create_body(m),
                    changes=[Change("(new subscription)", MISSING, m.name)],
                )
            )
            continue
        ri, how = pair[mi]
        sub = remote[ri]
        changes, body = compare(m, sub)
        items.append(
            PlanItem(
                "update" if changes else "unchanged",
                m.name,
                m.action,
                mapping_id=m.id,
                subscription_id=str(sub["id"]),
                changes=changes,
                body=body or None,
                matched_by=how,
                remote_name=str(sub.get("name") or ""),
            )
        )
    for ri, sub in enumerate(remote):
        if ri in claimed:
            continue
        items.append(
            PlanItem(
                "delete" if delete_missing else "only_in_segment",
                str(sub.get("name") or ""),
                remote_slug(sub),
                subscription_id=str(sub["id"]),
            )
        )
    return PushPlan(
        destination_id,
        items,
        settings_diff(project, destination_settings or {}),
        delete_missing=delete_missing,
        push_settings=push_settings,
    )


def linked_project(
    project: Project,
    destination_id: str,
    subscription_ids: dict[str, str],
    *,
    destination_name: str = "",
    region: str = "us",
) -> Project:
    """A copy of ``project`` that remembers the destination and, per mapping id, its subscription id
    (``subscription_ids``); a mapping not in it keeps its id only if the project was already linked to
    this destination."""
    same = project.segment is not None and project.segment.destination_id == destination_id
    mappings = []
    for m in project.mappings:
        sid = subscription_ids.get(m.id) or (m.subscription_id if same else None)
        mappings.append(replace(m, subscription_id=sid))
    name = destination_name or (project.segment.destination_name if same and project.segment else "")
    return replace(
        project,
        mappings=mappings,
        segment=SegmentLink(destination_id=destination_id, destination_name=name, region=region),
    )
