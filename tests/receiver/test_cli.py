"""The receiver's CLI: journal listing/filters, replay, export, the client snippets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pipedrive_gui.cli import main
from pipedrive_gui.core.project import Project, save_project
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import JOURNAL_FILE, Journal
from pipedrive_gui.receiver.intake import events_from_request
from tests.receiver.conftest import person_by_email

PROJECT = Project(
    name="cli",
    mappings=[person_by_email()],
)


@pytest.fixture
def journaled(data_dir: Path) -> Path:
    """A journal with an identify, a track, a dropped event and one failed event."""

    async def fill() -> None:
        async with Journal(AppPaths.resolve(data_dir).data / JOURNAL_FILE) as journal:
            await journal.append(
                events_from_request(
                    "batch",
                    {
                        "batch": [
                            {
                                "type": "identify",
                                "userId": "u1",
                                "messageId": "m-identify",
                                "traits": {"email": "jane@example.com", "name": "Jane"},
                            },
                            {"type": "track", "userId": "u1", "event": "Signed Up", "messageId": "m-track"},
                            {"type": "track", "event": "No user", "messageId": "m-dropped"},
                            {
                                "type": "identify",
                                "userId": "u2",
                                "messageId": "m-failed",
                                "traits": {"email": "x@example.com"},
                            },
                        ]
                    },
                )
            )
            for item in await journal.due():
                outcome = "failed" if item.message_id == "m-failed" else "skipped"
                await journal.record(
                    item.seq, outcome, summary=f"{outcome} for test", deliveries=[], attempts=1
                )

    asyncio.run(fill())
    return data_dir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_journal_without_a_journal_says_what_to_do(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--data-dir", str(data_dir), "journal")
    assert code == 1 and "pipedrive-gui receive" in err


def test_journal_table_json_failed_and_limit(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--data-dir", str(journaled), "journal")
    assert code == 0 and "m-identify" not in out  # the table shows names, not ids
    assert "Signed Up" in out and "dropped" in out and "4 of 4 shown" in out
    code, out, _ = run(capsys, "--data-dir", str(journaled), "journal", "--json", "--limit", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["messageId"] for r in rows] == ["m-failed", "m-dropped"]
    code, out, _ = run(capsys, "--data-dir", str(journaled), "journal", "--json", "--failed")
    assert [json.loads(line)["messageId"] for line in out.splitlines()] == ["m-failed"]


def test_journal_export_writes_json_lines(
    journaled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "journal.jsonl"
    code, out, _ = run(capsys, "--data-dir", str(journaled), "journal-export", "-o", str(target))
    assert code == 0 and "Wrote 4 event(s)" in out
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [x["messageId"] for x in lines] == ["m-identify", "m-track", "m-dropped", "m-failed"]
    assert lines[0]["event"]["traits"]["email"] == "jane@example.com"


def test_replay_failed_with_project_dispatches_now(
    journaled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PIPEDRIVE_API_TOKEN", "PIPEDRIVE_BASE_URL", "PIPEDRIVE_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    code, out, _ = run(capsys, "--data-dir", str(journaled), "replay", "--failed")
    assert code == 0 and "Queued 1 event(s)" in out and "when a receiver runs" in out
    code, out, _ = run(capsys, "--data-dir", str(journaled), "replay", "--failed")
    assert "Nothing to replay" in out  # it is queued already
    code, out, _ = run(capsys, "--data-dir", str(journaled), "replay", "m-track", "--project", str(project))
    assert code == 0 and "m-track: skipped" in out
    # The queued failed event was dispatched too (payloads only: no Pipedrive connection here).
    code, out, _ = run(capsys, "--data-dir", str(journaled), "journal", "--json", "--search", "m-failed")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["outcome"] == "planned" and row["dispatches"] == 2


def test_replay_against_the_local_sandbox_without_login_looks_records_up(
    journaled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like ``send``: not logged in, but --base-url is the offline sandbox on this computer, so the
    dispatch uses it (lookups, "would create") instead of building payloads only."""
    from tests.cli_support import clean_env, threaded_sandbox

    clean_env(monkeypatch)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    with threaded_sandbox() as sb:
        code, out, err = run(
            capsys,
            "--data-dir",
            str(journaled),
            "--base-url",
            sb.base_url,
            "replay",
            "m-identify",
            "m-failed",
            "--project",
            str(project),
        )
    assert code == 0, err
    assert "using the offline sandbox's token" in err
    # Looked up in the sandbox: Jane is not there (would be created); the nameless person could not be.
    assert "m-identify: planned" in out and "Would create person 'Jane'" in out, out
    assert "m-failed: failed" in out and "needs a name" in out, out


def test_replay_needs_ids_or_failed(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data-dir", str(journaled), "replay")
    assert code == 1 and "--failed" in err


def test_receive_refuses_remote_host_without_option(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    code, _, err = run(
        capsys, "--data-dir", str(data_dir), "receive", str(project), "--host", "0.0.0.0", "--no-dispatch"
    )
    assert code == 1 and "--allow-remote" in err


def test_client_snippets_are_the_receiver_panels() -> None:
    import textwrap

    from pipedrive_gui.commands.receiver_cmds import client_snippets
    from pipedrive_gui.receiver.snippets import all_snippets

    text = client_snippets("http://127.0.0.1:8787", "k1")
    for snippet in all_snippets("http://127.0.0.1:8787", "k1"):
        assert textwrap.indent(snippet.code, "    ") in text, snippet.key
    assert 'analytics.host = "http://127.0.0.1:8787"' in text  # analytics-python
    assert '"apiHost": "127.0.0.1:8787/v1"' in text  # analytics.js
    assert "-u 'k1:'" in text  # curl
