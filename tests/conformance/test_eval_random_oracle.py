"""`pipedrive-gui eval` agrees with Segment's own packages on new random cases, not just the stored ones.

The three generators (mapping kit, FQL, payload) come from the owners' oracle tests; here every case
goes through the real command line and through the oracle, and the answer lines must be equal
(JSON values compared with member order, error texts included).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests import oracle
from tests.core import test_mapping_kit_oracle as mk
from tests.core import test_payload_oracle as po
from tests.core import test_triggers_oracle as fq

pytestmark = oracle.needed


def _cases() -> list[dict[str, Any]]:
    # Fresh seeds, so these are not the cases the owners' tests already pin.
    cases = mk.random_cases(7_301, 250)
    cases += [{"kind": "validate_mapping", "mapping": c["mapping"]} for c in mk.random_cases(7_302, 50)]
    cases += fq._cases()[:250]
    cases += po._cases()[:150]
    return cases


def _run(cmd: list[str], cases: list[dict[str, Any]]) -> list[Any]:
    stdin = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases).encode("utf-8")
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    lines = proc.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(cases)
    return [json.loads(line, object_pairs_hook=list) for line in lines]


def test_eval_command_agrees_with_segment_on_random_cases() -> None:
    cases = _cases()
    kinds = {c["kind"] for c in cases}
    assert kinds == {"transform", "validate_mapping", "fql", "payload"}
    ours = _run([sys.executable, "-m", "pipedrive_gui", "eval"], cases)
    theirs = oracle.ask(cases, timeout=600, object_pairs_hook=list)
    differences = [(i, cases[i], o, t) for i, (o, t) in enumerate(zip(ours, theirs, strict=True)) if o != t]
    assert differences == [], f"{len(differences)} of {len(cases)} differ; first: {differences[:2]}"
