"""The README's command-line walkthrough, run the way a first-time user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipedrive_gui.resources import resource_path
from tests.cli_support import ThreadedSandbox, run_cli
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import roomy_search_limit_fixture as roomy_search_limit_fixture  # "roomy_search_limit"
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

REPO = Path(__file__).resolve().parents[2]
DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))


def test_try_it_without_an_account(tmp_path: Path) -> None:
    """README: start the sandbox, then send the demo project's identify sample as a dry run — with no
    login, no token in the environment and no keyring at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPEDRIVE_", "DBUS_"))}
    env.update(
        HOME=str(tmp_path),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PIPEDRIVE_GUI_DATA_DIR=str(tmp_path / "data"),
    )
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pipedrive_gui", "sandbox", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert sandbox.stdout is not None
        first = sandbox.stdout.readline()
        base = first.split("running at ", 1)[1].split()[0]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipedrive_gui",
                "--base-url",
                base,
                "send",
                "resources/demo/demo.pipedrive-map.json",
                "identify-person",
                "--dry-run",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
        )
    finally:
        sandbox.terminate()
        sandbox.communicate(timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert "Would update person #101 'Ada Lovelace' (name becomes 'Maria Gonzalez')" in proc.stdout
    assert "using the offline sandbox's token" in proc.stderr and "Traceback" not in proc.stderr


def test_plan_names_custom_fields_once_the_fields_were_fetched(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-deal-won", "--plan"])
    assert r.code == 0 and "deal where 36a55f412247e226b1ecb70efcaf0daeed656961 = D-2025-0042" in r.out
    assert run_cli(monkeypatch, [*argv, "fields"]).code == 0  # caches the company's fields
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-deal-won", "--plan"])
    assert r.code == 0 and "deal where Segment deal ID = D-2025-0042" in r.out


def test_send_tells_where_activities_and_notes_show(
    roomy_search_limit: None, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(monkeypatch, [*argv, "send", DEMO, "track-deal-upserted"]).code == 0
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-activity-upserted"])
    assert r.code == 0 and "Created activity #" in r.out
    link = next(line for line in r.out.splitlines() if "open:" in line)
    assert "/deal/" in link and "(the activity is listed on deal #" in link
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-note-upserted", "--json"])
    (note,) = json.loads(r.out)["results"]
    assert note["outcome"] == "create" and "/deal/" in note["link"]


def test_base_url_may_be_the_api_address(
    sandbox: ThreadedSandbox, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv[argv.index("--base-url") + 1] = sandbox.base_url + "/api/v2/"
    r = run_cli(monkeypatch, [*argv, "whoami"])
    assert r.code == 0 and "Sandbox Co" in r.out
    argv[argv.index("--base-url") + 1] = "127.0.0.1:8765"
    r = run_cli(monkeypatch, [*argv, "whoami"])
    assert r.code == 2 and "http://127.0.0.1:PORT for the sandbox" in r.err
