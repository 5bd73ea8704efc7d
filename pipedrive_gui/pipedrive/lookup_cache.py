"""Remembers which Pipedrive record a match value resolved to, so repeated events skip the search.

Segment's destination searches every match value (the record itself and each associated person,
organization and deal) on every event. Most event streams repeat the same people and companies,
so the engine asks this cache first. Only *found* ids are cached: a "not found" answer is never
reused, because acting on it means creating a record, and a stale negative would make duplicates.

Invalidation keeps it safe:
- entries expire after ``ttl`` seconds (records can be merged or deleted in Pipedrive meanwhile);
- a 404 on an update drops every key that pointed at that id (``forget_id``), and the engine
  looks the value up again;
- records the engine creates are added right away (``remember``), which also covers the
  search-index lag right after a create.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CacheKey = tuple[str, str, str]
_CASE_INSENSITIVE = frozenset({"email", "name", "phone", "title", "address"})


def cache_key(entity: str, match_field: str, value: Any) -> CacheKey:
    """Normalise like the lookup itself does: entity search (built-in fields such as email or
    name) ignores case; itemSearch/field (custom fields) does not."""
    text = str(value).strip()
    if match_field in _CASE_INSENSITIVE:
        text = text.casefold()
    elif match_field == "id":
        try:
            text = str(int(text))
        except ValueError:
            pass
    return (entity, match_field, text)


@dataclass
class CachedRecord:
    record_id: int | str
    name: str | None
    stored_at: float
    source: str  # "lookup" (found by a search/GET) or "created" (the engine made it)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    invalidations: int = 0


@dataclass
class LookupCache:
    ttl: float = 15 * 60.0
    max_entries: int = 50_000
    clock: Callable[[], float] = time.monotonic
    stats: CacheStats = field(default_factory=CacheStats)
    _entries: dict[CacheKey, CachedRecord] = field(default_factory=dict)

    def get(self, entity: str, match_field: str, value: Any) -> CachedRecord | None:
        key = cache_key(entity, match_field, value)
        entry = self._entries.get(key)
        if entry is not None and self.clock() - entry.stored_at > self.ttl:
            del self._entries[key]
            entry = None
        if entry is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return entry

    def remember(
        self,
        entity: str,
        match_field: str,
        value: Any,
        record_id: int | str,
        name: str | None = None,
        *,
        source: str = "lookup",
    ) -> None:
        if len(self._entries) >= self.max_entries:
            # Drop the oldest quarter; insertion order approximates age well enough here.
            for old in list(self._entries)[: self.max_entries // 4]:
                del self._entries[old]
        key = cache_key(entity, match_field, value)
        self._entries.pop(key, None)
        self._entries[key] = CachedRecord(record_id, name, self.clock(), source)
        if match_field != "id":
            # Knowing the id also answers a later lookup by id.
            self._entries[cache_key(entity, "id", record_id)] = CachedRecord(
                record_id, name, self.clock(), source
            )

    def forget(self, entity: str, match_field: str, value: Any) -> None:
        if self._entries.pop(cache_key(entity, match_field, value), None) is not None:
            self.stats.invalidations += 1

    def forget_id(self, entity: str, record_id: int | str) -> None:
        """The record is gone (404) or was replaced: drop every key that led to it."""
        stale = [k for k, v in self._entries.items() if k[0] == entity and str(v.record_id) == str(record_id)]
        for key in stale:
            del self._entries[key]
        self.stats.invalidations += len(stale)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
