"""Moving mappings between a project and Segment.

* :func:`export_segment_document` — everything a project holds, in Segment's shapes: the
  destination's ``settings`` as the Public API's update-destination call takes them
  (``UpdateDestinationV1Input``: ``PATCH /destinations/{id}``), the mappings as subscription objects
  (what ``POST /destinations/{id}/subscriptions`` takes: ``name``, ``actionId``, ``trigger``,
  ``enabled``, ``settings``; :func:`export_segment` gives that list alone), and under
  :data:`APP_KEY` what only this app uses (project name, sample events)::

      {"destination": {"settings": {"domain", "personField", "organizationField", "dealField"}},
       "subscriptions": [{...}, ...],
       "x-pipedrive-mapper": {"format": "pipedrive-map", "version": 1, "name": "...", "samples": [...]}}

* :func:`export_terraform` — a standalone Terraform configuration for Segment's provider.
* :func:`read_segment` / :func:`import_segment` — the reverse, from whatever the user has at hand:
  the document above (everything comes back), one subscription, a list, a Public API
  list/create/get response, or catalog presets (``fields`` instead of ``settings``).
* :func:`export_checklist` — plain steps for recreating the mappings in Segment's web app, because
  the subscriptions API is feature-gated for many workspaces.
* :func:`export_text` — the text of an export file of one of those kinds (File > Export …).

The Pipedrive API token is a destination setting too, but it is never exported, and never imported
when a file carries one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipedrive_gui.core.actions import ACTION_SLUGS, ACTIONS, DESTINATION_METADATA_ID
from pipedrive_gui.core.errors import UserError
from pipedrive_gui.core.project import (
    CURRENT_VERSION,
    FORMAT_NAME,
    DestinationDefaults,
    Mapping,
    Project,
    SampleEvent,
    is_secret_key,
    new_mapping_id,
)

# The key of what only Pipedrive Mapper reads in a Segment export (project name, sample events). The
# parts meant for Segment are sent one by one (settings, then each subscription), so Segment never
# sees it; the "x-" prefix marks it as an extension for people reading the file.
APP_KEY = "x-pipedrive-mapper"


class SegmentImportError(UserError, ValueError):
    """Input that is not a Segment subscription (or not one for Actions Pipedrive)."""


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
# Destination settings

# The destination's settings as Segment names them (Actions Pipedrive's authentication fields) and
# where a project keeps them. ``apiToken`` is deliberately absent: it is never exported or imported.
_SETTING_FIELDS = (
    ("domain", "domain"),
    ("personField", "person_field"),
    ("organizationField", "organization_field"),
    ("dealField", "deal_field"),
)


def segment_settings(destination: DestinationDefaults) -> dict[str, str]:
    """The destination settings as the Public API's ``settings`` object (what ``PATCH
    /destinations/{id}`` takes in ``UpdateDestinationV1Input``), without the API token. An unknown
    (empty) domain is left out rather than sent as an empty text that would clear Segment's."""
    out: dict[str, str] = {}
    for segment_key, attr in _SETTING_FIELDS:
        value = getattr(destination, attr)
        if value or segment_key != "domain":
            out[segment_key] = value
    return out


def destination_from_settings(settings: dict[str, Any]) -> tuple[DestinationDefaults, list[str]]:
    """Destination defaults from Segment's ``settings`` object, plus the keys that were ignored
    (the token and anything that is not one of Actions Pipedrive's settings). A match field that is
    missing or empty is Segment's default, ``id``."""
    values: dict[str, str] = {}
    for segment_key, attr in _SETTING_FIELDS:
        value = settings.get(segment_key)
        if value is not None and not isinstance(value, str):
            raise SegmentImportError(f'Cannot import the destination settings: "{segment_key}" must be text.')
        if value:
            values[attr] = value.strip() if segment_key == "domain" else value
    known = {k for k, _ in _SETTING_FIELDS}
    return DestinationDefaults(**values), [k for k in settings if k not in known]


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


def export_segment_document(project: Project) -> dict[str, Any]:
    """The whole project in one file (see the module doc): import gives back every setting."""
    return {
        "destination": {"settings": segment_settings(project.destination)},
        "subscriptions": export_segment(project),
        APP_KEY: {
            "format": FORMAT_NAME,
            "version": CURRENT_VERSION,
            "name": project.name,
            "samples": [{"name": s.name, "event": s.event} for s in project.samples],
        },
    }


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
    return read_segment(data).mappings


