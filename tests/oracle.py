"""The optional Segment oracle, for the tests that ask Segment's own packages for the right answer.

The oracle (CONTRIBUTING.md, "The Segment oracle (optional)"; docs/segment.md#the-oracle) is a team
tool kept beside the checkout: ``../shared/tools/segment-oracle/run.sh`` reads questions as JSON
Lines on stdin and writes one answer per line; on first use it installs its pinned npm packages into
``~/.cache/segment-oracle/<stamp>/``. ``SEGMENT_ORACLE`` may name the ``run.sh`` of another copy
(for a git worktree, whose parent folder has none). Without the oracle, or without Node.js, the tests
that need it skip and say why; nothing else in the suite needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The oracle's entry point.
RUN_SH = Path(
    os.environ.get("SEGMENT_ORACLE") or REPO.parent / "shared" / "tools" / "segment-oracle" / "run.sh"
)
#: Where run.sh installs its npm packages (one folder per version of the oracle), as run.sh computes it.
PACKAGES = Path(
    os.environ.get("SEGMENT_ORACLE_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "segment-oracle"
)


def missing() -> str | None:
    """Why the oracle cannot answer on this computer, or None when it can."""
    if shutil.which("node") is None or shutil.which("bash") is None:
        return "Node.js (and bash) are needed to run the Segment oracle"
    if not RUN_SH.exists():
        return f"the Segment oracle (optional, see CONTRIBUTING.md) is not at {RUN_SH}"
    if shutil.which("npm") is None and not any(PACKAGES.glob("*/.ready")):
        return "npm is needed to install the Segment oracle's packages on first use"
    return None


#: Marks a test (or, as ``pytestmark``, a module) that needs the oracle.
needed = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def ask(
    cases: Sequence[Any],
    *,
    timeout: float = 300,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> list[Any]:
    """The oracle's answer to each case, in order. Skips the test when the oracle is missing, does not
    run or does not answer in time; fails when it answers a different number of lines."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    stdin = "".join(json.dumps(case) + "\n" for case in cases).encode("utf-8")
    try:
        proc = subprocess.run(
            ["bash", str(RUN_SH)], input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"the Segment oracle did not answer within {timeout:g} s")
    if proc.returncode != 0:
        pytest.skip(
            f"the Segment oracle could not run: {proc.stderr.decode(errors='replace').strip()[-500:]}"
        )
    answers = [
        json.loads(line, object_pairs_hook=object_pairs_hook)
        for line in proc.stdout.decode("utf-8").splitlines()
    ]
    assert len(answers) == len(cases), f"the oracle answered {len(answers)} lines to {len(cases)} cases"
    return answers


def package_home(package: str) -> Path:
    """The newest install of the oracle's npm packages that has ``package`` (e.g.
    ``@segment/action-destinations``), to run ``node`` in; skips the test when there is none."""
    homes = sorted(p.parents[len(Path(package).parts)] for p in PACKAGES.glob(f"*/node_modules/{package}"))
    if shutil.which("node") is None or not homes:
        pytest.skip(
            f"Node.js and the Segment oracle's packages ({package}) are needed; run the oracle once "
            "(see CONTRIBUTING.md) to install them"
        )
    return homes[-1]
