"""JavaScript value semantics the preview depends on (numbers, key order, JSON, errors)."""

from __future__ import annotations

import pytest

from pipedrive_gui.core.jsvalues import (
    UNDEFINED,
    dumps_result,
    encode_error,
    encode_result,
    is_undefined,
    js_keys,
    js_to_json,
    js_to_string,
    number_to_string,
    truthy,
    utf16_len,
)
from pipedrive_gui.core.mapping_kit import (
    MappingKitError,
    MappingValidationError,
    compile_mapping,
    transform,
    validate_mapping,
)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (5.0, "5"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123456789012345678901234567890, "1.2345678901234568e+29"),
        (2**53 + 1, "9007199254740992"),
        (-12.25, "-12.25"),
        (float("inf"), "Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_numbers_print_like_javascript(number: float, text: str) -> None:
    assert number_to_string(number) == text


def test_undefined_is_falsy_and_distinct_from_null() -> None:
    assert is_undefined(UNDEFINED) and not UNDEFINED
    assert not is_undefined(None)
    assert js_to_string(UNDEFINED) == "undefined" and js_to_string(None) == "null"


def test_containers_are_truthy_like_javascript() -> None:
    assert truthy([]) and truthy({}) and not truthy(0) and not truthy("") and not truthy(float("nan"))


def test_integer_like_keys_come_first_in_ascending_order() -> None:
    assert js_keys({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == ["2", "10", "b", "a", "01"]


def test_json_matches_json_stringify() -> None:
    value = {"b": [1, UNDEFINED, float("inf")], "1": "é\u2028\x01", "u": UNDEFINED, "n": -0.0}
    assert js_to_json(value) == '{"1":"é\u2028\\u0001","b":[1,null,null],"n":0}'
    assert js_to_json(UNDEFINED) is None
    assert (
        js_to_json({"a": [1, {"b": 2}]}, indent="  ")
        == '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}'
    )


def test_strings_measure_utf16_like_javascript() -> None:
    assert utf16_len("Thé 🍵") == 6
    assert transform({"@path": "$.s.length"}, {"s": "👍🏽"}) == 4


def test_results_encode_like_the_oracle() -> None:
    assert encode_result(UNDEFINED) == {"ok": True, "undefined": True}
    assert encode_result({"z": 1, "0": [UNDEFINED], "x": UNDEFINED}) == {
        "ok": True,
        "output": {"0": [None], "z": 1},
    }
    assert dumps_result(encode_result("\u2028")) == '{"ok":true,"output":"\\u2028"}'
    assert encode_error(MappingKitError("boom")) == {"ok": False, "error": "boom"}


def test_validation_reports_every_problem_with_its_location() -> None:
    mapping = {"a": {"@path": 1}, "b": {"@template": False}, "c": {"@merge": {}}}
    with pytest.raises(MappingValidationError) as caught:
        validate_mapping(mapping)
    problems = caught.value.problems
    assert [p.path for p in problems] == ["/a/@path", "/b/@template", "/c/@merge"]
    assert problems[0].message == "should be a string or a mapping directive but it is a number"
    assert (
        str(caught.value).splitlines()[0]
        == "/a/@path should be a string or a mapping directive but it is a number."
    )


def test_compiled_mapping_reports_mapping_errors_when_evaluated() -> None:
    compiled = compile_mapping({"x": {"@oops": 1}})
    assert isinstance(compiled.error, MappingValidationError)
    with pytest.raises(MappingKitError, match="data must be an object, got null"):
        compiled.evaluate(None)  # Segment checks the event before the mapping
    with pytest.raises(MappingValidationError, match="/x has an invalid directive: @oops."):
        compiled.evaluate({})


def test_compiled_mapping_evaluates_many_events_without_leaking_state() -> None:
    compiled = compile_mapping(
        {"name": {"@template": "{{traits.first}} {{traits.last}}"}, "email": {"@path": "$.traits.email"}}
    )
    first = compiled.evaluate({"traits": {"first": "Ada", "last": "Lovelace", "email": "ada@example.com"}})
    second = compiled.evaluate({"traits": {"first": "Alan"}})
    assert first == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert second == {"name": "Alan "}
    second["name"] = "changed"
    assert compiled.evaluate({"traits": {"first": "Alan"}}) == {"name": "Alan "}


def test_liquid_errors_read_like_segment() -> None:
    with pytest.raises(MappingKitError, match=r'tag "for" is disabled, line:1, col:1'):
        transform({"@liquid": "{% for x in y %}{% endfor %}"}, {})
    assert (
        transform({"@liquid": "{{ n | divided_by: 2 }}|{{ n | times: 0.1 }}"}, {"n": 3})
        == "1.5|0.30000000000000004"
    )
