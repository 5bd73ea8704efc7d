"""Sending only what the user meant, in the desktop app: *Send test* respects the trigger,
a new custom-field row sends nothing, a Pipedrive result that no longer matches the screen says so,
and *Import* into a non-empty project asks instead of duplicating mappings."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.core.samples import load_sample
from tests.gui.conftest import select_mapping, settle


def _writes(window: Any) -> list[Any]:
    """The requests the sandbox received that change something in it."""
    return [
        r for r in window.connection.sandbox.state.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")
    ]


# -- Send test and the trigger ------------------------------------------------------------------


def _deal_on_a_page_view(window: Any, run: Any) -> Any:
    """The Deals mapping shown with a sample its trigger does not fire on (a page view)."""
    m = select_mapping(window, "createUpdateDeal")
    settle(run, window)
    window.event_editor.set_event(load_sample("page-pricing"))
    settle(run, window)
    assert not window.preview.result.fires
    assert "does not fire" in window.preview.trigger_indicator.text()
    return m


def test_send_test_says_when_the_trigger_does_not_fire_and_needs_send_anyway(
    demo_window: Any, run: Any, dialogs: Any
) -> None:
    w = demo_window
    m = _deal_on_a_page_view(w, run)
    button = w.preview.send_button
    assert "trigger does not fire" in button.text()
    assert "does not fire" in button.toolTip()
    before = len(_writes(w))
    # The confirmation names the trigger; closing it or Cancel sends nothing.
    dialogs.answers.append("cancel")
    button.click()
    settle(run, w)
    title, text = dialogs.asked[-1]
    assert "trigger does not fire" in title.lower() or "trigger does not fire" in text.lower()
    assert m.name in text and "Segment would not send" in text
    assert w.preview.last_run is None and len(_writes(w)) == before
    # "Send anyway" is the explicit answer that sends.
    dialogs.answers.append("yes")
    button.click()
    settle(run, w)
    assert w.preview.last_run is not None and w.preview.last_run.mode == "send"
    assert len(_writes(w)) > before
    assert "trigger does not fire" in w.preview.outcome.text()


def test_send_test_on_a_firing_trigger_keeps_the_plain_confirmation(
    demo_window: Any, run: Any, dialogs: Any
) -> None:
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert w.preview.result.fires
    assert w.preview.send_button.text() == "Send test…"
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    assert "does not fire" not in dialogs.asked[-1][1]
    assert w.preview.last_run.mode == "send"


def test_send_test_sends_what_is_on_screen_not_a_preview_still_pending(
    demo_window: Any, run: Any, dialogs: Any
) -> None:
    """An edit followed at once by Send test (before the preview caught up) sends the edited mapping."""
    w = demo_window
    m = select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    settings = dict(w.doc.mapping(m.id).settings, name="Typed Just Now Ltd")
    from dataclasses import replace

    w.doc.edit_mapping(replace(w.doc.mapping(m.id), settings=settings), "Edit name")
    assert w.preview.timer.isActive()  # the preview has not been recomputed yet
    dialogs.answers.append("yes")
    w.preview.ask_send()
    settle(run, w)
    bodies = [r.json for r in _writes(w) if isinstance(r.json, dict)]
    assert any(b.get("name") == "Typed Just Now Ltd" for b in bodies), bodies


# -- a result that no longer matches the screen ---------------------------------------------------


def _checked_person(window: Any, run: Any) -> Any:
    """The People mapping checked in Pipedrive (would update a person), result fresh."""
    m = select_mapping(window, "createUpdatePerson")
    settle(run, window)
    window.event_editor.set_event(load_sample("identify-person"))
    settle(run, window)
    window.preview.check_button.click()
    settle(run, window)
    assert window.preview.last_run.outcome == "update"
    assert "Would update person" in window.preview.outcome.text()
    assert not window.preview.stale and "Changed since" not in window.preview.outcome.text()
    assert window.preview.calls_view.isEnabled()
    return m


def _assert_outdated(window: Any, what: str = "check") -> None:
    preview = window.preview
    assert preview.stale
    text = preview.outcome.text()
    assert f"Changed since this {what}" in text and "check again" in text
    assert "Would update person" in text  # still readable, greyed
    assert not preview.calls_view.isEnabled()  # the calls table is greyed too
    assert "(outdated)" in preview.plan_text.text()


def test_a_field_edit_outdates_the_check(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = _checked_person(w, run)
    editor = w.mapping_editor.field_editors["name"]
    editor.editor().line.setText("$.traits.email")
    editor.editor().edited.emit()
    settle(run, w)
    assert w.doc.mapping(m.id).settings["name"] == {"@path": "$.traits.email"}
    _assert_outdated(w)


def test_an_undo_outdates_the_check_and_a_redo_does_not_make_it_fresh(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    editor = w.mapping_editor.field_editors["phone"]
    editor.set_mode("unset")
    settle(run, w)
    assert "phone" not in w.doc.mapping(m.id).settings
    _checked_person(w, run)
    w.doc.undo_stack.undo()  # the phone mapping comes back
    settle(run, w)
    _assert_outdated(w)
    w.doc.undo_stack.redo()
    settle(run, w)
    _assert_outdated(w)


def test_a_rename_does_not_outdate_the_check(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = _checked_person(w, run)
    w.mapping_list.select(m.id)
    w.doc.rename_mapping(m.id, "People, renamed")
    settle(run, w)
    assert not w.preview.stale


def test_a_sample_edit_outdates_the_check(demo_window: Any, run: Any) -> None:
    import json

    w = demo_window
    _checked_person(w, run)
    event = dict(w.event_editor.current_event())
    event["traits"] = dict(event["traits"], name="Someone Else")
    w.event_editor.set_text(json.dumps(event))
    settle(run, w)
    _assert_outdated(w)


def test_a_reconnect_outdates_the_check(demo_window: Any, run: Any, services: Any) -> None:
    w = demo_window
    _checked_person(w, run)
    run(services.connection.connect_sandbox())  # a fresh sandbox: its records are the seeded ones again
    settle(run, w)
    _assert_outdated(w)


def test_a_test_send_is_outdated_by_an_edit_too(demo_window: Any, run: Any, dialogs: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    w.event_editor.set_event(load_sample("identify-person"))
    settle(run, w)
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    assert w.preview.last_run.mode == "send" and not w.preview.stale
    w.doc.set_enabled(m.id, False)
    settle(run, w)
    assert w.preview.stale and "Changed since this test send" in w.preview.outcome.text()


def test_switching_mapping_clears_the_result_and_a_late_result_says_whose_it_is(
    demo_window: Any, run: Any
) -> None:
    w = demo_window
    _checked_person(w, run)
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert w.preview.last_run is None and "Would update person" not in w.preview.outcome.text()
    # A check still running when the user switches mapping lands outdated, naming its mapping.
    person = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    w.preview.check_button.click()
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert w.preview.stale
    assert f"was for the mapping “{person.name}”" in w.preview.outcome.text()


def test_check_again_link_runs_a_fresh_check(demo_window: Any, run: Any) -> None:
    w = demo_window
    _checked_person(w, run)
    editor = w.mapping_editor.field_editors["name"]
    editor.editor().line.setText("$.traits.email")
    editor.editor().edited.emit()
    settle(run, w)
    assert w.preview.stale
    w.preview.outcome.linkActivated.emit("#check")
    settle(run, w)
    assert not w.preview.stale and w.preview.calls_view.isEnabled()
    assert "Changed since" not in w.preview.outcome.text()


# -- a new custom-field row sends nothing ------------------------------------------------------------


def test_a_new_custom_field_row_sends_nothing_until_a_value_is_picked(demo_window: Any, run: Any) -> None:
    from pipedrive_gui.gui.field_editor import MODE_PATH

    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    w.event_editor.set_event(load_sample("identify-person"))
    settle(run, w)
    custom = w.mapping_editor.field_editors["custom_fields"].editor()
    before = dict(w.doc.mapping(m.id).settings["custom_fields"])
    custom.add_button.click()
    settle(run, w)
    combo, row, _, _ = custom.rows[-1]
    key = combo.currentData()
    assert key and row.current_mode() == MODE_PATH and row.editor().line.text() == ""
    # Nothing stored, nothing in the payload, nothing exported: not the whole event as the value.
    assert w.doc.mapping(m.id).settings["custom_fields"] == before
    payload = w.preview.result.payload.payload
    assert key not in payload.get("custom_fields", {})
    assert "anonymousId" not in w.preview.payload_view.toPlainText()
    assert key not in w.files.export_text("segment")
    # Still nothing when another empty kind of value is chosen for the row.
    for mode in ("template", "static"):
        row.set_mode(mode)
        settle(run, w)
        assert key not in w.doc.mapping(m.id).settings["custom_fields"], mode
    # A picked value is stored and sent.
    row.set_mode(MODE_PATH)
    row.editor()._picked("$.traits.email")
    settle(run, w)
    assert w.doc.mapping(m.id).settings["custom_fields"][key] == {"@path": "$.traits.email"}
    assert key in w.preview.result.payload.payload["custom_fields"]


def test_a_field_switched_to_from_the_event_sends_nothing_until_a_path_is_typed(
    demo_window: Any, run: Any
) -> None:
    """The same mistake at the top level: an empty path reads the whole event (for the Custom fields
    object, the entire event became the record's custom fields)."""
    from pipedrive_gui.gui.field_editor import MODE_PATH

    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    editor = w.mapping_editor.field_editors["custom_fields"]
    editor.set_mode(MODE_PATH)
    settle(run, w)
    assert "custom_fields" not in w.doc.mapping(m.id).settings
    assert "custom_fields" not in (w.preview.result.payload.payload or {})
    phone = w.mapping_editor.field_editors["phone"]
    phone.editor().line.setText("")
    phone.editor().edited.emit()
    settle(run, w)
    assert "phone" not in w.doc.mapping(m.id).settings


# -- Import into a project that has mappings -------------------------------------------------------


def _export(window: Any, tmp_path: Any, edit: Any = None) -> str:
    import json

    data = json.loads(window.files.export_text("segment"))
    if edit is not None:
        edit(data["subscriptions"])
    path = tmp_path / "export.segment.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_importing_the_projects_own_export_asks_and_does_not_duplicate(
    demo_window: Any, run: Any, tmp_path: Any, dialogs: Any
) -> None:
    w = demo_window
    before = list(w.doc.project.mappings)
    steps = w.doc.undo_stack.count()
    dialogs.files.append(_export(w, tmp_path))
    dialogs.answers.append("update")
    w.files.import_segment_dialog()
    title, text = dialogs.asked[-1]
    assert title == "Import into this project" and f"this project already has {len(before)} mappings" in text
    assert f"{len(before)} of the imported mappings have the same name and action" in text
    assert w.doc.project.mappings == before and w.doc.undo_stack.count() == steps
    assert f"{len(before)} already up to date" in dialogs.infos[-1][1]
    assert "differ" not in dialogs.infos[-1][1]  # the same destination settings: nothing to say
    assert f"{len(before)} already up to date" in w.statusBar().currentMessage()
    # Closing the question (or Cancel) imports nothing.
    dialogs.files.append(_export(w, tmp_path))
    w.files.import_segment_dialog()
    assert w.doc.project.mappings == before


