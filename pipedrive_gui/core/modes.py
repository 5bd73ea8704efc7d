"""How a mapping is run (docs/architecture.md#data-flow): the one list of the engine's modes.

The values are stored (the receiver's journal records each delivery's mode) and printed as JSON
(``pipedrive-gui send --json``), so they never change; code compares against these names.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["DRY_RUN", "MODES", "PLAN", "RECEIVER_MODES", "SEND", "RunMode", "mode_word"]

RunMode = Literal["plan", "dry_run", "send"]

#: No network: the calls that would be made ("look up person where …, then update it or create it").
PLAN: Final = "plan"
#: Read-only lookups: "would update person #123".
DRY_RUN: Final = "dry_run"
#: Live: records are created and updated in Pipedrive.
SEND: Final = "send"

MODES: tuple[RunMode, ...] = (PLAN, DRY_RUN, SEND)
#: The receiver runs every event either as a dry run or live.
RECEIVER_MODES: tuple[RunMode, ...] = (DRY_RUN, SEND)

_WORDS: dict[str, str] = {PLAN: "plan", DRY_RUN: "dry run", SEND: "live"}


def mode_word(mode: str) -> str:
    """How a sentence names the mode: ``"dry run"``, ``"live"`` (``"plan"``)."""
    return _WORDS.get(mode, mode)
