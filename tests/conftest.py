"""Shared fixtures. Core tests never create a QApplication; GUI tests run offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A --data-dir for one test: everything the app writes lands here."""
    d = tmp_path / "appdata"
    d.mkdir()
    return d
