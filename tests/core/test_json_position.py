"""core.json_position: the line and column of a member named by keys, in JSON text as typed."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.json_position import line_and_column, position_of
from pipedrive_gui.core.mapping_kit.validate import find_problems

SOURCE = """{
  "@if": {
    "exists": {"@path": "$.traits.name"},
    "then": [1, {"x": 2}],
    "else": 5
  }
}"""


def _offset(source: str, line: int, column: int) -> int:
    return sum(len(x) + 1 for x in source.split("\n")[: line - 1]) + column - 1


def test_a_member_is_found_at_its_key() -> None:
    assert position_of(SOURCE, ()) == (1, 1)
    assert position_of(SOURCE, ("@if",)) == (2, 3)
    assert position_of(SOURCE, ("@if", "exists", "@path")) == (3, 16)
    assert position_of(SOURCE, ("@if", "else")) == (5, 5)


def test_array_elements_by_index() -> None:
    assert position_of(SOURCE, ("@if", "then", "1", "x")) == (4, 18)
    assert position_of(SOURCE, ("@if", "then", "0")) == (4, 14)


def test_what_is_not_there_stops_at_the_deepest_place_found() -> None:
    assert position_of(SOURCE, ("@if", "nope", "deeper")) == (2, 3)
    assert position_of(SOURCE, ("@if", "else", "inside a number")) == (5, 5)
    assert position_of('  "text"', ("a",)) == (1, 3)
    assert position_of("[1, 2]", ("5",)) == (1, 1)


def test_the_last_of_repeated_keys_counts_as_in_json_loads() -> None:
    source = '{"a": 1,\n "a": {"b": true}}'
    assert json.loads(source)["a"] == {"b": True}
    assert position_of(source, ("a",)) == (2, 2)
    assert position_of(source, ("a", "b")) == (2, 8)


def test_escaped_keys_and_strings_with_brackets() -> None:
    source = '{"say \\"}\\"": "{[", "k\\u00e9y": {"in": null}}'
    assert position_of(source, ("k\u00e9y", "in")) == (1, 34)
    assert line_and_column("ab\ncd", 4) == (2, 2)


def test_a_mapping_kit_problem_names_its_place_by_keys() -> None:
    mapping = {"name": {"@if": {"exists": {"@path": 3}}}, "a/b": {"@template": 1}}
    problems = find_problems(mapping)
    assert [p.location for p in problems] == [("name", "@if", "exists", "@path"), ("a/b", "@template")]
    assert problems[1].path == "/a/b/@template"  # Segment's text: not splittable back into keys


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, member in items:
        path = (*prefix, str(key))
        out.append((path, key))
        out.extend(_paths(member, path))
    return out


@settings(max_examples=200, deadline=None)
@given(value=json_values, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_every_member_of_dumped_json_is_found(value: Any, indent: int | None, ascii_only: bool) -> None:
    source = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    for path, key in _paths(value):
        at = _offset(source, *position_of(source, path))
        rest = source[at:]
        if isinstance(key, str):
            assert rest.startswith(json.dumps(key, ensure_ascii=ascii_only)), (path, rest[:20])
        else:  # an array element: its value starts here
            member: Any = value
            for k in path:
                member = member[k] if isinstance(member, dict) else member[int(k)]
            assert json.JSONDecoder().raw_decode(rest)[0] == member, (path, rest[:20])
