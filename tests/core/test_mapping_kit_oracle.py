"""Random mappings and events, answered by Segment's own code (the oracle) and by ours.

The generator (also used by the fuzz test) nests every directive, and draws events
with unicode, nulls, arrays, integer-like keys and awkward numbers. Cases are seeded,
so a disagreement is reproducible; node is needed to ask the oracle.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pipedrive_gui.core.jsvalues import dumps_result, encode_error, encode_result
from pipedrive_gui.core.mapping_kit import MappingKitError, transform, validate_mapping
from tests import oracle

SEED = 20261130
CASE_COUNT = 300

# Keys that are safe in JS (no prototype members such as "constructor" or "__proto__").
KEYS = ["a", "b", "name", "email", "plan", "x", "0", "1", "10", "2", "é", "ключ", "sp ace", "dot.key", "Z"]
STRINGS = [
    "",
    " ",
    "abc",
    "ABC",
    "Hello World",
    "zoë",
    "ÅNGSTRÖM",
    "straße",
    "İstanbul",
    "👍🏽",
    "Thé 🍵",
    "0",
    "12",
    "-3.5",
    "true",
    "null",
    "{{a}}",
    '{"k":[1,2]}',
    "[1,2]",
    "a.b.c",
    "line\nbreak",
    "tab\there",
    "<b>&'\"",
    "$&$$",
    "ΟΔΟΣ",
    "x" * 12,
]
NUMBERS: list[Any] = [
    0,
    1,
    -1,
    3,
    42,
    0.5,
    99.5,
    -12.25,
    0.1,
    1e21,
    1.5e-7,
    123456789012,
    2**53 + 2,
    -0.0,
    5.0,
    12345678901234567890,
    -(2**64) + 1,
    1e300,
    5e-324,
    1e-7,
]
PATHS = [
    "$.a",
    "$.b",
    "$.properties",
    "$.properties.a",
    "$.properties.b.x",
    "$.traits.name",
    "$.traits.plan",
    "$.properties.0",
    "$.properties.list",
    "$.properties.list.0",
    "$.properties.list[1]",
    "$.properties.list.length",
    "$.event",
    "$.event.length",
    "$.event.0",
    "$.userId",
    "$.missing",
    "$.missing.deep",
    "$.properties['sp ace']",
    "$.traits",
    "$.context.n",
    "$.context.s",
    "properties.a",
    "$.",
    "",
    "$.properties.nested.a",
]
TIMESTAMPS: list[Any] = [
    "2024-03-05T09:15:30.123Z",
    "2024-12-31T23:59:59+02:00",
    "2024-02-29",
    "March 5, 2024",
    1709630130,
    "not a date",
    None,
]
PATTERNS = ["a", "A", "o", "ö", ".", "$", " ", "é", "ss", "🍵", "l", "x"]
LIQUID = [
    "{{ event }}",
    "{{ traits.name | upcase }}",
    "{{ traits.name | downcase }}",
    "{{ properties.a | default: 'n/a' }}",
    "{{ properties.list | size }}",
    "{{ properties.list | join: '-' }}",
    "{{ properties.list | first }}",
    "{{ properties.list | last }}",
    "{{ properties.n | plus: 1 }}",
    "{{ properties.n | times: 2 }}",
    "{{ properties.n | divided_by: 4 }}",
    "{{ properties.n | minus: 0.5 }}",
    "{{ properties.n | round }}",
    "{{ properties.n | abs }}",
    "{{ properties.n | modulo: 3 }}",
    "{{ traits.name | append: '!' }}",
    "{{ traits.name | capitalize }}",
    "{{ traits.name | truncate: 5 }}",
    "{{ traits.name | replace: 'a', 'b' }}",
    "{{ traits.name | split: ' ' | join: '+' }}",
    "{{ properties | json }}",
    "{{ properties.list | json }}",
    "{{ traits.name | escape }}",
    "{{ traits.name | url_encode }}",
    "{{ traits.name | strip }}",
    "{% if traits.name %}yes{% else %}no{% endif %}",
    "{% if properties.n > 10 %}big{% else %}small{% endif %}",
    "{% assign v = traits.plan | upcase %}{{ v }}-{{ v | size }}",
    "{{ properties.b }}",
    "{{ properties }}",
    "{{ missing.thing }}",
    "{{ properties.n }}",
    "{{ properties.list }}",
    "{% for x in y %}{% endfor %}",
    "{{ traits.name | sort }}",
    "{{ traits.name | nope }}",
    "{% unless traits.plan == 'pro' %}free{% endunless %}",
    "{{ traits.name | slice: 1, 3 }}",
    "{{ properties.n | at_least: 50 }}",
    "{{ properties.n | ceil }}",
    "{{ properties.list | compact | size }}",
    "{{ 'a,b,,' | split: ',' | size }}",
    "{% capture c %}{{ event }}!{% endcapture %}{{ c }}",
    "{{ timestamp | date: '%Y-%m-%d' }}",
    "{{ timestamp | date: '%d/%m/%Y %H:%M %Z' }}",
    "{{ timestamp | date }}",
    "{{ timestamp | date_to_xmlschema }}",
    "{{ timestamp | date: '%s|%j|%U|%a %-d %b', 'Europe/Paris' }}",
]
# A small grammar for @liquid templates: outputs with filter chains, if/else, assign.
LIQUID_VARS = [
    "event", "type", "userId", "traits.name", "traits.plan", "properties.n", "properties.list",
    "properties.list[0]", "properties.list.first", "properties.list.last", "properties.list.size",
    "properties", "properties.nested.a", "properties.nested.b", "missing", "context.n", "context.s",
    "properties.a", "properties.0", "traits.name.size", "event.size", "properties['sp ace']",
]  # fmt: skip
LIQUID_LITERALS = [
    "1",
    "2",
    "0",
    "-3",
    "2.5",
    "'a'",
    "'b,c'",
    "''",
    "'ß'",
    "nil",
    "true",
    "false",
    "'x y'",
    "10",
]
LIQUID_FILTERS = [
    ("abs", 0), ("at_least", 1), ("at_most", 1), ("ceil", 0), ("floor", 0), ("divided_by", 1), ("minus", 1),
    ("plus", 1), ("times", 1), ("modulo", 1), ("round", 0), ("round", 1), ("append", 1), ("prepend", 1),
    ("lstrip", 0), ("rstrip", 0), ("strip", 0), ("downcase", 0), ("upcase", 0), ("capitalize", 0),
    ("remove", 1), ("remove_first", 1), ("remove_last", 1), ("replace", 2), ("replace_first", 2),
    ("replace_last", 2), ("split", 1), ("strip_newlines", 0), ("truncate", 1), ("truncate", 2),
    ("truncatewords", 1), ("slice", 1), ("slice", 2), ("escape", 0), ("escape_once", 0), ("strip_html", 0),
    ("url_encode", 0), ("url_decode", 0), ("join", 0), ("join", 1), ("first", 0), ("last", 0), ("size", 0),
    ("sum", 0), ("compact", 0), ("default", 1), ("json", 0), ("base64_encode", 0), ("push", 1), ("pop", 0),
    ("shift", 0), ("unshift", 1), ("where", 1), ("where", 2), ("to_integer", 0), ("cgi_escape", 0),
    ("uri_escape", 0), ("normalize_whitespace", 0), ("number_of_words", 0), ("sort", 0), ("nope", 0),
]  # fmt: skip
LIQUID_OPERATORS = ["==", "!=", ">", "<", ">=", "<=", "contains"]


def _liquid_operand(rng: random.Random) -> str:
    return rng.choice(LIQUID_VARS) if rng.random() < 0.6 else rng.choice(LIQUID_LITERALS)


def _liquid_output(rng: random.Random) -> str:
    text = _liquid_operand(rng)
    for _ in range(rng.randint(0, 3)):
        name, arity = rng.choice(LIQUID_FILTERS)
        if name == "round":  # Math.pow(10, x) for fractional x may differ from Python in the last bit
            args = [rng.choice(["0", "1", "2", "-1"]) for _ in range(arity)]
        else:
            args = [
                _liquid_operand(rng) if rng.random() < 0.3 else rng.choice(LIQUID_LITERALS)
                for _ in range(arity)
            ]
        text += f" | {name}" + (": " + ", ".join(args) if args else "")
    return "{{ " + text + " }}"


def random_liquid(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.6:
            parts.append(_liquid_output(rng))
        elif roll < 0.8:
            condition = f"{_liquid_operand(rng)} {rng.choice(LIQUID_OPERATORS)} {_liquid_operand(rng)}"
            if rng.random() < 0.2:
                condition += f" {rng.choice(['and', 'or'])} {_liquid_operand(rng)}"
            parts.append("{% if " + condition + " %}" + _liquid_output(rng) + "{% else %}E{% endif %}")
        elif roll < 0.9:
            name = rng.choice(LIQUID_FILTERS)[0]
            parts.append("{% assign v = " + _liquid_operand(rng) + " | " + name + " %}[{{ v }}]")
        else:
            parts.append(rng.choice(["|", " ", "é"]))
    return "".join(parts)


DIRECTIVES = [
    "@path",
    "@template",
    "@literal",
    "@if",
    "@case",
    "@replace",
    "@arrayPath",
    "@merge",
    "@transform",
    "@flatten",
    "@json",
    "@liquid",
    "@excludeWhenNull",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.55:
        kind = rng.choice(["s", "s", "n", "n", "b", "null"])
        if kind == "s":
            return rng.choice(STRINGS)
        if kind == "n":
            return rng.choice(NUMBERS)
        if kind == "b":
            return rng.choice([True, False])
        return None
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_event(rng: random.Random) -> dict[str, Any]:
    props: dict[str, Any] = {k: random_value(rng, 1) for k in rng.sample(KEYS, rng.randint(0, 6))}
    if rng.random() < 0.8:
        props["list"] = [random_value(rng, 2) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.7:
        props["n"] = rng.choice(NUMBERS)
    if rng.random() < 0.5:
        props["nested"] = {"a": random_value(rng, 1), "b": None}
    event: dict[str, Any] = {
        "type": rng.choice(["track", "identify", "group"]),
        "event": rng.choice(STRINGS),
        "properties": props,
        "traits": {"name": rng.choice(STRINGS), "plan": rng.choice(["pro", "free", "", None, 3])},
        "context": {"n": rng.choice(NUMBERS), "s": rng.choice(STRINGS)},
    }
    if rng.random() < 0.7:
        event["userId"] = rng.choice(["u-1", "", None, 7])
    if rng.random() < 0.5:
        event["timestamp"] = rng.choice(TIMESTAMPS)
    for key in rng.sample(KEYS, rng.randint(0, 3)):
        event[key] = random_value(rng, 1)
    return event


def random_template(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 3)):
        parts.append(rng.choice(["", "Hi ", " / ", "é", "{", "}"]))
        path = rng.choice(PATHS).removeprefix("$.")
        parts.append(rng.choice(["{{%s}}", "{{ %s }}", "{{{%s}}}"]) % path)
    return "".join(parts) + rng.choice(["", "!", " 🍵"])


def random_node(rng: random.Random, depth: int = 0) -> Any:
    """A mapping node: raw value, plain object/array of nodes, or a directive."""
    roll = rng.random()
    if depth >= 4 or roll < 0.25:
        return random_value(rng, 2)
    if roll < 0.35:
        return {rng.choice(KEYS): random_node(rng, depth + 1) for _ in range(rng.randint(1, 3))}
    if roll < 0.40:
        return [random_node(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return random_directive(rng, depth)


def _maybe(rng: random.Random, opts: dict[str, Any], key: str, value: Any, p: float = 0.7) -> None:
    if rng.random() < p:
        opts[key] = value


def random_directive(rng: random.Random, depth: int) -> dict[str, Any]:  # noqa: C901, PLR0912
    name = rng.choice(DIRECTIVES)
    sub = lambda: random_node(rng, depth + 1)  # noqa: E731
    path_or_node = lambda: rng.choice(PATHS) if rng.random() < 0.8 else sub()  # noqa: E731
    opts: dict[str, Any] = {}
    value: Any
    if name == "@path":
        value = path_or_node()
    elif name == "@template":
        value = random_template(rng) if rng.random() < 0.85 else sub()
    elif name in ("@literal", "@excludeWhenNull"):
        value = sub()
    elif name == "@if":
        _maybe(
            rng,
            opts,
            rng.choice(["exists", "blank"]),
            {"@path": rng.choice(PATHS)} if rng.random() < 0.8 else sub(),
            0.9,
        )
        _maybe(rng, opts, "then", sub())
        _maybe(rng, opts, "else", sub())
        value = opts
    elif name == "@case":
        _maybe(rng, opts, "operator", rng.choice(["lower", "upper", "lower", "upper", "title"]), 0.95)
        _maybe(
            rng,
            opts,
            "value",
            {"@path": rng.choice(PATHS)} if rng.random() < 0.8 else rng.choice(STRINGS),
            0.9,
        )
        value = opts
    elif name == "@replace":
        _maybe(rng, opts, "pattern", rng.choice(PATTERNS), 0.95)
        _maybe(rng, opts, "replacement", rng.choice(["", "_", "$&", "X", "$$", "ü"]))
        _maybe(
            rng,
            opts,
            "value",
            {"@path": rng.choice(PATHS)} if rng.random() < 0.8 else rng.choice(STRINGS),
            0.95,
        )
        _maybe(rng, opts, "ignorecase", rng.choice([True, False]), 0.5)
        _maybe(rng, opts, "global", rng.choice([True, False]), 0.5)
        if rng.random() < 0.2:
            opts["pattern2"] = rng.choice(PATTERNS)
            _maybe(rng, opts, "replacement2", rng.choice(["", "-"]))
        value = opts
    elif name == "@arrayPath":
        shape = {rng.choice(KEYS): {"@path": rng.choice(["$.", "$.a", "$.length", "$.0", "$.x"])}, "k": sub()}
        value = [
            rng.choice(["$.properties.list", "$.properties", "$.properties.nested", "$.event", "$.missing"]),
            shape,
        ]
        if rng.random() < 0.2:
            value = value[:1]
    elif name == "@merge":
        objects = [
            rng.choice(
                [
                    {"@path": rng.choice(["$.properties", "$.traits", "$.context", "$.properties.nested"])},
                    {rng.choice(KEYS): sub()},
                ]
            )
            for _ in range(rng.randint(1, 3))
        ]
        opts = {"direction": rng.choice(["left", "right"]), "objects": objects}
        value = opts
    elif name == "@transform":
        apply = {rng.choice(KEYS): sub() for _ in range(rng.randint(1, 3))}
        value = {
            "apply": apply,
            "mapping": {rng.choice(KEYS): {"@path": "$." + rng.choice(KEYS)}, "whole": {"@path": "$."}},
        }
    elif name == "@flatten":
        value = {
            "value": rng.choice(
                [{"@path": rng.choice(["$.properties", "$.traits", "$.properties.list", "$."])}, sub()]
            ),
            "separator": rng.choice([".", "_", "->", "é"]),
        }
        _maybe(rng, value, "omitArrays", rng.choice([True, False]), 0.4)
    elif name == "@json":
        value = {
            "mode": rng.choice(["encode", "decode", "encode"]),
            "value": rng.choice([{"@path": rng.choice(PATHS)}, sub(), rng.choice(STRINGS)]),
        }
    elif name == "@liquid":
        value = rng.choice(LIQUID) if rng.random() < 0.4 else random_liquid(rng)
    else:  # pragma: no cover
        raise AssertionError(name)
    return _mangle(rng, name, value)


def _mangle(rng: random.Random, name: str, value: Any) -> dict[str, Any]:
    """Now and then break the directive, to compare errors too."""
    roll = rng.random()
    if roll < 0.04:
        value = random_value(rng, 1)  # wrong option type
    elif roll < 0.08 and isinstance(value, dict) and value:
        value = dict(value)
        value.pop(rng.choice(list(value)))  # a missing option
    elif roll < 0.10:
        return {name: value, rng.choice(["_metadata", "extra", "@oops"]): 1}
    elif roll < 0.11:
        return {rng.choice(["@nope", "@Path", "@"]): value}
    return {name: value}


def random_mapping(rng: random.Random) -> Any:
    mapping = {rng.choice(KEYS) + str(i): random_node(rng, 1) for i in range(rng.randint(1, 4))}
    roll = rng.random()
    if roll < 0.15:
        return random_directive(rng, 1)
    if roll < 0.20:
        # Segment's root-level directive: the other fields become its "mapping".
        root = rng.choice(["@transform", "@merge", "@if"])
        if root == "@transform":
            opts: Any = {"apply": {rng.choice(KEYS): random_node(rng, 2) for _ in range(2)}}
        elif root == "@merge":
            opts = {"direction": "right", "objects": [{"@path": "$.traits"}]}
        else:
            opts = {"exists": {"@path": rng.choice(PATHS)}}
        return {"__segment_internal_directive": {root: opts}, **mapping}
    if roll < 0.23:
        return [random_node(rng, 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.25:
        return random_value(rng, 1)
    return mapping


def random_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        kind = "validate_mapping" if i % 10 == 9 else "transform"
        case: dict[str, Any] = {"id": f"random#{i}", "kind": kind, "mapping": random_mapping(rng)}
        if kind == "transform":
            case["event"] = random_event(rng)
        cases.append(case)
    return cases


def answer(case: dict[str, Any]) -> dict[str, Any]:
    try:
        if case["kind"] == "validate_mapping":
            validate_mapping(case["mapping"])
            return {"ok": True}
        return encode_result(transform(case["mapping"], case["event"]))
    except MappingKitError as exc:
        return encode_error(exc)


def ask_oracle(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return oracle.ask(cases, timeout=120)


CASES = random_cases(SEED, CASE_COUNT)


@pytest.fixture(scope="module")
def oracle_answers() -> list[dict[str, Any]]:
    return ask_oracle(CASES)


@pytest.mark.parametrize("index", range(CASE_COUNT))
def test_random_case_agrees_with_segment(index: int, oracle_answers: list[dict[str, Any]]) -> None:
    case = CASES[index]
    expected = oracle_answers[index]
    got = answer(case)
    context = json.dumps(case, ensure_ascii=False)
    assert got["ok"] == expected["ok"], f"{context}\nours: {got}\nsegment: {expected}"
    if expected["ok"]:
        theirs = encode_result(expected["output"]) if "output" in expected else expected
        assert dumps_result(got) == dumps_result(theirs), context
    else:
        assert got["error"] == expected["error"], context


def sweep(seed: int, count: int) -> int:
    """Ask the oracle about ``count`` fresh cases; print disagreements, return their number."""
    cases = random_cases(seed, count)
    bad = 0
    for case, expected in zip(cases, ask_oracle(cases), strict=True):
        got = answer(case)
        if expected["ok"]:
            theirs = encode_result(expected["output"]) if "output" in expected else expected
            same = got["ok"] and dumps_result(got) == dumps_result(theirs)
        else:
            same = not got["ok"] and got["error"] == expected["error"]
        if not same:
            bad += 1
            print(json.dumps(case), "\n  ours:   ", json.dumps(got), "\n  segment:", json.dumps(expected))
    print(f"{bad} disagreement(s) in {count} cases (seed {seed})")
    return bad


if __name__ == "__main__":  # python -m tests.core.test_mapping_kit_oracle SEED COUNT
    import sys

    raise SystemExit(1 if sweep(int(sys.argv[1]), int(sys.argv[2])) else 0)


# Broken @liquid templates: the error must name the problem where liquidjs does.
BROKEN_LIQUID = [
    "Hi {{ traits.name",
    "Hi {% if traits.name %}yes",
    "{% capture c %}x",
    "a\n{%- unless x -%}{% if y %}{% endif %}",
    "{% comment %}never closed",
    "{% raw %}{{ x }}",
    "{% %}",
    "{% frobnicate %}",
    "{% endif %}",
    "{% if x %}{% for y in x %}{% endfor %}{% endif %}",
    "{{ 'x' | append }}",
    "{% echo traits.name | sort %}",
    "x {{ 'a }}' }} {% tablerow %}",
    "{{ properties.list.0 | prepend }}",
]


@pytest.fixture(scope="module")
def broken_liquid_answers() -> list[dict[str, Any]]:
    cases = [{"kind": "transform", "mapping": {"@liquid": t}, "event": {}} for t in BROKEN_LIQUID]
    return ask_oracle(cases)


@pytest.mark.parametrize("index", range(len(BROKEN_LIQUID)))
def test_broken_liquid_is_reported_like_segment(
    index: int, broken_liquid_answers: list[dict[str, Any]]
) -> None:
    got = answer({"kind": "transform", "mapping": {"@liquid": BROKEN_LIQUID[index]}, "event": {}})
    assert got == broken_liquid_answers[index]
