"""The sample event: a library (the bundled samples + the project's saved ones) and a JSON editor
with highlighting, line/column errors and a pretty-print button.

A broken edit never loses text: the editor keeps it, says where the problem is, and
``current_event()`` keeps answering with the last valid event until it is fixed.

Signals:
    event_changed(): the text changed (valid or not); the preview debounces on it.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core import samples
from pipedrive_gui.core.jsvalues import real_type_of
from pipedrive_gui.core.project import SampleEvent
from pipedrive_gui.core.wording import with_article
from pipedrive_gui.gui import shortcuts
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.json_highlighter import highlight_json
from pipedrive_gui.gui.shortcuts import with_key

#: The library entry of an event the user typed or pasted (not a sample of the library yet).
OWN = ("own", 0)


def describe_event(event: Any) -> str:
    """A short name for an event: "Order Completed" for a track call, else its type."""
    if not isinstance(event, dict):
        return "event"
    name = event.get("event") if event.get("type") == "track" else None
    if isinstance(name, str) and name.strip():
        return name.strip()
    kind = event.get("type")
    return f"{kind} event" if isinstance(kind, str) and kind else "event"


class EventEditor(QWidget):
    event_changed = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.library = QComboBox()
        self.library.setObjectName("sampleLibrary")
        self.library.setAccessibleName("Sample events")
        self.library.activated.connect(self._chosen)
        self.text = QPlainTextEdit()
        self.text.setObjectName("eventText")
        self.text.setAccessibleName("Sample event (JSON)")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setTabChangesFocus(True)  # JSON is indented with spaces; Tab moves on, as in a form
        self.highlighter = highlight_json(self.text)
        self.text.textChanged.connect(self._text_changed)
        self.pretty = QPushButton("Pretty-print")
        self.pretty.setToolTip(with_key("Re-indent the JSON (only when it is valid)", shortcuts.PRETTY_PRINT))
        self.pretty.clicked.connect(self.pretty_print)
        self.save = QPushButton("Save to project")
        self.save.setToolTip(
            "Keep this event in the project's sample library (an event you pasted is "
            "in the autosave until then)"
        )
        self.save.clicked.connect(self.save_to_project)
        self.status = QLabel()
        self.status.setObjectName("eventStatus")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Sample event</b>"))
        top.addWidget(self.library, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pretty)
        buttons.addWidget(self.save)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self._event: dict[str, Any] | None = None
        self._loaded_text = ""
        self.error: str | None = None
        self.error_position: tuple[int, int] | None = None
        self._bundled = samples.list_samples()
        # The last new sample: the entry it was saved from and the one it became.
        self._saved: tuple[Any, tuple[str, int]] | None = None
        # The user's own event (typed or pasted over a library entry): that entry, or None.
        self._own_from: Any = None
        self._own = False
        doc.samples_changed.connect(self.refresh_library)
        self.refresh_library()

    # -- library ----------------------------------------------------------------------------------

    def refresh_library(self) -> None:
        current = self.library.currentData()
        self.library.blockSignals(True)
        self.library.clear()
        if self._own:
            self.library.addItem(self._own_label(), OWN)
        for i, s in enumerate(self.doc.project.samples):
            self.library.addItem(f"{s.name}  (this project)", ("project", i))
        for info in self._bundled:
            self.library.addItem(f"{info.title}  (built-in)", ("bundled", info.name))
        saved = self._saved
        if saved is not None and current in (saved[0], saved[1]):
            # Undo/redo of the last "Save sample": name the entry that now holds this event.
            kind, index = saved[1]
            project = self.doc.project.samples
            if isinstance(index, int) and index < len(project) and project[index].event == self._event:
                current = saved[1]
            elif current == saved[1]:
                current = saved[0]
        if current is not None:
            self.select_entry(*current)
        self.library.blockSignals(False)

    def _own_label(self) -> str:
        """E.g. "Your event “Order Completed” (not saved)", "Your identify event (not saved)"."""
        what = describe_event(self._event) if self._event is not None else "event"
        if what == "event" or what.endswith(" event"):
            return f"Your {what} (not saved)"
        return f"Your event “{what}” (not saved)"

    def has_own_event(self) -> bool:
        """The editor holds an event the user typed or pasted, not yet in the sample library."""
        return self._own

    def _set_own(self, own: bool) -> None:
        """Show in the drop-down that the editor holds the user's own event (or not any more)."""
        if own:
            if not self._own:
                self._own_from = self.library.currentData()
                self._own = True
                self.library.insertItem(0, self._own_label(), OWN)
            else:
                self.library.setItemText(0, self._own_label())
            self.library.setCurrentIndex(0)
        elif self._own:
            self._own = False
            index = self.library.findData(OWN)
            if index >= 0:
                self.library.removeItem(index)
            if self._own_from is not None:
                self.select_entry(*self._own_from)

    def _chosen(self, index: int) -> None:
        kind, key = self.library.itemData(index)
        if kind == "own":
            return  # already in the editor
        self._set_own(False)
        if kind == "project":
            if 0 <= key < len(self.doc.project.samples):
                self.set_event(self.doc.project.samples[key].event)
        else:
            self.set_event(samples.load_sample(key))

    def select_entry(self, kind: str, key: object) -> bool:
        """Show which library entry the editor holds (without reloading its event)."""
        for i in range(self.library.count()):
            if self.library.itemData(i) == (kind, key):
                self.library.setCurrentIndex(i)
                return True
        return False

    def choose(self, label_part: str) -> bool:
        """Select the first library entry whose label contains ``label_part``."""
        for i in range(self.library.count()):
            if label_part in self.library.itemText(i):
                self.library.setCurrentIndex(i)
                self._chosen(i)
                return True
        return False

    def save_to_project(self) -> None:
        event = self._event
        if event is None or self.error:
            self.status.setText("Fix the JSON first: only a valid event can be saved to the project.")
            return
        data = self.library.currentData()
        own = data == OWN
        items = list(self.doc.project.samples)
        if own:
            # An edit of a project sample updates it; a different event (a paste) is a new sample.
            data = self._own_from
            if (
                data
                and data[0] == "project"
                and 0 <= data[1] < len(items)
                and describe_event(items[data[1]].event) != describe_event(event)
            ):
                data = None
        if data and data[0] == "project" and 0 <= data[1] < len(items):
            items[data[1]] = SampleEvent(items[data[1]].name, event)
            text = f"Update sample “{items[data[1]].name}”"
            index = data[1]
        else:
            title = (
                describe_event(event)
                if own
                else self.library.currentText().replace("  (built-in)", "") or "Sample"
            )
            names = {s.name for s in items}
            name, n = title, 2
            while name in names:
                name, n = f"{title} {n}", n + 1
            items.append(SampleEvent(name, event))
            text, index = f"Save sample “{name}”", len(items) - 1
            self._saved = (data, ("project", index))
        if own:
            # The event is the sample's now: the editor holds a library entry again.
            self._own, self._own_from = False, None
            self._loaded_text = self.text.toPlainText()
        self.doc.set_samples(items, text)
        self.select_entry("project", index)

    # -- the text ---------------------------------------------------------------------------------

    def set_event(self, event: Any) -> None:
        """Show a library event (the caller selects its entry)."""
        text = json.dumps(event, indent=2, ensure_ascii=False)
        self._loaded_text = text
        self.text.setPlainText(text)

    def is_pristine(self) -> bool:
        """True while the text is exactly a library sample (nothing typed or pasted yet)."""
        return self.text.toPlainText() == self._loaded_text

    def set_text(self, text: str) -> None:
        """Put text in the box as if the user pasted it (it is the user's own event)."""
        self.text.setPlainText(text)

    def own_text(self) -> str | None:
        """The text of the user's own event (for the autosave), or None when the editor shows a
        library entry unchanged."""
        return self.text.toPlainText() if self._own else None

    def current_event(self) -> dict[str, Any] | None:
        """The last valid event (None before any)."""
        return self._event

    def pretty_print(self) -> None:
        if self._event is not None and not self.error:
            if self._own:  # still the user's own event, only re-indented
                self.text.setPlainText(json.dumps(self._event, indent=2, ensure_ascii=False))
            else:
                self.set_event(self._event)

    def _text_changed(self) -> None:
        source = self.text.toPlainText()
        try:
            value = json.loads(source)
        except json.JSONDecodeError as exc:
            self.error = (
                f"⚠ The sample event is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                f"{exc.colno}. Your text is kept; the preview uses the last valid event."
            )
            self.error_position = (exc.lineno, exc.colno)
        else:
            if isinstance(value, dict):
                self._event, self.error, self.error_position = value, None, None
            else:
                kind = real_type_of(value)  # array, string, number, boolean or null, as JSON names them
                not_this = "null" if kind == "null" else with_article(kind)
                self.error = f"⚠ A Segment event is a JSON object ({{ … }}), not {not_this}."
                self.error_position = (1, 1)
        self.highlighter.set_error(*(self.error_position or (None, None)))
        self.status.setText(self.error or "")
        self.status.setVisible(bool(self.error))
        self.pretty.setEnabled(not self.error)
        self._set_own(source != self._loaded_text)
        self.event_changed.emit()
