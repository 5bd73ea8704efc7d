"""Random payload cases checked against Segment's own code (the conformance oracle, Node.js).

~200 seeded cases over all six actions: random events whose values have the wrong types (numbers as
strings, booleans, arrays, nulls, objects, empty strings), custom mappings (paths, literals,
templates, ``@if``), missing required fields; plus date strings for ``datetime`` fields.  Every
answer (payload with key order, or error text) must equal Segment's.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pipedrive_gui.core.actions import ACTIONS
from pipedrive_gui.core.jsvalues import js_to_json
from pipedrive_gui.core.payload import build_payload
from tests import oracle

pytestmark = oracle.needed

SCALARS: list[Any] = [
    "",
    " ",
    "abc",
    "Ada Lovelace",
    "12",
    "12.5",
    " 7 ",
    "0x1F",
    "1e3",
    "-0",
    "Infinity",
    "true",
    "false",
    "1",
    "0",
    "open",
    "won",
    "Won",
    "3",
    "7",
    "2",
    "null",
    "2024-03-05",
    "2024-03-05T09:15:30.000Z",
    "1709630130",
    "March 7, 2024",
    "not a date",
    "33.5",
    "12.0",
    0,
    1,
    -1,
    3,
    7,
    42,
    12.5,
    -0.5,
    1e21,
    2**53 + 2,
    1709630130,
    True,
    False,
    None,
]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 2 and roll < 0.12:
        return [_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    if depth < 2 and roll < 0.18:
        return {rng.choice(["a", "b", "name", "1"]): _value(rng, depth + 1) for _ in range(rng.randint(0, 2))}
    return rng.choice(SCALARS)


def _event(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["identify", "group", "track"])
    event: dict[str, Any] = {"type": kind, "messageId": f"m-{rng.randint(1, 999)}"}
    if rng.random() < 0.8:
        event["userId"] = rng.choice(["user-1", 42, "", None, ["u"], "  "])
    if kind == "group" or rng.random() < 0.3:
        event["groupId"] = rng.choice(["org-7", 7, "", None])
    if kind == "track":
        event["event"] = rng.choice(["Deal Upserted", "Activity Upserted", "Note Upserted"])
    keys = [
        "name",
        "email",
        "phone",
        "title",
        "amount",
        "currency",
        "lead_id",
        "value",
        "stage_id",
        "success_probability",
        "status",
        "deal_id",
        "activity_id",
        "note_id",
        "content",
        "done",
        "subject",
        "type",
        "due_date",
        "duration",
        "created_at",
        "x",
    ]
    bag = {k: _value(rng) for k in rng.sample(keys, rng.randint(3, len(keys)))}
    event["traits" if kind != "track" else "properties"] = bag
    if rng.random() < 0.5:
        event["context"] = {"groupId": rng.choice(["org-9", 9, None, ""])}
    return event


def _field_mapping(rng: random.Random, key: str, default: Any) -> Any:
    roll = rng.random()
    src = rng.choice(["traits", "properties"])
    name = rng.choice(
        ["name", "email", "title", "amount", "stage_id", "done", "status", "x", "created_at", key]
    )
    if roll < 0.35 and default is not None:
        return default
    if roll < 0.6:
        return {"@path": f"$.{src}.{name}"}
    if roll < 0.75:
        return _value(rng)
    if roll < 0.85:
        return {"@template": f"{{{{{src}.{name}}}}}-{{{{userId}}}}"}
    return {
        "@if": {
            "exists": {"@path": f"$.{src}.{name}"},
            "then": {"@path": f"$.{src}.{name}"},
            "else": _value(rng),
        }
    }


def _mapping(rng: random.Random, slug: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for f in ACTIONS[slug].fields:
        if rng.random() < 0.25 and not f.required:
            continue
        if f.required and rng.random() < 0.1:
            continue  # a missing required field
        if f.type == "object":
            mapping[f.key] = rng.choice(
                [
                    {"plan": {"@path": "$.traits.name"}, "seats": _value(rng)},
                    {"@path": "$.properties"},
                    {"@path": "$.traits.name"},
                ]
            )
        else:
            mapping[f.key] = _field_mapping(rng, f.key, f.default)
    if rng.random() < 0.2:
        mapping["unknown_key"] = _value(rng)
    keys = list(mapping)
    rng.shuffle(keys)  # the payload keeps the mapping's order
    return {k: mapping[k] for k in keys}


DATE_STRINGS = [
    "2024-03-05",
    "2024-03-05T09:15:30Z",
    "2024-03-05T09:15:30.123456+02:00",
    "2024-3-5",
    "2024/03/05 10:00",
    "20240305",
    "2024-13-40",
    "05/03/2024",
    "5.3.2024",
    "Tue, 05 Mar 2024 09:15:30 GMT",
    "March 5, 2024",
    "5 March 2024 10:00 pm",
    "Mar 5 2024 10:00:00 GMT+0100 (CET)",
    "yesterday",
    "2024-03-05T25:00:00Z",
    "2024-03-05T24:00:00Z",
    "+002024-03-05T00:00:00Z",
    "-000000-01-01T00:00:00Z",
    "1709630130000",
    "-1",
    "1e3",
    "0x10",
    "12:30",
    "12:30 2024",
    "2024-03-05 12:30 PM",
    "2024-03-05 13:30 PM",
    "noon",
    "Z",
    "2024Z",
    "Monday 2024",
    "2024 Monday",
    "Sat Mar 09 2024",
    "(comment) 2024-01-01",
    "2024-02-30",
    "99-01-01",
    "1/2/3",
    "1/2/3/4",
    "10:00:00.5 1/1/2020",
    "2024-03-05T10:00:00 +01:00",
    "2024-03-05 10:00 UTC+1",
    "Dec 25, 1995 13:30 EST",
    "275760-09-13",
    "275760-09-14",
    "8640000000000",
    "8640000000001",
    " 2024",
    "2024 ",
    "T10:00",
    "2024-03-05T10",
    "2024-03-05t10:00z",
    "june 1st 2024",
    "1 jan",
    "jan",
    "",
]


# Hand-picked corners of ajv's coercion as Segment configures it (one-element arrays, nulls inside
# arrays, choices given as numbers, non-finite numbers, root mappings that are not objects).
EDGE_CASES: list[tuple[str, Any]] = [
    ("createUpdatePerson", {"match_value": "m", "email": [[1, 2]]}),
    ("createUpdatePerson", {"match_value": "m", "email": [{}], "phone": [["x"]]}),
    ("createUpdatePerson", {"match_value": "m", "email": {"a": 1}}),
    ("createUpdatePerson", {"match_value": "m", "email": [None, "", 5, True, [None]]}),
    ("createUpdatePerson", {"match_value": "m", "visible_to": [7]}),
    ("createUpdatePerson", {"match_value": "m", "visible_to": [{}]}),
    ("createUpdatePerson", {"match_value": "m", "visible_to": [None]}),
    ("createUpdatePerson", {"match_value": [None]}),
    ("createUpdatePerson", {"match_value": []}),
    ("createUpdatePerson", {"@path": "$.traits"}),
    ("createUpdatePerson", {"@path": "$.nothing"}),
    ("createUpdatePerson", {"match_value": "m", "custom_fields": [{"a": 1}]}),
    (
        "createUpdatePerson",
        {"match_value": "m", "custom_fields": {"a": None, "b": "", "c": {"@path": "$.zz"}}},
    ),
    ("createUpdatePerson", {"match_value": "m", "add_time": [["2024-01-01"]]}),
    ("createUpdatePerson", {"match_value": "m", "add_time": ["2024-01-01"]}),
    ("createUpdatePerson", {"match_value": "m", "add_time": [True]}),
    ("createUpdatePerson", {"match_value": "m", "add_time": [9007199254740994]}),
    ("createUpdatePerson", {"1": "x", "match_value": "m", "0": "y"}),
    ("createUpdateActivity", {"activity_id": ["12"], "done": ["true"], "due_date": [1]}),
    ("createUpdateActivity", {"activity_id": "Infinity", "done": [0]}),
    ("createUpdateActivity", {"activity_id": " ", "done": "", "subject": " "}),
    ("createUpdateActivity", {"activity_id": "0x10"}),
    ("createUpdateActivity", {"activity_id": [1.5]}),
    ("createUpdateDeal", {"title": "t", "stage_id": "-0", "probability": [[1]]}),
    ("createUpdateDeal", {"title": "t", "status": ["won"], "value": [1, 2]}),
    ("createUpdateLead", {"title": "t", "amount": "1e400"}),
    ("createUpdateNote", "not a mapping"),
    ("createUpdateNote", {"content": {"@path": 5}}),
    # dynamicAuthSettings: exempt from validation, kept as mapped (not coerced), moved to the end.
    ("createUpdatePerson", {"dynamicAuthSettings": {"oauth": {"type": "noAuth"}}, "match_value": "m"}),
    ("createUpdatePerson", {"dynamicAuthSettings": None, "match_value": "m", "name": 5}),
    ("createUpdatePerson", {"dynamicAuthSettings": "", "match_value": "m"}),
    ("createUpdatePerson", {"dynamicAuthSettings": {"@path": "$.traits.name"}, "match_value": "m"}),
    ("createUpdatePerson", {"dynamicAuthSettings": {"@path": "$.traits.none"}, "match_value": "m"}),
    ("createUpdatePerson", {"dynamicAuthSettings": [1, "", None], "email": "e", "visible_to": 7}),
    ("createUpdateDeal", {"dynamicAuthSettings": {"a": 1}, "title": "t", "status": "nope"}),
]


def _cases() -> list[dict[str, Any]]:
    rng = random.Random(20261130)
    cases = []
    slugs = list(ACTIONS)
    for i in range(200):
        slug = slugs[i % len(slugs)]
        cases.append(
            {"kind": "payload", "action": slug, "mapping": _mapping(rng, slug), "event": _event(rng)}
        )
    for i, text in enumerate(DATE_STRINGS):
        slug = ["createUpdatePerson", "createUpdateOrganization", "createUpdateDeal"][i % 3]
        mapping = {"add_time": {"@path": "$.traits.when"}, "title": "t", "match_value": "m"}
        mapping = {k: v for k, v in mapping.items() if ACTIONS[slug].field(k) is not None}
        cases.append(
            {
                "kind": "payload",
                "action": slug,
                "mapping": mapping,
                "event": {"type": "identify", "traits": {"when": text}},
            }
        )
    for slug, mapping in EDGE_CASES:
        event = {"type": "identify", "traits": {"match_value": "m", "name": 5}}
        cases.append({"kind": "payload", "action": slug, "mapping": mapping, "event": event})
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def oracle_answers() -> list[dict[str, Any]]:
    return oracle.ask(CASES)


def _ours(case: dict[str, Any]) -> dict[str, Any]:
    result = build_payload(case["action"], case["mapping"], case["event"])
    if result.ok:
        return {"ok": True, "payload": result.payload}
    return {"ok": False, "error": result.error}


def test_random_cases_cover_both_outcomes(oracle_answers: list[dict[str, Any]]) -> None:
    outcomes = [a["ok"] for a in oracle_answers[:200]]
    assert 40 < sum(outcomes) < 160, "the generator should produce both accepted and refused payloads"


@pytest.mark.parametrize("index", range(len(CASES)))
def test_agrees_with_segment(index: int, oracle_answers: list[dict[str, Any]]) -> None:
    case = CASES[index]
    expected = oracle_answers[index]
    assert js_to_json(_ours(case)) == js_to_json(expected), json.dumps(case)
