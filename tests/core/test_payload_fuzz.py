"""Property tests: whatever mapping and event a user throws at it, the payload pipeline answers with a
typed result (a payload or Segment's error) and never crashes or edits the user's data."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.actions import ACTIONS
from pipedrive_gui.core.jsdate import is_date_like, js_string_to_number
from pipedrive_gui.core.jsvalues import js_to_json
from pipedrive_gui.core.payload import PayloadResult, build_payload, compile_action

TRICKY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "1",
        "-0",
        "0x1F",
        "1e3",
        "Infinity",
        "NaN",
        "true",
        "false",
        "null",
        "2024-03-05",
        "2024-03-05T09:15:30Z",
        "Mar 5 2024 10:00 pm GMT+1",
        "(",
        ")",
        "12:",
        "::",
        "+-",
        "\u00a0",
        "\ud800",
    ]
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    TRICKY,
)
KEYS = st.one_of(
    st.sampled_from(["name", "email", "title", "1", "0", "x", "content", "done"]), st.text(max_size=5)
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)
PATHS = st.sampled_from(
    ["$.traits.name", "$.properties", "$.userId", "$.traits", "$.x.y", "$", "$.properties.0"]
)
DIRECTIVE = st.one_of(
    st.builds(lambda p: {"@path": p}, PATHS),
    st.builds(lambda t: {"@template": t}, st.sampled_from(["{{traits.name}}", "{{userId}}-{{x}}", "", "{{"])),
    st.builds(lambda p, e: {"@if": {"exists": {"@path": p}, "then": {"@path": p}, "else": e}}, PATHS, SCALAR),
    st.builds(lambda v: {"@literal": v}, JSON),
)
VALUE = st.one_of(JSON, DIRECTIVE)


@st.composite
def mappings(draw: st.DrawFn, slug: str) -> dict[str, Any]:
    keys = [f.key for f in ACTIONS[slug].fields] + ["unknown", "1"]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    return {k: draw(VALUE) for k in chosen}


EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["identify", "group", "track"])},
        optional={
            "userId": SCALAR,
            "traits": st.dictionaries(KEYS, JSON, max_size=5),
            "properties": st.dictionaries(KEYS, JSON, max_size=5),
            "x": JSON,
        },
    ),
    JSON,
)


def _check(result: PayloadResult, slug: str) -> None:
    assert isinstance(result, PayloadResult)
    action = ACTIONS[slug]
    if result.ok:
        assert result.error is None and not result.problems and isinstance(result.payload, dict)
        assert set(result.payload) <= set(action.field_keys)
        assert set(action.required_keys) <= set(result.payload)
        json.loads(js_to_json(result.payload) or "null")
    else:
        assert result.payload is None and isinstance(result.error, str) and result.error
        if result.problems:
            assert " ".join(p.message for p in result.problems) == result.error
            for p in result.problems:
                assert p.message.endswith(".") and p.message[:1].isupper()
                assert p.label == (action.field(p.field).label if action.field(p.field) else "")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), slug=st.sampled_from(list(ACTIONS)), event=EVENTS)
def test_any_mapping_and_event_gives_a_typed_result(data: st.DataObject, slug: str, event: Any) -> None:
    mapping = data.draw(mappings(slug))
    mapping_before, event_before = copy.deepcopy(mapping), copy.deepcopy(event)
    result = build_payload(slug, mapping, event)
    _check(result, slug)
    assert mapping == mapping_before and event == event_before  # the user's data is never edited
    again = compile_action(slug, mapping)
    assert again.run(event) == result == again.run(event)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789:-+./ TZtzapmAPMGUCESTMar(),é\u00a0")), max_size=30))
def test_date_check_never_crashes(text: str) -> None:
    assert isinstance(is_date_like(text), bool)
    assert isinstance(js_string_to_number(text), float)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_date_check_accepts_any_text(text: str) -> None:
    assert isinstance(is_date_like(text), bool)
