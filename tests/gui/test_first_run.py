"""The first ten minutes (issue 14): start-up shows one thing at a time and reopens what was used
last; the empty window says where to begin; a new mapping opens in a state that previews cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.conftest import settle
from tests.timing import short_client_retries_fixture as short_client_retries_fixture  # the fixture


def _no_keyring(services: Any) -> None:
    import keyring.backends.null

    from pipedrive_gui.credentials import CredentialStore

    services.connection.store = CredentialStore(backend=keyring.backends.null.Keyring(), env={})  # type: ignore[no-untyped-call]


def _leave_a_crash_copy(window: Any, services: Any) -> None:
    """Last session: unsaved work, then the process was killed (the autosave copy stays)."""
    from pipedrive_gui.core.project import Project

    window.load(Project(name="Work"), None)
    window.mapping_list.new_from_action("createUpdatePerson")
    assert services.autosaver.save_now()
    window.load(Project(), None)


# -- start-up ---------------------------------------------------------------------------------------


def test_no_keyring_start_shows_only_the_connect_dialog(
    window: Any, services: Any, run: Any, gui_args: Any, dialogs: Any
) -> None:
    """No "Could not connect to Pipedrive" box on top of the Connect dialog: the keyring notice is
    in the status bar and in the dialog."""
    from pipedrive_gui.gui.app import start

    _no_keyring(services)
    run(start(window, services, gui_args))
    run.until(lambda: services.connection.keyring_status is not None and not services.runner.busy)
    run(services.runner.wait_idle())
    assert dialogs.errors == [] and dialogs.asked == []
    dlg = window.accounts.connection_dialog
    assert dlg is not None and dlg.isVisible()
    assert "No system keyring" in dlg.keyring_label.text() and dlg.session_only.isChecked()
    assert "No keyring" in window.status.keyring.text()


def test_recovery_is_asked_first_and_alone(
    window: Any, services: Any, run: Any, gui_args: Any, dialogs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a crash without a keyring: the recovery question alone; the Connect dialog only once
    it is answered (nothing covers the Restore button)."""
    from pipedrive_gui.gui import dialogs as dialogs_module
    from pipedrive_gui.gui.app import start

    _leave_a_crash_copy(window, services)
    _no_keyring(services)
    pending: list[Any] = []
    monkeypatch.setattr(dialogs_module, "ask", lambda *a, **kw: pending.append(a))  # not answered yet
    run(start(window, services, gui_args))
    run.until(lambda: services.connection.keyring_status is not None and not services.runner.busy)
    run(services.runner.wait_idle())
    assert [a[1] for a in pending] == ["Recover unsaved work?"]
    assert dialogs.errors == []
    assert window.accounts.connection_dialog is None or not window.accounts.connection_dialog.isVisible()
    callback = pending[0][4]
    callback("yes")  # Restore
    assert window.doc.project.name == "Work" and len(window.doc.project.mappings) == 1
    dlg = window.accounts.connection_dialog
    assert dlg is not None and dlg.isVisible()


def test_sandbox_chosen_last_time_is_reopened_without_a_keyring(
    window: Any, services: Any, run: Any, gui_args: Any, dialogs: Any
) -> None:
    from pipedrive_gui.gui.app import start

    _no_keyring(services)
    services.settings.setValue(window.accounts.LAST_CONNECTION, "sandbox")
    run(start(window, services, gui_args))
    run.until(
        lambda: (
            services.connection.connected
            and services.connection.catalog is not None
            and not services.runner.busy
        ),
        what="the sandbox",
    )
    assert services.connection.is_sandbox
    assert dialogs.errors == [] and window.accounts.connection_dialog is None
    assert "Keyring: none" in window.status.keyring.text()  # not alarming: the sandbox needs no token


