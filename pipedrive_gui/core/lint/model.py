"""What the linter reports, and the plain data it is given.

A :class:`Finding` is data, not text on a widget: a rule id, a severity, the message in the user's
words (Segment and Pipedrive vocabulary), the fix, and the place it points at (the mapping by id and
name, the action field, the custom field). The command line prints it, the GUI lists it and shows it
beside the field, and a later "impact run" can reuse the same shape.

Rules that need the account's Pipedrive fields get them as :class:`FieldFacts` (plain frozen data,
built outside ``core`` from the field catalog, see ``pipedrive/lint_fields.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

#: Sources of events the linter looks at.
EventSource = Literal["sample", "captured", "current"]


@dataclass(frozen=True)
class Finding:
    """One problem (or fact worth knowing) about a project.

    ``mapping_id`` is ``""`` for the destination as a whole (e.g. Segment's mapping limit);
    ``field`` is the action field's key (``match_field``, ``custom_fields``...) or ``""``;
    ``custom_field`` the custom field's key under ``custom_fields`` (its label is in
    ``field_label``); ``events`` names the sample or captured events that show the problem.
    """

    rule: str
    severity: Severity
    message: str
    fix: str
    mapping_id: str = ""
    mapping_name: str = ""
    field: str = ""
    field_label: str = ""
    custom_field: str = ""
    events: tuple[str, ...] = ()

    @property
    def place(self) -> str:
        """Where, in words: ``“People” › Match field`` or ``Destination``."""
        where = f"“{self.mapping_name}”" if self.mapping_id else "Destination"
        if self.field_label:
            where += f" › {self.field_label}"
        return where

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping_name if self.mapping_id else None,
            "mapping_id": self.mapping_id or None,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "field": self.field or None,
            "field_label": self.field_label or None,
            "custom_field": self.custom_field or None,
            "events": list(self.events),
        }


@dataclass(frozen=True)
class RuleInfo:
    """A rule's identity: id, severity, one-line title, and what it needs to run."""

    id: str
    severity: Severity
    title: str
    needs_fields: bool = False
    needs_events: bool = False


@dataclass(frozen=True)
class LintEvent:
    """An event the rules look at: a project sample, a captured event, or the one on screen."""

    name: str
    event: Mapping[str, Any]
    source: EventSource = "sample"


@dataclass(frozen=True)
class FieldFact:
    """What the linter needs to know about one Pipedrive field (from the account's field list).

    ``options`` are (option id, label) pairs of single/multiple option fields; ``searchable`` says
    whether the field can identify a record (match field), ``not_searchable_reason`` why not.
    """

    entity: str
    key: str
    label: str
    field_type: str
    options: tuple[tuple[int | str, str], ...] = ()
    is_custom: bool = False
    searchable: bool = False
    not_searchable_reason: str | None = None


@dataclass(frozen=True)
class FieldFacts:
    """The account's fields per entity (``person``, ``organization``, ``deal``...).

    An entity missing from ``by_entity`` is unknown (its fields could not be fetched): rules say
    nothing about its fields rather than call them unknown.
    """

    by_entity: Mapping[str, Mapping[str, FieldFact]]
    source: str = ""  # where they come from, for messages ("acme.pipedrive.com", "the sandbox")

    @classmethod
    def from_facts(
        cls, facts: Iterable[FieldFact], *, entities: Iterable[str] = (), source: str = ""
    ) -> FieldFacts:
        by: dict[str, dict[str, FieldFact]] = {e: {} for e in entities}
        for fact in facts:
            by.setdefault(fact.entity, {})[fact.key] = fact
        return cls(by, source)

    def knows(self, entity: str) -> bool:
        return entity in self.by_entity

    def get(self, entity: str, key: str) -> FieldFact | None:
        return self.by_entity.get(entity, {}).get(key)


@dataclass(frozen=True)
class Skipped:
    """A rule that did not run, and why (no fields, no events)."""

    rule: str
    reason: str


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    events_checked: int = 0

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def for_mapping(self, mapping_id: str) -> list[Finding]:
        return [f for f in self.findings if f.mapping_id == mapping_id]

    def marks(self) -> dict[str, tuple[str, int]]:
        """Per mapping id: its worst severity and how many findings it has (the marks beside the
        mappings in the list). Findings about the destination as a whole are not in it."""
        out: dict[str, tuple[str, int]] = {}
        for f in self.findings:
            if f.mapping_id:
                worst, n = out.get(f.mapping_id, (f.severity, 0))
                out[f.mapping_id] = (min(worst, f.severity, key=SEVERITY_RANK.__getitem__), n + 1)
        return out

    def worst_for(self, mapping_id: str) -> Severity | None:
        worst: Severity | None = None
        for f in self.findings:
            if f.mapping_id == mapping_id and (
                worst is None or SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst]
            ):
                worst = f.severity
        return worst
