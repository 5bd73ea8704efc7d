"""The receiver's outcomes and modes have one home, ``receiver/outcomes.py``: nowhere else in the
package spells one of their values as a string (not in Python, not quoted inside SQL), and the
enums still store and print exactly the values the journal and its JSON always had."""

from __future__ import annotations

import ast
import io
import json
import re
import sqlite3
import tokenize
from collections.abc import Iterator
from pathlib import Path

from pipedrive_gui.pipedrive.engine import MODES as ENGINE_MODES
from pipedrive_gui.receiver.outcomes import (
    OPEN_OUTCOMES,
    OUTCOMES,
    DeliveryOutcome,
    Outcome,
    ReceiverMode,
    counts_line,
    delivery_text,
    outcome_text,
)

PACKAGE = Path(__file__).resolve().parents[2] / "pipedrive_gui"
HOME = PACKAGE / "receiver" / "outcomes.py"

#: The same words meaning something else. (path, value): why it is not a journal outcome.
HOMONYMS = {
    ("pipedrive/engine.py", "planned"): "the upsert engine's own plan-mode outcome",
    ("pipedrive/planner.py", "planned"): "the planner's outcome",
    ("pipedrive/planner.py", "skipped"): "a lookup the planner could not make",
    ("pipedrive/test_records.py", "failed"): "a test record's deletion status",
    ("core/impact.py", "failed"): "a word in an impact sentence",
    ("gui/preview_panel.py", "planned"): "the engine's outcome, shown by the preview",
    ("commands/send_cmds.py", "planned"): "the engine's outcome, marked by `send`",
}

#: Modules of the receiver and the parts of the GUI and CLI that show it: here the delivery
#: outcomes and the modes must come from the home too (elsewhere "create", "send", ... are the
#: engine's and the command line's words).
RECEIVER_SIDE = (
    [*sorted((PACKAGE / "receiver").glob("*.py"))]
    + sorted((PACKAGE / "gui").glob("receiver_*.py"))
    + [PACKAGE / "gui" / "event_detail.py", PACKAGE / "commands" / "receiver_cmds.py"]
)


def _strings(path: Path) -> Iterator[tuple[int, str]]:
    """Every string literal of a module with its line (f-strings by their source text)."""
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):
            value = tok.string  # an f-string: look at its text
        if isinstance(value, str):
            yield tok.start[0], value


def _spelled(path: Path, values: set[str]) -> Iterator[tuple[int, str]]:
    """Where ``path`` spells one of ``values``: a whole literal, or quoted inside one (SQL)."""
    for line, text in _strings(path):
        if text in values:
            yield line, text
        for quoted in re.findall(r"'([a-z_]+)'", text):
            if quoted in values:
                yield line, quoted


def test_no_outcome_is_spelled_outside_its_home() -> None:
    values = {o.value for o in Outcome}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path == HOME or rel.startswith("sandbox/"):  # the sandbox is Pipedrive's, not the receiver's
            continue
        found += [
            f"{rel}:{line}: {value!r}"
            for line, value in _spelled(path, values)
            if (rel, value) not in HOMONYMS
        ]
    assert not found, "use receiver.outcomes.Outcome instead:\n" + "\n".join(found)


def test_no_delivery_outcome_or_mode_is_spelled_on_the_receiver_side() -> None:
    values = {o.value for o in (*Outcome, *DeliveryOutcome, *ReceiverMode)}
    found = []
    for path in RECEIVER_SIDE:
        if path == HOME:
            continue
        found += [f"{path.relative_to(PACKAGE)}:{line}: {value!r}" for line, value in _spelled(path, values)]
    assert not found, "use receiver.outcomes instead:\n" + "\n".join(found)


def test_the_homonym_list_has_no_stale_entries() -> None:
    for rel, value in HOMONYMS:
        assert any(v == value for _line, v in _spelled(PACKAGE / rel, {value})), (rel, value)


def test_stored_and_printed_values_are_the_plain_words() -> None:
    assert [o.value for o in OUTCOMES] == [
        "pending",
        "retrying",
        "dropped",
        "skipped",
        "planned",
        "delivered",
        "failed",
    ]
    assert OPEN_OUTCOMES == ("pending", "retrying")
    assert (ReceiverMode.DRY_RUN, ReceiverMode.LIVE) == ("dry_run", "send")
    assert {m.value for m in ReceiverMode} <= set(ENGINE_MODES)
    for member in (*Outcome, *DeliveryOutcome, *ReceiverMode):
        assert str(member) == f"{member}" == member.value
        assert json.dumps({member: member}) == json.dumps({member.value: member.value})
        assert hash(member) == hash(member.value) and {member.value: 1}[member] == 1
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT ?, typeof(?)", (Outcome.FAILED, Outcome.FAILED)).fetchone() == (
        "failed",
        "text",
    )


def test_words_for_outcomes() -> None:
    assert outcome_text("planned") == "Planned (dry run)" and outcome_text("someday") == "Someday"
    assert delivery_text("invalid") == "payload not valid" and delivery_text("needs_review") == "needs_review"
    assert delivery_text("unheard_of") == "unheard_of"
    assert counts_line({}) == "0 events"
    assert (
        counts_line({"pending": 2, "retrying": 1, "delivered": 1200, "dropped": 3, "failed": 0})
        == "1,206 events · 3 waiting · 1,200 delivered · 3 flagged"
    )
