"""Typed Pipedrive failures, each carrying a message a non-developer can act on.

The client maps every HTTP status / transport failure to one of these. ``user_message`` says what
happened, why and what to do; ``pipedrive_message`` is Pipedrive's own ``error`` text (already
scrubbed of the token). No message, ``str()`` or ``repr()`` ever contains the API token: the client
never puts it in a URL, and scrubs any server text that echoes it.
"""

from __future__ import annotations

from typing import Any

from pipedrive_gui.core.errors import UserError


class PipedriveError(UserError):
    """Base class: any failed Pipedrive call."""

    #: HTTP status, or None for transport failures (timeout, network down).
    status: int | None

    def __init__(
        self,
        user_message: str,
        *,
        status: int | None = None,
        pipedrive_message: str | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.status = status
        self.pipedrive_message = pipedrive_message
        self.code = code
        self.method = method
        self.path = path

    @property
    def call(self) -> str:
        """``GET /api/v2/persons/12`` (never with the query string), for logs and details."""
        if self.method and self.path:
            return f"{self.method} {self.path}"
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, call={self.call!r}, message={self.user_message!r})"


class AuthError(PipedriveError):
    """401: the token is wrong, revoked or regenerated."""


class PlanError(PipedriveError):
    """402/403/415: the account, plan or user permissions do not allow this call.

    ``blocked`` is True when Pipedrive answered with its abuse-protection HTML page (403 after
    hammering a rate limit).
    """

    def __init__(self, user_message: str, *, blocked: bool = False, **kw: Any) -> None:
        super().__init__(user_message, **kw)
        self.blocked = blocked


class NotFoundError(PipedriveError):
    """404: the record or endpoint does not exist (lookups treat this as "no match")."""


class ValidationError(PipedriveError):
    """400/422: Pipedrive refused the data; ``pipedrive_message`` says which field and why."""


class RateLimitedError(PipedriveError):
    """429: too many requests in the burst window, or the company's daily budget is used up.

    ``retry_after`` is the wait in seconds when known; ``daily`` is True when the daily token budget
    (shared by the whole company) is exhausted, which only resets at Pipedrive's midnight.
    """

    def __init__(
        self, user_message: str, *, retry_after: float | None = None, daily: bool = False, **kw: Any
    ) -> None:
        super().__init__(user_message, **kw)
        self.retry_after = retry_after
        self.daily = daily


class ServerError(PipedriveError):
    """5xx: Pipedrive had a problem or is under maintenance."""


class TimeoutError_(PipedriveError):  # noqa: N801 - trailing underscore avoids the builtin's name
    """Pipedrive did not answer in time."""


class NetworkError(PipedriveError):
    """Pipedrive could not be reached at all (offline, DNS, TLS, proxy)."""


class UnexpectedResponseError(PipedriveError):
    """Pipedrive answered something this app does not understand (non-JSON, wrong shape, 405/410)."""


TOKEN_HELP = (
    "Find your personal API token in Pipedrive under Settings > Personal preferences > API "
    "and enter it again (regenerating it there invalidates the old one)."
)


def message_for_status(status: int, pipedrive_message: str | None, *, where: str) -> str:
    """The user-facing sentence for an HTTP error status. ``where`` names the server (host)."""
    detail = ""
    if pipedrive_message:
        said = pipedrive_message.strip()
        # Pipedrive's own text rarely ends a sentence; ours continues after it.
        detail = f" Pipedrive said: “{said}”." if said else ""
    if status == 401:
        return f"Pipedrive rejected the API token ({where}). {TOKEN_HELP}"
    if status == 402:
        return (
            f"The Pipedrive company account at {where} is not open (trial ended or payment missing), "
            "so the API is switched off. A company admin can reopen it under Billing."
        )
    if status == 403:
        return (
            "Pipedrive refused this request: your user or plan is not allowed to do it "
            "(missing permission, a plan limit such as the number of deals, or a feature not on "
            f"your plan).{detail} Ask a Pipedrive admin to check your permission set and plan."
        )
    if status == 404:
        return f"Pipedrive has no such record or endpoint.{detail}"
    if status in (400, 422):
        return (
            f"Pipedrive refused the data.{detail or ' (no reason given)'} "
            "Fix the mapped value or field type and try again."
        )
    if status == 415:
        return f"This Pipedrive feature is not enabled for the account.{detail}"
    if status == 429:
        return (
            "Pipedrive's rate limit was reached (too many requests in a short time). "
            "Wait a few seconds and try again."
        )
    if status >= 500:
        if status == 503:
            return f"Pipedrive is temporarily unavailable (maintenance or overload, HTTP 503).{detail} Try again in a few minutes."
        return f"Pipedrive had an internal problem (HTTP {status}).{detail} Try again in a few minutes; if it persists check status.pipedrive.com."
    return f"Pipedrive answered with an unexpected HTTP {status}.{detail}"
