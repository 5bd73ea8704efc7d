"""``@template``: Segment's ``{{path}}`` / ``{{{path}}}`` placeholders, compiled."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from pipedrive_gui.core.jsvalues import UNDEFINED, join_utf16, js_to_string, js_trim

from .paths import get, get_parsed, parse_path

_TRIPLE: Final = re.compile(r"\{\{\{([^}]+)\}\}\}")
_DOUBLE: Final = re.compile(r"\{\{([^}]+)\}\}")


def _text(value: Any) -> str:
    return "" if value is None or value is UNDEFINED else js_to_string(value)


def render(template: str, data: Any) -> str:
    """Replace triple-brace placeholders, then double-brace ones in the result (as Segment)."""
    text = _TRIPLE.sub(lambda m: _text(get(data, js_trim(m.group(1)))), template)
    return join_utf16(_DOUBLE.sub(lambda m: _text(get(data, js_trim(m.group(1)))), text))


def compile_template(template: str) -> Callable[[Any], str]:
    """A renderer for a fixed template; placeholders are parsed once."""
    if _TRIPLE.search(template):
        # Values inserted by the first pass are scanned by the second: render fully.
        return lambda data: render(template, data)
    parts = _DOUBLE.split(template)
    if len(parts) == 1:
        return lambda data: template
    literals = parts[0::2]
    paths = [parse_path(js_trim(p)) for p in parts[1::2]]
    pairs = list(zip(paths, literals[1:], strict=True))
    head = literals[0]

    def run(data: Any) -> str:
        out = [head]
        for keys, literal in pairs:
            value = get_parsed(data, keys)
            if type(value) is str:
                out.append(value)
            else:
                out.append(_text(value))
            out.append(literal)
        return join_utf16("".join(out))

    return run