def test_import_update_says_what_it_did_and_is_one_undo_step(
    demo_window: Any, run: Any, tmp_path: Any, dialogs: Any
) -> None:
    w = demo_window
    before = [(m.id, m.name, m.trigger) for m in w.doc.project.mappings]

    def edit(data: list[dict[str, Any]]) -> None:
        for sub in data[:3]:
            sub["trigger"] += ' and properties.source = "shop"'
        data.append(dict(data[0], name="Order Completed"))

    dialogs.files.append(_export(w, tmp_path, edit))
    dialogs.answers.append("update")
    steps = w.doc.undo_stack.count()
    w.files.import_segment_dialog()
    settle(run, w)
    after = w.doc.project.mappings
    assert [m.id for m in after[: len(before)]] == [b[0] for b in before]  # updated in place, ids kept
    assert all(m.trigger.endswith('properties.source = "shop"') for m in after[:3])
    assert [m.name for m in after[len(before) :]] == ["Order Completed"]
    summary = f"3 updated, 1 added, {len(before) - 3} already up to date"
    assert dialogs.infos[-1][1].startswith(summary[0].upper() + summary[1:])
    assert summary in w.statusBar().currentMessage()
    assert w.doc.undo_stack.count() == steps + 1
    w.doc.undo_stack.undo()
    assert [(m.id, m.name, m.trigger) for m in w.doc.project.mappings] == before


