"""Every vendored conformance case through `pipedrive-gui eval` (one subprocess for all of them).

This checks the command end to end: the line protocol, the answer encoding (member order
included) and that the mapping kit, triggers and payload pipeline agree with Segment's packages.
Success answers must be identical (compared as JSON with member order); a failure must be a failure
(the README calls the error texts informative, so their wording is checked by the owners' tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent / "data"
FILES = ("mapping-kit.jsonl", "fql.jsonl", "pipedrive-payload.jsonl")


def _cases() -> list[dict[str, Any]]:
    cases = []
    for name in FILES:
        with (DATA / name).open(encoding="utf-8", newline="\n") as f:
            cases += [json.loads(line) for line in f if line.strip()]
    return cases


CASES = _cases()


def _ordered(text: str) -> Any:
    # Lists of pairs keep member order, so the comparison checks it; numbers compare by value.
    return json.loads(text, object_pairs_hook=list)


@pytest.fixture(scope="module")
def answers() -> dict[str, str]:
    stdin = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES)
    proc = subprocess.run(
        [sys.executable, "-m", "pipedrive_gui", "eval"],
        input=stdin.encode("utf-8"),
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    lines = proc.stdout.decode("utf-8").split("\n")
    assert lines[-1] == "", "output must end with a newline"
    lines = lines[:-1]
    assert len(lines) == len(CASES), "one answer line per input line"
    return {c["id"]: line for c, line in zip(CASES, lines, strict=True)}


def test_case_ids_are_unique() -> None:
    assert len({c["id"] for c in CASES}) == len(CASES) >= 1700


@pytest.mark.parametrize("case", CASES, ids=[c["id"][-90:] for c in CASES])
def test_case(case: dict[str, Any], answers: dict[str, str]) -> None:
    got = json.loads(answers[case["id"]])
    expect = case["expect"]
    if expect["ok"]:
        assert _ordered(answers[case["id"]]) == _ordered(json.dumps(expect)), f"expected {json.dumps(expect)}"
    else:
        assert got["ok"] is False, f"expected a failure ({expect['error']!r}), got {answers[case['id']]}"
        assert isinstance(got["error"], str) and got["error"]
