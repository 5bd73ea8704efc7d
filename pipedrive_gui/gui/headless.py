"""``--self-test`` and ``--screenshot``: wait until the demo is ready, then report OK or save a
picture of the window in one of the documented states (see ``app.py``); ``--window-size WxH``
first gives the window a small screen's size (1024x700, 1366x768).

``--flows import,check,...`` (or ``all``): run the main flows on the demo as a user would, through
the window's commands and its real, non-modal dialogs (answered by clicking their buttons; never two
open at once), then quit through File > Quit. tests/gui/test_quit_clean.py checks that nothing
prints a traceback on the way out.

Apart from ``app.py`` because only these runs need it (start-up compiles less).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedrive_gui.core.modes import SEND

if TYPE_CHECKING:
    from pipedrive_gui.gui.app import Services

SELF_TEST_TIMEOUT_S = 30.0


async def wait_ready(window: Any, services: Services, timeout: float) -> None:
    """Until the sandbox is connected, fields are loaded and a preview is painted."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await services.runner.wait_idle()
        if (
            services.connection.connected
            and services.connection.catalog is not None
            and window.preview.result is not None
            and not services.runner.busy
            and not window.preview.timer.isActive()
        ):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the window did not become ready in time")


def _simulated_dark_palette() -> Any:
    """What a desktop's dark theme would hand us (only for the documentation screenshot): the app
    itself never sets colours, it reads palette roles."""
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in (
        (roles.Window, (45, 45, 48)),
        (roles.WindowText, (230, 230, 230)),
        (roles.Base, (30, 30, 32)),
        (roles.AlternateBase, (45, 45, 48)),
        (roles.Text, (230, 230, 230)),
        (roles.Button, (55, 55, 58)),
        (roles.ButtonText, (230, 230, 230)),
        (roles.Highlight, (80, 140, 220)),
        (roles.HighlightedText, (255, 255, 255)),
        (roles.Link, (120, 170, 255)),
        (roles.LinkVisited, (210, 150, 255)),
        (roles.ToolTipBase, (55, 55, 58)),
        (roles.ToolTipText, (230, 230, 230)),
        (roles.PlaceholderText, (150, 150, 150)),
    ):
        p.setColor(role, QColor(*rgb))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor(130, 130, 130))
    return p


async def _screenshot_state(window: Any, services: Services, state: str, fixed_size: bool = False) -> Any:
    """Bring the window into a documented state; returns the widget to grab."""
    import asyncio

    if state == "dark":
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        QApplication.setStyle("Fusion")
        QApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        QApplication.setPalette(_simulated_dark_palette())  # X servers without a theme ignore the scheme
        await asyncio.sleep(0.3)
    elif state == "dry-run":
        deal = next((m for m in window.doc.project.mappings if m.action == "createUpdateDeal"), None)
        if deal is not None:
            window.mapping_list.select(deal.id)
            await wait_ready(window, services, 10)
        window.preview.check()
        await services.runner.wait_idle()
    elif state == "connection":
        dialog = window.accounts.show_connection_dialog()
        dialog.domain.setText("acme")
        dialog.token.setText("0" * 40)  # shown masked; not a real token
        dialog._update()
        dialog.result_label.setText(
            "✔ Connected as Jane Admin (jane@acme.example) in Acme Robotics. "
            "Click “Save and connect” to use it."
        )
        await asyncio.sleep(0.2)
        return dialog
    elif state == "error":
        text = window.event_editor.text.toPlainText()
        window.event_editor.set_text(text.replace('"type"', '"type" "', 1))
        m = window.doc.mapping(window.mapping_list.current_id())
        if m is not None:
            window.mapping_editor.trigger.fql.setText('type = "track" and (event = ')
            window.mapping_editor.trigger._fql_typed(window.mapping_editor.trigger.fql.text())
        await asyncio.sleep(0.3)
        await services.runner.wait_idle()
    elif state == "receiver":
        await _receiver_with_events(window, services, fixed_size)
    elif state == "records":
        return await _test_records_after_sends(window, services)
    elif state == "problems":
        await _problems_after_a_mistake(window, services)
    elif state == "segment-diff":
        return await _segment_push_diff(window, services)
    elif state == "impact-panel":
        await _impact_with_compare(window, services)
    return window


