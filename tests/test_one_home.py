"""Each domain fact has one home: a search for a table's literals finds one module (issue 15).

A table copied into a second module drifts (the action → record table once lived in four modules,
the event types in three orders). These searches fail when a copy comes back; read the home instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipedrive_gui"
_ENTITY = r'"(?:person|organization|deal|activity|lead|note)"'

#: table → (its one home, the literal patterns that spell it out).
TABLES: dict[str, tuple[str, list[str]]] = {
    "what record each action writes (ActionDef.entity)": (
        "core/actions.py",
        [
            r'slug="createUpdate\w+",[^()]*?entity=' + _ENTITY,  # the catalog's ActionDef
            r'"createUpdate\w+"\s*:\s*(?:\w+\(\s*)?' + _ENTITY,  # {"createUpdatePerson": "person"} or a spec
            r'"createUpdatePerson",\s*"createUpdateOrganization",',  # a list of the six slugs
        ],
    ),
    "the kinds of record (ENTITIES)": (
        "core/actions.py",
        [
            r'\(\s*"person",\s*"organization",\s*"deal",\s*"activity",\s*"lead",\s*"note",?\s*\)',
        ],
    ),
    "how records are counted (ENTITY_PLURAL)": ("core/actions.py", [r'"person"\s*:\s*"people"']),
    "whose fields a dynamic field lists": (
        "core/actions.py",
        [
            r'"person_fields"',
            r'DYNAMIC_PERSON_FIELDS\s*:\s*"person"',
        ],
    ),
    "Segment's event types (EVENT_TYPES)": (
        "core/events.py",
        [
            r'[(\[]\s*"(?:identify|track)",\s*"(?:identify|track)",\s*"page",',
        ],
    ),
    "where each record is written (ENTITY_PATHS)": (
        "pipedrive/planner.py",
        [r'"person"\s*:\s*"/api/v2/persons"'],
    ),
    "the run modes (PLAN, DRY_RUN, SEND)": (
        "core/modes.py",
        [
            r'"plan",\s*"dry_run"',
            r'"dry_run",\s*"send"',
            r'\b(?:LIVE|SEND)\b[^=\n]*=\s*"send"',
        ],
    ),
    "when a word takes “an” (with_article)": (
        "core/wording.py",
        [
            r'\bin\s*[(\[]\s*"a",\s*"e",\s*"i",\s*"o",\s*"u"',  # noun[:1] in ("a", "e", "i", "o", "u")
            r'\bin\s*"aeiou',  # noun[:1] in "aeiou"
            r'"an"\s+if\b|"an "\s+if\b|f"an \{\w+\}"\s+if\b',  # "an" if … else "a"
        ],
    ),
}


def modules_spelling(patterns: list[str], root: Path = PACKAGE) -> set[str]:
    compiled = [re.compile(p, re.S) for p in patterns]
    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if any(p.search(text) for p in compiled):
            found.add(path.relative_to(root).as_posix())
    return found


@pytest.mark.parametrize("table", TABLES)
def test_each_table_is_spelled_out_in_one_module(table: str) -> None:
    home, patterns = TABLES[table]
    assert modules_spelling(patterns) == {home}, f"{table}: read it from {home} instead of copying it"


def test_the_search_finds_a_copy(tmp_path: Path) -> None:
    (tmp_path / "gui").mkdir()
    (tmp_path / "gui" / "panel.py").write_text(
        'ENTITY = {\n    "createUpdatePerson": "person",\n}\nDRY_RUN, LIVE = "dry_run", "send"\n'
        'TYPES = ["track", "identify", "page", "screen"]\n',
        encoding="utf-8",
    )
    for table in (
        "what record each action writes (ActionDef.entity)",
        "the run modes (PLAN, DRY_RUN, SEND)",
        "Segment's event types (EVENT_TYPES)",
    ):
        assert modules_spelling(TABLES[table][1], tmp_path) == {"gui/panel.py"}, table
