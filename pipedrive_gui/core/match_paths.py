"""Where in a Segment event the value of a match field is: the path a match value should read once
the user picks Email (or Name, or an external-ID custom field) as the match field.

Pure: the event is a dict, the Pipedrive field is given by its key and label.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["event_kind_of_trigger", "suggest_match_path"]

#: Fields of the event itself, by words that name them in a Pipedrive field's label.
_TOP_LEVEL = (
    (("user id", "userid", "user_id", "segment id"), "$.userId"),
    (("anonymous id", "anonymousid", "anonymous_id"), "$.anonymousId"),
    (("group id", "groupid", "group_id"), "$.groupId"),
)
#: Pipedrive's built-in keys whose event name differs.
_ALIASES = {"org_name": "name", "emails": "email", "phones": "phone"}


def _snake(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")


def _read(event: Any, path: str) -> Any:
    value = event
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def event_kind_of_trigger(trigger: str) -> str | None:
    """The event type a trigger asks for (``type = "track"`` → ``track``), or None."""
    found = re.search(r'\btype\s*=\s*"(\w+)"', trigger or "")
    return found.group(1) if found else None


def _candidates(name: str, event_type: str | None) -> list[str]:
    if event_type in ("identify", "group"):
        places = ("traits", "context.traits", "properties")
    else:  # track, page, screen: what the event is about is in its properties
        places = ("properties", "context.traits", "traits")
    return [f"$.{place}.{name}" for place in places]


def suggest_match_path(
    field_key: str, field_label: str, event: Any, event_type: str | None = None
) -> str | None:
    """The path of the event that holds the value of Pipedrive field ``field_key`` (labelled
    ``field_label``), or None when there is nothing sensible to suggest (e.g. the ID field: the
    caller keeps Segment's default).

    ``event_type`` (identify, group, track, …) decides where to look first — traits for identify and
    group calls, properties for track calls; when ``event`` has a value at one of the places, that
    place wins."""
    if not field_key or field_key == "id":
        return None
    words = field_label.casefold()
    for names, path in _TOP_LEVEL:
        if any(n in words for n in names) or field_key in names:
            return path
    kind = event_type or (event.get("type") if isinstance(event, dict) else None)
    is_custom = len(field_key) == 40 and all(c in "0123456789abcdef" for c in field_key)
    name = _snake(field_label) if is_custom else _ALIASES.get(field_key, field_key)
    if not name:
        return None
    candidates = _candidates(name, kind if isinstance(kind, str) else None)
    if isinstance(event, dict):
        for path in candidates:
            if _read(event, path) not in (None, ""):
                return path
    # Nothing in this event: a built-in field still has an obvious home; a custom one may not.
    return None if is_custom else candidates[0]
