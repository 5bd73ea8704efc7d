"""The receiver panel end to end: a real receiver on a loopback port, the offline sandbox as
Pipedrive, events sent over HTTP (httpx and the real segment-analytics-python client).

Qt and asyncio share one loop (qasync), as in the app: each test runs a coroutine on it, and
waits by polling state with ``asyncio.sleep`` while Qt keeps processing events.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")

from PySide6.QtGui import QGuiApplication  # noqa: E402

from pipedrive_gui.core.modes import SEND as LIVE  # noqa: E402
from pipedrive_gui.core.project import Mapping, Project, load_project  # noqa: E402
from pipedrive_gui.gui import dialogs  # noqa: E402
from pipedrive_gui.gui.receiver_model import EventFilter  # noqa: E402
from pipedrive_gui.gui.receiver_panel import ReceiverPanel  # noqa: E402
from pipedrive_gui.gui.tasks import TaskRunner  # noqa: E402
from pipedrive_gui.paths import AppPaths  # noqa: E402
from pipedrive_gui.receiver import ReceiverSettings  # noqa: E402
from pipedrive_gui.receiver.snippets import all_snippets  # noqa: E402
from pipedrive_gui.resources import resource_path  # noqa: E402
from tests.gui.conftest import release_qt_objects  # noqa: E402

WRITE_KEY = "panel-test-key"


@pytest.fixture
def aloop(qapp: Any) -> Iterator[Any]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.close()
        release_qt_objects(loop)
        asyncio.set_event_loop(None)


def run(loop: Any, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(probe: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Wait (letting Qt and asyncio run) until ``probe()`` is truthy."""
    end = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Recorder:
    """Stands in for dialogs.* (never a modal box under test) and for the app's callbacks."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []
        self.answer = dialogs.YES
        self.save_path: str | None = None
        self.samples: list[dict[str, Any]] = []
        self.task_errors: list[BaseException] = []

    def ask(
        self, parent: Any, title: str, text: str, answers: Any, callback: Callable[[str], None], **_kw: Any
    ) -> None:
        self.asked.append(title)
        callback(self.answer)

    def show_error(self, parent: Any, title: str, text: str, details: str | None = None) -> None:
        self.errors.append((title, text))

    def save_file(
        self,
        parent: Any,
        caption: str,
        filters: str,
        callback: Callable[[str | None], None],
        directory: str = "",
        default_suffix: str | None = None,
    ) -> None:
        callback(self.save_path)


@pytest.fixture
def rec(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    r = Recorder()
    monkeypatch.setattr(dialogs, "ask", r.ask)
    monkeypatch.setattr(dialogs, "show_error", r.show_error)
    monkeypatch.setattr(dialogs, "save_file", r.save_file)
    return r


def demo_project() -> Project:
    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def make_panel(
    data_dir: Path, rec: Recorder, project: Project, engine_factory: Callable[[Any], Any] = lambda p: None
) -> tuple[ReceiverPanel, TaskRunner]:
    runner = TaskRunner(on_error=lambda name, exc: rec.task_errors.append(exc))
    panel = ReceiverPanel(
        runner,
        AppPaths.resolve(data_dir),
        lambda: project,
        engine_factory,
        rec.samples.append,
        settings=ReceiverSettings(port=0, write_key=WRITE_KEY),
    )
    panel.resize(1200, 900)
    panel.show()
    return panel, runner


def outcomes(panel: ReceiverPanel) -> dict[str, str]:
    """Event name (or type) -> outcome of every row the table shows."""
    m = panel.model
    result = {}
    for row in range(m.rowCount()):
        r = m.row_data(row)
        if r is not None:
            result[r.name or r.type] = r.outcome
    return result


IDENTIFY = {
    "type": "identify",
    "userId": "user-7001",
    "messageId": "m-identify-1",
    "traits": {"name": "Quintus Receiverpanel", "email": "quintus@example.com", "plan": "Pro"},
}
SKIPPED = {"type": "track", "userId": "user-7001", "event": "Newsletter Opened", "messageId": "m-skip-1"}
FLAGGED = {"type": "track", "event": "No User At All", "messageId": "m-flag-1"}


async def post_batch(url: str, events: list[dict[str, Any]], key: str = WRITE_KEY) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{url}/v1/batch", json={"batch": events}, auth=(key, ""))


def test_panel_receives_shows_details_replays_live_and_exports(
    aloop: Any, data_dir: Path, rec: Recorder, tmp_path: Path
) -> None:
    from pipedrive_gui.pipedrive.client import PipedriveClient
    from pipedrive_gui.pipedrive.engine import UpsertEngine
    from pipedrive_gui.pipedrive.fields import fetch_catalog
    from pipedrive_gui.sandbox import start_sandbox

    project = demo_project()

    async def scenario() -> None:
        sandbox = await start_sandbox("127.0.0.1", 0)
        client = PipedriveClient(sandbox.base_url, sandbox.token)
        catalog = await fetch_catalog(client, domain="sandbox")
        panel, runner = make_panel(
            data_dir, rec, project, lambda p: UpsertEngine(client, catalog, p.destination)
        )
        try:
            await until(lambda: panel.journal is not None, "the journal to open")
            assert panel.start_button.text() == "Start receiver"
            panel.start_button.click()
            assert panel.progress.isVisible()  # a wait over 200 ms shows progress
            await until(lambda: panel.running, "the receiver to start")
            assert not panel.progress.isVisible()
            assert panel.start_button.text() == "Stop receiver"
            assert panel.receiver is not None
            url = panel.receiver.url
            assert url.startswith("http://127.0.0.1:")
            assert panel.address.text() == url
            assert panel.key_edit.text() == WRITE_KEY
            for key in ("python", "node", "analytics.js", "curl"):
                code = panel.snippet_text(key)
                assert WRITE_KEY in code and url.split("//")[1] in code

            panel.copy_key.click()
            assert QGuiApplication.clipboard().text() == WRITE_KEY

            resp = await post_batch(url, [IDENTIFY, SKIPPED, FLAGGED])
            assert resp.status_code == 200
            bad = await post_batch(url, [SKIPPED], key="wrong-key")
            assert bad.status_code == 401

            await until(
                lambda: (
                    outcomes(panel)
                    == {"identify": "planned", "Newsletter Opened": "skipped", "No User At All": "dropped"}
                ),
                "three rows with outcomes",
            )
            assert panel.model.rowCount() == 3
            await until(lambda: "3 events" in panel.counts_label.text(), "the counts")
            assert "refused" in panel.state_label.text()  # the wrong-key request is reported

            # Newest first: the batch's last event is row 0; the identify is row 2.
            rows = [panel.model.row_data(r) for r in range(3)]
            identify_row = next(i for i, row in enumerate(rows) if row is not None and row.type == "identify")
            assert (
                panel.model.data(panel.model.index(identify_row, 4))
                == "People from Identify (matched by Segment user ID)"
            )
            assert panel.model.data(panel.model.index(identify_row, 5)) == "Planned (dry run)"
            panel.select_row(identify_row)
            await until(
                lambda: panel.detail is not None and panel.detail.row.type == "identify", "the detail"
            )
            view = panel.detail_view
            assert json.loads(view.json.toPlainText())["traits"]["email"] == "quintus@example.com"
            assert view.select_delivery("People from Identify (matched by Segment user ID)")
            delivery = json.loads(view.json.toPlainText())
            assert delivery["outcome"] == "create" and delivery["mode"] == "dry_run"
            assert (
                delivery["payload"]["email"] == ["quintus@example.com"]
                or delivery["payload"]["email"] == "quintus@example.com"
            )
            assert any(c.get("method") == "GET" for c in delivery["calls"])  # the lookup it made
            titles = [item.text(0) for item in view.items()]
            assert "People from Identify (matched by Segment user ID): would create" in titles
            assert "Trigger did not match (5 mappings)" in titles
            assert "Deals from “Deal Upserted” events: trigger did not match" in titles

            panel.sample_button.click()
            assert rec.samples and rec.samples[0]["traits"]["name"] == "Quintus Receiverpanel"
            assert rec.samples[0]["messageId"] == "m-identify-1"

            # Nothing was written in dry run.
            assert not sandbox.state.find("person", name="Quintus Receiverpanel"), [
                c for c in sandbox.state.calls() if "Fields" not in c
            ]

            # Go live (confirmed through dialogs.ask), then replay the identify: now it is written.
            panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LIVE))
            assert rec.asked == ["Switch to live mode?"]
            await until(lambda: "Live mode" in panel.message_label.text(), "the switch to live")
            assert panel.mode == LIVE
            panel.replay_selected()
            await until(lambda: outcomes(panel).get("identify") == "delivered", "the replay to deliver")
            assert sandbox.state.find("person", name="Quintus Receiverpanel")
            await until(
                lambda: panel.detail is not None and panel.detail.row.outcome == "delivered",
                "the detail to follow the replay",
            )
            assert view.select_delivery("People from Identify (matched by Segment user ID)")
            live = json.loads(view.json.toPlainText())
            assert live["outcome"] == "create" and live["mode"] == "send" and live["record_id"]
            writes = [c for c in live["calls"] if c["method"] == "POST" and c["sent"]]
            assert writes and writes[0]["status"] in (200, 201)  # the call and Pipedrive's answer
            current = view.tree.currentItem()
            assert current is not None and f"created #{live['record_id']}" in current.text(0)

            # Filters.
            panel.set_filter(EventFilter(outcome="flagged"))
            await until(lambda: outcomes(panel) == {"No User At All": "dropped"}, "the flagged filter")
            panel.set_filter(EventFilter(type="identify"))
            await until(lambda: list(outcomes(panel)) == ["identify"], "the type filter")
            panel.set_filter(EventFilter(text="Newsletter"))
            await until(lambda: list(outcomes(panel)) == ["Newsletter Opened"], "the text filter")
            panel.set_filter(EventFilter())
            await until(lambda: len(outcomes(panel)) == 3, "all rows again")

            # Export what the table shows, through dialogs.save_file.
            rec.save_path = str(tmp_path / "events.jsonl")
            panel.export_button.click()
            await until(lambda: "Exported" in panel.message_label.text(), "the export")
            lines = [json.loads(x) for x in Path(rec.save_path).read_text(encoding="utf-8").splitlines()]
            assert [x["messageId"] for x in lines] == ["m-identify-1", "m-skip-1", "m-flag-1"]
            assert lines[0]["deliveries"][0]["outcome"] in ("create", "update")

            panel.start_button.click()
            await until(lambda: not panel.running and panel.start_button.isEnabled(), "the receiver to stop")
            assert panel.address.text().endswith("(not running)")
            assert rec.errors == [] and rec.task_errors == []
        finally:
            await panel.shutdown()
            await runner.wait_idle()
            await client.aclose()
            await sandbox.stop()

    run(aloop, scenario(), timeout=60)


def test_live_mode_without_a_connection_is_refused_and_stays_dry_run(
    aloop: Any, data_dir: Path, rec: Recorder
) -> None:
    async def scenario() -> None:
        panel, runner = make_panel(data_dir, rec, demo_project())
        try:
            panel.start()
            await until(lambda: panel.running, "the receiver to start")
            panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LIVE))
            await until(lambda: rec.errors, "the refusal")
            assert rec.errors[0][0] == "Could not switch modes"
            assert "needs a Pipedrive connection" in rec.errors[0][1]
            assert panel.mode == "dry_run" and panel.mode_combo.currentData() == "dry_run"
            # Declining the confirmation keeps dry run too.
            rec.answer = dialogs.CANCEL
            panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LIVE))
            assert panel.mode == "dry_run" and panel.mode_combo.currentData() == "dry_run"
        finally:
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario())


def test_a_busy_port_is_reported_with_what_to_do(aloop: Any, data_dir: Path, rec: Recorder) -> None:
    async def scenario() -> None:
        blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = blocker.sockets[0].getsockname()[1]
        panel, runner = make_panel(data_dir, rec, demo_project())
        try:
            panel.port_spin.setValue(port)
            panel.start()
            await until(lambda: rec.errors, "the error")
            title, text = rec.errors[0]
            assert title == "The receiver did not start"
            assert str(port) in text and "another port" in text
            assert not panel.running and panel.start_button.isEnabled()
        finally:
            blocker.close()
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario())


def test_replay_while_stopped_runs_on_next_start_with_fixed_mappings(
    aloop: Any, data_dir: Path, rec: Recorder
) -> None:
    """A failing mapping is fixed in the project, the failed events are retried: they pass."""
    broken = Mapping(
        "p",
        "People",
        "createUpdatePerson",
        'type = "identify"',
        True,
        {"match_value": {"@path": "$.traits.missing"}, "name": {"@path": "$.traits.name"}},
    )
    project = Project(mappings=[broken])

    async def scenario() -> None:
        panel, runner = make_panel(data_dir, rec, project)
        try:
            panel.start()
            await until(lambda: panel.running, "the receiver to start")
            await post_batch(panel.url, [IDENTIFY])
            await until(lambda: outcomes(panel).get("identify") == "failed", "the failure")
            panel.set_filter(EventFilter(outcome="failed"))
            await until(lambda: panel.model.rowCount() == 1 and outcomes(panel), "the failed filter")
            panel.select_row(0)
            await until(lambda: panel.detail is not None, "the detail")
            detail = panel.detail
            assert detail is not None and detail.row.summary is not None
            assert "match_value" in detail.row.summary
            panel.stop()
            await until(lambda: not panel.running and panel.start_button.isEnabled(), "the stop")

            project.mappings[0] = Mapping(
                "p",
                "People",
                "createUpdatePerson",
                'type = "identify"',
                True,
                {"match_value": {"@path": "$.userId"}, "name": {"@path": "$.traits.name"}},
            )
            panel.retry_failed()
            await until(lambda: "when you start the receiver" in panel.message_label.text(), "the queueing")
            # Queued events leave the "failed" filter.
            await until(lambda: panel.model.rowCount() == 0, "the failed list to empty")
            panel.set_filter(EventFilter())
            panel.start()
            await until(lambda: outcomes(panel).get("identify") == "planned", "the retried event", timeout=15)
        finally:
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario())


def test_the_python_snippet_really_sends_with_analytics_python(
    aloop: Any, data_dir: Path, rec: Recorder
) -> None:
    pytest.importorskip("segment.analytics")

    async def scenario() -> None:
        panel, runner = make_panel(data_dir, rec, demo_project())
        try:
            panel.start()
            await until(lambda: panel.running, "the receiver to start")
            code = panel.snippet_text("python")
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
            await until(lambda: {"identify", "Deal Upserted"} <= set(outcomes(panel)), "the snippet's events")
            if shutil.which("curl"):
                for cmd in panel.snippet_text("curl").split("\n\n"):
                    sh = await asyncio.create_subprocess_exec("sh", "-c", cmd, stdout=asyncio.subprocess.PIPE)
                    out, _ = await sh.communicate()
                    assert b'"success":true' in out
                await until(lambda: panel.model.rowCount() == 4, "the curl events")
        finally:
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario(), timeout=60)


def test_snippets_carry_the_address_and_key() -> None:
    snippets = {s.key: s for s in all_snippets("http://127.0.0.1:9911", "k'ey\"1")}
    assert set(snippets) == {"python", "node", "analytics.js", "curl"}
    assert 'analytics.host = "http://127.0.0.1:9911"' in snippets["python"].code
    assert 'analytics.write_key = "k\'ey\\"1"' in snippets["python"].code
    assert 'host: "http://127.0.0.1:9911"' in snippets["node"].code
    assert '"apiHost": "127.0.0.1:9911/v1"' in snippets["analytics.js"].code
    assert '"protocol": "http"' in snippets["analytics.js"].code
    assert "'http://127.0.0.1:9911/v1/track'" in snippets["curl"].code
    assert "-u 'k'\"'\"'ey\"1:'" in snippets["curl"].code


def test_allowed_web_pages_field_decides_which_pages_may_send(
    aloop: Any, data_dir: Path, rec: Recorder
) -> None:
    async def scenario() -> None:
        panel, runner = make_panel(data_dir, rec, demo_project())
        try:
            assert panel.origins_edit.text() == "" and not panel.allowed_origins
            panel.start()
            await until(lambda: panel.running, "the receiver to start")
            assert panel.receiver is not None
            url = panel.receiver.url
            body = {
                "type": "identify",
                "userId": "u-web",
                "traits": {"email": "web@example.com"},
                "writeKey": WRITE_KEY,
            }

            async def from_page(origin: str) -> httpx.Response:
                async with httpx.AsyncClient() as client:
                    return await client.post(
                        f"{url}/v1/i",
                        content=json.dumps(body),
                        headers={"Origin": origin, "Content-Type": "text/plain"},
                    )

            assert (await from_page("http://localhost:3000")).status_code == 403  # none allowed by default
            panel.origins_edit.setText("http://localhost:3000/, https://Shop.Example")
            panel.origins_edit.editingFinished.emit()
            assert panel.origins_edit.text() == "http://localhost:3000, https://shop.example"
            assert "http://localhost:3000, https://shop.example" in panel.message_label.text()
            ok = await from_page("http://localhost:3000")  # applies to the running receiver at once
            assert (
                ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
            )
            assert "access-control-allow-credentials" not in ok.headers
            assert (await from_page("https://evil.example")).status_code == 403
            panel.origins_edit.setText("localhost:4000")  # no scheme: not an origin
            panel.origins_edit.editingFinished.emit()
            assert "http://localhost:4000" in panel.message_label.text()
            assert panel.allowed_origins == ("http://localhost:3000", "https://shop.example")
            await until(lambda: outcomes(panel).get("identify"), "the allowed page's event")
            assert panel.model.rowCount() == 1
            panel._update_state()
            assert "Allowed web pages" in panel.state_label.toolTip()
        finally:
            await panel.shutdown()
            await runner.wait_idle()

    run(aloop, scenario())


def test_allowed_web_pages_are_stored_with_the_other_receiver_settings(
    aloop: Any, data_dir: Path, rec: Recorder
) -> None:
    paths = AppPaths.resolve(data_dir)

    async def scenario() -> None:
        runner = TaskRunner(on_error=lambda name, exc: rec.task_errors.append(exc))
        first = ReceiverPanel(runner, paths, demo_project, lambda p: None, rec.samples.append)
        key = first.write_key
        first.origins_edit.setText("http://localhost:5173")
        first.origins_edit.editingFinished.emit()
        await first.shutdown()
        stored = json.loads((paths.config / "receiver.json").read_text())
        assert stored["allowed_origins"] == ["http://localhost:5173"] and stored["write_key"] == key
        second = ReceiverPanel(runner, paths, demo_project, lambda p: None, rec.samples.append)
        assert second.origins_edit.text() == "http://localhost:5173" and second.write_key == key
        await second.shutdown()
        await runner.wait_idle()

    run(aloop, scenario())