def test_failed_start_connect_says_why_in_the_connect_dialog(
    short_client_retries: None,
    window: Any,
    services: Any,
    run: Any,
    gui_args: Any,
    dialogs: Any,
    memory_store: Any,
) -> None:
    """A saved account that cannot be reached: one dialog (Connect, with the reason), not two.
    (The refused connection is retried as often as ever, with less waiting: short_client_retries.)"""
    from pipedrive_gui.gui.app import start

    memory_store.save("acme", "saved-token")
    services.connection.base_url_override = "http://127.0.0.1:9"  # nothing listens there
    run(start(window, services, gui_args))
    run.until(
        lambda: window.accounts.connection_dialog is not None and not services.runner.busy, what="the dialog"
    )
    assert dialogs.errors == []
    dlg = window.accounts.connection_dialog
    assert dlg.isVisible() and "Could not connect" in dlg.result_label.text()
    assert "Could not connect" in window.status.currentMessage()


# -- the empty window and Help ----------------------------------------------------------------------


def test_empty_window_offers_the_demo(window: Any, services: Any, run: Any, dialogs: Any) -> None:
    from pipedrive_gui.core.project import Project

    window.load(Project(), None)
    welcome = window.mapping_editor.welcome
    assert welcome.isVisibleTo(window) and not window.mapping_editor.empty.isVisibleTo(window)
    welcome.demo_button.click()
    run.until(lambda: services.connection.connected and not services.runner.busy, what="the sandbox")
    assert services.connection.is_sandbox and len(window.doc.project.mappings) >= 5
    assert not welcome.isVisibleTo(window) and window.mapping_editor.content.isVisibleTo(window)
    settle(run, window)
    assert window.preview.result is not None and window.preview.result.payload.ok


def test_empty_window_starts_from_a_preset_imports_and_has_a_hook(
    window: Any, run: Any, dialogs: Any, tmp_path: Any
) -> None:
    import json

    from pipedrive_gui.core.project import Project
    from pipedrive_gui.core.segment_io import export_segment
    from pipedrive_gui.gui.app import demo_project

    window.load(Project(), None)
    welcome = window.mapping_editor.welcome
    welcome.preset.setCurrentIndex(welcome.preset.findData("Create or Update a Deal"))
    welcome.preset_button.click()
    assert [m.action for m in window.doc.project.mappings] == ["createUpdateDeal"]
    assert not welcome.isVisibleTo(window)

    window.load(Project(), None)
    exported = tmp_path / "segment.json"
    exported.write_text(json.dumps(export_segment(demo_project())), encoding="utf-8")
    dialogs.files.append(str(exported))
    welcome.import_button.click()
    assert len(window.doc.project.mappings) == len(demo_project().mappings)

    pulled: list[bool] = []
    window.load(Project(), None)
    button = window.add_import_source("Pull from a Segment workspace…", "tip", lambda: pulled.append(True))
    assert button.isVisibleTo(window)
    button.click()
    assert pulled == [True]


def test_demo_in_the_file_menu_and_getting_started_in_help(window: Any, dialogs: Any) -> None:
    from pipedrive_gui.core.project import Project

    window.load(Project(), None)
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    file_items = [a.text().replace("&", "") for a in menus["File"].actions()]
    help_items = [a for a in menus["Help"].actions() if a.text()]
    assert "Open demo project" in file_items
    assert len(help_items) >= 2
    getting_started = next(a for a in help_items if a.text().replace("&", "") == "Getting started")
    getting_started.trigger()
    title, text = dialogs.infos[-1]
    assert title == "Getting started"
    for step in ("Sample event", "Preview", "Check in Pipedrive", "Send a test", "Export Segment JSON"):
        assert step in text
    next(a for a in menus["File"].actions() if a.text().replace("&", "") == "Open demo project").trigger()
    assert window.doc.project.mappings


# -- making a mapping -------------------------------------------------------------------------------


def _empty_project_on_sandbox(window: Any, services: Any, run: Any) -> None:
    from pipedrive_gui.core.project import Project

    window.load(Project(), None)
    run(services.connection.connect_sandbox())
    settle(run, window)


