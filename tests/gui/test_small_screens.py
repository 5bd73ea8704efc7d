"""Issue 14, "Small screens and the receiver": the window at 1024×700 and 1366×768, the receiver
indicator in the status bar, the link to copy when no browser opens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.conftest import select_mapping, settle

# -- Open in Pipedrive without a browser --------------------------------------------------------

def test_open_in_pipedrive_without_a_browser_shows_the_link(demo_window: Any, run: Any, dialogs: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_browser_that_opens_the_link_shows_nothing(demo_window: Any, dialogs: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
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

def test_a_running_receiver_shows_in_the_status_bar_and_reopens_its_panel(demo_window: Any, run: Any,
                                                                         dialogs: Any) -> None:
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
    assert not w.receiver_shown and not w.receiver_action.isChecked()
    assert panel.running and not indicator.isHidden() and "LIVE" in indicator.text()
    indicator.click()
    assert w.receiver_shown and w.receiver_dock.isVisible() and w.receiver_action.isChecked()

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
