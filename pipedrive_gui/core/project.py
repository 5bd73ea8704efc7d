"""The project file, ``*.pipedrive-map.json``: mappings, destination defaults and sample events.

Shape (version 2)::

    {"format": "pipedrive-map", "version": 2, "name": "...",
     "destination": {"domain": "", "person_field": "id", "organization_field": "id", "deal_field": "id"},
     "segment": {"destination_id": "...", "destination_name": "...", "region": "us"},   (optional)
     "mappings": [{"id", "name", "action", "trigger", "enabled", "settings",
                   "subscription_id" (optional)}],
     "samples": [{"name", "event"}]}

``segment`` is the Segment destination the project was last pulled from / pushed to, and a mapping's
``subscription_id`` is its subscription there, so a renamed mapping updates its subscription instead
of creating a second one. Version 1 files (no link) load unchanged.

Older versions are upgraded in memory by the functions in ``MIGRATIONS`` (one step per version);
a file from a newer app is refused rather than half-read. The API token is never part of a project:
a file that carries a token-like key is refused with a message saying how to fix it.

This is the only core module that touches the file system, and only in :func:`load_project`,
:func:`save_project` and :func:`atomic_write_text`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipedrive_gui.core.actions import ACTION_SLUGS
from pipedrive_gui.core.errors import UserError

FORMAT_NAME = "pipedrive-map"
CURRENT_VERSION = 2
FILE_SUFFIX = ".pipedrive-map.json"


# Key names (compared without case, "_" and "-") that smell like a credential. A project file is
# shared and committed to repositories, so one of these in it means a token may have leaked.
_SECRET_KEY_NAMES = frozenset(
    {
        "apitoken",
        "token",
        "accesstoken",
        "refreshtoken",
        "apikey",
        "password",
        "secret",
        "clientsecret",
        "authorization",
        "pipedriveapitoken",
    }
)


class ProjectFileError(UserError):
    """A project file could not be read or written. ``str()`` is the user-facing message."""

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = None if path is None else Path(path)
        self.line = line
        self.column = column
        self.where = where  # JSON-pointer-ish location inside the document, e.g. "/mappings/2/name"


@dataclass
class DestinationDefaults:
    """Destination-level settings that are safe to share: never the API token."""

    person_field: str = "id"
    organization_field: str = "id"
    deal_field: str = "id"
    domain: str = ""  # the Pipedrive company domain (``acme`` in acme.pipedrive.com); not secret


@dataclass
class Mapping:
    id: str
    name: str
    action: str
    trigger: str
    enabled: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    #: The Segment subscription this mapping was pulled from / pushed to (of ``Project.segment``).
    subscription_id: str | None = None


SEGMENT_REGIONS = ("us", "eu")


@dataclass
class SegmentLink:
    """The Segment destination (Actions Pipedrive) a project was last pulled from or pushed to."""

    destination_id: str
    destination_name: str = ""
    region: str = "us"  # "us" (api.segmentapis.com) or "eu" (eu1.api.segmentapis.com)


@dataclass
class SampleEvent:
    name: str
    event: dict[str, Any]


@dataclass
class Project:
    version: int = CURRENT_VERSION
    name: str = "Untitled project"
    destination: DestinationDefaults = field(default_factory=DestinationDefaults)
    mappings: list[Mapping] = field(default_factory=list)
    samples: list[SampleEvent] = field(default_factory=list)
    segment: SegmentLink | None = None


def new_mapping_id() -> str:
    # 48 random bits, as uuid4().hex[:12] gave (without importing uuid, and platform with it,
    # before the window's first paint).
    return "m-" + os.urandom(6).hex()


# --------------------------------------------------------------------------------------------
# Values the editor holds before the user chose anything.


def is_empty_path(value: Any) -> bool:
    """``{"@path": ""}``: what a "From the event" editor holds before a path is typed. Segment reads
    an empty path as the WHOLE event, so it must never be stored as a field's value."""
    return (
        isinstance(value, dict)
        and set(value) == {"@path"}
        and isinstance(value["@path"], str)
        and not value["@path"].strip()
    )


def is_unfinished_custom_value(value: Any) -> bool:
    """A custom-field row with nothing chosen: an empty path, template or fixed text. Inside the
    ``custom_fields`` object Segment removes none of them (an empty text would clear the field in
    Pipedrive), so such a row contributes nothing: no key at all."""
    if is_empty_path(value):
        return True
    if isinstance(value, dict) and set(value) == {"@template"} and value["@template"] == "":
        return True
    return value == "" and isinstance(value, str)


