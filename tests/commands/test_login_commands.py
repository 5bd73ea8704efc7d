"""login / whoami / fields / logout end to end against a loopback fake Pipedrive.

In-process runs use an in-memory keyring; one test runs the real CLI in a subprocess against a real
Secret Service (gnome-keyring under dbus-run-session) and checks the item with ``secret-tool``.
Both scan every file under the data dir and every output for the (distinctive) token.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pipedrive_gui import cli
from pipedrive_gui.commands import pipedrive_cmds
from pipedrive_gui.credentials import CURRENT_ACCOUNT, SERVICE, CredentialStore, MemoryKeyring
from tests.cli_support import clean_env, run_cli, session_env, threaded_sandbox

TOKEN = "pdleak-7e3a91c4b2d8f6051a9e"
EXTERNAL_ID = "52d19da55d7099e586a31be618830bcd5c239d54"
REPO = Path(__file__).resolve().parents[2]


class FakePipedrive(BaseHTTPRequestHandler):
    """Just enough of Pipedrive for the connection commands; rejects tokens starting with "bad-"."""

    seen_urls: list[str] = []

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).seen_urls.append(self.path)
        token = self.headers.get("x-api-token") or ""
        if not token or token.startswith("bad-"):
            return self.send(401, {"success": False, "error": "unauthorized access", "errorCode": 401})
        path = urlsplit(self.path).path
        query = parse_qs(urlsplit(self.path).query)
        if path == "/api/v1/users/me":
            return self.send(
                200,
                {
                    "success": True,
                    "data": {
                        "id": 7,
                        "name": "Test User",
                        "email": "user@example.com",
                        "company_id": 900,
                        "company_name": "Acme Test",
                        "company_domain": "acme-test",
                    },
                },
            )
        if path == "/api/v2/personFields":
            if "cursor" not in query:
                return self.send(
                    200,
                    {
                        "success": True,
                        "data": [
                            {
                                "field_code": "name",
                                "field_name": "Name",
                                "field_type": "varchar",
                                "is_custom_field": False,
                            },
                        ],
                        "additional_data": {"next_cursor": "page2"},
                    },
                )
            return self.send(
                200,
                {
                    "success": True,
                    "data": [
                        {
                            "field_code": EXTERNAL_ID,
                            "field_name": "Segment user ID",
                            "field_type": "varchar",
                            "is_custom_field": True,
                        },
                        {
                            "field_code": "6a0126a15894687c771822a02954494f350d2f5e",
                            "field_name": "Plan",
                            "field_type": "enum",
                            "is_custom_field": True,
                            "options": [{"id": 101, "label": "Free"}, {"id": 102, "label": "Pro"}],
                        },
                    ],
                    "additional_data": {"next_cursor": None},
                },
            )
        if path.startswith("/api/v2/") and path.endswith("Fields"):
            return self.send(200, {"success": True, "data": [], "additional_data": {"next_cursor": None}})
        if path in ("/api/v1/leadFields", "/api/v1/noteFields"):
            return self.send(200, {"success": True, "data": [], "additional_data": None})
        if path == "/api/v1/activityTypes":
            return self.send(
                200,
                {
                    "success": True,
                    "data": [{"id": 1, "name": "Call", "key_string": "call", "active_flag": True}],
                },
            )
        return self.send(404, {"success": False, "error": "not found"})

    def send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-ratelimit-limit", "40")
        self.send_header("x-ratelimit-remaining", "39")
        self.send_header("x-ratelimit-reset", "2")
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` answering on a loopback port from a background thread while the block runs;
    yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[str]:
    FakePipedrive.seen_urls = []
    with serving(FakePipedrive) as url:
        yield url


@pytest.fixture
def keyring_backend(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """One in-memory keyring shared by the CLI runs of a test; no PIPEDRIVE_* from outside."""
    clean_env(monkeypatch)
    backend = MemoryKeyring()
    # A stand-in type so the store treats it as a real keyring rather than session-only memory.
    real = type("Keyring", (MemoryKeyring,), {"__module__": "keyring.backends.SecretService"})()
    real._items = backend._items
    monkeypatch.setattr(pipedrive_cmds, "make_store", lambda: CredentialStore(real))
    monkeypatch.setattr("pipedrive_gui.credentials._secret_service_provider", lambda: "GNOME Keyring")
    return backend


Command = Callable[..., tuple[int, str]]


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch) -> Command:
    """``command(argv, stdin="")``: one ``pipedrive-gui`` command in-process (``run_cli``); its exit code
    and all it printed, stdout then stderr."""

    def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
        result = run_cli(monkeypatch, argv, stdin)
        return result.code, result.out + result.err

    return run


def test_login_whoami_fields_logout(
    server: str, data_dir: Path, keyring_backend: MemoryKeyring, command: Command
) -> None:
    base = ["--data-dir", str(data_dir), "--base-url", server]
    outputs: list[str] = []

    code, out = command([*base, "login", "--token-stdin"], TOKEN + "\n")
    outputs.append(out)
    assert code == 0, out
    assert "Logged in as Test User <user@example.com> at Acme Test" in out
    assert "Secret Service (GNOME Keyring)" in out
    assert keyring_backend.get_password(SERVICE, "acme-test") == TOKEN
    assert keyring_backend.get_password(SERVICE, CURRENT_ACCOUNT) == "acme-test"

    code, out = command([*base, "whoami"])
    outputs.append(out)
    assert code == 0, out
    assert "Test User" in out and "Acme Test" in out and "stored in Secret Service (GNOME Keyring)" in out

    code, out = command([*base, "fields", "--entity", "person"])
    outputs.append(out)
    assert code == 0, out
    assert "Segment user ID" in out and EXTERNAL_ID in out and "Pro=102" in out
    assert "Single option" in out  # Plan: not searchable, with the reason

    code, out = command([*base, "fields", "--json"])
    outputs.append(out)
    data = json.loads(out)
    assert [f["key"] for f in data["fields"]["person"]] == [
        "id",
        "name",
        EXTERNAL_ID,
        "6a0126a15894687c771822a02954494f350d2f5e",
    ]
    assert data["activity_types"][0]["key_string"] == "call"
    assert list((data_dir / "cache" / "fields").glob("*.json"))  # cached

    code, out = command([*base, "logout"])
    outputs.append(out)
    assert code == 0 and "Removed the API token for acme-test" in out
    assert keyring_backend.get_password(SERVICE, "acme-test") is None

    code, out = command([*base, "whoami"])
    outputs.append(out)
    assert code == 2 and "Not logged in" in out

    assert_no_token(data_dir, outputs)
    assert all(TOKEN not in url and "api_token" not in url for url in FakePipedrive.seen_urls)


def test_bad_token_is_not_stored(
    server: str, data_dir: Path, keyring_backend: MemoryKeyring, command: Command
) -> None:
    bad = "bad-" + TOKEN
    code, out = command(
        ["--data-dir", str(data_dir), "--base-url", server, "login", "--token-stdin"],
        bad + "\n",
    )
    assert code == 4
    assert "Pipedrive rejected the API token" in out and "Settings > Personal preferences > API" in out
    assert bad not in out
    assert keyring_backend._items == {}


def test_env_token_whoami(
    server: str,
    data_dir: Path,
    keyring_backend: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    command: Command,
) -> None:
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", TOKEN)
    monkeypatch.setenv("PIPEDRIVE_BASE_URL", server)
    code, out = command(["--data-dir", str(data_dir), "whoami", "--json"])
    assert code == 0, out
    data = json.loads(out)
    assert data["token_source"] == "environment" and "PIPEDRIVE_API_TOKEN" in data["token_holder"]
    assert data["company"]["domain"] == "acme-test" and data["server"] == server
    assert TOKEN not in out


def test_login_without_keyring_says_what_to_install(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, command: Command
) -> None:
    from keyring.backends import fail

    monkeypatch.setattr(pipedrive_cmds, "make_store", lambda: CredentialStore(fail.Keyring()))  # type: ignore[no-untyped-call]
    code, out = command(
        ["--data-dir", str(data_dir), "login", "--domain", "acme", "--token-stdin"],
        TOKEN + "\n",
    )
    assert code == 3
    assert "gnome-keyring" in out and "PIPEDRIVE_API_TOKEN" in out
    assert not list(data_dir.rglob("*.*"))  # nothing written instead


def test_login_needs_domain_without_terminal(
    data_dir: Path, keyring_backend: MemoryKeyring, command: Command
) -> None:
    code, out = command(["--data-dir", str(data_dir), "login", "--token-stdin"], TOKEN)
    assert code == 2 and "--domain" in out


def assert_no_token(data_dir: Path, outputs: list[str]) -> None:
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"token leaked into {path}"
    for text in outputs:
        assert TOKEN not in text


# -- real Secret Service ----------------------------------------------------------------------------

SESSION_SCRIPT = r"""
set -u
out="$1"; shift
echo -n pw | gnome-keyring-daemon --unlock --components=secrets > "$out/daemon.txt" 2>&1
app() { name="$1"; shift; "$PY" -m pipedrive_gui --data-dir "$DATA" --base-url "$BASE" "$@" \
        > "$out/$name.out" 2> "$out/$name.err"; echo $? > "$out/$name.rc"; }
