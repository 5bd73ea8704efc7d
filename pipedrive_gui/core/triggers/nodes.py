"""The condition tree Segment builds from FQL (the same shape as destination-subscriptions' AST)."""

from __future__ import annotations

from dataclasses import dataclass

# Condition kinds, as Segment names them.
EVENT_TYPE = "event-type"
EVENT = "event"
NAME = "name"
USER_ID = "userId"
PROPERTY = "event-property"
TRAIT = "event-trait"
CONTEXT = "event-context"

KINDS = (EVENT_TYPE, EVENT, NAME, USER_ID, PROPERTY, TRAIT, CONTEXT)
PATH_KINDS = (PROPERTY, TRAIT, CONTEXT)

# The event member each kind reads, and the FQL prefix it is written with.
EVENT_MEMBER = {
    EVENT_TYPE: "type",
    EVENT: "event",
    NAME: "name",
    USER_ID: "userId",
    PROPERTY: "properties",
    TRAIT: "traits",
    CONTEXT: "context",
}

# Operators Segment's matcher knows (any other operator text never matches).
OPERATORS = (
    "=",
    "!=",
    "number_equals",
    "number_not_equals",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
    "exists",
    "not_exists",
    "is_true",
    "is_false",
)
NUMERIC_OPERATORS = ("number_equals", "number_not_equals", "<", "<=", ">", ">=")
TEXT_OPERATORS = (
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
)
VALUELESS_OPERATORS = ("exists", "not_exists", "is_true", "is_false")

Value = str | float | bool | None


@dataclass(frozen=True)
class Condition:
    """One condition. `name` is the dotted path below properties/traits/context ("" for the other
    kinds); `value` is None for exists / not_exists / is_true / is_false."""

    kind: str
    operator: str
    value: Value = None
    name: str = ""

    @property
    def field(self) -> str:
        """How a person reads the field: `event`, `properties.order.total`."""
        member = EVENT_MEMBER.get(self.kind, self.kind)
        return f"{member}.{self.name}" if self.kind in PATH_KINDS else member


@dataclass(frozen=True)
class Group:
    """Conditions joined by one operator ("and"/"or"). A child is None where Segment's parser
    produced nothing (empty parentheses); Segment's matcher fails when it reaches such a child."""

    operator: str
    children: tuple[Node | None, ...]


Node = Condition | Group