def without_unfinished(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without what an editor held before the user chose a value (see
    :func:`is_empty_path`, :func:`is_unfinished_custom_value`); earlier versions of the app stored
    them, so a new custom-field row sent the entire event as that field's value."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if is_empty_path(value):
            continue
        if key == "custom_fields" and isinstance(value, dict) and not any(k.startswith("@") for k in value):
            value = {k: v for k, v in value.items() if not is_unfinished_custom_value(v)}
        out[key] = value
    return out


# --------------------------------------------------------------------------------------------
# Migrations: each takes a document of version N and returns one of version N + 1.


def _migrate_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the first prototype's files) used Segment's own vocabulary.

    v0: ``{"version": 0, "title", "settings": {"personField", ...},
    "subscriptions": [{"name", "actionSlug", "subscribe", "mapping", "enabled"}],
    "events": {"<name>": {...event...}}}``. No ``format`` marker, no mapping ids.
    """
    out: dict[str, Any] = {"format": FORMAT_NAME, "version": 1}
    out["name"] = doc.get("title", doc.get("name", "Untitled project"))
    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise _shape("/settings", "must be an object")
    out["destination"] = {
        "domain": settings.get("domain", ""),
        "person_field": settings.get("personField", "id"),
        "organization_field": settings.get("organizationField", "id"),
        "deal_field": settings.get("dealField", "id"),
    }
    for key in settings:
        if is_secret_key(key):
            # Carry it over so the secret check below names it; never silently keep or drop it.
            out["destination"][key] = settings[key]
    subs = doc.get("subscriptions", [])
    if not isinstance(subs, list):
        raise _shape("/subscriptions", "must be a list")
    mappings = []
    for i, sub in enumerate(subs):
        if not isinstance(sub, dict):
            raise _shape(f"/subscriptions/{i}", "must be an object")
        mappings.append(
            {
                "id": sub.get("id", f"m-{i + 1}"),
                "name": sub.get("name", f"Mapping {i + 1}"),
                "action": sub.get("actionSlug"),
                "trigger": sub.get("subscribe", ""),
                "enabled": sub.get("enabled", True),
                "settings": sub.get("mapping", {}),
            }
        )
    out["mappings"] = mappings
    events = doc.get("events", {})
    if not isinstance(events, dict):
        raise _shape("/events", "must be an object of named events")
    out["samples"] = [{"name": name, "event": event} for name, event in events.items()]
    return out


def _migrate_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 added the optional Segment link (``segment``, ``mappings[].subscription_id``);
    a version 1 file has neither, so only the version changes."""
    return {**doc, "version": 2}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_0_to_1, 1: _migrate_1_to_2}


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring a decoded document up to :data:`CURRENT_VERSION` (refuses newer ones)."""
    version = doc.get("version")
    if "format" in doc and doc["format"] != FORMAT_NAME:
        raise _shape(
            "/format", f'is "{doc["format"]}", not "{FORMAT_NAME}"; this is not a Pipedrive Mapper project'
        )
    if version is None and "format" not in doc and "subscriptions" in doc:
        version = 0  # the prototype did not always write its version
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProjectFileError(
            'This is not a Pipedrive Mapper project: it has no valid "version" number. '
            "Open a *.pipedrive-map.json file saved by the app, or use Import for Segment exports.",
            where="/version",
        )
    if version > CURRENT_VERSION:
        raise ProjectFileError(
            f"This project was saved by a newer Pipedrive Mapper (file format version {version}; this app "
            f"reads up to {CURRENT_VERSION}). Update the app to open it; the file was left unchanged.",
            where="/version",
        )
    while version < CURRENT_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["version"]
    return doc


# --------------------------------------------------------------------------------------------
# dict <-> objects


def _shape(where: str, problem: str) -> ProjectFileError:
    return ProjectFileError(f"The project file is damaged: {where or '/'} {problem}.", where=where)


def is_secret_key(key: str) -> bool:
    """Whether a settings key is named like a credential (``apiToken``, ``api_token``, ``password``…)."""
    return key.lower().replace("_", "").replace("-", "") in _SECRET_KEY_NAMES


def find_secrets(doc: Any) -> list[str]:
    """Locations (``/destination/apiToken``) of token-like keys where a project keeps settings.

    Sample events are not searched: an event may legitimately carry a property named "token".
    """
    found: list[str] = []
    if not isinstance(doc, dict):
        return found

    def scan(obj: Any, where: str) -> None:
        if isinstance(obj, dict):
            found.extend(f"{where}/{k}" for k in obj if isinstance(k, str) and is_secret_key(k))

    scan(doc, "")
    for section in ("destination", "settings"):
        scan(doc.get(section), f"/{section}")
    for list_key in ("mappings", "subscriptions"):
        items = doc.get(list_key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                scan(item, f"/{list_key}/{i}")
                if isinstance(item, dict):
                    for inner in ("settings", "mapping"):
                        scan(item.get(inner), f"/{list_key}/{i}/{inner}")
    return found


def strip_secrets(doc: dict[str, Any]) -> list[str]:
    """Remove token-like keys in place (what :func:`find_secrets` reports); returns their locations."""
    found = find_secrets(doc)
    for where in found:
        parts = where.strip("/").split("/")
        target: Any = doc
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[parts[-1]]
    return found


def _secret_error(found: list[str]) -> ProjectFileError:
    return ProjectFileError(
        "This project file contains what looks like an API token or password ("
        + ", ".join(found)
        + "). Pipedrive Mapper never keeps secrets in project files, because they get shared; "
        "delete that key from the file (and revoke the token in Pipedrive if the file was shared), "
        "then open it again. The app keeps your token in the system keyring.",
        where=found[0],
    )


def _str(obj: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        problem = "is missing" if key not in obj else "must be text"
        raise _shape(f"{where}/{key}", problem)
    return value


def _mapping_from_dict(obj: Any, where: str, seen_ids: set[str]) -> Mapping:
    if not isinstance(obj, dict):
        raise _shape(where, "must be an object")
    action = _str(obj, "action", where)
    if action not in ACTION_SLUGS:
        raise ProjectFileError(
            f'The project file is damaged: {where}/action is "{action}", which is not an Actions Pipedrive '
            f"action (expected one of {', '.join(ACTION_SLUGS)}).",
            where=f"{where}/action",
        )
    mapping_id = _str(obj, "id", where, default="") or new_mapping_id()
    if mapping_id in seen_ids:
        mapping_id = new_mapping_id()  # duplicated by hand-editing; ids only need to be unique
    seen_ids.add(mapping_id)
    enabled = obj.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _shape(f"{where}/enabled", "must be true or false")
    settings = obj.get("settings", {})
    if not isinstance(settings, dict):
        raise _shape(f"{where}/settings", "must be an object (field key -> value)")
    subscription_id = obj.get("subscription_id")
    if subscription_id is not None and not isinstance(subscription_id, str):
        raise _shape(f"{where}/subscription_id", "must be text")
    return Mapping(
        id=mapping_id,
        name=_str(obj, "name", where, default=""),
        action=action,
        trigger=_str(obj, "trigger", where, default=""),
        enabled=enabled,
        settings=without_unfinished(settings),
        subscription_id=subscription_id or None,
    )


def _segment_link_from_dict(obj: Any) -> SegmentLink | None:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise _shape("/segment", "must be an object")
    destination_id = _str(obj, "destination_id", "/segment")
    if not destination_id:
        return None
    region = _str(obj, "region", "/segment", default="us")
    if region not in SEGMENT_REGIONS:
        raise _shape("/segment/region", f"must be one of {', '.join(SEGMENT_REGIONS)}")
    return SegmentLink(
        destination_id=destination_id,
        destination_name=_str(obj, "destination_name", "/segment", default=""),
        region=region,
    )


def project_from_dict(doc: Any) -> Project:
    """Build a :class:`Project` from a decoded file (any supported version). Raises ProjectFileError."""
    if not isinstance(doc, dict):
        raise ProjectFileError(
            "This is not a Pipedrive Mapper project: the file must hold a JSON object, "
            f"not {_json_type(doc)}.",
            where="/",
        )
    found = find_secrets(doc)
    if found:
        raise _secret_error(found)
    doc = migrate(dict(doc))
    found = find_secrets(doc)
    if found:
        raise _secret_error(found)
    dest = doc.get("destination", {})
    if not isinstance(dest, dict):
        raise _shape("/destination", "must be an object")
    destination = DestinationDefaults(
        person_field=_str(dest, "person_field", "/destination", default="id") or "id",
        organization_field=_str(dest, "organization_field", "/destination", default="id") or "id",
        deal_field=_str(dest, "deal_field", "/destination", default="id") or "id",
        domain=_str(dest, "domain", "/destination", default=""),
    )
    raw_mappings = doc.get("mappings", [])
    if not isinstance(raw_mappings, list):
        raise _shape("/mappings", "must be a list")
    seen: set[str] = set()
    mappings = [_mapping_from_dict(m, f"/mappings/{i}", seen) for i, m in enumerate(raw_mappings)]
    raw_samples = doc.get("samples", [])
    if not isinstance(raw_samples, list):
        raise _shape("/samples", "must be a list")
    samples = []
    for i, s in enumerate(raw_samples):
        where = f"/samples/{i}"
        if not isinstance(s, dict):
            raise _shape(where, "must be an object")
        event = s.get("event")
        if not isinstance(event, dict):
            raise _shape(f"{where}/event", "must be a Segment event (a JSON object)")
        samples.append(SampleEvent(name=_str(s, "name", where, default=f"Sample {i + 1}"), event=event))
    return Project(
        version=CURRENT_VERSION,
        name=_str(doc, "name", "", default="Untitled project"),
        destination=destination,
        mappings=mappings,
        samples=samples,
        segment=_segment_link_from_dict(doc.get("segment")),
    )


def _mapping_to_dict(m: Mapping) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "name": m.name,
        "action": m.action,
        "trigger": m.trigger,
        "enabled": m.enabled,
        "settings": m.settings,
    }
    if m.subscription_id:
        out["subscription_id"] = m.subscription_id
    return out


def project_to_dict(project: Project) -> dict[str, Any]:
    d = project.destination
    out: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": CURRENT_VERSION,
        "name": project.name,
        "destination": {
            "domain": d.domain,
            "person_field": d.person_field,
            "organization_field": d.organization_field,
            "deal_field": d.deal_field,
        },
    }
    if project.segment is not None:
        out["segment"] = {
            "destination_id": project.segment.destination_id,
            "destination_name": project.segment.destination_name,
            "region": project.segment.region,
        }
    out["mappings"] = [_mapping_to_dict(m) for m in project.mappings]
    out["samples"] = [{"name": s.name, "event": s.event} for s in project.samples]
    return out


def dumps_project(project: Project) -> str:
    return json.dumps(project_to_dict(project), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "an object"


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; JSON (and Segment) does not.
    raise ValueError(f"{name} is not valid JSON")


def loads_project(text: str, *, path: str | os.PathLike[str] | None = None) -> Project:
    """Parse project-file text. Raises ProjectFileError with line/column for bad JSON."""
    shown = Path(path).name if path is not None else "The project file"
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(
            f"{shown} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
            "Fix it in a text editor or restore a backup; the file was left unchanged.",
            path=path,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except ValueError as exc:
        raise ProjectFileError(f"{shown} is not valid JSON: {exc}.", path=path) from None
    except RecursionError:
        raise ProjectFileError(f"{shown} is nested too deeply to be a project file.", path=path) from None
    try:
        project = project_from_dict(doc)
    except ProjectFileError as exc:
        exc.path = None if path is None else Path(path)
        raise
    except RecursionError:
        raise ProjectFileError(f"{shown} is nested too deeply to be a project file.", path=path) from None
    return project


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and upgrade a project file. Never writes to it. Raises ProjectFileError."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectFileError(f"No project file at {p}.", path=p) from None
    except IsADirectoryError:
        raise ProjectFileError(f"{p} is a folder, not a project file.", path=p) from None
    except OSError as exc:
        raise ProjectFileError(f"Could not read {p}: {exc.strerror or exc}.", path=p) from None
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors add
    except UnicodeDecodeError as exc:
        raise ProjectFileError(
            f"{p.name} is not a text (UTF-8) file (bad byte at offset {exc.start}); "
            "is this really a project file?",
            path=p,
        ) from None
    return loads_project(text, path=p)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` so that readers see the old file or the new one, never half of it.

    Temp file in the same folder (same file system, so the rename is atomic), flushed and fsynced,
    then ``os.replace``. Keeps the old file's permission bits.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(p.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Atomically write ``project`` to ``path``. Raises ProjectFileError (the old file stays)."""
    p = Path(path)
    try:
        text = dumps_project(project)
    except (TypeError, ValueError) as exc:
        raise ProjectFileError(
            f"The project could not be saved: it holds a value JSON cannot store ({exc}).", path=p
        ) from None
    except RecursionError:
        raise ProjectFileError(
            "The project could not be saved: a sample event is nested too deeply.", path=p
        ) from None
    try:
        atomic_write_text(p, text)
    except OSError as exc:
        raise ProjectFileError(
            f"Could not save {p}: {exc.strerror or exc}. Choose another folder or check its permissions; "
            "the previous version of the file is unchanged.",
            path=p,
        ) from None
