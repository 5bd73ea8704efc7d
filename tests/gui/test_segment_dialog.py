"""The Segment dialog under pytest-qt: connect, pick a destination, pull, review the diff, push."""

from __future__ import annotations

from typing import Any

import pytest

from pipedrive_gui.core.project import Project
from pipedrive_gui.segment.standin import demo_state, start_standin

from .conftest import DialogRecorder, Runner

TOKEN = "standin-token"


@pytest.fixture
def standin(run: Runner) -> Any:
    server = run(start_standin(demo_state(TOKEN)))
    yield server
    run(server.stop())


def open_dialog(window: Any, standin: Any, run: Runner) -> Any:
    window.load(Project(name="From Segment"), None)
    dialog = window.accounts.show_segment_dialog()
    dialog.base_url_override = standin.base_url
    run.until(lambda: not dialog.busy, what="saved-token check")
    return dialog


def connect(dialog: Any, run: Runner, token: str = TOKEN) -> None:
    dialog.token.setText(token)
    dialog.connect_button.click()
    run.until(lambda: not dialog.busy, what="connect")


def test_connect_pick_pull_diff_push(
    window: Any, standin: Any, run: Runner, dialogs: DialogRecorder, memory_store: Any
) -> None:
    dialog = open_dialog(window, standin, run)
    assert "Paste a Segment Public API token" in dialog.status.text()
    assert not dialog.pull_button.isEnabled()
    connect(dialog, run)
    assert "Acme (stand-in)" in dialog.status.text() and "2 Actions Pipedrive" in dialog.status.text()
    assert dialog.token.text() == ""  # not kept in the widget
    assert memory_store.load_segment().token == TOKEN
    assert [dialog.dest_model.item(r, 0).text() for r in range(dialog.dest_model.rowCount())] == [
        "Pipedrive (production)",
        "Pipedrive (staging)",
    ]
    assert (
        dialog.dest_model.item(1, 2).text() == "disabled" and dialog.dest_model.item(0, 1).text() == "Website"
    )
    assert dialog.selected_destination().name == "Pipedrive (production)"

    dialog.pull_button.click()
    run.until(lambda: not dialog.busy, what="pull")
    doc = window.doc
    assert [m.name for m in doc.project.mappings] == ["Upsert person", "Upsert organization"]
    assert doc.project.segment.destination_name == "Pipedrive (production)"
    assert doc.project.destination.person_field == "email"
    assert "2 added" in dialog.status.text()
    doc.undo_stack.undo()
    assert doc.project.mappings == [] and doc.project.segment is None
    doc.undo_stack.redo()

    person = doc.project.mappings[0]
    doc.rename_mapping(person.id, "Upsert person by email")
    dialog.diff_button.click()
    run.until(lambda: not dialog.busy and dialog.plan is not None, what="diff")
    model = dialog.diff_model
    assert model.item(0, 0).text() == "Update: “Upsert person by email” (Create or Update Person)"
    assert model.item(0, 1).text() == "“Upsert person”"
    change = model.item(0, 0).child(0, 0)
    assert change.text() == "name" and model.item(0, 0).child(0, 2).text() == "Upsert person by email"
    assert model.item(1, 0).text().startswith("Unchanged: “Upsert organization”")
    assert "1 to update" in dialog.summary.text()
    assert dialog.push_button.isEnabled()

    dialogs.answers = ["push"]
    dialog.push_button.click()
    run.until(lambda: not dialog.busy, what="push")
    assert dialogs.asked[-1][0] == "Push to Segment"
    assert "1 of 1 change(s) made in Segment." in dialog.report_text.toPlainText()
    assert dialog.summary.text().startswith("Nothing to change")
    assert not dialog.push_button.isEnabled()
    subs = standin.state.subscriptions[standin.state.destinations[0]["id"]]
    assert [s["name"] for s in subs] == ["Upsert person by email", "Upsert organization"]
    assert doc.project.mappings[0].subscription_id == subs[0]["id"]


def test_a_wrong_token_is_explained_and_not_saved(
    window: Any, standin: Any, run: Runner, dialogs: DialogRecorder, memory_store: Any
) -> None:
    dialog = open_dialog(window, standin, run)
    connect(dialog, run, token="sgp_wrong")
    assert "Access Management" in dialog.status.text() and "sgp_wrong" not in dialog.status.text()
    assert dialog.client is None and memory_store.load_segment() is None
    assert not dialog.diff_button.isEnabled()


def test_the_saved_token_connects_on_opening(
    window: Any, standin: Any, run: Runner, dialogs: DialogRecorder, memory_store: Any
) -> None:
    memory_store.save_segment(TOKEN, "us")
    window.load(Project(), None)
    dialog = window.accounts.show_segment_dialog()
    dialog.base_url_override = standin.base_url  # before the first task step runs
    run.until(lambda: not dialog.busy, what="connect with the saved token")
    assert dialog.client is not None and dialog.dest_model.rowCount() == 2
    window.accounts.segment_log_out()
    run.until(lambda: not window.runner.busy, what="log out")
    assert memory_store.load_segment() is None and dialog.client is None and dialog.dest_model.rowCount() == 0