async def _problems_after_a_mistake(window: Any, services: Services) -> None:
    """The Problems list after two typical mistakes on the demo: the person mapping duplicated (both
    copies fire on every identify) and the copy matching people by "Plan", a field Pipedrive cannot
    search; the error selected, so the editor shows it beside the match field."""
    import asyncio
    from dataclasses import replace

    from PySide6.QtCore import Qt

    window.resize(max(window.width(), 1500), max(window.height(), 1100))
    person = next(m for m in window.doc.project.mappings if m.action == "createUpdatePerson")
    copy = window.doc.duplicate_mapping(person.id)
    catalog = services.connection.catalog
    plan = catalog.by_label("person", "Plan") if catalog is not None else None
    if copy is not None and plan is not None:
        window.doc.edit_mapping(
            replace(copy, settings={**copy.settings, "match_field": plan.key}), "Match by Plan"
        )
    report = window.linter.run_now()
    window.show_problems()
    window.resizeDocks([window.problems_dock], [380], Qt.Orientation.Vertical)
    row = next((i for i, f in enumerate(report.findings) if f.severity == "error"), 0)
    index = window.problems.model.index(row, 3)
    window.problems.table.setCurrentIndex(index)
    window.go_to_problem(report.findings[row])
    await asyncio.sleep(0.3)
    await services.runner.wait_idle()
    window.problems.table.setFocus()


#: Corpus events in the Impact screenshot: enough for every bar and sentence of the panel, few
#: enough that the paced lookups (Pipedrive's search limit, 10 per 2 s) take seconds, not 16 s.
IMPACT_SCREENSHOT_EVENTS = 100


