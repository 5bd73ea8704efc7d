"""Values inside Liquid templates as liquidjs sees them: JS coercions and ``nil``.

liquidjs passes ``undefined`` for missing variables and arguments, coerces with JS
rules (``Number("")`` is 0, ``+"x"`` is NaN) and stringifies nil as empty and arrays
by concatenation; the filters build on these helpers.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from liquid import Undefined

from pipedrive_gui.core.jsvalues import UNDEFINED, js_to_string, js_trim

MEMORY_LIMIT: Final = 100_000_000  # Segment's liquidjs memoryLimit
JS_SPACE: Final = r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
SPACES_RE: Final = re.compile(JS_SPACE + "+")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class NilDrop:
    """liquidjs' ``NullDrop``: what the ``nil`` literal evaluates to (nil when used)."""

    __slots__ = ()

    def __liquid__(self) -> None:
        return None

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "nil"


NIL: Final = NilDrop()


class FilterFailure(Exception):
    """A filter refused to run; the tag or output that called it adds the position."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def value_of(value: Any) -> Any:
    """python-liquid's undefined is JS ``undefined``; ``__liquid__`` objects unwrap."""
    if isinstance(value, Undefined):
        return UNDEFINED
    if hasattr(value, "__liquid__"):
        return value.__liquid__()
    return value


def arg(args: tuple[Any, ...], index: int) -> Any:
    return value_of(args[index]) if index < len(args) else UNDEFINED


def stringify(value: Any) -> str:
    """liquidjs ``stringify``: nil is empty, arrays are flattened and concatenated."""
    value = value_of(value)
    if isinstance(value, str):
        return value
    if value is None or value is UNDEFINED:
        return ""
    if isinstance(value, list):
        return "".join(stringify(v) for v in value)
    if isinstance(value, range):
        return "".join(str(v) for v in value)
    return js_to_string(value)


def js_number(value: Any) -> float | int:
    """JS ``Number(value)``."""
    value = value_of(value)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int) and not -(2**53) <= value <= 2**53:
        try:
            return float(value)  # every JS number is a double
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    if value is UNDEFINED:
        return math.nan
    if isinstance(value, (list, dict, str)):
        text = js_trim(js_to_string(value))
        if text == "":
            return 0
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return -math.inf if text[0] == "-" else math.inf
        prefix = text[:2].lower()
        if prefix in ("0x", "0o", "0b"):
            try:
                return int(text, 0)
            except ValueError:
                return math.nan
        if _NUMBER_RE.fullmatch(text):
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        return math.nan
    return math.nan


def to_number(value: Any) -> float | int:
    """liquidjs ``toNumber``: ``+value || 0``."""
    number = js_number(value)
    if number != number or number == 0:
        return 0
    return number


def as_js_number(value: float | int) -> float | int:
    if isinstance(value, int) and abs(value) > 2**53:
        return float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def to_integer(value: Any) -> int | float:
    """ToIntegerOrInfinity."""
    number = js_number(value)
    if number != number:
        return 0
    if math.isinf(number):
        return number
    return int(number)


def slice_bounds(length: int, start: Any, end: Any = UNDEFINED) -> tuple[int, int]:
    """Bounds as ``Array.prototype.slice`` / ``String.prototype.slice`` compute them."""

    def clamp(raw: Any, default: int) -> int:
        if raw is UNDEFINED:
            return default
        n = to_integer(raw)
        if n < 0:
            return int(max(length + n, 0))
        return int(min(n, length))

    return clamp(start, 0), clamp(end, length)


def js_add(a: Any, b: Any) -> Any:
    """JS ``a + b`` for primitives."""
    if isinstance(a, str) or isinstance(b, str):
        return js_to_string(a) + js_to_string(b)
    return js_number(a) + js_number(b)
