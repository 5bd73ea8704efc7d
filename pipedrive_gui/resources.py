"""One way to reach the bundled resources/ folder, wherever the app runs from.

Order: a frozen (PyInstaller) build keeps it beside the executable's data; a source checkout has it
at the repository top level; an installed wheel carries it as the package ``pipedrive_gui._resources``.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidate = Path(frozen_root) / "resources"
        if candidate.is_dir():
            return candidate
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    installed = Path(__file__).resolve().parent / "_resources"
    if installed.is_dir():
        return installed
    raise FileNotFoundError("The app's resources folder is missing; reinstall Pipedrive Mapper.")


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("events", "identify.json")``."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"Bundled resource not found: {'/'.join(parts)}")
    return path
