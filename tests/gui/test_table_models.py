"""The list-backed tables (Problems, Impact runs, Test records, the Send test calls, the path
picker) share one base model: each passes Qt's model checks, and none of them fails on a header
section that is not one of its columns (Qt asks for those, e.g. while a header is resized)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from pipedrive_gui.core.impact import EventRun
from pipedrive_gui.core.lint.model import Finding
from pipedrive_gui.gui.impact_panel import ImpactRunsModel
from pipedrive_gui.gui.path_picker import EventPathsModel
from pipedrive_gui.gui.preview_panel import CallsModel
from pipedrive_gui.gui.problems_panel import ProblemsModel
from pipedrive_gui.gui.table_models import ListTableModel
from pipedrive_gui.gui.test_records_view import TestRecordsModel
from pipedrive_gui.pipedrive.engine import CallRecord
from pipedrive_gui.pipedrive.ledger import LedgerEntry
from pipedrive_gui.pipedrive.test_records import TestRecord


def _record(record_id: str, name: str) -> TestRecord:
    entry = LedgerEntry(
        rowid=int(record_id),
        account="acme",
        entity="person",
        record_id=record_id,
        name=name,
        state="created",
        mapping="People",
        source="send_test",
        test=True,
        match_field="email",
        match_value=f"{name.lower()}@example.com",
        created_at=1_700_000_000.0,
        updated_at=1_700_000_000.0,
        note=None,
    )
    return TestRecord(entry, link=f"https://acme.pipedrive.com/person/{record_id}")


def _filled(kind: str) -> ListTableModel[Any]:
    if kind == "problems":
        problems = ProblemsModel()
        problems.set_findings(
            [
                Finding("r1", "error", "Bad match.", "Pick another.", "m1", "People", "match_field", "Match"),
                Finding("r2", "warning", "Limit.", "Fewer mappings."),
            ]
        )
        return problems
    if kind == "impact":
        runs = ImpactRunsModel()
        runs.set_runs(
            [
                EventRun(
                    1, "msg-1", "m1", "People", "createUpdatePerson", "person", "create", "Would create"
                ),
                EventRun(2, "msg-2", "m1", "People", "createUpdatePerson", "person", "fail", "Would fail"),
            ]
        )
        return runs
    if kind == "test records":
        records = TestRecordsModel()
        records.set_records([_record("1", "Jane"), _record("2", "John")])
        return records
    if kind == "calls":
        calls = CallsModel()
        calls.set_calls([CallRecord("POST", "/api/v2/persons", None, {"name": "x"}, "create person")])
        return calls
    paths = EventPathsModel()
    paths.set_event({"type": "track", "properties": {"plan": "pro"}})
    return paths


KINDS = ["problems", "impact", "test records", "calls", "paths"]


@pytest.mark.parametrize("kind", KINDS)
def test_list_tables_pass_the_model_checks_and_ignore_unknown_header_sections(
    kind: str, qtmodeltester: Any, qapp: Any
) -> None:
    model = _filled(kind)
    # Qt's own tester: the Python one wants text in DisplayRole, where the Impact table shows
    # counts as numbers.
    qtmodeltester.check(model)
    columns = model.columnCount()
    assert columns == len(model.HEADERS) > 0 and model.rowCount() > 0
    assert model.headerData(0, Qt.Orientation.Horizontal) == model.HEADERS[0]
    for section in (-1, columns, columns + 5):
        assert model.headerData(section, Qt.Orientation.Horizontal) is None
    assert model.data(model.index(model.rowCount(), 0)) is None  # past the last row: nothing
    model.set_rows([])
    assert model.rowCount() == 0 and model.row_at(0) is None


def test_test_records_keep_the_tick_of_records_still_listed(qapp: Any) -> None:
    model = TestRecordsModel()
    jane, john, jim = _record("1", "Jane"), _record("2", "John"), _record("3", "Jim")
    model.set_records([jane, john])
    model.set_checked(0, True)
    model.set_checked(1, True)
    model.set_records([jane, jim])  # John was deleted elsewhere: his tick goes with him
    assert model.checked_records() == [jane]
    assert (
        model.index(0, TestRecordsModel.RECORD).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    )
    assert (
        model.index(1, TestRecordsModel.RECORD).data(Qt.ItemDataRole.CheckStateRole)
        == Qt.CheckState.Unchecked
    )
    model.set_records([john])  # John is back, but unticked
    assert model.checked_records() == []
