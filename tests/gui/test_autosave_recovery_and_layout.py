"""The desktop app as a user meets it day to day, each checked the way a user would notice it:
the app not crashing after many signals, autosave soon after an edit (and saying when it fails),
the recovery offer after a crash (also for the demo), Pipedrive data that could not be loaded shown
in the window, what "no keyring" means, shortcuts in tooltips, Tab order and the layout."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.gui.window_layout import save_layout
from tests.gui.conftest import settle

REPO = Path(__file__).resolve().parents[2]


def test_many_signals_do_not_abort_the_app() -> None:
    # PySide6 6.12 drops a reference to True on every emit; on Python < 3.12 the process used to
    # abort ("bool_dealloc") after a few thousand signals, e.g. a few minutes of typing.
    code = (
        "import sys\nimport pipedrive_gui.gui\nfrom PySide6.QtCore import QObject, Signal\n"
        "class S(QObject):\n    s = Signal(bool)\n"
        "o = S()\no.s.connect(lambda v: None)\n"
        "for _ in range(200_000):\n    o.s.emit(True)\n"
    )
    assert_survives(code, timeout=60)


def test_many_calls_of_qt_methods_that_return_nothing_do_not_abort_the_app() -> None:
    # PySide6 6.12 on Python < 3.12 also drops a reference to None on every call of a method that
    # returns nothing (setText, update, processEvents...): a bare script aborted ("none_dealloc")
    # after ~5,000 such calls, the app after some minutes of use.
    code = (
        "import pipedrive_gui.gui\nfrom PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\nlabel = QLabel()\n"
        "for i in range(100_000):\n    label.setText(str(i))\n    label.update()\n"
        "    QApplication.processEvents()\n"
    )
    assert_survives(code, timeout=120)


def assert_survives(code: str, timeout: float) -> None:
    """Run ``code`` in a fresh offscreen Python; it must reach its end (an abort kills it first)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", code + "print('alive')\n"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-1000:]
    assert "alive" in proc.stdout


def test_screenshot_state_is_an_option_and_the_variable_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipedrive_gui.gui_entry import parse_gui_args

    monkeypatch.delenv("PIPEDRIVE_GUI_SCREENSHOT_STATE", raising=False)
    assert parse_gui_args(["--screenshot", "a.png"]).screenshot_state == "overview"
    assert (
        parse_gui_args(["--screenshot", "a.png", "--screenshot-state", "receiver"]).screenshot_state
        == "receiver"
    )
    monkeypatch.setenv("PIPEDRIVE_GUI_SCREENSHOT_STATE", "dark")
    assert parse_gui_args(["--screenshot", "a.png"]).screenshot_state == "dark"
    assert (
        parse_gui_args(["--screenshot", "a.png", "--screenshot-state", "error"]).screenshot_state == "error"
    )
    with pytest.raises(SystemExit):
        parse_gui_args(["--screenshot", "a.png", "--screenshot-state", "nonsense"])
    with pytest.raises(SystemExit):
        parse_gui_args(["--screenshot-state", "dark"])  # nothing to save it to


def _recovery_files(services: Any) -> list[str]:
    folder = Path(services.paths.data) / "autosave"
    return sorted(p.name for p in folder.glob("recovery*")) if folder.exists() else []


def test_edit_is_autosaved_within_seconds_and_failures_show_in_the_window(
    demo_window: Any, services: Any, run: Any, dialogs: Any
) -> None:
    w = demo_window
    services.autosaver.timer.setInterval(50)
    assert _recovery_files(services) == []
    w.mapping_list.duplicate()
    run.until(
        lambda: _recovery_files(services) == ["recovery.json", "recovery.pipedrive-map.json"],
        what="the autosave after an edit",
    )
    assert not w.status.alert.isVisible()

    # The disk refuses: the window says so (not only the log), and explains on request.
    folder = Path(services.paths.data) / "autosave"
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    w.mapping_list.move_selected(-1)
    run.until(lambda: w.status.alert.isVisible(), what="the autosave warning")
    assert "Autosave failed" in w.status.alert.text()
    w.status.alert.linkActivated.emit("autosave")
    title, text = dialogs.infos[-1]
    assert title == "Autosave failed" and "Ctrl+S" in text

    # Fixed: the next autosave works and the warning goes away.
    folder.unlink()
    w.mapping_list.move_selected(1)
    run.until(lambda: not w.status.alert.isVisible(), what="the warning to go away")
    assert "recovery.pipedrive-map.json" in _recovery_files(services)


