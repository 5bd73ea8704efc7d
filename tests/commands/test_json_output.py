"""The ``--json`` outputs scripts rely on: their shape is pinned here (adding keys is fine; renaming
or removing one breaks scripts and must fail a test), and every exit code a script branches on.

Exit codes, all commands (pinned in ``test_bad_input.py``): 0 done; 1 a mapping failed, or a
file could not be read, parsed or written; 2 a wrong command line (unknown option or mapping, a
folder where a file is expected, an output that would replace a file) or a trigger that is not
valid FQL; 3 no usable keyring; 4 Pipedrive refused the connection or could not be reached.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipedrive_gui.resources import resource_path
from tests.cli_support import ThreadedSandbox, run_cli
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))

PREVIEW_KEYS = {"id", "name", "action", "enabled", "fires", "reasons", "ok", "payload", "problems", "error"}
RESULT_KEYS = {
    "mapping",
    "mapping_id",
    "action",
    "mode",
    "entity",
    "outcome",
    "record_id",
    "record_name",
    "message",
    "link",
    "warnings",
    "api_calls",
    "tokens",
    "calls",
}
CALL_KEYS = {
    "method",
    "path",
    "query",
    "body",
    "purpose",
    "kind",
    "condition",
    "sent",
    "from_cache",
    "status",
    "response_excerpt",
    "error",
    "tokens",
    "elapsed_ms",
}
FIELD_KEYS = {
    "entity",
    "key",
    "label",
    "field_type",
    "options",
    "is_custom",
    "searchable",
    "not_searchable_reason",
    "match_via",
}


def test_preview_json(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(monkeypatch, [*argv, "preview", DEMO, "identify-person", "--json"])
    items = json.loads(r.out)
    assert r.code == 0 and [i["id"] for i in items] == [
        "person",
        "organization",
        "deal",
        "activity",
        "lead",
        "note",
    ]
    assert all(PREVIEW_KEYS <= set(i) for i in items)
    person, org = items[0], items[1]
    assert person["fires"] and person["ok"] and person["payload"]["match_value"] == "user-1001"
    assert person["payload"]["custom_fields"]["1924676a305ba82f358ceb58630f9b5c4ef91f3e"] == {
        "value": 1249.5,
        "currency": "USD",
    }  # Lifetime value is money: amount and currency
    assert not org["fires"] and org["reasons"] == ['type is "identify", not "group"']


def test_send_json_for_each_mode(
    argv: list[str], sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for mode_flag, mode, outcome in (
        ("--plan", "plan", "planned"),
        ("--dry-run", "dry_run", "update"),
        (None, "send", "update"),
    ):
        extra = [mode_flag] if mode_flag else []
        r = run_cli(monkeypatch, [*argv, "send", DEMO, "identify-person", "--json", *extra])
        doc = json.loads(r.out)
        assert r.code == 0, r.err
        assert set(doc) == {"mode", "results"} and doc["mode"] == mode
        (result,) = doc["results"]
        assert set(result) == RESULT_KEYS and result["outcome"] == outcome and result["mode"] == mode
        assert all(set(c) == CALL_KEYS for c in result["calls"])
    assert result["record_id"] == 101 and result["link"] == f"{sandbox.base_url}/person/101"
    assert [(c["method"], c["status"]) for c in result["calls"]] == [("GET", 200), ("PATCH", 200)]
    # Nothing fires: the reasons per mapping instead of results.
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "page-pricing", "--json"])
    doc = json.loads(r.out)
    assert (
        r.code == 0
        and doc["results"] == []
        and set(doc["not_fired"])
        == {m["name"] for m in json.loads(Path(DEMO).read_text("utf-8"))["mappings"]}
    )


def test_send_json_statuses_are_what_pipedrive_answered(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-lead-created", "--json"])
    (result,) = json.loads(r.out)["results"]
    assert result["outcome"] == "create"
    assert [(c["method"], c["path"], c["status"]) for c in result["calls"]][-1] == (
        "POST",
        "/api/v1/leads",
        201,
    )


def test_whoami_fields_samples_json(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(monkeypatch, [*argv, "whoami", "--json"])
    me = json.loads(r.out)
    assert set(me) == {"user", "company", "server", "token_source", "token_holder", "rate_limit"}
    assert me["company"]["domain"] == "sandbox" and me["token_source"] == "environment"
    r = run_cli(monkeypatch, [*argv, "fields", "--json", "--entity", "person"])
    doc = json.loads(r.out)
    assert {"version", "domain", "fetched_at", "fields", "problems"} <= set(doc)
    assert list(doc["fields"]) == ["person"] and all(FIELD_KEYS <= set(f) for f in doc["fields"]["person"])
    plan = next(f for f in doc["fields"]["person"] if f["label"] == "Plan")
    assert plan["searchable"] is False and "Single option" in plan["not_searchable_reason"]
    r = run_cli(monkeypatch, [*argv, "samples", "--json"])
    rows = json.loads(r.out)
    assert all(set(row) == {"name", "title", "type", "description"} for row in rows)
    assert "identify-person" in {row["name"] for row in rows}


def test_fields_text_says_why_a_field_cannot_match(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(monkeypatch, [*argv, "fields", "--entity", "person"])
    lines = r.out.splitlines()
    assert r.code == 0
    assert any("Segment user ID" in line and "match: yes (field search)" in line for line in lines)
    assert any("First name" in line and "match: no *" in line for line in lines)
    assert "“Plan” is a Single option field." in r.out
    assert "* Pipedrive cannot search by this built-in field; match by ID, email, name, phone" in r.out
    r = run_cli(monkeypatch, [*argv, "fields", "--entity", "note"])
    assert "(Pipedrive cannot search notes by field; notes are updated by their ID only.)" in r.out
