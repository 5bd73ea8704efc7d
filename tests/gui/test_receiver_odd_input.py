"""The GUI with what odd clients send: half an emoji in an event shows in the event detail (as its
JSON escape, not silently dropped by Qt), and a journal that cannot be written stops the receiver
panel from starting with the reason."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from pipedrive_gui.gui.event_detail import EventDetailView, pretty  # noqa: E402
from pipedrive_gui.paths import AppPaths  # noqa: E402
from pipedrive_gui.receiver import Dispatcher, Journal, MappingProcessor  # noqa: E402
from pipedrive_gui.receiver.intake import events_from_request  # noqa: E402
from tests.gui.test_receiver_panel import (  # noqa: E402, F401 - fixtures
    Recorder,
    aloop,
    demo_project,
    make_panel,
    rec,
    run,
    until,
)
from tests.receiver.conftest import person_by_email  # noqa: E402
from tests.receiver.support import existing_journal, read_only  # noqa: E402

HALF = "\ud83c"
PERSON = person_by_email()


def test_event_detail_shows_half_an_emoji_as_its_escape(qtbot: Any, tmp_path: Path) -> None:
    async def received() -> Any:
        async with Journal(tmp_path / "journal.sqlite3") as journal:
            await journal.append(
                events_from_request(
                    "identify",
                    {
                        "userId": "u",
                        "messageId": "m-half",
                        "traits": {"name": f"Party {HALF}", "email": "p@example.com"},
                    },
                )
            )
            await Dispatcher(journal, MappingProcessor([PERSON], None, "dry_run")).run_until_idle()
            return await journal.detail("m-half")

    detail = asyncio.run(received())
    assert detail.event["traits"]["name"] == f"Party {HALF}"
    view = EventDetailView()
    qtbot.addWidget(view)
    view.show_detail(detail)
    shown = view.json.toPlainText()
    assert '"name": "Party \\ud83c"' in shown
    assert json.loads(shown)["traits"]["name"] == f"Party {HALF}"  # the text is the event, exactly
    assert view.select_delivery("People")
    payload_item = next(i for i in view.items() if i.text(0) == "Mapped payload")
    view.tree.setCurrentItem(payload_item)
    assert json.loads(view.json.toPlainText())["name"] == f"Party {HALF}"
    assert pretty({"k": HALF}) == '{\n  "k": "\\ud83c"\n}'


def test_panel_refuses_a_read_only_journal_with_the_reason(
    aloop: Any,  # noqa: F811
    data_dir: Path,  # noqa: F811
    rec: Recorder,  # noqa: F811
) -> None:
    folder = AppPaths.resolve(data_dir).data
    folder.mkdir(parents=True, exist_ok=True)
    with read_only(existing_journal(folder)):

        async def scenario() -> None:
            panel, runner = make_panel(data_dir, rec, demo_project())
            try:
                panel.start()
                await until(lambda: rec.errors, "the error")
                title, text = rec.errors[0]
                assert title == "The receiver did not start"
                assert "read-only" in text and "writable" in text
                assert not panel.running and panel.start_button.isEnabled()
                assert "read-only" in panel.message_label.text()
            finally:
                await panel.shutdown()
                await runner.wait_idle()

        run(aloop, scenario())
