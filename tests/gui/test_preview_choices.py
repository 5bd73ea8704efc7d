"""Which sample event a mapping is shown on, and what a new mapping still lacks (gui/preview.py):
computed without a QApplication, from the demo project and the bundled samples."""

from __future__ import annotations

import dataclasses

from pipedrive_gui.core import samples
from pipedrive_gui.core.project import Mapping, Project
from pipedrive_gui.gui.app import demo_project
from pipedrive_gui.gui.preview import PreviewComputer, choose_sample, what_is_missing


def _demo() -> tuple[Project, dict[str, Mapping]]:
    project = demo_project()
    return project, {m.id: m for m in project.mappings}


def _with(m: Mapping, **settings: object) -> Mapping:
    return dataclasses.replace(m, settings={**m.settings, **settings})


def test_an_event_that_previews_cleanly_is_kept() -> None:
    project, by_id = _demo()
    deal_opened = project.samples[3].event
    assert choose_sample(PreviewComputer(), by_id["deal"], deal_opened, project.samples) is None


def test_the_projects_samples_come_first_then_the_bundled_ones() -> None:
    project, by_id = _demo()
    chosen = choose_sample(PreviewComputer(), by_id["deal"], project.samples[0].event, project.samples)
    assert chosen is not None and chosen[:2] == ("project", 3)
    assert chosen[2] == project.samples[3].event
    bundled = choose_sample(PreviewComputer(), by_id["deal"], None, [])
    assert bundled is not None and bundled[:2] == ("bundled", "track-deal-upserted")
    assert bundled[2] == samples.load_sample("track-deal-upserted")


def test_without_a_clean_sample_one_it_fires_on_unless_the_event_on_screen_fires_too() -> None:
    project, by_id = _demo()
    lacking = _with(by_id["person"], match_value={"@path": "$.traits.nowhere"})
    chosen = choose_sample(PreviewComputer(), lacking, project.samples[2].event, project.samples)
    assert chosen is not None and chosen[:2] == ("project", 0)  # the group event did not fire
    assert choose_sample(PreviewComputer(), lacking, project.samples[1].event, project.samples) is None


def test_nothing_is_chosen_when_no_sample_fires() -> None:
    project, by_id = _demo()
    never = dataclasses.replace(by_id["deal"], trigger='type = "track" and event = "Never Sent"')
    assert choose_sample(PreviewComputer(), never, None, project.samples) is None


def test_an_unknown_action_is_shown_on_an_event_it_fires_on() -> None:
    project, by_id = _demo()
    unknown = dataclasses.replace(by_id["person"], action="createUpdateSomething")
    chosen = choose_sample(PreviewComputer(), unknown, None, project.samples)
    assert chosen is not None and chosen[:2] == ("project", 0)
    assert what_is_missing(PreviewComputer(), unknown, project.samples[0].event) is None


def test_what_a_new_mapping_lacks_names_the_field_and_where_the_event_has_nothing() -> None:
    project, by_id = _demo()
    maria = project.samples[0].event
    missing = what_is_missing(
        PreviewComputer(), _with(by_id["person"], match_value={"@path": "$.traits.nowhere"}), maria
    )
    assert missing is not None
    field, text = missing
    assert field == "match_value"
    assert text.startswith(
        "One thing left to fill in: Match value. The sample event has nothing at $.traits.nowhere"
    )
    assert "the field of the event that identifies the person" in text

    field, text = what_is_missing(
        PreviewComputer(),
        _with(by_id["deal"], title={"@path": "$.properties.none"}),
        project.samples[3].event,
    ) or (None, "")
    assert field == "title" and "that holds it (Pick… lists them)" in text


def test_a_trigger_that_does_not_fire_is_a_hint_without_a_field() -> None:
    project, by_id = _demo()
    never = dataclasses.replace(by_id["deal"], trigger='type = "track" and event = "Never Sent"')
    missing = what_is_missing(PreviewComputer(), never, project.samples[3].event)  # a clean payload
    assert missing is not None
    field, text = missing
    assert field is None
    assert text.startswith("The trigger does not fire for this event")
    assert text.endswith("Choose a sample event this mapping is for, or change the trigger.")
    assert what_is_missing(PreviewComputer(), by_id["deal"], project.samples[3].event) is None
