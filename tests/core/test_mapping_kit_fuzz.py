"""Fuzzing the mapping kit: arbitrary mappings and events never crash it.

Whatever the input, the only exception is a typed ``MappingKitError`` carrying
Segment's message, and a compiled mapping reused over many events answers exactly
what a fresh ``transform`` answers for each of them.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.jsvalues import dumps_result, encode_error, encode_result
from pipedrive_gui.core.mapping_kit import (
    MappingKitError,
    MappingValidationError,
    compile_mapping,
    transform,
    validate_mapping,
)
from tests.core.test_mapping_kit_oracle import DIRECTIVES, random_event, random_mapping

OPTION_KEYS = [
    "exists",
    "blank",
    "then",
    "else",
    "operator",
    "value",
    "pattern",
    "replacement",
    "pattern2",
    "replacement2",
    "ignorecase",
    "global",
    "direction",
    "objects",
    "apply",
    "mapping",
    "separator",
    "omitArrays",
    "mode",
    "_metadata",
    "a",
    "0",
    "@oops",
    "__segment_internal_directive",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["", "$.a", "$.a.b", "$.", "lower", "upper", "encode", "decode", "left", "{{a}}", "{{ a | upcase }}"]
    ),
    st.text(max_size=12),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(DIRECTIVES + OPTION_KEYS), inner, max_size=4),
    ),
    max_leaves=25,
)
events = st.dictionaries(st.sampled_from(["a", "b", "0", "é", "properties"]), json_like, max_size=5)


def outcome(run: Any) -> dict[str, Any]:
    try:
        return encode_result(run())
    except MappingKitError as exc:
        return encode_error(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=json_like, event=st.one_of(events, json_like))
def test_arbitrary_input_only_raises_typed_errors(mapping: Any, event: Any) -> None:
    result = outcome(lambda: transform(mapping, event))
    dumps_result(result)  # always serialisable like the oracle's answers
    assert outcome(lambda: compile_mapping(mapping).evaluate(event)) == result
    try:
        validate_mapping(mapping)
    except MappingValidationError as exc:
        assert exc.problems
        assert str(exc) == "\n".join(p.text for p in exc.problems)
        assert all(p.path.startswith("/") for p in exc.problems)


@settings(max_examples=150, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_compiled_mapping_reused_over_events_matches_transform(rng: random.Random) -> None:
    mapping = random_mapping(rng)
    compiled = compile_mapping(mapping)
    for _ in range(4):
        event = random_event(rng)
        fresh = outcome(lambda: transform(mapping, event))  # noqa: B023
        reused = outcome(lambda: compiled.evaluate(event))  # noqa: B023
        assert dumps_result(reused) == dumps_result(fresh)


@settings(max_examples=100, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_evaluation_leaves_mapping_and_event_untouched(rng: random.Random) -> None:
    mapping = random_mapping(rng)
    event = random_event(rng)
    before = (dumps_result(mapping), dumps_result(event))
    outcome(lambda: transform(mapping, event))
    assert (dumps_result(mapping), dumps_result(event)) == before