@dataclass
class SegmentImport:
    """What a Segment file brought. ``destination``, ``name`` and ``samples`` are ``None`` when the
    file does not carry them (a bare subscription, a list, a Public API response)."""

    mappings: list[Mapping]
    destination: DestinationDefaults | None = None
    name: str | None = None
    samples: list[SampleEvent] | None = None
    ignored_settings: list[str] = field(default_factory=list)  # e.g. apiToken: never imported
    #: The destination settings held a Pipedrive API token (or another credential) with a value. It is
    #: among ``ignored_settings``, so it was not imported; ``pipedrive-gui import`` and File > Import
    #: say so. Only this flag is kept, never the value.
    token_dropped: bool = False


def read_segment(data: Any) -> SegmentImport:
    """Everything in Segment JSON: the mappings and, from an :func:`export_segment_document`
    document, the destination settings, project name and samples. Raises SegmentImportError."""
    items, _shape = _candidates(data)
    mappings = [_mapping_from_subscription(obj, i, len(items)) for i, obj in enumerate(items)]
    seen: set[str] = set()
    for m in mappings:  # ids must be unique within a project
        if m.id in seen:
            m.id = new_mapping_id()
        seen.add(m.id)
    result = SegmentImport(mappings=mappings)
    if not isinstance(data, dict):
        return result
    dest = data.get("destination")
    if dest is not None:
        settings = dest.get("settings") if isinstance(dest, dict) else None
        if not isinstance(settings, dict):
            raise SegmentImportError(
                'Cannot import the destination: "destination" must hold a "settings" object.'
            )
        result.destination, result.ignored_settings = destination_from_settings(settings)
        result.token_dropped = any(is_secret_key(k) and settings[k] for k in result.ignored_settings)
    app = data.get(APP_KEY)
    if app is not None:
        _read_app_part(app, result)
    return result


def _read_app_part(app: Any, result: SegmentImport) -> None:
    where = f'"{APP_KEY}"'
    if not isinstance(app, dict):
        raise SegmentImportError(f"Cannot import {where}: it must be a JSON object.")
    if app.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise SegmentImportError(f'Cannot import {where}: its "format" is not "{FORMAT_NAME}".')
    version = app.get("version", CURRENT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > CURRENT_VERSION:
        raise SegmentImportError(
            f"This export was made by a newer Pipedrive Mapper (format version {version}; this app reads up "
            f"to {CURRENT_VERSION}). Update the app to import it."
        )
    name = app.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise SegmentImportError(f'Cannot import {where}: "name" must be text.')
        result.name = name
    samples = app.get("samples")
    if samples is not None:
        if not isinstance(samples, list):
            raise SegmentImportError(f'Cannot import {where}: "samples" must be a list.')
        result.samples = []
        for i, sample in enumerate(samples):
            event = sample.get("event") if isinstance(sample, dict) else None
            if not isinstance(event, dict):
                raise SegmentImportError(
                    f'Cannot import sample {i + 1}: it must be {{"name", "event"}} '
                    "with the event as a JSON object."
                )
            sample_name = sample.get("name", f"Sample {i + 1}")
            if not isinstance(sample_name, str):
                raise SegmentImportError(f'Cannot import sample {i + 1}: "name" must be text.')
            result.samples.append(SampleEvent(name=sample_name, event=event))


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


class _Assign:
    """One ``key = value`` line whose value fits on the line; runs of them get their ``=`` aligned."""

    __slots__ = ("indent", "key", "value")

    def __init__(self, indent: int, key: str, value: str) -> None:
        self.indent, self.key, self.value = indent, key, value


_Line = str | _Assign


def _hcl_lines(value: Any, indent: int, head: str) -> list[_Line]:
    """``value`` as HCL, the first line prefixed by ``head`` (``"key = "`` or ``""``).

    Lists and objects with members span several lines, one member a line, so that a mapping reads
    like the JSON it is and diffs line by line.
    """
    pad = "  " * indent
    if isinstance(value, list) and value:
        lines: list[_Line] = [f"{pad}{head}["]
        for item in value:
            inner = _hcl_lines(item, indent + 1, "")
            last = inner[-1]
            assert isinstance(last, str)
            inner[-1] = last + ","
            lines += inner
        return lines + [f"{pad}]"]
    if isinstance(value, dict) and value:
        lines = [f"{pad}{head}{{"]
        for k, v in value.items():
            lines += _hcl_member(_hcl_string(str(k)), v, indent + 1)
        return lines + [f"{pad}}}"]
    return [f"{pad}{head}{_hcl_scalar(value)}"]


def _hcl_member(key: str, value: Any, indent: int) -> list[_Line]:
    """An attribute (``key = value``) of a block or an object constructor."""
    if isinstance(value, (list, dict)) and value:
        return _hcl_lines(value, indent, f"{key} = ")
    return [_Assign(indent, key, _hcl_scalar(value))]


class _Expr(str):
    """A Terraform expression written as is (``var.pipedrive_api_token``), not as a string."""


def _hcl_scalar(value: Any) -> str:
    if isinstance(value, _Expr):
        return str(value)
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
    if isinstance(value, list) and not value:
        return "[]"
    if isinstance(value, dict) and not value:
        return "{}"
    raise TypeError(f"cannot write {type(value).__name__} to Terraform")


def _render_hcl(lines: list[_Line]) -> str:
    """The lines as ``terraform fmt`` writes them: in each run of consecutive one-line attributes
    the ``=`` signs line up (a blank line, a comment or a multi-line value ends the run)."""
    out: list[str] = []
    run: list[_Assign] = []

    def flush() -> None:
        width = max((len(a.key) for a in run), default=0)
        out.extend(f"{'  ' * a.indent}{a.key.ljust(width)} = {a.value}" for a in run)
        run.clear()

    for line in lines:
        if isinstance(line, _Assign):
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out) + "\n"


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
_VARIABLE = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_-]*)$")

