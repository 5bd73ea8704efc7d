"""What a set of events would do: the pure half of an impact run (no I/O).

The runner (``pipedrive_gui.pipedrive.impact``) looks records up and simulates every event through
the planner; this module turns its per-event results into what the user reads:

- per mapping: how many events would **update**, **create**, **fail** (with the top reasons) or
  not trigger, and what that costs in Pipedrive API calls and tokens;
- records the batch itself would create and then touch again (the same match value reached by two
  events, or by two mappings): this app's engine updates what it created a moment earlier, but
  Segment delivers events in parallel and Pipedrive's search lags behind writes, so in production
  these are where duplicates appear;
- the share of the company's daily token budget at N events a day (docs/pipedrive-api.md#rate-limits);
- before/after: the events whose outcome changes between two projects, grouped into sentences
  ("12 events that updated person #… would now create a new person").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pipedrive_gui.core.wording import with_article

UPDATE, CREATE, FAIL, NOT_TRIGGERED = "update", "create", "fail", "not_triggered"
OUTCOMES = (UPDATE, CREATE, FAIL, NOT_TRIGGERED)

#: Daily token budget per seat = 30,000 × the plan's multiplier (docs/pipedrive-api.md#rate-limits).
BUDGET_PER_SEAT = 30_000
PLAN_MULTIPLIERS = {"lite": 1, "growth": 2, "premium": 5, "ultimate": 7}
#: API-token burst limit (requests / 2 s) → plan, to tell the plan from ``x-ratelimit-limit``.
BURST_TO_PLAN = {20: "lite", 40: "growth", 100: "premium", 120: "ultimate"}
TOP_REASONS = 5


def plan_for_burst_limit(limit: int | None) -> str | None:
    """The plan whose API-token burst limit is ``limit`` (Pipedrive's ``x-ratelimit-limit``)."""
    return BURST_TO_PLAN.get(limit) if limit is not None else None


def daily_budget(plan: str, seats: int = 1) -> int:
    """30,000 × plan multiplier × seats (top-ups not counted)."""
    return BUDGET_PER_SEAT * PLAN_MULTIPLIERS.get(plan.lower(), 1) * max(1, seats)


@dataclass
class CallInfo:
    """One call a run would make (or a lookup answered without one)."""

    method: str
    path: str
    purpose: str
    kind: str  # "lookup" / "write"
    tokens: int
    #: "call" (sent to Pipedrive), "cache" (this app remembers the answer), "none" (no call possible)
    how: str = "call"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EventRun:
    """One mapping on one event: what it would do."""

    event_index: int  # 1-based position in the batch
    message_id: str
    mapping_id: str
    mapping: str
    action: str
    entity: str
    outcome: str  # update / create / fail
    message: str  # "Would update person #12 'Jane'" / "Would create deal 'X'" / "Would fail: …"
    record_id: int | str | None = None
    #: The record this batch creates first and then touches again ("person Segment user ID = u-1").
    batch_record: str | None = None
    #: Whether the record updated was created earlier in this batch.
    updates_batch_record: bool = False
    reason: str | None = None
    calls: list[CallInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    payload: dict[str, Any] | None = None
    segment_calls: int = 0
    segment_tokens: int = 0

    @property
    def api_calls(self) -> int:
        return sum(1 for c in self.calls if c.how == "call")

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls if c.how == "call")

    @property
    def key(self) -> tuple[int, str]:
        return (self.event_index, self.mapping_id)

    def subject(self) -> str:
        """ "person #12" / "new person" (created in this batch) / "person"."""
        if isinstance(self.record_id, int) and self.record_id < 0:
            return f"new {self.entity}"
        if self.record_id is not None:
            return f"{self.entity} #{self.record_id}"
        return self.entity

    def to_dict(self, *, with_payload: bool = False) -> dict[str, Any]:
        out = {
            "event": self.event_index,
            "message_id": self.message_id,
            "mapping": self.mapping,
            "mapping_id": self.mapping_id,
            "action": self.action,
            "entity": self.entity,
            "outcome": self.outcome,
            "message": self.message,
            "record_id": self.record_id
            if not (isinstance(self.record_id, int) and self.record_id < 0)
            else None,
            "batch_record": self.batch_record,
            "updates_batch_record": self.updates_batch_record,
            "reason": self.reason,
            "api_calls": self.api_calls,
            "tokens": self.tokens,
            "segment_calls": self.segment_calls,
            "segment_tokens": self.segment_tokens,
            "warnings": list(self.warnings),
            "calls": [c.to_dict() for c in self.calls],
        }
        if with_payload:
            out["payload"] = self.payload
        return out


@dataclass
class MappingSummary:
    mapping: str
    mapping_id: str
    action: str
    update: int = 0
    create: int = 0
    fail: int = 0
    not_triggered: int = 0
    fail_reasons: list[tuple[str, int]] = field(default_factory=list)
    api_calls: int = 0
    tokens: int = 0
    segment_calls: int = 0
    segment_tokens: int = 0
    #: Creates of a record that another event (or mapping) of the batch then touches again.
    batch_duplicates: int = 0
    trigger_error: str | None = None

    @property
    def triggered(self) -> int:
        return self.update + self.create + self.fail

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fail_reasons"] = [{"reason": r, "count": n} for r, n in self.fail_reasons]
        return out


@dataclass
class BatchRecord:
    """A record the batch creates and then reaches again (by a later event or another mapping)."""

    entity: str
    describe: str  # "person where Segment user ID = user-00012"
    created_by: tuple[int, str]  # (event index, mapping name)
    touched_by: list[tuple[int, str]] = field(default_factory=list)

    @property
    def mappings(self) -> list[str]:
        names = [self.created_by[1]] + [m for _, m in self.touched_by]
        return list(dict.fromkeys(names))

    @property
    def cross_mapping(self) -> bool:
        return len(self.mappings) > 1

    def sentence(self) -> str:
        others = len(self.touched_by)
        text = (
            f"{self.describe}: created by event {self.created_by[0]} ({self.created_by[1]}), then reached "
            f"again by {others} more event{'s' if others != 1 else ''}"
        )
        if self.cross_mapping:
            text += f" — {len(self.mappings)} mappings write it ({', '.join(self.mappings)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "record": self.describe,
            "created_by_event": self.created_by[0],
            "created_by_mapping": self.created_by[1],
            "touched_by": [list(t) for t in self.touched_by],
            "mappings": self.mappings,
            "cross_mapping": self.cross_mapping,
        }


