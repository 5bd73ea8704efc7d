"""The project file: round trip, migrations, damaged/newer files, secrets, atomic saves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipedrive_gui.core import project as project_mod
from pipedrive_gui.core.actions import ACTION_SLUGS
from pipedrive_gui.core.project import (
    CURRENT_VERSION,
    DestinationDefaults,
    Mapping,
    Project,
    ProjectFileError,
    SampleEvent,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
    strip_secrets,
)
from pipedrive_gui.resources import resource_path


def _project() -> Project:
    return Project(
        version=CURRENT_VERSION,
        name="Café pipeline",
        destination=DestinationDefaults(
            person_field="52d19da55d7099e586a31be618830bcd5c239d54", domain="acme"
        ),
        mappings=[
            Mapping(
                id="m-1",
                name="People",
                action="createUpdatePerson",
                trigger='type = "identify"',
                enabled=False,
                settings={"match_value": {"@path": "$.userId"}, "name": {"@template": "{{traits.first}} ✓"}},
            )
        ],
        samples=[SampleEvent("Signup", {"type": "identify", "userId": "u1", "traits": {"n": 5.5}})],
    )


def test_save_then_load_gives_the_same_project(tmp_path: Path) -> None:
    path = tmp_path / "p.pipedrive-map.json"
    save_project(_project(), path)
    assert load_project(path) == _project()
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "pipedrive-map" and doc["version"] == CURRENT_VERSION
    assert list(doc) == ["format", "version", "name", "destination", "mappings", "samples"]


def test_saved_file_never_contains_a_token(tmp_path: Path) -> None:
    path = tmp_path / "p.pipedrive-map.json"
    save_project(_project(), path)
    assert "token" not in path.read_text(encoding="utf-8").lower()


def test_defaults_fill_missing_optional_sections() -> None:
    p = project_from_dict({"format": "pipedrive-map", "version": 1})
    assert p.destination == DestinationDefaults()
    assert p.mappings == [] and p.samples == []


def test_v0_file_is_migrated() -> None:
    v0 = {
        "version": 0,
        "title": "Old project",
        "settings": {"domain": "acme", "personField": "abc", "dealField": "def"},
        "subscriptions": [
            {
                "name": "People",
                "actionSlug": "createUpdatePerson",
                "subscribe": 'type = "identify"',
                "mapping": {"match_value": {"@path": "$.userId"}},
                "enabled": False,
            }
        ],
        "events": {"Signup": {"type": "identify"}},
    }
    p = project_from_dict(v0)
    assert p.version == CURRENT_VERSION
    assert p.name == "Old project"
    assert p.destination == DestinationDefaults(
        person_field="abc", organization_field="id", deal_field="def", domain="acme"
    )
    assert [(m.name, m.action, m.trigger, m.enabled) for m in p.mappings] == [
        ("People", "createUpdatePerson", 'type = "identify"', False)
    ]
    assert p.mappings[0].settings == {"match_value": {"@path": "$.userId"}}
    assert p.samples == [SampleEvent("Signup", {"type": "identify"})]


def test_v0_file_on_disk_loads_and_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "old.pipedrive-map.json"
    text = json.dumps({"version": 0, "subscriptions": []})
    path.write_text(text, encoding="utf-8")
    assert load_project(path).version == CURRENT_VERSION
    assert path.read_text(encoding="utf-8") == text


def test_migrations_cover_every_older_version() -> None:
    assert sorted(project_mod.MIGRATIONS) == list(range(CURRENT_VERSION))


def test_newer_version_is_refused_and_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.pipedrive-map.json"
    text = json.dumps({"format": "pipedrive-map", "version": CURRENT_VERSION + 1, "mappings": []})
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectFileError, match="newer Pipedrive Mapper"):
        load_project(path)
    assert path.read_text(encoding="utf-8") == text


def test_bad_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.pipedrive-map.json"
    path.write_text('{\n  "format": "pipedrive-map",\n  "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert (info.value.line, info.value.column) == (3, 16)
    assert "line 3, column 16" in str(info.value)
    assert "broken.pipedrive-map.json" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([], "must hold a JSON object"),
        ({"format": "something-else", "version": 1}, "not a Pipedrive Mapper project"),
        ({"name": "x"}, 'no valid "version"'),
        ({"format": "pipedrive-map", "version": "1"}, 'no valid "version"'),
        ({"format": "pipedrive-map", "version": 1, "mappings": {}}, "/mappings must be a list"),
        (
            {
                "format": "pipedrive-map",
                "version": 1,
                "mappings": [{"action": "createUpdatePerson", "settings": []}],
            },
            "/mappings/0/settings must be an object",
        ),
        ({"format": "pipedrive-map", "version": 1, "mappings": [{"action": "sendEmail"}]}, '"sendEmail"'),
        (
            {
                "format": "pipedrive-map",
                "version": 1,
                "mappings": [{"action": "createUpdatePerson", "enabled": "yes"}],
            },
            "/mappings/0/enabled must be true or false",
        ),
        (
            {"format": "pipedrive-map", "version": 1, "samples": [{"name": "x", "event": 3}]},
            "/samples/0/event",
        ),
        (
            {"format": "pipedrive-map", "version": 1, "destination": {"person_field": 5}},
            "/destination/person_field",
        ),
    ],
)
def test_wrong_shapes_are_explained(doc: object, fragment: str) -> None:
    with pytest.raises(ProjectFileError) as info:
        project_from_dict(doc)
    assert fragment in str(info.value)


@pytest.mark.parametrize("key", ["apiToken", "api_token", "API-TOKEN", "password"])
def test_a_file_with_a_token_is_refused_without_echoing_it(tmp_path: Path, key: str) -> None:
    secret = "0123456789abcdef0123456789abcdef01234567"
    path = tmp_path / "leaky.pipedrive-map.json"
    path.write_text(
        json.dumps({"format": "pipedrive-map", "version": 1, "destination": {key: secret}}), encoding="utf-8"
    )
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert f"/destination/{key}" in str(info.value)
    assert "keyring" in str(info.value)
    assert secret not in str(info.value)


def test_v0_settings_token_is_refused_too() -> None:
    with pytest.raises(ProjectFileError, match="/settings/apiToken"):
        project_from_dict({"version": 0, "settings": {"apiToken": "x"}, "subscriptions": []})


def test_token_named_property_in_a_sample_event_is_fine() -> None:
    doc = {
        "format": "pipedrive-map",
        "version": 1,
        "samples": [{"name": "s", "event": {"properties": {"token": "t"}}}],
    }
    assert project_from_dict(doc).samples[0].event == {"properties": {"token": "t"}}


def test_strip_secrets_removes_them_so_the_file_can_open() -> None:
    doc = {"format": "pipedrive-map", "version": 1, "destination": {"apiToken": "x", "person_field": "id"}}
    assert strip_secrets(doc) == ["/destination/apiToken"]
    assert project_from_dict(doc).destination.person_field == "id"


def test_missing_file_and_folder_give_project_errors(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="No project file"):
        load_project(tmp_path / "nope.json")
    with pytest.raises(ProjectFileError, match="folder"):
        load_project(tmp_path)


def test_binary_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "x.pipedrive-map.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectFileError, match="UTF-8"):
        load_project(path)


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.pipedrive-map.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(project_to_dict(_project())).encode())
    assert load_project(path) == _project()


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.pipedrive-map.json"
    path.write_text(
        '{"format": "pipedrive-map", "version": 1, "samples": [{"name": "a", "event": {"x": NaN}}]}'
    )
    with pytest.raises(ProjectFileError, match="not valid JSON"):
        load_project(path)


def test_save_replaces_atomically_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "p.pipedrive-map.json"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    save_project(_project(), path)
    assert (path.stat().st_mode & 0o777) == 0o640
    assert load_project(path) == _project()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.pipedrive-map.json"
    save_project(_project(), path)
    before = path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_mod.os, "replace", boom)
    changed = _project()
    changed.name = "changed"
    with pytest.raises(ProjectFileError, match="No space left on device"):
        save_project(changed, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_unsaveable_value_is_a_project_error(tmp_path: Path) -> None:
    p = _project()
    p.samples[0].event["x"] = float("nan")
    with pytest.raises(ProjectFileError, match="cannot store"):
        save_project(p, tmp_path / "x.pipedrive-map.json")
    assert not (tmp_path / "x.pipedrive-map.json").exists()


def test_save_into_missing_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="Could not save"):
        save_project(_project(), tmp_path / "missing" / "p.pipedrive-map.json")


def test_duplicate_mapping_ids_are_made_unique() -> None:
    m = {"id": "same", "action": "createUpdatePerson", "name": "a", "trigger": ""}
    p = project_from_dict({"format": "pipedrive-map", "version": 1, "mappings": [m, dict(m)]})
    assert len({x.id for x in p.mappings}) == 2


def test_bundled_demo_project_loads() -> None:
    demo = load_project(resource_path("demo", "demo.pipedrive-map.json"))
    assert sorted(m.action for m in demo.mappings) == sorted(ACTION_SLUGS)
    assert demo.destination.person_field == "52d19da55d7099e586a31be618830bcd5c239d54"
    assert demo.destination.organization_field == "d4dfe30411effdb15017a7c96e7721cb9adbfa72"
    assert demo.destination.deal_field == "36a55f412247e226b1ecb70efcaf0daeed656961"
    assert len(demo.samples) >= 6
