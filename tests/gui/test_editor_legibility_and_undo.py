"""Reading and undoing in the mapping editor, each checked the way a user notices it: the
value-mode drop-down shows its longest entry whole (also inside a custom-field row), custom-field
hash keys in the payload are named beside it (legend + tooltip) without changing the payload text, and Edit › Undo says what it
undoes and does what Ctrl+Z does where the user is typing."""

from __future__ import annotations

import json
from typing import Any

from tests.gui.conftest import select_mapping, settle


def test_value_mode_combo_shows_its_longest_entry_even_in_a_custom_field_row(
    demo_window: Any, run: Any
) -> None:
    from pipedrive_gui.gui.custom_fields_editor import CustomFieldsEditor
    from pipedrive_gui.gui.field_editor import MODE_ADVANCED, MODE_CUSTOM, FieldValueEditor

    w = demo_window
    select_mapping(w, "createUpdatePerson")
    settle(run, w)
    w.resize(1000, 700)  # a narrow window squeezes the custom-field rows the most
    run.sleep(0.05)
    custom = w.mapping_editor.field_editors["custom_fields"]
    assert custom.current_mode() == MODE_CUSTOM
    editors = [e for e in w.mapping_editor.findChildren(FieldValueEditor) if e.isVisible()]
    inner = [row[1] for row in custom.editor(MODE_CUSTOM).rows]
    assert inner and isinstance(custom.editor(MODE_CUSTOM), CustomFieldsEditor)
    for editor in editors:
        combo = editor.mode
        longest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
        assert combo.width() >= longest + 20, (editor.field.label, combo.width(), longest)
    # ... without making the form wider than its column (no sideways scrolling at the usual size).
    w.resize(1360, 840)
    run.sleep(0.05)
    assert w.mapping_editor.widget().minimumSizeHint().width() <= w.mapping_editor.viewport().width()
    adv = next(e for e in inner if e.current_mode() == MODE_ADVANCED)
    assert adv.mode.currentText() == "Advanced (mapping kit)"
    assert adv.mode.width() >= adv.mode.fontMetrics().horizontalAdvance("Advanced (mapping kit)") + 20


def test_custom_field_keys_in_the_payload_are_named_beside_it(demo_window: Any, run: Any) -> None:
    w = demo_window
    select_mapping(w, "createUpdatePerson")
    settle(run, w)
    p = w.preview
    payload_text = p.payload_view.toPlainText()
    payload = json.loads(payload_text)
    key = payload["match_field"]
    assert len(key) == 40
    # The copied text is exactly Segment's payload: no label inside it.
    assert payload_text == p.result.payload_json and "Segment user ID" not in payload_text
    assert p.key_legend.isVisible()
    legend = p.key_legend.text()
    assert f"{key[:8]}…</code> = Segment user ID" in legend
    for ck in payload["custom_fields"]:
        assert ck[:8] in legend

    # Hovering the key in the payload names the field.
    doc = p.payload_view.document()
    cursor = doc.find(key)
    cursor.setPosition(cursor.selectionStart() + 5)
    rect = p.payload_view.cursorRect(cursor)
    assert p.key_tooltip_at(rect.center()) == "Pipedrive custom field “Segment user ID”"
    cursor = doc.find('"name"')
    rect = p.payload_view.cursorRect(cursor)
    assert p.key_tooltip_at(rect.center()) == ""


def test_key_legend_asks_to_connect_without_a_field_catalog() -> None:
    from pipedrive_gui.gui.custom_key_legend import legend_html

    text = json.dumps({"match_field": "52d19da55d7099e586a31be618830bcd5c239d54", "name": "x"})
    assert "connect to Pipedrive" in legend_html(text, None)
    assert legend_html('{"name": "x"}', None) == ""


def test_edit_undo_says_what_it_undoes_and_save_to_project_is_one_step(
    demo_window: Any, run: Any, qtbot: Any
) -> None:
    w = demo_window
    ev, undo = w.event_editor, w.menus.undo_action
    before_samples = list(w.doc.project.samples)
    ev.choose("(built-in)")
    w.activateWindow()
    ev.text.setFocus()
    focus = {"widget": ev.text}  # offscreen platforms may not give focus; tell the actions instead
    w.menus.undo_redo.focus_widget = lambda: focus["widget"]
    # Typing in the box: Edit › Undo undoes the typing (like Ctrl+Z there) and says so.
    ev.text.moveCursor(ev.text.textCursor().MoveOperation.End)
    ev.text.insertPlainText(" ")
    assert undo.isEnabled() and undo.text().replace("&", "") == "Undo typing in the sample event"
    steps = w.doc.undo_stack.count()
    undo.trigger()
    assert ev.is_pristine() and w.doc.undo_stack.count() == steps
    # Save to project is one project step; the menu names it, also while the box has focus.
    ev.save_to_project()
    assert len(w.doc.project.samples) == len(before_samples) + 1
    ev.text.document().clearUndoRedoStacks()
    w.menus.undo_redo.update()
    assert undo.text().replace("&", "").startswith("Undo Save sample “")
    undo.trigger()
    assert w.doc.project.samples == before_samples
    # Away from the box, Undo is the project's step again.
    focus["widget"] = w.mapping_list
    w.mapping_list.duplicate()
    w.menus.undo_redo.update()
    assert "Duplicate" in undo.text()
    assert undo.text().replace("&", "") == "Undo " + w.doc.undo_stack.undoText()


def test_a_long_event_path_can_be_read_whole_in_its_tooltip(demo_window: Any, run: Any) -> None:
    from pipedrive_gui.gui.field_editor import MODE_PATH, PathEditor

    w = demo_window
    select_mapping(w, "createUpdateDeal")
    settle(run, w)
    paths = [
        e.editor(MODE_PATH)
        for e in w.mapping_editor.field_editors.values()
        if e.current_mode() == MODE_PATH and isinstance(e.editor(MODE_PATH), PathEditor)
    ]
    assert paths
    for editor in paths:
        assert editor.line.toolTip() == editor.line.text()
    editor = paths[0]
    long_path = "$.properties.deal.pipeline_stage.expected_close_date_in_the_customers_timezone"
    editor.line.setText(long_path)
    assert editor.line.toolTip() == long_path
    assert editor.line.fontMetrics().horizontalAdvance(long_path) > editor.line.width()  # it does not fit
