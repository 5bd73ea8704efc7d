"""Bringing mappings from elsewhere (a Segment export, later a pull from Segment) into a project that
already has mappings, without duplicating them silently.

Three ways, the user's choice:

- ``replace``: the project's mappings become the incoming ones.
- ``update``: an incoming mapping with the same name and action as one in the project updates that
  one (its trigger, enabled state and field values; it keeps its id and place, so what the receiver
  and the test-record ledger know by that id stays attached); the others are added at the end. Two
  project mappings with the same name and action are paired with incoming ones in order. A mapping
  that knows its Segment subscription (``subscription_id``, from a pull) is paired by that first,
  so a mapping renamed in Segment updates the project's one (name included) instead of adding one.
- ``copy``: all incoming mappings are added; one whose name is already taken is renamed
  "Name (copy)", "Name (copy 2)"...; a copy of a subscription the project already links to is
  unlinked (pushing it creates a new subscription rather than two mappings sharing one).

A pure function over :class:`~pipedrive_gui.core.project.Mapping` lists: the GUI makes the result one
undo step, the CLI writes it to the project file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from .project import Mapping, new_mapping_id

MergeMode = Literal["replace", "update", "copy"]
MERGE_MODES: tuple[MergeMode, ...] = ("replace", "update", "copy")

__all__ = ["MERGE_MODES", "MergeMode", "MergeResult", "copy_name", "merge_mappings"]


@dataclass(frozen=True)
class MergeResult:
    """The project's new mapping list and what happened, by mapping name (the result's names)."""

    mode: MergeMode
    mappings: list[Mapping]
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # matched, and already equal
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # ``replace`` only
    renamed: list[tuple[str, str]] = field(default_factory=list)  # ``copy``: (imported name, new name)

    @property
    def changed(self) -> bool:
        return bool(self.updated or self.added or self.removed)

    def summary(self) -> str:
        """One line for a status bar or a terminal: "3 updated, 1 added"."""
        parts = [
            f"{len(self.updated)} updated" if self.updated else "",
            f"{len(self.added)} added" + (f" ({len(self.renamed)} as copies)" if self.renamed else "")
            if self.added
            else "",
            f"{len(self.removed)} removed" if self.removed else "",
            f"{len(self.unchanged)} already up to date" if self.unchanged else "",
        ]
        return ", ".join(p for p in parts if p) or "nothing to import"

    def details(self) -> str:
        """Which mappings, one group per line (for a dialog or ``--verbose`` output)."""
        lines = []
        for label, names in (
            ("Updated", self.updated),
            ("Added", self.added),
            ("Removed", self.removed),
            ("Already up to date", self.unchanged),
        ):
            if names:
                lines.append(f"{label}: " + ", ".join(f"“{n}”" for n in names))
        if self.renamed:
            lines.append("Renamed as copies: " + ", ".join(f"“{a}” → “{b}”" for a, b in self.renamed))
        return "\n".join(lines)


def _key(m: Mapping) -> tuple[str, str]:
    return m.name.strip(), m.action


def copy_name(name: str, taken: Iterable[str]) -> str:
    """``name`` if free, else "name (copy)", "name (copy 2)"... (the first one not in ``taken``)."""
    used = set(taken)
    if name not in used:
        return name
    candidate = f"{name} (copy)"
    n = 2
    while candidate in used:
        candidate = f"{name} (copy {n})"
        n += 1
    return candidate


def _fresh(m: Mapping, ids: set[str]) -> Mapping:
    """A copy of ``m`` whose id is not in ``ids`` (``ids`` then includes it)."""
    mapping_id = m.id if m.id and m.id not in ids else new_mapping_id()
    while mapping_id in ids:
        mapping_id = new_mapping_id()
    ids.add(mapping_id)
    return replace(m, id=mapping_id, settings=copy.deepcopy(m.settings))


def merge_mappings(existing: Sequence[Mapping], incoming: Sequence[Mapping], mode: MergeMode) -> MergeResult:
    """The project's mappings after bringing in ``incoming`` (neither list is changed)."""
    if mode not in MERGE_MODES:
        raise ValueError(f"unknown merge mode {mode!r}; expected one of {', '.join(MERGE_MODES)}")
    if mode == "replace":
        ids: set[str] = set()
        result = [_fresh(m, ids) for m in incoming]
        return MergeResult(mode, result, added=[m.name for m in result], removed=[m.name for m in existing])

    out = list(existing)
    ids = {m.id for m in existing}
    updated: list[str] = []
    unchanged: list[str] = []
    added: list[str] = []
    renamed: list[tuple[str, str]] = []
    if mode == "update":
        claimed: set[int] = set()
        by_subscription = {m.subscription_id: i for i, m in enumerate(existing) if m.subscription_id}
        pairs: dict[int, int] = {}  # incoming index -> existing index, by subscription id first
        for j, m in enumerate(incoming):
            i = by_subscription.get(m.subscription_id) if m.subscription_id else None
            if i is not None and i not in claimed and existing[i].action == m.action:
                pairs[j] = i
                claimed.add(i)
        for j, m in enumerate(incoming):
            index = pairs.get(j)
            if index is None:
                index = next(
                    (
                        i
                        for i, old in enumerate(out)
                        if i < len(existing) and i not in claimed and _key(old) == _key(m)
                    ),
                    None,
                )
            if index is None:
                new = _fresh(m, ids)
                out.append(new)
                added.append(new.name)
                continue
            claimed.add(index)
            old = out[index]
            new = replace(
                old,
                name=m.name if j in pairs else old.name,
                trigger=m.trigger,
                enabled=m.enabled,
                settings=copy.deepcopy(m.settings),
                subscription_id=m.subscription_id or old.subscription_id,
            )
            if new == old:
                unchanged.append(old.name)
            else:
                out[index] = new
                updated.append(old.name)
        return MergeResult(mode, out, updated=updated, unchanged=unchanged, added=added)

    names = {m.name for m in existing}
    linked = {m.subscription_id for m in existing if m.subscription_id}
    for m in incoming:
        name = copy_name(m.name, names)
        names.add(name)
        subscription_id = m.subscription_id if m.subscription_id not in linked else None
        if subscription_id:
            linked.add(subscription_id)
        new = _fresh(replace(m, name=name, subscription_id=subscription_id), ids)
        out.append(new)
        added.append(name)
        if name != m.name:
            renamed.append((m.name, name))
    return MergeResult(mode, out, added=added, renamed=renamed)
