"""Segment's event vocabulary (docs/segment.md#the-tracking-api): the six types a Segment event can have.

The one list of them: the trigger builder offers them, the receiver accepts them (and analytics.js's
one-letter paths), and the receiver's view filters by them.
"""

from __future__ import annotations

__all__ = ["EVENT_TYPES"]

#: In the order of Segment's Spec: identify, track, page, screen, group, alias.
EVENT_TYPES = ("identify", "track", "page", "screen", "group", "alias")
