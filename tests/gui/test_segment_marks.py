"""What the GUI tells about Segment: presets Segment does not ship are marked as the app's own, and
the Activity type is free text with the account's activity types as suggestions (as in Segment)."""

from __future__ import annotations

from typing import Any

from pipedrive_gui.core.actions import PRESETS


def _preset_menu(window: Any) -> Any:
    [presets] = [a.menu() for a in window.mapping_list.new_menu.actions() if a.text() == "From a preset"]
    return presets


def test_presets_segment_does_not_ship_are_marked_in_the_new_mapping_menu(window: Any) -> None:
    entries = [(a.text(), a.toolTip()) for a in _preset_menu(window).actions()]
    texts = [t for t, _ in entries]
    assert texts == [
        "Create or Update a Person",
        "Create or Update an Organization",
        "Create or Update an Activity",
        "",  # separator: Segment's presets above, the app's own below
        "Create or Update a Deal — Pipedrive Mapper preset",
        "Create or Update a Lead — Pipedrive Mapper preset",
        "Create or Update a Note — Pipedrive Mapper preset",
    ]
    deal_tip = dict(entries)["Create or Update a Deal — Pipedrive Mapper preset"]
    assert "Segment has no such preset" in deal_tip and "Create or update a Deal" in deal_tip


def test_a_marked_preset_still_makes_its_mapping(window: Any) -> None:
    [lead] = [a for a in _preset_menu(window).actions() if a.text().startswith("Create or Update a Lead")]
    lead.trigger()
    [m] = window.doc.project.mappings
    preset = next(p for p in PRESETS if p.action_slug == "createUpdateLead")
    assert (m.name, m.action, m.trigger, m.settings) == (
        preset.name,
        preset.action_slug,
        preset.trigger,
        preset.settings,
    )


def test_activity_type_takes_any_text_and_suggests_the_accounts_types(
    demo_window: Any, run: Any, qtbot: Any
) -> None:
    from tests.gui.conftest import select_mapping, settle

    w = demo_window
    m = select_mapping(w, "createUpdateActivity")
    settle(run, w)
    editor = w.mapping_editor.field_editors["type"]
    editor.set_mode("static")
    static = editor.editor()
    combo = static.combo
    assert combo.isEditable()  # a text input, as in Segment, not a closed drop-down
    types = w.connection.catalog.active_activity_types()
    assert types
    suggestions = [combo.completer().model().index(i, 0).data() for i in range(combo.count())]
    assert [f"{t.name} ({t.key_string})" for t in types] == suggestions

    # Any text is kept as typed (Segment accepts it; the note says it is not one of the account's).
    combo.lineEdit().clear()
    qtbot.keyClicks(combo.lineEdit(), "webinar_custom")
    settle(run, w)
    assert w.doc.mapping(m.id).settings["type"] == "webinar_custom"
    editor.set_value("webinar_custom")
    assert combo.currentText() == "webinar_custom"
    assert "not one of this account's activity types" in static.note.text()

    # Picking a suggestion stores its key.
    combo.setCurrentIndex(0)
    settle(run, w)
    assert w.doc.mapping(m.id).settings["type"] == types[0].key_string
    editor.set_value(types[0].key_string)
    assert combo.currentIndex() == 0 and not static.note.text()


def test_changing_the_action_keeps_dynamic_auth_settings(demo_window: Any, run: Any) -> None:
    """Segment exempts dynamicAuthSettings from every action's schema; the mapping keeps it."""
    from dataclasses import replace

    from tests.gui.conftest import select_mapping, settle

    w = demo_window
    m = select_mapping(w, "createUpdatePerson")
    w.doc.set_mappings(
        [
            replace(x, settings={**x.settings, "dynamicAuthSettings": {"oauth": {}}}) if x.id == m.id else x
            for x in w.doc.project.mappings
        ],
        "test",
    )
    w.mapping_list.select(m.id)
    settle(run, w)
    combo = w.mapping_editor.action
    index = combo.findData("createUpdateOrganization")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # what choosing it with the mouse or keyboard sends
    settle(run, w)
    changed = w.doc.mapping(m.id)
    assert changed.action == "createUpdateOrganization"
    assert changed.settings["dynamicAuthSettings"] == {"oauth": {}}
