"""File > Import Segment JSON… of a file that holds the Pipedrive API token: the token is dropped
(as by ``pipedrive-gui import``) and the import's message says so in plain words, naming where the
token belongs; the token itself shows up nowhere."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.project import Project, save_project
from tests.gui.conftest import DialogRecorder, Runner, settle

TOKEN = "pd-import-token-5f3a9c"


def _export_with(window: Any, tmp_path: Path, **settings: Any) -> str:
    """The demo project's Segment export, with ``settings`` added to its destination settings."""
    from pipedrive_gui.gui.app import demo_project

    window.load(demo_project(), None)
    data = json.loads(window.files.export_text("segment"))
    data["destination"]["settings"].update(settings)
    path = tmp_path / "from-a-colleague.segment.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _everything_shown(window: Any, dialogs: DialogRecorder) -> str:
    stack = window.doc.undo_stack
    return "\n".join(
        [
            *(f"{t}\n{x}" for t, x in dialogs.infos + dialogs.errors + dialogs.asked),
            window.statusBar().currentMessage(),
            *(stack.text(i) for i in range(stack.count())),
        ]
    )


def _assert_token_nowhere(window: Any, dialogs: DialogRecorder, tmp_path: Path, caplog: Any) -> None:
    saved = tmp_path / "saved.pipedrive-map.json"
    save_project(window.doc.project, saved)
    assert TOKEN not in saved.read_text(encoding="utf-8")
    assert TOKEN not in window.files.export_text("segment")
    assert TOKEN not in _everything_shown(window, dialogs)
    assert TOKEN not in caplog.text


def test_an_import_into_an_empty_project_says_the_token_was_not_kept(
    window: Any, run: Runner, tmp_path: Path, dialogs: DialogRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _export_with(window, tmp_path, apiToken=TOKEN)
    window.load(Project(), None)
    dialogs.files.append(path)
    window.files.import_segment_dialog()
    settle(run, window)
    assert window.doc.project.mappings and not dialogs.asked and not dialogs.errors
    [(title, text)] = dialogs.infos
    assert title == "Import done"
    assert "the Pipedrive API token in the file was not kept" in text.splitlines()[0]
    assert "“from-a-colleague.segment.json” contains a Pipedrive API token. It was not imported" in text
    assert "use Pipedrive > Connect…: the app keeps your token in your computer's keyring" in text
    assert "the Pipedrive API token in the file was not kept" in window.statusBar().currentMessage()
    _assert_token_nowhere(window, dialogs, tmp_path, caplog)


def test_an_import_into_a_project_with_mappings_says_it_too(
    window: Any, run: Runner, tmp_path: Path, dialogs: DialogRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _export_with(window, tmp_path, apiToken=TOKEN)  # the demo project stays loaded
    dialogs.files.append(path)
    dialogs.answers.append("update")
    window.files.import_segment_dialog()
    settle(run, window)
    title, text = dialogs.infos[-1]
    assert title == "Import done" and "already up to date" in text
    assert "contains a Pipedrive API token. It was not imported" in text and "Pipedrive > Connect…" in text
    _assert_token_nowhere(window, dialogs, tmp_path, caplog)


@pytest.mark.parametrize("settings", [{}, {"apiToken": ""}, {"region": "eu"}])
def test_a_file_without_a_token_says_nothing_about_one(
    settings: dict[str, Any], window: Any, run: Runner, tmp_path: Path, dialogs: DialogRecorder
) -> None:
    path = _export_with(window, tmp_path, **settings)
    window.load(Project(), None)
    dialogs.files.append(path)
    window.files.import_segment_dialog()
    settle(run, window)
    assert window.doc.project.mappings
    assert dialogs.infos == []  # an import into an empty project just shows the mappings
    assert "token" not in window.statusBar().currentMessage()
