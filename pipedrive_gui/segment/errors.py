"""Typed Segment Public API failures, each with a message a non-developer can act on.

Segment answers errors as ``{"errors": [{"type", "message", "field"?, "data"?, "status"?}]}``
(``RequestErrorEnvelope`` / ``RequestError`` in Segment's public-api-sdk-typescript). The client turns
each answer into one of these classes: ``user_message`` says what happened and what to do;
``segment_message`` keeps Segment's own words (shown as details, and in push reports). No message,
``str()`` or ``repr()`` contains the token: it only ever travels in the Authorization header, and
server text that echoes it is scrubbed.
"""

from __future__ import annotations

from typing import Any

from pipedrive_gui.core.errors import UserError


class SegmentError(UserError):
    """Any failed Public API call."""

    def __init__(
        self,
        user_message: str,
        *,
        status: int | None = None,
        segment_message: str | None = None,
        field: str | None = None,
        method: str | None = None,
        path: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(user_message)
        self.status = status
        self.segment_message = segment_message
        self.field = field
        self.method = method
        self.path = path
        self.errors = errors or []

    @property
    def call(self) -> str:
        return f"{self.method} {self.path}" if self.method and self.path else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, call={self.call!r}, message={self.user_message!r})"


class SegmentAuthError(SegmentError):
    """401: no token, a wrong or revoked one, or one of the other region."""


class SegmentPermissionError(SegmentError):
    """403: the token is valid but lacks the rights for this call."""


class SegmentFeatureError(SegmentError):
    """The workspace does not have the Destination Subscriptions feature (Segment enables it)."""


class SegmentNotFoundError(SegmentError):
    """404: no such destination or subscription in this workspace."""


class SegmentValidationError(SegmentError):
    """400/422: Segment refused what was sent (invalid FQL, unknown action id, settings)."""


class SegmentRateLimitError(SegmentError):
    """429 that did not clear within the client's patience."""


class SegmentServerError(SegmentError):
    """5xx, or an answer that is not the Public API's JSON envelope."""


class SegmentConnectionError(SegmentError):
    """The server could not be reached (network, DNS, timeout)."""
