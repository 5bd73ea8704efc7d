"""The app's keyboard shortcuts, in one place: the menus bind them and the buttons' tooltips show
them, so a tooltip never names a key that does nothing."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

NEW_MAPPING = "Ctrl+Shift+N"
DUPLICATE = "Ctrl+D"
RENAME = "F2"
DELETE = "Ctrl+Delete"
MOVE_UP = "Ctrl+Shift+Up"
MOVE_DOWN = "Ctrl+Shift+Down"
PRETTY_PRINT = "Ctrl+Shift+F"
CHECK = "Ctrl+Return"
CHECK_ALT = "Ctrl+Enter"  # the keypad's Enter
SEND = "Ctrl+Shift+Return"
RECEIVER = "Ctrl+Shift+R"
CONNECT = "Ctrl+K"


def key_text(key: str | QKeySequence.StandardKey) -> str:
    """How the platform writes the shortcut (Ctrl+D here, ⌘D on a Mac)."""
    seq = QKeySequence(key)
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def with_key(tip: str, key: str | QKeySequence.StandardKey) -> str:
    """``tip`` followed by its shortcut, e.g. "Make a copy of the selected mapping (Ctrl+D)"."""
    text = key_text(key)
    return f"{tip} ({text})" if text else tip


PROBLEMS = "Ctrl+Shift+P"
