"""Typed receiver errors: each carries the HTTP status and the ``{"code", "message"}`` body Segment sends."""

from __future__ import annotations

from pipedrive_gui.core.errors import UserError


class ReceiverError(UserError):
    """Base class: something the user (or a client) can act on; ``str()`` is the message."""


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


# SQLite's primary result codes for the causes a user can act on.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = (
    3,
    8,
    11,
    13,
    14,
    26,
)


def journal_problem(exc: BaseException, doing: str, path: object = None) -> str:
    """What went wrong with the journal file and what to do, by cause (for :class:`JournalError`).

    ``doing`` says what failed ("open", "write", "read"); ``exc`` is the ``sqlite3.Error`` (or
    ``OSError``). Only a damaged file is worth moving away; a full disk or a read-only file is not.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    errno_ = getattr(exc, "errno", None)
    what = f"Could not {doing} the receiver journal" + (f" {path}" if path else "")
    if primary == _SQLITE_FULL or errno_ == 28:  # ENOSPC
        return f"{what}: the disk is full. Free disk space (or choose a data folder on another disk), then send again."
    if primary in (_SQLITE_READONLY, _SQLITE_PERM) or errno_ in (1, 13, 30):  # EPERM, EACCES, EROFS
        return (
            f"{what}: the file or its folder is read-only ({exc}). Make it writable for this user, "
            "or choose another data folder."
        )
    if primary == _SQLITE_CANTOPEN:
        return f"{what}: the file cannot be opened ({exc}). Check that its folder exists and is writable."
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return (
            f"{what}: the file is damaged ({exc}). Move it away (the receiver starts a new journal) and keep "
            "the copy if you need its events."
        )
    return f"{what}: {exc}. Check free disk space and the folder's permissions."