@dataclass
class BudgetShare:
    plan: str
    seats: int
    daily_budget: int
    events_per_day: int
    tokens_per_event: float
    tokens_per_day: float
    share: float  # of the daily budget, 0.0-…
    calls_per_event: float

    def sentence(self) -> str:
        return (
            f"At {self.events_per_day:,} events a day: about {self.tokens_per_day:,.0f} tokens "
            f"({self.share:.1%} of the {self.plan.capitalize()} plan's {self.daily_budget:,} tokens a day"
            f"{f' for {self.seats} seats' if self.seats > 1 else ''})."
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImpactReport:
    events: int
    runs: list[EventRun]
    summaries: list[MappingSummary]
    batch_records: list[BatchRecord]
    #: Distinct match values looked up in Pipedrive (each once) and what those lookups cost.
    lookups: int = 0
    lookup_tokens: int = 0
    #: Events that fire no enabled mapping.
    events_without_mapping: int = 0
    source: str = ""
    project: str = ""

    @property
    def api_calls(self) -> int:
        return sum(s.api_calls for s in self.summaries)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.summaries)

    def counts(self) -> dict[str, dict[str, int]]:
        return {s.mapping: {o: getattr(s, o) for o in OUTCOMES} for s in self.summaries}

    def budget(self, plan: str, events_per_day: int, seats: int = 1) -> BudgetShare:
        per_event = self.tokens / self.events if self.events else 0.0
        calls = self.api_calls / self.events if self.events else 0.0
        budget = daily_budget(plan, seats)
        per_day = per_event * events_per_day
        return BudgetShare(
            plan.lower(),
            max(1, seats),
            budget,
            events_per_day,
            per_event,
            per_day,
            per_day / budget if budget else 0.0,
            calls,
        )

    def to_json(
        self, *, plan: str | None = None, events_per_day: int | None = None, seats: int = 1
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "project": self.project,
            "events": self.events,
            "events_without_mapping": self.events_without_mapping,
            "lookups": self.lookups,
            "lookup_tokens": self.lookup_tokens,
            "api_calls": self.api_calls,
            "tokens": self.tokens,
            "mappings": [s.to_dict() for s in self.summaries],
            "batch_records": [b.to_dict() for b in self.batch_records],
        }
        if plan and events_per_day:
            out["budget"] = self.budget(plan, events_per_day, seats).to_dict()
        return out


# -- aggregation ---------------------------------------------------------------------------------

