"""Typed errors of the trigger package; each carries a message written for the person editing the trigger."""

from __future__ import annotations

from pipedrive_gui.core.errors import UserError


class FqlError(UserError, ValueError):
    """Base class. `message` is for people; `segment_error` is the text Segment's own code reports."""

    def __init__(self, message: str, *, segment_error: str) -> None:
        super().__init__(message)
        self.segment_error = segment_error


class FqlSyntaxError(FqlError):
    """Segment cannot parse the trigger. `position` is the 0-based character index of the problem
    in the trigger text, or None when the problem is the text as a whole (e.g. it is empty)."""

    def __init__(self, message: str, position: int | None, *, segment_error: str) -> None:
        super().__init__(message, segment_error=segment_error)
        self.position = position


class FqlEvaluationError(FqlError):
    """Segment's matcher throws on this event (e.g. the event is `null`); Segment treats that as a
    failed delivery, not as "does not match"."""
