"""Every FQL conformance case (answers from Segment's own packages) gives the same result here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui.core.triggers import FqlError, FqlSyntaxError, fql_matches

CASES_FILE = Path(__file__).parent / "data" / "fql.jsonl"


def _load() -> list[dict[str, Any]]:
    with CASES_FILE.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


CASES = _load()


def _answer(case: dict[str, Any]) -> dict[str, Any]:
    """Our answer in the conformance encoding ({"ok", "match"} or {"ok": false, "error"})."""
    args = (case["fql"], case["event"]) if "event" in case else (case["fql"],)
    try:
        return {"ok": True, "match": fql_matches(*args)}
    except FqlError as error:
        return {"ok": False, "error": error.segment_error}


def test_all_cases_are_present() -> None:
    assert len(CASES) == 1045


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{c['id'][-60:]}" for i, c in enumerate(CASES)])
def test_case(case: dict[str, Any]) -> None:
    got = _answer(case)
    expect = case["expect"]
    assert got["ok"] == expect["ok"], f"{case['fql']!r}: expected {expect}, got {got}"
    if expect["ok"]:
        assert got["match"] == expect["match"]
    else:
        # Segment's wording is informative only; ours must at least be the same failure.
        assert got["error"] == expect["error"]


def test_failures_carry_a_user_message_and_position() -> None:
    failures = [c for c in CASES if not c["expect"]["ok"]]
    assert failures
    for case in failures:
        try:
            fql_matches(case["fql"], case.get("event"))
        except FqlSyntaxError as error:
            assert error.message and "Cannot read properties" not in error.message
            assert error.position is None or 0 <= error.position <= len(case["fql"])
        except FqlError as error:
            assert error.message and "Cannot read properties" not in error.message
