"""A parsed, compiled trigger: the object the rest of the app uses to ask "does this event fire?"."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .errors import FqlSyntaxError
from .evaluate import compile_node
from .explain import node_reasons
from .jsops import UNDEF, is_undef
from .nodes import Group
from .parser import parse


class Trigger:
    """An FQL trigger as Segment reads it. Build with `parse_fql`; immutable and safe to share."""

    __slots__ = ("_predicate", "root", "text", "warnings")

    def __init__(self, text: str, root: Group, warnings: tuple[str, ...] = ()) -> None:
        self.text = text
        self.root = root
        # Things Segment silently ignores or reads surprisingly (stray tokens, mixed and/or, ...).
        self.warnings = warnings
        self._predicate = compile_node(root)

    def matches(self, event: Any = UNDEF) -> bool:
        """Whether Segment would fire for `event` (a JSON-decoded value; omitted = undefined, which
        never fires). Raises FqlEvaluationError where Segment's matcher throws (e.g. a null event)."""
        if is_undef(event):
            return False
        return self._predicate(event)

    def explain(self, event: Any = UNDEF) -> list[str]:
        """Plain-English reasons the trigger does not fire for `event`; empty when it fires."""
        if is_undef(event):
            return ["there is no event to test"]
        return node_reasons(self.root, event)

    def __repr__(self) -> str:
        return f"Trigger({self.text!r})"


@lru_cache(maxsize=512)
def parse_fql(text: str) -> Trigger:
    """Parse and compile FQL as Segment does; raises FqlSyntaxError (with `.position`) where
    Segment rejects the text."""
    if not isinstance(text, str):
        raise FqlSyntaxError(
            f"A trigger must be text, not {type(text).__name__}.", None, segment_error="fql must be a string"
        )
    result = parse(text)
    return Trigger(text, result.root, result.warnings)


def fql_matches(text: str, event: Any = UNDEF) -> bool:
    """Segment's `validate(parseFql(text), event)`, except that a parse error raises FqlSyntaxError
    and a matcher failure raises FqlEvaluationError instead of being hidden."""
    return parse_fql(text).matches(event)
