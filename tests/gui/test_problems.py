"""The Problems list, the marks in the mapping list and the findings beside the fields: live
after an edit, and a click on a problem goes to its mapping and field."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt

from pipedrive_gui.gui.mapping_list import MappingListModel
from tests.gui.conftest import select_mapping, settle

PLAN = "6a0126a15894687c771822a02954494f350d2f5e"


def lint(window: Any) -> Any:
    return window.linter.run_now()


def test_demo_findings_listed_with_the_sandbox_fields(demo_window: Any, run: Any) -> None:
    w = demo_window
    report = lint(w)
    rules = {f.rule for f in report.findings}
    assert rules == {"segment-v1-out-of-support", "segment-v1-custom-field"}
    assert w.problems.model.rowCount() == len(report.findings)
    assert (
        "0 errors" in w.problems.summary.text()
        and "need your Pipedrive fields" not in w.problems.summary.text()
    )
    assert w.problems_button.text().startswith("Problems: 0 errors, 4 warnings")
    # The mapping list marks the mappings with warnings; the others carry no icon.
    model = w.mapping_list.model
    severities = [model.index(r, 0).data(MappingListModel.SeverityRole) for r in range(model.rowCount())]
    assert severities[:3] == ["warning", "warning", "warning"] and severities[3:] == [None, None, None]
    assert not model.index(0, 0).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index(4, 0).data(Qt.ItemDataRole.DecorationRole) is None


def test_an_edit_shows_an_error_beside_its_field_and_in_the_list(demo_window: Any, run: Any) -> None:
    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    settle(run, w)
    settings = copy.deepcopy(m.settings)
    settings["match_field"] = PLAN  # a Single option field: Pipedrive cannot search it
    w.doc.edit_mapping(replace(m, settings=settings), "Edit match field")
    assert w.linter.timer.isActive()  # re-lint is scheduled by the edit...
    run.until(lambda: not w.linter.timer.isActive(), what="lint")  # ...and runs on its own
    label = w.mapping_editor.problem_labels["match_field"]
    assert label.isVisible() and "cannot be searched" in label.text() and "Fix:" in label.text()
    assert w.mapping_list.model.index(0, 0).data(MappingListModel.SeverityRole) == "error"
    assert "1 error" in w.problems_button.text()
    # Undo: the error is gone again.
    w.doc.undo_stack.undo()
    lint(w)
    assert not w.mapping_editor.problem_labels["match_field"].isVisible()


def test_clicking_a_problem_selects_the_mapping_and_focuses_the_field(
    demo_window: Any, run: Any, qtbot: Any
) -> None:
    w = demo_window
    w.show_problems()
    assert w.problems_dock.isVisible()
    report = lint(w)
    deal = next(m for m in w.doc.project.mappings if m.action == "createUpdateDeal")
    row = next(i for i, f in enumerate(report.findings) if f.mapping_id == deal.id)
    w.mapping_list.select(w.doc.project.mappings[0].id)
    index = w.problems.model.index(row, 3)
    w.problems.table.setCurrentIndex(index)
    w.problems.table.activated.emit(index)
    settle(run, w)
    assert w.mapping_list.current_id() == deal.id
    combo = w.mapping_editor.field_editors["custom_fields"].editor("custom").rows[0][0]
    qtbot.waitUntil(lambda: combo.hasFocus() or w.focusWidget() is combo, timeout=2000)
    assert "Lead source" in w.problems.detail.toPlainText() and "Fix:" in w.problems.detail.toPlainText()
    # A destination-level note goes nowhere (there is no mapping to show).
    w.go_to_problem(report.findings[0])
    assert w.mapping_list.current_id() == deal.id


def test_without_pipedrive_fields_the_panel_says_what_is_not_checked(window: Any, run: Any) -> None:
    from pipedrive_gui.gui.app import demo_project

    window.load(demo_project(), None)
    report = lint(window)
    assert [f.rule for f in report.findings] == ["segment-v1-out-of-support"]
    assert "5 checks need your Pipedrive fields" in window.problems.summary.text()


def test_the_event_on_screen_is_checked_too(demo_window: Any, run: Any) -> None:
    w = demo_window
    select_mapping(w, "createUpdatePerson")
    settle(run, w)
    event = dict(w.event_editor.current_event())
    event["userId"] = "USER-1001" if event.get("userId") != "USER-1001" else "user-1001"
    other = dict(event, userId=str(event["userId"]).lower())
    w.doc.set_samples([*w.doc.project.samples[:1], type(w.doc.project.samples[0])("lower", other)], "samples")
    w.event_editor.set_event(event)
    report = lint(w)
    case = [f for f in report.findings if f.rule == "match-case-differs"]
    assert case and "the event on screen" in case[0].events
