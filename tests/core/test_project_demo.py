"""The bundled demo project works: every mapping fires on a bundled sample and its payload validates."""

from __future__ import annotations

import json

import pytest

from pipedrive_gui.core.payload import build_payload
from pipedrive_gui.core.project import load_project
from pipedrive_gui.core.samples import list_samples, load_sample
from pipedrive_gui.core.triggers import parse_fql
from pipedrive_gui.resources import resource_path

DEMO = load_project(resource_path("demo", "demo.pipedrive-map.json"))
CUSTOM = json.loads(resource_path("sandbox", "custom_fields.json").read_text(encoding="utf-8"))["fields"]


def _key(entity: str, label: str) -> str:
    return next(f["key"] for f in CUSTOM[entity] if f["label"] == label)


@pytest.mark.parametrize("mapping", DEMO.mappings, ids=[m.action for m in DEMO.mappings])
def test_each_mapping_fires_on_a_demo_sample_with_a_valid_payload(mapping: object) -> None:
    from pipedrive_gui.core.project import Mapping

    assert isinstance(mapping, Mapping)
    trigger = parse_fql(mapping.trigger)
    firing = [s for s in DEMO.samples if trigger.matches(s.event)]
    assert firing, f"{mapping.name} fires on no sample"
    for sample in firing:
        result = build_payload(mapping.action, mapping.settings, sample.event)
        assert result.ok, (sample.name, result.error)


def test_demo_matches_by_the_sandbox_custom_fields() -> None:
    by_action = {m.action: m for m in DEMO.mappings}
    person = by_action["createUpdatePerson"].settings
    assert person["match_field"] == _key("person", "Segment user ID")
    assert set(person["custom_fields"]) >= {_key("person", "Plan"), _key("person", "Lifetime value")}
    assert by_action["createUpdateOrganization"].settings["match_field"] == _key(
        "organization", "Segment group ID"
    )
    assert by_action["createUpdateDeal"].settings["deal_match_field"] == _key("deal", "Segment deal ID")
    sample = next(s for s in DEMO.samples if s.event.get("type") == "identify")
    payload = build_payload("createUpdatePerson", person, sample.event).payload
    assert payload is not None
    assert payload["custom_fields"][_key("person", "Plan")] == "Pro"


def test_every_bundled_sample_loads_and_large_one_is_about_30_kb() -> None:
    samples = list_samples()
    assert len(samples) >= 10
    for info in samples:
        event = load_sample(info.name)
        assert event["type"] == info.event_type and info.title and info.description
    size = len(json.dumps(load_sample("large-order-completed"), separators=(",", ":")))
    assert 25_000 <= size <= 32_000


def test_every_action_fires_somewhere_in_the_corpus() -> None:
    lines = resource_path("events", "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    assert len(events) >= 1000
    assert len({e["userId"] for e in events}) >= 100
    for m in DEMO.mappings:
        trigger = parse_fql(m.trigger)
        hits = [e for e in events if trigger.matches(e)]
        assert len(hits) >= 100, m.name
        assert build_payload(m.action, m.settings, hits[0]).ok
