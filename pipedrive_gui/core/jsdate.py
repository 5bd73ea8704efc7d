"""Whether Segment would accept a string as a date (its ``date-like`` schema format).

Segment checks ``datetime`` fields with dayjs: a string that reads as a plain number is taken as Unix
seconds; a string dayjs' own pattern matches (``2024-03-05 09:15``) is always a date; anything else
goes to JavaScript's ``new Date(text)``, i.e. V8's date parser, which also accepts legacy forms such as
``Tue, 05 Mar 2024 09:15:30 GMT`` or ``March 7, 2024 10:00 PM``.  This module reproduces that decision
(only valid/invalid is needed, never the date itself); times are taken as UTC, which only matters at the
very edge of JavaScript's date range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from .jsvalues import js_trim, number_to_string

__all__ = ["is_date_like", "js_string_to_number"]

_JS_SPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX_RE: Final = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")
# dayjs' REGEX_PARSE, with JavaScript's \d (ASCII digits) and \s (JS white space) spelled out.
_DAYJS_RE: Final = re.compile(
    r"([0-9]{4})[-/]?([0-9]{1,2})?[-/]?([0-9]{0,2})[Tt" + _JS_SPACE + r"]*([0-9]{1,2})?:?([0-9]{1,2})?:?"
    r"([0-9]{1,2})?[.:]?([0-9]+)?"
)
_MAX_TIME_MS: Final = 8.64e15  # JavaScript dates span +-100,000,000 days around 1970


def js_string_to_number(text: str) -> float:
    """JavaScript's ``Number(text)`` (``NaN`` when the text is not a number)."""
    t = js_trim(text)
    if not t:
        return 0.0
    if _DECIMAL_RE.fullmatch(t):
        if t.endswith("Infinity"):
            return -math.inf if t[0] == "-" else math.inf
        return float(t)
    if _RADIX_RE.fullmatch(t):
        try:
            return float(int(t, 0))
        except OverflowError:
            return math.inf
    return math.nan


def is_date_like(text: str) -> bool:
    """Segment's ``date-like`` format check for a string value."""
    number = js_string_to_number(text)
    if number_to_string(number) == text:
        # dayjs.unix(n): the number is Unix seconds.
        ms = number * 1000
        return math.isfinite(ms) and abs(ms) <= _MAX_TIME_MS
    if not text.endswith(("z", "Z")) and _DAYJS_RE.fullmatch(text):
        return True  # dayjs builds the date from the parts; every match is a valid date
    return _v8_parse(text)


# --- V8's date parser (validity only) ------------------------------------------------------------

_NONE: Final = -(2**40)  # "no value" marker, outside every real component range
_MONTH, _AM_PM, _ZONE, _T_SEP, _INVALID = range(5)
_KEYWORDS: Final = (
    *(
        (name, _MONTH, i + 1)
        for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())
    ),
    ("am", _AM_PM, 0),
    ("pm", _AM_PM, 12),
    ("ut", _ZONE, 0),
    ("utc", _ZONE, 0),
    ("z", _ZONE, 0),
    ("gmt", _ZONE, 0),
    ("cdt", _ZONE, -5),
    ("cst", _ZONE, -6),
    ("edt", _ZONE, -4),
    ("est", _ZONE, -5),
    ("mdt", _ZONE, -6),
    ("mst", _ZONE, -7),
    ("pdt", _ZONE, -7),
    ("pst", _ZONE, -8),
    ("t", _T_SEP, 0),
)


@dataclass
class _Token:
    kind: str  # "num", "sym", "word", "space", "other", "end"
    value: int = 0
    length: int = 0
    symbol: str = ""
    word_type: int = _INVALID

    def is_num(self, length: int | None = None) -> bool:
        return self.kind == "num" and (length is None or self.length == length)

    def is_sym(self, ch: str) -> bool:
        return self.kind == "sym" and self.symbol == ch

    def is_sign(self) -> bool:
        return self.kind == "sym" and self.symbol in "+-"

    def is_z(self) -> bool:
        return self.kind == "word" and self.word_type == _ZONE and self.length == 1 and self.value == 0


