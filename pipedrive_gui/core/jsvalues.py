"""JavaScript value semantics over JSON-like Python values.

Segment's mapping kit is JavaScript; its results depend on JS details that Python
does differently: ``undefined`` vs ``null``, truthiness (``[]`` and ``{}`` are truthy),
property access on strings and arrays (``length``, UTF-16 character indexes), number
to string conversion (``1e+21``, ``0.30000000000000004``), the enumeration order of
object keys (integer-like keys first, ascending) and ``JSON.stringify``.

Values are modelled as: ``dict`` (object, any insertion order; JS order is applied
whenever keys are enumerated), ``list`` (array), ``str``, ``int``/``float`` (number),
``bool``, ``None`` (null) and :data:`UNDEFINED`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, Final


class _Undefined:
    """The JS ``undefined`` value: a falsy singleton distinct from ``None`` (null)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()

_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")
_MAX_INDEX: Final = 4294967294  # largest JS array index (2**32 - 2)
_SAFE_INT: Final = 2**53


def is_undefined(value: object) -> bool:
    """True for the JS ``undefined`` sentinel."""
    return value is UNDEFINED


def real_type_of(value: object) -> str:
    """``Object.prototype.toString`` type name, lower-cased (as mapping-kit's ``realTypeOf``)."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_of(value: object) -> str:
    """The JS ``typeof`` operator (``null`` and arrays are objects to it)."""
    kind = real_type_of(value)
    return "object" if kind == "null" or kind == "array" else kind


def truthy(value: object) -> bool:
    """JS truthiness: containers are always truthy, ``NaN``/``0``/``''`` are not."""
    if isinstance(value, (dict, list)):
        return True
    if isinstance(value, float) and value != value:
        return False
    return bool(value)


def is_index_key(key: str) -> bool:
    """True when ``key`` is a canonical array index, which JS enumerates first."""
    if not key or not key.isascii() or not key.isdigit():
        return False
    if key[0] == "0":
        return key == "0"
    return len(key) < 11 and int(key) <= _MAX_INDEX


def js_keys(obj: dict[str, Any]) -> list[str]:
    """``Object.keys`` order: index keys ascending, then the others in insertion order."""
    index_keys: list[str] | None = None
    for key in obj:
        if key and key[0] in "0123456789" and is_index_key(key):
            if index_keys is None:
                index_keys = []
            index_keys.append(key)
    if index_keys is None:
        return list(obj)
    index_keys.sort(key=int)
    seen = set(index_keys)
    return index_keys + [k for k in obj if k not in seen]


def js_order(value: Any) -> Any:
    """Deep copy with every object's keys in JS enumeration order."""
    if isinstance(value, dict):
        return {k: js_order(value[k]) for k in js_keys(value)}
    if isinstance(value, list):
        return [js_order(v) for v in value]
    return value


# --- strings -----------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """``String.prototype.length``: the number of UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_units(text: str) -> list[str]:
    """The string's UTF-16 code units, each as a one-character string (surrogates split)."""
    if text.isascii():
        return list(text)
    units: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            units.append(chr(0xD800 + (cp >> 10)))
            units.append(chr(0xDC00 + (cp & 0x3FF)))
        else:
            units.append(ch)
    return units


def join_utf16(text: str) -> str:
    """Re-pair surrogate halves that ended up adjacent (JS strings are UTF-16)."""
    if text.isascii() or not _SURROGATE_RE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """``String.prototype.trim`` (JS whitespace differs from Python's)."""
    return text.strip(_JS_WHITESPACE)


# --- numbers -----------------------------------------------------------------------


def number_to_string(value: int | float) -> str:
    """``Number.prototype.toString()`` / ``String(n)`` for a JS number."""
    if isinstance(value, int):
        if -_SAFE_INT <= value <= _SAFE_INT:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "Infinity" if value > 0 else "-Infinity"
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    text = repr(abs(value))  # shortest round-trip digits, like JS
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    stripped = digits.lstrip("0")
    point = len(int_part) - (len(digits) - len(stripped)) + exponent
    digits = stripped.rstrip("0") or "0"
    k = len(digits)
    n = point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    exp = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return sign + digits + "e" + exp
    return sign + digits[0] + "." + digits[1:] + "e" + exp


