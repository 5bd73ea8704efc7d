"""The receiver panel's code snippets: one tab per Segment library, with the receiver's address and
write key filled in (the code itself comes from ``receiver/snippets.py``, which ``receive`` prints too)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from pipedrive_gui.gui.receiver_controls import button
from pipedrive_gui.receiver.snippets import all_snippets


class SnippetTabs(QTabWidget):
    """Signal: copy_asked(str text, str what) — the user asked to copy a snippet's code."""

    copy_asked = Signal(str, str)

    def __init__(self, url: str, write_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiverSnippets")
        self.setDocumentMode(True)
        self._edits: dict[str, QPlainTextEdit] = {}
        self._install: dict[str, QLabel] = {}
        for snippet in all_snippets(url, write_key):
            page = QWidget()
            edit = QPlainTextEdit()
            edit.setReadOnly(True)
            edit.setObjectName(f"snippet-{snippet.key}")
            edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            install = QLabel()
            install.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            copy = button(
                "Copy code",
                f"Copy the {snippet.title} code",
                lambda _c=False, k=snippet.key: self.copy_asked.emit(self.text(k), "code"),
            )
            bar = QHBoxLayout()
            bar.addWidget(install, 1)
            bar.addWidget(copy)
            lay = QVBoxLayout(page)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addLayout(bar)
            lay.addWidget(edit, 1)
            self._edits[snippet.key] = edit
            self._install[snippet.key] = install
            self.addTab(page, snippet.title)

    def show_for(self, url: str, write_key: str) -> None:
        """Fill in this address and key."""
        for snippet in all_snippets(url, write_key):
            self._edits[snippet.key].setPlainText(snippet.code)
            self._install[snippet.key].setText(
                f"Install: <code>{snippet.install}</code>" if snippet.install else "Needs only curl."
            )

    def text(self, key: str) -> str:
        """The code shown in the tab of snippet ``key``."""
        return self._edits[key].toPlainText()
