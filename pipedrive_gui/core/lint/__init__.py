"""The mapping linter: see trouble before Segment does.

``lint_project(project, events, fields)`` runs every rule over a project, the events to look at
(its samples, captured events, the one on screen) and, when known, the account's Pipedrive fields
(:class:`FieldFacts`, plain data), and returns a :class:`LintReport`: findings as data (rule id,
severity, message, fix, mapping, field) plus the rules that could not run and why. Pure: no I/O.

Rules live in ``rules_*.py``; ``RULES`` lists them (id, severity, title, what they need).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipedrive_gui.core.project import Project

from . import rules_fanout, rules_match, rules_production, rules_segment, rules_values  # noqa: F401 (register)
from .context import LintCache, LintContext
from .model import (
    SEVERITIES,
    SEVERITY_RANK,
    FieldFact,
    FieldFacts,
    Finding,
    LintEvent,
    LintReport,
    RuleInfo,
    Severity,
    Skipped,
)
from .registry import REGISTRY

__all__ = [
    "NO_EVENTS",
    "NO_FIELDS",
    "RULES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "FieldFact",
    "FieldFacts",
    "Finding",
    "LintCache",
    "LintEvent",
    "LintReport",
    "RuleInfo",
    "Severity",
    "Skipped",
    "lint_project",
    "project_events",
    "rule_info",
]

# Run and document the rules in the order of the issue: match traps, fan-out, values, Segment's
# limits, production differences.
_MODULE_ORDER = ("rules_match", "rules_fanout", "rules_values", "rules_segment", "rules_production")
REGISTRY.sort(key=lambda item: _MODULE_ORDER.index(item[1].__module__.rsplit(".", 1)[-1]))
RULES: tuple[RuleInfo, ...] = tuple(info for info, _ in REGISTRY)
NO_FIELDS = "needs the account's Pipedrive fields (connect to Pipedrive or the sandbox)"
NO_EVENTS = "needs sample or captured events (the project has none)"


def rule_info(rule_id: str) -> RuleInfo | None:
    return next((r for r in RULES if r.id == rule_id), None)


def project_events(project: Project, extra: Iterable[LintEvent] = ()) -> list[LintEvent]:
    """The project's samples, then ``extra`` (captured events, the event on screen)."""
    events = [LintEvent(s.name, s.event, "sample") for s in project.samples if isinstance(s.event, dict)]
    return events + list(extra)


def lint_project(
    project: Project,
    events: Sequence[LintEvent] | None = None,
    fields: FieldFacts | None = None,
    *,
    cache: LintCache | None = None,
    rules: Iterable[str] | None = None,
) -> LintReport:
    """Every finding for ``project``; ``events`` defaults to the project's samples."""
    evs = project_events(project) if events is None else list(events)
    ctx = LintContext(project, evs, fields, cache)
    wanted = set(rules) if rules is not None else None
    report = LintReport(events_checked=len(evs))
    for info, fn in REGISTRY:
        if wanted is not None and info.id not in wanted:
            continue
        if info.needs_fields and fields is None:
            report.skipped.append(Skipped(info.id, NO_FIELDS))
            continue
        if info.needs_events and not evs:
            report.skipped.append(Skipped(info.id, NO_EVENTS))
            continue
        report.findings.extend(fn(ctx))
    order = {m.id: i for i, m in enumerate(project.mappings)}
    report.findings.sort(key=lambda f: (order.get(f.mapping_id, -1), SEVERITY_RANK[f.severity]))
    return report
