"""Send test → Test records → Delete, in the real window against the in-process sandbox.

The ledger rows are the engine's own: every record a Send test creates is recorded by the engine."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.gui.test_records_view import TestRecordsDialog, TestRecordsModel
from pipedrive_gui.pipedrive.ledger import GONE, Ledger
from pipedrive_gui.pipedrive.test_records import ledger_account
from tests.gui.conftest import DialogRecorder, Runner, select_mapping, settle


def ledger_of(services: Any) -> Ledger:
    return Ledger.in_data_dir(services.connection.paths.data)


def send_test(window: Any, run: Runner, services: Any, dialogs: DialogRecorder, action: str) -> Any:
    """Pick the demo's mapping of ``action`` and click Send test… (answering its question)."""
    mapping = select_mapping(window, action)
    settle(run, window)
    dialogs.answers.append("yes")
    window.preview.send_button.click()
    settle(run, window)
    result = window.preview.last_run
    assert result is not None and result.mode == "send" and result.outcome in ("create", "update"), result
    if result.outcome == "create":  # the engine itself recorded it, with the mapping that made it
        recorded = {(e.entity, e.record_id): e for e in ledger_of(services).entries(test_only=True)}
        entry = recorded[(result.entity, str(result.record_id))]
        assert (entry.mapping, entry.source) == (mapping.name, "send_test")
    return result


def open_view(window: Any, run: Runner) -> TestRecordsDialog:
    window.menus.test_records_action.trigger()
    dialog = window.accounts.test_records_dialog
    assert isinstance(dialog, TestRecordsDialog) and dialog.isVisible()
    settle(run, window)
    assert dialog.listing is not None
    return dialog


def rows(dialog: TestRecordsDialog) -> list[list[str]]:
    m = dialog.model
    return [[m.data(m.index(r, c)) for c in range(m.columnCount())] for r in range(m.rowCount())]


def test_send_test_then_test_records_then_delete(
    demo_window: Any, run: Runner, services: Any, dialogs: DialogRecorder
) -> None:
    w = demo_window
    sandbox = services.connection.sandbox
    org = send_test(w, run, services, dialogs, "createUpdateOrganization")
    deal = send_test(w, run, services, dialogs, "createUpdateDeal")
    person = send_test(w, run, services, dialogs, "createUpdatePerson")
    assert (org.outcome, deal.outcome, person.outcome) == ("create", "create", "update")

    dialog = open_view(w, run)
    assert "not undone" in dialog.intro.text() and "the offline sandbox" in dialog.intro.text()
    listed = rows(dialog)
    assert [r[TestRecordsModel.RECORD] for r in listed] == [
        f"Deal #{deal.record_id}",
        f"Organization #{org.record_id}",
    ]
    assert listed[0][TestRecordsModel.NAME] == deal.record_name
    assert listed[0][TestRecordsModel.MAPPING] == "Deals from “Deal Upserted” events"
    assert listed[0][TestRecordsModel.SOURCE] == "Send test"
    assert listed[0][TestRecordsModel.LINK] == deal.link  # the engine's link, as Send test showed it
    assert "2 test records" in dialog.counts.text()
    assert not dialog.delete_button.isEnabled()  # nothing ticked yet

    opened: list[str] = []
    dialog.open_url = opened.append
    dialog.table.clicked.emit(dialog.model.index(0, TestRecordsModel.LINK))
    assert opened == [deal.link]

    dialog.select_all_button.click()
    assert dialog.delete_button.isEnabled() and dialog.delete_button.text() == "&Delete 2 test records…"
    dialogs.answers.append("cancel")
    dialog.delete_button.click()
    settle(run, w)
    assert sandbox.state.store.exists("deal", deal.record_id) and dialog.model.rowCount() == 2

    dialogs.answers.append("yes")
    dialog.delete_button.click()
    title, question = dialogs.asked[-1]
    assert title == "Delete test records"
    assert question.startswith("Delete these 2 records in the offline sandbox?")
    assert f"deal #{deal.record_id} “{deal.record_name}”" in question
    assert (
        f"organization #{org.record_id}" in question
        and "person" not in question.split("?")[1].split("They")[0]
    )
    assert "(updates) are not undone" in question
    settle(run, w)
    assert not sandbox.state.store.exists("deal", deal.record_id)
    assert not sandbox.state.store.exists("organization", org.record_id)
    assert sandbox.state.store.exists("person", person.record_id)  # updated by a test: left alone
    assert dialog.result_label.text() == "Deleted 2 test records." and dialog.result_label.isVisible()
    assert dialog.model.rowCount() == 0 and "No test records" in dialog.counts.text()
    assert {e.state for e in ledger_of(services).entries(include_gone=True)} == {GONE}
    assert not dialogs.errors


