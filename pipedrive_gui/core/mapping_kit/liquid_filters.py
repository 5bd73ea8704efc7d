"""Liquid filters with liquidjs semantics (JS numbers, JS strings, JS ``join``...).

python-liquid follows Ruby/Shopify Liquid, Segment runs liquidjs; where the two differ
(``divided_by: 2`` on 3 is 1.5, ``url_encode`` keeps ``!*'()``, ``json`` is
``JSON.stringify``) these implementations follow liquidjs.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote, unquote

from liquid import Undefined

from pipedrive_gui.core.jsvalues import (
    UNDEFINED,
    js_to_json,
    js_to_string,
    js_trim,
    utf16_len,
    utf16_units,
)

DISABLED_FILTERS: Final = (
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
)


class FilterFailure(Exception):
    """A filter refused to run; the caller adds the template position."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def value_of(value: Any) -> Any:
    """python-liquid's undefined becomes nil (liquidjs passes ``undefined``)."""
    return None if isinstance(value, Undefined) else value


def stringify(value: Any) -> str:
    """liquidjs ``stringify``: nil is empty, arrays are flattened and concatenated."""
    value = value_of(value)
    if isinstance(value, str):
        return value
    if value is None or value is UNDEFINED:
        return ""
    if isinstance(value, (list, tuple)):
        return "".join(stringify(v) for v in value)
    if isinstance(value, range):
        return "".join(str(v) for v in value)
    if isinstance(value, (bool, int, float, dict)):
        return js_to_string(value)
    return str(value)


def _js_number(value: Any) -> float | int:
    """JS ``Number(value)``."""
    value = value_of(value)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    if isinstance(value, (list, dict, str)):
        text = js_trim(js_to_string(value))
        if text == "":
            return 0
        try:
            if text.lower().startswith(("0x", "0o", "0b")) and text[2:].isalnum():
                return int(text, 0)
            if text in ("Infinity", "+Infinity"):
                return math.inf
            if text == "-Infinity":
                return -math.inf
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
                return math.nan
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return math.nan
    return math.nan


def to_number(value: Any) -> float | int:
    """liquidjs ``toNumber``: ``+value || 0``."""
    number = _js_number(value)
    if number != number or number == 0:
        return 0
    return number


def _num(value: float | int) -> float | int:
    if isinstance(value, int) and abs(value) > 2**53:
        return float(value)
    return value


def _div(a: float | int, b: float | int) -> float | int:
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1, b)
    result = a / b
    return int(result) if isinstance(a, int) and isinstance(b, int) and result.is_integer() else result


def _js_round(value: float) -> float | int:
    """``Math.round``: halves go up."""
    if not math.isfinite(value):
        return value
    return math.floor(value + 0.5)


