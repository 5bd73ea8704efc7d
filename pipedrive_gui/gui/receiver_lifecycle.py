"""The receiver panel's background work: start the receiver, build the mapping processor for a
mode, and replay journal events. Coroutines the panel spawns on its task runner with what they need
passed in; the panel keeps its state and handles their results.

What may change while a coroutine waits (the mode, the port and key on screen, which receiver is
running) is passed as a function and read when it is needed, not when the work was asked for.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipedrive_gui.receiver import Journal, MappingProcessor, Receiver, ReceiverError, ReceiverSettings
from pipedrive_gui.receiver.outcomes import ReceiverMode
from pipedrive_gui.receiver.setup import processor_for

if TYPE_CHECKING:
    from pipedrive_gui.core.project import Project
    from pipedrive_gui.receiver.dispatcher import EngineLike

#: ``engine_factory(project)`` -> an upsert engine for that project's destination defaults, or None
#: when no Pipedrive (or sandbox) is connected; may also return an awaitable of either.
EngineFactory = Callable[["Project"], "EngineLike | None | Awaitable[EngineLike | None]"]


@dataclass(frozen=True)
class Processors:
    """Builds the receiver's mapping processor from the project and connection of the moment."""

    project: Callable[[], Project]
    engine_factory: EngineFactory

    async def build(self, mode: ReceiverMode) -> MappingProcessor:
        project = self.project()
        engine = self.engine_factory(project)
        if inspect.isawaitable(engine):
            engine = await engine
        return processor_for(project.mappings, engine, mode)

    async def apply(self, receiver: Callable[[], Receiver | None], mode: ReceiverMode) -> None:
        """Give the receiver running once the processor is built (if any) the new processor."""
        processor = await self.build(mode)
        running = receiver()
        if running is not None:
            running.set_processor(processor)


async def start(
    data_dir: Path,
    settings: Callable[[], ReceiverSettings],
    mode: Callable[[], ReceiverMode],
    processors: Processors,
    journal_opening: asyncio.Task[object] | None,
) -> Receiver:
    # Two first opens of a new journal file at once can fail with "database is locked" (both
    # create the schema); the table's reader goes first, the receiver after it.
    if journal_opening is not None and not journal_opening.done():
        await asyncio.wait([journal_opening])
    processor = await processors.build(mode())
    receiver = Receiver(data_dir, settings(), processor=processor)
    await receiver.start()
    return receiver


async def replay(
    receiver: Receiver | None,
    journal: Journal | None,
    processors: Processors,
    mode: ReceiverMode,
    seqs: list[int],
    *,
    force: bool,
    failed: bool,
) -> tuple[list[int], bool]:
    """Queue ``seqs`` (or the failed events) again; True with them when a running receiver takes
    them now, False when they wait in the journal for its next start."""
    if receiver is not None and receiver.running:
        receiver.set_processor(await processors.build(mode))  # replays use the mappings as they are now
        return await receiver.replay(seqs, failed=failed, force=force), True
    if journal is None:
        raise ReceiverError("The receiver journal is not open yet; try again in a moment.")
    return await journal.mark_for_replay(seqs, failed=failed, force=force), False
