"""Sending only what the user meant, on the command line: ``send`` runs a mapping only
when its trigger fires (even when the mapping is named with ``--mapping``), and ``import -o`` into
an existing project never duplicates its mappings silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipedrive_gui.resources import resource_path
from tests.cli_support import ThreadedSandbox, run_cli
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))


def _writes(sandbox: ThreadedSandbox) -> list[tuple[str, str]]:
    return sandbox.call(
        lambda sb: [
            (r.method, r.path) for r in sb.state.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")
        ]
    )


@pytest.mark.parametrize(
    "extra", [[], ["--mapping", "deal"], ["--mapping", "Deals from “Deal Upserted” events", "--json"]]
)
def test_send_is_trigger_exact_even_for_a_named_mapping(
    argv: list[str], sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    """A page view fires none of the demo's mappings: naming the Deals mapping does not make it run
    (the GUI's "Send anyway" has no CLI twin on purpose)."""
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "page-pricing", *extra])
    assert r.code == 0, r.err
    if "--json" in extra:
        doc = json.loads(r.out)
        assert doc["results"] == []  # the reasons per mapping instead
        assert doc["not_fired"]["Deals from “Deal Upserted” events"]
    else:
        assert "No enabled mapping fires for this event; nothing was sent." in r.out
    assert _writes(sandbox) == []


def test_send_runs_only_the_mappings_whose_trigger_fires(
    argv: list[str], sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-deal-won", "--json"])
    assert r.code == 0, r.err
    assert [x["mapping_id"] for x in json.loads(r.out)["results"]] == ["deal"]
    assert {path.split("/")[3] for _, path in _writes(sandbox)} <= {"deals", "persons", "organizations"}


def test_import_into_an_existing_project_asks_for_a_merge_and_never_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipedrive_gui.core.project import load_project, save_project

    project = tmp_path / "p.pipedrive-map.json"
    save_project(load_project(DEMO), project)
    exported = tmp_path / "subs.json"
    assert run_cli(monkeypatch, ["export", "-o", str(exported), str(project)]).code == 0
    before = project.read_bytes()
    # Without a choice: refused, and the options are named.
    r = run_cli(monkeypatch, ["import", "-o", str(project), str(exported)])
    assert r.code == 2 and "--merge update" in r.err and project.read_bytes() == before
    # Its own export back: nothing to change.
    r = run_cli(monkeypatch, ["import", "--merge", "update", "-o", str(project), str(exported)])
    assert r.code == 0 and "6 already up to date" in r.err and project.read_bytes() == before
    # A changed export: the matching mapping is updated in place, a new one added; samples stay.
    export = json.loads(exported.read_text("utf-8"))
    subs = export["subscriptions"]
    subs[2]["trigger"] = 'type = "track" and event = "Order Completed"'
    subs.append(dict(subs[0], name="People again"))
    exported.write_text(json.dumps(export), "utf-8")
    r = run_cli(monkeypatch, ["import", "--merge", "update", "-o", str(project), str(exported)])
    assert r.code == 0 and "1 updated, 1 added, 5 already up to date" in r.err
    merged = load_project(project)
    assert [m.id for m in merged.mappings][:6] == [m.id for m in load_project(DEMO).mappings]
    assert (
        merged.mappings[2].trigger.endswith('"Order Completed"') and merged.mappings[6].name == "People again"
    )
    assert len(merged.samples) == len(load_project(DEMO).samples)
    # Copies are marked; replace keeps only the file's mappings.
    assert run_cli(monkeypatch, ["import", "--merge", "copy", "-o", str(project), str(exported)]).code == 0
    assert sum(m.name.endswith("(copy)") for m in load_project(project).mappings) == 7
    r = run_cli(monkeypatch, ["import", "--merge", "replace", "-o", str(project), str(exported)])
    assert r.code == 0 and "7 added, 14 removed" in r.err
    assert len(load_project(project).mappings) == 7
    # --merge with a new file is a plain import; --merge and --force do not go together.
    fresh = tmp_path / "new.pipedrive-map.json"
    assert run_cli(monkeypatch, ["import", "--merge", "update", "-o", str(fresh), str(exported)]).code == 0
    assert len(load_project(fresh).mappings) == 7
    with pytest.raises(SystemExit) as exc:
        run_cli(monkeypatch, ["import", "--merge", "copy", "--force", "-o", str(fresh), str(exported)])
    assert exc.value.code == 2