def test_every_new_mapping_previews_cleanly_on_the_chosen_sample(
    window: Any, services: Any, run: Any
) -> None:
    """The first Person preset opened red: the first identify sample is anonymous (no userId)."""
    from pipedrive_gui.core.actions import ACTIONS, PRESETS

    _empty_project_on_sandbox(window, services, run)
    for preset in PRESETS:
        window.mapping_list.new_from_preset(preset.name)
        settle(run, window)
        result = window.preview.result
        assert result is not None and result.fires, preset.name
        assert result.payload is not None and result.payload.ok, (preset.name, result.payload.problems)
        assert not window.preview.problems.isVisible()
    for slug in ACTIONS:
        window.mapping_list.new_from_action(slug)
        settle(run, window)
        result = window.preview.result
        assert result is not None and result.fires and result.payload.ok, (slug, result.payload.problems)


def test_preset_and_blank_mapping_differ(window: Any) -> None:
    from pipedrive_gui.core.actions import ACTIONS

    for preset_name, slug in (
        ("Create or Update a Person", "createUpdatePerson"),
        ("Create or Update a Deal", "createUpdateDeal"),
    ):
        preset = window.mapping_list.new_from_preset(preset_name)
        blank = window.mapping_list.new_from_action(slug)
        assert set(blank.settings) < set(preset.settings)
        action = ACTIONS[slug]
        assert set(action.required_keys) <= set(blank.settings)
        assert preset.settings.items() >= blank.settings.items()
    titles = [a.text() for a in window.mapping_list.new_menu.actions()]
    assert titles == ["From a preset", "Blank, from an action"]


def test_new_mapping_on_the_users_own_event_points_at_what_is_left(
    window: Any, services: Any, run: Any
) -> None:
    _empty_project_on_sandbox(window, services, run)
    window.event_editor.set_text(
        '{"type": "identify", "anonymousId": "a-1", "traits": {"email": "x@y.example"}}'
    )
    window.mapping_list.new_from_preset("Create or Update a Person")
    settle(run, window)
    editor = window.mapping_editor
    assert editor.pointed_field == "match_value"
    assert (
        editor.hint.isVisibleTo(window)
        and "Match value" in editor.hint.text()
        and "$.userId" in editor.hint.text()
    )
    assert "x@y.example" in window.event_editor.text.toPlainText()  # the user's event is kept
    editor.field_editors["match_value"].editor("path").line.setText("$.anonymousId")
    editor.field_editors["match_value"].editor("path").edited.emit()
    settle(run, window)
    assert window.preview.result.payload.ok and not editor.hint.isVisibleTo(window)


def test_changing_the_action_carries_over_shared_fields_and_says_what_was_dropped(
    demo_window: Any, run: Any
) -> None:
    from tests.gui.conftest import select_mapping

    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    before = dict(w.doc.mapping(m.id).settings)
    editor = w.mapping_editor
    editor.action.setCurrentIndex(editor.action.findData("createUpdateDeal"))
    editor.action.activated.emit(editor.action.currentIndex())
    after = w.doc.mapping(m.id)
    assert after.action == "createUpdateDeal"
    assert after.settings["person_match_value"] == before["match_value"]  # the person becomes the link
    if "match_field" in before:
        assert after.settings["person_match_field"] == before["match_field"]
    text = editor.hint.text()
    assert "Person Name" in text and "Edit &gt; Undo" in text and "Person match value" in text
    assert after.trigger == m.trigger  # the demo's own trigger is kept (only a default one follows)
    w.doc.undo_stack.undo()
    assert w.doc.mapping(m.id).settings == before

    # Person -> Organization keeps the fields both have; an unchanged default follows the action.
    m2 = w.mapping_list.new_from_preset("Create or Update a Person")
    editor.action.setCurrentIndex(editor.action.findData("createUpdateOrganization"))
    editor.action.activated.emit(editor.action.currentIndex())
    org = w.doc.mapping(m2.id)
    assert org.settings["name"] == {"@path": "$.traits.name"}
    assert org.settings["match_value"] == {"@path": "$.groupId"}
    assert "Email Address" in editor.hint.text()


