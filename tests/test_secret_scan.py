"""The API token never leaves the keyring (or the environment variable it came from).

One whole scripted session, every command a separate process as a user or a script would run it:
login against the sandbox (real GNOME Keyring in a private D-Bus session when the machine has it,
else the token from PIPEDRIVE_API_TOKEN), whoami, fields, preview, send (plan, dry run, for real,
JSON), failures with --debug tracebacks, export (segment, terraform, checklist), import, logout.
Then a distinctive token is searched for in every file the app wrote, every export, all output,
the sandbox's console log (run with --debug) and the sandbox's record of requests.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipedrive_gui.resources import resource_path
from tests.cli_support import session_env

REPO = Path(__file__).resolve().parent.parent

SESSION = r"""
set -u
out="$OUT"
if [ "$USE_KEYRING" = 1 ]; then
  echo -n pw | gnome-keyring-daemon --unlock --components=secrets > "$out/daemon.txt" 2>&1
fi
n=0
app() { n=$((n+1)); "$PY" -m pipedrive_gui --data-dir "$DATA" "$@" > "$out/$n.out" 2> "$out/$n.err";
        echo "$? $*" > "$out/$n.rc"; }
fault() { "$PY" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1] + "/__sandbox/faults", data=sys.argv[2].encode(), headers={"content-type": "application/json"}))' "$BASE" "$1"; }

if [ "$USE_KEYRING" = 1 ]; then
  printf '%s\n' "$TOKEN_UNDER_TEST" | app --base-url "$BASE" login --token-stdin --domain sandbox
else
  export PIPEDRIVE_API_TOKEN="$TOKEN_UNDER_TEST"
fi
export PIPEDRIVE_BASE_URL="$BASE"
app whoami
app whoami --json
app fields --entity person
app fields --json --refresh
app preview "$DEMO" identify-person
app preview "$DEMO" identify-person --json
app send "$DEMO" identify-person --plan
app send "$DEMO" identify-person --dry-run
app send "$DEMO" identify-person
app send "$DEMO" "Deal opened (Deal Upserted)" --json
app --debug send "$DEMO" track-note-upserted
# Failures, with and without --debug: Pipedrive answering 501 (not retried, keeps this fast) / 402.
fault '{"rules": [{"kind": "server_error", "status": 501}]}'
app --debug whoami
app --debug send "$DEMO" identify-person
app send "$DEMO" identify-person
fault '{"rules": [{"kind": "402"}]}'
app --debug fields --refresh
fault '{"rules": []}'
app export "$DEMO" --format segment -o "$EXPORTS/segment.json"
app export "$DEMO" --format terraform -o "$EXPORTS/main.tf"
app export "$DEMO" --format checklist -o "$EXPORTS/checklist.txt"
app export "$DEMO"
app import "$EXPORTS/segment.json" -o "$EXPORTS/imported.pipedrive-map.json"
app --debug send "$EXPORTS/imported.pipedrive-map.json" identify-person --dry-run
if [ "$USE_KEYRING" = 1 ]; then
  app logout
fi
echo done > "$out/finished"
"""


def _has_real_keyring() -> bool:
    return all(shutil.which(tool) for tool in ("dbus-run-session", "gnome-keyring-daemon"))


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``pipedrive-gui --debug sandbox --port 0`` in its own process, its console captured."""
    log = (tmp_path / "sandbox.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipedrive_gui",
            "--debug",
            "--data-dir",
            str(tmp_path / "sandbox-data"),
            "sandbox",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "Pipedrive sandbox running at " in first, first
        base = first.split("running at ", 1)[1].split()[0]
        yield base, proc
    finally:
        proc.terminate()
        try:
            rest, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
        log.close()
        (tmp_path / "sandbox.out").write_text(first + (rest or ""))


def test_token_appears_nowhere(tmp_path: Path, sandbox_process: tuple[str, subprocess.Popen[str]]) -> None:
    base, _proc = sandbox_process
    token = "tok3nUnderTest" + secrets.token_hex(12)
    home, out, data, exports = (tmp_path / n for n in ("home", "out", "data", "exports"))
    for d in (out, data, exports):
        d.mkdir()
    use_keyring = _has_real_keyring()
    script = tmp_path / "session.sh"
    script.write_text(SESSION)
    env = session_env(
        home,
        tmp_path / "run",
        DATA=str(data),
        BASE=base,
        TOKEN_UNDER_TEST=token,
        OUT=str(out),
        EXPORTS=str(exports),
        DEMO=str(resource_path("demo", "demo.pipedrive-map.json")),
        USE_KEYRING="1" if use_keyring else "0",
    )
    command = ["bash", str(script)]
    if use_keyring:
        command = ["dbus-run-session", "--", *command]
    proc = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert (out / "finished").exists(), proc.stdout[-2000:] + proc.stderr[-2000:]

    # The session did what it should (so the scan below looked at real work).
    runs = {}
    for rc in sorted(out.glob("*.rc"), key=lambda p: int(p.stem)):
        code, _, argv = rc.read_text().strip().partition(" ")
        runs[int(rc.stem)] = (
            int(code),
            argv,
            (out / f"{rc.stem}.out").read_text() + (out / f"{rc.stem}.err").read_text(),
        )
    ok = [argv for code, argv, _ in runs.values() if code == 0]
    assert any(a.startswith("whoami") for a in ok) and any("send" in a and "--plan" not in a for a in ok)
    assert any(a.startswith("export") for a in ok) and any(a.startswith("import") for a in ok)
    failed = [argv for code, argv, _ in runs.values() if code != 0]
    assert any("--debug" in a for a in failed) and len(failed) >= 4, failed  # the error paths ran too
    if use_keyring:
        assert runs[1][0] == 0 and "Secret Service" in runs[1][2], runs[1]

    requests = urllib.request.urlopen(base + "/__sandbox/requests").read().decode()
    assert len(json.loads(requests)) > 20  # the sandbox saw the session's calls

    leaks = [
        str(p)
        for root in (data, exports, out, home)
        for p in root.rglob("*")
        if p.is_file() and token.encode() in p.read_bytes()
    ]
    assert leaks == [], f"token found in {leaks}"
    assert token not in proc.stdout + proc.stderr
    assert token not in requests
    _proc.terminate()
    _proc.wait(10)
    for name in ("sandbox.log",):
        text = (tmp_path / name).read_text()
        assert "GET /api/v1/users/me" in text or "users/me" in text, text[:500]
        assert token not in text