#: A quoted value: the opening quote starts a word (so "event's" is not one), the closing ends one.
_QUOTED = re.compile(r"(?<!\w)[\"“'‘][^\"”'’]*[\"”'’](?!\w)")
#: The value after "=", up to the punctuation that ends it ("= user-1: Pipedrive…" keeps its colon).
_AFTER_EQUALS = re.compile(r"(=\s*)[^\s;,)]+?(?=[.:]*(?:[\s;,)]|$))")
_NUMBER = re.compile(r"#?\b\d+\b")
#: An email address, quoted or not (a match value, or one Pipedrive repeats).
_EMAIL = re.compile(r"[^\s@“”\"'‘’()]+@[^\s@“”\"'‘’()]+\.\w+")
_ELLIPSIS_STOP = re.compile(r"…\.(?!\.)")
#: Pipedrive's (or Segment's) own explanation, as pipedrive/errors.py quotes it: “…”.
_SAID = re.compile(r"((?:Pipedrive|Segment) said: )“([^”]*)”")
_KEPT = "\ue000"  # stands in for an explanation while the values around it are elided


def _elide_quoted(text: str) -> str:
    # A quoted value keeps its quotes: "the required field '…'." shows a name was there.
    return _QUOTED.sub(lambda m: f"{m.group(0)[0]}…{m.group(0)[-1]}", text)


def reason_key(reason: str) -> str:
    """Group failure reasons that differ only by the values in them: each value becomes "…".

    What Pipedrive said (“custom fields of type enum cannot be searched”) is kept: it is the
    explanation the user needs, not a value of one event. Only the values it quotes and email
    addresses are elided in it; its numbers are Pipedrive's limits ("at least 2 characters")."""
    text = reason.removeprefix("Would fail: ").removeprefix("Failed: ")
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        kept.append(_EMAIL.sub("…", _elide_quoted(m.group(2))))
        return m.group(1) + _KEPT

    text = _SAID.sub(keep, text.replace(_KEPT, ""))
    text = _elide_quoted(text)
    text = _EMAIL.sub("…", text)
    text = _AFTER_EQUALS.sub(r"\1…", text)
    text = _NUMBER.sub("…", text)
    said = iter(kept)
    text = re.sub(_KEPT, lambda _: f"“{next(said)}”", text)
    # A value that ended a sentence: the "…" ends it; "…" plus the full stop reads as a doubled one.
    return _ELLIPSIS_STOP.sub("…", text).strip()


@dataclass(frozen=True)
class MappingRef:
    id: str
    name: str
    action: str
    trigger_error: str | None = None


def summarize(
    runs: Sequence[EventRun],
    mappings: Sequence[MappingRef],
    events: int,
    batch_records: Sequence[BatchRecord] = (),
) -> list[MappingSummary]:
    """Per-mapping counts; a mapping that did not run on an event counts as not triggered there."""
    out = []
    by_mapping: dict[str, list[EventRun]] = {}
    for run in runs:
        by_mapping.setdefault(run.mapping_id, []).append(run)
    dup_creates: Counter[str] = Counter()
    for rec in batch_records:
        dup_creates[rec.created_by[1]] += 1
    for ref in mappings:
        mine = by_mapping.get(ref.id, [])
        s = MappingSummary(ref.name, ref.id, ref.action, trigger_error=ref.trigger_error)
        reasons: Counter[str] = Counter()
        for run in mine:
            if run.outcome == UPDATE:
                s.update += 1
            elif run.outcome == CREATE:
                s.create += 1
            else:
                s.fail += 1
                reasons[reason_key(run.reason or run.message)] += 1
            s.api_calls += run.api_calls
            s.tokens += run.tokens
            s.segment_calls += run.segment_calls
            s.segment_tokens += run.segment_tokens
        s.not_triggered = events - len(mine)
        s.fail_reasons = reasons.most_common(TOP_REASONS)
        s.batch_duplicates = dup_creates.get(ref.name, 0)
        out.append(s)
    return out


# -- before / after --------------------------------------------------------------------------------


@dataclass
class OutcomeChange:
    """A group of events whose outcome for one mapping changes the same way."""

    mapping: str
    before: str  # outcome
    after: str
    entity: str
    events: list[int]
    before_records: list[Any] = field(default_factory=list)
    after_records: list[Any] = field(default_factory=list)
    example_reason: str | None = None

    def sentence(self) -> str:
        n = len(self.events)
        what = f"{n} event{'s' if n != 1 else ''}"
        return (
            f"{what} that {_past(self.before, self.entity, self.before_records)} would now "
            f"{_future(self.after, self.entity, self.after_records, self.example_reason)} ({self.mapping})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping,
            "before": self.before,
            "after": self.after,
            "entity": self.entity,
            "events": list(self.events),
            "count": len(self.events),
            "sentence": self.sentence(),
        }


def _records(records: list[Any]) -> str:
    real = [r for r in dict.fromkeys(records) if r is not None and not (isinstance(r, int) and r < 0)]
    if not real:
        return ""
    shown = ", ".join(f"#{r}" for r in real[:3])
    return f" {shown}" + (f" (+{len(real) - 3} more)" if len(real) > 3 else "")


