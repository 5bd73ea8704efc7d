"""Issue 14, "Small screens and the receiver": the window at 1024×700 and 1366×768, the receiver
indicator in the status bar, the link to copy when no browser opens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.conftest import select_mapping, settle

# -- Open in Pipedrive without a browser --------------------------------------------------------


def test_open_in_pipedrive_without_a_browser_shows_the_link(
    demo_window: Any, run: Any, dialogs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []

    def no_browser(url: Any) -> bool:
        opened.append(url.toString())
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(no_browser))
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    link = w.preview.last_run.link
    assert link and "Open in Pipedrive" in w.preview.outcome.text()
    w.preview.outcome.linkActivated.emit(link)
    assert opened == [link]
    assert dialogs.links == [("Open in your web browser", link)]


def test_a_browser_that_opens_the_link_shows_nothing(
    demo_window: Any, dialogs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: True))
    demo_window.preview.open_url("https://sandbox.example/person/1")
    assert dialogs.links == []


def test_the_link_dialog_has_a_selectable_link_and_a_copy_button(qtbot: Any) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

    from pipedrive_gui.gui import dialogs

    parent = QWidget()
    qtbot.addWidget(parent)
    url = "https://acme.pipedrive.com/person/42"
    box = dialogs.show_link(parent, "Open in your web browser", "Copy this link:", url)
    link = box.findChild(QLineEdit, "linkText")
    copy = box.findChild(QPushButton, "copyLink")
    assert link is not None and copy is not None
    assert link.text() == url and link.isReadOnly() and link.selectedText() == url
    QGuiApplication.clipboard().clear()
    copy.click()
    assert QGuiApplication.clipboard().text() == url
    box.close()


# -- the receiver indicator ----------------------------------------------------------------------


def test_a_running_receiver_shows_in_the_status_bar_and_reopens_its_panel(
    demo_window: Any, run: Any, dialogs: Any
) -> None:
    w = demo_window
    indicator = w.status.receiver
    w.toggle_receiver()
    panel = w.receiver_panel
    panel.port_spin.setValue(0)
    run.until(lambda: panel.journal is not None, what="the journal")
    assert indicator.isHidden()  # stopped, nothing waiting: nothing to say
    panel.start()
    run.until(lambda: panel.running, what="the receiver to start")
    assert not indicator.isHidden()
    assert "listening (dry run)" in indicator.text()
    dialogs.answers.append("yes")
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData("send"))  # asks; "Go live"
    run.until(lambda: "LIVE" in indicator.text(), what="the indicator to say live")
    assert indicator.font().bold()
    assert panel.url in indicator.toolTip()

    w.toggle_receiver()  # the panel goes, the receiver keeps running: the status bar says so
    assert not w.receiver_placement.shown and not w.menus.receiver_action.isChecked()
    assert panel.running and not indicator.isHidden() and "LIVE" in indicator.text()
    indicator.click()
    assert (
        w.receiver_placement.shown
        and w.receiver_placement.dock.isVisible()
        and w.menus.receiver_action.isChecked()
    )

    panel.stop()
    run.until(lambda: not panel.running and not panel._busy, what="the receiver to stop")
    run.until(lambda: indicator.isHidden(), what="the indicator to go")
    run(panel.shutdown())


def test_the_indicator_counts_waiting_events(window: Any) -> None:
    window.status.set_receiver(True, False, 3, "http://127.0.0.1:8787")
    assert window.status.receiver.text() == "● Receiver listening (dry run) · 3 events waiting"
    window.status.set_receiver(False, False, 1, "")
    assert window.status.receiver.text() == "Receiver stopped · 1 event waiting"
    assert not window.status.receiver.isHidden()
    window.status.set_receiver(False, False, 0, "")
    assert window.status.receiver.isHidden()


# -- the window at 1024×700 and 1366×768 ---------------------------------------------------------

SIZES = [(1024, 700), (1366, 768)]


def _fit(window: Any, qapp: Any, size: tuple[int, int]) -> None:
    window.showNormal()
    window.resize(*size)
    for _ in range(4):  # layouts settle in a few passes (rows that stack change their height)
        qapp.processEvents()


def _reachable(scroll: Any, widget: Any, qapp: Any) -> bool:
    """Scrolled to, ``widget`` lies inside the scroll area's viewport and nothing clips it."""
    from PySide6.QtCore import QPoint, QRect

    scroll.ensureWidgetVisible(widget, 0, 0)
    qapp.processEvents()
    rect = QRect(widget.mapTo(scroll.viewport(), QPoint(0, 0)), widget.size())
    return (
        bool(scroll.viewport().rect().contains(rect))
        and widget.visibleRegion().boundingRect() == widget.rect()
    )


