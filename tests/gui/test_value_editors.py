"""Value editors per field type, and what they store in the mapping (which editor shows a stored value
is tested without a display in tests/core/test_field_values.py)."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.gui.field_editor import MODE_STATIC, MODE_TEMPLATE, MODE_UNSET
from tests.gui.conftest import select_mapping, settle


def test_static_values_by_type(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdateDeal")
    settle(run, w)
    eds = w.mapping_editor.field_editors
    # number
    eds["probability"].set_mode(MODE_STATIC)
    line = eds["probability"].editor().line
    line.setText("75")
    line.textEdited.emit("75")
    # choice (Segment's fixed list)
    eds["status"].set_mode(MODE_STATIC)
    combo = eds["status"].editor().combo
    combo.setCurrentIndex(combo.findData("won"))
    # datetime
    eds["add_time"].set_mode(MODE_STATIC)
    # template
    eds["title"].set_mode(MODE_TEMPLATE)
    tline = eds["title"].editor().line
    tline.setText("Deal {{properties.deal_id}}")
    tline.textEdited.emit(tline.text())
    settle(run, w)
    s = w.doc.mapping(m.id).settings
    assert s["probability"] == 75
    assert s["status"] == "won"
    assert isinstance(s["add_time"], str) and s["add_time"][:2] == "20"
    assert s["title"] == {"@template": "Deal {{properties.deal_id}}"}
    payload = w.preview.result.payload.payload
    assert payload["status"] == "won" and payload["probability"] == 75
    assert payload["title"].startswith("Deal ")
    # boolean (Activity "Done")
    m2 = select_mapping(w, "createUpdateActivity")
    settle(run, w)
    done = w.mapping_editor.field_editors["done"]
    done.set_mode(MODE_STATIC)
    done.editor().check.setChecked(True)
    settle(run, w)
    assert w.doc.mapping(m2.id).settings["done"] is True
    # Not set removes the key.
    done.set_mode(MODE_UNSET)
    settle(run, w)
    assert "done" not in w.doc.mapping(m2.id).settings


def test_typing_merges_into_one_undo_step(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    line = w.mapping_editor.field_editors["name"].editor().line
    before = w.doc.undo_stack.count()
    for text in ("$.traits.n", "$.traits.na", "$.traits.nam"):
        line.setText(text)
        line.textEdited.emit(text)
    assert w.doc.undo_stack.count() == before + 1
    w.doc.undo_stack.undo()
    assert w.doc.mapping(m.id).settings["name"] == {"@path": "$.traits.name"}
    assert line.text() == "$.traits.name"  # the editor shows the undone value


def test_save_sample_to_project_is_undoable(demo_window: Any, run: Any) -> None:
    w = demo_window
    n = len(w.doc.project.samples)
    assert w.event_editor.choose("(built-in)")
    built_in = w.event_editor.library.currentText()
    w.event_editor.save_to_project()
    assert len(w.doc.project.samples) == n + 1
    assert "(this project)" in w.event_editor.library.currentText()
    w.doc.undo_stack.undo()
    assert len(w.doc.project.samples) == n
    # The drop-down names the entry the event in the editor came from, not some other sample.
    assert w.event_editor.library.currentText() == built_in
    w.doc.undo_stack.redo()
    assert "(this project)" in w.event_editor.library.currentText()


def test_pretty_print(demo_window: Any) -> None:
    ed = demo_window.event_editor
    ed.set_text('{"type":"track","event":"X","properties":{"a":1}}')
    ed.pretty_print()
    assert ed.text.toPlainText().startswith('{\n  "type": "track"')


def test_selecting_a_mapping_never_replaces_a_pasted_event(demo_window: Any, run: Any) -> None:
    w = demo_window
    pasted = '{"type": "track", "event": "Something else", "userId": "u-9"}'
    w.event_editor.set_text(pasted)
    for m in w.doc.project.mappings:
        w.mapping_list.select(m.id)
        settle(run, w)
    assert w.event_editor.text.toPlainText() == pasted


def test_an_advanced_expressions_problem_is_underlined_where_it_is(qapp: Any) -> None:
    from PySide6.QtGui import QTextCharFormat

    from pipedrive_gui.core.actions import get_action
    from pipedrive_gui.gui.expression_editor import AdvancedEditor

    field = get_action("createUpdatePerson").field("name")
    assert field is not None
    editor = AdvancedEditor(field)
    editor.set_value({"@if": {"exists": {"@path": "$.a"}, "then": {"@path": "$.b"}, "else": "x"}})
    assert editor.valid and not editor.problem.text()
    # The third "@path" is at fault: the underline starts there, not at the first one.
    text = editor.text.toPlainText().replace('"else": "x"', '"else": {"@path": 7}')
    editor.text.setPlainText(text)
    assert not editor.valid and "should be a string" in editor.problem.text()
    assert editor.value()["@if"]["else"] == "x"  # the last valid expression is kept
    line = next(i for i, row in enumerate(text.split("\n")) if '"@path": 7' in row)
    block = editor.text.document().findBlockByNumber(line)
    wavy = QTextCharFormat.UnderlineStyle.WaveUnderline
    underlined = [f.start for f in block.layout().formats() if f.format.underlineStyle() == wavy]
    assert underlined and min(underlined) == block.text().index('"@path"')
    for other in range(editor.text.document().blockCount()):
        if other != line:
            formats = editor.text.document().findBlockByNumber(other).layout().formats()
            assert all(f.format.underlineStyle() != wavy for f in formats)
