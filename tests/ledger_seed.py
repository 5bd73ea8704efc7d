"""Until the engine records its creates in the ledger (the engine branch), tests of Test records
write the rows the engine will write, from the results of a real ``send`` / engine run.

After that branch is merged, ``record_like_engine`` finds every create already recorded and writes
nothing (it returns 0): then the calls can go, and the tests check the engine's own rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipedrive_gui.pipedrive.ledger import Ledger


def record_like_engine(ledger: Ledger, account: str, results: Iterable[Mapping[str, Any]], *, source: str,
                       test: bool = True) -> int:
    """A ledger row (test record) for every ``create`` result the ledger does not have yet; returns
    how many were written. ``results`` are ``UpsertResult.to_dict()``s, with ``mapping`` (its name)."""
    known = {(e.entity, e.record_id) for e in ledger.entries(account=account, include_gone=True)}
    written = 0
    for r in results:
        if r.get("outcome") != "create" or r.get("record_id") is None:
            continue
        if (r["entity"], str(r["record_id"])) in known:
            continue
        ledger.record(account, r["entity"], r["record_id"], r.get("record_name"), mapping=r.get("mapping"),
                      source=source, test=test)
        written += 1
    return written
