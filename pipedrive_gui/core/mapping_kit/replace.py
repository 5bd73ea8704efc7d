"""``@replace``: literal search-and-replace with JS ``String.replace`` rules.

Segment escapes the pattern into a RegExp, so a match is a literal match; with the
``i`` flag (no ``u`` flag) JS compares characters by their simple upper-case form,
which this module reproduces instead of relying on Python's ``re.IGNORECASE``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from pipedrive_gui.core.jsvalues import utf16_len

from .errors import MappingKitError
from .validate import MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH

_SPECIALS: Final = ("$$", "$&", "$`", "$'")


@lru_cache(maxsize=4096)
def _canon_char(ch: str) -> str:
    if ord(ch) > 0xFFFF:
        return ch
    upper = ch.upper()
    if len(upper) != 1 or (ord(ch) >= 128 and ord(upper) < 128):
        return ch
    return upper


def _canon(text: str) -> str:
    if text.isascii():
        return text.upper()
    return "".join(_canon_char(ch) for ch in text)


@lru_cache(maxsize=1024)
def _parse_replacement(replacement: str) -> tuple[str, ...]:
    """Split into literal runs and the ``$`` specials meaningful without capture groups."""
    parts: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        two = replacement[i : i + 2]
        if two in _SPECIALS:
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(two)
            i += 2
        else:
            literal.append(replacement[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _substitute(parts: tuple[str, ...], text: str, start: int, end: int) -> str:
    out: list[str] = []
    for part in parts:
        if part == "$$":
            out.append("$")
        elif part == "$&":
            out.append(text[start:end])
        elif part == "$`":
            out.append(text[:start])
        elif part == "$'":
            out.append(text[end:])
        else:
            out.append(part)
    return "".join(out)


def perform_replace(value: str, pattern: str, replacement: str, is_global: bool, ignorecase: bool) -> str:
    if utf16_len(pattern) > MAX_PATTERN_LENGTH:
        raise MappingKitError(f'@replace requires a "pattern" less than {MAX_PATTERN_LENGTH} characters')
    if utf16_len(replacement) > MAX_REPLACEMENT_LENGTH:
        raise MappingKitError(
            f'@replace requires a "replacement" less than {MAX_REPLACEMENT_LENGTH} characters'
        )
    parts = _parse_replacement(replacement)
    simple = len(parts) <= 1 and (not parts or parts[0] not in _SPECIALS)
    if not ignorecase and simple:
        return value.replace(pattern, parts[0] if parts else "", -1 if is_global else 1)
    haystack = _canon(value) if ignorecase else value
    needle = _canon(pattern) if ignorecase else pattern
    out: list[str] = []
    pos = 0
    step = len(needle)
    while True:
        found = haystack.find(needle, pos)
        if found < 0 or step == 0:
            break
        out.append(value[pos:found])
        out.append(_substitute(parts, value, found, found + step))
        pos = found + step
        if not is_global:
            break
    out.append(value[pos:])
    return "".join(out)