def test_demo_start_offers_the_work_a_crash_left(window: Any, services: Any, run: Any, dialogs: Any) -> None:
    from pipedrive_gui.gui.app import demo_project, start

    # Last session: the demo, one mapping renamed, then the process was killed (no clean exit).
    window.load(demo_project(), None)
    first = window.doc.project.mappings[0]
    window.doc.rename_mapping(first.id, "Renamed before the crash")
    assert services.autosaver.save_now()

    window.load(demo_project(), None)  # "the next start" (make run = --demo)
    dialogs.answers.append("yes")
    args = argparse.Namespace(project=None, demo=True, self_test=False, screenshot=None)
    run(start(window, services, args))
    title, text = dialogs.asked[-1]
    assert title == "Recover unsaved work?" and "Demo" in text and "not saved to a file" in text
    assert window.doc.project.mappings[0].name == "Renamed before the crash"
    assert window.doc.dirty and window.windowTitle().startswith(window.doc.title)
    services.runner.cancel_all()
    run(services.runner.wait_idle())


def test_closing_before_answering_keeps_the_crash_copy(
    window: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipedrive_gui.core.project import Project
    from pipedrive_gui.gui.autosave import find_recovery

    window.load(Project(name="Work"), None)
    window.mapping_list.new_from_action("createUpdatePerson")
    assert services.autosaver.save_now()
    recovery = find_recovery(services.paths.data)
    assert recovery is not None
    window.load(Project(), None)
    import pipedrive_gui.gui.dialogs as dialogs_module

    pending: list[Any] = []
    monkeypatch.setattr(dialogs_module, "ask", lambda *a, **kw: pending.append(a))  # the user does not answer
    window.files.offer_recovery(recovery)
    services.autosaver.stop(clean_exit=True)
    assert find_recovery(services.paths.data) is not None


def test_pipedrive_data_that_could_not_load_is_shown_where_it_is_needed(
    window: Any, services: Any, run: Any, dialogs: Any
) -> None:
    from pipedrive_gui.sandbox import start_sandbox

    sandbox = run(start_sandbox("127.0.0.1", 0))
    try:
        sandbox.faults.add("json403", path="/api/v1/activityTypes*")
        services.connection.base_url_override = sandbox.base_url
        from pipedrive_gui.gui.app import demo_project

        window.load(demo_project(), None)
        run(services.connection.connect_account("acme", "some-token", save=False))
        settle(run, window)
        alert = window.status.alert
        assert alert.isVisible() and "activity types" in alert.text()
        alert.linkActivated.emit("catalog")
        title, text = dialogs.infos[-1]
        assert "could not be loaded" in title and "Activity types" in text and "Refresh fields" in text

        activity = next(m for m in window.doc.project.mappings if m.action == "createUpdateActivity")
        window.mapping_list.select(activity.id)
        editor = window.mapping_editor.field_editors["type"]
        editor.set_mode("static")
        note = editor.editor("static").note
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()  # rebuilt rows are shown on the next turn of the event loop
        assert note.isVisibleTo(window) and "Could not load your activity types" in note.text()
    finally:
        services.runner.cancel_all()
        run(services.runner.wait_idle())
        run(services.connection.close_connection())
        run(sandbox.stop())


def test_no_keyring_says_what_it_means_and_what_to_do(
    qtbot: Any, services: Any, run: Any, dialogs: Any
) -> None:
    import keyring.backends.null

    from pipedrive_gui.credentials import CredentialStore
    from pipedrive_gui.gui.app import build_window

    services.connection.store = CredentialStore(backend=keyring.backends.null.Keyring(), env={})  # type: ignore[no-untyped-call]
    services.store = services.connection.store
    w = build_window(services)
    qtbot.addWidget(w)
    w.show()
    run(services.connection.load_keyring_backend())
    label = w.status.keyring
    assert "No keyring" in label.text() and "what does this mean?" in label.text()
    assert "(keyring disabled)" not in label.text()
    label.linkActivated.emit("why")
    title, text = dialogs.infos[-1]
    assert title == "No keyring for your API token"
    assert "this session only" in text and "sandbox needs no token" in text and "To save the token" in text
    dlg = w.accounts.show_connection_dialog()
    assert dlg.session_only.isChecked() and "this session only" in dlg.keyring_label.text()
    w._close_confirmed = True


def test_tooltips_name_the_shortcuts_the_menus_bind(window: Any) -> None:
    from PySide6.QtGui import QKeySequence

    actions = {a.text().replace("&", ""): a for a in window.findChildren(type(window.menus.undo_action))}

    def key_of(text: str) -> str:
        return str(actions[text].shortcut().toString(QKeySequence.SequenceFormat.NativeText))

    lst, preview = window.mapping_list, window.preview
    pairs = [
        (lst.duplicate_button, "Duplicate mapping"),
        (lst.rename_button, "Rename mapping"),
        (lst.delete_button, "Delete mapping"),
        (lst.up_button, "Move mapping up"),
        (lst.down_button, "Move mapping down"),
        (preview.check_button, "Check in Pipedrive"),
        (preview.send_button, "Send test…"),
        (window.event_editor.pretty, "Pretty-print sample event"),
        (window.status.refresh_button, "Refresh fields"),
        (lst.new_button, "New mapping (choose preset or action)…"),
    ]
    for button, action_text in pairs:
        key = key_of(action_text)
        assert key, action_text
        assert f"({key})" in button.toolTip(), (action_text, button.toolTip())


def test_ctrl_shift_n_opens_the_new_mapping_menu(window: Any, qtbot: Any) -> None:
    menu = window.mapping_list.new_menu
    act = next(
        a
        for a in window.findChildren(type(window.menus.undo_action))
        if a.text().startswith("New mapping (choose")
    )
    act.trigger()
    qtbot.waitUntil(menu.isVisible)
    assert [a.text() for a in menu.actions()] == ["From a preset", "Blank, from an action"]
    menu.close()


def test_tab_moves_through_the_window_in_screen_order(demo_window: Any) -> None:
    w = demo_window
    order: list[Any] = []
    widget = w.mapping_list.new_button
    for _ in range(400):
        widget = widget.nextInFocusChain()
        if widget is w.mapping_list.new_button:
            break
        order.append(widget)
    landmarks = [w.mapping_list.view, w.mapping_editor.name, w.event_editor.text, w.preview.check_button]
    positions = [order.index(x) for x in landmarks]
    assert positions == sorted(positions)
    # Text areas hand Tab on instead of swallowing it (keyboard users are not trapped).
    assert w.event_editor.text.tabChangesFocus() and w.preview.payload_view.tabChangesFocus()


def test_payload_gets_more_room_than_the_calls_on_first_start(demo_window: Any) -> None:
    w = demo_window
    payload, calls = w.preview.split.sizes()
    assert payload > calls
    event, preview = w.right_column.split.sizes()
    assert preview > event
    lines = w.preview.payload_view.height() / w.preview.payload_view.fontMetrics().lineSpacing()
    assert lines >= 12


def test_status_links_stay_readable_after_switching_to_a_dark_palette(
    window: Any, services: Any, run: Any
) -> None:
    import keyring.backends.null
    from PySide6.QtGui import QColor, QPalette

    from pipedrive_gui.credentials import CredentialStore

    services.connection.store = CredentialStore(backend=keyring.backends.null.Keyring(), env={})  # type: ignore[no-untyped-call]
    run(services.connection.load_keyring_backend())
    dark = QPalette(window.status.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor(45, 45, 48))
    dark.setColor(QPalette.ColorRole.Link, QColor(120, 170, 255))
    window.status.setPalette(dark)
    assert "#78aaff" in window.status.keyring.text()  # the dark palette's link colour, not the old blue


def test_choosing_the_sandbox_is_remembered_for_the_next_start(
    window: Any, services: Any, run: Any, gui_args: Any
) -> None:
    from pipedrive_gui.gui.app import start

    run(start(window, services, gui_args))
    run(services.runner.wait_idle())
    dlg = window.accounts.connection_dialog
    assert dlg is not None and dlg.isVisible()  # first start: connect or sandbox?
    dlg.sandbox_button.click()
    run.until(lambda: services.connection.is_sandbox and not dlg.isVisible(), what="the sandbox")
    run(services.runner.wait_idle())
    run(services.connection.close_connection())
    dlg.close()
    window.accounts.connection_dialog = None

    run(start(window, services, gui_args))  # next start: straight to the sandbox, no question
    run.until(lambda: services.connection.is_sandbox, what="the sandbox again")
    assert window.accounts.connection_dialog is None
    run(services.runner.wait_idle())


def test_match_field_choices_show_why_a_field_cannot_be_used(demo_window: Any) -> None:
    editor = demo_window.mapping_editor.field_editors["match_field"]
    editor.set_mode("static")
    combo = editor.editor("static").combo
    model = combo.model()
    texts = {combo.itemText(i): model.item(i).isEnabled() for i in range(combo.count())}
    signup = next(t for t in texts if t.startswith("Signup date"))
    assert not texts[signup] and "not searchable: Pipedrive cannot search Date fields" in signup
    first = next(t for t in texts if t.startswith("First name"))
    assert not texts[first] and "built-in field" in first
    assert texts["Segment user ID (Text, custom)"]


def test_an_open_receiver_panel_is_open_again_next_time(
    window: Any, services: Any, qtbot: Any, run: Any
) -> None:
    from pipedrive_gui.gui.app import build_window

    window.toggle_receiver()
    assert window.receiver_placement.dock.isVisible()
    save_layout(window)
    again = build_window(services)
    qtbot.addWidget(again)
    again.show()
    # Docked, or a tab when the restored window is short (the offscreen screen is 800×600).
    qtbot.waitUntil(lambda: again.receiver_placement.shown)
    assert again.menus.receiver_action.isChecked()
    for w in (window, again):
        run(w.shutdown())
        w._close_confirmed = True
    run(services.runner.wait_idle())
