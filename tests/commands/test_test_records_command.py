"""``pipedrive-gui test-records``: send → list → delete against the sandbox, the way a user runs it.

The ledger rows of the records ``send`` creates are the engine's own."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui import cli
from pipedrive_gui.pipedrive.ledger import Ledger
from pipedrive_gui.resources import resource_path
from tests.cli_support import CliRun, ThreadedSandbox, clean_env, run_cli
from tests.cli_support import argv_fixture as argv_fixture  # registers the pytest fixture "argv"
from tests.cli_support import roomy_search_limit_fixture as roomy_search_limit_fixture  # "roomy_search_limit"
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))
#: One update (person #101 exists in the sandbox) and three creates.
SAMPLES = ("identify-person", "track-deal-upserted", "track-activity-upserted", "track-note-upserted")


def ledger_of(data_dir: str | Path) -> Ledger:
    """The ledger ``--data-dir data_dir`` uses."""
    from pipedrive_gui.paths import AppPaths

    return Ledger.in_data_dir(AppPaths.resolve(data_dir).data)


def account_of(sandbox: ThreadedSandbox) -> str:
    return sandbox.base_url.split("://", 1)[1]


def send_all(
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    sandbox: ThreadedSandbox,
    samples: tuple[str, ...] = SAMPLES,
) -> list[dict[str, Any]]:
    """``pipedrive-gui send`` for each sample (the engine records what it creates in the ledger)."""
    results: list[dict[str, Any]] = []
    for sample in samples:
        r = run_cli(monkeypatch, [*argv, "send", DEMO, sample, "--json"])
        assert r.code == 0, r.err
        results += json.loads(r.out)["results"]
    return results


def exists(sandbox: ThreadedSandbox, entity: str, record_id: Any) -> bool:
    return bool(sandbox.call(lambda sb: sb.state.store.exists(entity, record_id)))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_on_terminal(monkeypatch: pytest.MonkeyPatch, argv: list[str], typed: str) -> CliRun:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", Terminal(typed))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return CliRun(code, out.getvalue(), err.getvalue())


def test_send_then_list_then_delete(
    sandbox: ThreadedSandbox, roomy_search_limit: None, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    results = send_all(monkeypatch, argv, sandbox)
    created = {r["entity"]: r for r in results if r["outcome"] == "create"}
    assert set(created) == {"deal", "activity", "note"}

    r = run_cli(monkeypatch, [*argv, "test-records"])
    assert r.code == 0, r.err
    assert f"3 test records in {account_of(sandbox)}:" in r.out
    deal = created["deal"]
    assert f"deal #{deal['record_id']} “{deal['record_name']}”" in r.out
    assert "mapping “Deals from “Deal Upserted” events”, by pipedrive-gui send" in r.out
    assert f"{sandbox.base_url}/deal/{deal['record_id']}" in r.out  # the link, as `send` shows it
    assert "person #101" not in r.out  # updated, not created: never listed
    assert "(updates) are not undone" in r.out

    r = run_cli(monkeypatch, [*argv, "test-records", "--json"])
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 0 and len(rows) == 3 and {row["entity"] for row in rows} == set(created)
    for row in rows:
        assert {"entity", "id", "created_at", "mapping", "name", "link", "source", "state"} <= set(row)
        assert row["id"] == str(created[row["entity"]]["record_id"]) and row["source"] == "cli_send"
        assert row["mapping"] == created[row["entity"]]["mapping"] and row["state"] == "created"
        assert datetime.fromisoformat(row["created_at"]).tzinfo is not None

    # A script without --yes is refused, and nothing is deleted.
    r = run_cli(monkeypatch, [*argv, "test-records", "--delete"])
    assert r.code == 2 and "no terminal to ask whether to delete 3 records" in r.err and "--yes" in r.err
    assert all(exists(sandbox, e, x["record_id"]) for e, x in created.items())

    r = run_cli(monkeypatch, [*argv, "test-records", "--delete", "--yes"])
    assert r.code == 0, r.err
    assert "Deleted 3 test records." in r.out
    assert not any(exists(sandbox, e, x["record_id"]) for e, x in created.items())
    assert exists(sandbox, "person", 101)  # the updated person is left alone (updates are not undone)
    calls = sandbox.call(lambda sb: [q.call for q in sb.state.requests if q.method == "DELETE"])
    assert calls == [
        f"DELETE /api/v1/notes/{created['note']['record_id']}",
        f"DELETE /api/v2/activities/{created['activity']['record_id']}",
        f"DELETE /api/v2/deals/{deal['record_id']}",
    ]
    r = run_cli(monkeypatch, [*argv, "test-records"])
    assert r.code == 0 and f"No test records in {account_of(sandbox)}." in r.out


def test_asks_on_a_terminal_and_deletes_only_after_yes(
    sandbox: ThreadedSandbox, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    [deal] = [r for r in send_all(monkeypatch, argv, sandbox, ("track-deal-upserted",))]
    r = run_on_terminal(monkeypatch, [*argv, "test-records", "--delete"], "no\n")
    assert r.code == 2 and "Nothing was deleted." in r.err
    assert f"Delete this record in {account_of(sandbox)}?" in r.err and "not undone" in r.err
    assert exists(sandbox, "deal", deal["record_id"])
    r = run_on_terminal(monkeypatch, [*argv, "test-records", "--delete"], "yes\n")
    assert r.code == 0 and "Deleted 1 test record." in r.out
    assert not exists(sandbox, "deal", deal["record_id"])


def test_reports_what_could_not_be_deleted_and_why(
    sandbox: ThreadedSandbox, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    results = send_all(monkeypatch, argv, sandbox, ("track-deal-upserted", "track-note-upserted"))
    deal, note = (next(r for r in results if r["entity"] == e) for e in ("deal", "note"))
    sandbox.call(
        lambda sb: sb.state.store.put(
            "note", {**sb.state.store.get("note", note["record_id"]), "is_deleted": True}
        )
    )  # deleted in Pipedrive
    sandbox.faults("json403:method=DELETE,path=/api/v2/deals/*")
    r = run_cli(monkeypatch, [*argv, "test-records", "--delete", "--yes", "--json"])
    assert r.code == 1
    by_entity = {row["entity"]: row for row in map(json.loads, r.out.splitlines())}
    assert by_entity["note"]["result"] == "already_gone"
    assert by_entity["deal"]["result"] == "no_permission" and "permission" in by_entity["deal"]["reason"]
    r = run_cli(monkeypatch, [*argv, "test-records", "--json"])
    assert [json.loads(line)["entity"] for line in r.out.splitlines()] == ["deal"]  # kept, to try again


def test_other_accounts_are_counted_not_listed_and_all_accounts_lists_them(
    sandbox: ThreadedSandbox, argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    send_all(monkeypatch, argv, sandbox, ("track-deal-upserted",))
    ledger_of(tmp_path).record(
        "acme.pipedrive.com", "person", 7, "Jane", mapping="People", source="send_test", test=True
    )
    r = run_cli(monkeypatch, [*argv, "test-records"])
    assert r.code == 0 and "1 test record in" in r.out and "Jane" not in r.out
    assert "1 more test record belongs to another account (acme.pipedrive.com: 1)" in r.out
    r = run_cli(monkeypatch, [*argv, "test-records", "--json"])
    assert len(r.out.splitlines()) == 1 and "acme.pipedrive.com: 1" in r.err  # notes stay off stdout
    r = run_cli(monkeypatch, [*argv, "test-records", "--delete", "--yes"])
    assert r.code == 0 and "Deleted 1 test record." in r.out
    assert ledger_of(tmp_path).entries(account="acme.pipedrive.com")[0].state == "created"

    clean_env(monkeypatch)  # no token, no sandbox: --all-accounts needs no connection
    r = run_cli(monkeypatch, ["--data-dir", str(tmp_path), "test-records", "--all-accounts"])
    assert r.code == 0 and "person #7 “Jane” [acme.pipedrive.com]" in r.out
    r = run_cli(monkeypatch, ["--data-dir", str(tmp_path), "test-records", "--all-accounts", "--delete"])
    assert r.code == 2 and "connected account only" in r.err


def test_needs_a_connection_like_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    r = run_cli(monkeypatch, ["--data-dir", str(tmp_path), "test-records"])
    assert r.code in (2, 3) and ("Not logged in" in r.err or "keyring" in r.err)
    r = run_cli(monkeypatch, ["--data-dir", str(tmp_path), "test-records", "--yes"])
    assert r.code == 2 and "--yes only goes with --delete" in r.err
