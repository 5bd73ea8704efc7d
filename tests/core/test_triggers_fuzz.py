"""Random trigger text and events never crash the trigger code: only the typed FQL errors escape."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.triggers import (
    FqlEvaluationError,
    FqlSyntaxError,
    fql_from_model,
    model_from_fql,
    parse_fql,
)
from pipedrive_gui.core.triggers.parser import parse

_PIECES = [
    "type", "event", "name", "userId", "properties", "traits", "context", "properties.a", "traits.b.c",
    "context.page.url", "properties.a\\ b", "properties.\\[", "foo", "constructor",
    "=", "!=", "<", "<=", ">", ">=", "!", "and", "or", "null", "true", "false",
    '"track"', '"x*"', '"*x"', "'q'", '""', '"😀"', "5", "-1.5", "+", "-", "1.", "(", ")", ",", ".", "[", "]",
    "contains", "match", "\\", " ", "\t", "\n", "an", "nu", "o",
]  # fmt: skip

_fql_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abnoultrdey.()=!<>\"' ,[]\\-+0123456789_*\t\n😀\r#", max_size=40),
    st.lists(st.sampled_from(_PIECES), max_size=14).map(lambda parts: " ".join(parts)),
    st.lists(st.sampled_from(_PIECES), max_size=14).map("".join),
)

_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["track", "x", "", "😀", "5"]),
)
_json = st.recursive(
    _json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["a", "b", "c", "x", "page", "url", "0", "length", "[", "a b"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)
_event = st.one_of(
    _json,
    st.fixed_dictionaries(
        {},
        optional={
            key: _json for key in ("type", "event", "name", "userId", "properties", "traits", "context")
        },
    ),
)


def _check(text: str, event: Any) -> None:
    try:
        trigger = parse_fql(text)
    except FqlSyntaxError as error:
        assert error.message
        assert error.position is None or 0 <= error.position <= len(text)
        assert model_from_fql(text) is None
        return
    assert all(isinstance(warning, str) and warning for warning in trigger.warnings)
    try:
        result = trigger.matches(event)
    except FqlEvaluationError as error:
        assert error.message
    else:
        assert isinstance(result, bool)
        assert (trigger.explain(event) == []) == result
    assert trigger.matches() is False
    model = model_from_fql(text)
    if model is not None:
        # The builder's rewrite means the same to Segment as the original text.
        assert (
            parse(fql_from_model(model)).root.children == parse(text).root.children
            or len(model.conditions) == 1
        )


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fql_text, _event)
def test_random_text_and_events_only_raise_typed_errors(text: str, event: Any) -> None:
    _check(text, event)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=30).map(" ".join))
def test_long_token_soup_parses_or_fails_cleanly(text: str) -> None:
    _check(text, {"type": "track", "properties": {"a": 1}})
