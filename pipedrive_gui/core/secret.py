"""A token held so that it cannot leak by accident: ``repr``/``str`` show ``***``.

The Pipedrive and Segment clients keep their API tokens in one of these; only the request's auth
hook calls ``reveal()``, so a debug dump of a client, an exception's locals or a log line of an
object never carries the token.
"""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__
