"""Help > Getting started: the main loop in five steps, with the names and keys the window uses."""

from __future__ import annotations

from pipedrive_gui.gui import shortcuts
from pipedrive_gui.gui.shortcuts import key_text


def getting_started_text() -> str:
    """Plain text (a message box shows it as is)."""
    check, send = key_text(shortcuts.CHECK), key_text(shortcuts.SEND)
    new = key_text(shortcuts.NEW_MAPPING)
    return (
        "Pipedrive Mapper shows what Segment would send to Pipedrive for each event, before you set "
        "it up in Segment.\n\n"
        "0. Begin: File > Open demo project, or Edit > New mapping "
        f"({new}) to start from a preset. Your mappings are listed on the left; select one.\n\n"
        "1. Pick a sample event: the “Sample event” drop-down on the right has realistic Segment "
        "events. You can also paste your own (copy it from Segment's Debugger) and keep it with "
        "“Save to project”.\n\n"
        "2. See the payload: the Preview under the event says whether the mapping's trigger fires and "
        "shows exactly what Segment would send. Change a field in the middle and the preview follows; "
        "Edit > Undo takes any change back.\n\n"
        f"3. Check in Pipedrive ({check}): read-only. It says whether the record would be updated "
        "(and which one), created, or why it would fail.\n\n"
        f"4. Send a test ({send}): really creates or updates the record. Pipedrive > Test records… "
        "lists what your tests created and deletes it again.\n\n"
        "5. Export: File > Export Segment JSON… writes the mappings in the form Segment accepts "
        "(no API token in it); File > Save keeps the project to work on later.\n\n"
        "Checking and sending need a Pipedrive: Pipedrive > Connect… for your company, or the "
        "offline sandbox, which needs no account and keeps everything on this computer."
    )
