"""The headless core commands: samples, export, import, eval, preview."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipedrive_gui.cli import main
from pipedrive_gui.core.project import load_project
from pipedrive_gui.resources import resource_path

DEMO = str(resource_path("demo", "demo.pipedrive-map.json"))


def _positionals_after_command_work() -> bool:
    """cli.py's hidden top-level ``project`` positional can swallow the command name when the
    command's own positionals come first (``export PROJECT``); options first always work."""
    from pipedrive_gui.cli import build_parser

    parser, _ = build_parser()
    try:
        parser.parse_args(["export", "x.pipedrive-map.json"])
    except SystemExit:
        return False
    return True


def _natural_order() -> None:
    if not _positionals_after_command_work():
        pytest.xfail("pipedrive_gui/cli.py (lead) parses `COMMAND POSITIONAL` wrongly; see report")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_samples_lists_bundled_events(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "samples")
    assert code == 0
    assert "identify-person" in out and "Track: Deal Upserted" in out


def test_samples_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "samples", "--json")
    rows = json.loads(out)
    assert code == 0
    assert {r["type"] for r in rows} >= {"identify", "group", "track", "page"}


def test_export_segment_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "export", "--format", "segment", DEMO)
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"destination", "subscriptions", "x-pipedrive-mapper"}
    subs = document["subscriptions"]
    assert len(subs) == 6
    assert set(subs[0]) == {"name", "actionId", "trigger", "enabled", "settings"}


def test_export_terraform_and_checklist_to_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tf = tmp_path / "subs.tf"
    code, _, err = _run(capsys, "export", "--format", "terraform", "-o", str(tf), DEMO)
    assert code == 0 and "wrote" in err
    assert tf.read_text(encoding="utf-8").count('resource "segment_destination_subscription"') == 6
    txt = tmp_path / "steps.txt"
    assert _run(capsys, "export", "--format", "checklist", "-o", str(txt), DEMO)[0] == 0
    assert "Mapping 6:" in txt.read_text(encoding="utf-8")


def test_import_round_trip_and_overwrite_protection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "subs.json"
    _run(capsys, "export", "--format", "segment", "-o", str(exported), DEMO)
    api_response = tmp_path / "response.json"
    api_response.write_text(
        json.dumps({"data": {"subscriptions": json.loads(exported.read_text())["subscriptions"]}})
    )
    project = tmp_path / "imported.pipedrive-map.json"

    code, _, err = _run(capsys, "import", "-o", str(project), str(api_response))
    assert code == 0 and "imported 6 mapping(s)" in err
    assert [m.name for m in load_project(project).mappings] == [m.name for m in load_project(DEMO).mappings]
    assert load_project(project).name == "imported"

    before = project.read_bytes()
    code, _, err = _run(capsys, "import", "-o", str(project), str(exported))
    assert code == 2 and "already exists" in err and "--force" in err
    assert project.read_bytes() == before
    assert _run(capsys, "import", "--force", "--name", "Again", "-o", str(project), str(exported))[0] == 0
    assert load_project(project).name == "Again"


def _without_mapping_ids(path: Path) -> dict[str, object]:
    from pipedrive_gui.core.project import project_to_dict

    doc = project_to_dict(load_project(path))
    for m in doc["mappings"]:  # type: ignore[attr-defined]
        del m["id"]  # a subscription's id is Segment's; an export has none, so import makes new ones
    return doc


def test_export_import_round_trip_keeps_every_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipedrive_gui.core.project import save_project

    project = load_project(DEMO)
    project.destination.domain = "acme-robotics"
    source = tmp_path / "source.pipedrive-map.json"
    save_project(project, source)
    exported = tmp_path / "export.segment.json"
    assert _run(capsys, "export", "--format", "segment", "-o", str(exported), str(source))[0] == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    # The destination part is the body of the Public API's update-destination call (no token).
    assert document["destination"] == {
        "settings": {
            "domain": "acme-robotics",
            "personField": project.destination.person_field,
            "organizationField": project.destination.organization_field,
            "dealField": project.destination.deal_field,
        }
    }
    back = tmp_path / "back.pipedrive-map.json"
    code, _, err = _run(capsys, "import", "-o", str(back), str(exported))
    assert code == 0
    assert (
        f"imported 6 mapping(s), the destination settings and {len(project.samples)} sample event(s)" in err
    )
    assert _without_mapping_ids(back) == _without_mapping_ids(source)
    assert load_project(back).destination.person_field != "id"  # the match-field defaults came back


