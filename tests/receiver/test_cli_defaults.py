"""``pipedrive-gui receive`` is secure by default: it always requires a write key (made once, kept in
the config folder and printed), ``--no-write-key`` opts out with a warning, and web pages may send
only from the origins given with ``--allow-origin``.

The receiver runs as a real subprocess, as a user starts it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from pipedrive_gui.cli import main
from pipedrive_gui.core.project import Project, save_project
from tests.receiver.conftest import person_by_email
from tests.receiver.support import receive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stops the receiver with SIGTERM")

PROJECT = Project(name="cli defaults", mappings=[person_by_email()])
EVENT = {"type": "identify", "userId": "u1", "traits": {"email": "jane@example.com"}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, path)
    return path


async def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as s,
        s.post(url + "/v1/identify", data=json.dumps(body), headers=headers or {}) as resp,
    ):
        return resp.status, dict(resp.headers)


def key_in(out: str) -> str:
    found = re.search(r"^Write key: (\S+)", out, re.M)
    assert found, out
    return found.group(1)


async def test_receive_makes_prints_and_keeps_a_write_key(data_dir: Path, project: Path) -> None:
    config = data_dir / "config" / "receiver.json"
    async with receive(data_dir, project, "--no-dispatch") as first:
        key = key_in(first.banner)
        assert key.startswith("local-") and len(key) > 20
        assert f"made now and saved in {config}" in first.banner
        assert json.loads(config.read_text())["write_key"] == key
        assert f'"{key}"' in first.banner  # the snippets carry it
        assert (await post(first.url, EVENT))[0] == 401  # no key: refused
        assert (await post(first.url, {**EVENT, "writeKey": "guess"}))[0] == 401
        assert (await post(first.url, {**EVENT, "writeKey": key}))[0] == 200
        # No web page may send unless allowed.
        status, headers = await post(
            first.url, {**EVENT, "writeKey": key}, {"Origin": "https://evil.example"}
        )
        assert status == 403 and "Access-Control-Allow-Origin" not in headers
        assert "Web pages allowed to send (analytics.js): none" in first.banner
    assert "WARNING" not in first.err
    async with receive(data_dir, project, "--no-dispatch") as second:
        assert key_in(second.banner) == key and f"from {config}" in second.banner
        assert (await post(second.url, {**EVENT, "writeKey": key}))[0] == 200


async def test_no_write_key_warns_and_allowed_origins_may_send(data_dir: Path, project: Path) -> None:
    async with receive(
        data_dir,
        project,
        "--no-dispatch",
        "--no-write-key",
        "--allow-origin",
        "HTTP://LocalHost:3000/",
        "--allow-origin",
        "https://shop.example",
    ) as started:
        assert "Write key: none" in started.banner
        assert (
            "Web pages allowed to send (analytics.js): http://localhost:3000, https://shop.example"
            in started.banner
        )
        assert (await post(started.url, EVENT))[0] == 200
        status, headers = await post(started.url, EVENT, {"Origin": "http://localhost:3000"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert "Access-Control-Allow-Credentials" not in headers
        assert (await post(started.url, EVENT, {"Origin": "http://localhost:3001"}))[0] == 403
    assert "WARNING: --no-write-key" in started.err and "any program" in started.err
    assert not (data_dir / "config" / "receiver.json").exists()  # nothing made or saved


def test_bad_origins_and_conflicting_key_options_are_refused(
    data_dir: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run: Callable[..., int] = lambda *a: main(["--data-dir", str(data_dir), "receive", str(project), *a])  # noqa: E731
    assert run("--allow-origin", "localhost:3000") == 1
    assert "--allow-origin" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run("--write-key", "k", "--no-write-key")
    assert "not allowed with" in capsys.readouterr().err