# Segment's Terraform provider (registry address segmentio/segment; without this block `terraform
# init` looks for hashicorp/segment, which does not exist). 1.6 handles settings drift gracefully.
TERRAFORM_PROVIDER_SOURCE = "segmentio/segment"
TERRAFORM_PROVIDER_VERSION = "~> 1.6"
DEFAULT_DESTINATION_VARIABLE = "pipedrive_destination_id"
MANAGED_DESTINATION_RESOURCE = "pipedrive"


def _jsonencode(key: str, value: dict[str, Any], indent: int) -> list[_Line]:
    """``key = jsonencode({...})``: how the provider takes ``settings`` (a JSON string attribute)."""
    if not value:
        return [_Assign(indent, key, "jsonencode({})")]
    lines = _hcl_lines(value, indent, f"{key} = jsonencode(")
    last = lines[-1]
    assert isinstance(last, str)
    lines[-1] = last + ")"
    return lines


def _variable(name: str, description: str, *, sensitive: bool = False) -> list[_Line]:
    lines: list[_Line] = [
        f'variable "{name}" {{',
        _Assign(1, "description", _hcl_string(description)),
        _Assign(1, "type", "string"),
    ]
    if sensitive:
        lines.append(_Assign(1, "sensitive", "true"))
    return lines + ["}"]