def _set_match_field(window: Any, key: str) -> None:
    static = window.mapping_editor.field_editors["match_field"]
    static.set_mode("static")
    combo = static.editor("static").combo
    combo.setCurrentIndex(combo.findData(key))


def test_match_value_follows_the_match_field(window: Any, services: Any, run: Any) -> None:
    _empty_project_on_sandbox(window, services, run)
    m = window.mapping_list.new_from_preset("Create or Update a Person")
    settle(run, window)
    _set_match_field(window, "email")
    settle(run, window)
    assert window.doc.mapping(m.id).settings["match_value"] == {"@path": "$.traits.email"}
    assert "$.traits.email" in window.mapping_editor.hint.text()
    assert window.preview.result.payload.payload["match_value"].endswith("@acme-robotics.example")
    # On a track event the email is a property.
    window.doc.undo_stack.undo()
    deal_like = window.mapping_list.new_from_preset("Create or Update a Person")
    window.doc.edit_mapping(
        type(deal_like)(
            deal_like.id, deal_like.name, deal_like.action, 'type = "track"', True, dict(deal_like.settings)
        ),
        "t",
    )
    window.mapping_editor.show_mapping(deal_like.id)
    window.event_editor.set_event(
        {
            "type": "track",
            "event": "Signed Up",
            "userId": "u-1",
            "properties": {"email": "p@q.example", "name": "P Q"},
        }
    )
    _set_match_field(window, "email")
    assert window.doc.mapping(deal_like.id).settings["match_value"] == {"@path": "$.properties.email"}


def test_match_value_typed_by_the_user_is_offered_not_replaced(window: Any, services: Any, run: Any) -> None:
    _empty_project_on_sandbox(window, services, run)
    m = window.mapping_list.new_from_preset("Create or Update a Person")
    settle(run, window)
    path = window.mapping_editor.field_editors["match_value"].editor("path")
    path.line.setText("$.traits.external_id")
    path.edited.emit()
    _set_match_field(window, "email")
    assert window.doc.mapping(m.id).settings["match_value"] == {"@path": "$.traits.external_id"}
    hint = window.mapping_editor.hint
    assert "Use $.traits.email" in hint.text()
    hint.linkActivated.emit("do")
    assert window.doc.mapping(m.id).settings["match_value"] == {"@path": "$.traits.email"}


# -- sample events ----------------------------------------------------------------------------------

ORDER = '{"type": "track", "event": "Order Completed", "userId": "u-9", "properties": {"total": 5}}'


def test_the_drop_down_names_a_pasted_event(demo_window: Any, run: Any) -> None:
    ev = demo_window.event_editor
    before = ev.library.currentText()
    ev.set_text(ORDER)  # as a paste does
    assert ev.library.currentText() != before
    assert "Order Completed" in ev.library.currentText() and "not saved" in ev.library.currentText()
    ev.save_to_project()
    assert ev.library.currentText() == "Order Completed  (this project)"
    assert demo_window.doc.project.samples[-1].name == "Order Completed"
    assert ev.library.findData(("own", 0)) < 0


def test_use_as_sample_event_adds_it_to_the_project(demo_window: Any, run: Any) -> None:
    w = demo_window
    n = len(w.doc.project.samples)
    event = {"type": "track", "event": "Order Completed", "userId": "from-receiver"}
    w.use_as_sample(event)
    assert len(w.doc.project.samples) == n + 1
    assert w.doc.project.samples[-1].event == event and "Order Completed" in w.doc.project.samples[-1].name
    assert "Order Completed" in w.event_editor.library.currentText()
    assert w.event_editor.current_event() == event
    w.doc.undo_stack.undo()
    assert len(w.doc.project.samples) == n


