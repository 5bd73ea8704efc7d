"""How the window words an exception: one ``describe()`` for every place that shows one.

Domain errors derive from :class:`~pipedrive_gui.core.errors.UserError` and carry their own text for
the user (what happened, what to do). Anything else is a surprise; the caller says how to word it
(``fallback``), or its ``str()`` is shown.
"""

from __future__ import annotations

from collections.abc import Callable

from pipedrive_gui.core.errors import UserError

__all__ = ["describe"]


def describe(exc: BaseException, fallback: Callable[[BaseException], str] | None = None) -> str:
    """The text to show for ``exc``: a domain error's ``user_message``; otherwise ``fallback(exc)``,
    or the exception's own text (its type name when it has none)."""
    if isinstance(exc, UserError):
        return exc.user_message
    if fallback is not None:
        return fallback(exc)
    return str(exc) or type(exc).__name__
