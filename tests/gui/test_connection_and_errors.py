"""Connecting (and failing to), and bad input that must show the right message and lose nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.gui.conftest import select_mapping, settle
from tests.timing import short_client_retries_fixture as short_client_retries_fixture  # the fixture

# A refused connection is retried as often as ever, with less waiting: short_client_retries.


@pytest.fixture
def sandbox(run: Any) -> Any:
    from pipedrive_gui.sandbox import start_sandbox

    sb = run(start_sandbox("127.0.0.1", 0))
    yield sb
    run(sb.stop())


@pytest.fixture
def remote_window(window: Any, services: Any, sandbox: Any) -> Any:
    """A window whose 'real Pipedrive' is a sandbox server at a loopback base URL."""
    services.connection.base_url_override = sandbox.base_url
    return window


def test_connect_dialog_tests_saves_and_switches(
    remote_window: Any, run: Any, services: Any, memory_store: Any, dialogs: Any
) -> None:
    w = remote_window
    assert "Not connected" in w.status.account.text()
    dlg = w.accounts.show_connection_dialog()
    from PySide6.QtWidgets import QLabel

    assert any("Personal preferences &gt; API" in lbl.text() for lbl in dlg.findChildren(QLabel))
    dlg.domain.setText("acme")
    dlg.token.setText("my-real-token")
    dlg._update()
    dlg.test_button.click()
    run.until(lambda: "Connected as" in dlg.result_label.text() or "⚠" in dlg.result_label.text())
    assert "✔ Connected as" in dlg.result_label.text()
    assert "Sandbox Co" in dlg.result_label.text()  # the company
    assert memory_store.load() is None  # testing stores nothing
    dlg.connect_button.click()
    run.until(lambda: services.connection.connected and services.connection.catalog is not None)
    settle(run, w)
    creds = memory_store.load()
    assert creds.domain == "acme" and creds.token == "my-real-token"
    assert "127.0.0.1" in w.status.account.text() and "Sandy" in w.status.account.text()
    assert "fetched" in w.status.catalog.text()
    # Log out forgets the token and offers to connect again.
    dialogs.answers.append("yes")
    w.accounts.log_out()
    run.until(lambda: not services.connection.connected)
    settle(run, w)
    assert memory_store.load() is None
    assert "Not connected" in w.status.account.text()
    # Switch to the sandbox.
    w.accounts.show_connection_dialog().sandbox_button.click()
    run.until(lambda: services.connection.is_sandbox and services.connection.catalog is not None)
    assert "Offline sandbox" in w.status.account.text()


def test_wrong_token_says_so_and_keeps_what_was_typed(remote_window: Any, run: Any, services: Any) -> None:
    dlg = remote_window.accounts.show_connection_dialog()
    dlg.domain.setText("acme")
    dlg.token.setText("bad-token")
    dlg._update()
    dlg.connect_button.click()
    run.until(lambda: "⚠" in dlg.result_label.text())
    text = dlg.result_label.text().lower()
    assert "token" in text
    assert "bad-token" not in dlg.result_label.text()  # never echo the secret
    assert dlg.token.text() == "bad-token" and dlg.domain.text() == "acme"
    assert not services.connection.connected
    assert dlg.isVisible()


def test_sandbox_down_shows_what_to_do(
    short_client_retries: None, remote_window: Any, run: Any, sandbox: Any, services: Any
) -> None:
    run(sandbox.stop())
    dlg = remote_window.accounts.show_connection_dialog()
    dlg.domain.setText("acme")
    dlg.token.setText("some-token")
    dlg._update()
    dlg.test_button.click()
    run.until(lambda: "⚠" in dlg.result_label.text(), timeout=30)
    assert "try again" in dlg.result_label.text().lower() or "check" in dlg.result_label.text().lower()
    assert dlg.token.text() == "some-token"


def test_check_when_sandbox_went_away(
    short_client_retries: None, demo_window: Any, run: Any, services: Any
) -> None:
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    run(services.connection.sandbox.stop())
    w.preview.check()
    settle(run, w)
    assert "⚠" in w.preview.outcome.text() and "Could not reach" in w.preview.outcome.text()
    assert w.preview.check_button.isEnabled()  # the user can try again


def test_broken_event_json_keeps_text_and_last_preview(demo_window: Any, run: Any) -> None:
    w = demo_window
    settle(run, w)
    good = w.preview.payload_view.toPlainText()
    broken = w.event_editor.text.toPlainText().replace('"type"', '"type" "', 1)
    w.event_editor.set_text(broken)
    settle(run, w)
    assert w.event_editor.text.toPlainText() == broken
    assert "line 2" in w.event_editor.status.text() and "column" in w.event_editor.status.text()
    assert "not valid JSON" in w.preview.trigger_indicator.text()
    assert w.preview.payload_view.toPlainText() == good  # the last valid event is still previewed
    assert not w.event_editor.pretty.isEnabled()


def test_bad_fql_is_kept_and_explained(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = w.doc.project.mappings[1]
    w.mapping_list.select(m.id)
    settle(run, w)
    tb = w.mapping_editor.trigger
    bad = 'type = "group" and (event = '
    tb.fql.setText(bad)
    tb._fql_typed(bad)
    settle(run, w)
    assert w.doc.mapping(m.id).trigger == bad
    assert "not valid FQL" in tb.note.text() and tb.note.isVisible()
    assert "not valid FQL" in w.preview.trigger_indicator.text()
    # Non-representable but valid FQL stays text with a note.
    nested = 'type = "group" and (traits.plan = "pro" or traits.plan = "enterprise")'
    tb.fql.setText(nested)
    tb._fql_typed(nested)
    settle(run, w)
    assert w.doc.mapping(m.id).trigger == nested
    assert not tb.representable and "cannot show" in tb.note.text()


def test_missing_required_field_is_reported_per_field(demo_window: Any, run: Any) -> None:
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    editor = w.mapping_editor.field_editors["match_value"]
    editor.set_mode("unset")
    settle(run, w)
    assert "Match value" in w.preview.problems.text()
    assert not w.preview.check_button.isEnabled()


def test_open_broken_project_file_keeps_current(demo_window: Any, tmp_path: Any, dialogs: Any) -> None:
    w = demo_window
    bad = tmp_path / "broken.pipedrive-map.json"
    bad.write_text('{"format": "pipedrive-map", "version": 1, "mappings": [', encoding="utf-8")
    n = len(w.doc.project.mappings)
    assert not w.files.open_path(bad)
    assert dialogs.errors and "Could not open" in dialogs.errors[-1][0]
    assert len(w.doc.project.mappings) == n


def test_first_start_without_credentials_offers_connect_or_sandbox(
    window: Any, services: Any, run: Any, gui_args: Any
) -> None:
    from pipedrive_gui.gui.app import start

    run(start(window, services, gui_args))
    run(services.runner.wait_idle())
    dlg = window.accounts.connection_dialog
    assert dlg is not None and dlg.isVisible()
    assert dlg.sandbox_button.text() == "Try with the offline sandbox"
    assert dlg.windowTitle() == "Connect your Pipedrive"


def test_saved_credentials_connect_at_start(
    window: Any, services: Any, run: Any, gui_args: Any, memory_store: Any, sandbox: Any
) -> None:
    from pipedrive_gui.gui.app import start

    memory_store.save("acme", "saved-token")
    services.connection.base_url_override = sandbox.base_url
    run(start(window, services, gui_args))
    run.until(lambda: services.connection.connected and services.connection.catalog is not None)
    assert window.accounts.connection_dialog is None
    assert "Sandy" in window.status.account.text()


def test_saved_credentials_connect_when_qt_runs_while_the_loop_is_stopped(
    window: Any,
    services: Any,
    run: Any,
    gui_args: Any,
    memory_store: Any,
    sandbox: Any,
    qapp: Any,
    dialogs: Any,
    monkeypatch: Any,
) -> None:
    """The start-up connect once failed ("Not currently running on any asynchronous event loop")
    when the keyring thread finished just as ``run(start(...))`` stopped the loop: Qt then ran the
    connect's next step outside the loop (see ``HarnessLoop`` in conftest.py). This makes that
    timing certain instead of 1 run in 6."""
    from pipedrive_gui.gui.app import start

    memory_store.save("acme", "saved-token")
    services.connection.base_url_override = sandbox.base_url
    loaded = threading.Event()
    real_load = memory_store.load

    def load() -> Any:  # runs in the keyring thread
        try:
            return real_load()
        finally:
            loaded.set()

    monkeypatch.setattr(memory_store, "load", load)
    run(start(window, services, gui_args))
    assert loaded.wait(10), "the keyring was not read"
    for _ in range(20):  # what qasync's last pass, pytest-qt and qtbot do between loop runs
        qapp.processEvents()
    run.until(lambda: services.connection.connected and services.connection.catalog is not None)
    assert dialogs.errors == []
    assert window.accounts.connection_dialog is None
    assert "Sandy" in window.status.account.text()


def test_an_event_that_is_not_an_object_is_named_in_json_words(demo_window: Any, run: Any) -> None:
    """Was "not a list" / "not a int" / "not a NoneType" (Python's names, and the wrong article)."""
    ev = demo_window.event_editor
    for text, said in (("[1]", "an array"), ('"x"', "a string"), ("7", "a number"), ("null", "null")):
        ev.set_text(text)
        settle(run, demo_window)
        assert ev.status.text() == f"⚠ A Segment event is a JSON object ({{ … }}), not {said}."
