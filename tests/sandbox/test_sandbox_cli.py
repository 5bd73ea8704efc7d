"""``pipedrive-gui sandbox`` runs until Ctrl-C and tells the user how to point the CLI at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_sandbox_command_serves_until_interrupted(stop_signal: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipedrive_gui", "sandbox", "--port", "0", "--fault", "503:count=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "Pipedrive sandbox running at http://127.0.0.1:" in first, first
        url = first.split("running at ", 1)[1].split()[0]
        rest = [proc.stdout.readline() for _ in range(5)]
        assert any(f"--base-url {url}" in line for line in rest)
        with httpx.Client(base_url=url, headers={"x-api-token": "my-secret-token"}) as c:
            assert c.get("/api/v1/users/me").status_code == 503
            assert c.get("/api/v1/users/me").json()["data"]["company_domain"] == "sandbox"
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "Sandbox stopped." in out
        assert "GET /api/v1/users/me -> 200" in err and "my-secret-token" not in err + out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_fault_spec_is_one_line_error() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pipedrive_gui", "sandbox", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "unknown fault kind" in r.stderr
