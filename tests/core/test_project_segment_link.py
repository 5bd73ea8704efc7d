"""Project file v2: the Segment destination and each mapping's subscription id; v1 files load."""

from __future__ import annotations

import json

import pytest

from pipedrive_gui.core.merge import merge_mappings
from pipedrive_gui.core.project import (
    CURRENT_VERSION,
    Mapping,
    Project,
    ProjectFileError,
    SegmentLink,
    dumps_project,
    loads_project,
    project_from_dict,
)

V1 = {
    "format": "pipedrive-map",
    "version": 1,
    "name": "Old",
    "mappings": [
        {
            "id": "m1",
            "name": "A",
            "action": "createUpdatePerson",
            "trigger": 'type = "identify"',
            "enabled": True,
            "settings": {},
        }
    ],
}


def test_a_version_1_file_loads_without_a_link() -> None:
    project = project_from_dict(V1)
    assert project.version == CURRENT_VERSION == 2
    assert project.segment is None and project.mappings[0].subscription_id is None
    doc = json.loads(dumps_project(project))
    assert "segment" not in doc and "subscription_id" not in doc["mappings"][0]


def test_the_link_round_trips() -> None:
    project = Project(
        name="P",
        segment=SegmentLink("dest-1", "Pipedrive (prod)", "eu"),
        mappings=[Mapping("m1", "A", "createUpdatePerson", "t", True, {}, subscription_id="sub-9")],
    )
    again = loads_project(dumps_project(project))
    assert again == project


@pytest.mark.parametrize(
    "doc, where",
    [
        ({**V1, "version": 2, "segment": {"destination_id": "d", "region": "apac"}}, "/segment/region"),
        ({**V1, "version": 2, "segment": "d"}, "/segment"),
        (
            {**V1, "version": 2, "mappings": [{**V1["mappings"][0], "subscription_id": 5}]},  # type: ignore[index]
            "/mappings/0/subscription_id",
        ),
    ],
)
def test_damaged_links_are_named(doc: dict[str, object], where: str) -> None:
    with pytest.raises(ProjectFileError) as info:
        project_from_dict(doc)
    assert info.value.where == where


def m(mid: str, name: str, sub: str | None = None, trigger: str = "t") -> Mapping:
    return Mapping(mid, name, "createUpdateNote", trigger, True, {}, subscription_id=sub)


def test_update_pairs_by_subscription_id_first_and_takes_the_new_name() -> None:
    existing = [m("a", "Old name", "s1"), m("b", "Other", "s2")]
    result = merge_mappings(existing, [m("x", "New name", "s1", trigger="t2")], "update")
    assert [(r.id, r.name, r.trigger, r.subscription_id) for r in result.mappings] == [
        ("a", "New name", "t2", "s1"),
        ("b", "Other", "t", "s2"),
    ]
    assert result.updated == ["Old name"] and not result.added


def test_update_by_name_records_the_subscription() -> None:
    result = merge_mappings([m("a", "Same")], [m("x", "Same", "s1")], "update")
    assert result.mappings[0].id == "a" and result.mappings[0].subscription_id == "s1"


def test_copies_of_a_linked_subscription_are_unlinked() -> None:
    result = merge_mappings([m("a", "Same", "s1")], [m("x", "Same", "s1"), m("y", "New", "s2")], "copy")
    assert [(r.name, r.subscription_id) for r in result.mappings] == [
        ("Same", "s1"),
        ("Same (copy)", None),
        ("New", "s2"),
    ]
