"""Segment's FQL triggers: parse, match, explain, and the condition-builder model.

trigger = parse_fql('type = "track" and event = "Order Completed"')
trigger.matches(event)      # Segment's answer
trigger.explain(event)      # ['event is "Signed Up", not "Order Completed"']
"""

from .errors import FqlError, FqlEvaluationError, FqlSyntaxError
from .model import (
    ALLOWED_OPERATORS,
    EVENT_TYPES,
    KIND_LABELS,
    MATCH_ALL,
    MATCH_ANY,
    OPERATOR_LABELS,
    TriggerModel,
    condition_fql,
    describe_condition,
    event_value_text,
    fql_from_model,
    generate_fql,
    model_from_fql,
    model_problems,
)
from .nodes import KINDS, OPERATORS, Condition, Group
from .trigger import Trigger, fql_matches, parse_fql

__all__ = [
    "ALLOWED_OPERATORS",
    "EVENT_TYPES",
    "KINDS",
    "KIND_LABELS",
    "MATCH_ALL",
    "MATCH_ANY",
    "OPERATORS",
    "OPERATOR_LABELS",
    "Condition",
    "FqlError",
    "FqlEvaluationError",
    "FqlSyntaxError",
    "Group",
    "Trigger",
    "TriggerModel",
    "condition_fql",
    "describe_condition",
    "event_value_text",
    "fql_from_model",
    "fql_matches",
    "generate_fql",
    "model_from_fql",
    "model_problems",
    "parse_fql",
]
