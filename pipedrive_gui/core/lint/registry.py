"""Rule registration and the helpers every rule uses to build a :class:`Finding`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pipedrive_gui.core.actions import ACTIONS
from pipedrive_gui.core.project import Mapping as ProjectMapping
from pipedrive_gui.core.wording import with_article

from .context import LintContext
from .model import Finding, LintEvent, RuleInfo

RuleFn = Callable[[LintContext], Iterable[Finding]]

#: Every rule, in the order they run (and are documented).
REGISTRY: list[tuple[RuleInfo, RuleFn]] = []


def rule(
    rule_id: str, severity: Any, title: str, *, needs_fields: bool = False, needs_events: bool = False
) -> Callable[[RuleFn], RuleFn]:
    info = RuleInfo(rule_id, severity, title, needs_fields, needs_events)

    def register(fn: RuleFn) -> RuleFn:
        if any(i.id == rule_id for i, _ in REGISTRY):
            raise ValueError(f"duplicate lint rule {rule_id}")
        REGISTRY.append((info, fn))
        fn.rule_info = info  # type: ignore[attr-defined]
        return fn

    return register


def info_of(fn: RuleFn) -> RuleInfo:
    info: RuleInfo = fn.rule_info  # type: ignore[attr-defined]
    return info


def field_label(action: str, key: str) -> str:
    a = ACTIONS.get(action)
    f = a.field(key) if a is not None else None
    return f.label if f is not None else key


def finding(
    fn: RuleFn,
    mapping: ProjectMapping | None,
    message: str,
    fix: str,
    *,
    field: str = "",
    custom_field: str = "",
    custom_label: str = "",
    events: Iterable[LintEvent] = (),
    severity: Any = None,
) -> Finding:
    """A finding of rule ``fn`` (its id and default severity) at ``mapping`` › ``field``."""
    info = info_of(fn)
    label = field_label(mapping.action, field) if mapping is not None and field else ""
    if custom_field:
        label = f"{label} › {custom_label or short_key(custom_field)}"
    return Finding(
        rule=info.id,
        severity=severity or info.severity,
        message=message,
        fix=fix,
        mapping_id=mapping.id if mapping is not None else "",
        mapping_name=mapping.name if mapping is not None else "",
        field=field,
        field_label=label,
        custom_field=custom_field,
        events=tuple(dict.fromkeys(e.name for e in events)),
    )


def short_key(key: str) -> str:
    return f"{key[:8]}…" if len(key) > 12 else key


def source_text(value: Any) -> str:
    """How a mapped value is written in the editor: ``$.userId``, a template, a fixed value."""
    if isinstance(value, dict) and len(value) == 1:
        ((directive, arg),) = value.items()
        if directive == "@path" and isinstance(arg, str):
            return arg
        if directive in ("@template", "@liquid") and isinstance(arg, str):
            return arg if len(arg) <= 40 else arg[:37] + "…"
        return f"{with_article(directive)} expression"
    if isinstance(value, str):
        return f"the fixed value “{value}”"
    return "the mapped value"


def show(value: Any) -> str:
    """A value as it appears in the event: text in quotes, JSON otherwise."""
    import json

    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}…'"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return "(a value)"
    return text if len(text) <= 60 else text[:57] + "…"
