"""Autosave and crash recovery.

A few seconds after an edit leaves the project with unsaved changes, a copy goes to
``<data>/autosave/recovery.pipedrive-map.json`` (plus a small note of which file it belongs to, and
the sample event the user typed or pasted when it is not in the project's library: ``draft``), so
a crash or a killed process loses at most those seconds. Saving, or closing without a crash, removes
it; finding it at the next start means the app did not close properly, and the window offers to
restore it. A failed autosave is reported through ``status_changed`` so the window can say so.

Signals (Autosaver):
    status_changed(str): "" after a successful autosave, else what went wrong and what to do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from pipedrive_gui.core.project import (
    Project,
    ProjectFileError,
    atomic_write_text,
    dumps_project,
    load_project,
)
from pipedrive_gui.gui.document import Document

log = logging.getLogger(__name__)
#: Seconds between an edit and its autosave (edits meanwhile ride along in the same write).
DEFAULT_INTERVAL_S = 3.0


@dataclass
class Recovery:
    project: Project
    original: Path | None  # the file the unsaved work belongs to (None: never saved)
    saved_at: str
    #: The sample event the user typed or pasted and did not save to the project (its text).
    sample_text: str | None = None
    #: The project had unsaved changes (False: only the pasted sample event was unsaved).
    project_changed: bool = True


def autosave_dir(data_dir: Path) -> Path:
    return data_dir / "autosave"


def find_recovery(data_dir: Path) -> Recovery | None:
    folder = autosave_dir(data_dir)
    copy = folder / "recovery.pipedrive-map.json"
    if not copy.exists():
        return None
    try:
        project = load_project(copy)
        meta = json.loads((folder / "recovery.json").read_text(encoding="utf-8"))
    except (ProjectFileError, OSError, ValueError) as exc:
        log.warning("unreadable autosave ignored: %s", exc)
        return None
    original = meta.get("original")
    sample = meta.get("sample_text")
    return Recovery(
        project,
        Path(original) if original else None,
        str(meta.get("saved_at", "")),
        sample if isinstance(sample, str) else None,
        bool(meta.get("project_changed", True)),
    )


def discard_recovery(data_dir: Path) -> None:
    folder = autosave_dir(data_dir)
    for name in ("recovery.pipedrive-map.json", "recovery.json"):
        (folder / name).unlink(missing_ok=True)


class Autosaver(QObject):
    status_changed = Signal(str)

    def __init__(
        self,
        doc: Document,
        data_dir: Path,
        interval_s: float = DEFAULT_INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.data_dir = doc, data_dir
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.save_now)
        self.last_error: str | None = None
        self._stopped = False
        self._wrote = False
        #: A crash copy was found and the user has not answered the offer yet: keep it on exit.
        self.recovery_pending = False
        #: The sample event's text when the user typed or pasted one that is not in the project
        #: (the window sets this), else None; call ``draft_changed`` when it changes.
        self.draft: Callable[[], str | None] = lambda: None
        doc.saved.connect(self._saved)
        doc.changed.connect(self._changed)

    def _changed(self) -> None:
        # Not restarted by every keystroke: a long typing spree is still saved every few seconds.
        if not self._stopped and not self.timer.isActive():
            self.timer.start()

    def draft_changed(self) -> None:
        """The sample event's text changed: autosave it too (pasted events are work)."""
        self._changed()

    def _saved(self) -> None:
        self.timer.stop()
        if self.draft() is not None:
            self.save_now()  # the project is saved; the pasted sample event is not
        elif not self.recovery_pending:
            discard_recovery(self.data_dir)
        self._report(None)

    def _report(self, error: str | None) -> None:
        if error != self.last_error:
            self.last_error = error
            self.status_changed.emit(error or "")

    def save_now(self) -> bool:
        """Write the recovery copy if there is anything unsaved; True when written."""
        draft = self.draft()
        if not self.doc.dirty and draft is None:
            # Undone back to the saved state: this session's older copy would offer stale work. (A
            # copy left by a crash is kept until the user answers the recovery offer.)
            if self._wrote:
                discard_recovery(self.data_dir)
                self._wrote = False
            return False
        folder = autosave_dir(self.data_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(folder / "recovery.pipedrive-map.json", dumps_project(self.doc.project))
            meta = {
                "original": str(self.doc.path) if self.doc.path else None,
                "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "sample_text": draft,
                "project_changed": self.doc.dirty,
            }
            atomic_write_text(folder / "recovery.json", json.dumps(meta))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = exc.filename or folder
            log.warning("autosave to %s failed: %s", where, reason)
            self._report(
                f"Autosave failed: could not write {where} ({reason}). Your changes are only in "
                "this window: save the project yourself (File > Save, Ctrl+S) to keep them."
            )
            return False
        self._wrote = True
        self._report(None)
        return True

    def stop(self, *, clean_exit: bool) -> None:
        self._stopped = True
        self.timer.stop()
        if clean_exit and not self.recovery_pending:
            discard_recovery(self.data_dir)