class _Scanner:
    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._next = self._scan()

    def _scan(self) -> _Token:
        text, pos = self._text, self._pos
        if pos >= len(text):
            return _Token("end")
        ch = text[pos]
        if "0" <= ch <= "9":
            end = pos
            while end < len(text) and "0" <= text[end] <= "9":
                end += 1
            digits = text[pos:end].lstrip("0")
            self._pos = end
            return _Token("num", value=int(digits[:9] or "0"), length=end - pos)
        if ch in ":-+.)":
            self._pos = pos + 1
            return _Token("sym", symbol=ch)
        if ch >= "A" and ch not in _JS_SPACE:
            end = pos
            while end < len(text) and text[end] >= "A" and text[end] not in _JS_SPACE:
                end += 1
            word = text[pos:end]
            self._pos = end
            prefix = "".join(chr(ord(c) | 0x20) for c in word[:3])
            for name, kind, value in _KEYWORDS:
                if prefix == name and (len(word) <= 3 or kind == _MONTH):
                    return _Token("word", value=value, length=len(word), word_type=kind)
            return _Token("word", length=len(word))
        if ch in _JS_SPACE:
            end = pos
            while end < len(text) and text[end] in _JS_SPACE:
                end += 1
            self._pos = end
            return _Token("space", length=end - pos)
        if ch == "(":
            balance = 0
            while True:
                c = text[pos] if pos < len(text) else "\0"
                if c == ")":
                    balance -= 1
                elif c == "(":
                    balance += 1
                pos += 1
                if balance <= 0 or pos >= len(text) or text[pos] == "\0":
                    break
            self._pos = pos
            return _Token("other")
        self._pos = pos + 1
        return _Token("other")

    def next(self) -> _Token:
        token = self._next
        self._next = self._scan()
        return token

    def peek(self) -> _Token:
        return self._next

    def skip_symbol(self, ch: str) -> bool:
        if self._next.is_sym(ch):
            self.next()
            return True
        return False


def _read_ms(token: _Token) -> int:
    number, length = token.value, token.length
    if length == 1:
        return number * 100
    if length == 2:
        return number * 10
    if length > 3:
        length = min(length, 9)
        return int(number // 10 ** (length - 3))
    return number


class _Day:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.named_month = _NONE
        self.iso = False

    def add(self, n: int) -> bool:
        if len(self.comp) < 3:
            self.comp.append(n)
            return True
        return False

    def write(self) -> tuple[int, int, int] | None:
        if not self.comp:
            return None
        comp = self.comp + [1] * (3 - len(self.comp))
        year = 0
        if self.named_month == _NONE:
            if self.iso or not 1 <= comp[0] <= 31:
                year, month, day = comp
            else:
                month, day, year = comp
        else:
            month = self.named_month
            if not 1 <= comp[0] <= 31:
                year, day = comp[0], comp[1]
            else:
                day, year = comp[0], comp[1]
        if not self.iso:
            if 0 <= year <= 49:
                year += 2000
            elif 50 <= year <= 99:
                year += 1900
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return year, month, day


class _Time:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.hour_offset = _NONE

    def empty(self) -> bool:
        return not self.comp

    def add(self, n: int) -> bool:
        if len(self.comp) < 4:
            self.comp.append(n)
            return True
        return False

    def add_final(self, n: int) -> bool:
        if not self.add(n):
            return False
        self.comp += [0] * (4 - len(self.comp))
        return True

    def expecting(self, n: int) -> bool:
        i = len(self.comp)
        return (i == 1 and 0 <= n <= 59) or (i == 2 and 0 <= n <= 59) or (i == 3 and 0 <= n <= 999)

    def write(self) -> int | None:
        hour, minute, second, ms = self.comp + [0] * (4 - len(self.comp))
        if self.hour_offset != _NONE:
            if not 0 <= hour <= 12:
                return None
            hour = hour % 12 + self.hour_offset
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59 and 0 <= ms <= 999):
            if hour != 24 or minute or second or ms:
                return None
        return ((hour * 60 + minute) * 60 + second) * 1000 + ms


class _Zone:
    def __init__(self) -> None:
        self.sign = _NONE
        self.hour = _NONE
        self.minute = _NONE

    def set(self, offset: int) -> None:
        self.sign = -1 if offset < 0 else 1
        self.hour = abs(offset)
        self.minute = 0

    def empty(self) -> bool:
        return self.hour == _NONE

    def is_utc(self) -> bool:
        return self.hour == 0 and self.minute == 0

    def expecting(self, n: int) -> bool:
        return self.hour != _NONE and self.minute == _NONE and 0 <= n <= 59

    def write(self) -> int | None:
        if self.sign == _NONE:
            return 0  # local time; the app (like the oracle) treats it as UTC
        seconds = max(self.hour, 0) * 3600 + max(self.minute, 0) * 60
        if seconds > 2**30 - 1:
            return None
        return -seconds if self.sign < 0 else seconds


