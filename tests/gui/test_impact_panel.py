"""The Impact panel against the in-process sandbox: run, chart, table, detail, CSV, compare, cancel."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

from pipedrive_gui.core.project import save_project
from pipedrive_gui.resources import resource_path
from tests.gui.conftest import DialogRecorder, Runner

CORPUS = resource_path("events", "corpus.jsonl").read_text("utf-8").splitlines()


def _events_file(tmp_path: Path, n: int = 24) -> str:
    """The first ``n`` corpus events; 24 need 7 searches, which Pipedrive's search limit (10 per 2 s on
    every plan) lets through without pacing."""
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(CORPUS[:n]) + "\n", encoding="utf-8")
    return str(path)


def _open_panel(window: Any) -> Any:
    window.menus.impact_action.trigger()
    assert window.impact_dock is not None and window.impact_dock.isVisible()
    return window.impact_panel


def _run_to_end(run: Runner, panel: Any) -> Any:
    before = panel.result
    panel.run_button.click()
    run.until(
        lambda: panel.result is not before and panel.run_button.isEnabled(), timeout=60, what="impact run"
    )
    return panel.result


def test_run_over_a_file_chart_table_detail_and_csv(
    demo_window: Any, run: Runner, tmp_path: Path, dialogs: DialogRecorder
) -> None:
    panel = _open_panel(demo_window)
    dialogs.files.append(_events_file(tmp_path))
    panel.set_source("file")
    panel.choose_button.click()
    assert panel.file_label.text() == "events.jsonl"
    result = _run_to_end(run, panel)
    report = result.report
    assert report.events == 24
    # Progress was shown, phase by phase, up to every distinct lookup.
    phases = [p for p, _, _ in panel.progress_seen]
    assert phases[0] == "prepare" and "lookups" in phases and phases[-1] == "simulate"
    assert ("lookups", report.lookups, report.lookups) in panel.progress_seen
    assert not panel.progress.isVisible()
    # The chart has a bar per mapping with the report's counts; the table a row per run.
    assert [s.mapping for s in panel.chart.summaries] == [m.name for m in demo_window.doc.project.mappings]
    assert "create" in panel.chart.toolTip()
    assert panel.model.rowCount() == len(report.runs) > 0
    assert "Cost of sending them" in panel.summary.text() and "Growth plan" in panel.summary.text()
    panel.open_row(0)
    assert "Payload (as Segment computes it)" in panel.detail.toPlainText()
    assert "Calls (" in panel.detail.toPlainText()
    # Filter the table, then export all of it.
    panel.filter.setCurrentIndex(panel.filter.findData("create"))
    assert 0 < panel.model.rowCount() < len(report.runs)
    assert all(r.outcome == "create" for r in panel.model.rows)
    target = tmp_path / "impact.csv"
    dialogs.files.append(str(target))
    panel.export_button.click()
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(report.runs)
    # The budget follows the plan and events a day chosen.
    panel.plan.setCurrentIndex(panel.plan.findData("lite"))
    panel.per_day.setValue(20_000)
    assert "Lite plan's 30,000 tokens a day" in panel.summary.text()
    demo_window.menus.impact_action.trigger()
    assert not demo_window.impact_dock.isVisible()


def test_compare_with_the_saved_project(demo_window: Any, run: Runner, tmp_path: Path) -> None:
    saved = tmp_path / "demo.pipedrive-map.json"
    save_project(demo_window.doc.project, saved)
    demo_window.doc.mark_saved(saved)
    deals = next(m for m in demo_window.doc.project.mappings if m.action == "createUpdateDeal")
    edited = copy.deepcopy(deals)
    edited.settings["title"] = {"@path": "$.properties.no_such_title"}
    demo_window.doc.edit_mapping(edited, "Title from nowhere")
    panel = _open_panel(demo_window)
    panel.set_source("file", _events_file(tmp_path))
    panel.compare.setChecked(True)
    result = _run_to_end(run, panel)
    assert result.before is not None and result.changes
    assert any(c.mapping == deals.name and c.after == "fail" for c in result.changes)
    assert "Compared with the saved project" in panel.summary.text()
    assert "would now fail" in panel.summary.text()
    assert "required field '…'." in panel.summary.text() and "…." not in panel.summary.text()


def test_cancel_keeps_the_previous_results_and_not_connected(
    demo_window: Any, run: Runner, tmp_path: Path
) -> None:
    panel = _open_panel(demo_window)
    panel.set_source("file", _events_file(tmp_path, 20))
    first = _run_to_end(run, panel)
    panel.set_source("corpus")
    panel.run_button.click()
    run.until(
        lambda: any(p == "lookups" and d >= 1 for p, d, _ in panel.progress_seen),
        timeout=30,
        what="lookups started",
    )
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    panel.cancel_button.click()
    run(demo_window.runner.wait_idle())
    assert panel.result is first and panel.model.rowCount() == len(first.report.runs)
    assert panel.status.text().startswith("Cancelled") and panel.run_button.isEnabled()
    run(demo_window.connection.close_connection())
    panel.run_button.click()
    assert "Connect to Pipedrive" in panel.status.text()


def test_mapping_list_shows_each_mappings_cost_per_event(window: Any) -> None:
    from PySide6.QtCore import Qt

    from pipedrive_gui.gui.app import demo_project
    from pipedrive_gui.gui.mapping_list import MappingListModel

    window.load(demo_project(), None)
    model = window.mapping_list.model
    rows = {m.action: model.index(i, 0) for i, m in enumerate(window.doc.project.mappings)}
    deal = rows["createUpdateDeal"]
    # Person, organization and deal searches (20 tokens each) and one write (5).
    assert model.data(deal, MappingListModel.CostRole) == "≈ 4 API calls · 65 tokens per event"
    assert "Pipedrive cost: ≈ 4 API calls · 65 tokens per event" in model.data(
        deal, Qt.ItemDataRole.ToolTipRole
    )
    assert (
        model.data(rows["createUpdatePerson"], MappingListModel.CostRole)
        == "≈ 2 API calls · 25 tokens per event"
    )
    # An edit is reflected: without the organization and person links, the deal costs one search less each.
    m = copy.deepcopy(next(m for m in window.doc.project.mappings if m.action == "createUpdateDeal"))
    m.settings.pop("organization_match_value", None)
    window.doc.edit_mapping(m, "No organization link")
    assert model.data(deal, MappingListModel.CostRole) == "≈ 3 API calls · 45 tokens per event"
