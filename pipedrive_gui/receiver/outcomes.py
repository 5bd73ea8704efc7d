"""The receiver's vocabulary, in one place: what happened to an event, to each mapping, and the modes.

Every value here is stored (the journal's ``outcome`` column, the delivery records in its
``result`` column) or printed as JSON (``journal --json``, exports), so the values never change;
the enums are ``str`` subclasses, which SQLite, ``json`` and f-strings see as their plain value.
``tests/receiver/test_outcomes_home.py`` fails when one of these values is spelled out as a
string anywhere else in the package.

Imports nothing from the rest of the receiver, so the GUI's table and detail can read it without
the journal or the HTTP server.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from pipedrive_gui.core import modes


class _Str(str, Enum):
    """``str`` enum that prints as its value (Python 3.10 has no ``StrEnum``)."""

    def __str__(self) -> str:
        return str(self.value)


class Outcome(_Str):
    """What happened to an event, as the journal stores it and the CLI and the GUI show it."""

    PENDING = "pending"  # accepted, not dispatched yet
    RETRYING = "retrying"  # a try failed for a passing reason (rate limit, 5xx, network); will retry
    DROPPED = "dropped"  # Segment would answer 200 and drop it (see the event's ``flag``)
    SKIPPED = "skipped"  # no enabled mapping's trigger matched
    PLANNED = "planned"  # dry run: every mapping that fired was planned
    DELIVERED = "delivered"  # live: every mapping that fired was carried out in Pipedrive
    FAILED = "failed"  # a mapping that fired failed; parked with the reason

    @property
    def label(self) -> str:
        """The word the panel's table and the event detail use."""
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.PENDING: "Waiting",
    Outcome.RETRYING: "Retrying",
    Outcome.DROPPED: "Flagged",
    Outcome.SKIPPED: "Skipped",
    Outcome.PLANNED: "Planned (dry run)",
    Outcome.DELIVERED: "Delivered",
    Outcome.FAILED: "Failed",
}

#: Every outcome, in the order counts list them.
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
#: Events still to be dispatched: never pruned, not replayable until they finish.
OPEN_OUTCOMES: tuple[Outcome, ...] = (Outcome.PENDING, Outcome.RETRYING)
#: An outcome's word for the table, by stored value.
OUTCOME_TEXT: dict[str, str] = {o.value: o.label for o in Outcome}


def outcome_text(outcome: str) -> str:
    """The word for a stored outcome; an unknown one (a newer journal) capitalized."""
    return OUTCOME_TEXT.get(outcome, outcome.capitalize())


def waiting(counts: Mapping[str, int]) -> int:
    """Events not processed yet (pending or retrying), from :meth:`Journal.counts`."""
    return sum(counts.get(o, 0) for o in OPEN_OUTCOMES)


def counts_line(counts: Mapping[str, int]) -> str:
    """``1,234 events · 3 waiting · 1,200 delivered · 31 skipped``: the journal's counts, zeros left out."""
    total = sum(counts.values())
    parts = [
        f"{n:,} {label}"
        for label, n in (
            ("waiting", waiting(counts)),
            ("planned", counts.get(Outcome.PLANNED, 0)),
            ("delivered", counts.get(Outcome.DELIVERED, 0)),
            ("failed", counts.get(Outcome.FAILED, 0)),
            ("skipped", counts.get(Outcome.SKIPPED, 0)),
            ("flagged", counts.get(Outcome.DROPPED, 0)),
        )
        if n
    ]
    return f"{total:,} events" + (" · " + " · ".join(parts) if parts else "")


#: The outcome filter the panel offers: key -> (label, the outcomes it stands for; () = every one).
OUTCOME_FILTERS: dict[str, tuple[str, tuple[Outcome, ...]]] = {
    "all": ("All outcomes", ()),
    "fired": ("Fired (planned or delivered)", (Outcome.PLANNED, Outcome.DELIVERED)),
    "failed": ("Failed", (Outcome.FAILED,)),
    "flagged": ("Flagged (Segment would drop)", (Outcome.DROPPED,)),
    "skipped": ("Skipped (no mapping matched)", (Outcome.SKIPPED,)),
    "waiting": ("Waiting (queued or retrying)", OPEN_OUTCOMES),
}


class DeliveryOutcome(_Str):
    """What one mapping did with an event (``outcome`` of a delivery record in the journal).

    The first four are the upsert engine's own (``UpsertResult.outcome``, pipedrive/engine.py);
    the dispatcher adds the rest."""

    CREATE = "create"
    UPDATE = "update"
    PLANNED = "planned"  # built (and, connected, looked up) but not sent
    FAIL = "fail"
    INVALID = "invalid"  # the mapping could not build a valid payload
    ALREADY_DELIVERED = "already_delivered"  # sent live before for this messageId; not sent again
    NEEDS_REVIEW = "needs_review"  # a live write cut off by a crash that cannot be looked up again

    @property
    def label(self) -> str:
        """How the event detail says it (create and update read "would …" in a dry run)."""
        return _DELIVERY_LABELS.get(self, self.value)


_DELIVERY_LABELS = {
    DeliveryOutcome.CREATE: "would create / created",
    DeliveryOutcome.UPDATE: "would update / updated",
    DeliveryOutcome.PLANNED: "planned",
    DeliveryOutcome.FAIL: "failed",
    DeliveryOutcome.INVALID: "payload not valid",
    DeliveryOutcome.ALREADY_DELIVERED: "already delivered",
}


def delivery_text(outcome: str) -> str:
    """The words for a delivery record's stored outcome (an unknown one as it is)."""
    try:
        return DeliveryOutcome(outcome).label
    except ValueError:
        return outcome


#: A live write happened (what "already delivered" remembers).
SUCCESS: tuple[DeliveryOutcome, ...] = (DeliveryOutcome.UPDATE, DeliveryOutcome.CREATE)
#: A mapping that fired and failed: the event fails.
FAILING: tuple[DeliveryOutcome, ...] = (
    DeliveryOutcome.FAIL,
    DeliveryOutcome.INVALID,
    DeliveryOutcome.NEEDS_REVIEW,
)


class ReceiverMode(_Str):
    """How the receiver dispatches: the upsert engine's mode names (pipedrive/engine.py ``MODES``)."""

    # The values are the engine's run modes, whose one home is core/modes.py.
    DRY_RUN = modes.DRY_RUN  # lookups only, nothing written
    LIVE = modes.SEND  # creates and updates records in Pipedrive

    @property
    def label(self) -> str:
        """``live`` / ``dry run``, as running states and messages say it."""
        return modes.mode_word(self.value)


#: The mode names ``MappingProcessor`` accepts.
MODES: tuple[str, ...] = tuple(m.value for m in ReceiverMode)

__all__ = [
    "FAILING",
    "MODES",
    "OPEN_OUTCOMES",
    "OUTCOMES",
    "OUTCOME_FILTERS",
    "OUTCOME_TEXT",
    "SUCCESS",
    "DeliveryOutcome",
    "Outcome",
    "ReceiverMode",
    "counts_line",
    "delivery_text",
    "outcome_text",
    "waiting",
]
