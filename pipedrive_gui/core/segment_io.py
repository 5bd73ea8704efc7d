"""Moving mappings between a project and Segment.

* :func:`export_segment` — Segment Public API subscription objects (what ``POST
  /destinations/{id}/subscriptions`` takes: ``name``, ``actionId``, ``trigger``, ``enabled``,
  ``settings``).
* :func:`export_terraform` — ``segment_destination_subscription`` resources for Segment's Terraform
  provider.
* :func:`import_segment` — the reverse, from whatever the user has at hand: one subscription, a
  list, a Public API list/create/get response, or catalog presets (``fields`` instead of
  ``settings``).
* :func:`export_checklist` — plain steps for recreating the mappings in Segment's web app, because
  the subscriptions API is feature-gated for many workspaces.

Destination settings (domain, API token) are not part of a subscription and are never exported.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from pipedrive_gui.core.actions import ACTIONS
from pipedrive_gui.core.project import ACTION_SLUGS, Mapping, Project, new_mapping_id


class SegmentImportError(ValueError):
    """Input that is not a Segment subscription (or not one for Actions Pipedrive)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def action_id_for(slug: str) -> str:
    """Segment's catalog id of an action (from the action catalog)."""
    try:
        return ACTIONS[slug].action_id
    except KeyError:
        raise SegmentImportError(f'"{slug}" is not an Actions Pipedrive action.') from None


def slug_for_action_id(action_id: str) -> str | None:
    for slug, action in ACTIONS.items():
        if action.action_id == action_id:
            return slug
    return None


def action_title(slug: str) -> str:
    action = ACTIONS.get(slug)
    return action.title if action is not None else slug


def _field_labels(slug: str) -> dict[str, str]:
    action = ACTIONS.get(slug)
    return {} if action is None else {f.key: f.label for f in action.fields}


# --------------------------------------------------------------------------------------------
# Segment Public API


def subscription_for(mapping: Mapping) -> dict[str, Any]:
    return {
        "name": mapping.name,
        "actionId": action_id_for(mapping.action),
        "trigger": mapping.trigger,
        "enabled": mapping.enabled,
        "settings": mapping.settings,
    }


def export_segment(project: Project) -> list[dict[str, Any]]:
    """One Public API subscription object per mapping, in project order."""
    return [subscription_for(m) for m in project.mappings]


def _candidates(data: Any) -> tuple[list[Any], str]:
    """The subscription-like objects in any accepted shape, plus what the shape was (for errors)."""
    if isinstance(data, list):
        return data, "list"
    if not isinstance(data, dict):
        raise SegmentImportError(
            "Nothing to import: expected a Segment subscription (a JSON object) or a list of them."
        )
    inner = data.get("data") if isinstance(data.get("data"), dict) else data
    assert isinstance(inner, dict)
    if isinstance(inner.get("subscriptions"), list):
        return list(inner["subscriptions"]), "list response"
    for key in ("destinationSubscription", "subscription"):
        if isinstance(inner.get(key), dict):
            return [inner[key]], f"{key} response"
    meta = inner.get("destinationMetadata")
    if isinstance(meta, dict) and isinstance(meta.get("presets"), list):
        return list(meta["presets"]), "catalog presets"
    if isinstance(inner.get("presets"), list):
        return list(inner["presets"]), "catalog presets"
    if "actionId" in inner or "actionSlug" in inner:
        return [inner], "subscription"
    raise SegmentImportError(
        "Nothing to import: this JSON has no Segment subscription in it (expected objects with "
        '"actionId", "trigger" and "settings", a list of them, or a Public API response).'
    )


