"""JavaScript semantics for python-liquid: property reads and comparisons as liquidjs.

liquidjs reads properties the JS way (own properties, so ``"abc".length`` and
character indexes work, ``size``/``first``/``last`` as liquidjs defines them) and
compares with JS operators (``===`` for ``==``, coercing ``<``/``>``).
"""

from __future__ import annotations

import math
from typing import Any

from liquid import Undefined
from liquid.builtin.expressions import logical as _logical
from liquid.builtin.expressions import primitive as _primitive_module
from liquid.builtin.expressions.primitive import Blank, Empty
from liquid.context import RenderContext

from pipedrive_gui.core.jsvalues import (
    UNDEFINED,
    get_property,
    js_keys,
    js_to_string,
    utf16_len,
)

from .liquid_values import NIL, NilDrop, js_number


def js_value(value: Any) -> Any:
    """python-liquid's undefined is JS ``undefined``; ``__liquid__`` objects unwrap."""
    if isinstance(value, Undefined):
        return UNDEFINED
    if hasattr(value, "__liquid__"):
        value = value.__liquid__()
    return value


def _read_size(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "size" in obj:
            return obj["size"]
        return len(js_keys(obj))
    if isinstance(obj, list):
        return len(obj)
    if isinstance(obj, str):
        return utf16_len(obj)
    return UNDEFINED


class JsRenderContext(RenderContext):
    """Resolves ``a.b[0].size`` like liquidjs' ``readProperty`` (own properties only)."""

    def get_item(self, obj: Any, key: Any) -> Any:
        obj = js_value(obj)
        key = js_value(key)
        if obj is None or obj is UNDEFINED:
            raise KeyError(key)
        if isinstance(obj, list) and isinstance(key, (int, float)) and not isinstance(key, bool) and key < 0:
            index = len(obj) + key
            if isinstance(index, int) and 0 <= index < len(obj):
                return obj[index]
            raise KeyError(key)
        name = key if isinstance(key, str) else js_to_string(key)
        value = get_property(obj, name) if isinstance(obj, (dict, list, str)) else UNDEFINED
        if name == "size":
            value = _read_size(obj)
        elif name == "first":
            value = (obj[0] if obj else UNDEFINED) if isinstance(obj, list) else _own(obj, "first")
        elif name == "last":
            value = (obj[-1] if obj else UNDEFINED) if isinstance(obj, list) else _own(obj, "last")
        if value is UNDEFINED:
            raise KeyError(key)
        return value


def _own(obj: Any, key: str) -> Any:
    return obj.get(key, UNDEFINED) if isinstance(obj, dict) else UNDEFINED


# --- comparisons -------------------------------------------------------------------


def js_equals(left: Any, right: Any) -> bool:
    """liquidjs ``equals``: the ``nil`` literal equals any nil, arrays element-wise, else ``===``."""
    if isinstance(left, NilDrop) or isinstance(right, NilDrop):
        other = js_value(right if isinstance(left, NilDrop) else left)
        return other is None or other is UNDEFINED
    left, right = js_value(left), js_value(right)
    if isinstance(left, (Empty, Blank)) or isinstance(right, (Empty, Blank)):
        return bool(_ORIGINAL_EQ(left, right))
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(js_equals(a, b) for a, b in zip(left, right, strict=True))
        )
    return _strict_equals(left, right)


def _strict_equals(left: Any, right: Any) -> bool:
    if left is UNDEFINED or right is UNDEFINED:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return bool(js_number(left) == js_number(right))  # compared as doubles
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is right


def _primitive(value: Any) -> Any:
    value = js_value(value)
    if isinstance(value, (list, dict)):
        return js_to_string(value)
    return value


def _utf16_key(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def js_less_than(left: Any, right: Any) -> bool:
    """JS ``left < right`` (strings by UTF-16 code units, otherwise as numbers)."""
    if isinstance(left, NilDrop) or isinstance(right, NilDrop):
        return False
    a, b = _primitive(left), _primitive(right)
    if isinstance(a, str) and isinstance(b, str):
        return _utf16_key(a) < _utf16_key(b)
    x, y = js_number(a), js_number(b)
    if math.isnan(x) or math.isnan(y):
        return False
    return x < y


def js_less_or_equal(left: Any, right: Any) -> bool:
    """JS ``left <= right``."""
    if isinstance(left, NilDrop) or isinstance(right, NilDrop):
        return False
    a, b = _primitive(left), _primitive(right)
    if isinstance(a, str) and isinstance(b, str):
        return _utf16_key(a) <= _utf16_key(b)
    x, y = js_number(a), js_number(b)
    if math.isnan(x) or math.isnan(y):
        return False
    return x <= y


def js_contains(left: Any, right: Any) -> bool:
    left = js_value(left)
    if isinstance(left, list):
        return any(js_equals(item, right) for item in left)
    if isinstance(left, str):
        return js_to_string(js_value(right)) in left
    return False


_ORIGINAL_EQ = _logical._eq


def _lt(token: Any, left: Any, right: Any) -> bool:
    return js_less_than(left, right)


def _le(left: Any, right: Any) -> bool:
    return js_less_or_equal(left, right)


def _contains(token: Any, left: Any, right: Any) -> bool:
    return js_contains(left, right)


def install_js_comparisons() -> None:
    """Give python-liquid's comparison operators liquidjs semantics.

    python-liquid looks these helpers up as module globals at evaluation time and
    offers no per-environment hook, so they (and the ``nil`` literal) are replaced in
    its modules; the mapping kit is the only user of python-liquid in this application.
    """
    _logical._eq = js_equals
    # liquidjs evaluates the literal ``nil`` to a NullDrop (compares false, ``{}`` in JSON).
    _primitive_module.Nil.evaluate = lambda self, context: NIL  # type: ignore[method-assign,assignment]
    _logical._lt = _lt
    _logical._le = _le
    _logical._contains = _contains
