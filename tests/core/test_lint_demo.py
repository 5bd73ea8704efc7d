"""The linter on the bundled demo project with the sandbox's fields (as a connected user has them),
the field-catalog adapter, and the value check against the v2 encoder Send test uses."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from pipedrive_gui.core.lint import FieldFact, lint_project
from pipedrive_gui.core.lint.values import value_problem
from pipedrive_gui.core.project import load_project
from pipedrive_gui.pipedrive import encode
from pipedrive_gui.pipedrive.fields import ENTITIES, FieldCatalog, parse_fields
from pipedrive_gui.pipedrive.lint_fields import field_facts
from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox.catalog import load_catalog


def sandbox_catalog() -> FieldCatalog:
    seeded = load_catalog()
    return FieldCatalog(
        "sandbox",
        datetime.now(timezone.utc),
        {e: parse_fields(e, [f.to_v2() for f in seeded.fields(e)]) for e in ENTITIES},
    )


def test_adapter_keeps_types_options_and_searchability_and_leaves_out_failed_entities() -> None:
    catalog = sandbox_catalog()
    catalog.problems["activity"] = "needs admin rights"
    facts = field_facts(catalog)
    plan = facts.get("person", "6a0126a15894687c771822a02954494f350d2f5e")
    assert plan is not None and plan.field_type == "enum" and (102, "Pro") in plan.options
    assert not plan.searchable and plan.not_searchable_reason
    assert facts.get("person", "id") is not None and facts.knows("deal") and not facts.knows("activity")


# The demo's findings, reviewed (docs/lint.md explains each): the destination-level fact that
# Segment's destination uses out-of-support v1 endpoints, and the custom fields the demo maps the
# v2 way (option labels, a {value, currency} amount), which Send test encodes and Segment's v1
# calls would not. They are kept on purpose: the demo shows what Send test does, and the
# linter says where Segment would differ. No errors.
DEMO_FINDINGS = {
    ("", "segment-v1-out-of-support"),
    ("person", "segment-v1-custom-field:6a0126a15894687c771822a02954494f350d2f5e"),  # Plan: label
    ("person", "segment-v1-custom-field:1924676a305ba82f358ceb58630f9b5c4ef91f3e"),  # Lifetime value
    ("organization", "segment-v1-custom-field:ec881dc64d14d2f5e539e2f56f36625bb4a2be70"),  # Industry
    ("deal", "segment-v1-custom-field:eb439a21f8e73a2e467bf7a6336bad7aa3ee9e35"),  # Lead source
}


def test_the_demo_projects_findings_are_the_reviewed_ones() -> None:
    project = load_project(resource_path("demo", "demo.pipedrive-map.json"))
    report = lint_project(project, None, field_facts(sandbox_catalog()))
    got = {(f.mapping_id, f.rule + (f":{f.custom_field}" if f.custom_field else "")) for f in report.findings}
    assert got == DEMO_FINDINGS
    assert not report.has_errors and report.skipped == []
    # Without fields the field rules are skipped, and nothing else appears.
    offline = lint_project(project)
    assert [f.rule for f in offline.findings] == ["segment-v1-out-of-support"]
    assert {s.rule for s in offline.skipped} == {
        "match-field-unknown",
        "match-field-not-searchable",
        "custom-field-unknown",
        "custom-value-type",
        "segment-v1-custom-field",
    }


FIELDS = {
    "double": {"field_type": "double"},
    "enum": {"field_type": "enum", "options": [{"id": 1, "label": "Pro"}, {"id": 2, "label": "Free"}]},
    "set": {"field_type": "set", "options": [{"id": 1, "label": "Pro"}, {"id": 2, "label": "Free"}]},
    "date": {"field_type": "date"},
    "monetary": {"field_type": "monetary"},
    "int": {"field_type": "int"},
    "varchar": {"field_type": "varchar"},
}
VALUES: list[Any] = [
    "12",
    "12,5",
    "5,000.50",
    "abc",
    3,
    2.5,
    True,
    "Pro",
    "pro",
    "1",
    "Pro,Free",
    ["Free", 1],
    "Gold",
    "2026-11-30",
    "2026-11-30T09:00:00Z",
    "30.11.2026",
    {"value": 5, "currency": "EUR"},
    "500 EUR",
    {"a": 1},
    [1, 2],
]


@pytest.mark.parametrize("ftype", list(FIELDS))
def test_value_check_agrees_with_send_tests_encoder(ftype: str) -> None:
    spec = FIELDS[ftype]
    options = tuple((o["id"], o["label"]) for o in spec.get("options", []))
    fact = FieldFact("person", "k", "Field", ftype, options, is_custom=True)
    field = {
        "key": "k",
        "label": "Field",
        "field_type": ftype,
        "options": spec.get("options", []),
        "is_custom": True,
    }
    for value in VALUES:
        try:
            encode.custom_value(field, value, default_currency="EUR")
            encodes = True
        except encode.EncodeError:
            encodes = False
        assert (value_problem(fact, value) is None) == encodes, (ftype, value)