def test_import_replace_all(demo_window: Any, run: Any, tmp_path: Any, dialogs: Any) -> None:
    w = demo_window
    n = len(w.doc.project.mappings)

    def keep_one(data: list[dict[str, Any]]) -> None:
        del data[1:]

    dialogs.files.append(_export(w, tmp_path, keep_one))
    dialogs.answers.append("replace")
    w.files.import_segment_dialog()
    settle(run, w)
    assert len(w.doc.project.mappings) == 1
    assert f"1 added, {n} removed" in dialogs.infos[-1][1]
    w.doc.undo_stack.undo()
    assert len(w.doc.project.mappings) == n


def test_import_into_an_empty_project_just_adds(window: Any, run: Any, tmp_path: Any, dialogs: Any) -> None:
    from pipedrive_gui.core.project import Project
    from pipedrive_gui.gui.app import demo_project

    window.load(demo_project(), None)
    path = _export(window, tmp_path)
    n = len(window.doc.project.mappings)
    window.load(Project(), None)
    dialogs.files.append(path)
    window.files.import_segment_dialog()
    assert not dialogs.asked and len(window.doc.project.mappings) == n
    assert f"{n} added" in window.statusBar().currentMessage()


def test_send_test_of_a_disabled_mapping_says_so(demo_window: Any, run: Any, dialogs: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    w.doc.set_enabled(m.id, False)
    settle(run, w)
    assert w.preview.send_button.text() == "Send test (mapping disabled)…"
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    title, text = dialogs.asked[-1]
    assert "Segment would not run this mapping" in title and "disabled" in text
    assert "Sent although the mapping is disabled" in w.preview.outcome.text()


def test_duplicating_twice_gives_distinct_copy_names(demo_window: Any) -> None:
    w = demo_window
    m = w.doc.project.mappings[0]
    first = w.doc.duplicate_mapping(m.id)
    second = w.doc.duplicate_mapping(m.id)
    assert first is not None and second is not None
    assert (first.name, second.name) == (f"{m.name} (copy)", f"{m.name} (copy 2)")


def test_no_check_or_send_while_the_sample_event_is_not_valid_json(
    demo_window: Any, run: Any, dialogs: Any
) -> None:
    """The preview keeps using the last valid event; a send must not act on text no longer shown."""
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert w.preview.send_button.isEnabled()
    w.event_editor.set_text(w.event_editor.text.toPlainText() + " oops")
    settle(run, w)
    assert not w.preview.send_button.isEnabled() and not w.preview.check_button.isEnabled()
    assert "sample event" in w.preview.send_button.statusTip()
    w.preview.ask_send()
    w.preview.check()
    settle(run, w)
    assert not dialogs.asked and w.preview.last_run is None


# -- Import brings the destination settings, name and samples of a whole export ---------------------


def _demo_export(tmp_path: Any) -> tuple[Any, str]:
    """The demo project and its `export --format segment` file (core export_text)."""
    from pipedrive_gui.core.segment_io import export_text
    from pipedrive_gui.gui.app import demo_project

    project = demo_project()
    path = tmp_path / "demo.segment.json"
    path.write_text(export_text(project, "segment"), encoding="utf-8")
    return project, str(path)


def _own_project(window: Any, run: Any) -> Any:
    """The demo's mappings with this project's own name, default destination settings and one sample."""
    from dataclasses import replace

    from pipedrive_gui.core.project import DestinationDefaults, SampleEvent
    from pipedrive_gui.gui.app import demo_project

    own = replace(
        demo_project(),
        name="Our own project",
        destination=DestinationDefaults(domain="ours"),
        samples=[SampleEvent("Ours", {"type": "track", "event": "Ours"})],
    )
    window.load(own, None)
    settle(run, window)
    return own


def _state(window: Any) -> tuple[Any, ...]:
    p = window.doc.project
    return (p.name, list(p.mappings), p.destination, list(p.samples))


def test_import_into_an_empty_project_takes_destination_name_and_samples(
    window: Any, run: Any, tmp_path: Any, dialogs: Any
) -> None:
    from pipedrive_gui.core.project import Project

    demo, path = _demo_export(tmp_path)
    window.load(Project(), None)
    before = _state(window)
    steps = window.doc.undo_stack.count()
    dialogs.files.append(path)
    window.files.import_segment_dialog()
    settle(run, window)
    p = window.doc.project
    assert not dialogs.asked
    assert p.destination == demo.destination and p.name == demo.name and p.samples == demo.samples
    assert [(m.name, m.trigger, m.settings) for m in p.mappings] == [
        (m.name, m.trigger, m.settings) for m in demo.mappings
    ]
    assert demo.name in window.windowTitle()
    assert "took the destination settings" in window.statusBar().currentMessage()
    assert window.doc.undo_stack.count() == steps + 1
    window.doc.undo_stack.undo()
    assert _state(window) == before and demo.name not in window.windowTitle()


def test_import_replace_all_takes_destination_name_and_samples_as_one_undo_step(
    window: Any, run: Any, tmp_path: Any, dialogs: Any
) -> None:
    demo, path = _demo_export(tmp_path)
    _own_project(window, run)
    before = _state(window)
    steps = window.doc.undo_stack.count()
    dialogs.files.append(path)
    dialogs.answers.append("replace")
    window.files.import_segment_dialog()
    settle(run, window)
    p = window.doc.project
    assert p.destination == demo.destination and p.name == demo.name and p.samples == demo.samples
    assert len(p.mappings) == len(demo.mappings)
    summary = dialogs.infos[-1][1]
    assert "the destination settings" in summary and "the project name" in summary
    assert f"{len(demo.samples)} sample event(s)" in summary
    assert window.doc.undo_stack.count() == steps + 1
    window.doc.undo_stack.undo()
    assert _state(window) == before


def test_import_update_keeps_the_projects_settings_and_says_the_files_differ(
    window: Any, run: Any, tmp_path: Any, dialogs: Any
) -> None:
    import json
    from pathlib import Path

    _demo, path = _demo_export(tmp_path)
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data["subscriptions"][0]["trigger"] += ' and properties.source = "shop"'
    Path(path).write_text(json.dumps(data), encoding="utf-8")
    own = _own_project(window, run)
    before = _state(window)
    steps = window.doc.undo_stack.count()
    dialogs.files.append(path)
    dialogs.answers.append("update")
    window.files.import_segment_dialog()
    settle(run, window)
    p = window.doc.project
    assert (p.name, p.destination, p.samples) == (own.name, own.destination, own.samples)
    assert p.mappings[0].trigger.endswith('properties.source = "shop"')
    summary = dialogs.infos[-1][1]
    assert "1 updated" in summary
    assert (
        "destination settings in “demo.segment.json” differ from this project's, which were kept" in summary
    )
    assert "destination settings differ" in window.statusBar().currentMessage()
    assert window.doc.undo_stack.count() == steps + 1
    window.doc.undo_stack.undo()
    assert _state(window) == before