@pytest.mark.parametrize("shape", ["list", "subscription", "list-response"])
def test_import_of_segments_own_shapes_still_works(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipedrive_gui.core.segment_io import export_segment

    subs = export_segment(load_project(DEMO))
    data = {
        "list": subs,
        "subscription": subs[0],
        "list-response": {"data": {"subscriptions": subs, "pagination": {"current": "MA=="}}},
    }[shape]
    src = tmp_path / "in.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "p.pipedrive-map.json"
    code, _, err = _run(capsys, "import", "-o", str(out), str(src))
    assert code == 0 and "destination settings" not in err
    imported = load_project(out)
    assert [m.settings for m in imported.mappings] == [
        s["settings"] for s in (subs if shape != "subscription" else subs[:1])
    ]
    assert imported.name == "p" and imported.samples == [] and imported.destination.person_field == "id"


def _demo_export_with(tmp_path: Path, capsys: pytest.CaptureFixture[str], **settings: str) -> Path:
    """The demo's Segment export, with ``settings`` added to its destination settings."""
    exported = tmp_path / "export.json"
    _run(capsys, "export", "--format", "segment", "-o", str(exported), DEMO)
    document = json.loads(exported.read_text(encoding="utf-8"))
    document["destination"]["settings"].update(settings)
    exported.write_text(json.dumps(document), encoding="utf-8")
    return exported


def test_import_never_keeps_a_token_and_merge_keeps_the_projects_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = _demo_export_with(tmp_path, capsys, apiToken="secret-token-123", personField="email")
    out = tmp_path / "p.pipedrive-map.json"
    code, _, err = _run(capsys, "import", "-o", str(out), str(exported))
    assert code == 0 and "apiToken" in err and "keyring" in err
    assert "secret-token-123" not in out.read_text(encoding="utf-8")
    assert load_project(out).destination.person_field == "email"
    # Merging into an existing project keeps that project's settings, and says so.
    project_path = tmp_path / "demo.pipedrive-map.json"
    project_path.write_bytes(Path(DEMO).read_bytes())
    code, _, err = _run(capsys, "import", "--merge", "update", "-o", str(project_path), str(exported))
    assert code == 0 and "differ" in err
    assert load_project(project_path).destination == load_project(DEMO).destination


def test_import_of_unknown_settings_without_a_token_mentions_no_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = _demo_export_with(tmp_path, capsys, region="eu")
    code, _, err = _run(capsys, "import", "-o", str(tmp_path / "p.pipedrive-map.json"), str(exported))
    assert code == 0 and "not imported from the destination settings: region" in err
    assert "token" not in err.lower()


def test_import_unknown_action_id_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "other.json"
    src.write_text(json.dumps([{"name": "x", "actionId": "notPipedrive42", "trigger": "", "settings": {}}]))
    code, out, err = _run(capsys, "import", "-o", str(tmp_path / "p.pipedrive-map.json"), str(src))
    assert code == 1
    assert '"notPipedrive42"' in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "p.pipedrive-map.json").exists()


def test_import_bad_json_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.json"
    src.write_text('[\n  {"name": }\n]')
    code, _, err = _run(capsys, "import", "-o", str(tmp_path / "p.json"), str(src))
    assert code == 1 and "line 2, column 12" in err


