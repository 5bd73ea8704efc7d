"""Issue 10, "Sending only what the user meant", on the command line: ``send`` runs a mapping only
when its trigger fires (even when the mapping is named with ``--mapping``), and ``import -o`` into
an existing project never duplicates its mappings silently."""

from __future__ import annotations

import json

import pytest

from pipedrive_gui.resources import resource_path
from tests.cli_support import ThreadedSandbox, run_cli
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))


def _writes(sandbox: ThreadedSandbox) -> list[tuple[str, str]]:
    return sandbox.call(lambda sb: [(r.method, r.path) for r in sb.state.requests
                                    if r.method in ("POST", "PATCH", "PUT", "DELETE")])


@pytest.mark.parametrize("extra", [[], ["--mapping", "deal"],
                                   ["--mapping", "Deals from “Deal Upserted” events", "--json"]])
def test_send_is_trigger_exact_even_for_a_named_mapping(argv: list[str], sandbox: ThreadedSandbox,
                                                        monkeypatch: pytest.MonkeyPatch, extra: list[str]) -> None:
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


def test_send_runs_only_the_mappings_whose_trigger_fires(argv: list[str], sandbox: ThreadedSandbox,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    r = run_cli(monkeypatch, [*argv, "send", DEMO, "track-deal-won", "--json"])
    assert r.code == 0, r.err
    assert [x["mapping_id"] for x in json.loads(r.out)["results"]] == ["deal"]
    assert {path.split("/")[3] for _, path in _writes(sandbox)} <= {"deals", "persons", "organizations"}
