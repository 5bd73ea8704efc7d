"""The open project, and one undoable command per kind of edit.

Every change the user makes goes through :class:`Document` as a ``QUndoCommand`` so undo/redo and
the "unsaved changes" state cover everything. Mappings are treated as values: an edit replaces the
``Mapping`` object with an edited copy, so a command just keeps the before/after objects.

Signals:
    changed(): anything changed (preview, dirty state, autosave listen to this).
    mappings_reset(): mappings were added, removed or reordered.
    mapping_changed(str): one mapping (by id) was replaced by an edited copy.
    samples_changed(): the project's saved sample events changed.
    path_changed(): the file the project is saved to changed.
    dirty_changed(bool): unsaved changes appeared / were saved.
    saved(): the project was written to its file.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from pipedrive_gui.core.project import (
    DestinationDefaults,
    Mapping,
    Project,
    SampleEvent,
    SegmentLink,
    new_mapping_id,
)

_MERGE_ID = 4242  # QUndoCommand.id() for edits of one field that typing merges into one step


class Document(QObject):
    changed = Signal()
    mappings_reset = Signal()
    mapping_changed = Signal(str)
    samples_changed = Signal()
    path_changed = Signal()
    dirty_changed = Signal(bool)
    saved = Signal()

    def __init__(
        self, project: Project | None = None, path: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.project = project or Project()
        self.path = path
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._force_dirty = False

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    # -- state ------------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._force_dirty or not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        return self.path.name if self.path else self.project.name

    def replace_project(self, project: Project, path: Path | None, *, dirty: bool = False) -> None:
        """Open another project (not undoable: the undo history belongs to the old one)."""
        self.project = project
        self.path = path
        self.undo_stack.clear()
        self._force_dirty = dirty
        self.undo_stack.setClean()
        self.path_changed.emit()
        self.mappings_reset.emit()
        self.samples_changed.emit()
        self.dirty_changed.emit(self.dirty)
        self.changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._force_dirty = False
        self.undo_stack.setClean()
        self.path_changed.emit()
        self.dirty_changed.emit(False)
        self.saved.emit()

    def mapping(self, mapping_id: str) -> Mapping | None:
        for m in self.project.mappings:
            if m.id == mapping_id:
                return m
        return None

    def index_of(self, mapping_id: str) -> int:
        for i, m in enumerate(self.project.mappings):
            if m.id == mapping_id:
                return i
        return -1

    # -- edits (each one undoable) ----------------------------------------------------------------

    def edit_mapping(self, new: Mapping, text: str, merge_key: str | None = None) -> None:
        """Replace the mapping with the same id by ``new``; ``merge_key`` merges successive edits
        of the same thing (typing) into one undo step."""
        old = self.mapping(new.id)
        if old is None or old == new:
            return
        self.undo_stack.push(_ReplaceMapping(self, old, new, text, merge_key))

    def set_mappings(self, mappings: list[Mapping], text: str) -> None:
        if mappings == self.project.mappings:
            return
        self.undo_stack.push(_SetMappings(self, list(self.project.mappings), list(mappings), text))

    def add_mapping(self, mapping: Mapping, index: int | None = None, text: str | None = None) -> None:
        mappings = list(self.project.mappings)
        mappings.insert(len(mappings) if index is None else index, mapping)
        self.set_mappings(mappings, text or f"Add mapping “{mapping.name}”")

    def remove_mapping(self, mapping_id: str) -> None:
        m = self.mapping(mapping_id)
        if m is None:
            return
        self.set_mappings(
            [x for x in self.project.mappings if x.id != mapping_id], f"Delete mapping “{m.name}”"
        )

    def duplicate_mapping(self, mapping_id: str) -> Mapping | None:
        m = self.mapping(mapping_id)
        if m is None:
            return None
        from pipedrive_gui.core.merge import copy_name

        # "Name (copy)", then "Name (copy 2)"...: two mappings never look the same in the list.
        copy_ = Mapping(
            new_mapping_id(),
            copy_name(m.name, (x.name for x in self.project.mappings)),
            m.action,
            m.trigger,
            m.enabled,
            copy.deepcopy(m.settings),
        )
        self.add_mapping(copy_, self.index_of(mapping_id) + 1, f"Duplicate mapping “{m.name}”")
        return copy_

    def move_mapping(self, mapping_id: str, delta: int) -> None:
        i = self.index_of(mapping_id)
        j = i + delta
        if i < 0 or not 0 <= j < len(self.project.mappings):
            return
        mappings = list(self.project.mappings)
        mappings[i], mappings[j] = mappings[j], mappings[i]
        self.set_mappings(mappings, f"Move mapping “{mappings[j].name}” {'up' if delta < 0 else 'down'}")

    def rename_mapping(self, mapping_id: str, name: str) -> None:
        m = self.mapping(mapping_id)
        if m is not None and name.strip():
            self.edit_mapping(replace(m, name=name.strip()), f"Rename mapping to “{name.strip()}”")

    def set_enabled(self, mapping_id: str, enabled: bool) -> None:
        m = self.mapping(mapping_id)
        if m is not None:
            self.edit_mapping(
                replace(m, enabled=enabled), f"{'Enable' if enabled else 'Disable'} mapping “{m.name}”"
            )

    def set_from_segment(self, project: Project, text: str) -> None:
        """Take the mappings, destination settings and Segment link of ``project`` (a pull, or the
        subscription ids a push recorded) as one undo step."""
        old = (list(self.project.mappings), copy.deepcopy(self.project.destination), self.project.segment)
        new = (list(project.mappings), copy.deepcopy(project.destination), project.segment)
        if old == new:
            return
        self.undo_stack.push(_SetSegmentState(self, old, new, text))

    def set_imported(
        self,
        mappings: list[Mapping],
        text: str,
        *,
        name: str | None = None,
        destination: DestinationDefaults | None = None,
        samples: list[SampleEvent] | None = None,
    ) -> bool:
        """Take an import's mappings and, where given, the project name, destination settings and
        samples (File > Import Segment JSON) as one undo step. False when nothing changed."""
        p = self.project
        old = (p.name, list(p.mappings), copy.deepcopy(p.destination), list(p.samples))
        new = (
            p.name if name is None else name,
            list(mappings),
            copy.deepcopy(p.destination if destination is None else destination),
            list(p.samples if samples is None else samples),
        )
        if old == new:
            return False
        self.undo_stack.push(_SetImportState(self, old, new, text))
        return True

    def set_samples(self, samples: list[SampleEvent], text: str) -> None:
        self.undo_stack.push(_SetSamples(self, list(self.project.samples), list(samples), text))

    # -- used by the commands ---------------------------------------------------------------------

    def _put_mapping(self, mapping: Mapping) -> None:
        i = self.index_of(mapping.id)
        if i >= 0:
            self.project.mappings[i] = mapping
            self.mapping_changed.emit(mapping.id)
            self.changed.emit()

    def _put_mappings(self, mappings: list[Mapping]) -> None:
        self.project.mappings = list(mappings)
        self.mappings_reset.emit()
        self.changed.emit()

    def _put_segment_state(self, state: _SegmentState) -> None:
        mappings, destination, segment = state
        self.project.mappings = list(mappings)
        self.project.destination = copy.deepcopy(destination)
        self.project.segment = segment
        self.mappings_reset.emit()
        self.changed.emit()

    def _put_import_state(self, state: _ImportState) -> None:
        name, mappings, destination, samples = state
        self.project.name = name
        self.project.mappings = list(mappings)
        self.project.destination = copy.deepcopy(destination)
        self.project.samples = list(samples)
        self.path_changed.emit()  # the title shows the project's name while it has no file
        self.mappings_reset.emit()
        self.samples_changed.emit()
        self.changed.emit()

    def _put_samples(self, samples: list[SampleEvent]) -> None:
        self.project.samples = list(samples)
        self.samples_changed.emit()
        self.changed.emit()


class _ReplaceMapping(QUndoCommand):
    def __init__(self, doc: Document, old: Mapping, new: Mapping, text: str, merge_key: str | None) -> None:
        super().__init__(text)
        self.doc, self.old, self.new, self.merge_key = doc, old, new, merge_key

    def redo(self) -> None:
        self.doc._put_mapping(self.new)

    def undo(self) -> None:
        self.doc._put_mapping(self.old)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if (
            not isinstance(other, _ReplaceMapping)
            or other.merge_key != self.merge_key
            or other.new.id != self.new.id
        ):
            return False
        self.new = other.new
        return True


class _SetMappings(QUndoCommand):
    def __init__(self, doc: Document, old: list[Mapping], new: list[Mapping], text: str) -> None:
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def redo(self) -> None:
        self.doc._put_mappings(self.new)

    def undo(self) -> None:
        self.doc._put_mappings(self.old)


_SegmentState = tuple[list[Mapping], DestinationDefaults, SegmentLink | None]


class _SetSegmentState(QUndoCommand):
    def __init__(self, doc: Document, old: _SegmentState, new: _SegmentState, text: str) -> None:
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def redo(self) -> None:
        self.doc._put_segment_state(self.new)

    def undo(self) -> None:
        self.doc._put_segment_state(self.old)


_ImportState = tuple[str, list[Mapping], DestinationDefaults, list[SampleEvent]]


class _SetImportState(QUndoCommand):
    def __init__(self, doc: Document, old: _ImportState, new: _ImportState, text: str) -> None:
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def redo(self) -> None:
        self.doc._put_import_state(self.new)

    def undo(self) -> None:
        self.doc._put_import_state(self.old)


class _SetSamples(QUndoCommand):
    def __init__(self, doc: Document, old: list[SampleEvent], new: list[SampleEvent], text: str) -> None:
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def redo(self) -> None:
        self.doc._put_samples(self.new)

    def undo(self) -> None:
        self.doc._put_samples(self.old)
