"""A journal closed while it is still opening ends closed: no writer thread, no connection left open.

The receiver panel opens its journal in the background and the app may quit (or the panel shut down)
before that open is done; a receiver start may be cancelled while its journal opens.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from pipedrive_gui.receiver import journal as journal_module
from pipedrive_gui.receiver.errors import JournalError
from pipedrive_gui.receiver.journal import Journal

WRITER = "receiver-journal-writer"


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WRITER]


@pytest.fixture
def slow_open(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Opening the file takes until the returned event is set (set: opens at once)."""
    may_open = threading.Event()
    connect = journal_module._connect

    def slow_connect(path: Path, synchronous: str) -> sqlite3.Connection:
        may_open.wait(10)
        return connect(path, synchronous)

    monkeypatch.setattr(journal_module, "_connect", slow_connect)
    return may_open


async def test_a_close_before_the_open_began_leaves_it_closed(tmp_path: Path) -> None:
    before = writer_threads()
    journal = Journal(tmp_path / "journal.sqlite3")
    opening = asyncio.ensure_future(journal.open())  # as the panel spawns it: not started yet
    await journal.close()
    await asyncio.wait([opening])
    assert journal.commits == 0 and writer_threads() == before
    with pytest.raises(JournalError, match="not open"):
        await journal.counts()


async def test_a_close_while_the_open_runs_waits_for_it_then_closes(
    tmp_path: Path, slow_open: threading.Event
) -> None:
    before = writer_threads()
    journal = Journal(tmp_path / "journal.sqlite3")
    opening = asyncio.ensure_future(journal.open())
    await asyncio.sleep(0.1)  # its thread is inside open, waiting for the file
    opening.cancel()  # the app quits: the task goes, the thread goes on opening
    closing = asyncio.ensure_future(journal.close())
    await asyncio.sleep(0.1)
    assert not closing.done()  # waits for the open under way...
    slow_open.set()
    await closing
    await asyncio.wait([opening])
    deadline = time.monotonic() + 5
    while writer_threads() != before and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert writer_threads() == before  # ...and closes what it opened


async def test_it_opens_again_after_a_close(tmp_path: Path) -> None:
    before = writer_threads()
    journal = Journal(tmp_path / "journal.sqlite3")
    await journal.open()
    await journal.close()
    await journal.open()
    assert len(writer_threads()) == len(before) + 1
    assert await journal.counts() is not None
    await journal.close()
    assert writer_threads() == before