printf '%s\n' "$TOKEN_UNDER_TEST" | app login login --token-stdin --domain acme-test
secret-tool search --all service pipedrive-gui > "$out/search1.txt" 2>&1
app whoami whoami
app fields fields --entity person
app logout logout
secret-tool search --all service pipedrive-gui > "$out/search2.txt" 2>&1
echo done > "$out/finished"
"""


@pytest.mark.keyring
def test_real_secret_service(server: str, tmp_path: Path) -> None:
    missing = [
        tool
        for tool in ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")
        if shutil.which(tool) is None
    ]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (packages dbus, gnome-keyring, libsecret-tools)")
    out = tmp_path / "out"
    data = tmp_path / "appdata"
    for d in (out, data):
        d.mkdir()
    script = tmp_path / "session.sh"
    script.write_text(SESSION_SCRIPT)
    env = session_env(
        tmp_path / "home", tmp_path / "run", DATA=str(data), BASE=server, TOKEN_UNDER_TEST=TOKEN
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "bash", str(script), str(out)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (out / "finished").exists(), proc.stderr[-2000:]

    def result(name: str) -> tuple[int, str]:
        return int((out / f"{name}.rc").read_text()), (out / f"{name}.out").read_text() + (
            out / f"{name}.err"
        ).read_text()

    code, login = result("login")
    assert code == 0, login
    assert "Secret Service (GNOME Keyring)" in login
    search1 = (out / "search1.txt").read_text()
    assert "attribute.service = pipedrive-gui" in search1 and "acme-test" in search1
    code, whoami = result("whoami")
    assert code == 0 and "stored in Secret Service (GNOME Keyring)" in whoami, whoami
    code, fields = result("fields")
    assert code == 0 and "Segment user ID" in fields, fields
    code, logout = result("logout")
    assert code == 0 and "Removed the API token for acme-test" in logout, logout
    search2 = (out / "search2.txt").read_text()
    assert "acme-test" not in search2 and TOKEN not in search2
    assert_no_token(data, [login, whoami, fields, logout])
    assert all(TOKEN not in url for url in FakePipedrive.seen_urls)


def test_env_token_without_domain_asks_for_it(
    data_dir: Path, keyring_backend: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, command: Command
) -> None:
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", TOKEN)
    code, out = command(["--data-dir", str(data_dir), "whoami"])
    assert code == 2 and "PIPEDRIVE_DOMAIN" in out and TOKEN not in out


def test_against_the_sandbox(data_dir: Path, keyring_backend: MemoryKeyring, command: Command) -> None:
    """The same commands against the offline sandbox (``pipedrive_gui/sandbox``)."""
    with threaded_sandbox() as sandbox:
        base = ["--data-dir", str(data_dir), "--base-url", sandbox.base_url]
        code, out = command([*base, "login", "--token-stdin"], TOKEN + "\n")
        assert code == 0, out
        code, who = command([*base, "whoami"])
        assert code == 0, who
        code, fields = command([*base, "fields", "--json", "--entity", "person"])
        assert code == 0, fields
        assert EXTERNAL_ID in {f["key"] for f in json.loads(fields)["fields"]["person"]}
        code, bye = command([*base, "logout"])
        assert code == 0, bye
        assert_no_token(data_dir, [out, who, fields, bye])


def test_interactive_login_asks_domain_and_hides_token(
    server: str,
    data_dir: Path,
    keyring_backend: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def answer(reply: str) -> Callable[[str], str]:
        def prompt_for(prompt: str) -> str:
            prompts.append(prompt)
            return reply

        return prompt_for

    monkeypatch.setattr(sys, "stdin", Terminal(""))
    monkeypatch.setattr("builtins.input", answer("acme-test.pipedrive.com"))
    monkeypatch.setattr("getpass.getpass", answer(TOKEN))
    # No --base-url: the domain decides the server; send it to the loopback server instead.
    monkeypatch.setattr("pipedrive_gui.pipedrive.client.domain_base_url", lambda domain: server)
    code = cli.main(["--data-dir", str(data_dir), "login"])
    out = capsys.readouterr()
    assert code == 0, out
    assert "company domain" in prompts[0] and "Personal preferences > API" in prompts[1]
    assert keyring_backend.get_password(SERVICE, "acme-test") == TOKEN
    assert TOKEN not in out.out + out.err


def test_login_to_a_non_pipedrive_server_says_check_the_domain(
    data_dir: Path, keyring_backend: MemoryKeyring, command: Command
) -> None:
    with serving(NotPipedrive) as url:
        code, out = command(
            ["--data-dir", str(data_dir), "--base-url", url, "login", "--domain", "acme", "--token-stdin"],
            TOKEN + "\n",
        )
    assert code == 4 and "Check the company domain" in out and TOKEN not in out
    assert keyring_backend._items == {}


class NotPipedrive(FakePipedrive):
    def do_GET(self) -> None:  # noqa: N802
        self.send(404, {"error": "nothing here"})


@pytest.mark.keyring
def test_locked_secret_service_is_reported(tmp_path: Path) -> None:
    """A D-Bus session whose keyring is never unlocked (no prompt can be shown): login refuses
    clearly and writes nothing."""
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (packages dbus, gnome-keyring)")
    data = tmp_path / "appdata"
    data.mkdir()
    env = session_env(tmp_path / "home", tmp_path / "run")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):  # no display: no unlock prompt can be shown
        env.pop(name, None)
    proc = subprocess.run(
        [
            "dbus-run-session",
            "--",
            sys.executable,
            "-m",
            "pipedrive_gui",
            "--data-dir",
            str(data),
            "login",
            "--domain",
            "acme",
            "--token-stdin",
        ],
        input=TOKEN + "\n",
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    app_lines = [line for line in proc.stderr.splitlines() if line.startswith("pipedrive-gui:")]
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert app_lines and "is locked or not yet set up" in app_lines[0]
    assert "gnome-keyring-daemon --unlock" in app_lines[0] and "PIPEDRIVE_API_TOKEN" in app_lines[0]
    assert TOKEN not in proc.stdout + proc.stderr
    assert not [p for p in data.rglob("*") if p.is_file()]
