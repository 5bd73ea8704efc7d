"""Segment's ``get(obj, path)``: dotted/bracket paths with JS property access."""

from __future__ import annotations

import re
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
        if not truthy(cur):
            return cur
        cur = get_property(cur, key)
    return cur


def get(obj: Any, path: str) -> Any:
    return get_parsed(obj, parse_path(path))


def strip_root(path: str) -> str:
    """``path.replace('$.', '')``: only the first occurrence, wherever it is."""
    return path.replace("$.", "", 1)
