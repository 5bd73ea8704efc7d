"""receiver layer: a local Segment-compatible intake, its journal and dispatcher (docs/architecture.md).

Public API (for the CLI and the GUI's receiver panel)::

    receiver = Receiver(paths.data, ReceiverSettings(port=8787, write_key="k"), processor=processor)
    await receiver.start(); receiver.url; receiver.stats(); await receiver.counts()
    await receiver.query(JournalQuery(outcomes=(Outcome.FAILED,), text="jane")); await receiver.detail(seq)
    await receiver.replay([seq, ...], force=False); await receiver.export(path)
    unsubscribe = receiver.on_change(callback); await receiver.stop()

``processor`` comes from :func:`pipedrive_gui.receiver.setup.open_processor` (project mappings +
upsert engine, dry run or live); ``receiver.set_processor(...)`` swaps it (new mappings, dry run ⇄
live) while running, and ``MappingProcessor.explain(event)`` says why mappings did not fire.

Access (``access.py``): the CLI and the GUI always set a write key (kept in ``receiver.json`` in
the config folder); requests carrying an ``Origin`` (web pages) are refused unless
``ReceiverSettings.allowed_origins`` names it, CORS never allows credentials, and a ``Host`` that
is not an address the receiver serves is refused (DNS rebinding). The client snippets the panel
shows and ``receive`` prints live in ``snippets.py``.

Durability: an event is answered 200 only after its SQLite commit (``synchronous=FULL`` by default:
survives ``kill -9`` and power loss). Unfinished events resume on the next start; one process
dispatches a journal at a time (file lock).

What a client gets (Segment's tracking API is a Go service; this receiver answers as it does):

- 200 ``{"success": true}`` for every event Segment accepts, also those it drops later (journaled
  as ``dropped`` with the reason). Lone UTF-16 surrogates (half an emoji) are accepted and stored
  faithfully; invalid UTF-8 inside a string becomes U+FFFD, as Go's parser does.
- 400 ``{"code", "message"}`` for the whole request where Segment answers 400: invalid JSON (``NaN``,
  ``Infinity`` and ``1e400`` included: Go refuses them), over 32 KB per event / 500 KB per batch /
  2,500 events, broken gzip. Also for nesting deeper than 254 levels (``too_deep``): Segment allows
  10,000, but the journal, Python's JSON and the GUI need a limit, and no client nests that deep.
- 401 for a wrong write key, 404/405 for other paths and methods, 408 ``request_timeout`` when a
  body does not arrive within ``body_timeout`` (then the connection closes); a connection that does
  not finish its request headers within ``header_timeout`` is closed.
- 503 ``journal_unavailable`` when the journal cannot be written (disk full, ...); the message says
  which cause and what to do. A journal that is read-only is refused at start instead.
- Never a 5xx for what a client sends (a fuzz test holds the receiver to it).

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
    EventDetail,
    Journal,
    JournalPage,
    JournalQuery,
    JournalRow,
    Retention,
)
from pipedrive_gui.receiver.outcomes import OUTCOMES, DeliveryOutcome, Outcome, ReceiverMode
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
    "DeliveryOutcome",
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
    "Outcome",
    "Processed",
    "Receiver",
    "ReceiverChange",
    "ReceiverError",
    "ReceiverMode",
    "ReceiverSettings",
    "ReceiverStartError",
    "ReceiverStats",
    "Retention",
    "RetryPolicy",
]
