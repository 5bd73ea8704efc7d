"""Liquid filters with liquidjs semantics (JS numbers, strings, arrays and defaults).

python-liquid follows Ruby/Shopify Liquid while Segment runs liquidjs; where they
differ (``divided_by: 2`` on 3 is 1.5, ``url_encode`` keeps ``!*'()``, ``json`` is
``JSON.stringify``, a missing argument is ``undefined``), these follow liquidjs.
Arguments arrive positionally; a missing one is JS ``undefined``.
"""

from __future__ import annotations

import base64
import math
import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from liquid import Undefined

from pipedrive_gui.core.jsvalues import (
    UNDEFINED,
    get_property,
    join_utf16,
    js_to_json,
    js_to_string,
    js_trim,
    truthy,
    utf16_len,
    utf16_units,
)

from .liquid_dates import DEFAULT_FORMAT, parse_date, strftime
from .liquid_values import (
    JS_SPACE,
    MEMORY_LIMIT,
    NIL,
    SPACES_RE,
    FilterFailure,
    NilDrop,
    arg,
    as_js_number,
    js_add,
    js_number,
    slice_bounds,
    stringify,
    to_number,
    value_of,
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


# --- math --------------------------------------------------------------------------


def _numbers(args: tuple[Any, ...]) -> list[float | int]:
    return [to_number(a) for a in args]


def _safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        try:
            return as_js_number(fn(*args))
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return math.nan

    return run


def _div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def _binary(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(value: Any, *args: Any) -> Any:
        nums = _numbers((value, *args))
        right = nums[1] if len(nums) > 1 else math.nan
        return op(nums[0], right)

    return _safe(run)


def _js_mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or a != a or b != b:
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _divided_by(value: Any, *args: Any) -> Any:
    nums = _numbers((value, *args))
    result = _div(nums[0], nums[1] if len(nums) > 1 else math.nan)
    if len(nums) > 2 and nums[2] and math.isfinite(result):
        return math.floor(result)
    return result


def _round(value: Any, *args: Any) -> Any:
    v = float(to_number(value))
    digits = to_number(args[0]) if args else 0
    try:
        amp = 10.0**digits
    except OverflowError:
        amp = math.inf
    scaled = abs(v * amp)
    rounded = math.floor(scaled + 0.5) if math.isfinite(scaled) else scaled
    sign = 0.0 if v == 0 else math.copysign(1.0, v)
    return _div(sign * rounded, amp)


def _unary(fn: Callable[[float], Any]) -> Callable[..., Any]:
    def run(value: Any, *_args: Any) -> Any:
        v = to_number(value)
        return fn(v) if math.isfinite(v) else v

    return _safe(run)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(value: Any, *args: Any) -> Any:
        nums = _numbers((value, *args))
        return pick(nums)

    return _safe(run)


# --- strings -----------------------------------------------------------------------


def _append(value: Any, *args: Any) -> str:
    if len(args) != 1:
        raise FilterFailure("append expect 2 arguments")
    return stringify(value) + stringify(args[0])


def _prepend(value: Any, *args: Any) -> str:
    if len(args) != 1:
        raise FilterFailure("prepend expect 2 arguments")
    return stringify(args[0]) + stringify(value)


def _strip_with(text: str, chars: Any, left: bool, right: bool) -> str:
    if not truthy(chars) or chars is UNDEFINED:
        if left and right:
            return js_trim(text)
        pattern = "^" + JS_SPACE + "+" if left else JS_SPACE + "+$"
        return re.sub(pattern, "", text)
    charset = set(utf16_units(stringify(chars)))
    units = utf16_units(text)
    start, end = 0, len(units)
    if left:
        while start < end and units[start] in charset:
            start += 1
    if right:
        while end > start and units[end - 1] in charset:
            end -= 1
    return join_utf16("".join(units[start:end]))


def _capitalize(value: Any, *_args: Any) -> str:
    units = utf16_units(stringify(value))
    if not units:
        return ""
    return join_utf16(units[0].upper() + "".join(units[1:]).lower())


def _replace(value: Any, *args: Any) -> str:
    text, old, new = stringify(value), stringify(arg(args, 0)), stringify(arg(args, 1))
    if old == "":
        return join_utf16(new.join(utf16_units(text)))
    return text.replace(old, new)


def _replace_last(value: Any, *args: Any) -> str:
    text, old, new = stringify(value), stringify(arg(args, 0)), stringify(arg(args, 1))
    index = text.rfind(old)
    if index == -1:
        return text
    return text[:index] + new + text[index + len(old) :]


def _split(value: Any, *args: Any) -> list[str]:
    text = stringify(value)
    separator = stringify(arg(args, 0))
    parts = utf16_units(text) if separator == "" else text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _truncate(value: Any, *args: Any) -> Any:
    raw = value_of(value)
    text = stringify(raw)
    limit = arg(args, 0)
    limit = 50 if limit is UNDEFINED else limit
    end = arg(args, 1)
    end_text = "..." if end is UNDEFINED else stringify(end)
    length = utf16_len(text)
    if js_less_or_equal_number(length, limit):
        return raw
    cut = js_number(limit) - utf16_len(end_text)
    units = utf16_units(text)
    stop = 0 if cut != cut else int(max(0, min(cut, len(units))))
    return join_utf16("".join(units[:stop])) + end_text


def js_less_or_equal_number(number: int, other: Any) -> bool:
    """``number <= other`` with JS coercion of ``other``."""
    if isinstance(other, (list, dict)):
        other = js_to_string(other)
    right = js_number(other)
    return not (right != right) and number <= right


def _truncatewords(value: Any, *args: Any) -> str:
    text = stringify(value)
    words: Any = arg(args, 0)
    words = 15 if words is UNDEFINED else words
    end = arg(args, 1)
    end_text = "..." if end is UNDEFINED else stringify(end)
    parts = SPACES_RE.split(text)
    if _le_zero(words):
        words = 1
    _, stop = slice_bounds(len(parts), 0, words)
    out = " ".join(parts[:stop])
    right = js_number(words if not isinstance(words, (list, dict)) else js_to_string(words))
    if right == right and len(parts) >= right:
        out += end_text
    return out


def _le_zero(value: Any) -> bool:
    if isinstance(value, (list, dict)):
        value = js_to_string(value)
    number = js_number(value)
    return number == number and number <= 0


def _slice(value: Any, *args: Any) -> Any:
    raw = value_of(value)
    if raw is None or raw is UNDEFINED:
        return []
    begin = arg(args, 0)
    length = arg(args, 1)
    length = 1 if length is UNDEFINED else length
    if isinstance(length, (int, float)) and not isinstance(length, bool) and length > MEMORY_LIMIT:
        raise FilterFailure("memory alloc limit exceeded")
    seq: list[Any] = raw if isinstance(raw, list) else utf16_units(stringify(raw))
    if isinstance(begin, (int, float)) and not isinstance(begin, bool) and begin < 0:
        begin = len(seq) + begin
    end = js_add(begin, length)
    start, stop = slice_bounds(len(seq), begin, end)
    part = seq[start:stop]
    return part if isinstance(raw, list) else join_utf16("".join(part))


_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_UNESCAPES: Final = {v: k for k, v in _ESCAPES.items()}


def _escape(value: Any, *_args: Any) -> str:
    return re.sub(r"[&<>\"']", lambda m: _ESCAPES[m.group()], stringify(value))


def _unescape(value: Any) -> str:
    return re.sub(r"&(amp|lt|gt|#34|#39);", lambda m: _UNESCAPES[m.group()], stringify(value))


def _percent_encode(text: str, keep: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in keep):
            out.append(ch)
            continue
        try:
            data = ch.encode("utf-8")
        except UnicodeEncodeError:
            raise FilterFailure("URI malformed") from None
        out.extend(f"%{b:02X}" for b in data)
    return "".join(out)


def _encode_uri_component(text: str) -> str:
    return _percent_encode(text, "-_.!~*'()")


def _decode_uri_component(text: str) -> str:
    out = bytearray()
    result: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            hex_part = text[i + 1 : i + 3]
            if len(hex_part) != 2 or not all(c in "0123456789abcdefABCDEF" for c in hex_part):
                raise FilterFailure("URI malformed")
            out.append(int(hex_part, 16))
            i += 3
            continue
        if out:
            result.append(_utf8(out))
            out = bytearray()
        result.append(ch)
        i += 1
    if out:
        result.append(_utf8(out))
    return "".join(result)


def _utf8(data: bytearray) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FilterFailure("URI malformed") from None


def _slugify(value: Any, *args: Any) -> str:
    text = stringify(value)
    mode = arg(args, 0)
    mode = "default" if mode is UNDEFINED else mode
    cased = truthy(arg(args, 1))
    if mode in ("default", "latin", "ascii", "pretty", "raw"):
        if mode == "raw":
            text = SPACES_RE.sub("-", text)
        elif mode == "ascii":
            text = re.sub(r"[^A-Za-z0-9]+", "-", text)
        else:
            keep = "._~!$&'()+,;=@" if mode == "pretty" else ""
            chars = [
                ch
                if unicodedata.category(ch)[0] in "ML" or unicodedata.category(ch) == "Nd" or ch in keep
                else "-"
                for ch in text
            ]
            text = re.sub("-+", "-", "".join(chars))
        text = re.sub(r"^-|-$", "", text)
    return text if cased else text.lower()


# --- arrays ------------------------------------------------------------------------


def _to_array(value: Any) -> list[Any]:
    value = value_of(value)
    if value is None or value is UNDEFINED:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _join(value: Any, *args: Any) -> str:
    separator = arg(args, 0)
    sep = " " if separator is None or separator is UNDEFINED else stringify(separator)
    return sep.join(
        "" if v is None or v is UNDEFINED or isinstance(v, Undefined) else js_to_string(v)
        for v in _to_array(value)
    )


def _first(value: Any, *_args: Any) -> Any:
    value = value_of(value)
    if isinstance(value, list):
        return value[0] if value else UNDEFINED
    if isinstance(value, str):
        units = utf16_units(value)
        return units[0] if units else ""
    if isinstance(value, dict) and isinstance(value.get("length"), (int, float)):
        return value.get("0", UNDEFINED)
    return ""


def _last(value: Any, *_args: Any) -> Any:
    value = value_of(value)
    if isinstance(value, list):
        return value[-1] if value else UNDEFINED
    if isinstance(value, str):
        units = utf16_units(value)
        return units[-1] if units else ""
    if isinstance(value, dict) and isinstance(value.get("length"), (int, float)):
        return value.get(js_to_string(value["length"] - 1), UNDEFINED)
    return ""


def _size(value: Any, *_args: Any) -> Any:
    value = value_of(value)
    if isinstance(value, str):
        return utf16_len(value)
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        length = value.get("length", UNDEFINED)
        return length if truthy(length) else 0
    return 0


def _path_value(item: Any, path: str) -> Any:
    current = value_of(item)
    for key in path.split("."):
        if current is None or current is UNDEFINED:
            return current
        if isinstance(current, (dict, list, str)):
            current = get_property(current, key)
        else:
            return UNDEFINED
    return current


_PROPERTY_RE: Final = re.compile(r"[\w-]+(?:\.[\w-]+)*")


def _where(value: Any, *args: Any) -> list[Any]:
    from .liquid_js import js_equals

    items = _to_array(value)
    prop = stringify(arg(args, 0))
    nil_expected = len(args) > 1 and isinstance(args[1], NilDrop)
    expected = arg(args, 1)
    out = []
    # liquidjs reads the property as a variable path, ignoring what follows it.
    path = _PROPERTY_RE.match(prop)
    for item in items:
        current = _path_value(item, path.group()) if path else UNDEFINED
        if nil_expected:
            keep = current is None or current is UNDEFINED
        elif expected is UNDEFINED:
            keep = current is not None and current is not False and current is not UNDEFINED
        else:
            keep = js_equals(current, expected)
        if keep:
            out.append(item)
    return out


def _sum(value: Any, *args: Any) -> Any:
    prop = arg(args, 0)
    total: float | int = 0
    for item in _to_array(value):
        current = _path_value(item, stringify(prop)) if truthy(prop) else value_of(item)
        number = js_number(current)
        total += 0 if number != number else number
    return as_js_number(total)


def _compact(value: Any, *_args: Any) -> list[Any]:
    return [v for v in _to_array(value) if value_of(v) not in (None, UNDEFINED)]


# --- misc --------------------------------------------------------------------------


def _default(value: Any, *args: Any, **kwargs: Any) -> Any:
    value = value_of(value)
    default = arg(args, 0)
    if isinstance(value, (list, str)):
        return value if value else default
    if value is False and truthy(value_of(kwargs.get("allow_false", False))):
        return False
    return default if value is None or value is False or value is UNDEFINED else value


def _json(value: Any, *args: Any) -> Any:
    space = arg(args, 0)
    text = js_to_json(_plain(value), indent=_indent(space))
    return UNDEFINED if text is None else text


def _indent(space: Any) -> str:
    if isinstance(space, bool) or space is None or space is UNDEFINED:
        return ""
    if isinstance(space, (int, float)):
        return " " * int(max(0, min(10, space))) if space == space else ""
    if isinstance(space, str):
        return space[:10]
    return ""


def _item(args: tuple[Any, ...]) -> Any:
    """An argument stored as an array item: ``nil`` stays liquidjs' NullDrop object."""
    if args and isinstance(args[0], NilDrop):
        return args[0]
    return arg(args, 0)


def _plain(value: Any) -> Any:
    """Filter input as a JSON-like value (undefined members dropped by the encoder)."""
    if isinstance(value, NilDrop):
        return {}  # JSON.stringify of a NullDrop instance
    value = value_of(value)
    if isinstance(value, range):
        return list(value)
    if isinstance(value, list) and any(isinstance(v, (NilDrop, Undefined)) for v in value):
        return [_plain(v) for v in value]  # e.g. after ``push: nil``
    return value


def _base64_encode(value: Any, *_args: Any) -> str:
    return base64.b64encode(stringify(value).encode("utf-8", "replace")).decode("ascii")


def _base64_decode(value: Any, *_args: Any) -> str:
    text = re.sub(r"[^A-Za-z0-9+/\-_]", "", stringify(value).split("=")[0])
    text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    if len(text) % 4 == 1:
        text = text[:-1]
    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except ValueError:
        return ""


def _date(value: Any, *args: Any) -> Any:
    raw = value_of(value)
    when = parse_date(raw, arg(args, 1))
    if when is None:
        return raw
    fmt = arg(args, 0)
    return strftime(when, DEFAULT_FORMAT if fmt is None or fmt is UNDEFINED else stringify(fmt))


def _date_as(fmt: str) -> Callable[..., Any]:
    def run(value: Any, *_args: Any) -> Any:
        raw = value_of(value)
        when = parse_date(raw)
        return raw if when is None else strftime(when, fmt)

    return run


def _date_to_string(month: str) -> Callable[..., Any]:
    def run(value: Any, *args: Any) -> Any:
        raw = value_of(value)
        when = parse_date(raw)
        if when is None:
            return raw
        if arg(args, 0) == "ordinal":
            day = when.shown.day
            us = arg(args, 1) == "US"
            return strftime(when, f"{month} {day}%q, %Y" if us else f"{day}%q {month} %Y")
        return strftime(when, f"%d {month} %Y")

    return run


def _sample(value: Any, *args: Any) -> Any:
    """``sample``: random items (liquidjs shuffles a copy and takes ``count``)."""
    raw = value_of(value)
    if raw is None or raw is UNDEFINED:
        return []
    seq = list(raw) if isinstance(raw, list) else utf16_units(stringify(raw))
    count = arg(args, 0)
    count = 1 if count is UNDEFINED else count
    if js_number(count) > MEMORY_LIMIT:
        raise FilterFailure("memory alloc limit exceeded")
    random.shuffle(seq)
    if count == 1:
        return seq[0] if seq else UNDEFINED
    _, stop = slice_bounds(len(seq), 0, count)
    return seq[:stop]


def _disabled(name: str) -> Callable[..., Any]:
    def run(*_args: Any, **_kwargs: Any) -> Any:
        raise FilterFailure(f'filter "{name}" is disabled')

    return run


def _string_filter(fn: Callable[[str], str]) -> Callable[..., str]:
    def run(value: Any, *_args: Any) -> str:
        return fn(stringify(value))

    return run


def build_filters() -> dict[str, Callable[..., Any]]:
    """Every filter liquidjs offers Segment (disabled ones raise), by name."""
    filters: dict[str, Callable[..., Any]] = {
        "abs": _safe(lambda v, *a: abs(to_number(v))),
        "at_least": _extreme(max),
        "at_most": _extreme(min),
        "ceil": _unary(math.ceil),
        "floor": _unary(math.floor),
        "divided_by": _safe(_divided_by),
        "minus": _binary(lambda a, b: a - b),
        "plus": _binary(lambda a, b: a + b),
        "times": _binary(lambda a, b: a * b),
        "modulo": _binary(_js_mod),
        "round": _safe(_round),
        "append": _append,
        "prepend": _prepend,
        "lstrip": lambda v, *a: _strip_with(stringify(v), arg(a, 0), True, False),
        "rstrip": lambda v, *a: _strip_with(stringify(v), arg(a, 0), False, True),
        "strip": lambda v, *a: _strip_with(stringify(v), arg(a, 0), True, True),
        "downcase": _string_filter(str.lower),
        "upcase": _string_filter(str.upper),
        "capitalize": _capitalize,
        "remove": lambda v, *a: (
            stringify(v).replace(stringify(arg(a, 0)), "") if stringify(arg(a, 0)) else stringify(v)
        ),
        "remove_first": lambda v, *a: stringify(v).replace(stringify(arg(a, 0)), "", 1),
        "remove_last": lambda v, *a: _replace_last(v, arg(a, 0), ""),
        "replace": _replace,
        "replace_first": lambda v, *a: stringify(v).replace(stringify(arg(a, 0)), stringify(arg(a, 1)), 1),
        "replace_last": _replace_last,
        "split": _split,
        "strip_newlines": _string_filter(lambda s: re.sub(r"\r?\n", "", s)),
        "truncate": _truncate,
        "truncatewords": _truncatewords,
        "normalize_whitespace": _string_filter(lambda s: SPACES_RE.sub(" ", s)),
        "number_of_words": lambda v, *a: (
            len(SPACES_RE.split(js_trim(stringify(v)))) if js_trim(stringify(v)) else 0
        ),
        "slice": _slice,
        "escape": _escape,
        "xml_escape": _escape,
        "escape_once": lambda v, *a: _escape(_unescape(v)),
        "strip_html": _string_filter(
            lambda s: re.sub(r"<script[\s\S]*?</script>|<style[\s\S]*?</style>|<.*?>|<!--[\s\S]*?-->", "", s)
        ),
        "url_encode": _string_filter(lambda s: _encode_uri_component(s).replace("%20", "+")),
        "url_decode": _string_filter(lambda s: _decode_uri_component(s).replace("+", " ")),
        "cgi_escape": _string_filter(
            lambda s: re.sub(r"[!'()*]", lambda m: f"%{ord(m.group()):X}", _encode_uri_component(s)).replace(
                "%20", "+"
            )
        ),
        "uri_escape": _string_filter(
            lambda s: _percent_encode(s, "-_.!~*'();/?:@&=+$,#").replace("%5B", "[").replace("%5D", "]")
        ),
        "slugify": _slugify,
        "base64_encode": _base64_encode,
        "base64_decode": _base64_decode,
        "join": _join,
        "first": _first,
        "last": _last,
        "size": _size,
        "sum": _sum,
        "compact": _compact,
        "push": lambda v, *a: [*_to_array(v), _item(a)],
        "unshift": lambda v, *a: [_item(a), *_to_array(v)],
        "pop": lambda v, *a: _to_array(v)[:-1],
        "shift": lambda v, *a: _to_array(v)[1:],
        "where": _where,
        "sample": _sample,
        "default": _default,
        "json": _json,
        "jsonify": _json,
        "inspect": _json,
        "to_integer": lambda v, *a: js_number(v),
        "raw": lambda v, *a: v,
        "date": _date,
        "date_to_xmlschema": _date_as("%Y-%m-%dT%H:%M:%S%:z"),
        "date_to_rfc822": _date_as("%a, %d %b %Y %H:%M:%S %z"),
        "date_to_string": _date_to_string("%b"),
        "date_to_long_string": _date_to_string("%B"),
    }
    for name in DISABLED_FILTERS:
        filters[name] = _disabled(name)
    return filters


__all__ = ["DISABLED_FILTERS", "NIL", "FilterFailure", "NilDrop", "build_filters", "js_number", "stringify"]