def _math(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        try:
            return _num(fn(*(to_number(a) for a in args)))
        except (OverflowError, ValueError):
            return math.nan

    return run


def _js_mod(a: float | int, b: float | int) -> float | int:
    if b == 0 or not math.isfinite(a):
        return math.nan
    if not math.isfinite(b):
        return a
    if isinstance(a, int) and isinstance(b, int):
        return int(math.fmod(a, b))
    return math.fmod(a, b)


def _round(value: Any, digits: Any = 0) -> Any:
    v = to_number(value)
    amp = 10 ** to_number(digits)
    scaled = abs(v * amp)
    rounded = math.copysign(1, v) * _js_round(scaled) / amp if v else 0
    return (
        int(rounded)
        if isinstance(rounded, float) and rounded.is_integer() and abs(rounded) < 2**53
        else rounded
    )


def _divided_by(dividend: Any, divisor: Any, integer_arithmetic: Any = False) -> Any:
    a, b = to_number(dividend), to_number(divisor)
    result = _div(a, b)
    if value_of(integer_arithmetic) not in (None, False) and math.isfinite(result):
        return math.floor(result)
    return _num(result)


def _first(value: Any) -> Any:
    value = value_of(value)
    if isinstance(value, list):
        return value[0] if value else UNDEFINED
    if isinstance(value, str):
        units = utf16_units(value)
        return units[0] if units else UNDEFINED
    return ""


def _last(value: Any) -> Any:
    value = value_of(value)
    if isinstance(value, list):
        return value[-1] if value else UNDEFINED
    if isinstance(value, str):
        units = utf16_units(value)
        return units[-1] if units else UNDEFINED
    return ""


def _size(value: Any) -> Any:
    value = value_of(value)
    if isinstance(value, str):
        return utf16_len(value)
    if isinstance(value, list):
        return len(value)
    return 0


def _to_array(value: Any) -> list[Any]:
    value = value_of(value)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _join(value: Any, separator: Any = None) -> str:
    separator = value_of(separator)
    sep = " " if separator is None else stringify(separator)
    return sep.join(
        "" if v is None or v is UNDEFINED else js_to_string(value_of(v)) for v in _to_array(value)
    )


def _default(value: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    value = value_of(value)
    if isinstance(value, (list, str)):
        return value if value else default
    if value is False and kwargs.get("allow_false"):
        return False
    return default if value is None or value is False else value


def _json(value: Any, space: Any = 0) -> Any:
    text = js_to_json(_plain(value))
    return UNDEFINED if text is None else text


def _plain(value: Any) -> Any:
    if isinstance(value, Undefined):
        return UNDEFINED
    return value


def _split(value: Any, separator: Any = None) -> list[str]:
    text = stringify(value)
    sep = stringify(separator) if value_of(separator) is not None else "undefined"
    parts = utf16_units(text) if sep == "" else text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _strip_chars(text: str, chars: Any, left: bool, right: bool) -> str:
    if chars is None or chars == "" or chars is False:
        if left and right:
            return js_trim(text)
        return text.lstrip(_WS) if left else text.rstrip(_WS)
    charset = stringify(chars)
    if left:
        text = text.lstrip(charset)
    if right:
        text = text.rstrip(charset)
    return text


_WS: Final = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _capitalize(value: Any) -> str:
    text = stringify(value)
    return text[:1].upper() + text[1:].lower()


def _replace_first(value: Any, old: Any, new: Any = None) -> str:
    return stringify(value).replace(stringify(old), stringify(new), 1)


def _replace_last(value: Any, old: Any, new: Any = None) -> str:
    text, pattern, repl = stringify(value), stringify(old), stringify(new)
    index = text.rfind(pattern)
    if index == -1:
        return text
    return text[:index] + repl + text[index + len(pattern) :]


def _truncate(value: Any, length: Any = 50, ellipsis: Any = "...") -> Any:
    text = stringify(value)
    end = stringify(ellipsis)
    limit = to_number(length)
    if utf16_len(text) <= limit:
        return value
    units = utf16_units(text)
    cut = int(limit) - utf16_len(end)
    return "".join(units[: max(cut, 0)]) + end


def _truncatewords(value: Any, words: Any = 15, ellipsis: Any = "...") -> str:
    text = stringify(value)
    count = int(to_number(words))
    parts = re.split(r"\s+", text)
    if count <= 0:
        count = 1
    out = " ".join(parts[:count])
    if len(parts) >= count:
        out += stringify(ellipsis)
    return out


def _slice(value: Any, begin: Any, length: Any = 1) -> Any:
    value = value_of(value)
    if value is None:
        return []
    start, count = int(to_number(begin)), int(to_number(length))
    seq: Any = value if isinstance(value, list) else utf16_units(stringify(value))
    if start < 0:
        start = max(len(seq) + start, 0)
    part = seq[start : start + count]
    return part if isinstance(value, list) else "".join(part)


_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_UNESCAPES: Final = {v: k for k, v in _ESCAPES.items()}


def _escape(value: Any) -> str:
    return re.sub(r"[&<>\"']", lambda m: _ESCAPES[m.group()], stringify(value))


def _unescape(value: Any) -> str:
    return re.sub(r"&(amp|lt|gt|#34|#39);", lambda m: _UNESCAPES[m.group()], stringify(value))


def _url_encode(value: Any) -> str:
    return quote(stringify(value), safe="-_.!~*'()").replace("%20", "+")


def _url_decode(value: Any) -> str:
    return unquote(stringify(value), errors="strict").replace("+", " ")


def _strip_html(value: Any) -> str:
    return re.sub(
        r"<script[\s\S]*?</script>|<style[\s\S]*?</style>|<.*?>|<!--[\s\S]*?-->", "", stringify(value)
    )


def _where(value: Any, prop: Any, *expected: Any) -> list[Any]:
    keys = stringify(prop).split(".")
    out = []
    for item in _to_array(value):
        current = item
        for key in keys:
            current = current.get(key) if isinstance(current, dict) else None
        if expected:
            want = value_of(expected[0])
            keep = _strict_equal(current, want)
        else:
            keep = current is not None and current is not False
        if keep:
            out.append(item)
    return out


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b and not isinstance(a, (list, dict))


def _compact(value: Any) -> list[Any]:
    return [v for v in _to_array(value) if value_of(v) is not None]


def _sum(value: Any, prop: Any = None) -> Any:
    total: float | int = 0
    for item in _to_array(value):
        if value_of(prop) is not None:
            item = item.get(stringify(prop)) if isinstance(item, dict) else None
        number = _js_number(item)
        total += 0 if number != number else number
    return _num(total)


def _base64_encode(value: Any) -> str:
    return base64.b64encode(stringify(value).encode("utf-8", "surrogatepass")).decode("ascii")


def _base64_decode(value: Any) -> str:
    return base64.b64decode(stringify(value)).decode("utf-8", "replace")


def _to_integer(value: Any) -> Any:
    return _js_number(value)


def _number_of_words(value: Any, mode: Any = None) -> int:
    text = js_trim(stringify(value))
    return len(re.split(r"\s+", text)) if text else 0


def _disabled(name: str) -> Callable[..., Any]:
    def run(*_args: Any, **_kwargs: Any) -> Any:
        raise FilterFailure(f'filter "{name}" is disabled')

    return run


def build_filters() -> dict[str, Callable[..., Any]]:
    """Every filter liquidjs offers Segment (disabled ones raise), by name."""
    filters: dict[str, Callable[..., Any]] = {
        "abs": _math(abs),
        "at_least": _math(max),
        "at_most": _math(min),
        "ceil": _math(lambda v: math.ceil(v) if math.isfinite(v) else v),
        "floor": _math(lambda v: math.floor(v) if math.isfinite(v) else v),
        "divided_by": _divided_by,
        "minus": _math(lambda a, b=0: a - b),
        "plus": _math(lambda a, b=0: a + b),
        "times": _math(lambda a, b=0: a * b),
        "modulo": _math(_js_mod),
        "round": _round,
        "append": lambda v, a=None: stringify(v) + stringify(a),
        "prepend": lambda v, a=None: stringify(a) + stringify(v),
        "lstrip": lambda v, c=None: _strip_chars(stringify(v), value_of(c), True, False),
        "rstrip": lambda v, c=None: _strip_chars(stringify(v), value_of(c), False, True),
        "strip": lambda v, c=None: _strip_chars(stringify(v), value_of(c), True, True),
        "downcase": lambda v: stringify(v).lower(),
        "upcase": lambda v: stringify(v).upper(),
        "capitalize": _capitalize,
        "remove": lambda v, a=None: stringify(v).replace(stringify(a), "") if stringify(a) else stringify(v),
        "remove_first": lambda v, a=None: stringify(v).replace(stringify(a), "", 1),
        "remove_last": lambda v, a=None: _replace_last(v, a, ""),
        "replace": lambda v, a=None, b=None: (
            stringify(b).join(stringify(v).split(stringify(a)))
            if stringify(a)
            else stringify(b).join(utf16_units(stringify(v)))
        ),
        "replace_first": _replace_first,
        "replace_last": _replace_last,
        "split": _split,
        "strip_newlines": lambda v: re.sub(r"\r?\n", "", stringify(v)),
        "truncate": _truncate,
        "truncatewords": _truncatewords,
        "normalize_whitespace": lambda v: re.sub(r"\s+", " ", stringify(v)),
        "number_of_words": _number_of_words,
        "slice": _slice,
        "escape": _escape,
        "xml_escape": _escape,
        "escape_once": lambda v: _escape(_unescape(v)),
        "unescape": _unescape,
        "strip_html": _strip_html,
        "url_encode": _url_encode,
        "url_decode": _url_decode,
        "cgi_escape": lambda v: re.sub(r"[!'()*]", lambda m: f"%{ord(m.group()):X}", _url_encode(v)),
        "uri_escape": lambda v: quote(stringify(v), safe="-_.!~*'();/?:@&=+$,#[]"),
        "base64_encode": _base64_encode,
        "base64_decode": _base64_decode,
        "join": _join,
        "first": _first,
        "last": _last,
        "size": _size,
        "sum": _sum,
        "compact": _compact,
        "push": lambda v, a=None: [*_to_array(v), value_of(a)],
        "unshift": lambda v, a=None: [value_of(a), *_to_array(v)],
        "pop": lambda v: _to_array(v)[:-1],
        "shift": lambda v: _to_array(v)[1:],
        "where": _where,
        "default": _default,
        "json": _json,
        "jsonify": _json,
        "inspect": _json,
        "to_integer": _to_integer,
        "raw": lambda v: v,
    }
    for name in DISABLED_FILTERS:
        filters[name] = _disabled(name)
    return filters
