"""GUI *Send test…* goes through the app's ledger: its creates are test records with the mapping's name."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.pipedrive.ledger import SOURCE_SEND_TEST
from tests.gui.conftest import settle


def test_send_test_is_a_test_record_with_the_mapping_name(
    demo_window: Any, run: Any, services: Any, dialogs: Any
) -> None:
    w = demo_window
    mapping = next(m for m in w.doc.project.mappings if "Companies" in m.name)
    w.mapping_list.select(mapping.id)
    settle(run, w)
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    result = w.preview.last_run
    assert result is not None and result.outcome == "create", result and result.message
    ledger = services.connection.ledger()
    assert ledger is not None and ledger.path.parent == services.connection.paths.data
    [entry] = ledger.entries(test_only=True)
    assert (entry.entity, entry.record_id, entry.mapping, entry.source) == (
        "organization",
        str(result.record_id),
        mapping.name,
        SOURCE_SEND_TEST,
    )
    assert entry.account == services.connection.client.host


def test_without_its_ledger_send_test_creates_nothing_and_says_why(
    window: Any, run: Any, services: Any, dialogs: Any
) -> None:
    """A ledger file that cannot be opened (here a folder stands where the file goes) used to mean a
    Send test without the cross-run check. Now nothing is created, the result says why and what to
    do, and once the folder is fixed the next Send test creates the record once."""
    from pipedrive_gui.gui.app import demo_project
    from pipedrive_gui.pipedrive.ledger import FILE_NAME

    blocker = services.connection.paths.data / FILE_NAME
    blocker.mkdir(parents=True)
    w = window
    w.load(demo_project(), None)
    run(services.connection.connect_sandbox())
    mapping = next(m for m in w.doc.project.mappings if "Companies" in m.name)
    w.mapping_list.select(mapping.id)
    settle(run, w)

    def organizations() -> list[Any]:
        return list(run(services.connection.client.get_all("/api/v2/organizations")))

    before = len(organizations())
    # The previews keep the stand-in rather than trying the file at every edit; a send tries again.
    stand_in = services.connection.ledger()
    assert services.connection.ledger() is stand_in and not hasattr(stand_in, "path")
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    result = w.preview.last_run
    assert result is not None and result.outcome == "fail", result and result.message
    assert "cannot be opened" in result.message and str(blocker) in result.message
    assert "Nothing was created in Pipedrive" in result.message
    assert "writable" in result.message  # what to do
    assert not any(c.method == "POST" and c.sent for c in result.calls)
    assert "cannot be opened" in w.preview.outcome.text()
    assert len(organizations()) == before

    blocker.rmdir()
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    again = w.preview.last_run
    assert again is not None and again.outcome == "create", again and again.message
    assert len(organizations()) == before + 1
