"""Autosave and crash recovery.

Every ``interval`` seconds while the project has unsaved changes, a copy goes to
``<data>/autosave/recovery.pipedrive-map.json`` (plus a small note of which file it belongs to).
Saving, or closing without a crash, removes it; finding it at the next start means the app did not
close properly, and the window offers to restore it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from pipedrive_gui.core.project import (
    Project,
    ProjectFileError,
    atomic_write_text,
    dumps_project,
    load_project,
)
from pipedrive_gui.gui.document import Document

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 30


@dataclass
class Recovery:
    project: Project
    original: Path | None  # the file the unsaved work belongs to (None: never saved)
    saved_at: str


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
    return Recovery(project, Path(original) if original else None, str(meta.get("saved_at", "")))


def discard_recovery(data_dir: Path) -> None:
    folder = autosave_dir(data_dir)
    for name in ("recovery.pipedrive-map.json", "recovery.json"):
        (folder / name).unlink(missing_ok=True)


class Autosaver(QObject):
    def __init__(self, doc: Document, data_dir: Path, interval_s: float = DEFAULT_INTERVAL_S,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.data_dir = doc, data_dir
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self.last_error: str | None = None
        doc.saved.connect(self._saved)

    def _saved(self) -> None:
        discard_recovery(self.data_dir)

    def save_now(self) -> bool:
        """Write the recovery copy if there is anything unsaved; True when written."""
        if not self.doc.dirty:
            return False
        folder = autosave_dir(self.data_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(folder / "recovery.pipedrive-map.json", dumps_project(self.doc.project))
            meta = {"original": str(self.doc.path) if self.doc.path else None,
                    "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            atomic_write_text(folder / "recovery.json", json.dumps(meta))
        except OSError as exc:
            self.last_error = f"Autosave failed ({exc}); save the project yourself to be safe."
            log.warning("%s", self.last_error)
            return False
        self.last_error = None
        return True

    def stop(self, *, clean_exit: bool) -> None:
        self.timer.stop()
        if clean_exit:
            discard_recovery(self.data_dir)