def js_to_string(value: Any) -> str:
    """``String(value)``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_to_string(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else js_to_string(v) for v in value)
    return "[object Object]"


def loosely_equals_empty_string(value: Any) -> bool:
    """``value == ''`` with JS abstract equality."""
    if isinstance(value, str):
        return value == ""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, list):
        return js_to_string(value) == ""
    return False


# --- property access ---------------------------------------------------------------


def get_property(obj: Any, key: str) -> Any:
    """``obj[key]`` for a non-nullish JSON-like value (own data only, no prototype members)."""
    if isinstance(obj, dict):
        return obj.get(key, UNDEFINED)
    if isinstance(obj, list):
        if key == "length":
            return len(obj)
        if key and key[0] in "0123456789" and is_index_key(key):
            i = int(key)
            if i < len(obj):
                return obj[i]
        return UNDEFINED
    if isinstance(obj, str):
        if key == "length":
            return utf16_len(obj)
        if key and key[0] in "0123456789" and is_index_key(key):
            i = int(key)
            if obj.isascii():
                return obj[i] if i < len(obj) else UNDEFINED
            units = utf16_units(obj)
            return units[i] if i < len(units) else UNDEFINED
        return UNDEFINED
    return UNDEFINED


# --- JSON --------------------------------------------------------------------------

_encode_basestring: Callable[[str], str] = json.encoder.encode_basestring


def _finish(text: str) -> str:
    """Escape lone surrogates as JSON.stringify does (pairs stay characters).

    Surrogates can only occur inside JSON strings, so one pass over the whole text
    is enough.
    """
    if text.isascii() or not _SURROGATE_RE.search(text):
        return text
    return _LONE_SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", join_utf16(text))


_LONE_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")


_C_ENCODE: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
).encode


_UNSAFE: Final = object()
_DIGITS: Final = frozenset("0123456789")


def _for_c_encoder(value: Any) -> Any:
    """``value`` ready for Python's C JSON encoder, or ``_UNSAFE`` when it would differ.

    The C encoder matches JSON.stringify except for undefined, integral floats (``5.0``),
    exponent forms (``1e+16``, ``1e-05``), integers beyond 2**53 and index-like keys
    (JS enumerates those first). Integral floats are swapped for ints (copying only
    the containers on their path); anything else sends the caller to the slow path.
    """
    kind = type(value)
    if kind is dict or kind is list:
        is_dict = kind is dict
        changed: Any = None  # a copy of the container, made at the first item that changes
        pairs: Iterable[tuple[Any, Any]] = value.items() if is_dict else enumerate(value)
        for key, item in pairs:
            if is_dict and key[:1] in _DIGITS and is_index_key(key):
                return _UNSAFE
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            if item_kind is int and -_SAFE_INT <= item <= _SAFE_INT:
                continue
            new = _for_c_encoder(item)
            if new is _UNSAFE:
                return _UNSAFE
            if new is not item:
                if changed is None:
                    changed = kind(value)
                changed[key] = new
        return value if changed is None else changed
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -_SAFE_INT <= value <= _SAFE_INT else _UNSAFE
    if kind is float and 1e-4 <= abs(value) < 1e16:
        return int(value) if value.is_integer() else value
    return _UNSAFE


def js_to_json(value: Any, indent: str = "") -> str | None:
    """``JSON.stringify(value, null, indent)``; ``None`` when JS would give ``undefined``."""
    if value is UNDEFINED:
        return None
    if not indent:
        prepared = _for_c_encoder(value)
        if prepared is not _UNSAFE:
            return _finish(_C_ENCODE(prepared))  # fast path: the C encoder
    parts: list[str] = []
    if indent:
        _stringify_pretty(value, parts, indent, "\n")
    else:
        _stringify(value, parts)
    return _finish("".join(parts))


def _stringify_pretty(value: Any, out: list[str], indent: str, newline: str) -> None:
    inner = newline + indent
    if isinstance(value, list) and value:
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + inner)
            _stringify_pretty(item, out, indent, inner)
        out.append(newline + "]")
    elif isinstance(value, dict) and any(value[k] is not UNDEFINED for k in value):
        out.append("{")
        first = True
        for key in js_keys(value):
            item = value[key]
            if item is UNDEFINED:
                continue
            out.append(("" if first else ",") + inner + _encode_basestring(key) + ": ")
            first = False
            _stringify_pretty(item, out, indent, inner)
        out.append(newline + "}")
    else:
        _stringify(value, out)


def _scalar_json(value: Any) -> str:
    """JSON text of a non-container value (type checks ordered by frequency)."""
    kind = type(value)
    if kind is str:
        return _encode_basestring(value)
    if kind is int:
        return str(value) if -_SAFE_INT <= value <= _SAFE_INT else number_to_string(value)
    if kind is float:
        if value.is_integer() and -1e16 < value < 1e16:
            return str(int(value))
        return number_to_string(value) if math.isfinite(value) else "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None or value is UNDEFINED:
        return "null"
    if isinstance(value, str):
        return _encode_basestring(str(value))
    if isinstance(value, (int, float)):
        return number_to_string(value) if math.isfinite(value) else "null"
    raise TypeError(f"not a JSON-like value: {type(value).__name__}")


def _stringify(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        sep = ""
        for key in js_keys(value):
            item = value[key]
            if item is UNDEFINED:
                continue
            out.append(sep + _encode_basestring(key) + ":")
            sep = ","
            if isinstance(item, (dict, list)):
                _stringify(item, out)
            else:
                out.append(_scalar_json(item))
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        sep = ""
        for item in value:
            out.append(sep)
            sep = ","
            if isinstance(item, (dict, list)):
                _stringify(item, out)
            else:
                out.append(_scalar_json(item))
        out.append("]")
    else:
        out.append(_scalar_json(value))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def js_json_parse(text: str) -> Any:
    """``JSON.parse``; raises ``ValueError`` where JS would throw a ``SyntaxError``."""
    return json.loads(text, parse_constant=_reject_constant)


# --- results as the conformance oracle writes them ---------------------------------


def to_json_value(value: Any) -> Any:
    """What ``JSON.parse(JSON.stringify(value))`` gives, in JS key order.

    Undefined members are dropped, undefined array items and non-finite numbers become
    ``None``, ``-0`` becomes ``0``, integral numbers become ``int`` and integers are
    rounded to doubles beyond 2**53. Returns :data:`UNDEFINED` for a top-level undefined.
    """
    if value is UNDEFINED:
        return UNDEFINED
    return _json_value(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(value[k]) for k in js_keys(value) if value[k] is not UNDEFINED}
    if isinstance(value, list):
        return [None if v is UNDEFINED else _json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        try:
            value = float(value)
        except OverflowError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) <= _SAFE_INT:
            return int(value)
        return value
    if value is UNDEFINED:
        return None
    raise TypeError(f"not a JSON-like value: {type(value).__name__}")


def encode_result(value: Any, key: str = "output") -> dict[str, Any]:
    """A successful result in the oracle's encoding: ``{"ok": true, key: V}`` or undefined."""
    encoded = to_json_value(value)
    if encoded is UNDEFINED:
        return {"ok": True, "undefined": True}
    return {"ok": True, key: encoded}


def encode_error(error: BaseException | str) -> dict[str, Any]:
    """A failure in the oracle's encoding: ``{"ok": false, "error": message}``."""
    return {"ok": False, "error": str(error)}


def dumps_result(result: Any) -> str:
    """Serialise an encoded result (or any JSON-like value) byte-for-byte like the oracle."""
    text = js_to_json(result)
    if text is None:
        raise ValueError("undefined is not serialisable")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")
