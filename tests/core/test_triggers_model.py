"""Condition-builder model ⇄ FQL, plain-English explanations and syntax-error positions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedrive_gui.core.triggers import (
    ALLOWED_OPERATORS,
    MATCH_ALL,
    MATCH_ANY,
    Condition,
    FqlEvaluationError,
    FqlSyntaxError,
    TriggerModel,
    describe_condition,
    fql_from_model,
    model_from_fql,
    model_problems,
    parse_fql,
)

# FQL as Segment's condition builder writes it.
BUILDER_FQL = [
    'type = "track"',
    'type = "track" and event = "Order Completed"',
    'type = "identify" or type = "group"',
    'event != "Deal Upserted"',
    'contains(event, "Order")',
    '!contains(event, "Test")',
    'match(event, "Order*")',
    'match(event, "*Completed")',
    '!match(name, "Docs*")',
    '!match(userId, "*@example.com")',
    "name != null",
    "userId = null",
    "properties.total > 100",
    "properties.total <= 99.5",
    "properties.total >= -3",
    "properties.total < 0.001",
    "properties.count = 3",
    "properties.count != 3",
    "properties.vip = true",
    "traits.vip = false",
    "traits.email != null",
    "context.ip = null",
    'properties.order\\ id = "A-1"',
    "traits.first\\$name != null",
    'properties.a.b.c = "x"',
    'properties.\\[0\\] = "x"',
    'context.page.url = "https://example.com/a?b=c"',
    'properties.plan = "pro" or properties.plan = "enterprise"',
    'properties.city = "Zürich" and event = "注文 😀"',
    'traits.email = ""',
    'type = "track" and contains(properties.plan, "pro") and properties.total >= 10 and traits.email != null',
]


@pytest.mark.parametrize("fql", BUILDER_FQL)
def test_builder_fql_round_trips_through_the_model(fql: str) -> None:
    model = model_from_fql(fql)
    assert model is not None
    assert fql_from_model(model) == fql
    assert model_problems(model) == []


def test_model_reads_like_the_builder() -> None:
    model = model_from_fql('type = "track" and properties.total > 100 and traits.email != null')
    assert model == TriggerModel(
        MATCH_ALL,
        [
            Condition("event-type", "=", "track"),
            Condition("event-property", ">", 100.0, "total"),
            Condition("event-trait", "exists", None, "email"),
        ],
    )
    assert model_from_fql('event = "a" or event = "b"') == TriggerModel(
        MATCH_ANY, [Condition("event", "=", "a"), Condition("event", "=", "b")]
    )


@pytest.mark.parametrize(
    "fql",
    [
        'type = "track" and (event = "a" or event = "b")',  # nested group
        'type = "track" and event = "a" or event = "b"',  # mixed and/or: Segment uses "or" for all
        'type = "track" foo',  # Segment ignores "foo"
        "type < 5",  # the builder offers only is / is not for the event type
        "event = null",  # Segment compares with the text "null"; the builder would hide that
        "type =",  # Segment takes the end of the text as the value
        'type = "track',  # syntax error
        "",
    ],
)
def test_text_the_builder_cannot_show_gives_none(fql: str) -> None:
    assert model_from_fql(fql) is None


def test_segment_writer_details() -> None:
    # Names are escaped with backslashes, values quoted as-is, numbers written the JS way.
    model = TriggerModel(
        MATCH_ANY,
        [
            Condition("event-property", "=", "x", "order id"),
            Condition("event-property", ">", 1e21, "big"),
            Condition("event-property", "<=", 0.5, "small"),
            Condition("event-trait", "not_starts_with", "test", "email"),
            Condition("event-context", "not_ends_with", ".local", "page.host"),
        ],
    )
    assert fql_from_model(model) == (
        'properties.order\\ id = "x" or properties.big > 1e+21 or properties.small <= 0.5'
        ' or !match(traits.email, "test*") or !match(context.page.host, "*.local")'
    )
    assert fql_from_model(TriggerModel(MATCH_ALL, [])) == ""


def test_model_problems_name_what_segment_cannot_read_back() -> None:
    model = TriggerModel(
        MATCH_ALL,
        [
            Condition("event", "=", 'say "hi"'),
            Condition("event-property", "exists", None, "items.0"),
            Condition("event-property", "exists", None, "and"),
            Condition("event-type", "contains", "tr"),
            Condition("event-property", ">", "ten", "total"),
        ],
    )
    problems = model_problems(model)
    assert len(problems) == 5
    assert "double quote" in problems[0]
    assert '"0"' in problems[1] and "digit" in problems[1]
    assert "reserved word" in problems[2]
    assert problems[3].startswith("Condition 4 (type)")
    assert problems[4].startswith("Condition 5 (properties.total)")


_NAME_PART = st.text(alphabet="abcxyz_$ éü", min_size=1, max_size=6).filter(
    lambda s: s not in ("and", "or", "null") and not s[0].isdigit()
)
_TEXT_VALUE = st.text(alphabet=st.characters(exclude_characters='"', exclude_categories=["Cs"]), max_size=8)


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    kind = draw(st.sampled_from(sorted(ALLOWED_OPERATORS)))
    operator = draw(st.sampled_from(ALLOWED_OPERATORS[kind]))
    name = (
        ".".join(draw(st.lists(_NAME_PART, min_size=1, max_size=3)))
        if kind.startswith("event-") and kind != "event-type"
        else ""
    )
    value: str | float | None
    if operator in ("exists", "not_exists", "is_true", "is_false"):
        value = None
    elif operator in ("number_equals", "number_not_equals", "<", "<=", ">", ">="):
        value = draw(st.integers(-(10**6), 10**6).map(float) | st.sampled_from([0.5, -2.25, 1e-3, 123.456]))
    elif kind == "event-type":
        value = draw(st.sampled_from(["track", "identify", "page", "screen", "group", "alias"]))
    else:
        value = draw(_TEXT_VALUE)
    return Condition(kind, operator, value, name)


@settings(max_examples=300, deadline=None)
@given(st.lists(_conditions(), min_size=1, max_size=5), st.sampled_from([MATCH_ALL, MATCH_ANY]))
def test_models_round_trip_through_fql(conditions: list[Condition], match: str) -> None:
    model = TriggerModel(match if len(conditions) > 1 else MATCH_ALL, conditions)
    fql = fql_from_model(model)
    problems = model_problems(model)
    # Every problem found is explained specifically (no catch-all wording for these inputs).
    assert not any("different condition" in problem for problem in problems), problems
    if problems:
        return
    assert model_from_fql(fql) == model, fql


# -- explain ------------------------------------------------------------------------------------


def test_explain_names_the_failing_conditions_in_plain_english() -> None:
    trigger = parse_fql('type = "track" and event = "Deal Upserted"')
    assert trigger.explain({"type": "track", "event": "Order Completed"}) == [
        'event is "Order Completed", not "Deal Upserted"'
    ]
    assert trigger.explain({"type": "track", "event": "Deal Upserted"}) == []
    assert parse_fql("traits.email != null").explain({"traits": {}}) == ["traits.email is missing"]
    assert parse_fql("traits.email != null").explain({"traits": {"email": None}}) == ["traits.email is null"]


def test_explain_says_when_the_type_is_the_problem() -> None:
    trigger = parse_fql(
        'properties.total > 100 and contains(properties.plan, "pro") and properties.vip = true'
    )
    reasons = trigger.explain({"properties": {"total": "150", "plan": "basic", "vip": "yes"}})
    assert reasons == [
        'properties.total is the text "150", not a number more than 100',
        'properties.plan is "basic", which does not contain "pro"',
        'properties.vip is the text "yes", not true',
    ]
    assert parse_fql("properties.total <= 10").explain({"properties": {"total": 12}}) == [
        "properties.total is 12, not at most 10"
    ]


def test_explain_or_groups_and_odd_events() -> None:
    trigger = parse_fql('event = "A" or event = "B"')
    assert trigger.explain({"event": "C"}) == [
        'none of the alternatives holds: event is "C", not "A"; or event is "C", not "B"'
    ]
    assert trigger.explain() == ["there is no event to test"]
    null_reasons = trigger.explain(None)
    assert len(null_reasons) == 1 and "null" in null_reasons[0]
    with pytest.raises(FqlEvaluationError):
        trigger.matches(None)


# -- syntax errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fql", "position", "words"),
    [
        ('type = "track', 7, "closing quote"),
        ("properties.total>5", 16, "space"),
        ('event = "a" and (type = "track"', 16, "never closed"),
        ('type = "track" and (event = "x" or (event = "y"))', 35, "inside parentheses"),
        ("contains(event", 0, "second argument"),
        ("properties.a !5", 13, '"="'),
        ('event = "x" #', 12, '"#"'),
        ("type", 0, "operator and a value"),
        ('event = "😀" and #', 16, '"#"'),
        ("properties.total > 1.", 20, "decimal point"),
        ("traits.x\\", 8, "backslash"),
    ],
)
def test_syntax_errors_point_at_the_problem(fql: str, position: int, words: str) -> None:
    with pytest.raises(FqlSyntaxError) as caught:
        parse_fql(fql)
    error = caught.value
    assert error.position == position, error.message
    assert words in error.message
    assert f"character {position + 1}" in error.message


def test_empty_and_meaningless_text() -> None:
    with pytest.raises(FqlSyntaxError, match="empty") as caught:
        parse_fql("   ")
    assert caught.value.position is None
    with pytest.raises(FqlSyntaxError, match="no condition"):
        parse_fql('"just a value"')


def test_conditions_have_one_line_summaries() -> None:
    model = model_from_fql('event = "Order Completed" and properties.total >= 10.5 and traits.email != null')
    assert model is not None
    assert [describe_condition(c) for c in model.conditions] == [
        'Event name is "Order Completed"',
        "Event property total ≥ 10.5",
        "User trait email exists",
    ]
