"""Typed receiver errors: each carries the HTTP status and the ``{"code", "message"}`` body Segment sends."""

from __future__ import annotations


class ReceiverError(Exception):
    """Base class: something the user (or a client) can act on; ``str()`` is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IntakeError(ReceiverError):
    """A request the receiver refuses; answered with ``status`` and ``{"code": code, "message": ...}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class JournalError(ReceiverError):
    """The journal could not be opened or written (disk full, permissions, a corrupt file)."""


class ReceiverStartError(ReceiverError):
    """The HTTP server could not start (port in use, address not available)."""