def test_damaged_project_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.pipedrive-map.json"
    bad.write_text('{"format": "pipedrive-map", "version": 99}')
    code, out, err = _run(capsys, "export", "--format", "segment", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("pipedrive-gui: ") and "newer Pipedrive Mapper" in err
    assert "Traceback" not in err


def test_eval_answers_every_line_even_bad_ones(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    lines = ["not json", '{"kind": "nope"}', "[1]", "", '{"kind": "fql", "fql": 5}']
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, _ = _run(capsys, "eval")
    answers = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    assert len(answers) == len(lines)
    assert all(a["ok"] is False for a in answers)
    assert "invalid JSON" in answers[0]["error"]
    assert 'unknown kind "nope"' in answers[1]["error"]
    assert answers[4]["error"] == "fql must be a string"


def test_eval_subprocess_streams_answers() -> None:
    mk = pytest.importorskip("pipedrive_gui.core.mapping_kit")
    if not hasattr(mk, "transform"):
        pytest.skip("mapping kit not available yet")
    cases = [
        {
            "kind": "transform",
            "mapping": {"a": {"@path": "$.x"}, "b": {"@path": "$.missing"}},
            "event": {"x": "é\u2028"},
        },
        {"kind": "transform", "mapping": {"@path": "$.missing"}, "event": {}},
        {"kind": "validate_mapping", "mapping": {"@path": 5}},
    ]
    stdin = "\n".join(json.dumps(c) for c in cases) + "\nbroken\n"
    proc = subprocess.run(
        [sys.executable, "-m", "pipedrive_gui", "eval"], input=stdin.encode(), capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert lines[0] == '{"ok":true,"output":{"a":"é\\u2028"}}'
    assert lines[1] == '{"ok":true,"undefined":true}'
    assert json.loads(lines[2])["ok"] is False
    assert json.loads(lines[3])["ok"] is False
    assert len(lines) == 5


def _needs_preview_stack() -> None:
    for name in ("pipedrive_gui.core.triggers", "pipedrive_gui.core.payload"):
        pytest.importorskip(name)
    from pipedrive_gui.core import triggers

    if not hasattr(triggers, "parse_fql"):
        pytest.skip("triggers not available yet")


def test_preview_with_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    _needs_preview_stack()
    code, out, _ = _run(capsys, "preview", "--json", DEMO, "track-deal-upserted")
    assert code == 0
    results = {r["action"]: r for r in json.loads(out)}
    deal = results["createUpdateDeal"]
    assert deal["fires"] is True and deal["ok"] is True
    assert deal["payload"]["deal_match_value"] == "D-2025-0042"
    person = results["createUpdatePerson"]
    assert person["fires"] is False and person["reasons"]


def test_preview_text_from_file_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_preview_stack()
    import io

    event = {"type": "identify", "userId": "u-9", "traits": {"name": "Ann", "email": "ann@example.com"}}
    path = tmp_path / "e.json"
    path.write_text(json.dumps(event))
    _natural_order()
    code, out, _ = _run(capsys, "preview", DEMO, str(path))
    assert code == 0
    assert "People from Identify (matched by Segment user ID) [createUpdatePerson]: FIRES" in out
    assert '"match_value": "u-9"' in out
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(event)))
    code, out2, _ = _run(capsys, "preview", DEMO, "-")
    assert code == 0 and out2 == out


def test_preview_shows_field_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs_preview_stack()
    event = {"type": "track", "event": "Deal Upserted", "userId": "u1", "properties": {"deal_id": "D1"}}
    path = tmp_path / "e.json"
    path.write_text(json.dumps(event))
    _natural_order()
    code, out, _ = _run(capsys, "preview", DEMO, str(path))
    assert code == 0
    assert "payload problems:" in out and "Title" in out


def test_preview_unknown_event_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "preview", "--json", DEMO, "no-such-sample")
    assert code == 1
    assert "neither an event file nor a bundled sample" in err and "identify-person" in err


def test_project_and_event_can_follow_the_subcommand_directly(capsys: pytest.CaptureFixture[str]) -> None:
    # `pipedrive-gui export PROJECT ...` as documented (positionals right after the command name).
    _natural_order()
    code, out, err = _run(capsys, "export", DEMO, "--format", "segment")
    assert code == 0, err
    assert len(json.loads(out)["subscriptions"]) == 6


def test_preview_text_output_via_handler(capsys: pytest.CaptureFixture[str]) -> None:
    # Text mode without going through argv order (see _natural_order above).
    _needs_preview_stack()
    import argparse

    from pipedrive_gui.commands.core_cmds import cmd_preview

    assert cmd_preview(argparse.Namespace(project=DEMO, event="track-lead-created", json=False)) == 0
    out = capsys.readouterr().out
    assert "Leads from “Lead Created” events [createUpdateLead]: FIRES" in out
    assert '- event is "Lead Created", not "Deal Upserted"' in out
    assert '"amount": 5000' in out
    assert out.rstrip().endswith("1 of 6 mapping(s) would send this event to Pipedrive.")
