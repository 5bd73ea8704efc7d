"""The receiver's state in the user's words: the running line, refused requests, replay results.

Keyed by the codes the intake and the server answer with (``IntakeError.code``), so a client's
refusal reads the same wherever it is shown. Shown by the receiver panel; Qt-free, tested without
a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipedrive_gui.receiver.outcomes import ReceiverMode

if TYPE_CHECKING:
    from pipedrive_gui.receiver.server import ReceiverStats

#: Why requests were refused, by the code of the 4xx answer (see receiver/intake.py, server.py).
REFUSALS = {
    "invalid_write_key": "Wrong write key (copy it from this panel)",
    "invalid_json": "Not valid JSON",
    "too_deep": "Nested too deeply",
    "request_timeout": "Body not sent in time",
    "event_too_large": "Event over Segment's 32 KB limit",
    "batch_too_large": "Batch over Segment's 500 KB limit",
    "too_many_events": "Batch over Segment's 2,500 events",
    "invalid_batch": 'Batch without a "batch" array',
    "invalid_gzip": "Broken gzip body",
    "unsupported_encoding": "Unsupported Content-Encoding",
    "not_found": "Unknown endpoint (post to /v1/batch, /v1/track, …)",
    "method_not_allowed": "Not a POST",
    "origin_not_allowed": "A web page not under “Allowed web pages”",
    "host_not_allowed": "A host name this receiver does not serve (DNS rebinding?)",
}


def refusal_text(code: str) -> str:
    """Why a request was refused; an unknown code as it is."""
    return REFUSALS.get(code, code)


def plural(n: int, word: str) -> str:
    """``1 event``, ``1,234 events``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def running_line(stats: ReceiverStats, mode: ReceiverMode) -> str:
    """``Running (dry run) — 12 requests, 40 events, 2 refused``."""
    refused = f", {stats.rejected_total} refused" if stats.rejected_total else ""
    return f"Running ({mode.label}) — {plural(stats.requests, 'request')}, {plural(stats.accepted, 'event')}{refused}"


def running_tooltip(stats: ReceiverStats) -> str:
    """The refused requests by reason, or what the running line counts."""
    reasons = [f"{refusal_text(code)}: {n}" for code, n in sorted(stats.rejected.items())]
    if reasons:
        return "Refused requests:\n" + "\n".join(reasons)
    return "Requests and events received since the receiver started"


def mode_switched(mode: ReceiverMode) -> str:
    return (
        "Live mode: events now write to Pipedrive."
        if mode is ReceiverMode.LIVE
        else "Dry run: nothing is written."
    )


def replay_result(asked: Sequence[int], marked: Sequence[int], running: bool) -> str:
    """What a replay of the events ``asked`` (none: every failed one) did; ``marked`` were queued."""
    skipped = len(asked) - len(marked) if asked else 0
    text = f"Queued {len(marked)} event{'s' if len(marked) != 1 else ''} again"
    text += "." if running else "; they are processed when you start the receiver."
    if skipped:
        text += f" {skipped} could not be replayed (flagged events Segment drops, or events still waiting)."
    return text


__all__ = [
    "REFUSALS",
    "mode_switched",
    "plural",
    "refusal_text",
    "replay_result",
    "running_line",
    "running_tooltip",
]
