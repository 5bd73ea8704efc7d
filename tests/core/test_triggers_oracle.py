"""~300 seeded random triggers and events, answered by Segment's own packages (the oracle) and by us.

Needs Node.js and the team's Segment oracle (optional, see CONTRIBUTING.md); skipped with a reason otherwise.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from pipedrive_gui.core.triggers import OPERATORS, FqlError, Group, fql_matches
from pipedrive_gui.core.triggers.parser import parse
from tests import oracle

SEED = 20260530
COUNT = 300

_TEXTS = [
    "track",
    "Order Completed",
    "Deal Upserted",
    "pro-plan",
    "Zürich",
    "注文 😀",
    "",
    "a*b",
    "5",
    "true",
    "null",
]
_KEYS = ["plan", "total", "email", "vip", "order id", "first$name", "a.b", "tags", "city", "😀"]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 2 and roll < 0.12:
        return {k: _value(rng, depth + 1) for k in rng.sample(_KEYS, rng.randint(0, 3))}
    if depth < 2 and roll < 0.2:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(
        [None, True, False, 0, 1, 42, -3, 99.5, 100, 1e21, 2**53 + 1, *_TEXTS, "150", "  7 ", "0x10", "😀x"]
    )


def _event(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.02:
        return None
    if roll < 0.04:
        return rng.choice(["", 7, [], True])
    event: dict[str, Any] = {}
    for member in ("type", "event", "name", "userId"):
        if rng.random() < 0.7:
            event[member] = rng.choice(["track", "identify", "page", *_TEXTS, 5, None])
    for member in ("properties", "traits", "context"):
        if rng.random() < 0.8:
            event[member] = {k: _value(rng) for k in rng.sample(_KEYS, rng.randint(0, 6))}
    return event


def _escape(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "\\" + ch for ch in name)


def _subject(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(["type", "event", "name", "userId"])
    prefix = rng.choice(["properties", "traits", "context"])
    path = rng.choice(_KEYS + ["tags.length", "tags.0", "city.0", "plan.length", "a.b.c", "missing.deep"])
    return f"{prefix}.{_escape(path)}"


def _literal(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return '"' + rng.choice(_TEXTS + ["track", "pro", "Order", "😀"]).replace('"', "") + '"'
    if roll < 0.85:
        return rng.choice(["0", "5", "42", "-3", "99.5", "100", "1000000000000000000000", "7"])
    return rng.choice(["true", "false", "null", "'single'"])


def _condition(rng: random.Random) -> str:
    subject = _subject(rng)
    roll = rng.random()
    if roll < 0.18:
        needle = rng.choice(["pro", "Order", "😀", "", "a*b", "Zü"])
        return f'{rng.choice(["", "!"])}contains({subject}, "{needle}")'
    if roll < 0.34:
        text = rng.choice(["Order", "pro", "Zü", "😀", "x", "", "注"])
        pattern = f"{text}*" if rng.random() < 0.5 else f"*{text}"
        return f'{rng.choice(["", "!"])}match({subject}, "{pattern}")'
    if roll < 0.44:
        return f"{subject} {rng.choice(['=', '!='])} null"
    if roll < 0.52:
        return f"{subject} = {rng.choice(['true', 'false'])}"
    operator = rng.choice(["=", "!=", "<", "<=", ">", ">="])
    return f"{subject} {operator} {_literal(rng)}"


def _echo(rng: random.Random, event: Any) -> str | None:
    """A condition about a value the event really has, so that plenty of cases match."""
    if not isinstance(event, dict):
        return None
    found: list[tuple[str, Any]] = []
    for member in ("type", "event", "name", "userId"):
        if member in event:
            found.append((member, event[member]))
    for member in ("properties", "traits", "context"):
        values = event.get(member)
        if isinstance(values, dict):
            found += [(f"{member}.{_escape(key)}", value) for key, value in values.items() if "." not in key]
    if not found:
        return None
    subject, value = rng.choice(found)
    if value is None or isinstance(value, (dict, list)):
        return f"{subject} {rng.choice(['!=', '='])} null"
    if isinstance(value, bool):
        return f"{subject} = {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"{subject} {rng.choice(['=', '>=', '<=', '!='])} {value!r}"
    if '"' in value:
        return None
    if value and rng.random() < 0.4:
        start = rng.randrange(len(value))
        return f'contains({subject}, "{value[start : start + 3]}")'
    return f'{subject} = "{value}"'


def _fql(rng: random.Random, event: Any) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.2:
            inner = [_condition(rng) for _ in range(rng.randint(1, 3))]
            parts.append("(" + f" {rng.choice(['and', 'or'])} ".join(inner) + ")")
        else:
            echoed = _echo(rng, event) if rng.random() < 0.5 else None
            parts.append(echoed or _condition(rng))
    text = parts[0]
    for part in parts[1:]:
        text += f" {rng.choice(['and', 'or'])} {part}"
    if rng.random() < 0.06:  # a few broken ones: Segment must fail where we fail
        cut = rng.randrange(len(text))
        text = text[:cut] + rng.choice(['"', "(", "!", "#", "", ")"]) + text[cut + 1 :]
    return text


def _cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    cases = []
    for _ in range(COUNT):
        event = _event(rng)
        case: dict[str, Any] = {"kind": "fql", "fql": _fql(rng, event)}
        if rng.random() > 0.02:
            case["event"] = event
        cases.append(case)
    return cases


def _ours(case: dict[str, Any]) -> dict[str, Any]:
    args = (case["fql"], case["event"]) if "event" in case else (case["fql"],)
    try:
        return {"ok": True, "match": fql_matches(*args)}
    except FqlError as error:
        return {"ok": False, "error": error.segment_error}


@pytest.fixture(scope="module")
def oracle_answers() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases = _cases()
    return cases, oracle.ask(cases)


def _operators(node: Any, found: set[str]) -> None:
    if isinstance(node, Group):
        for child in node.children:
            _operators(child, found)
    elif node is not None:
        found.add(node.operator)


def test_generated_cases_cover_the_language() -> None:
    cases = _cases()
    found: set[str] = set()
    for case in cases:
        try:
            _operators(parse(case["fql"]).root, found)
        except FqlError:
            continue
    assert set(OPERATORS) <= found
    texts = " ".join(case["fql"] for case in cases)
    for piece in (" and ", " or ", "(", "\\ ", "null", "😀", "Zü"):
        assert piece in texts


def test_every_case_agrees_with_segment(
    oracle_answers: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    cases, answers = oracle_answers
    disagreements = []
    for case, answer in zip(cases, answers, strict=True):
        ours = _ours(case)
        if ours != answer:
            disagreements.append((case["fql"], case.get("event"), answer, ours))
    assert disagreements == []
    outcomes = {(a["ok"], a.get("match")) for a in answers}
    assert outcomes == {(True, True), (True, False), (False, None)}
