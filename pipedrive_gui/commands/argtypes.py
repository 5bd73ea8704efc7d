"""Checked numeric command-line values: a value out of range is a clear usage error (exit 2) from
argparse, never an ``OverflowError`` from deep inside (a socket bind, an SQLite parameter)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: The largest integer SQLite stores (and so the largest event number, count or size we pass it).
SQLITE_MAX_INT = 2**63 - 1


def port(text: str) -> int:
    """A TCP port, 0-65535 (0: any free port)."""
    value = _int(text, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text} is not a port; choose one between 1 and 65535 (0 = any free port)"
        )
    return value


def whole_number(lo: int = 0, hi: int = SQLITE_MAX_INT, what: str = "a whole number") -> Callable[[str], int]:
    """An integer between ``lo`` and ``hi`` (both included)."""

    def parse(text: str) -> int:
        value = _int(text, what)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is out of range; use {what} from {lo:,} to {hi:,}")
        return value

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


def amount(lo: float = 0.0, hi: float = 1e9, what: str = "a number") -> Callable[[str], float]:
    """A finite number between ``lo`` and ``hi`` (no nan/inf)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is out of range; use {what} from {lo:g} to {hi:g}")
        return value

    parse.__name__ = what
    return parse


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
