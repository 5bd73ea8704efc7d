"""Which messageIds the journal has seen lately: the receiver's dedupe window.

Segment drops an event whose messageId it saw shortly before (client retries resend whole batches
with the same ids); it does not promise to dedupe against all history. The journal does the same
with the ids of its most recent events, held in memory. Why not a UNIQUE index on ``message_id``:
real clients make random ids (UUIDs), and every insert into an index on random keys lands on a
random page; past a few hundred thousand events each event then cost several disk pages of
write-ahead log and the intake slowed down about fivefold. A window of recent ids costs a set
lookup per event and a bounded amount of memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

#: How many of the latest messageIds are remembered (~13 MB). Client retries come within seconds
#: or minutes, so this spans far more than any retry; an id older than that is taken as new.
WINDOW = 100_000


class RecentIds:
    """The last ``capacity`` messageIds, oldest forgotten first; membership in O(1)."""

    def __init__(self, capacity: int = WINDOW, ids: Iterable[str] = ()) -> None:
        self.capacity = capacity
        self._order: deque[str] = deque()
        self._seen: set[str] = set()
        for message_id in ids:
            self.add(message_id)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, message_id: str) -> None:
        if message_id in self._seen:
            return
        self._seen.add(message_id)
        self._order.append(message_id)
        if len(self._order) > self.capacity:
            self._seen.discard(self._order.popleft())

    def admit(self, message_ids: Iterable[str]) -> list[int]:
        """Remember these ids (in order) and return the positions of those already seen, including
        repeats within ``message_ids`` itself: the duplicates to leave out."""
        duplicates: list[int] = []
        seen = self._seen
        for position, message_id in enumerate(message_ids):
            if message_id in seen:
                duplicates.append(position)
            else:
                self.add(message_id)
        return duplicates
