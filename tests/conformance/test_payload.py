"""Segment's Actions Pipedrive payload pipeline: every vendored conformance case, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.jsvalues import js_to_json
from pipedrive_gui.core.payload import build_payload

CASES_FILE = Path(__file__).parent / "data" / "pipedrive-payload.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _answer(case: dict[str, Any]) -> dict[str, Any]:
    result = build_payload(case["action"], case["mapping"], case.get("event", {}))
    if result.ok:
        return {"ok": True, "payload": result.payload}
    return {"ok": False, "error": result.error}


def test_all_cases_present() -> None:
    assert len(CASES) == 54
    assert {c["kind"] for c in CASES} == {"payload"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_payload_case(case: dict[str, Any]) -> None:
    got = _answer(case)
    # Serialised comparison: key order inside the payload matters (it is what perform() iterates).
    assert js_to_json(got) == js_to_json(case["expect"])


def test_failures_carry_field_problems() -> None:
    """Schema failures name the offending fields with their labels, as the preview lists them."""
    case = next(c for c in CASES if c["id"].endswith("several errors at once"))
    result = build_payload(case["action"], case["mapping"], case["event"])
    assert not result.ok and result.payload is None
    assert [(p.field, p.label) for p in result.problems] == [
        ("title", "Title"),
        ("stage_id", "Stage ID"),
        ("status", "Status"),
        ("visible_to", "Visible To"),
    ]
    assert " ".join(p.message for p in result.problems) == result.error