async def _impact_with_compare(window: Any, services: Services) -> None:
    """Open the Impact panel and run it over the first IMPACT_SCREENSHOT_EVENTS corpus events,
    comparing the saved demo with an edit that breaks the deal title (red bars, a before/after
    sentence)."""
    import asyncio
    import copy

    from PySide6.QtCore import Qt

    from pipedrive_gui.core.project import save_project
    from pipedrive_gui.resources import resource_path

    data = Path(services.connection.paths.data)
    data.mkdir(parents=True, exist_ok=True)
    saved = data / "demo.pipedrive-map.json"
    save_project(window.doc.project, saved)
    window.doc.mark_saved(saved)
    deal = next((m for m in window.doc.project.mappings if m.action == "createUpdateDeal"), None)
    if deal is not None:
        edited = copy.deepcopy(deal)
        edited.settings["title"] = {"@path": "$.properties.deal_title"}
        window.doc.edit_mapping(edited, "Deal title from properties.deal_title")
    n = IMPACT_SCREENSHOT_EVENTS
    events = data / f"corpus-first-{n}.jsonl"
    lines = resource_path("events", "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    window.resize(max(window.width(), 1500), max(window.height(), 1150))
    window.toggle_impact()
    window.resizeDocks([window.impact_dock], [700], Qt.Orientation.Vertical)
    panel = window.impact_panel
    panel.set_source("file", str(events))
    panel.compare.setChecked(True)
    panel.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 70
    while panel.result is None or not panel.run_button.isEnabled():
        if loop.time() > deadline:
            raise TimeoutError("the impact run did not finish")
        await asyncio.sleep(0.1)
    fail = next((i for i, r in enumerate(panel.model.rows) if r.outcome == "fail"), 0)
    panel.open_row(fail)
    await asyncio.sleep(0.3)
    await services.runner.wait_idle()


async def _receiver_with_events(window: Any, services: Services, fixed_size: bool = False) -> None:
    """Open the receiver panel, start it on a free port and send it a few events over HTTP.
    ``fixed_size``: keep the window's size and the panel's default share (small-screen pictures)."""
    import asyncio

    import httpx
    from PySide6.QtCore import Qt

    if not fixed_size:
        window.resize(max(window.width(), 1500), max(window.height(), 1150))
    window.toggle_receiver()
    if not fixed_size and window.receiver_placement.dock is not None:
        window.resizeDocks([window.receiver_placement.dock], [640], Qt.Orientation.Vertical)
    panel = window.receiver_panel
    panel.port_spin.setValue(0)  # any free port: never collides with a receiver the user runs
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not panel.running:
        if loop.time() > deadline:
            raise TimeoutError("the receiver did not start")
        if not panel.busy:
            panel.start()
        await asyncio.sleep(0.05)
    from pipedrive_gui.core import samples

    events = [samples.load_sample(name) for name in samples.sample_names()[:6]]
    events.append(
        {"type": "track", "event": "Newsletter Opened", "userId": "user-1001", "properties": {"issue": 42}}
    )
    async with httpx.AsyncClient() as client:
        for event in events:
            await client.post(
                f"{panel.receiver.url}/v1/{event.get('type', 'track')}",
                json=event,
                auth=(panel.write_key, ""),
            )
    while panel.model.rowCount() < len(events) or panel.model.busy:
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    from pipedrive_gui.receiver.outcomes import Outcome

    # Show the detail of an event that ran a mapping (the most telling one).
    planned = next(
        (
            r
            for r in range(panel.model.rowCount())
            if getattr(panel.model.row_data(r), "outcome", "") == Outcome.PLANNED
        ),
        0,
    )
    panel.select_row(planned)
    await asyncio.sleep(0.5)
    await services.runner.wait_idle()


async def _test_records_after_sends(window: Any, services: Services) -> Any:
    """Send a few of the demo's mappings to the sandbox (what Send test does), then open the Test
    records window with two of them ticked. One engine sends them all, so the person and company
    the deal, activity and note are linked to are looked up once (Pipedrive's search limit, 10 per
    2 s, would otherwise hold the last sends for 2 s)."""
    import asyncio

    engine = services.connection.engine(window.doc.project.destination)
    for action in (
        "createUpdateOrganization",
        "createUpdateDeal",
        "createUpdateActivity",
        "createUpdateNote",
        "createUpdateLead",
    ):
        mapping = next((m for m in window.doc.project.mappings if m.action == action), None)
        if mapping is None:
            continue
        window.mapping_list.select(mapping.id)
        await wait_ready(window, services, 10)
        result = window.preview.result
        if result is None or result.payload is None or not result.payload.ok:
            continue
        # The engine records what it creates in the ledger, as a Send test does.
        await engine.run(mapping.action, result.payload.payload or {}, SEND, mapping=mapping.name)
    dialog = window.accounts.show_test_records()
    dialog.resize(1180, 400)
    await services.runner.wait_idle()
    for row in range(min(2, dialog.model.rowCount())):
        dialog.model.set_checked(row, True)
    await asyncio.sleep(0.3)
    return dialog


async def _segment_push_diff(window: Any, services: Services) -> Any:
    """The Segment dialog showing what a push of the demo would change, against a stand-in of the
    Public API started in this process (some mappings already there, one edited, one only in Segment)."""
    import asyncio
    import copy

    from pipedrive_gui.segment.standin import StandinState, start_standin

    token = "standin-token"
    state = StandinState(tokens={token: "owner"})
    dest = state.add_destination(
        "Pipedrive (production)",
        source="Website",
        settings={"domain": "acme", "apiToken": "not-shown", "personField": "id"},
    )
    state.add_destination("Pipedrive (staging)", source="Staging site", enabled=False)
    mappings = window.doc.project.mappings
    for n, m in enumerate(mappings[:3]):
        settings = copy.deepcopy(m.settings)
        trigger = m.trigger
        if n == 1:
            trigger = 'type = "group" and traits.plan = "trial"'
            settings.pop(next(iter(settings), ""), None)
        state.add_subscription(dest["id"], m.name, m.action, trigger, settings, enabled=m.enabled or n == 2)
    state.add_subscription(
        dest["id"],
        "Old signup mapping",
        "createUpdatePerson",
        'event = "Signed Up"',
        {"name": {"@path": "$.traits.name"}},
    )
    server = await start_standin(state)
    window._segment_standin = server  # kept alive with the window
    dialog = window.accounts.show_segment_dialog()
    dialog.base_url_override = server.base_url
    dialog.connect_with(token, "us", save=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while dialog.busy or dialog.client is None:
        if loop.time() > deadline:
            raise TimeoutError("the Segment stand-in did not answer")
        await asyncio.sleep(0.05)
    dialog.show_diff()
    while dialog.busy or dialog.plan is None:
        if loop.time() > deadline:
            raise TimeoutError("the diff did not finish")
        await asyncio.sleep(0.05)
    dialog.resize(1320, 760)
    await asyncio.sleep(0.3)
    return dialog


async def run_headless(window: Any, services: Services, args: argparse.Namespace) -> int:
    import asyncio

    from PySide6.QtWidgets import QApplication

    try:
        size = getattr(args, "window_size", None)
        if size:
            window.showNormal()
            window.resize(*size)
        await wait_ready(window, services, SELF_TEST_TIMEOUT_S)
        if getattr(args, "flows", None):
            await run_flows(window, services, args.flows)
            await quit_as_user(window)
            print("OK")
            return 0
        target = window
        if args.screenshot:
            target = await _screenshot_state(
                window, services, getattr(args, "screenshot_state", None) or "overview", fixed_size=bool(size)
            )
        await asyncio.sleep(0.1)
        QApplication.processEvents()
        image = target.grab()
        if image.isNull() or image.width() == 0:
            print("FAILED: the window did not paint", file=sys.stderr)
            return 1
        if args.screenshot:
            Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
            if not image.save(args.screenshot):
                print(f"FAILED: could not write {args.screenshot}", file=sys.stderr)
                return 1
        print("OK")
        return 0
    except Exception as exc:  # noqa: BLE001 - the smoke test reports any failure as one line
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


# -- --flows: the main flows as a user runs them, then File > Quit -------------------------------


async def _answer(title_part: str, button_text: str, timeout: float = 10.0) -> None:
    """Click ``button_text`` in the open message box whose title contains ``title_part`` (the
    dialogs open non-modally, so the flow waits for the box, as a user would)."""
    import asyncio

    from PySide6.QtWidgets import QApplication, QMessageBox

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        _at_most_one_dialog()
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox) and box.isVisible() and title_part in box.windowTitle():
                for button in box.buttons():
                    if button.text().replace("&", "") == button_text:
                        button.click()
                        await asyncio.sleep(0)
                        return
                raise RuntimeError(
                    f"no button {button_text!r} in {box.windowTitle()!r}: {[b.text() for b in box.buttons()]}"
                )
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no dialog {title_part!r} appeared")


def _open_dialogs() -> list[str]:
    from PySide6.QtWidgets import QApplication, QDialog

    return [
        w.windowTitle() for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
    ]


def _at_most_one_dialog() -> None:
    """One thing at a time: never two dialogs on screen at once."""
    shown = _open_dialogs()
    if len(shown) > 1:
        raise RuntimeError(f"{len(shown)} dialogs open at once: {shown}")


async def _until(condition: Any, what: str, timeout: float = 15.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def run_flows(window: Any, services: Services, flows: tuple[str, ...]) -> None:
    """Each flow through the window's own commands and real (non-modal) dialogs."""
    runner = services.runner
    work = Path(services.paths.data) / "flows"
    work.mkdir(parents=True, exist_ok=True)
    for flow in flows:
        print(f"flow: {flow}", flush=True)
        if flow == "import":
            source = work / "import.segment.json"
            source.write_text(window.files.export_text("segment"), encoding="utf-8")
            window.files.import_segment_file(str(source))
            await _answer("Import into this project", "Add as copies")
            await _answer("Import done", "OK")
        elif flow == "edit":
            m = window.doc.mapping(window.mapping_list.current_id())
            if m is not None:
                window.mapping_editor.name.setText(f"{m.name} (edited)")
                window.mapping_editor._name_edited(window.mapping_editor.name.text())
            window.menus.undo_action.trigger()
            window.menus.redo_action.trigger()
        elif flow == "check":
            window.preview.check()
            await wait_ready(window, services, 15)
            await _until(lambda: window.preview.last_run is not None, "the check's result")
        elif flow == "send":
            window.preview.ask_send()
            await _answer("Send", "Send test")
            await runner.wait_idle()
        elif flow == "records":
            dialog = window.accounts.show_test_records()
            await runner.wait_idle()
            dialog.close()
        elif flow == "receiver":
            await _receiver_flow(window, services)
        elif flow == "export":
            for kind in ("segment", "terraform", "checklist"):
                if not window.files.export_to(kind, str(work / f"export.{kind}")):
                    raise RuntimeError(f"the {kind} export failed")
        elif flow == "link":
            window.preview.open_url("https://example.invalid/nowhere")
            import asyncio

            await asyncio.sleep(0.05)
            from PySide6.QtWidgets import QApplication, QDialog

            for w in QApplication.topLevelWidgets():
                if isinstance(w, QDialog) and w.isVisible() and w.objectName() == "linkDialog":
                    w.close()
        await runner.wait_idle()
        left = _open_dialogs()
        if left:
            raise RuntimeError(f"after the {flow} flow, dialogs are still open: {left}")


async def _receiver_flow(window: Any, services: Services) -> None:
    """Start the receiver, go live, receive an event, hide the panel, stop the receiver."""
    import httpx

    from pipedrive_gui.receiver.outcomes import ReceiverMode

    window.toggle_receiver()
    panel = window.receiver_panel
    panel.port_spin.setValue(0)
    await _until(lambda: not panel.busy and panel.journal is not None, "the receiver journal")
    panel.start()
    await _until(lambda: panel.running, "the receiver to start")
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(ReceiverMode.LIVE.value))
    await _answer("live mode", "Go live")
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{panel.receiver.url}/v1/track",
            auth=(panel.write_key, ""),
            json={"type": "track", "event": "Flow Checked", "userId": "user-1001"},
        )
    await _until(lambda: panel.model.rowCount() > 0, "the event in the table")
    window.toggle_receiver()  # the panel closes, the receiver keeps running; the status bar says so
    await _until(
        lambda: not window.receiver_placement.shown and not window.status.receiver.isHidden(),
        "the status bar's receiver indicator",
    )
    window.status.receiver.click()  # shows the panel again
    await _until(lambda: window.receiver_placement.shown, "the receiver panel to come back")
    await services.runner.wait_idle()
    panel.stop()
    await _until(lambda: not panel.running and not panel.busy, "the receiver to stop")


async def quit_as_user(window: Any) -> None:
    """File > Quit, answering "Discard" if the project has unsaved changes."""
    import asyncio

    quit_action = next(
        a for a in window.findChildren(type(window.menus.undo_action)) if a.objectName() == "quitAction"
    )
    quit_action.trigger()
    if window.doc.dirty:
        await _answer("Unsaved changes", "Discard")
    await _until(lambda: not window.isVisible(), "the window to close")
    await asyncio.sleep(0)
