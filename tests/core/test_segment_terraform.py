"""The Terraform export works on its own: Terraform finds Segment's provider, every variable it reads
is declared, the resources use the provider's attribute names, ``terraform fmt`` leaves it alone, and
``jsonencode`` gives back exactly the mapping's settings.

The HCL parser (python-hcl2, in the test extras) runs everywhere; the checks that run the
``terraform`` CLI skip where it is not installed. ``terraform validate`` is out of reach offline (it
needs ``terraform init`` to download segmentio/segment), so the parser checks stand in for it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.project import DestinationDefaults, Mapping, Project, load_project
from pipedrive_gui.core.segment_io import export_terraform
from pipedrive_gui.resources import resource_path

try:
    import hcl2
except ImportError:  # an environment installed before python-hcl2 joined the test extras
    hcl2 = None
needs_hcl2 = pytest.mark.skipif(
    hcl2 is None, reason="python-hcl2 is in the test extras: pip install -e '.[test]'"
)

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="the terraform CLI is not installed")

# terraform-provider-segment 1.6.0, docs/resources/*.md: (required, optional) configurable attributes.
PROVIDER_SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "segment_destination_subscription": (
        {"action_id", "destination_id", "enabled", "name", "settings", "trigger"},
        {"model_id", "reverse_etl_schedule"},
    ),
    "segment_destination": ({"enabled", "metadata", "settings", "source_id"}, {"name"}),
}


def _demo() -> Project:
    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def _tricky() -> Project:
    """Values that need escaping or special layout in HCL."""
    settings: dict[str, Any] = {
        "match_field": "email",
        "name": {"@template": '${not terraform} %{nor this} {{traits.name}} \\ "q"\nline\ttab\u0001 é 😀'},
        "email": [{"@path": "$.traits.email"}, "fixed@example.com", [], {}],
        "phone": [],
        "custom_fields": {
            'a"b': None,
            "${x}": 1e21,
            "n": -0.5,
            "big": 2**60,
            "t": True,
            "": "",
            "nested": [{"k": [1, [2, {"z": None}]]}],
        },
        "visible_to": "3",
        "add_time": {
            "@if": {"exists": {"@path": "$.timestamp"}, "then": {"@path": "$.timestamp"}, "else": None}
        },
    }
    return Project(
        name='Tricky "${project}"',
        destination=DestinationDefaults(person_field="email", domain="acme"),
        mappings=[
            Mapping(
                id="m1",
                name="Person",
                action="createUpdatePerson",
                trigger='type = "identify"',
                settings=settings,
            ),
            Mapping(
                id="m2", name="Person", action="createUpdateNote", trigger="", enabled=False, settings={}
            ),
            Mapping(
                id="m3",
                name="1st ñ",
                action="createUpdateDeal",
                trigger='event = "a\\"b"',
                settings={"title": "t"},
            ),
        ],
    )


EXPORTS = {
    "demo": lambda: export_terraform(_demo()),
    "demo-managed-destination": lambda: export_terraform(_demo(), manage_destination=True),
    "demo-literal-id": lambda: export_terraform(_demo(), "abc123XYZ"),
    "tricky": lambda: export_terraform(_tricky(), "var.pipedrive"),
    "tricky-managed-destination": lambda: export_terraform(_tricky(), manage_destination=True),
}


def _strip(value: Any) -> Any:
    return (
        value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value
    )


def _blocks(doc: dict[str, Any], kind: str) -> list[tuple[list[str], dict[str, Any]]]:
    """Blocks of one kind as (labels, body), whatever nesting python-hcl2 uses for labels."""
    found: list[tuple[list[str], dict[str, Any]]] = []

    def walk(node: Any, labels: list[str]) -> None:
        if isinstance(node, dict) and node.get("__is_block__"):
            found.append((labels, node))
            return
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*labels, _strip(key)])
        elif isinstance(node, list):
            for item in node:
                walk(item, labels)

    walk(doc.get(kind, []), [])
    return found


@needs_hcl2
@pytest.mark.parametrize("name", EXPORTS)
def test_parses_as_hcl_and_stands_on_its_own(name: str) -> None:
    text = EXPORTS[name]()
    doc = hcl2.loads(text)

    [(_, terraform)] = _blocks(doc, "terraform")
    [(_, required)] = _blocks(terraform, "required_providers")
    segment = required["segment"]
    if isinstance(segment, list):  # older python-hcl2 releases
        [segment] = segment
    assert _strip(segment["source"]) == "segmentio/segment"
    assert _strip(segment["version"]).startswith("~> 1.")
    assert [labels for labels, _ in _blocks(doc, "provider")] == [["segment"]]

    declared = {labels[0] for labels, _ in _blocks(doc, "variable")}
    used = set(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used <= declared, f"undeclared variables: {used - declared}"
    assert declared <= used, f"declared but unused: {declared - used}"

    resources = _blocks(doc, "resource")
    assert resources
    for labels, body in resources:
        kind = labels[0]
        required_attrs, optional_attrs = PROVIDER_SCHEMA[kind]
        attrs = {k for k in body if not k.startswith("__")}
        assert required_attrs <= attrs, (labels, required_attrs - attrs)
        assert attrs <= required_attrs | optional_attrs, (labels, attrs - required_attrs - optional_attrs)
        assert str(body["settings"]).startswith("${jsonencode(")  # the provider takes a JSON string
        if kind == "segment_destination_subscription":
            ref = str(body["destination_id"])
            if name.endswith("managed-destination"):
                assert ref == "${segment_destination.pipedrive.id}"
                assert ("segment_destination", "pipedrive") in {(k, n) for (k, n), _ in resources}
            elif name.endswith("literal-id"):
                assert _strip(ref) == "abc123XYZ"
    subscriptions = [labels[1] for labels, _ in resources if labels[0] == "segment_destination_subscription"]
    assert len(subscriptions) == len(set(subscriptions))


def test_default_destination_is_a_declared_variable() -> None:
    text = export_terraform(_demo())
    assert "destination_id = var.pipedrive_destination_id" in text
    assert 'variable "pipedrive_destination_id" {' in text


def test_managed_destination_carries_settings_but_never_the_token() -> None:
    text = export_terraform(_tricky(), manage_destination=True)
    assert '"apiToken"          = var.pipedrive_api_token' in text
    assert '"domain"            = "acme"' in text
    assert '"personField"       = "email"' in text
    assert re.search(r'variable "pipedrive_api_token" \{[^}]*sensitive\s+= true', text)
    # An unknown domain (required by Segment) becomes a variable rather than an empty text.
    demo = export_terraform(_demo(), manage_destination=True)
    assert '"domain"            = var.pipedrive_domain' in demo and 'variable "pipedrive_domain"' in demo


@needs_terraform
@pytest.mark.parametrize("name", EXPORTS)
def test_terraform_fmt_leaves_it_unchanged(name: str, tmp_path: Path) -> None:
    assert TERRAFORM is not None
    (tmp_path / "main.tf").write_text(EXPORTS[name](), encoding="utf-8")
    result = subprocess.run(
        [TERRAFORM, "fmt", "-check", "-diff", "-no-color", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _settings_expressions(text: str) -> list[str]:
    """The ``jsonencode(...)`` expression of every subscription's ``settings``, in order."""
    lines = text.splitlines()
    out: list[str] = []
    inside = False
    for i, line in enumerate(lines):
        if line.startswith('resource "segment_destination_subscription"'):
            inside = True
        match = re.match(r"  settings +(= )(jsonencode\(.*)", line)
        if inside and match:
            if line.endswith(")"):  # jsonencode({}) fits on the line (and is aligned with the others)
                out.append(match.group(2))
            else:
                end = lines.index("  })", i)
                out.append("\n".join([match.group(2), *lines[i + 1 : end + 1]]))
            inside = False
    return out


