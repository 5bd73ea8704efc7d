"""Nothing outside gui/ may import PySide6 or qasync; core/ imports no I/O libraries at all."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "pipedrive_gui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_gui_imports_qt() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "gui" or rel.name == "gui_entry.py":
            continue
        bad = _imports(path) & {"PySide6", "qasync", "shiboken6"}
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert offenders == []


def test_core_is_pure() -> None:
    forbidden = {"PySide6", "qasync", "httpx", "aiohttp", "keyring", "sqlite3", "socket", "requests"}
    offenders = []
    for path in (PKG / "core").rglob("*.py"):
        bad = _imports(path) & forbidden
        if bad:
            offenders.append(f"{path.relative_to(PKG)}: {sorted(bad)}")
    assert offenders == []


def test_layering_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport qasync\n")
    assert {"PySide6", "qasync"} <= _imports(bad)
