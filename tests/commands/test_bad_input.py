"""Bad input everywhere: each mistake gives one clear line on stderr naming what to do, a non-zero
exit code, no traceback, and never touches the user's files.

Files are checked without any network; Pipedrive's refusals come from the real sandbox (over
loopback, in a background thread) with injected faults; the keyring is replaced by keyring's own
"fail" backend, as on a machine without D-Bus.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyring.backends import fail

from pipedrive_gui.commands import pipedrive_cmds
from pipedrive_gui.credentials import CredentialStore
from pipedrive_gui.pipedrive.client import PipedriveClient
from pipedrive_gui.resources import resource_path
from tests.cli_support import CliRun, ThreadedSandbox, clean_env, run_cli
from tests.cli_support import sandbox_fixture as sandbox_fixture  # registers the pytest fixture "sandbox"
from tests.timing import warp_pacers

DEMO = resource_path("demo", "demo.pipedrive-map.json")
NEW_PERSON = {"type": "identify", "userId": "user-bad-input-1", "traits": {"name": "Robin Test"}}


def one_clear_line(r: CliRun, *needles: str, code: int | None = None) -> str:
    """The run failed with exactly one line on stderr that contains every needle, and no traceback."""
    assert r.code != 0, (r.out, r.err)
    if code is not None:
        assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err + r.out
    assert len(r.err_lines) == 1, r.err
    line = r.err_lines[0]
    assert line.startswith("pipedrive-gui: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    demo = tmp_path / "demo.pipedrive-map.json"
    demo.write_bytes(DEMO.read_bytes())
    return tmp_path


def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *argv: str, stdin: str = "") -> CliRun:
    return run_cli(monkeypatch, ["--data-dir", str(tmp_path / "appdata"), *argv], stdin)


def project_with(tmp_path: Path, change: Any, name: str = "changed.pipedrive-map.json") -> Path:
    data = json.loads(DEMO.read_text("utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    return path


# -- event files ------------------------------------------------------------------------------------


def test_bad_event_files(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (files / "broken.json").write_text('{"type": "identify",\n  "userId": }', "utf-8")
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "broken.json"),
        "broken.json is not valid JSON",
        "line 2, column",
    )
    (files / "list.json").write_text("[1, 2]", "utf-8")
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "list.json"), "must be a JSON object"
    )
    (files / "folder").mkdir()
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "folder"),
        "folder is a folder, not an event file",
        code=2,
    )
    (files / "photo.json").write_bytes(b"\xff\xd8\xff\xe0 not json")
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "photo.json"), "not a text file"
    )
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "nope.json"),
        "nope.json is neither an event file nor a bundled sample",
        "identify-person",
    )
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", ""), "No event file given", code=2
    )
    deep = '{"type": "identify", "traits": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}"
    (files / "deep.json").write_text(deep, "utf-8")
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "deep.json"), "nested too deeply"
    )
    # Stdin: same rules.
    one_clear_line(
        cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "-", stdin="{nope"),
        "stdin is not valid JSON",
    )


def test_deep_but_parseable_event_is_a_payload_problem_not_a_crash(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = {"type": "identify", "userId": "u1", "traits": {}}
    inner: dict[str, Any] = event["traits"]  # type: ignore[assignment]
    for _ in range(900):
        inner["name"] = {}
        inner = inner["name"]
    (files / "deep.json").write_text(json.dumps(event), "utf-8")
    r = cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "deep.json", "--json")
    assert r.code == 0 and "Traceback" not in r.err
    person = json.loads(r.out)[0]
    # Where the interpreter's stack runs out differs by Python version (3.12+ goes deeper): either
    # the depth itself or the object where a name belongs is reported, as a payload problem.
    assert person["ok"] is False
    assert "nested too deeply" in person["error"] or "Person Name must be a string" in person["error"]


def test_huge_event_is_handled(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    event = {"type": "identify", "userId": "u1", "traits": {"name": "Big", "blob": "x" * 20_000_000}}
    (files / "huge.json").write_text(json.dumps(event), "utf-8")
    r = cli(monkeypatch, files, "preview", "demo.pipedrive-map.json", "huge.json", "--json")
    assert r.code == 0 and json.loads(r.out)[0]["payload"]["name"] == "Big"


# -- project files ----------------------------------------------------------------------------------


def test_bad_project_files_are_reported_and_left_unchanged(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = files / "broken.pipedrive-map.json"
    broken.write_text('{"format": "pipedrive-map", "version": 1, "mappings": [', "utf-8")
    before = broken.read_bytes()
    one_clear_line(
        cli(monkeypatch, files, "preview", str(broken), "identify-person"), "not valid JSON", "left unchanged"
    )
    one_clear_line(
        cli(monkeypatch, files, "send", str(broken), "identify-person", "--plan"), "not valid JSON"
    )
    one_clear_line(cli(monkeypatch, files, "export", str(broken)), "not valid JSON")
    assert broken.read_bytes() == before

    one_clear_line(
        cli(monkeypatch, files, "preview", "missing.pipedrive-map.json", "identify-person"),
        "No project file at missing.pipedrive-map.json",
    )
    (files / "adir").mkdir()
    one_clear_line(cli(monkeypatch, files, "preview", "adir", "identify-person"), "adir is a folder")
    cases = {
        "mappings": (lambda d: d.update(mappings="lots"), "/mappings must be a list"),
        "settings": (
            lambda d: d["mappings"][0].update(settings=[1, 2]),
            "/mappings/0/settings must be an object",
        ),
        "action": (
            lambda d: d["mappings"][0].update(action="createUpdateBanana"),
            "not an Actions Pipedrive action",
        ),
        "version": (lambda d: d.update(version=99), "newer Pipedrive Mapper"),
    }
    for name, (change, needle) in cases.items():
        path = project_with(files, change, f"{name}.pipedrive-map.json")
        before = path.read_bytes()
        one_clear_line(cli(monkeypatch, files, "preview", str(path), "identify-person"), needle)
        assert path.read_bytes() == before


def test_bad_trigger_and_unknown_directive_are_explained(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_fql = project_with(
        files,
        lambda d: d["mappings"][0].update(trigger='type = "identify" and (userId'),
        "fql.pipedrive-map.json",
    )
    r = cli(monkeypatch, files, "preview", str(bad_fql), "identify-person")
    assert r.code == 0 and "the trigger is not valid FQL" in r.out and 'add ")"' in r.out
    # send: a mapping that can never fire is bad input for a script, not "nothing to do".
    r = cli(monkeypatch, files, "send", str(bad_fql), "identify-person", "--plan")
    assert r.code == 2 and "the trigger is not valid FQL" in r.out and "Traceback" not in r.err

    directive = project_with(
        files,
        lambda d: d["mappings"][0]["settings"].update(name={"@bogus": 1}),
        "directive.pipedrive-map.json",
    )
    r = cli(monkeypatch, files, "preview", str(directive), "identify-person")
    assert r.code == 0 and "/name has an invalid directive: @bogus." in r.out
    r = cli(monkeypatch, files, "send", str(directive), "identify-person", "--plan")
    assert (
        r.code == 1 and "Segment would reject this event's payload: /name has an invalid directive" in r.out
    )


def test_unknown_mapping_name(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_clear_line(
        cli(
            monkeypatch,
            files,
            "send",
            "demo.pipedrive-map.json",
            "identify-person",
            "--plan",
            "--mapping",
            "Nope",
        ),
        "No mapping called Nope",
        "Mappings:",
        code=2,
    )


def test_argparse_mistakes_exit_2_without_traceback(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(monkeypatch, files, "export", "demo.pipedrive-map.json", "--format", "yaml")
    assert exc.value.code == 2


# -- import / export never overwrite what the user has ----------------------------------------------


def test_export_never_replaces_a_project(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = files / "demo.pipedrive-map.json"
    before = project.read_bytes()
    one_clear_line(
        cli(monkeypatch, files, "export", str(project), "-o", str(project)),
        "is a Pipedrive Mapper project",
        "unchanged",
        code=2,
    )
    other = files / "other.json"
    other.write_bytes(before)  # another project under a plain name
    one_clear_line(
        cli(monkeypatch, files, "export", str(project), "-o", str(other)), "Pipedrive Mapper project"
    )
    assert project.read_bytes() == before and other.read_bytes() == before
    (files / "out").mkdir()
    one_clear_line(cli(monkeypatch, files, "export", str(project), "-o", "out"), "out is a folder", code=2)
    one_clear_line(
        cli(monkeypatch, files, "export", str(project), "-o", "nodir/x.json"), "Could not write nodir/x.json"
    )


def test_import_mistakes(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    segment = files / "segment.json"
    assert cli(monkeypatch, files, "export", "demo.pipedrive-map.json", "-o", str(segment)).code == 0
    existing = files / "mine.pipedrive-map.json"
    existing.write_text("my work", "utf-8")
    one_clear_line(
        cli(monkeypatch, files, "import", str(segment), "-o", str(existing)),
        "already exists",
        "--force",
        code=2,
    )
    assert existing.read_text("utf-8") == "my work"
    one_clear_line(
        cli(monkeypatch, files, "import", "demo.pipedrive-map.json", "-o", "x.pipedrive-map.json"),
        "already a Pipedrive Mapper project",
        code=2,
    )
    (files / "folder").mkdir()
    one_clear_line(
        cli(monkeypatch, files, "import", str(segment), "-o", "folder"), "folder is a folder", code=2
    )
    one_clear_line(
        cli(monkeypatch, files, "import", str(segment), "-o", "nodir/p.pipedrive-map.json"),
        "Could not save nodir/p.pipedrive-map.json",
    )
    (files / "weird.json").write_text(
        json.dumps([{"actionId": "zzz", "trigger": 'type = "track"', "settings": {}}]), "utf-8"
    )
    one_clear_line(cli(monkeypatch, files, "import", "weird.json", "-o", "w.pipedrive-map.json"), "zzz")
    one_clear_line(
        cli(monkeypatch, files, "import", "-", "-o", "s.pipedrive-map.json", stdin="{oops"),
        "stdin is not valid JSON",
    )
    assert not (files / "w.pipedrive-map.json").exists() and not (files / "s.pipedrive-map.json").exists()


def test_eval_answers_garbage_lines_without_stopping(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        "{oops",
        "[]",
        '{"kind": "teleport"}',
        "[" * 50_000,
        '{"kind": "fql", "fql": "type = \\"track\\"", "event": {}}',
    ]
    r = cli(monkeypatch, files, "eval", stdin="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 0 and [a["ok"] for a in answers] == [False, False, False, False, True]
    assert answers[-1] == {"ok": True, "match": False}


# -- Pipedrive and the network ----------------------------------------------------------------------


@pytest.fixture
def online(files: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    sandbox.reset()
    # Same retry decisions, shorter waits between tries (the suite stays fast).
    quick = lambda attempt, **kw: 0.02  # noqa: E731
    monkeypatch.setattr("pipedrive_gui.pipedrive.client.backoff_delay", quick)
    monkeypatch.setattr("pipedrive_gui.pipedrive.engine.backoff_delay", quick)
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", "a-test-token")
    (files / "new-person.json").write_text(json.dumps(NEW_PERSON), "utf-8")
    return files


def send(
    monkeypatch: pytest.MonkeyPatch,
    files: Path,
    sandbox: ThreadedSandbox,
    *extra: str,
    event: str = "new-person.json",
) -> CliRun:
    return cli(
        monkeypatch, files, "--base-url", sandbox.base_url, "send", "demo.pipedrive-map.json", event, *extra
    )


def people_named(sandbox: ThreadedSandbox, name: str) -> int:
    return int(sandbox.call(lambda sb: len(sb.state.find("person", name=name))))


@pytest.mark.parametrize(
    "spec, needle",
    [
        ("402", "is not open (trial ended or payment missing)"),
        ("json403", "Ask a Pipedrive admin"),
        ("404", "Pipedrive has no such record"),
        ("400", "Pipedrive refused the data"),
        ("500", "Try again in a few minutes"),
        ("429:retry_after=120", "Pipedrive asks to wait 120 s"),
        ("429:daily=true", "used up today's API budget"),
    ],
)
def test_pipedrive_refusing_the_connection_is_one_line(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch, spec: str, needle: str
) -> None:
    sandbox.faults(spec)  # every request, users/me (the connection check) first
    one_clear_line(send(monkeypatch, online, sandbox), needle, code=4)
    assert people_named(sandbox, "Robin Test") == 0


@pytest.mark.parametrize(
    "spec, needle",
    [
        ("402:method=POST", "is not open"),
        ("json403:method=POST", "Ask a Pipedrive admin"),
        ("400:method=POST", "Fix the mapped value"),
    ],
)
def test_a_refused_write_fails_that_mapping_in_plain_words(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch, spec: str, needle: str
) -> None:
    sandbox.faults(spec)
    r = send(monkeypatch, online, sandbox)
    assert r.code == 1 and "Traceback" not in r.err
    assert "[!] People from Identify" in r.out and "Failed: " in r.out and needle in r.out
    assert people_named(sandbox, "Robin Test") == 0


def test_bad_token(online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", "bad-token")
    one_clear_line(
        send(monkeypatch, online, sandbox), "rejected the API token", "pipedrive-gui login", code=4
    )


def test_transient_failures_neither_duplicate_nor_lose_the_write(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 429 and a 503 on the create: answered before anything was written, so sending again is right.
    # (After the 503 the engine re-reads the newest persons to see that nothing was written: over
    # 1 s here rather than the default 8 s.)
    monkeypatch.setenv("PIPEDRIVE_GUI_CONFIRM_WINDOW", "1")
    # The 429 says the window is spent for 2 s: the client's pacer holds the next request that long,
    # in warped time here.
    paced = warp_pacers(monkeypatch)
    sandbox.faults("429:count=1,retry_after=0,method=POST", "503:count=1,method=POST")
    r = send(monkeypatch, online, sandbox, "--json")
    assert paced.skipped > 1.5  # held (about 2 s) before sending again
    assert r.code == 0, r.out + r.err
    (result,) = json.loads(r.out)["results"]
    assert result["outcome"] == "create" and people_named(sandbox, "Robin Test") == 1
    assert [c["status"] for c in result["calls"] if c["method"] == "POST"][-1] == 200
    # A 500 on the update: retried (an update is safe to repeat) and carried out once.
    sandbox.faults("500:count=2,method=PATCH")
    event = dict(NEW_PERSON, traits={"name": "Robin Tested"})
    (online / "renamed.json").write_text(json.dumps(event), "utf-8")
    r = send(monkeypatch, online, sandbox, "--json", event="renamed.json")
    (result,) = json.loads(r.out)["results"]
    assert r.code == 0 and result["outcome"] == "update"
    assert [c["status"] for c in result["calls"] if c["method"] == "PATCH"] == [500, 500, 200]
    assert people_named(sandbox, "Robin Tested") == 1 and people_named(sandbox, "Robin Test") == 0


def test_a_create_that_times_out_is_checked_not_repeated_blindly(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = PipedriveClient.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "timeout", httpx.Timeout(0.4))
    # The create times out and lands 0.4 s later; the engine's first re-read comes after 1 s (the
    # confirm window set here; 2 s with the default 8 s window).
    monkeypatch.setenv("PIPEDRIVE_GUI_CONFIRM_WINDOW", "1")
    sandbox.faults("slow:delay_ms=800,count=1,method=POST")
    r = send(monkeypatch, online, sandbox, "--json")
    assert r.code == 0, r.out + r.err
    (result,) = json.loads(r.out)["results"]
    purposes = [c["purpose"] for c in result["calls"]]
    assert any("did the create happen?" in p for p in purposes), purposes
    assert people_named(sandbox, "Robin Test") == 1


def test_sandbox_not_running(online: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = cli(
        monkeypatch,
        online,
        "--base-url",
        "http://127.0.0.1:9",
        "send",
        "demo.pipedrive-map.json",
        "new-person.json",
    )
    one_clear_line(r, "Could not reach Pipedrive at 127.0.0.1:9", "Is the sandbox running?", code=4)
    r = cli(monkeypatch, online, "--base-url", "http://10.0.0.1", "whoami")
    one_clear_line(r, "Refusing to send the API token unencrypted", code=2)


# -- the keyring --------------------------------------------------------------------------------------


@pytest.fixture
def no_keyring(online: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PIPEDRIVE_API_TOKEN")
    monkeypatch.setattr(pipedrive_cmds, "make_store", lambda: CredentialStore(fail.Keyring()))  # type: ignore[no-untyped-call]
    return online


def test_no_keyring_says_what_to_install(no_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for argv in (["whoami"], ["fields"], ["send", "demo.pipedrive-map.json", "new-person.json"]):
        one_clear_line(cli(monkeypatch, no_keyring, *argv), "gnome-keyring", "PIPEDRIVE_API_TOKEN", code=3)
    one_clear_line(
        cli(monkeypatch, no_keyring, "login", "--domain", "acme", "--token-stdin", stdin="t\n"),
        "gnome-keyring",
        code=3,
    )
    assert not list((no_keyring / "appdata").rglob("*.*"))  # no token written anywhere instead


def test_no_keyring_is_fine_for_the_sandbox(
    no_keyring: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = send(monkeypatch, no_keyring, sandbox, "--dry-run")
    assert r.code == 0 and "Would create person 'Robin Test'" in r.out
    assert r.err_lines == [
        f"Not logged in: using the offline sandbox's token for {sandbox.base_url} "
        "(a server on this computer)."
    ]


def test_no_keyring_without_dbus_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPEDRIVE_", "DBUS_"))}
    env.update(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(tmp_path),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pipedrive_gui", "--data-dir", str(tmp_path / "d"), "whoami"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "PIPEDRIVE_API_TOKEN" in proc.stderr


def test_sandbox_port_already_in_use(
    files: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = sandbox.base_url.rsplit(":", 1)[1]
    one_clear_line(
        cli(monkeypatch, files, "sandbox", "--port", port, "--quiet"),
        f"Port {port} on 127.0.0.1 is already in use",
        "--port 0",
        code=1,
    )
    one_clear_line(
        cli(monkeypatch, files, "sandbox", "--fault", "teleport"), "unknown fault kind 'teleport'", code=2
    )


def test_keyring_advice_fits_the_command_line(no_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = one_clear_line(cli(monkeypatch, no_keyring, "whoami"), code=3)
    assert "this session only" not in line  # a desktop-app choice; the CLI has the variables instead
    assert line.endswith("set PIPEDRIVE_API_TOKEN and PIPEDRIVE_DOMAIN.")


def test_data_dir_that_cannot_be_a_folder(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    (online / "plainfile").write_text("x", "utf-8")
    for argv in (["fields"], ["send", "demo.pipedrive-map.json", "new-person.json"]):
        r = run_cli(
            monkeypatch, ["--data-dir", str(online / "plainfile"), "--base-url", sandbox.base_url, *argv]
        )
        one_clear_line(r, "Cannot create the app's folder", "--data-dir", code=2)
    assert (online / "plainfile").read_text("utf-8") == "x"


def test_lost_answers_to_creates(
    online: Path, sandbox: ThreadedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create happened but its answer was lost: a person (findable by its match value) is found
    again rather than created twice; an activity (no match value to look for) is not re-sent blindly."""
    sandbox.faults("drop:after=true,method=POST,path=/api/v2/persons,count=1")
    r = send(monkeypatch, online, sandbox, "--json")
    (result,) = json.loads(r.out)["results"]
    assert r.code == 0 and result["outcome"] == "create", r.out
    assert people_named(sandbox, "Robin Test") == 1
    assert [c["method"] for c in result["calls"]] == ["GET", "POST", "GET"]  # looked, wrote, checked

    before = int(sandbox.call(lambda sb: len(sb.state.records("activity"))))
    sandbox.faults("drop:after=true,method=POST,path=/api/v2/activities,count=1")
    r = send(monkeypatch, online, sandbox, event="track-activity-upserted")
    assert r.code == 1 and "Pipedrive did not confirm whether the activity was created" in r.out
    assert "check Pipedrive before sending this event again" in r.out
    assert int(sandbox.call(lambda sb: len(sb.state.records("activity")))) == before + 1  # exactly once
