"""The few JavaScript value rules Segment's FQL code relies on, for JSON-decoded Python values.

Segment matches with plain JS: strings are sequences of UTF-16 code units (so `length`, character
indexes and `slice` count surrogate halves), `Number(...)`/`String(...)` follow ECMAScript, and
`a && a[k]` stops at any falsy value. Strings inside a parsed trigger are kept in "UTF-16 form"
(astral characters split into their two surrogates) so comparisons behave exactly like JS.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from pipedrive_gui.core.jsvalues import UNDEFINED

# One `undefined` for the whole core: the mapping kit's sentinel (what a missing member reads as;
# falsy, distinct from None = null), so values pass between triggers and mappings unchanged.
UNDEF: Final = UNDEFINED


def is_undef(value: object) -> bool:
    return value is UNDEFINED


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def to_u16(text: str) -> str:
    """`text` with every astral character split into its surrogate pair (JS code-unit view)."""
    if text.isascii() or not _ASTRAL.search(text):
        return text
    return _ASTRAL.sub(_split_astral, text)


def _split_astral(match: re.Match[str]) -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def from_u16(text: str) -> str:
    """Inverse of `to_u16`: joins surrogate pairs; lone surrogates stay as they are."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def has_surrogates(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def is_number(value: object) -> bool:
    """JS `typeof value === 'number'` for a JSON-decoded value (bool is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_float(value: int | float) -> float:
    """The IEEE double JS holds for a JSON number (huge integers round; beyond range is infinite)."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def truthy(value: object) -> bool:
    """JS truthiness: undefined, null, false, 0, NaN and "" are falsy; [] and {} are truthy."""
    if value is None or is_undef(value) or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (int, float)):
        return value == value and value != 0
    return True


def number_to_string(value: float) -> str:
    """ECMAScript Number::toString (shortest round-trip digits, JS exponent thresholds)."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value < 0:
        return "-" + number_to_string(-value)
    # Imported here: only numbers need it, and loading decimal cost ~1.5 ms of the window's first
    # paint (the trigger builder imports this module; benchmarks/bench_startup.py).
    from decimal import Decimal

    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def to_string(value: str | float | bool) -> str:
    """JS `String(value)` for the value kinds a parsed trigger holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return number_to_string(value)


# StrWhiteSpaceChar: WhiteSpace (incl. every Zs) and LineTerminator.
_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_RADIX = {
    "0x": (16, re.compile(r"[0-9a-fA-F]+")),
    "0o": (8, re.compile(r"[0-7]+")),
    "0b": (2, re.compile(r"[01]+")),
}


def string_to_number(text: str) -> float:
    """JS `Number(text)`: trims JS whitespace; "" is 0; 0x/0o/0b literals; Infinity; else NaN."""
    body = text.strip(_JS_SPACE)
    if body == "":
        return 0.0
    if body in ("Infinity", "+Infinity"):
        return math.inf
    if body == "-Infinity":
        return -math.inf
    radix = _RADIX.get(body[:2].lower())
    if radix is not None:
        base, pattern = radix
        if pattern.fullmatch(body[2:]):
            return as_float(int(body[2:], base))
        return math.nan
    if _DECIMAL.fullmatch(body):
        return float(body)
    return math.nan


def to_number(value: str | float | bool) -> float:
    """JS `Number(value)` for the value kinds a parsed trigger holds."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return string_to_number(value)
    return value


class _Inherited:
    """An inherited JS member (a built-in method such as `constructor` or `toString`, or a
    prototype object): present and truthy, but never text, a number or a boolean."""

    def __repr__(self) -> str:
        return "<built-in>"


INHERITED: Final = _Inherited()

# Inherited member names per JSON value kind, as in Node 20 (`length` is answered separately).
_OBJECT_MEMBERS = frozenset(
    "__defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__ __proto__ constructor "
    "hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString toString valueOf".split()
)
_ARRAY_MEMBERS = _OBJECT_MEMBERS | frozenset(
    "at concat copyWithin entries every fill filter find findIndex findLast findLastIndex flat flatMap "
    "forEach includes indexOf join keys lastIndexOf map pop push reduce reduceRight reverse shift slice "
    "some sort splice toReversed toSorted toSpliced unshift values with".split()
)
_STRING_MEMBERS = _OBJECT_MEMBERS | frozenset(
    "anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fixed fontcolor fontsize "
    "includes indexOf isWellFormed italics lastIndexOf link localeCompare match matchAll normalize padEnd "
    "padStart repeat replace replaceAll search slice small split startsWith strike sub substr substring sup "
    "toLocaleLowerCase toLocaleUpperCase toLowerCase toUpperCase toWellFormed trim trimEnd trimLeft "
    "trimRight trimStart".split()
)
_NUMBER_MEMBERS = _OBJECT_MEMBERS | frozenset("toExponential toFixed toPrecision".split())
# Members of built-in functions other than name/length/caller/arguments (those are not modelled).
_FUNCTION_MEMBERS = _OBJECT_MEMBERS | frozenset("apply bind call".split())

_INDEX = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def get_member(container: Any, key: str) -> Any:
    """JS `container[key]` for a truthy JSON value and a property name in UTF-16 form.

    Arrays and strings answer `length` and canonical indexes (strings by UTF-16 code unit); objects
    answer their own members. Inherited members (`constructor`, `toString`, an array's `map`, ...)
    read as the opaque INHERITED marker; anything else is undefined.
    """
    if isinstance(container, dict):
        value = container.get(from_u16(key), UNDEF)
        if value is UNDEF and key in _OBJECT_MEMBERS:
            return INHERITED
        return value
    if isinstance(container, list):
        if key == "length":
            return len(container)
        if _INDEX.fullmatch(key) and int(key) < len(container):
            value = container[int(key)]
            return value
        return INHERITED if key in _ARRAY_MEMBERS else UNDEF
    if isinstance(container, str):
        units = to_u16(container)
        if key == "length":
            return len(units)
        if _INDEX.fullmatch(key) and int(key) < len(units):
            return units[int(key)]
        return INHERITED if key in _STRING_MEMBERS else UNDEF
    if isinstance(container, bool):
        return INHERITED if key in _OBJECT_MEMBERS or key == "valueOf" else UNDEF
    if isinstance(container, (int, float)):
        return INHERITED if key in _NUMBER_MEMBERS else UNDEF
    if container is INHERITED:
        return INHERITED if key in _FUNCTION_MEMBERS else UNDEF
    return UNDEF
