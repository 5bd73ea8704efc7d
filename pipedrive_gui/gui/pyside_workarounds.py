"""Work-arounds for bugs of the installed PySide6, applied once when the gui package is imported.

PySide6 6.12.0 releases some results once too often:

- ``True`` on every ``Signal.emit()`` made from Python;
- ``None`` on every call of a Qt method that returns nothing (``setText``, ``update``,
  ``processEvents``... - almost every call the GUI makes).

From Python 3.12 on, ``True``, ``False`` and ``None`` are immortal and nothing happens. On Python
3.10/3.11 their reference counts run down with every such call, and the interpreter aborts with
"Fatal Python error: bool_dealloc" / "none_dealloc": a bare script after ~5,000 ``setText`` calls,
the app after a few minutes of typing with the live preview or with the local receiver running.
The app cannot pin another PySide6 build, so it measures each leak at start-up and, only where
present, gives the object a reserve of references large enough never to run out - which is what
Python 3.12 does for them.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

#: References added to True/False/None when a leak is present (2**40 calls is ~35 years at 1000/s).
RESERVE = 1 << 40
_PROBE_EMITS = 16  # calls per probe


class _Probe(QObject):
    ping = Signal()


def emit_leaks_true() -> bool:
    """Does ``Signal.emit()`` from Python drop a reference to ``True`` (and never give it back)?"""
    probe = _Probe()
    return _drops_references(True, probe.ping.emit)


def void_call_leaks_none() -> bool:
    """Does calling a Qt method that returns nothing drop a reference to ``None``?"""
    probe = _Probe()
    return _drops_references(None, lambda: probe.setObjectName("probe"))


def _drops_references(obj: object, call: Callable[[], object]) -> bool:
    """Does ``call()`` release ``obj`` once too often? The probe's own losses are given back."""
    if sys.version_info >= (3, 12):
        return False  # True, False and None are immortal: a stray decref cannot hurt
    before = sys.getrefcount(obj)
    for _ in range(_PROBE_EMITS):
        call()
    lost = before - sys.getrefcount(obj)
    if lost > 0:
        _add_references(obj, lost)
    return lost >= _PROBE_EMITS // 2


def _add_references(obj: object, count: int) -> None:
    # CPython keeps ob_refcnt (a Py_ssize_t) at the start of every object, whose address id() is.
    cell = ctypes.c_ssize_t.from_address(id(obj))
    cell.value += count


_applied = False


def apply() -> bool:
    """Apply the work-arounds this PySide6 needs (idempotent); True when a reserve was added."""
    global _applied
    if _applied:
        return False
    _applied = True
    if sys.implementation.name != "cpython":
        return False
    added = False
    if emit_leaks_true():
        _add_references(True, RESERVE)
        _add_references(False, RESERVE)
        added = True
    if void_call_leaks_none():
        _add_references(None, RESERVE)
        added = True
    return added
