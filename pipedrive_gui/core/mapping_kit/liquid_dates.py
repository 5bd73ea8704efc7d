"""liquidjs' date filters (``date``, ``date_to_xmlschema``, ...), in UTC.

liquidjs formats in the Node process' time zone; Segment's and the oracle's is UTC.
Parsing follows JS ``new Date(...)`` for the shapes events carry: ISO 8601 (date-only
is UTC, date-time without offset is local), unix seconds, RFC 2822 and
"March 5, 2024"-style text; anything else is returned unchanged, as liquidjs does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipedrive_gui.core.jsvalues import UNDEFINED, number_to_string

DEFAULT_FORMAT: Final = "%A, %B %-e, %Y at %-l:%M %P %z"
_FORMAT_RE: Final = re.compile(r"%([-_0^#:]+)?(\d+)?([EO])?(.)", re.S)
_ISO_RE: Final = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?",
    re.I,
)
_TEXT_FORMATS: Final = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y")
_MONTHS: Final = (
    "January February March April May June July August September October November December".split()
)
_DAYS: Final = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()
_PAD_WIDTHS: Final = {
    "d": 2,
    "e": 2,
    "H": 2,
    "I": 2,
    "j": 3,
    "k": 2,
    "l": 2,
    "L": 3,
    "m": 2,
    "M": 2,
    "S": 2,
    "U": 2,
    "W": 2,
}
_PAD_SPACE: Final = set("aAbBceklpP")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


class _When:
    """An instant shown at a fixed UTC offset (``offset_minutes`` as JS: west is positive)."""

    def __init__(self, instant: datetime, offset_minutes: float, zone_name: str) -> None:
        self.instant = instant
        self.offset = offset_minutes
        self.zone_name = zone_name
        self.shown = instant - timedelta(minutes=offset_minutes)


def _parse_text(text: str) -> datetime | None:
    m = _ISO_RE.fullmatch(text.strip())
    if m:
        year_text, month, day, hour, minute, second, fraction, zone = m.groups()
        try:
            year = int(year_text)
            if not 0 <= year <= 9999:
                return None
            moment = datetime(
                year,
                int(month or 1),
                int(day or 1),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0")[:3].ljust(3, "0")) * 1000,
                tzinfo=timezone.utc,
            )
        except ValueError:
            return None
        if zone and zone.upper() != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment  # no offset: local time, and local is UTC
    try:
        parsed = parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _TEXT_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _from_millis(millis: float) -> datetime | None:
    if not math.isfinite(millis) or abs(millis) > 8.64e15:
        return None
    return _EPOCH + timedelta(milliseconds=math.trunc(millis))


def parse_date(value: Any, zone: Any = UNDEFINED) -> _When | None:
    """liquidjs ``parseDate``; ``None`` when the value is not a date."""
    if value is None or value is UNDEFINED:
        return None
    instant: datetime | None
    if value in ("now", "today"):
        instant = datetime.now(timezone.utc)
    elif isinstance(value, bool):
        instant = _from_millis(1 if value else 0)
    elif isinstance(value, (int, float)):
        instant = _from_millis(value * 1000)
    elif isinstance(value, str):
        instant = (
            _from_millis(int(value) * 1000) if value.isascii() and value.isdigit() else _parse_text(value)
        )
    else:
        instant = None
    if instant is None:
        return None
    offset, name = 0.0, "UTC"  # the process' zone, as Intl names it
    if isinstance(zone, (int, float)) and not isinstance(zone, bool):
        name = ""  # a fixed offset has no name: %Z shows the offset
        offset = float(zone)
    elif isinstance(zone, str):
        try:
            delta = instant.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
            offset, name = -delta.total_seconds() / 60, zone
        except (ZoneInfoNotFoundError, ValueError):
            offset, name = 0.0, zone
    return _When(instant, offset, name)


def _week_of_year(d: datetime, start_day: int) -> str:
    weekday = (d.weekday() + 1) % 7  # JS getDay: Sunday is 0
    now = d.timetuple().tm_yday + (start_day - weekday)
    jan1 = (datetime(d.year, 1, 1).weekday() + 1) % 7
    then = 7 - jan1 + start_day
    return str(math.floor((now - then) / 7) + 1)


def _offset_text(when: _When, colon: bool) -> str:
    minutes = abs(when.offset)
    sign = "-" if when.offset > 0 else "+"
    return f"{sign}{int(minutes // 60):02d}{':' if colon else ''}{int(minutes % 60):02d}"


def _hour12(d: datetime) -> str:
    return str(d.hour % 12 or 12)


def _locale_date(d: datetime) -> str:
    return f"{d.month}/{d.day}/{d.year}"


def _locale_time(d: datetime) -> str:
    return f"{_hour12(d)}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


def _convert(code: str, when: _When, flags: str, width: str | None) -> str | None:
    d = when.shown
    weekday = (d.weekday() + 1) % 7
    codes: dict[str, Callable[[], Any]] = {
        "a": lambda: _DAYS[weekday][:3],
        "A": lambda: _DAYS[weekday],
        "b": lambda: _MONTHS[d.month - 1][:3],
        "h": lambda: _MONTHS[d.month - 1][:3],
        "B": lambda: _MONTHS[d.month - 1],
        "c": lambda: f"{_locale_date(d)}, {_locale_time(d)}",
        "C": lambda: int(str(d.year)[:2]),
        "d": lambda: d.day,
        "e": lambda: d.day,
        "H": lambda: d.hour,
        "I": lambda: _hour12(d),
        "j": lambda: d.timetuple().tm_yday,
        "k": lambda: d.hour,
        "l": lambda: _hour12(d),
        "L": lambda: d.microsecond // 1000,
        "m": lambda: d.month,
        "M": lambda: d.minute,
        "N": lambda: str(d.microsecond // 1000)[: int(width or 9) or 9].ljust(int(width or 9) or 9, "0"),
        "p": lambda: "AM" if d.hour < 12 else "PM",
        "P": lambda: "am" if d.hour < 12 else "pm",
        "q": lambda: _ordinal(d.day),
        "s": lambda: number_to_string(math.floor((d - _EPOCH) / timedelta(milliseconds=1) / 1000 + 0.5)),
        "S": lambda: d.second,
        "u": lambda: weekday or 7,
        "U": lambda: _week_of_year(d, 0),
        "w": lambda: weekday,
        "W": lambda: _week_of_year(d, 1),
        "x": lambda: _locale_date(d),
        "X": lambda: _locale_time(d),
        "y": lambda: str(d.year)[2:4],
        "Y": lambda: d.year,
        "z": lambda: _offset_text(when, ":" in flags),
        "Z": lambda: when.zone_name or _offset_text(when, ":" in flags),
        "t": lambda: "\t",
        "n": lambda: "\n",
        "%": lambda: "%",
    }
    fn = codes.get(code)
    return None if fn is None else str(fn())


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def strftime(when: _When, fmt: str) -> str:
    """liquidjs' ``strftime`` (flags ``-_0^#:``, widths, unknown codes kept as written)."""

    def replace(match: re.Match[str]) -> str:
        flags, width, _modifier, code = match.group(1) or "", match.group(2), match.group(3), match.group(4)
        text = _convert(code, when, flags, width)
        if text is None:
            return match.group()
        pad_char = " " if code in _PAD_SPACE else "0"
        pad_width = int(width) if width else _PAD_WIDTHS.get(code, 0)
        if "^" in flags:
            text = text.upper()
        elif "#" in flags:
            text = text.upper() if any("a" <= ch <= "z" for ch in text) else text.lower()
        if "_" in flags:
            pad_char = " "
        elif "0" in flags:
            pad_char = "0"
        if "-" in flags:
            pad_width = 0
        return text.rjust(pad_width, pad_char)

    return _FORMAT_RE.sub(replace, fmt)