def test_reports_what_could_not_be_deleted_and_keeps_it(
    demo_window: Any, run: Runner, services: Any, dialogs: DialogRecorder
) -> None:
    from pipedrive_gui.sandbox import parse_fault_spec

    w = demo_window
    sandbox = services.connection.sandbox
    org = send_test(w, run, services, dialogs, "createUpdateOrganization")
    deal = send_test(w, run, services, dialogs, "createUpdateDeal")
    sandbox.state.store.put(
        "organization", {**sandbox.state.store.get("organization", org.record_id), "is_deleted": True}
    )  # someone deleted it in Pipedrive
    sandbox.faults.rules[:] = [parse_fault_spec("json403:method=DELETE,path=/api/v2/deals/*")]
    dialog = open_view(w, run)
    dialog.model.set_all_checked(True)
    dialogs.answers.append("yes")
    dialog.ask_delete()
    settle(run, w)
    [(title, text)] = dialogs.errors
    assert title == "Some test records were not deleted"
    assert "1 was already gone from Pipedrive" in text
    assert f"deal #{deal.record_id} “{deal.record_name}”: not deleted: no permission" in text
    assert "ask a Pipedrive admin" in text
    assert [r[TestRecordsModel.RECORD] for r in rows(dialog)] == [f"Deal #{deal.record_id}"]
    assert sandbox.state.store.exists("deal", deal.record_id)


def test_lists_only_the_connected_accounts_records_and_needs_a_connection(
    demo_window: Any, run: Runner, services: Any, dialogs: DialogRecorder
) -> None:
    w = demo_window
    deal = send_test(w, run, services, dialogs, "createUpdateDeal")
    ledger = ledger_of(services)
    ledger.record("acme.pipedrive.com", "person", 12, "Jane", mapping="People", source="send_test", test=True)
    ledger.record(
        ledger_account(services.connection.client),
        "person",
        101,
        "Ada Lovelace",
        mapping="People",
        source="receiver",
        test=False,
    )  # created by the receiver, not a test: not listed
    dialog = open_view(w, run)
    assert [r[TestRecordsModel.RECORD] for r in rows(dialog)] == [f"Deal #{deal.record_id}"]
    assert "1 more test record belongs to another account (acme.pipedrive.com: 1)" in dialog.counts.text()

    run(services.connection.close_connection())
    settle(run, w)
    assert dialog.model.rowCount() == 0 and not dialog.delete_button.isEnabled()
    assert "Connect to Pipedrive" in dialog.intro.text()


def test_ticking_and_the_delete_key(
    demo_window: Any, run: Runner, services: Any, dialogs: DialogRecorder, qtbot: Any
) -> None:
    from PySide6.QtCore import Qt

    w = demo_window
    deal = send_test(w, run, services, dialogs, "createUpdateDeal")
    dialog = open_view(w, run)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert not dialogs.asked[1:]  # nothing ticked: no question (the first was Send test's)
    index = dialog.model.index(0, TestRecordsModel.RECORD)
    assert dialog.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert dialog.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "1 ticked" in dialog.counts.text() and dialog.delete_button.text() == "&Delete 1 test record…"
    dialogs.answers.append("cancel")
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert dialogs.asked[-1][1].startswith("Delete this record in the offline sandbox?")
    assert f"deal #{deal.record_id}" in dialogs.asked[-1][1]
    dialog.select_none_button.click()
    assert not dialog.delete_button.isEnabled()
