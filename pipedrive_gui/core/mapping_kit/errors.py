"""Typed errors of the mapping kit; ``str(error)`` is Segment's own message."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipedrive_gui.core.errors import UserError


class MappingKitError(UserError, ValueError):
    """A mapping could not be evaluated; the text is what Segment reports."""


@dataclass(frozen=True)
class MappingProblem:
    """One problem found by the validator.

    ``path`` is the JSON-pointer-like location (``/field/@path``), ``message`` the
    description (``should be a string but it is a number``); ``text`` is Segment's line.
    ``location`` is the same place as the keys from the mapping's root (``("field", "@path")``):
    ``path`` cannot be split back into keys that contain ``/``. Where Segment reports no location
    (``@merge``'s objects) it is empty.
    """

    path: str
    message: str
    location: tuple[str, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return f"{self.path} {self.message}."


class MappingValidationError(MappingKitError):
    """The mapping is malformed; ``problems`` lists every problem, in Segment's order."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        super().__init__("\n".join(p.text for p in problems))
        self.problems = problems
