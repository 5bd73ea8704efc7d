"""Whatever is in a project file, loading it either works or raises ProjectFileError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.project import (
    Project,
    ProjectFileError,
    dumps_project,
    load_project,
    loads_project,
    project_from_dict,
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "format",
        "version",
        "name",
        "destination",
        "mappings",
        "samples",
        "subscriptions",
        "settings",
        "events",
        "title",
        "id",
        "action",
        "trigger",
        "enabled",
        "event",
        "actionSlug",
        "subscribe",
        "mapping",
        "person_field",
        "apiToken",
        "domain",
    ]
)
# Documents that look like project files, so the fuzzer gets past the first checks.
plausible = st.recursive(
    json_scalars | st.sampled_from(["pipedrive-map", "createUpdatePerson", 0, 1, 2]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=6),
    max_leaves=30,
)


def _check(doc: Any) -> None:
    try:
        project = project_from_dict(doc)
    except ProjectFileError as exc:
        assert str(exc)
        return
    assert isinstance(project, Project)
    # Whatever loads must save and load back to the same project.
    assert loads_project(dumps_project(project)) == project


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value(doc: Any) -> None:
    _check(doc)


@settings(max_examples=400, deadline=None)
@given(plausible)
def test_project_like_documents(doc: Any) -> None:
    _check(doc)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"format": st.just("pipedrive-map"), "version": st.sampled_from([0, 1])},
        optional={
            "mappings": st.lists(st.dictionaries(keys, plausible, max_size=6), max_size=3),
            "subscriptions": st.lists(st.dictionaries(keys, plausible, max_size=6), max_size=3),
            "samples": st.lists(st.dictionaries(keys, plausible, max_size=3), max_size=3),
            "destination": st.dictionaries(keys, plausible, max_size=4),
            "settings": st.dictionaries(keys, plausible, max_size=4),
        },
    )
)
def test_versioned_documents(doc: dict[str, Any]) -> None:
    if doc["version"] == 0:
        doc.pop("format")
    _check(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_on_disk(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.pipedrive-map.json"
    path.write_bytes(data)
    try:
        load_project(path)
    except ProjectFileError:
        pass
    assert path.read_bytes() == data  # loading never writes


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text(text: str) -> None:
    try:
        loads_project(text)
    except ProjectFileError:
        pass


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        '{"format": "pipedrive-map", "version": 1, "samples": [{"name": "x", "event": {"a": ' + deep + "}}]}"
    )
    try:
        project = loads_project(text)
    except ProjectFileError as exc:
        assert "nested too deeply" in str(exc)
    else:  # a parser that copes with the depth must still save what it read
        assert isinstance(project, Project)
