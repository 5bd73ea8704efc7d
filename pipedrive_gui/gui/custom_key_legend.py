"""Names for the 40-hex custom-field keys in a payload.

Segment's payload (and so the preview) names Pipedrive custom fields by their hash key only, e.g.
``"52d19da5…": "Pro"`` or ``"match_field": "52d19da5…"``. The payload text must stay exactly what
Segment computes (it can be copied), so the names are shown beside it: a legend under the payload
and a tooltip when the mouse rests on a key.
"""

from __future__ import annotations

import re
from typing import Any

from pipedrive_gui.core.actions import ACTIONS, ENTITIES

KEY_RE = re.compile(r"\b[0-9a-f]{40}\b")


def keys_in(text: str) -> list[str]:
    """The distinct 40-hex keys in ``text``, in order of first appearance."""
    return list(dict.fromkeys(KEY_RE.findall(text)))


def field_label(catalog: Any, key: str, action_slug: str = "") -> str | None:
    """The label of the custom field with this key ("Segment user ID"), or None if unknown."""
    if catalog is None:
        return None
    # Which entity's fields the action's custom keys most likely belong to (searched first).
    action = ACTIONS.get(action_slug)
    first = action.entity if action else None
    order = ([first] if first else []) + [e for e in ENTITIES if e != first]
    for entity in order:
        f = catalog.by_key(entity, key)
        if f is not None:
            return str(f.label) if entity == first or first is None else f"{f.label} ({entity})"
    return None


def legend_html(text: str, catalog: Any, action_slug: str = "") -> str:
    """One line per custom-field key in ``text``: ``52d19da5… = Segment user ID``; "" if none."""
    keys = keys_in(text)
    if not keys:
        return ""
    if catalog is None:
        return (
            "Custom field keys (the long codes) are named once you connect to Pipedrive "
            "(Pipedrive › Connect…)."
        )
    parts = []
    for key in keys:
        label = field_label(catalog, key, action_slug)
        shown = _escape(label) if label else "<i>not a field in this Pipedrive account</i>"
        parts.append(f"<code>{key[:8]}…</code> = {shown}")
    return "Custom field keys: " + ", ".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