def _parse_iso(sc: _Scanner, day: _Day, time: _Time, tz: _Zone) -> _Token | None:
    """The ES5 ISO form; returns the first token left for the legacy parser, None when invalid."""
    if sc.peek().is_sign():
        sign_token = sc.next()
        if not sc.peek().is_num(6):
            return sign_token
        year = sc.next().value
        if sign_token.symbol == "-" and year == 0:
            return sign_token
        day.add(-year if sign_token.symbol == "-" else year)
    elif sc.peek().is_num(4):
        day.add(sc.next().value)
    else:
        return sc.next()
    if sc.skip_symbol("-"):
        if not sc.peek().is_num(2) or not 1 <= sc.peek().value <= 12:
            return sc.next()
        day.add(sc.next().value)
        if sc.skip_symbol("-"):
            if not sc.peek().is_num(2) or not 1 <= sc.peek().value <= 31:
                return sc.next()
            day.add(sc.next().value)
    peek = sc.peek()
    if not (peek.kind == "word" and peek.word_type == _T_SEP):
        if peek.kind != "end":
            return sc.next()
    else:
        sc.next()
        if not sc.peek().is_num(2) or not 0 <= sc.peek().value <= 24:
            return None
        hour_24 = sc.peek().value == 24
        time.add(sc.next().value)
        if not sc.skip_symbol(":"):
            return None
        if not sc.peek().is_num(2) or sc.peek().value > 59 or (hour_24 and sc.peek().value > 0):
            return None
        time.add(sc.next().value)
        if sc.skip_symbol(":"):
            if not sc.peek().is_num(2) or sc.peek().value > 59 or (hour_24 and sc.peek().value > 0):
                return None
            time.add(sc.next().value)
            if sc.skip_symbol("."):
                if not sc.peek().is_num() or (hour_24 and sc.peek().value > 0):
                    return None
                time.add(_read_ms(sc.next()))
        if sc.peek().is_z():
            sc.next()
            tz.set(0)
        elif sc.peek().is_sign():
            tz.sign = 1 if sc.next().symbol == "+" else -1
            if sc.peek().is_num(4):
                hour, minute = divmod(sc.next().value, 100)
                if hour > 23 or minute > 59:
                    return None
                tz.hour, tz.minute = hour, minute
            else:
                if not sc.peek().is_num(2) or sc.peek().value > 23:
                    return None
                tz.hour = sc.next().value
                if not sc.skip_symbol(":"):
                    return None
                if not sc.peek().is_num(2) or sc.peek().value > 59:
                    return None
                tz.minute = sc.next().value
        if sc.peek().kind != "end":
            return None
    if tz.empty() and time.empty():
        tz.set(0)
    day.iso = True
    return _Token("end")


def _v8_parse(text: str) -> bool:
    sc = _Scanner(text)
    day, time, tz = _Day(), _Time(), _Zone()
    token: _Token | None = _parse_iso(sc, day, time, tz)
    if token is None:
        return False
    has_number = bool(day.comp)
    while token.kind != "end":
        if token.kind == "num":
            has_number = True
            n = token.value
            if sc.skip_symbol(":"):
                if sc.skip_symbol(":"):
                    if not time.empty():
                        return False
                    time.add(n)
                    time.add(0)
                else:
                    if not time.add(n):
                        return False
                    if sc.peek().is_sym("."):
                        sc.next()
            elif sc.skip_symbol(".") and time.expecting(n):
                time.add(n)
                if not sc.peek().is_num():
                    return False
                time.add_final(_read_ms(sc.next()))
            elif tz.expecting(n):
                tz.minute = n
            elif time.expecting(n):
                time.add_final(n)
                peek = sc.peek()
                if peek.kind not in ("end", "space") and not peek.is_z() and not peek.is_sign():
                    return False
            else:
                if not day.add(n):
                    return False
                sc.skip_symbol("-")
        elif token.kind == "word":
            if token.word_type == _AM_PM and not time.empty():
                time.hour_offset = token.value
            elif token.word_type == _MONTH:
                day.named_month = token.value
                sc.skip_symbol("-")
            elif token.word_type == _ZONE and has_number:
                tz.set(token.value)
            else:
                if has_number or sc.peek().is_num():
                    return False
        elif token.is_sign() and (tz.is_utc() or not time.empty()):
            tz.sign = 1 if token.symbol == "+" else -1
            n = length = 0
            if sc.peek().is_num():
                nxt = sc.next()
                n, length = nxt.value, nxt.length
            has_number = True
            if sc.peek().is_sym(":"):
                tz.hour, tz.minute = n, _NONE
            elif length in (1, 2):
                tz.hour, tz.minute = n, 0
            elif length in (3, 4):
                tz.hour, tz.minute = divmod(n, 100)
            else:
                return False
        elif (token.is_sign() or token.is_sym(")")) and has_number:
            return False
        token = sc.next()
    ymd = day.write()
    ms = time.write()
    offset = tz.write()
    if ymd is None or ms is None or offset is None:
        return False
    year, month, dom = ymd
    if abs(year) > 1_000_000:
        return False
    value = (_days_from_civil(year, month, 1) + dom - 1) * 86_400_000 + ms - offset * 1000
    return abs(value) <= _MAX_TIME_MS


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (month 1..12)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
