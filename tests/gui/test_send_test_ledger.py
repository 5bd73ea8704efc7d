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
