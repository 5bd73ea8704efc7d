"""``pipedrive-gui segment ...`` in-process against the stand-in served from a background thread."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pipedrive_gui.commands import segment_cmds
from pipedrive_gui.commands.common import CliError
from pipedrive_gui.core.project import load_project, save_project
from pipedrive_gui.credentials import SEGMENT_ACCOUNT, SERVICE, CredentialStore, MemoryKeyring
from pipedrive_gui.segment.standin import Fault, RunningStandin, StandinState, demo_state, start_standin
from tests.cli_support import run_cli

TOKEN = "standin-token"


class ThreadedStandin:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="segment-standin", daemon=True)
        self._thread.start()
        self.state = demo_state(TOKEN)
        self.state.write_limit = (
            1000  # the limit itself is tested in test_client.py; no real minute-long waits
        )
        self.server: RunningStandin = self._wait(start_standin(self.state))

    def _wait(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def call(self, fn: Callable[[StandinState], Any]) -> Any:
        async def go() -> Any:
            return fn(self.state)

        return self._wait(go())

    def close(self) -> None:
        self._wait(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def standin() -> Iterator[ThreadedStandin]:
    s = ThreadedStandin()
    yield s
    s.close()


@pytest.fixture
def keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    real = type("Keyring", (MemoryKeyring,), {"__module__": "keyring.backends.SecretService"})()
    monkeypatch.setattr(segment_cmds, "make_store", lambda: CredentialStore(real))
    return real


@pytest.fixture
def env(
    standin: ThreadedStandin, monkeypatch: pytest.MonkeyPatch, keyring: MemoryKeyring, tmp_path: Path
) -> list[str]:
    monkeypatch.setenv("SEGMENT_PUBLIC_API_URL", standin.server.base_url)
    monkeypatch.setenv("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
    return ["--data-dir", str(tmp_path / "data")]


def dest_id(standin: ThreadedStandin) -> str:
    return str(standin.state.destinations[0]["id"])


def test_destinations_table_and_json(env: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_cli(monkeypatch, [*env, "segment", "destinations"])
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SOURCE", "STATE"]
    assert "Pipedrive (production)" in lines[1] and "Website" in lines[1] and "enabled" in lines[1]
    assert "Pipedrive (staging)" in lines[2] and "disabled" in lines[2] and len(lines) == 3
    run = run_cli(monkeypatch, [*env, "segment", "destinations", "--json"])
    rows = json.loads(run.out)
    assert [r["name"] for r in rows] == ["Pipedrive (production)", "Pipedrive (staging)"]
    assert set(rows[0]) == {"id", "name", "enabled", "sourceId", "sourceName"}
    assert "pd-secret-token" not in run.out


def test_pull_edit_dry_run_push_pull(
    env: list[str], standin: ThreadedStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "acme.pipedrive-map.json"
    dest = dest_id(standin)
    run = run_cli(monkeypatch, [*env, "segment", "pull", dest, "-o", str(out)])
    assert run.code == 0, run.err
    assert "2 added" in run.err
    text = out.read_text()
    assert "pd-secret-token" not in text and '"subscription_id"' in text
    project = load_project(out)
    assert project.segment is not None and project.segment.destination_id == dest

    project.mappings[0].name = "Upsert person (renamed)"
    project.mappings[1].enabled = True
    save_project(project, out)
    writes = len(standin.call(lambda st: st.writes_sent()))
    run = run_cli(monkeypatch, [*env, "segment", "push", str(out), dest, "--dry-run"])
    assert run.code == 0, run.err
    assert "2 to update" in run.out and "~ update “Upsert person (renamed)”" in run.out
    assert 'name: "Upsert person" → "Upsert person (renamed)"' in run.out
    assert "Dry run: nothing was sent." in run.err
    assert len(standin.call(lambda st: st.writes_sent())) == writes

    run = run_cli(monkeypatch, [*env, "segment", "push", str(out), dest])
    assert run.code == 2 and "--yes" in run.err  # no terminal to ask

    run = run_cli(monkeypatch, [*env, "segment", "push", str(out), dest, "--yes"])
    assert run.code == 0, run.err
    assert "2 of 2 change(s) made in Segment." in run.out and "[1/2]" in run.err
    names = standin.call(lambda st: [s["name"] for s in st.subscriptions[dest]])
    assert names == ["Upsert person (renamed)", "Upsert organization"]

    run = run_cli(monkeypatch, [*env, "segment", "push", str(out), dest, "--yes"])
    assert run.code == 0 and run.out.startswith("Nothing to change")
    assert len(standin.call(lambda st: st.writes_sent())) == writes + 2

    before = out.read_text()
    run = run_cli(monkeypatch, [*env, "segment", "pull", dest, "-o", str(out), "--merge", "update"])
    assert run.code == 0, run.err
    assert "2 already up to date" in run.err
    assert out.read_text() == before


def test_push_json_and_a_failure_gives_exit_5(
    env: list[str], standin: ThreadedStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "p.pipedrive-map.json"
    dest = dest_id(standin)
    assert run_cli(monkeypatch, [*env, "segment", "pull", dest, "-o", str(out)]).code == 0
    project = load_project(out)
    project.mappings[0].trigger = 'type = "identify" and traits.plan = "pro"'
    project.mappings[1].trigger = 'type = "group" and ('
    save_project(project, out)
    standin.call(lambda st: st.faults.append(Fault("PATCH", "/subscriptions", status=429, retry_after="0")))
    run = run_cli(monkeypatch, [*env, "segment", "push", str(out), dest, "--yes", "--json"])
    assert run.code == 5, run.err
    doc = json.loads(run.out)
    assert [r["ok"] for r in doc["report"]["results"]] == [True, False]
    assert doc["report"]["results"][1]["segmentMessage"].startswith("Invalid FQL")
    assert "waiting 0 s (Segment's rate limit)" in run.err


def test_pull_refuses_to_overwrite_and_other_destinations(
    env: list[str], standin: ThreadedStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "x.pipedrive-map.json"
    out.write_text("{}")
    run = run_cli(monkeypatch, [*env, "segment", "pull", dest_id(standin), "-o", str(out)])
    assert run.code == 2 and "--merge update" in run.err
    ga = str(standin.state.destinations[2]["id"])
    run = run_cli(monkeypatch, [*env, "segment", "pull", ga, "-o", str(tmp_path / "y.pipedrive-map.json")])
    assert run.code == 2 and "not Actions Pipedrive" in run.err
    run = run_cli(
        monkeypatch, [*env, "segment", "pull", "missing", "-o", str(tmp_path / "z.pipedrive-map.json")]
    )
    assert run.code == 5 and "no such destination" in run.err


def test_errors_reach_the_user_in_plain_words(
    env: list[str], standin: ThreadedStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.call(lambda st: setattr(st, "subscriptions_feature", False))
    run = run_cli(
        monkeypatch, [*env, "segment", "pull", dest_id(standin), "-o", "/tmp/never.pipedrive-map.json"]
    )
    assert run.code == 5 and "Destination Subscriptions feature" in run.err
    monkeypatch.setenv("SEGMENT_PUBLIC_API_TOKEN", "sgp_bad_token")
    run = run_cli(monkeypatch, [*env, "segment", "destinations"])
    assert run.code == 5 and "segment login" in run.err and "sgp_bad_token" not in run.err + run.out


def test_login_checks_the_token_then_keeps_it_in_the_keyring(
    env: list[str], keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEGMENT_PUBLIC_API_TOKEN")
    run = run_cli(monkeypatch, [*env, "segment", "destinations"])
    assert run.code == 2 and "segment login" in run.err
    run = run_cli(monkeypatch, [*env, "segment", "login", "--token-stdin"], stdin="wrong\n")
    assert run.code == 5 and keyring.get_password(SERVICE, SEGMENT_ACCOUNT) is None
    run = run_cli(
        monkeypatch, [*env, "segment", "login", "--token-stdin", "--region", "eu"], stdin=TOKEN + "\n"
    )
    assert run.code == 0, run.err
    assert "Acme (stand-in)" in run.out and "2 Actions Pipedrive destination(s)" in run.out
    assert TOKEN not in run.out + run.err
    assert keyring.get_password(SERVICE, SEGMENT_ACCOUNT) == TOKEN
    assert run_cli(monkeypatch, [*env, "segment", "destinations"]).code == 0  # from the keyring now
    run = run_cli(monkeypatch, [*env, "segment", "logout"])
    assert run.code == 0 and "Removed the Segment token" in run.out
    assert keyring.get_password(SERVICE, SEGMENT_ACCOUNT) is None


def test_another_kind_of_destination_is_named_with_its_article() -> None:
    for kind, said in (
        ("Amplitude (Actions)", "is an Amplitude (Actions) destination,"),
        (None, "is another"),
    ):
        dest = SimpleNamespace(is_pipedrive=False, name="Prod", id="d-1", metadata_name=kind)
        with pytest.raises(CliError, match=re.escape(f"“Prod” (d-1) {said}")):
            segment_cmds._check_pipedrive(dest)
