"""What Segment's own UI or API would refuse, or limit, before any event is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipedrive_gui.core.mapping_kit.liquid import MAX_TEMPLATE_LENGTH, template_problem
from pipedrive_gui.core.mapping_kit.liquid_filters import DISABLED_FILTERS
from pipedrive_gui.core.mapping_kit.validate import find_problems
from pipedrive_gui.core.triggers import Condition, FqlSyntaxError, Group

from .context import LintContext, trigger_of
from .model import Finding
from .registry import finding, rule

#: Segment's limit of mappings (subscriptions) on one destination instance.
MAX_MAPPINGS = 50
#: Conditions a trigger may have on Segment's self-serve (Free/Team) plans.
SELF_SERVE_MAX_CONDITIONS = 2


@rule("mapping-name-missing", "error", "A mapping without a name")
def mapping_name_missing(ctx: LintContext) -> Iterator[Finding]:
    for i, m in enumerate(ctx.project.mappings, 1):
        if not m.name.strip():
            yield finding(
                mapping_name_missing,
                m,
                f"Mapping {i} has no name. Segment requires one for every mapping and refuses "
                "to save or import it without.",
                "Give the mapping a name (Rename in the mapping list).",
            )


@rule("too-many-mappings", "error", "More than 50 mappings on one destination")
def too_many_mappings(ctx: LintContext) -> Iterator[Finding]:
    n = len(ctx.project.mappings)
    if n > MAX_MAPPINGS:
        yield finding(
            too_many_mappings,
            None,
            f"This project has {n} mappings; Segment allows at most {MAX_MAPPINGS} on one "
            "destination (disabled mappings count too), so the export cannot all be created there.",
            "Delete mappings you do not use, merge mappings of the same action, or split them "
            "over two Actions Pipedrive destinations (two projects).",
        )


@rule("trigger-invalid", "error", "A trigger Segment cannot read (or none)")
def trigger_invalid(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        if not m.trigger.strip():
            yield finding(
                trigger_invalid,
                m,
                "The mapping has no trigger. Segment requires one, and without it the mapping never runs.",
                "Add a condition, e.g. Event type is Identify.",
                field="trigger",
            )
            continue
        parsed = trigger_of(m.trigger)
        if isinstance(parsed, FqlSyntaxError):
            yield finding(
                trigger_invalid,
                m,
                f"The trigger is not valid FQL ({parsed.message.rstrip('.')}): Segment refuses "
                "to save it, and here the mapping never runs.",
                "Fix the trigger in the condition builder, or correct the FQL text.",
                field="trigger",
            )


@rule(
    "trigger-ignored-text", "warning", "Part of a trigger that Segment silently ignores or reads differently"
)
def trigger_ignored_text(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        parsed = trigger_of(m.trigger) if m.trigger.strip() else None
        if parsed is None or isinstance(parsed, FqlSyntaxError):
            continue
        for warning in parsed.warnings:
            yield finding(
                trigger_ignored_text,
                m,
                f"In the trigger, {warning[:1].lower()}{warning[1:].rstrip('.')}.",
                "Rebuild the trigger with the condition builder so it says exactly what Segment will do.",
                field="trigger",
            )


def _count_conditions(node: Any) -> int:
    if isinstance(node, Condition):
        return 1
    if isinstance(node, Group):
        return sum(_count_conditions(c) for c in node.children)
    return 0


@rule("too-many-conditions", "info", "More than 2 trigger conditions (Segment's self-serve plans)")
def too_many_conditions(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        parsed = trigger_of(m.trigger) if m.trigger.strip() else None
        if parsed is None or isinstance(parsed, FqlSyntaxError):
            continue
        n = _count_conditions(parsed.root)
        if n > SELF_SERVE_MAX_CONDITIONS:
            yield finding(
                too_many_conditions,
                m,
                f"The trigger has {n} conditions. On Segment's self-serve plans (Free, Team) a "
                f"trigger may have at most {SELF_SERVE_MAX_CONDITIONS}; Business workspaces have "
                "no such limit.",
                "On a self-serve plan, keep two conditions (e.g. the event type and the event "
                "name) and filter the rest at the source.",
                field="trigger",
            )


@rule("mapping-invalid", "error", "A field value Segment's mapping validator refuses")
def mapping_invalid(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        for problem in find_problems(m.settings):
            key = problem.path.strip("/").split("/", 1)[0]
            yield finding(
                mapping_invalid,
                m,
                f"Segment refuses this mapping: {problem.text}",
                "Correct the expression in the field's Advanced editor (it shows the same "
                "problem as you type).",
                field=key,
            )


def _liquid_templates(value: Any, top: str = "") -> Iterator[tuple[str, str]]:
    """(top-level field key, template) for every ``@liquid`` in a mapping's settings."""
    if isinstance(value, dict):
        for k, v in value.items():
            key = top or k
            if k == "@liquid" and isinstance(v, str):
                yield top, v
            else:
                yield from _liquid_templates(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _liquid_templates(v, top)


def _disabled_filters(template: str) -> list[str]:
    import re

    used = re.findall(r"\|\s*([A-Za-z_][\w-]*)", template)
    return [f for f in dict.fromkeys(used) if f in DISABLED_FILTERS]


@rule("liquid-limits", "error", "A Liquid template over Segment's limits (length, disabled tags and filters)")
def liquid_limits(ctx: LintContext) -> Iterator[Finding]:
    for m in ctx.project.mappings:
        for key, template in _liquid_templates(m.settings):
            problem = template_problem(template)
            disabled = _disabled_filters(template)
            if problem is None and disabled:
                problem = "filter " + ", ".join(f"“{f}”" for f in disabled) + " is disabled in Segment"
            if problem is None:
                continue
            long = "limited to" in problem
            yield finding(
                liquid_limits,
                m,
                f"Segment cannot run this Liquid template: {problem}. Every event the mapping "
                "fires on fails at this field.",
                (
                    f"Shorten the template to {MAX_TEMPLATE_LENGTH} characters or less (split it over "
                    "several fields, or use @template for plain substitutions)."
                    if long
                    else "Segment's Liquid has no for/case/include/render/layout/tablerow tags and disables "
                    "some filters: use if/elsif, assign and the remaining filters instead."
                ),
                field=key,
            )
