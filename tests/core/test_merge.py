"""core.merge: importing mappings into a project that has some never duplicates them silently."""

from __future__ import annotations

import json

import pytest

from pipedrive_gui.core.merge import copy_name, merge_mappings
from pipedrive_gui.core.project import Mapping, load_project
from pipedrive_gui.core.segment_io import export_segment, import_segment
from pipedrive_gui.resources import resource_path

DEAL, PERSON = "createUpdateDeal", "createUpdatePerson"


def _m(
    mapping_id: str,
    name: str,
    action: str = DEAL,
    trigger: str = 'event = "Order Completed"',
    **settings: object,
) -> Mapping:
    return Mapping(mapping_id, name, action, trigger, True, dict(settings))


EXISTING = [
    _m("a", "Order Completed", title={"@path": "$.properties.order_id"}),
    _m("b", "People", PERSON, 'type = "identify"'),
    _m("c", "Refunds", trigger='event = "Order Refunded"'),
]


def test_update_changes_matching_mappings_in_place_and_adds_the_rest() -> None:
    incoming = [
        _m("x1", "Order Completed", title={"@template": "Order {{properties.order_id}}"}),
        _m("x2", "People", PERSON, 'type = "identify"'),  # the same as in the project
        _m("x3", "People", DEAL),  # same name, other action: not a match
        _m("a", "Leads", "createUpdateLead", 'event = "Lead Created"'),
    ]  # an id the project uses
    result = merge_mappings(EXISTING, incoming, "update")
    ids = [m.id for m in result.mappings]
    assert ids[:3] == ["a", "b", "c"] and len(set(ids)) == len(ids) == 5  # ids kept; new ones unique
    assert result.mappings[0].settings == {"title": {"@template": "Order {{properties.order_id}}"}}
    assert result.mappings[0].name == "Order Completed"
    assert result.updated == ["Order Completed"] and result.unchanged == ["People"]
    assert result.added == ["People", "Leads"] and not result.removed
    assert result.summary() == "1 updated, 2 added, 1 already up to date"
    assert EXISTING[0].settings == {"title": {"@path": "$.properties.order_id"}}  # inputs untouched


def test_update_pairs_same_named_mappings_in_order() -> None:
    existing = [_m("a", "Order"), _m("b", "Order")]
    incoming = [
        _m("x", "Order", trigger="t1"),
        _m("y", "Order", trigger="t2"),
        _m("z", "Order", trigger="t3"),
    ]
    result = merge_mappings(existing, incoming, "update")
    assert [(m.id, m.trigger) for m in result.mappings[:2]] == [("a", "t1"), ("b", "t2")]
    assert len(result.mappings) == 3 and result.mappings[2].trigger == "t3"
    assert result.summary() == "2 updated, 1 added"


def test_copy_adds_all_and_marks_taken_names_as_copies() -> None:
    incoming = [_m("a", "Order Completed"), _m("n", "New one"), _m("m", "Order Completed")]
    result = merge_mappings(EXISTING, incoming, "copy")
    names = [m.name for m in result.mappings]
    assert names == [
        "Order Completed",
        "People",
        "Refunds",
        "Order Completed (copy)",
        "New one",
        "Order Completed (copy 2)",
    ]
    assert len({m.id for m in result.mappings}) == 6
    assert result.renamed == [
        ("Order Completed", "Order Completed (copy)"),
        ("Order Completed", "Order Completed (copy 2)"),
    ]
    assert result.summary() == "3 added (2 as copies)"
    assert copy_name("X", ["X", "X (copy)"]) == "X (copy 2)" and copy_name("Y", ["X"]) == "Y"


def test_replace_gives_the_incoming_mappings_only() -> None:
    incoming = [_m("x", "Only this")]
    result = merge_mappings(EXISTING, incoming, "replace")
    assert [m.name for m in result.mappings] == ["Only this"]
    assert result.summary() == "1 added, 3 removed"
    assert result.removed == ["Order Completed", "People", "Refunds"]


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown merge mode"):
        merge_mappings([], [], "append")  # type: ignore[arg-type]


def test_importing_a_projects_own_export_into_it_changes_nothing() -> None:
    """The reported case: the demo's export imported back used to double every mapping."""
    project = load_project(resource_path("demo", "demo.pipedrive-map.json"))
    incoming = import_segment(json.loads(json.dumps(export_segment(project))))
    result = merge_mappings(project.mappings, incoming, "update")
    assert result.mappings == project.mappings and not result.changed
    assert result.summary() == f"{len(project.mappings)} already up to date"
    assert len(merge_mappings(project.mappings, incoming, "copy").mappings) == 2 * len(project.mappings)
