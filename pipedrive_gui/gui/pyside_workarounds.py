"""Work-arounds for bugs of the installed PySide6, applied once when the gui package is imported,
and one for a cost of it (``faster_module_scan``, at the end).

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


def faster_module_scan() -> bool:
    """Answer PySide6's question "does this module's source mention PySide6?" by reading the file.

    PySide6 asks it of every module imported after it (for ``from __feature__ import ...``, which
    the app does not use) and answers with ``inspect.getsource``: ~0.12 ms a module through inspect
    and linecache, ~13 ms of the app's start-up (some 110 modules are imported before the main
    window paints; benchmarks/bench_startup.py), and the whole source of each kept in memory by
    linecache. Reading the file's bytes gives the same answer in a tenth of the time. A module
    without a ``.py`` file (built in, frozen, bytecode only) is left to PySide6's own check.
    Returns False where this PySide6 has no such check (nothing to do)."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or getattr(original, "reads_file", False):
        return False

    def mod_uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    mod_uses_pyside.reads_file = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]  # (tests compare the two)
    setattr(feature, "_mod_uses_pyside", mod_uses_pyside)  # noqa: B010 - a private name of PySide6
    return True


_applied = False


def apply() -> bool:
    """Apply the work-arounds this PySide6 needs (idempotent); True when a reserve was added."""
    global _applied
    if _applied:
        return False
    _applied = True
    faster_module_scan()
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