def _rows_shown(view: Any) -> int:
    height, shown = view.viewport().height(), 0
    for row in range(view.model().rowCount()):
        height -= view.rowHeight(row)
        if height < 0:
            break
        shown += 1
    return shown


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_control_of_the_mapping_editor_is_reachable(
    demo_window: Any, run: Any, qapp: Any, size: tuple[int, int]
) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    from pipedrive_gui.gui.field_editor import PATH_MIN_CHARS, PathEditor

    w = demo_window
    _fit(w, qapp, size)
    assert (w.width(), w.height()) == size  # the window fits the screen
    editor = w.mapping_editor
    checked = 0
    for mapping in list(w.doc.project.mappings):
        w.mapping_list.select(mapping.id)
        settle(run, w)
        for _ in range(3):
            qapp.processEvents()
        # Never sideways scrolling: the form is as wide as the editor.
        assert editor.horizontalScrollBar().maximum() == 0, (mapping.name, editor.widget().minimumSizeHint())
        body = editor.widget()
        for line in body.findChildren(QLineEdit):
            if line.isVisibleTo(body) and isinstance(line.parent(), PathEditor):
                # "$.traits.email" whole, not ".traits.emai"
                assert line.width() >= line.fontMetrics().horizontalAdvance("x" * PATH_MIN_CHARS), (
                    mapping.name
                )
        buttons = [
            b
            for b in body.findChildren(QAbstractButton)
            if b.isVisibleTo(body) and b.text() in ("Pick…", "✕", "×", "Add custom field", "Add condition")
        ]
        assert buttons
        for button in buttons:
            assert _reachable(editor, button, qapp), (mapping.name, button.text(), button.accessibleName())
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_payload_and_calls_keep_a_useful_height_also_with_the_receiver_open(
    demo_window: Any, run: Any, qapp: Any, size: tuple[int, int]
) -> None:
    w = demo_window
    _fit(w, qapp, size)
    select_mapping(w, "createUpdatePerson")
    settle(run, w)
    if w.right_column.as_tabs:
        w.right_column.tabs.setCurrentWidget(w.preview)
        qapp.processEvents()

    def payload_lines() -> int:
        view = w.preview.payload_view
        return int(view.viewport().height() // view.fontMetrics().lineSpacing())

    assert payload_lines() >= 10
    assert _rows_shown(w.preview.calls_view) >= 3
    assert w.preview.check_button.visibleRegion().boundingRect() == w.preview.check_button.rect()

    w.toggle_receiver()
    panel = w.receiver_panel
    for _ in range(4):
        qapp.processEvents()
    assert (w.width(), w.height()) == size
    assert (
        w.receiver_placement.in_tab
    )  # a short window: the receiver gets the whole height, next to the mappings
    assert w.receiver_placement.central_tabs.currentWidget() is panel
    rows = panel.table.verticalHeader().defaultSectionSize()
    assert panel.table.viewport().height() >= 5 * rows
    assert panel.start_button.visibleRegion().boundingRect() == panel.start_button.rect()
    w.receiver_placement.central_tabs.setCurrentIndex(0)  # back to the mappings: as they were
    qapp.processEvents()
    assert payload_lines() >= 10 and _rows_shown(w.preview.calls_view) >= 3
    run(w.shutdown())


def test_a_tall_window_docks_the_receiver_at_a_share_of_its_height(
    demo_window: Any, qapp: Any, run: Any
) -> None:
    w = demo_window
    _fit(w, qapp, (1360, 1000))
    w.toggle_receiver()
    for _ in range(4):
        qapp.processEvents()
    assert not w.receiver_placement.in_tab and w.receiver_placement.dock.isVisible()
    assert 0.35 * w.height() <= w.receiver_placement.dock.height() <= 0.55 * w.height()
    assert (
        _rows_shown(w.receiver_panel.table) >= 0
        and w.receiver_panel.table.viewport().height()
        >= 4 * w.receiver_panel.table.verticalHeader().defaultSectionSize()
    )
    assert not w.right_column.as_tabs or w.right_column.height() < 700
    run(w.shutdown())
