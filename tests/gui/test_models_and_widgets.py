"""Item models (qtmodeltester), the JSON highlighter, autosave/recovery, layout memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipedrive_gui.core.project import Mapping, Project, SampleEvent
from pipedrive_gui.gui.window_layout import save_layout
from tests.gui.conftest import select_mapping, settle


def test_mapping_list_model(qtmodeltester: Any, qapp: Any) -> None:
    from pipedrive_gui.gui.document import Document
    from pipedrive_gui.gui.mapping_list import MappingListModel

    doc = Document(
        Project(
            mappings=[
                Mapping("a", "A", "createUpdatePerson", 'type = "identify"'),
                Mapping("b", "B", "createUpdateNote", "", enabled=False),
            ]
        )
    )
    model = MappingListModel(doc)
    qtmodeltester.check(model, force_py=True)
    doc.add_mapping(Mapping("c", "C", "createUpdateDeal", ""))
    doc.move_mapping("c", -1)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3


def test_event_paths_model(qtmodeltester: Any, qapp: Any) -> None:
    from pipedrive_gui.gui.path_picker import EventPathsModel, event_paths

    model = EventPathsModel()
    model.set_event({"type": "track", "properties": {"a b": 1, "list": [1, {"x": True}]}})
    qtmodeltester.check(model, force_py=True)
    paths = [p for p, _ in event_paths({"properties": {"a b": 1, "list": [{"x": 1}]}})]
    assert paths == [
        "$.properties",
        '$.properties["a b"]',
        "$.properties.list",
        "$.properties.list[0]",
        "$.properties.list[0].x",
    ]


def test_calls_model(qtmodeltester: Any, qapp: Any) -> None:
    from pipedrive_gui.gui.preview_panel import CallsModel
    from pipedrive_gui.pipedrive.engine import CallRecord

    model = CallsModel()
    model.set_calls(
        [
            CallRecord("GET", "/api/v2/persons/1", None, None, "look up", "lookup", sent=True, status=200),
            CallRecord("POST", "/api/v2/persons", None, {"name": "x"}, "create person"),
        ]
    )
    qtmodeltester.check(model, force_py=True)
    assert model.data(model.index(0, 2)) == "200"
    assert model.data(model.index(1, 2)) == "not sent"


def test_highlighter_uses_palette_and_underlines_errors(qapp: Any) -> None:
    from PySide6.QtGui import QPalette, QTextCharFormat, QTextDocument

    from pipedrive_gui.gui.json_highlighter import JsonHighlighter

    doc = QTextDocument('{"key": "value", "n": 12, "b": true}\n{"@path": ')
    palette = QPalette()
    hl = JsonHighlighter(doc, palette)
    fmts = doc.firstBlock().layout().formats()
    colours = {f.format.foreground().color().name() for f in fmts}
    assert palette.color(QPalette.ColorRole.Link).name() in colours
    hl.set_error(2, 3)
    second = doc.findBlockByNumber(1).layout().formats()
    assert any(f.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline for f in second)


def test_autosave_and_recovery(window: Any, services: Any, run: Any, dialogs: Any) -> None:
    from pipedrive_gui.gui.app import start
    from pipedrive_gui.gui.autosave import find_recovery

    w = window
    w.load(Project(name="Work", samples=[SampleEvent("s", {"type": "identify", "userId": "u"})]), None)
    w.mapping_list.new_from_action("createUpdatePerson")
    assert services.autosaver.save_now()
    rec = find_recovery(services.paths.data)
    assert rec is not None and len(rec.project.mappings) == 1
    # "Next start": a fresh window finds it and offers it; restoring brings the mapping back, dirty.
    w.load(Project(), None)
    dialogs.answers.append("yes")
    import argparse

    args = argparse.Namespace(project=None, demo=False, self_test=False, screenshot=None)
    run(start(w, services, args))
    assert any("Recover" in t for t, _ in dialogs.asked)
    assert len(w.doc.project.mappings) == 1 and w.doc.dirty
    services.runner.cancel_all()
    run(services.runner.wait_idle())


def test_layout_is_remembered(window: Any, services: Any, qtbot: Any) -> None:
    from pipedrive_gui.gui.app import build_window

    window.split.setSizes([200, 500, 600])
    sizes = window.split.sizes()
    save_layout(window)
    assert (Path(services.paths.config) / "window.ini").exists()
    again = build_window(services)
    qtbot.addWidget(again)
    assert again.split.saveState() == window.split.saveState() or again.split.sizes() == sizes
    again._close_confirmed = True


def test_dark_palette_keeps_text_readable(demo_window: Any, qapp: Any, run: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.Base, QColor(20, 20, 20))
    dark.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    dark.setColor(QPalette.ColorRole.WindowText, QColor(230, 230, 230))
    dark.setColor(QPalette.ColorRole.Link, QColor(120, 170, 255))
    editor = demo_window.event_editor
    editor.highlighter.set_palette(dark)
    key = editor.highlighter.format_for("key").foreground().color()
    assert key == QColor(120, 170, 255)  # taken from the palette, not hard-coded


def test_window_does_not_block_while_fields_fetch_and_test_sends(
    demo_window: Any, run: Any, services: Any, dialogs: Any
) -> None:
    """A QTimer heartbeat must keep beating (<100 ms gaps) while slow Pipedrive calls run."""
    import time

    from PySide6.QtCore import QTimer

    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    services.connection.sandbox.faults.slow(400)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    try:
        started = time.perf_counter()
        w.accounts.refresh_fields()
        run.until(lambda: w.status.progress.isVisible(), timeout=5, what="progress shown")
        run(services.runner.wait_idle(), timeout=30)
        dialogs.answers.append("yes")
        w.preview.ask_send()
        run(services.runner.wait_idle(), timeout=30)
        elapsed = time.perf_counter() - started
    finally:
        timer.stop()
    assert elapsed > 0.8  # the calls really were slow
    assert w.preview.last_run is not None and w.preview.last_run.outcome in ("create", "update")
    worst = max(gaps[1:])
    assert worst < 0.1, f"the window froze for {worst * 1000:.0f} ms"
