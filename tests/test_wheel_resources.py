"""The built wheel carries resources/ and the one helper finds it from a clean install."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_into_clean_venv_and_loads_a_resource(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("pipedrive_gui-*.whl")
    env_dir = tmp_path / "venv"
    # No pip of its own (ensurepip takes seconds): this pip installs into it (``pip --python``).
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # A clean install means the checkout is not on the path either (PYTHONPATH would find resources/).
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        env=clean,
    )
    probe = (
        "import json; from pipedrive_gui.resources import resource_path, resources_dir;"
        "p = resource_path('sandbox', 'custom_fields.json');"
        "print(resources_dir()); print(len(json.loads(p.read_text())['fields']['person']))"
    )
    out = subprocess.run(
        [str(py), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path, env=clean
    ).stdout.split()
    assert "site-packages" in out[0] and out[0].endswith("_resources")
    assert int(out[1]) >= 1
