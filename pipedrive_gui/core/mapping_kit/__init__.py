"""Segment's mapping kit (``@path``, ``@template``, ``@if``, ...) in pure Python.

``compile_mapping(m).evaluate(event)`` gives what Segment's ``transform(m, event)``
gives, JS ``undefined`` included (:data:`~pipedrive_gui.core.jsvalues.UNDEFINED`).

The compiler is imported when first used: validating an expression (the desktop app does so for
every "Advanced" field while it opens a project, before its first paint) needs only ``validate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipedrive_gui.core.jsvalues import UNDEFINED

from .errors import MappingKitError, MappingProblem, MappingValidationError
from .validate import validate_mapping

if TYPE_CHECKING:
    from .compiler import CompiledMapping, compile_mapping, transform

_FROM_COMPILER = frozenset({"CompiledMapping", "compile_mapping", "transform"})

__all__ = [
    "UNDEFINED",
    "CompiledMapping",
    "MappingKitError",
    "MappingProblem",
    "MappingValidationError",
    "compile_mapping",
    "transform",
    "validate_mapping",
]


def __getattr__(name: str) -> Any:
    if name in _FROM_COMPILER:
        from . import compiler

        value = getattr(compiler, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
