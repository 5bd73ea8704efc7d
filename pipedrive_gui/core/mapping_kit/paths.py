"""Segment's ``get(obj, path)``: dotted/bracket paths with JS property access."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final

from pipedrive_gui.core.jsvalues import UNDEFINED, get_property, truthy

# Same splitting rule as Segment: "[" before a quote/digit, ".", and "]" after one.
_SPLIT_RE: Final = re.compile(r"""\[(?=["'0-9])|\.|(?<=["'0-9])\]+""")
_QUOTES_RE: Final = re.compile(r"""['"]""")


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[str, ...] | None:
    """The keys a path walks through; ``None`` means the path is the root itself."""
    if path in ("", "."):
        return None
    return tuple(_QUOTES_RE.sub("", part) for part in _SPLIT_RE.split(path) if part)


def get_parsed(obj: Any, keys: tuple[str, ...] | None) -> Any:
    """Walk ``keys``; like ``prev && prev[key]`` it stops at the first falsy value."""
    if keys is None:
        return obj
    cur = obj
    for key in keys:
        if type(cur) is dict:
            cur = cur.get(key, UNDEFINED)
            continue
        if cur is UNDEFINED or cur is None or not truthy(cur):
            return cur
        cur = get_property(cur, key)
    return cur


def compile_getter(keys: tuple[str, ...] | None) -> Callable[[Any], Any]:
    """A fast reader for a fixed path: plain dict hops inline, anything else the slow way."""
    if keys is None:
        return lambda obj: obj
    if len(keys) == 1:
        (k0,) = keys

        def get1(obj: Any) -> Any:
            if type(obj) is dict:
                return obj.get(k0, UNDEFINED)
            return get_parsed(obj, keys)

        return get1
    if len(keys) == 2:
        k0, k1 = keys

        def get2(obj: Any) -> Any:
            if type(obj) is dict:
                mid = obj.get(k0, UNDEFINED)
                if type(mid) is dict:
                    return mid.get(k1, UNDEFINED)
            return get_parsed(obj, keys)

        return get2
    if len(keys) == 3:
        k0, k1, k2 = keys

        def get3(obj: Any) -> Any:
            if type(obj) is dict:
                mid = obj.get(k0, UNDEFINED)
                if type(mid) is dict:
                    mid = mid.get(k1, UNDEFINED)
                    if type(mid) is dict:
                        return mid.get(k2, UNDEFINED)
            return get_parsed(obj, keys)

        return get3
    return lambda obj: get_parsed(obj, keys)


def get(obj: Any, path: str) -> Any:
    return get_parsed(obj, parse_path(path))


def strip_root(path: str) -> str:
    """``path.replace('$.', '')``: only the first occurrence, wherever it is."""
    return path.replace("$.", "", 1)
