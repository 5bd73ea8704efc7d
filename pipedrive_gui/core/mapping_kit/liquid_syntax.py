"""Which syntax error liquidjs reports first, for error messages worded like Segment's.

python-liquid and liquidjs reject mostly the same templates but describe them
differently. liquidjs first splits the whole template into tokens (an unclosed
``{{``/``{%``/``raw`` fails there), then parses tags in order (unknown tag, block
never closed). This module replays those two steps, so that when python-liquid
refuses a template the message can name the problem the way liquidjs does.
"""

from __future__ import annotations

import json
from typing import Final, NamedTuple

# Segment replaces these liquidjs tags with ones that refuse to parse.
DISABLED_TAGS: Final = ("case", "for", "include", "layout", "render", "tablerow")
_BLOCK_ENDS: Final = {"if": "endif", "unless": "endunless", "capture": "endcapture", "comment": "endcomment"}
_SIMPLE_TAGS: Final = frozenset(
    {"assign", "echo", "liquid", "cycle", "increment", "decrement", "#", "break", "continue", "else", "elsif"}
)
_BLANKS: Final = " \t\n\r\v\f"


class _Tag(NamedTuple):
    begin: int
    end: int
    name: str
    name_at: int


def _snapshot(text: str, begin: int) -> str:
    rest = text[begin:]
    return json.dumps(rest if len(rest) <= 32 else rest[:29] + "...", ensure_ascii=False)


def _is_identifier(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_-")


def _read_quoted(text: str, p: int) -> int:
    quote, p, escaped = text[p], p + 1, False
    while p < len(text):
        p += 1
        ch = text[p - 1]
        if ch == quote and not escaped:
            break
        escaped = not escaped and ch == "\\"
    return p


def _read_to(text: str, begin: int, delimiter: str, respect_quotes: bool) -> int:
    """End index just past ``delimiter`` (searched as liquidjs does), or -1."""
    p = begin
    while p < len(text):
        if respect_quotes and text[p] in "'\"":
            p = _read_quoted(text, p)
            continue
        p += 1
        if text[p - len(delimiter) : p] == delimiter:
            return p
    return -1


def _tag_name(text: str, begin: int, end: int) -> tuple[str, int]:
    start, stop = begin + 2, end - 2
    if text[start : start + 1] == "-":
        start += 1
    if stop > start and text[stop - 1] == "-":
        stop -= 1
    q = start
    while q < stop and text[q] in _BLANKS:
        q += 1
    if text[q : q + 1] == "#":
        return "#", q
    r = q
    while r < stop and _is_identifier(text[r]):
        r += 1
    return text[q:r], q


def _skip_raw(text: str, after: int) -> int:
    """Index just past the ``{% endraw %}`` closing a raw block, or -1."""
    p = after
    while True:
        start = text.find("{%", p)
        if start < 0:
            return -1
        end = _read_to(text, start, "%}", respect_quotes=False)
        if end < 0:
            return -1
        if _tag_name(text, start, end)[0] == "endraw":
            return end
        p = start + 2


def first_error(text: str) -> tuple[str, int] | None:
    """liquidjs' first tokenizing or tag-structure error: (message, index), or None."""
    tags: list[_Tag] = []
    p = 0
    while p < len(text):
        if text.startswith("{%", p):
            end = _read_to(text, p, "%}", respect_quotes=False)
            if end < 0:
                return f"tag {_snapshot(text, p)} not closed", p
            name, name_at = _tag_name(text, p, end)
            if not name:
                return "illegal tag syntax, tag name expected", name_at
            tags.append(_Tag(p, end, name, name_at))
            if name == "raw":
                closing = _skip_raw(text, end)
                if closing < 0:
                    return f"raw {_snapshot(text, p)} not closed", end
                end = closing
            p = end
        elif text.startswith("{{", p):
            end = _read_to(text, p, "}}", respect_quotes=True)
            if end < 0:
                return f"output {_snapshot(text, p)} not closed", p
            p = end
        else:
            nexts = [i for i in (text.find("{%", p), text.find("{{", p)) if i >= 0]
            p = min(nexts) if nexts else len(text)
    return _structure_error(text, tags)


def _structure_error(text: str, tags: list[_Tag]) -> tuple[str, int] | None:
    open_blocks: list[_Tag] = []
    for tag in tags:
        if open_blocks and open_blocks[-1].name == "comment":
            if tag.name == "endcomment":
                open_blocks.pop()
            continue
        if tag.name in DISABLED_TAGS:
            return f'tag "{tag.name}" is disabled', tag.begin
        if tag.name in _BLOCK_ENDS:
            open_blocks.append(tag)
        elif open_blocks and tag.name == _BLOCK_ENDS[open_blocks[-1].name]:
            open_blocks.pop()
        elif tag.name not in _SIMPLE_TAGS and tag.name != "raw":
            return f'tag "{tag.name}" not found', tag.begin
    if open_blocks:
        block = open_blocks[-1]
        return f"tag {text[block.begin : block.end]} not closed", block.begin
    return None
