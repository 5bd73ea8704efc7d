"""Edit › Undo / Redo that do what Ctrl+Z does where the user is.

While the sample-event text box has the focus, Ctrl+Z undoes typing in it (the box's own history);
everything else (and "Save to project") is a step of the project's undo stack. The menu entries follow
the same rule and say which one they will undo: "Undo typing in the sample event" or
"Undo Rename mapping …".
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, SignalInstance, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget


class UndoRedoActions(QObject):
    def __init__(self, parent: QWidget, stack: QUndoStack, text_edits: dict[QPlainTextEdit, str]) -> None:
        super().__init__(parent)
        self.stack, self.text_edits = stack, text_edits
        self.focus_widget = (
            QApplication.focusWidget
        )  # replaceable where focus is unreliable (offscreen tests)
        self.undo_action = QAction("&Undo", parent)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(lambda _=False: self.undo())
        self.redo_action = QAction("&Redo", parent)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.triggered.connect(lambda _=False: self.redo())
        self._stack_signals: tuple[SignalInstance, ...] = (
            stack.canUndoChanged,
            stack.canRedoChanged,
            stack.undoTextChanged,
            stack.redoTextChanged,
        )
        for sig in self._stack_signals:
            sig.connect(self._changed)
        for edit in text_edits:
            edit.undoAvailable.connect(self._changed)
            edit.redoAvailable.connect(self._changed)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # A bound slot (not a lambda): Qt drops the connection when this object goes away.
            app.focusChanged.connect(self._changed)
        self.update()

    def detach(self) -> None:
        """Stop following the undo stack (the window calls this when it closes).

        The stack belongs to the Document, which Python may delete before this object at exit;
        ``~QUndoStack`` clears itself and emits canUndoChanged & co. on the way, into a slot whose
        stack wrapper is already gone ("Internal C++ object (QUndoStack) already deleted")."""
        if self._stack_signals:
            for sig in self._stack_signals:
                sig.disconnect(self._changed)
            self._stack_signals = ()

    @Slot()
    def _changed(self, *_: object) -> None:
        if not self._stack_signals or not shiboken6.isValid(self.stack):
            return
        self.update()

    def _focused_edit(self) -> QPlainTextEdit | None:
        focus = self.focus_widget()
        for edit in self.text_edits:
            if focus is edit or (focus is not None and edit.isAncestorOf(focus)):
                return edit
        return None

    def update(self) -> None:
        edit = self._focused_edit()
        doc = edit.document() if edit is not None else None
        if edit is not None and doc is not None and doc.isUndoAvailable():
            self.undo_action.setText(f"&Undo typing in {self.text_edits[edit]}")
            self.undo_action.setEnabled(True)
        else:
            text = self.stack.undoText()
            self.undo_action.setText(f"&Undo {text}" if text else "&Undo")
            self.undo_action.setEnabled(self.stack.canUndo())
        if edit is not None and doc is not None and doc.isRedoAvailable():
            self.redo_action.setText(f"&Redo typing in {self.text_edits[edit]}")
            self.redo_action.setEnabled(True)
        else:
            text = self.stack.redoText()
            self.redo_action.setText(f"&Redo {text}" if text else "&Redo")
            self.redo_action.setEnabled(self.stack.canRedo())

    def undo(self) -> None:
        edit = self._focused_edit()
        if edit is not None and edit.document().isUndoAvailable():
            edit.undo()
        else:
            self.stack.undo()
        self.update()

    def redo(self) -> None:
        edit = self._focused_edit()
        if edit is not None and edit.document().isRedoAvailable():
            edit.redo()
        else:
            self.stack.redo()
        self.update()
