"""The receiver panel's background work: start and stop the receiver, build the mapping processor
for a mode, and replay journal events. Coroutines the panel spawns on its task runner; they read
and change the panel's state (``receiver``, ``_unsubscribe``), and the panel handles their results.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import replace
from typing import TYPE_CHECKING

from pipedrive_gui.receiver import MappingProcessor, Receiver, ReceiverError
from pipedrive_gui.receiver.outcomes import ReceiverMode
from pipedrive_gui.receiver.setup import processor_for

if TYPE_CHECKING:
    from pipedrive_gui.gui.receiver_panel import ReceiverPanel


async def make_processor(panel: ReceiverPanel, mode: ReceiverMode) -> MappingProcessor:
    project = panel._project_provider()
    engine = panel._engine_factory(project)
    if inspect.isawaitable(engine):
        engine = await engine
    return processor_for(project.mappings, engine, mode)


async def apply_processor(panel: ReceiverPanel, mode: ReceiverMode) -> None:
    processor = await make_processor(panel, mode)
    if panel.receiver is not None:
        panel.receiver.set_processor(processor)


async def start(panel: ReceiverPanel) -> Receiver:
    # Two first opens of a new journal file at once can fail with "database is locked" (both
    # create the schema); the table's reader goes first, the receiver after it.
    opening = panel.events.journal_opening
    if opening is not None and not opening.done():
        await asyncio.wait([opening])
    processor = await make_processor(panel, panel._mode)
    settings = replace(
        panel._settings,
        port=panel.port_spin.value(),
        write_key=panel.write_key,
        allowed_origins=panel.allowed_origins,
    )
    receiver = Receiver(panel._paths.data, settings, processor=processor)
    await receiver.start()
    return receiver


async def stop(panel: ReceiverPanel) -> None:
    if panel._unsubscribe is not None:
        panel._unsubscribe()
        panel._unsubscribe = None
    receiver = panel.receiver
    if receiver is not None:
        await receiver.stop()


async def replay(
    panel: ReceiverPanel, seqs: list[int], *, force: bool, failed: bool
) -> tuple[list[int], bool]:
    receiver = panel.receiver
    if receiver is not None and receiver.running:
        await apply_processor(panel, panel._mode)  # replays use the mappings as they are now
        return await receiver.replay(seqs, failed=failed, force=force), True
    journal = panel.journal
    if journal is None:
        raise ReceiverError("The receiver journal is not open yet; try again in a moment.")
    return await journal.mark_for_replay(seqs, failed=failed, force=force), False