def export_terraform(
    project: Project, destination_ref: str | None = None, *, manage_destination: bool = False
) -> str:
    """A Terraform configuration that works on its own: the provider requirement, the variables it
    reads and one ``segment_destination_subscription`` resource per mapping (attribute names and
    types as in terraform-provider-segment's schema; ``settings`` is a JSON string, hence
    ``jsonencode``). The text is ``terraform fmt`` clean.

    ``destination_ref`` says which destination the subscriptions belong to: a Terraform expression
    (``var.NAME`` is declared here; other references such as ``segment_destination.x.id`` must exist
    elsewhere in the user's module) or a literal Segment destination id, which is quoted. By default
    it is ``var.pipedrive_destination_id``.

    With ``manage_destination`` the file also declares a ``segment_destination`` resource carrying
    the project's destination settings (domain, match-field defaults); the API token is read from a
    sensitive variable and never written here, and the subscriptions refer to that resource.
    """
    if manage_destination:
        destination_ref = f"segment_destination.{MANAGED_DESTINATION_RESOURCE}.id"
    elif destination_ref is None or not destination_ref.strip():
        destination_ref = f"var.{DEFAULT_DESTINATION_VARIABLE}"
    destination_ref = destination_ref.strip()
    dest = destination_ref if _REFERENCE.match(destination_ref) else _hcl_string(destination_ref)
    lines: list[_Line] = [
        f"# Actions Pipedrive mappings exported by Pipedrive Mapper from project {json.dumps(project.name)}.",
        "# Apply with Segment's Terraform provider: export PUBLIC_API_TOKEN=<Segment Public API token>",
        "# (EU workspaces also PUBLIC_API_URL=eu1.api.segmentapis.com), then terraform init and apply.",
    ]
    if manage_destination:
        lines += [
            "# The destination itself is managed here too: to adopt an existing one instead of creating",
            f"# a new one, run: terraform import segment_destination.{MANAGED_DESTINATION_RESOURCE} <destination id>",
        ]
    else:
        lines += [
            "# Destination settings (domain, API token, match-field defaults) are set in Segment's web app;",
            "# export with the destination included (--manage-destination) to manage them here as well.",
        ]
    lines += [
        "",
        "terraform {",
        "  required_providers {",
        "    segment = {",
        _Assign(3, "source", _hcl_string(TERRAFORM_PROVIDER_SOURCE)),
        _Assign(3, "version", _hcl_string(TERRAFORM_PROVIDER_VERSION)),
        "    }",
        "  }",
        "}",
        "",
        "# The token and URL come from PUBLIC_API_TOKEN and PUBLIC_API_URL.",
        'provider "segment" {}',
    ]
    variable = _VARIABLE.match(destination_ref)
    if variable:
        lines += [
            "",
            *_variable(
                variable.group(1),
                "Segment id of the Actions Pipedrive destination (Connections > Destinations > "
                "the destination > Settings, or the Public API's destination list).",
            ),
        ]
    if manage_destination:
        settings: dict[str, Any] = segment_settings(project.destination)
        domain_variable: list[_Line] = []
        if "domain" not in settings:  # the project does not know it: Segment requires it
            domain_variable = [
                "",
                *_variable("pipedrive_domain", "Pipedrive company domain (acme in acme.pipedrive.com)."),
            ]
        settings = {
            "domain": settings.pop("domain", _Expr("var.pipedrive_domain")),
            "apiToken": _Expr("var.pipedrive_api_token"),
            **settings,
        }
        lines += [
            "",
            *_variable("segment_source_id", "Segment id of the source whose events go to Pipedrive."),
            *domain_variable,
            "",
            *_variable(
                "pipedrive_api_token",
                "Pipedrive API token (Pipedrive > Settings > Personal preferences > API). "
                "Pass it as TF_VAR_pipedrive_api_token; never write it in a file.",
                sensitive=True,
            ),
            "",
            f'resource "segment_destination" "{MANAGED_DESTINATION_RESOURCE}" {{',
            _Assign(1, "name", _hcl_string("Actions Pipedrive")),
            _Assign(1, "enabled", "true"),
            _Assign(1, "source_id", "var.segment_source_id"),
            "  metadata = {",
            _Assign(2, "id", _hcl_string(DESTINATION_METADATA_ID)),
            "  }",
            *_jsonencode("settings", settings, 1),
        ]
        lines.append("}")
    names = terraform_resource_names(m.name for m in project.mappings)
    for resource_name, mapping in zip(names, project.mappings, strict=True):
        lines += [
            "",
            f'resource "segment_destination_subscription" "{resource_name}" {{',
            _Assign(1, "destination_id", dest),
            _Assign(1, "name", _hcl_string(mapping.name)),
            _Assign(1, "action_id", _hcl_string(action_id_for(mapping.action))),
            _Assign(1, "trigger", _hcl_string(mapping.trigger)),
            _Assign(1, "enabled", "true" if mapping.enabled else "false"),
            *_jsonencode("settings", mapping.settings, 1),
            "}",
        ]
    return _render_hcl(lines)


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


#: The kinds of export file, as File > Export names them: Segment JSON, Terraform, a checklist.
EXPORT_KINDS = ("segment", "terraform", "checklist")


def export_text(project: Project, kind: str, field_labels: dict[str, str] | None = None) -> str:
    """The text of an export file of ``kind`` (one of :data:`EXPORT_KINDS`). ``field_labels`` names
    custom fields in the checklist (see :func:`export_checklist`); the other kinds do not use it."""
    if kind == "segment":
        return json.dumps(export_segment_document(project), indent=2, ensure_ascii=False) + "\n"
    if kind == "terraform":
        return export_terraform(project)  # standalone: declares var.pipedrive_destination_id
    if kind == "checklist":
        return export_checklist(project, field_labels)
    raise ValueError(f"unknown export kind {kind!r}: one of {', '.join(EXPORT_KINDS)}")
