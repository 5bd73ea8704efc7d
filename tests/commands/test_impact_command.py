"""``pipedrive-gui impact PROJECT EVENTS``: against the sandbox, over a file, the corpus, the journal."""

from __future__ import annotations

import asyncio
import copy
import csv
import json
from pathlib import Path

import pytest

from pipedrive_gui.core.project import load_project, save_project
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import JOURNAL_FILE, Journal
from pipedrive_gui.receiver.intake import events_from_request
from pipedrive_gui.resources import resource_path
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import run_cli
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))
CORPUS = resource_path("events", "corpus.jsonl").read_text("utf-8").splitlines()


def test_json_summary_per_mapping_over_the_corpus(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(
        monkeypatch,
        [*argv, "impact", DEMO, "corpus", "--limit", "24", "--json", "--plan", "lite", "--per-day", "5000"],
    )
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["events"] == 24 and out["source"] == "the bundled corpus"
    assert len(out["mappings"]) == 6
    for m in out["mappings"]:
        assert {"mapping", "update", "create", "fail", "not_triggered"} <= set(m)
        assert m["update"] + m["create"] + m["fail"] + m["not_triggered"] == 24
    people = next(m for m in out["mappings"] if m["action"] == "createUpdatePerson")
    assert people["create"] > 0 and people["update"] > 0  # the second identify updates the first's person
    assert out["batch_records"] and out["budget"]["plan"] == "lite" and out["plan_source"] == "option"
    assert out["budget"]["daily_budget"] == 30_000 and out["budget"]["events_per_day"] == 5000


def test_jsonl_file_human_output_compare_and_csv(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(CORPUS[:24]) + "\n\n", encoding="utf-8")
    edited = load_project(DEMO)
    deals = next(m for m in edited.mappings if m.action == "createUpdateDeal")
    deals.settings = {**copy.deepcopy(deals.settings), "title": {"@path": "$.properties.no_such_title"}}
    other = tmp_path / "edited.pipedrive-map.json"
    save_project(edited, other)
    table = tmp_path / "runs.csv"
    r = run_cli(
        monkeypatch, [*argv, "impact", str(other), str(events), "--compare", DEMO, "--csv", str(table)]
    )
    assert r.code == 0, r.err
    assert "Impact of 24 events from" in r.out and "nothing was written" in r.out
    assert "People from Identify" in r.out and "not triggered" in r.out
    assert "Records this batch creates and then reaches again" in r.out
    assert "Cost of sending them:" in r.out and "of the Growth plan's 60,000 tokens a day" in r.out
    assert f"Compared with {DEMO}:" in r.out
    assert "that created a new deal would now fail" in r.out
    assert "fail x" in r.out  # the top reasons
    assert "required field '…'." in r.out and "…." not in r.out and ".." not in r.out  # no doubled full stop
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"event", "mapping", "outcome", "record", "api_calls", "tokens"} <= set(rows[0])


def test_journal_events_with_filters(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def fill() -> None:
        async with Journal(AppPaths.resolve(tmp_path).data / JOURNAL_FILE) as journal:
            await journal.append(
                events_from_request("batch", {"batch": [json.loads(line) for line in CORPUS[:30]]})
            )

    asyncio.run(fill())
    r = run_cli(monkeypatch, [*argv, "impact", DEMO, "journal", "--type", "identify", "--json"])
    assert r.code == 0, r.err
    out = json.loads(r.out)
    identifies = sum(1 for line in CORPUS[:30] if json.loads(line)["type"] == "identify")
    assert out["events"] == identifies and out["source"] == "the receiver's journal"
    people = next(m for m in out["mappings"] if m["action"] == "createUpdatePerson")
    assert people["not_triggered"] == 0


def test_bad_inputs(argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    r = run_cli(monkeypatch, [*argv, "impact", DEMO, str(tmp_path / "missing.jsonl")])
    assert r.code == 2 and "Events file not found" in r.err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(CORPUS[0] + "\n{not json\n", encoding="utf-8")
    r = run_cli(monkeypatch, [*argv, "impact", DEMO, str(bad)])
    assert r.code == 1 and "line 2" in r.err
    r = run_cli(monkeypatch, [*argv, "impact", DEMO, "corpus", "--type", "identify"])
    assert r.code == 2 and "only apply to EVENTS = journal" in r.err
    r = run_cli(monkeypatch, [*argv, "impact", DEMO, "journal"])
    assert r.code == 1 and "No journal yet" in r.err


def test_failure_reasons_keep_what_pipedrive_said(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Matching people on the Plan field (a single-option field): Pipedrive's explanation is shown,
    not “…”; the match values are elided, so the events still group into one reason."""
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(CORPUS[:12]) + "\n", encoding="utf-8")
    edited = load_project(DEMO)
    people = next(m for m in edited.mappings if m.action == "createUpdatePerson")
    people.settings = {**people.settings, "match_field": "6a0126a15894687c771822a02954494f350d2f5e"}
    other = tmp_path / "edited.pipedrive-map.json"
    save_project(edited, other)
    r = run_cli(monkeypatch, [*argv, "impact", str(other), str(events), "--compare", DEMO])
    assert r.code == 0, r.err
    said = "Pipedrive said: “Validation failed: field: custom fields of type enum cannot be searched"
    fails = [line for line in r.out.splitlines() if "fail x" in line]
    assert len(fails) == 1 and "where Plan = …: Pipedrive refused the data. " + said in fails[0], r.out
    assert (
        f"would now fail (Could not look up person where Plan = …: Pipedrive refused the data. {said}"
        in r.out
    )
