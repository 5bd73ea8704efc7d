"""The real app under a real X server (Xvfb): start it as a subprocess with --screenshot for the
main states and keep the pictures in docs/screenshots/ (looked at by a person, see the report)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gui.conftest import NEEDS_XVFB, real_x_env, xvfb

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
STATES: dict[str, tuple[Any, ...]] = {
    "demo-overview": ("overview", {}),
    "preview-dry-run": ("dry-run", {}),
    "connection-dialog": ("connection", {}),
    "error-state": ("error", {}),
    "demo-overview-200pct": ("overview", {"QT_SCALE_FACTOR": "2"}),
    "demo-overview-dark": ("dark", {}),
    "receiver-panel": ("receiver", {}),
    "test-records": ("records", {}),  # (a state named "test-records" would start the CLI command)
    "problems": ("problems", {}),
    "segment-push-diff": ("segment-diff", {}),
    "impact": ("impact-panel", {}),  # (a state named "impact" would start the CLI command)
    # Small screens (issue 14): the window at a laptop's size, light and dark, and the receiver.
    "small-1024x700": ("overview", {}, "1024x700"),
    "small-1024x700-dark": ("dark", {}, "1024x700"),
    "small-1024x700-receiver": ("receiver", {}, "1024x700"),
    "small-1366x768": ("overview", {}, "1366x768"),
    "small-1366x768-dark": ("dark", {}, "1366x768"),
    "small-1366x768-receiver": ("receiver", {}, "1366x768"),
}

pytestmark = NEEDS_XVFB


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xvfb("2800x1800x24") as name:  # room for demo-overview-200pct (QT_SCALE_FACTOR=2)
        yield name


def run_app(
    display: str, data_dir: Path, *argv: str, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real app, ``python -m pipedrive_gui --data-dir DATA_DIR ARGV``, on ``display`` with ``env``
    added to its environment; its output is captured for the assertions."""
    return subprocess.run(
        [sys.executable, "-m", "pipedrive_gui", "--data-dir", str(data_dir), *argv],
        env=real_x_env(display, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@pytest.mark.parametrize("name", list(STATES))
def test_screenshot(display: str, name: str, tmp_path: Path) -> None:
    state, extra, *size = STATES[name]
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    proc = run_app(
        display,
        tmp_path,
        "--screenshot",
        str(target),
        "--screenshot-state",
        state,
        *(["--window-size", size[0]] if size else []),
        env=extra,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "OK" in proc.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 500 and image.height() >= 300
    if size:  # the window kept the screen's size (nothing made it grow past it)
        assert f"{image.width()}x{image.height()}" == size[0]


def test_main_flows_under_a_real_x_server_quit_without_a_traceback(display: str, tmp_path: Path) -> None:
    """The flows of tests/gui/test_quit_clean.py with a real window system (xcb): each through the
    app's own dialogs, never two dialogs at once, then File > Quit; stderr has no traceback. (The
    "link" flow is left out: here a real browser could open.)"""
    from pipedrive_gui.gui_entry import FLOWS

    flows = ",".join(f for f in FLOWS if f != "link")
    proc = run_app(display, tmp_path, f"--flows={flows}", "--window-size", "1024x700", timeout=120)
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")
    assert "Traceback" not in proc.stderr and "RuntimeError" not in proc.stderr, proc.stderr[-3000:]
