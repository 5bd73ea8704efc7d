"""Segment's mapping kit (``@path``, ``@template``, ``@if``, ...) in pure Python.

``compile_mapping(m).evaluate(event)`` gives what Segment's ``transform(m, event)``
gives, JS ``undefined`` included (:data:`~pipedrive_gui.core.jsvalues.UNDEFINED`).
"""

from pipedrive_gui.core.jsvalues import UNDEFINED

from .compiler import CompiledMapping, compile_mapping, transform
from .errors import MappingKitError, MappingProblem, MappingValidationError
from .validate import validate_mapping

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
