"""The ONE place that creates message and file dialogs.

Every dialog is opened non-modally (``open()``) and reports through a callback, so nothing in the
app ever blocks in a nested ``exec()`` and tests replace these functions (monkeypatch this module)
instead of patching QMessageBox everywhere. Callers import the module, not the functions, so a
monkeypatched function is the one they call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The dialog classes are imported when a dialog opens: importing them makes PySide build
    # their enums (~2 ms), which would delay the main window's first paint.
    from PySide6.QtWidgets import QAbstractButton, QDialog, QFileDialog, QMessageBox, QPushButton, QWidget

#: Answers of :func:`ask`.
YES, NO, CANCEL = "yes", "no", "cancel"
SAVE, DISCARD = "save", "discard"
_STANDARD = (YES, NO, CANCEL, SAVE, DISCARD)


def _button(answer: str) -> QMessageBox.StandardButton:
    from PySide6.QtWidgets import QMessageBox

    return {
        YES: QMessageBox.StandardButton.Yes,
        NO: QMessageBox.StandardButton.No,
        CANCEL: QMessageBox.StandardButton.Cancel,
        SAVE: QMessageBox.StandardButton.Save,
        DISCARD: QMessageBox.StandardButton.Discard,
    }[answer]


def _box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, details: str | None
) -> QMessageBox:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("messageBox")
    if details:
        box.setInformativeText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    answers: Sequence[str],
    callback: Callable[[str], Any],
    *,
    details: str | None = None,
    labels: dict[str, str] | None = None,
    default: str | None = None,
) -> QMessageBox:
    """Ask a question; ``callback(answer)`` gets one of ``answers`` (closing the box = the last).

    ``default``: the answer Enter chooses (the first one unless given; give the safe one when the
    first answer does something the user should not do by reflex). An answer that is not one of
    the standard ones above gets a button with its ``labels`` text."""
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, QMessageBox.Icon.Question, title, text, details)
    by_button: dict[QAbstractButton, str] = {}
    chosen: QPushButton | None = None
    for answer in answers:
        if answer in _STANDARD:
            button = box.addButton(_button(answer))
            if labels and answer in labels:
                button.setText(labels[answer])
        else:
            button = box.addButton((labels or {}).get(answer, answer), QMessageBox.ButtonRole.AcceptRole)
        by_button[button] = answer
        if chosen is None and (default is None or answer == default):
            chosen = button
    if chosen is not None:
        box.setDefaultButton(chosen)
    fallback = answers[-1]

    def done(_: int) -> None:
        clicked = box.clickedButton()
        callback(by_button.get(clicked, fallback) if clicked is not None else fallback)

    box.finished.connect(done)
    box.open()
    return box


def show_error(parent: QWidget | None, title: str, text: str, details: str | None = None) -> QMessageBox:
    """A non-modal error box: what happened and what to do (``details`` for the technical part)."""
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, QMessageBox.Icon.Warning, title, text, details)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.open()
    return box


def show_info(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, QMessageBox.Icon.Information, title, text, None)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.open()
    return box


def _file_dialog(
    parent: QWidget | None,
    caption: str,
    directory: str,
    filters: str,
    accept: QFileDialog.AcceptMode,
    callback: Callable[[str | None], Any],
    default_suffix: str | None = None,
) -> QFileDialog:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    dialog = QFileDialog(parent, caption, directory, filters)
    dialog.setAcceptMode(accept)
    dialog.setFileMode(
        QFileDialog.FileMode.ExistingFile
        if accept == QFileDialog.AcceptMode.AcceptOpen
        else QFileDialog.FileMode.AnyFile
    )
    if default_suffix:
        dialog.setDefaultSuffix(default_suffix)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def done(result: int) -> None:
        files = dialog.selectedFiles()
        callback(files[0] if result and files else None)

    dialog.finished.connect(done)
    dialog.open()
    return dialog


def open_file(
    parent: QWidget | None,
    caption: str,
    filters: str,
    callback: Callable[[str | None], Any],
    directory: str = "",
) -> QFileDialog:
    """Choose an existing file; ``callback(path)`` or ``callback(None)`` when cancelled."""
    from PySide6.QtWidgets import QFileDialog

    return _file_dialog(parent, caption, directory, filters, QFileDialog.AcceptMode.AcceptOpen, callback)


def save_file(
    parent: QWidget | None,
    caption: str,
    filters: str,
    callback: Callable[[str | None], Any],
    directory: str = "",
    default_suffix: str | None = None,
) -> QFileDialog:
    """Choose where to save; ``callback(path)`` or ``callback(None)`` when cancelled."""
    from PySide6.QtWidgets import QFileDialog

    return _file_dialog(
        parent, caption, directory, filters, QFileDialog.AcceptMode.AcceptSave, callback, default_suffix
    )


def show_link(parent: QWidget | None, title: str, text: str, url: str) -> QDialog:
    """A link the user copies into a browser themselves (no browser could be opened): the text,
    the link selectable in a read-only box, and a Copy button."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

    dialog = QDialog(parent)
    dialog.setObjectName("linkDialog")
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = QLabel(text)
    label.setWordWrap(True)
    link = QLineEdit(url)
    link.setObjectName("linkText")
    link.setReadOnly(True)
    link.setAccessibleName("Link")
    link.setMinimumWidth(min(link.fontMetrics().horizontalAdvance(url) + 24, 640))
    link.selectAll()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    copy = buttons.addButton("Copy link", QDialogButtonBox.ButtonRole.ActionRole)
    copy.setObjectName("copyLink")
    copied = QLabel()

    def do_copy() -> None:
        QGuiApplication.clipboard().setText(url)
        copied.setText("Copied. Paste it into your web browser's address bar.")

    copy.clicked.connect(do_copy)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(link)
    layout.addWidget(copied)
    layout.addWidget(buttons)
    dialog.open()
    return dialog


def open_link(parent: QWidget | None, url: str) -> bool:
    """Open ``url`` in the web browser; when none can be opened (no browser, no desktop), show the
    link to copy instead of failing silently. True when a browser took it."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    if QDesktopServices.openUrl(QUrl(url)):
        return True
    show_link(
        parent,
        "Open in your web browser",
        "No web browser could be opened from Pipedrive Mapper. Copy this link into your browser:",
        url,
    )
    return False
