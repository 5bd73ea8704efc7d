"""End-to-end flows a user goes through, against the in-process sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipedrive_gui.gui.custom_fields_editor import CustomFieldsEditor
from pipedrive_gui.gui.field_editor import MODE_ADVANCED, MODE_CUSTOM, MODE_PATH
from tests.gui.conftest import select_mapping, settle


def _select(window: Any, name_part: str) -> Any:
    m = next(m for m in window.doc.project.mappings if name_part in m.name)
    window.mapping_list.select(m.id)
    return m


def test_demo_opens_with_mappings_sample_and_live_preview(demo_window: Any) -> None:
    w = demo_window
    assert w.mapping_list.model.rowCount() == len(w.doc.project.mappings) >= 6
    assert w.event_editor.current_event() is not None
    assert "fires" in w.preview.trigger_indicator.text()
    assert w.preview.result is not None and w.preview.result.payload is not None
    assert "Offline sandbox" in w.status.account.text()
    assert "fetched" in w.status.catalog.text()
    assert "Keyring" in w.status.keyring.text() or "Token kept" in w.status.keyring.text()


def test_organization_dry_run_then_send_shows_link(
    demo_window: Any, run: Any, services: Any, dialogs: Any
) -> None:
    w = demo_window
    _select(w, "Companies")
    settle(run, w)
    assert w.preview.result.payload.ok
    assert w.preview.check_button.isEnabled()
    w.preview.check_button.click()
    settle(run, w)
    assert w.preview.last_run.outcome == "create"
    assert "Would create organization" in w.preview.outcome.text()
    before = (
        len(services.connection.sandbox.state.requests)
        if hasattr(services.connection.sandbox.state, "requests")
        else None
    )

    opened: list[str] = []
    w.preview.open_url = opened.append
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    assert dialogs.asked and "Send test" in dialogs.asked[-1][0]
    result = w.preview.last_run
    assert result.outcome == "create" and result.link
    assert "Open in Pipedrive" in w.preview.outcome.text()
    assert all(c.status for c in result.calls if c.sent)
    w.preview.outcome.linkActivated.emit(result.link)
    assert opened == [result.link]
    if before is not None:
        assert len(services.connection.sandbox.state.requests) > before


def test_send_is_not_done_when_the_user_cancels(demo_window: Any, run: Any, dialogs: Any) -> None:
    w = demo_window
    _select(w, "Companies")
    settle(run, w)
    dialogs.answers.append("cancel")
    w.preview.ask_send()
    settle(run, w)
    assert w.preview.last_run is None


def test_new_mapping_from_preset_and_custom_match_field_by_label(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = w.mapping_list.new_from_preset("Create or Update a Person")
    settle(run, w)
    assert w.mapping_editor.mapping_id == m.id
    editor = w.mapping_editor.field_editors["match_field"]
    editor.set_mode("static")
    combo = editor.editor().combo
    catalog = w.connection.catalog
    target = next(f for f in catalog.fields("person") if f.is_custom and f.searchable)
    index = next(i for i in range(combo.count()) if combo.itemText(i).startswith(target.label))
    combo.setCurrentIndex(index)
    settle(run, w)
    stored = w.doc.mapping(m.id).settings["match_field"]
    assert stored == target.key and len(stored) == 40
    # Non-searchable fields are listed but disabled, with the reason.
    model = combo.model()
    disabled = [i for i in range(combo.count()) if not model.item(i).isEnabled()]
    assert disabled
    assert "Cannot be a match field" in combo.itemData(disabled[0], 3)  # ToolTipRole
    # Undo puts the previous match field back.
    w.doc.undo_stack.undo()
    assert w.doc.mapping(m.id).settings.get("match_field") != target.key


def test_custom_fields_rows_choose_by_label(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = _select(w, "People")
    settle(run, w)
    editor = w.mapping_editor.field_editors["custom_fields"]
    assert editor.current_mode() == MODE_CUSTOM
    custom: CustomFieldsEditor = editor.editor()
    n = len(custom.rows)
    custom.add_button.click()
    settle(run, w)
    combo, value_editor, _, _ = custom.rows[-1]
    key = combo.currentData()
    assert key and key not in m.settings.get("custom_fields", {})
    value_editor.set_mode(MODE_PATH)
    value_editor.editor().line.setText("$.traits.title")
    value_editor.editor().edited.emit()
    settle(run, w)
    assert w.doc.mapping(m.id).settings["custom_fields"][key] == {"@path": "$.traits.title"}
    assert len(custom.rows) == n + 1


def test_paste_event_updates_payload(demo_window: Any, run: Any) -> None:
    w = demo_window
    _select(w, "Companies")
    settle(run, w)
    event = dict(w.event_editor.current_event())
    event["traits"] = dict(event.get("traits", {}), name="Pasted Company Ltd")
    w.event_editor.set_text(json.dumps(event))
    settle(run, w)
    assert "Pasted Company Ltd" in w.preview.payload_view.toPlainText()


def test_path_picker_lists_paths_with_values(demo_window: Any, run: Any, qtbot: Any) -> None:
    from pipedrive_gui.gui.path_picker import PathPicker

    w = demo_window
    picked: list[str] = []
    picker = PathPicker(w, w.event_editor.current_event(), picked.append)
    qtbot.addWidget(picker)
    picker.search.setText("email")
    assert picker.proxy.rowCount() >= 1
    first = picker.proxy.index(0, 0)
    assert "email" in picker.proxy.data(first)
    assert "@" in picker.proxy.data(picker.proxy.index(0, 1))
    picker._pick_first()
    assert picked and picked[0].startswith("$.") and "email" in picked[0]


def test_export_segment_terraform_and_checklist_without_secret(
    demo_window: Any, run: Any, tmp_path: Path, dialogs: Any
) -> None:
    w = demo_window
    token = w.connection.sandbox.token
    for kind, name in (("segment", "out.json"), ("terraform", "out.tf"), ("checklist", "out.md")):
        target = tmp_path / name
        dialogs.files.append(str(target))
        w.files.export_dialog(kind)
        text = target.read_text(encoding="utf-8")
        assert text.strip()
        assert token not in text
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    subscriptions = data["subscriptions"]
    assert len(subscriptions) == len(w.doc.project.mappings)
    assert all("actionId" in d and "trigger" in d for d in subscriptions)
    assert data["destination"]["settings"]["personField"] == w.doc.project.destination.person_field
    # Import the export back as copies: the mappings are added (undoably), marked as copies.
    dialogs.files.append(str(tmp_path / "out.json"))
    dialogs.answers.append("copy")
    n = len(w.doc.project.mappings)
    w.files.import_segment_dialog()
    assert len(w.doc.project.mappings) == 2 * n
    assert all(m.name.endswith("(copy)") for m in w.doc.project.mappings[n:])
    w.doc.undo_stack.undo()
    assert len(w.doc.project.mappings) == n


def test_trigger_builder_round_trip_and_indicator(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = _select(w, "Companies")
    settle(run, w)
    tb = w.mapping_editor.trigger
    assert tb.rows and tb.representable
    tb.add_condition()
    row = tb.rows[-1]
    row.kind.setCurrentIndex(row.kind.findData("event-trait"))
    row.name.setText("industry")
    row.name.textEdited.emit("industry")
    row.value.setEditText("Nothing like this")
    settle(run, w)
    fql = w.doc.mapping(m.id).trigger
    assert 'traits.industry = "Nothing like this"' in fql
    assert tb.fql.text() == fql
    assert "does not fire" in w.preview.trigger_indicator.text()
    assert "industry" in w.preview.trigger_indicator.text()
    # Any of → or
    tb.match.setCurrentIndex(tb.match.findData("any"))
    settle(run, w)
    assert " or " in w.doc.mapping(m.id).trigger
    assert "fires" in w.preview.trigger_indicator.text()


def test_mapping_list_rename_duplicate_delete_move_undo(demo_window: Any, run: Any) -> None:
    w = demo_window
    doc = w.doc
    first = doc.project.mappings[0]
    w.mapping_list.select(first.id)
    w.mapping_list.duplicate()
    assert doc.project.mappings[1].name.endswith("(copy)")
    copy_id = doc.project.mappings[1].id
    w.mapping_list.model.setData(w.mapping_list.model.index(1, 0), "Renamed copy")
    assert doc.mapping(copy_id).name == "Renamed copy"
    w.mapping_list.select(copy_id)
    w.mapping_list.move_selected(-1)
    assert doc.project.mappings[0].id == copy_id
    w.mapping_list.model.setData(w.mapping_list.model.index(0, 0), 0, 10)  # CheckStateRole, unchecked
    assert doc.mapping(copy_id).enabled is False
    w.mapping_list.delete()
    assert doc.mapping(copy_id) is None
    for _ in range(3):  # delete, disable, move
        doc.undo_stack.undo()
    assert [m.id for m in doc.project.mappings][:2] == [first.id, copy_id]
    assert doc.mapping(copy_id).enabled and doc.mapping(copy_id).name == "Renamed copy"
    doc.undo_stack.undo()
    assert doc.mapping(copy_id).name.endswith("(copy)")
    doc.undo_stack.undo()
    assert doc.mapping(copy_id) is None
    for _ in range(5):
        doc.undo_stack.redo()
    assert doc.mapping(copy_id) is None


def test_save_open_and_unsaved_prompt(demo_window: Any, run: Any, tmp_path: Path, dialogs: Any) -> None:
    w = demo_window
    target = tmp_path / "mine.pipedrive-map.json"
    dialogs.files.append(str(target))
    w.files.save()
    assert target.exists() and not w.doc.dirty
    w.mapping_list.new_from_action("createUpdateNote")
    assert w.doc.dirty
    dialogs.answers.append("cancel")
    w.files.new_project()
    assert dialogs.asked[-1][0] == "Unsaved changes"
    assert len(w.doc.project.mappings) > 0  # cancel kept everything
    dialogs.answers.append("discard")
    dialogs.files.append(str(target))
    w.files.open_dialog()
    assert w.doc.path == target and not w.doc.dirty
    assert not any(
        m.action == "createUpdateNote" and m.name.startswith("Create or update a Note")
        for m in w.doc.project.mappings
        if m.id not in {x.id for x in w.doc.project.mappings[:6]}
    )
    assert str(target) in w.files.recent()


def test_advanced_expression_is_validated_as_you_type(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = _select(w, "Companies")
    settle(run, w)
    editor = w.mapping_editor.field_editors["name"]
    editor.set_mode(MODE_ADVANCED)
    adv = editor.editor()
    adv.text.setPlainText(
        '{"@if": {"exists": {"@path": "$.traits.name"}, "then": {"@path": "$.traits.name"},'
        ' "else": "Unnamed"}}'
    )
    settle(run, w)
    assert adv.valid
    assert w.doc.mapping(m.id).settings["name"]["@if"]["else"] == "Unnamed"
    # A bad directive is reported, the text kept, and the last good value still used.
    bad = '{"@pathh": "$.traits.name"}'
    adv.text.setPlainText(bad)
    settle(run, w)
    assert not adv.valid and adv.problem.isVisible()
    assert "reject" in adv.problem.text()
    assert adv.text.toPlainText() == bad
    assert w.doc.mapping(m.id).settings["name"]["@if"]["else"] == "Unnamed"
    adv.text.setPlainText('{"@path": "$.traits.name"')
    assert "line 1" in adv.problem.text() and "JSON" in adv.problem.text()


def test_activity_types_come_from_the_account(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdateActivity")
    settle(run, w)
    editor = w.mapping_editor.field_editors["type"]
    editor.set_mode("static")
    combo = editor.editor().combo
    keys = [combo.itemData(i) for i in range(combo.count())]
    expected = [t.key_string for t in w.connection.catalog.active_activity_types()]
    assert expected and set(expected) <= set(keys)
    combo.setCurrentIndex(keys.index(expected[0]))
    settle(run, w)
    assert w.doc.mapping(m.id).settings["type"] == expected[0]


def test_ctrl_enter_checks_in_pipedrive(demo_window: Any, run: Any, qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert any(s.toString() == "Ctrl+Return" for s in w.menus.check_action.shortcuts())
    w.activateWindow()
    qtbot.keyClick(w.mapping_list.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    if w.preview.last_run is None and not w.runner.running("pipedrive"):
        w.menus.check_action.trigger()  # offscreen platforms may not route window shortcuts
    settle(run, w)
    assert w.preview.last_run is not None and w.preview.last_run.mode == "dry_run"


def test_close_with_unsaved_changes_asks_and_can_cancel(
    demo_window: Any, run: Any, dialogs: Any, qapp: Any
) -> None:
    qapp.setQuitOnLastWindowClosed(False)  # as app.py does: the loop decides when to stop
    w = demo_window
    w._close_confirmed = False
    w.mapping_list.new_from_action("createUpdateLead")
    dialogs.answers.append("cancel")
    w.close()
    assert w.isVisible() and dialogs.asked[-1][0] == "Unsaved changes"
    dialogs.answers.append("discard")
    w.close()
    run.until(lambda: not w.isVisible(), what="the window closes")


def test_local_receiver_docks_and_feeds_the_sample_event(demo_window: Any, run: Any) -> None:
    w = demo_window
    w.toggle_receiver()
    assert w.receiver_placement.dock is not None and w.receiver_placement.dock.isVisible()
    w.use_as_sample({"type": "track", "event": "Deal Upserted", "userId": "from-receiver"})
    settle(run, w)
    assert "from-receiver" in w.event_editor.text.toPlainText()
    w.toggle_receiver()
    assert not w.receiver_placement.dock.isVisible()
    run(w.shutdown())
