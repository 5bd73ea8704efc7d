"""Issue 10, "Sending only what the user meant", in the desktop app: *Send test* respects the trigger,
a new custom-field row sends nothing, a Pipedrive result that no longer matches the screen says so,
and *Import* into a non-empty project asks instead of duplicating mappings."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.core.samples import load_sample
from tests.gui.conftest import select_mapping, settle


def _writes(window: Any) -> list[Any]:
    """The requests the sandbox received that change something in it."""
    return [r for r in window.connection.sandbox.state.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


# -- Send test and the trigger ------------------------------------------------------------------


def _deal_on_a_page_view(window: Any, run: Any) -> Any:
    """The Deals mapping shown with a sample its trigger does not fire on (a page view)."""
    m = select_mapping(window, "createUpdateDeal")
    settle(run, window)
    window.event_editor.set_event(load_sample("page-pricing"))
    settle(run, window)
    assert not window.preview.result.fires
    assert "does not fire" in window.preview.trigger_indicator.text()
    return m


def test_send_test_says_when_the_trigger_does_not_fire_and_needs_send_anyway(demo_window: Any, run: Any,
                                                                            dialogs: Any) -> None:
    w = demo_window
    m = _deal_on_a_page_view(w, run)
    button = w.preview.send_button
    assert "trigger does not fire" in button.text()
    assert "does not fire" in button.toolTip()
    before = len(_writes(w))
    # The confirmation names the trigger; closing it or Cancel sends nothing.
    dialogs.answers.append("cancel")
    button.click()
    settle(run, w)
    title, text = dialogs.asked[-1]
    assert "trigger does not fire" in title.lower() or "trigger does not fire" in text.lower()
    assert m.name in text and "Segment would not send" in text
    assert w.preview.last_run is None and len(_writes(w)) == before
    # "Send anyway" is the explicit answer that sends.
    dialogs.answers.append("yes")
    button.click()
    settle(run, w)
    assert w.preview.last_run is not None and w.preview.last_run.mode == "send"
    assert len(_writes(w)) > before
    assert "trigger does not fire" in w.preview.outcome.text()


def test_send_test_on_a_firing_trigger_keeps_the_plain_confirmation(demo_window: Any, run: Any,
                                                                    dialogs: Any) -> None:
    w = demo_window
    select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    assert w.preview.result.fires
    assert w.preview.send_button.text() == "Send test…"
    dialogs.answers.append("yes")
    w.preview.send_button.click()
    settle(run, w)
    assert "does not fire" not in dialogs.asked[-1][1]
    assert w.preview.last_run.mode == "send"


def test_send_test_sends_what_is_on_screen_not_a_preview_still_pending(demo_window: Any, run: Any,
                                                                        dialogs: Any) -> None:
    """An edit followed at once by Send test (before the preview caught up) sends the edited mapping."""
    w = demo_window
    m = select_mapping(w, "createUpdateOrganization")
    settle(run, w)
    settings = dict(w.doc.mapping(m.id).settings, name="Typed Just Now Ltd")
    from dataclasses import replace

    w.doc.edit_mapping(replace(w.doc.mapping(m.id), settings=settings), "Edit name")
    assert w.preview.timer.isActive()  # the preview has not been recomputed yet
    dialogs.answers.append("yes")
    w.preview.ask_send()
    settle(run, w)
    bodies = [r.json for r in _writes(w) if isinstance(r.json, dict)]
    assert any(b.get("name") == "Typed Just Now Ltd" for b in bodies), bodies