def test_a_pasted_sample_survives_a_crash(window: Any, services: Any, run: Any, dialogs: Any) -> None:
    from pipedrive_gui.gui.app import demo_project, start

    window.load(demo_project(), None)
    window.event_editor.set_text(ORDER)
    assert not window.doc.dirty
    assert services.autosaver.timer.isActive()  # the paste alone schedules an autosave
    assert services.autosaver.save_now()
    # "Next start" (the process was killed): the offer names the event and restores it.
    window.load(demo_project(), None)
    import argparse

    dialogs.answers.append("yes")
    run(
        start(window, services, argparse.Namespace(project=None, demo=True, self_test=False, screenshot=None))
    )
    title, text = dialogs.asked[-1]
    assert title == "Recover unsaved work?" and "sample event you pasted" in text
    assert window.event_editor.current_event()["event"] == "Order Completed"
    assert window.event_editor.has_own_event()
    services.runner.cancel_all()
    run(services.runner.wait_idle())


# -- condition builder, wording, file names ---------------------------------------------------------


def test_condition_builder_says_what_to_type_instead(demo_window: Any, run: Any) -> None:
    from tests.gui.conftest import select_mapping

    w = demo_window
    m = select_mapping(w, "createUpdateDeal")
    settle(run, w)
    tb = w.mapping_editor.trigger
    tb.add_condition()
    m = w.doc.mapping(m.id)  # with the new (empty) "event name is" condition
    row = tb.rows[-1]
    row.kind.setCurrentIndex(row.kind.findData("event-property"))  # "Event property", name still empty
    settle(run, w)
    note = tb.note.text()
    assert "Type the property name" in note and "e.g. plan" in note
    assert w.doc.mapping(m.id).trigger == m.trigger  # nothing broken was written
    for typed, expected in (
        (".plan", "Remove the extra dot from “.plan”: type plan"),
        ("traits.email", "choose “User trait” in the first box and type email"),
        ("1st", "starts with a digit"),
    ):
        row.name.setText(typed)
        row.name.textEdited.emit(typed)
        assert expected in tb.note.text(), (typed, tb.note.text())
        assert w.doc.mapping(m.id).trigger == m.trigger
    row.name.setText("properties.plan")
    row.name.textEdited.emit("properties.plan")
    row.value.setEditText("pro")
    settle(run, w)
    assert w.doc.mapping(m.id).trigger.endswith('and properties.plan = "pro"')
    assert "is added for you" in tb.note.text()
    row.operator.setCurrentIndex(row.operator.findData(">"))
    assert "compares numbers: type a number" in tb.note.text()
    from PySide6.QtWidgets import QLabel

    settle(run, w)
    indicator = w.preview.findChild(QLabel, "triggerIndicator")
    for text in (tb.note.text(), indicator.text()):
        assert "is not an operator" not in text and "properties.properties" not in text


def test_no_typos_in_what_the_app_says() -> None:
    """“Connect….”, “person..”, “a organization”: a sweep over the package's own strings."""
    import re
    from pathlib import Path

    import pipedrive_gui

    bad = re.compile(r"…\.(?!\.)|[a-z]\.\.(?!\.)|\ba (?:organization|activity|order|email|update|event\b)")
    found = []
    for path in Path(pipedrive_gui.__file__).parent.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if bad.search(line) and "noqa: typo" not in line:
                found.append(f"{path.name}:{n}: {line.strip()}")
    assert found == []


def test_no_colon_in_the_suggested_file_name(
    demo_window: Any, dialogs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipedrive_gui.gui import dialogs as dialogs_module

    asked: list[str] = []
    monkeypatch.setattr(
        dialogs_module,
        "save_file",
        lambda parent, caption, filters, callback, directory="", suffix=None: asked.append(directory),
    )
    assert ":" in demo_window.doc.project.name  # "Demo: Acme Robotics sales pipeline"
    demo_window.files.save_as()
    demo_window.files.export_dialog("segment")
    from pathlib import Path

    for suggested in asked:
        name = Path(suggested).name
        assert name and not any(c in name for c in ':/\\*?"<>|'), name
    assert Path(asked[0]).name.startswith("Demo - Acme Robotics")
