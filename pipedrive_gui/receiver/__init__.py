"""receiver layer (see DESIGN.md §2): a local Segment-compatible intake, its journal and dispatcher.

Public API (for the CLI and the GUI's receiver panel)::

    receiver = Receiver(paths.data, ReceiverSettings(port=8787, write_key="k"), processor=processor)
    await receiver.start(); receiver.url; receiver.stats(); await receiver.counts()
    await receiver.query(JournalQuery(outcomes=("failed",), text="jane")); await receiver.detail(seq)
    await receiver.replay([seq, ...], force=False); await receiver.export(path)
    unsubscribe = receiver.on_change(callback); await receiver.stop()

``processor`` comes from :func:`pipedrive_gui.receiver.setup.open_processor` (project mappings +
upsert engine, dry run or live); ``receiver.set_processor(...)`` swaps it (new mappings, dry run ⇄
live) while running, and ``MappingProcessor.explain(event)`` says why mappings did not fire.

Durability: an event is answered 200 only after its SQLite commit (``synchronous=FULL`` by default:
survives ``kill -9`` and power loss). Unfinished events resume on the next start; one process
dispatches a journal at a time (file lock).

Exactly once: a messageId accepted within the last 24 hours is journaled and dispatched once,
whatever else opens the journal (the dedupe table is in the file, see ``dedupe.py``). Reading
commands open the journal read-only; retention is stored in the journal and applied by the receiver.

Speed: the intake journals over 20,000 events/s (``benchmarks/bench_receiver.py``), but Pipedrive's
rate limit lets a live receiver write only a few events per second: that, not the journal, is the
ceiling; a burst waits in the journal and is dispatched at Pipedrive's pace.
"""

from pipedrive_gui.receiver.dispatcher import (
    Dispatcher,
    EventProcessor,
    MappingProcessor,
    Processed,
    RetryPolicy,
)
from pipedrive_gui.receiver.errors import IntakeError, JournalError, ReceiverError, ReceiverStartError
from pipedrive_gui.receiver.journal import (
    OUTCOMES,
    EventDetail,
    Journal,
    JournalPage,
    JournalQuery,
    JournalRow,
    Retention,
)
from pipedrive_gui.receiver.server import (
    JOURNAL_FILE,
    Receiver,
    ReceiverChange,
    ReceiverSettings,
    ReceiverStats,
)

__all__ = [
    "JOURNAL_FILE",
    "OUTCOMES",
    "Dispatcher",
    "EventDetail",
    "EventProcessor",
    "IntakeError",
    "Journal",
    "JournalError",
    "JournalPage",
    "JournalQuery",
    "JournalRow",
    "MappingProcessor",
    "Processed",
    "Receiver",
    "ReceiverChange",
    "ReceiverError",
    "ReceiverSettings",
    "ReceiverStartError",
    "ReceiverStats",
    "Retention",
    "RetryPolicy",
]