def _mapping_from_subscription(obj: Any, index: int, total: int) -> Mapping:
    label = f"subscription {index + 1}" if total > 1 else "the subscription"
    if not isinstance(obj, dict):
        raise SegmentImportError(f"Cannot import {label}: it is not a JSON object.")
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        raise SegmentImportError(f'Cannot import {label}: "name" must be text.')
    if isinstance(name, str) and name:
        label = f'{label} ("{name}")'
    action_id = obj.get("actionId")
    slug: str | None = None
    if isinstance(action_id, str):
        slug = slug_for_action_id(action_id)
    if slug is None and obj.get("actionSlug") in ACTION_SLUGS:
        # Catalog ids are opaque and may change; the read-only slug is authoritative when present.
        slug = str(obj["actionSlug"])
    if slug is None:
        if action_id is None:
            raise SegmentImportError(f'Cannot import {label}: it has no "actionId".')
        raise SegmentImportError(
            f"Cannot import {label}: action id {json.dumps(action_id)} is not an Actions Pipedrive action "
            "(is it a mapping of another destination?). Known ids: "
            + ", ".join(f"{action_id_for(s)} ({s})" for s in ACTION_SLUGS)
            + "."
        )
    trigger = obj.get("trigger", obj.get("subscribe"))
    if not isinstance(trigger, str):
        raise SegmentImportError(f'Cannot import {label}: "trigger" is missing or not text.')
    enabled = obj.get("enabled", False)
    if not isinstance(enabled, bool):
        raise SegmentImportError(f'Cannot import {label}: "enabled" must be true or false.')
    settings = obj.get("settings", obj.get("fields", {}))
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise SegmentImportError(f'Cannot import {label}: "settings" must be a JSON object.')
    sub_id = obj.get("id")
    return Mapping(
        id=sub_id if isinstance(sub_id, str) and sub_id else new_mapping_id(),
        name=action_title(slug) if name is None else name,
        action=slug,
        trigger=trigger,
        enabled=enabled,
        settings=settings,
    )


def import_segment(data: Any) -> list[Mapping]:
    """Mappings from Segment JSON (see module doc for accepted shapes). Raises SegmentImportError."""
    items, _shape = _candidates(data)
    mappings = [_mapping_from_subscription(obj, i, len(items)) for i, obj in enumerate(items)]
    seen: set[str] = set()
    for m in mappings:  # ids must be unique within a project
        if m.id in seen:
            m.id = new_mapping_id()
        seen.add(m.id)
    return mappings


# --------------------------------------------------------------------------------------------
# Terraform


def _hcl_string(text: str) -> str:
    out = ['"']
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch in "\u2028\u2029\x7f":
            out.append(f"\\u{ord(ch):04x}")
        elif ch in "$%" and nxt == "{":
            # "${" and "%{" start HCL template sequences; doubling the sigil makes them literal.
            out.append(ch + ch)
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


