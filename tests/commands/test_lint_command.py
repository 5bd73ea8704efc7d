"""``pipedrive-gui lint``: one finding per line, JSON Lines with --json, exit 1 on errors, live
fields from the sandbox (or none, saying which rules were skipped), captured events from a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipedrive_gui.core.project import load_project, save_project
from pipedrive_gui.resources import resource_path
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import clean_env, run_cli
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"


def test_demo_with_the_sandboxs_fields(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    r = run_cli(monkeypatch, [*argv, "lint", DEMO, "--json"])
    assert r.code == 0, r.err
    findings = [json.loads(line) for line in r.out.splitlines()]
    assert {f["rule"] for f in findings} == {"segment-v1-out-of-support", "segment-v1-custom-field"}
    for f in findings:
        assert {"mapping", "rule", "severity", "message", "fix"} <= set(f)
    assert findings[0]["mapping"] is None  # the destination-level note comes first
    assert "with the fields of http://127.0.0.1" in r.err and "Skipped" not in r.err


def test_errors_exit_1_one_line_each(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], tmp_path: Path
) -> None:
    project = load_project(DEMO)
    person = project.mappings[0]
    person.settings["match_field"] = PLAN  # a Single option field: Pipedrive cannot search it
    path = tmp_path / "p.pipedrive-map.json"
    save_project(project, path)
    r = run_cli(monkeypatch, [*argv, "lint", str(path)])
    assert r.code == 1
    lines = r.out.splitlines()
    bad = [line for line in lines if "match-field-not-searchable" in line]
    assert len(bad) == 1 and bad[0].startswith("error") and person.name in bad[0] and "Fix:" in bad[0]
    assert "1 error(s)" in r.err


def test_without_a_connection_says_which_rules_were_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    r = run_cli(monkeypatch, ["--data-dir", str(tmp_path), "lint", DEMO])
    assert r.code == 0
    assert "without Pipedrive fields" in r.err
    assert "Skipped, needs the account's Pipedrive fields" in r.err and "match-field-not-searchable" in r.err
    assert [line.split()[1] for line in r.out.splitlines()] == ["segment-v1-out-of-support"]


def test_captured_events_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env(monkeypatch)
    events = tmp_path / "captured.jsonl"
    lines = [
        {"type": "identify", "userId": "Maria-1", "traits": {"name": "Maria"}},
        {"seq": 2, "event": {"type": "identify", "userId": "maria-1", "traits": {"name": "Maria"}}},
    ]
    events.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    r = run_cli(
        monkeypatch,
        ["--data-dir", str(tmp_path), "lint", DEMO, "--offline", "--json", "--events", str(events)],
    )
    assert r.code == 0
    [case] = [json.loads(x) for x in r.out.splitlines() if "match-case-differs" in x]
    assert (
        case["events"] == ["captured.jsonl line 1", "captured.jsonl line 2"]
        and case["field"] == "match_value"
    )
    assert "2 captured event(s)" in r.err and "--offline" in r.err


def test_a_bad_events_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env(monkeypatch)
    events = tmp_path / "bad.jsonl"
    events.write_text('{"type": "identify"}\nnot json\n')
    r = run_cli(
        monkeypatch, ["--data-dir", str(tmp_path), "lint", DEMO, "--offline", "--events", str(events)]
    )
    assert r.code == 2 and "bad.jsonl line 2 is not JSON" in r.err
    r = run_cli(
        monkeypatch,
        ["--data-dir", str(tmp_path), "lint", DEMO, "--offline", "--events", str(tmp_path / "none.jsonl")],
    )
    assert r.code == 2 and "not found" in r.err
