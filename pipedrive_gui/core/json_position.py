"""Where a value sits in JSON text: the line and column of the member a key path names.

``json.loads`` gives a position only for a syntax error. A problem found in the parsed value (a
mapping-kit directive Segment would reject) names its place by keys, and an editor that shows the
text wants to underline that place: :func:`position_of` walks the text to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

__all__ = ["line_and_column", "position_of"]

_WHITESPACE = " \t\n\r"  # JSON's whitespace (RFC 8259), which is what json.loads skips


def line_and_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``source`` (columns count characters, as
    ``json.JSONDecodeError.colno`` does)."""
    return source.count("\n", 0, offset) + 1, offset - source.rfind("\n", 0, offset)


def position_of(source: str, keys: Sequence[str]) -> tuple[int, int]:
    """Line and column in ``source`` (valid JSON text) of what ``keys`` name from the root value: the
    member's key when it is an object member (``"then": …``), the element for an array index, the
    root value for no keys. Keys that are not in the text stop the walk where it is (the deepest
    place found); of repeated keys the last one counts, as in ``json.loads`` and ``JSON.parse``."""
    at = _skip(source, 0)
    mark = at
    for key in keys:
        found = _member(source, at, key)
        if found is None:
            break
        mark, at = found
    return line_and_column(source, mark)


def _skip(source: str, i: int) -> int:
    while i < len(source) and source[i] in _WHITESPACE:
        i += 1
    return i


def _end_of_string(source: str, i: int) -> int:
    """``source[i]`` opens a string: the index after its closing quote."""
    i += 1
    while source[i] != '"':
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _end_of_value(source: str, i: int) -> int:
    if source[i] == '"':
        return _end_of_string(source, i)
    if source[i] in "{[":
        depth = 0
        while True:
            c = source[i]
            if c == '"':
                i = _end_of_string(source, i)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    # A number or a literal (true, false, null; json.loads also reads NaN and Infinity).
    while i < len(source) and source[i] not in ",]}" + _WHITESPACE:
        i += 1
    return i


def _items(source: str, i: int) -> Iterator[tuple[str, int, int]]:
    """The members of the object or array opening at ``i``: (key or index, its start, its value's
    start)."""
    closing = "}" if source[i] == "{" else "]"
    i = _skip(source, i + 1)
    index = 0
    while source[i] != closing:
        start = i
        if closing == "}":
            end = _end_of_string(source, i)
            key = str(json.loads(source[i:end]))
            i = _skip(source, _skip(source, end) + 1)  # past the colon
        else:
            key = str(index)
            index += 1
        yield key, start, i
        i = _skip(source, _end_of_value(source, i))
        if source[i] == ",":
            i = _skip(source, i + 1)


def _member(source: str, at: int, key: str) -> tuple[int, int] | None:
    if at >= len(source) or source[at] not in "{[":
        return None
    found = None
    for name, start, value in _items(source, at):
        if name == key:
            found = (start, value)
    return found