def _past(outcome: str, entity: str, records: list[Any]) -> str:
    if outcome == UPDATE:
        recs = _records(records)
        return (
            f"updated {entity}{recs}"
            if recs
            else f"updated {with_article(entity)} created earlier in the batch"
        )
    if outcome == CREATE:
        return f"created a new {entity}"
    if outcome == FAIL:
        return "failed"
    return "did not trigger this mapping"


def _future(outcome: str, entity: str, records: list[Any], reason: str | None) -> str:
    if outcome == UPDATE:
        recs = _records(records)
        return (
            f"update {entity}{recs}"
            if recs
            else f"update {with_article(entity)} created earlier in the batch"
        )
    if outcome == CREATE:
        return f"create a new {entity}"
    if outcome == FAIL:
        return "fail" + (f" ({reason_key(reason)})" if reason else "")
    return "not trigger it"


def _signature(run: EventRun | None) -> tuple[str, Any]:
    if run is None:
        return (NOT_TRIGGERED, None)
    if run.outcome == FAIL:
        return (FAIL, reason_key(run.reason or run.message))
    target = run.record_id if not (isinstance(run.record_id, int) and run.record_id < 0) else run.batch_record
    return (run.outcome, target if run.outcome == UPDATE else None)


def compare(before: ImpactReport, after: ImpactReport) -> list[OutcomeChange]:
    """Events whose outcome for a mapping differs between ``before`` and ``after`` (same events).

    Mappings are matched by id (a renamed mapping is the same mapping); an update of a different
    record counts as a change too."""
    old = {r.key: r for r in before.runs}
    new = {r.key: r for r in after.runs}
    names = {s.mapping_id: s.mapping for s in before.summaries}
    names.update({s.mapping_id: s.mapping for s in after.summaries})
    groups: dict[tuple[str, str, str, str], OutcomeChange] = {}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if _signature(a) == _signature(b):
            continue
        before_outcome = a.outcome if a else NOT_TRIGGERED
        after_outcome = b.outcome if b else NOT_TRIGGERED
        either = b if b is not None else a
        entity = either.entity if either is not None else ""
        gkey = (key[1], before_outcome, after_outcome, entity)
        if gkey not in groups:
            groups[gkey] = OutcomeChange(names.get(key[1], key[1]), before_outcome, after_outcome, entity, [])
        g = groups[gkey]
        g.events.append(key[0])
        if a is not None:
            g.before_records.append(a.record_id)
        if b is not None:
            g.after_records.append(b.record_id)
            if b.outcome == FAIL and g.example_reason is None:
                g.example_reason = b.reason or b.message
    return sorted(groups.values(), key=lambda g: (-len(g.events), g.mapping))


# -- export ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "event",
    "message_id",
    "mapping",
    "action",
    "outcome",
    "record",
    "message",
    "api_calls",
    "tokens",
    "batch_record",
    "reason",
)


def csv_text(runs: Iterable[EventRun]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in runs:
        writer.writerow(
            [
                r.event_index,
                r.message_id,
                r.mapping,
                r.action,
                r.outcome,
                r.subject(),
                r.message,
                r.api_calls,
                r.tokens,
                r.batch_record or "",
                r.reason or "",
            ]
        )
    return buf.getvalue()


def detail_text(run: EventRun) -> str:
    """The payload, the calls and the result of one run, as plain text for the detail view."""
    lines = [
        f"Event {run.event_index} ({run.message_id or 'no messageId'}) — {run.mapping}",
        f"Result: {run.message}",
    ]
    if run.batch_record:
        lines.append(f"Batch: {run.batch_record}")
    for w in run.warnings:
        lines.append(f"Note: {w}")
    lines.append("")
    lines.append(f"Calls ({run.api_calls} API call{'s' if run.api_calls != 1 else ''}, {run.tokens} tokens):")
    for i, c in enumerate(run.calls, 1):
        how = {"call": f"{c.tokens} tokens", "cache": "remembered, no call", "none": "no call"}.get(
            c.how, c.how
        )
        lines.append(f"  {i}. {c.method} {c.path} — {c.purpose} [{how}]")
    if not run.calls:
        lines.append("  (none)")
    lines.append("")
    lines.append("Payload (as Segment computes it):")
    lines.append(
        json.dumps(run.payload, indent=2, ensure_ascii=False) if run.payload is not None else "  (none)"
    )
    return "\n".join(lines)


def counts_line(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts.get(o, 0)} {o.replace('_', ' ')}" for o in OUTCOMES)
