"""Work-arounds for bugs of the installed PySide6, applied once when the gui package is imported.

PySide6 6.12.0 drops one reference to ``True`` on every ``Signal.emit()`` made from Python (the
bool it returns is released once too often). From Python 3.12 on, ``True`` is immortal and nothing
happens; on Python 3.10/3.11 its reference count runs down with every emit, and after a few
thousand signals (a few minutes of typing with the live preview, or the local receiver running)
the interpreter aborts with "Fatal Python error: bool_dealloc". The app cannot pin another PySide6
build, so it measures the leak at start-up and, only when present, gives ``True`` and ``False`` a
reserve of references large enough never to run out - which is what Python 3.12 does for them.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: References added to True/False when the leak is present (2**40 emits is ~35 years at 1000/s).
RESERVE = 1 << 40
_PROBE_EMITS = 16


class _Probe(QObject):
    ping = Signal()


def emit_leaks_true() -> bool:
    """Does ``Signal.emit()`` from Python drop a reference to ``True`` (and never give it back)?"""
    if sys.version_info >= (3, 12):
        return False  # bools are immortal: a stray decref cannot hurt
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:  # give the probe's own losses back at once
        _add_references(True, lost)
    return lost >= _PROBE_EMITS // 2


def _add_references(obj: object, count: int) -> None:
    # CPython keeps ob_refcnt (a Py_ssize_t) at the start of every object, whose address id() is.
    cell = ctypes.c_ssize_t.from_address(id(obj))
    cell.value += count


_applied = False


def apply() -> bool:
    """Apply the work-arounds this PySide6 needs (idempotent); True when the bool reserve was added."""
    global _applied
    if _applied:
        return False
    _applied = True
    if sys.implementation.name != "cpython" or not emit_leaks_true():
        return False
    _add_references(True, RESERVE)
    _add_references(False, RESERVE)
    return True
