"""The first run under a real X server (Xvfb), in the real app: fresh data folder, no keyring →
sandbox → demo → edit a field → check → send test → export → quit, then a second start that
reopens the sandbox. At most one dialog is open at any time, and stderr has no traceback.

The steps are driven inside the app by ``firstrun_walkthrough.py`` (real dialogs, real clicks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("firstrun_walkthrough.py")

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
]


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _walk(display: str, mode: str, data_dir: Path, export: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "QT_QPA_PLATFORM",
            "WAYLAND_DISPLAY",
            "PIPEDRIVE_API_TOKEN",
            "PIPEDRIVE_DOMAIN",
            "PIPEDRIVE_BASE_URL",
            "PIPEDRIVE_GUI_SCREENSHOT_STATE",
        )
    }
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        PYTHONPATH=str(REPO),
        # No keyring, as on a desktop without one (the first launch).
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
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