@needs_terraform
@pytest.mark.parametrize("which", ["demo", "tricky"])
def test_jsonencode_gives_back_the_mapping_settings(which: str, tmp_path: Path) -> None:
    """Terraform itself evaluates each exported ``settings`` (no provider needed for locals)."""
    assert TERRAFORM is not None
    project = _demo() if which == "demo" else _tricky()
    exprs = _settings_expressions(export_terraform(project))
    assert len(exprs) == len(project.mappings)
    config = "".join(f'output "s{i}" {{\n  value = {expr}\n}}\n' for i, expr in enumerate(exprs))
    (tmp_path / "main.tf").write_text(config, encoding="utf-8")

    def tf(*args: str) -> str:
        assert TERRAFORM is not None
        result = subprocess.run(
            [TERRAFORM, *args, "-no-color"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                "TF_IN_AUTOMATION": "1",
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
                "CHECKPOINT_DISABLE": "1",
            },
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    tf("init", "-input=false", "-backend=false")
    tf("plan", "-input=false", "-out=plan.bin")
    outputs = json.loads(tf("show", "-json", "plan.bin"))["planned_values"]["outputs"]
    for i, mapping in enumerate(project.mappings):
        assert json.loads(outputs[f"s{i}"]["value"]) == mapping.settings, mapping.name
