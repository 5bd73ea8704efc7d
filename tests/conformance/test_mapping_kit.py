"""Every mapping-kit conformance case answered by Segment's own code (see data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.jsvalues import dumps_result, encode_error, encode_result
from pipedrive_gui.core.mapping_kit import MappingKitError, transform, validate_mapping

CASES_FILE = Path(__file__).parent / "data" / "mapping-kit.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Answer a case the way the oracle does."""
    try:
        if case["kind"] == "validate_mapping":
            validate_mapping(case["mapping"])
            return {"ok": True}
        if "event" in case:
            return encode_result(transform(case["mapping"], case["event"]))
        return encode_result(transform(case["mapping"]))
    except MappingKitError as exc:
        return encode_error(exc)


def test_all_cases_are_present() -> None:
    assert len(CASES) == 604
    assert {c["kind"] for c in CASES} == {"transform", "validate_mapping"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    got = run_case(case)
    expect = case["expect"]
    assert got["ok"] == expect["ok"], got
    if expect["ok"]:
        # Byte-for-byte: values, key order, number formatting.
        assert dumps_result(got) == dumps_result(encode_result_from_expect(expect))
    else:
        assert got["error"] == expect["error"]


def encode_result_from_expect(expect: dict[str, Any]) -> dict[str, Any]:
    """Normalise the recorded answer (parsed by Python) the same way ours is encoded."""
    if "output" in expect:
        return encode_result(expect["output"])
    return dict(expect)
