"""The one base of the app's domain errors: a failure a person can act on.

Every error the app shows a user (Pipedrive and Segment calls, the receiver, the ledger, the keyring,
project files, triggers, mapping-kit expressions, values Pipedrive would refuse) derives from
:class:`UserError`, so callers read ``user_message`` and never guess which attribute holds the text.
``str()`` and ``message`` give the same text. The GUI shows any exception through ``describe()``
in ``gui/errors.py``.
"""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """A failure with a message for the person using the app: what happened and what to do.

    Subclasses keep their standard base too (``class FqlError(UserError, ValueError)``), so existing
    ``except ValueError`` clauses still catch them.
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message

    @property
    def message(self) -> str:
        """The same text as ``user_message`` (the name some callers and tests use)."""
        return self.user_message

    def __str__(self) -> str:
        return self.user_message
