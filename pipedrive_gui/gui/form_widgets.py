"""Building blocks of the mapping form: drop-downs that leave the wheel to the form, rows that go
from side by side to one under the other in a narrow window, a stack as tall as the page it shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QBoxLayout, QComboBox, QStackedWidget, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QResizeEvent, QWheelEvent


class FormCombo(QComboBox):
    """A combo inside a scrolling form: the wheel scrolls the form unless the combo has focus."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


def no_wheel(combo: QComboBox) -> QComboBox:
    combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    # Size by a short minimum, not by the longest entry, so the form fits narrow windows.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class CurrentPageStack(QStackedWidget):
    """A stack as tall as the page it shows (QStackedWidget alone takes its tallest page's size)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.currentWidget()
        return w.sizeHint() if w is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.currentWidget()
        return w.minimumSizeHint() if w is not None else super().minimumSizeHint()


class FlowBox(QWidget):
    """Its widgets side by side while they fit, one under the other when they do not.

    Side by side needs the preferred width of the fixed-size widgets (stretch 0) and the minimum
    width of the stretching ones; the box's own minimum width is that of its widest widget, so a
    narrow window stacks the rows of a form instead of cutting their buttons off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.flows = True

    def _widgets(self) -> list[tuple[QWidget, int]]:
        out = []
        for i in range(self.box.count()):
            item = self.box.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None and not widget.isHidden():
                out.append((widget, self.box.stretch(i)))
        return out

    def side_by_side_width(self) -> int:
        parts = self._widgets()
        m = self.box.contentsMargins()
        return (
            sum(w.sizeHint().width() if stretch == 0 else w.minimumSizeHint().width() for w, stretch in parts)
            + self.box.spacing() * max(0, len(parts) - 1)
            + m.left()
            + m.right()
        )

    def fit(self) -> None:
        if not self.flows:
            return
        wanted = (
            QBoxLayout.Direction.LeftToRight
            if self.width() >= self.side_by_side_width()
            else QBoxLayout.Direction.TopToBottom
        )
        if self.box.direction() != wanted:
            self.box.setDirection(wanted)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        if self.flows:
            m = self.box.contentsMargins()
            widest = max(
                (
                    w.minimumSizeHint().width() if stretch else w.sizeHint().width()
                    for w, stretch in self._widgets()
                ),
                default=0,
            )
            hint.setWidth(widest + m.left() + m.right())
        return hint
