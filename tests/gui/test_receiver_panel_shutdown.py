"""The receiver panel shut down (the app quits) while its journal is still opening: the journal ends
closed, its writer thread ends, and the panel does not start polling it afterwards."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pipedrive_gui.core.project import Project
from pipedrive_gui.gui.receiver_panel import ReceiverPanel
from pipedrive_gui.gui.tasks import TaskRunner
from pipedrive_gui.paths import AppPaths
from tests.gui.conftest import DialogRecorder, Runner


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "receiver-journal-writer"]


def test_shutdown_while_the_journal_opens_leaves_no_writer_thread(
    qtbot: Any, run: Runner, data_dir: Path, dialogs: DialogRecorder
) -> None:
    before = writer_threads()
    runner = TaskRunner()
    panel = ReceiverPanel(runner, AppPaths.resolve(data_dir), Project, lambda p: None, lambda e: None)
    qtbot.addWidget(panel)
    assert runner.running("receiver-journal-open")
    run(panel.shutdown())
    run(runner.wait_idle())
    assert panel.journal is None
    assert not panel.events._poll.isActive()
    assert writer_threads() == before
    assert not dialogs.errors
