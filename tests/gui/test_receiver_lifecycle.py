"""The receiver panel's background work on its own: everything it needs is passed in, and what may
change while it waits (the mode, the settings on screen, which receiver runs) is read when used."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.project import Mapping, Project
from pipedrive_gui.gui import receiver_lifecycle as lifecycle
from pipedrive_gui.receiver import MappingProcessor, ReceiverError, ReceiverSettings
from pipedrive_gui.receiver.outcomes import ReceiverMode

PROJECT = Project(mappings=[Mapping("p", "People", "createUpdatePerson", 'type = "identify"')])


def _no_engine(_project: Project) -> None:
    return None


def test_start_waits_for_the_journal_then_uses_the_mode_and_settings_of_that_moment(tmp_path: Path) -> None:
    read_when: list[tuple[str, bool]] = []

    async def scenario() -> None:
        async def open_journal() -> object:
            for _ in range(3):  # a few turns of the loop, as a first open of the file takes
                await asyncio.sleep(0)
            return None

        opening: asyncio.Task[object] = asyncio.ensure_future(open_journal())

        def mode() -> ReceiverMode:
            read_when.append(("mode", opening.done()))
            return ReceiverMode.DRY_RUN

        def settings() -> ReceiverSettings:
            read_when.append(("settings", opening.done()))
            return ReceiverSettings(port=0, write_key="lifecycle-key")

        receiver = await lifecycle.start(
            tmp_path, settings, mode, lifecycle.Processors(lambda: PROJECT, _no_engine), opening
        )
        try:
            assert receiver.running and receiver.settings.write_key == "lifecycle-key"
            assert receiver.dispatcher is not None
            processor = receiver.dispatcher.processor
            assert isinstance(processor, MappingProcessor) and processor.mode is ReceiverMode.DRY_RUN
        finally:
            await receiver.stop()

    asyncio.run(scenario())
    assert read_when == [("mode", True), ("settings", True)]


def test_a_new_processor_goes_to_the_receiver_running_once_it_is_built() -> None:
    class FakeReceiver:
        def __init__(self) -> None:
            self.processors: list[Any] = []

        def set_processor(self, processor: Any) -> None:
            self.processors.append(processor)

    old, new = FakeReceiver(), FakeReceiver()
    running: list[Any] = [old]

    async def engine(_project: Project) -> None:
        running[0] = new  # the receiver was restarted while the engine was being made
        return None

    processors = lifecycle.Processors(lambda: PROJECT, engine)
    asyncio.run(processors.apply(lambda: running[0], ReceiverMode.DRY_RUN))
    assert old.processors == [] and len(new.processors) == 1
    assert isinstance(new.processors[0], MappingProcessor)
    running[0] = None  # stopped: nobody to tell
    asyncio.run(
        lifecycle.Processors(lambda: PROJECT, _no_engine).apply(lambda: running[0], ReceiverMode.DRY_RUN)
    )
    assert len(new.processors) == 1


def test_replay_before_the_journal_is_open_says_to_try_again() -> None:
    processors = lifecycle.Processors(lambda: PROJECT, _no_engine)
    with pytest.raises(ReceiverError, match="not open yet; try again"):
        asyncio.run(
            lifecycle.replay(None, None, processors, ReceiverMode.DRY_RUN, [1], force=False, failed=False)
        )
