"""The first run under a real X server (Xvfb), in the real app: fresh data folder, no keyring →
sandbox → demo → edit a field → check → send test → export → quit, then a second start that
reopens the sandbox. At most one dialog is open at any time, and stderr has no traceback.

The steps are driven inside the app by ``firstrun_walkthrough.py`` (real dialogs, real clicks)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.conftest import NEEDS_XVFB, real_x_env, xvfb

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("firstrun_walkthrough.py")

pytestmark = NEEDS_XVFB


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xvfb("1366x768x24") as name:  # a common laptop screen
        yield name


def _walk(display: str, mode: str, data_dir: Path, export: Path) -> subprocess.CompletedProcess[str]:
    # real_x_env: no keyring, as on a desktop without one (the first launch). The driver is
    # started as a script, so the package is found through PYTHONPATH.
    env = real_x_env(display, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(DRIVER), mode, str(data_dir), str(export)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )


def test_first_run_walkthrough(display: str, tmp_path: Path) -> None:
    data_dir, export = tmp_path / "data", tmp_path / "mappings.segment.json"
    first = _walk(display, "first", data_dir, export)
    report = f"stdout:\n{first.stdout[-3000:]}\nstderr:\n{first.stderr[-3000:]}"
    assert "WALKTHROUGH OK" in first.stdout, report
    assert first.returncode == 0, report
    assert "DIALOGS max=1 " in first.stdout, report  # never two at once (and some were shown)
    assert "Traceback" not in first.stderr, report
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert exported and "token" not in export.read_text(encoding="utf-8").lower()

    again = _walk(display, "again", data_dir, export)
    report = f"stdout:\n{again.stdout[-3000:]}\nstderr:\n{again.stderr[-3000:]}"
    assert "WALKTHROUGH OK" in again.stdout and again.returncode == 0, report
    assert "DIALOGS max=0 " in again.stdout, report  # the sandbox is reopened without asking
    assert "Traceback" not in again.stderr, report