def _hcl_value(value: Any, indent: int) -> str:
    pad = "  " * indent
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, str):
        return _hcl_string(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{pad}  {_hcl_value(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}  {_hcl_string(str(k))} = {_hcl_value(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    raise TypeError(f"cannot write {type(value).__name__} to Terraform")


def terraform_resource_names(names: Iterable[str]) -> list[str]:
    """Stable, unique HCL identifiers from mapping names (same names -> same identifiers)."""
    result: list[str] = []
    used: set[str] = set()
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()  # Déjà -> Deja
        base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "mapping"
        if not re.match(r"[a-z_]", base):
            base = "m_" + base
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        result.append(candidate)
    return result


_REFERENCE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")


def export_terraform(project: Project, destination_ref: str) -> str:
    """``segment_destination_subscription`` resources for every mapping.

    ``destination_ref`` is either a Terraform expression (``segment_destination.pipedrive.id``,
    ``var.pipedrive_destination_id``) or a literal Segment destination id, which is quoted.
    """
    dest = destination_ref if _REFERENCE.match(destination_ref) else _hcl_string(destination_ref)
    lines = [
        f"# Actions Pipedrive mappings exported by Pipedrive Mapper from project {json.dumps(project.name)}.",
        "# Destination settings (domain, API token) are not part of these resources: set them on the",
        "# segment_destination resource or in Segment's web app.",
    ]
    names = terraform_resource_names(m.name for m in project.mappings)
    for resource_name, mapping in zip(names, project.mappings, strict=True):
        lines += [
            "",
            f'resource "segment_destination_subscription" "{resource_name}" {{',
            f"  destination_id = {dest}",
            f"  name           = {_hcl_string(mapping.name)}",
            f"  action_id      = {_hcl_string(action_id_for(mapping.action))}",
            f"  trigger        = {_hcl_string(mapping.trigger)}",
            f"  enabled        = {'true' if mapping.enabled else 'false'}",
            f"  settings       = jsonencode({_hcl_value(mapping.settings, 1)})",
            "}",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Checklist for Segment's web app


def describe_value(value: Any) -> str:
    """A mapping-kit value the way Segment's mapping editor shows it, in words."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "@path" and isinstance(arg, str):
            return f"event variable {arg.removeprefix('$.')}"
        if key == "@template" and isinstance(arg, str):
            return f"template {json.dumps(arg, ensure_ascii=False)}"
        if key == "@literal":
            return f"the value {json.dumps(arg, ensure_ascii=False)}"
    if isinstance(value, str):
        return f"the text {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, (bool, int, float)) or value is None:
        return f"the value {json.dumps(value)}"
    return "this JSON (use the field's Edit as JSON / function mode): " + json.dumps(
        value, ensure_ascii=False, separators=(", ", ": ")
    )


def export_checklist(project: Project, field_labels: dict[str, str] | None = None) -> str:
    """Steps for Segment's web app. ``field_labels`` (custom-field key -> Pipedrive label, e.g. from
    the field catalog) lets the text name custom fields the way Segment's dropdowns show them."""
    names = field_labels or {}

    def named(key: str) -> str:
        return f"{key} ({names[key]})" if key in names else key

    d = project.destination
    out = [
        f"Recreate the mappings of \u201c{project.name}\u201d in Segment",
        "=" * 60,
        "",
        "Destination settings (Connections > Destinations > Actions Pipedrive > Settings):",
        f"  [ ] Domain: {d.domain or 'your Pipedrive company domain (acme in acme.pipedrive.com)'}",
        "  [ ] API Token: paste it from Pipedrive (Settings > Personal preferences > API); it is not in this export",
        f"  [ ] External ID field for a Person: {named(d.person_field)}",
        f"  [ ] External ID field for an Organization: {named(d.organization_field)}",
        f"  [ ] External ID field for a Deal: {named(d.deal_field)}",
    ]
    for n, m in enumerate(project.mappings, start=1):
        labels = _field_labels(m.action)
        out += [
            "",
            f"Mapping {n}: {m.name}",
            "-" * 60,
            "  [ ] Mappings tab > New Mapping",
            f"  [ ] Action: {action_title(m.action)}",
            f"  [ ] Trigger (Select events to map and send): {m.trigger or '(none: the mapping never fires)'}",
        ]
        if m.settings:
            out.append("  [ ] Map fields (clear any other field Segment fills in for you):")
            for key, value in m.settings.items():
                label = labels.get(key, key)
                shown = f"{label} ({key})" if label != key else key
                if key == "custom_fields" and isinstance(value, dict):
                    out.append(f"      - {shown}: add one key per custom field:")
                    for ck, cv in value.items():
                        out.append(f"          {named(ck)} = {describe_value(cv)}")
                elif key.endswith("match_field") and isinstance(value, str) and value in names:
                    out.append(f"      - {shown}: {names[value]} (key {value})")
                else:
                    out.append(f"      - {shown}: {describe_value(value)}")
        else:
            out.append("  [ ] Map fields: clear every field Segment fills in for you")
        out.append(f"  [ ] Name the mapping \u201c{m.name}\u201d and save it")
        out.append(f"  [ ] {'Enable' if m.enabled else 'Leave disabled'} the mapping")
    return "\n".join(out) + "\n"
