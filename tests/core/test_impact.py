"""The pure half of impact runs: counts, reasons, budget share, before/after sentences, CSV."""

from __future__ import annotations

import csv
import io

from pipedrive_gui.core.impact import (
    CallInfo,
    EventRun,
    ImpactReport,
    MappingRef,
    compare,
    csv_text,
    daily_budget,
    detail_text,
    plan_for_burst_limit,
    reason_key,
    summarize,
)

REFS = [MappingRef("p", "People", "createUpdatePerson"), MappingRef("d", "Deals", "createUpdateDeal")]


def _run(
    i: int, mapping: str, outcome: str, record: int | None = None, reason: str | None = None
) -> EventRun:
    name = {"p": "People", "d": "Deals"}[mapping]
    entity = {"p": "person", "d": "deal"}[mapping]
    calls = [
        CallInfo("GET", "/api/v2/itemSearch/field", "look up", "lookup", 20),
        CallInfo("PATCH", "/api/v2/persons/1", "update", "write", 5),
    ]
    return EventRun(
        i,
        f"m{i}",
        mapping,
        name,
        "x",
        entity,
        outcome,
        f"Would {outcome}",
        record,
        reason=reason,
        calls=calls if outcome != "fail" else calls[:1],
        payload={"name": "Ada"},
    )


def _report(runs: list[EventRun], events: int = 4) -> ImpactReport:
    return ImpactReport(events, runs, summarize(runs, REFS, events), [])


def test_summaries_count_outcomes_not_triggered_calls_and_top_reasons() -> None:
    runs = [
        _run(1, "p", "create", -1),
        _run(2, "p", "update", 7),
        _run(
            3,
            "d",
            "fail",
            reason="No related organization or person, unable to create deal! "
            "(no person where Segment user ID = u-1 exists in Pipedrive)",
        ),
        _run(
            4,
            "d",
            "fail",
            reason="No related organization or person, unable to create deal! "
            "(no person where Segment user ID = u-22 exists in Pipedrive)",
        ),
    ]
    report = _report(runs)
    people, deals = report.summaries
    assert (people.update, people.create, people.fail, people.not_triggered) == (1, 1, 0, 2)
    assert (deals.fail, deals.not_triggered) == (2, 2)
    assert deals.fail_reasons == [
        (
            "No related organization or person, unable to create deal! "
            "(no person where Segment user ID = … exists in Pipedrive)",
            2,
        )
    ]
    assert people.api_calls == 4 and people.tokens == 50
    assert report.counts()["People"] == {"update": 1, "create": 1, "fail": 0, "not_triggered": 2}


def test_reason_key_groups_reasons_that_differ_only_by_values() -> None:
    a = reason_key("Would fail: There is no activity with ID 12 in Pipedrive.")
    assert a == reason_key("Failed: There is no activity with ID 9031 in Pipedrive.")
    assert reason_key("Title 'A' is too long") == reason_key("Title 'Bee' is too long")
    text = "Segment would reject this event's payload: The root value is missing the required field 'title'."
    assert (
        reason_key(text) == "Segment would reject this event's payload: The root value is missing the "
        "required field '…'."
    )
    # The punctuation after a value stays where it was.
    assert (
        reason_key("Could not look up person where Plan = user-1: Pipedrive refused the data.")
        == "Could not look up person where Plan = …: Pipedrive refused the data."
    )


def test_failure_texts_never_end_in_a_doubled_full_stop() -> None:
    """A value elided at the end of a sentence ran into its full stop: "field …." in the top
    reasons (the CLI's "fail x…", the window's Top failures) and in the before/after sentences."""
    reasons = [
        "Segment would reject this event's payload: The root value is missing the required field 'title'.",
        "There is no deal with ID 4031.",
        "Could not look up deal where Deal ID = 77. Pipedrive said: “Not found”. Fix the mapped value.",
    ]
    after = _report([_run(i, "d", "fail", reason=r) for i, r in enumerate(reasons, 1)], events=3)
    texts = [r for r, _ in after.summaries[1].fail_reasons]
    for reason in reasons:  # a group of changes names the reason of its first event
        before = _report([_run(1, "d", "create", -1)], events=1)
        texts += [c.sentence() for c in compare(before, _report([_run(1, "d", "fail", reason=reason)], 1))]
    assert len(texts) == 6
    for text in texts:
        assert "…." not in text and ".." not in text, text
    assert "There is no deal with ID …" in texts
    assert "1 event that created a new deal would now fail (There is no deal with ID …) (Deals)" in texts


def test_daily_budget_and_share_at_n_events_a_day() -> None:
    assert daily_budget("lite") == 30_000 and daily_budget("Growth", 3) == 180_000
    assert daily_budget("ultimate") == 210_000
    assert plan_for_burst_limit(40) == "growth" and plan_for_burst_limit(33) is None
    report = _report([_run(1, "p", "create"), _run(2, "p", "update")], events=2)  # 25 tokens each
    share = report.budget("growth", 1000)
    assert share.tokens_per_event == 25 and share.tokens_per_day == 25_000 and share.daily_budget == 60_000
    assert abs(share.share - 25_000 / 60_000) < 1e-9
    assert "41.7% of the Growth plan's 60,000 tokens a day" in share.sentence()
    assert report.to_json(plan="growth", events_per_day=1000)["budget"]["tokens_per_day"] == 25_000


def test_compare_groups_changes_into_sentences() -> None:
    before = _report(
        [
            _run(1, "p", "update", 12),
            _run(2, "p", "update", 13),
            _run(3, "p", "update", 12),
            _run(4, "d", "create", -1),
        ]
    )
    after = _report(
        [
            _run(1, "p", "create", -1),
            _run(2, "p", "create", -2),
            _run(3, "p", "update", 12),
            _run(4, "d", "fail", reason="There is no deal with ID 4"),
        ]
    )
    changes = compare(before, after)
    assert [c.sentence() for c in changes] == [
        "2 events that updated person #12, #13 would now create a new person (People)",
        "1 event that created a new deal would now fail (There is no deal with ID …) (Deals)",
    ]
    assert changes[0].events == [1, 2]
    # A mapping that stops firing is a change too; an identical run is not.
    assert (
        compare(before, _report(before.runs[:3]))[0].sentence()
        == "1 event that created a new deal would now not trigger it (Deals)"
    )
    assert compare(before, before) == []


def test_csv_and_detail() -> None:
    runs = [_run(1, "p", "create", -1), _run(2, "p", "update", 7)]
    rows = list(csv.reader(io.StringIO(csv_text(runs))))
    assert rows[0][:5] == ["event", "message_id", "mapping", "action", "outcome"]
    assert rows[1][4:6] == ["create", "new person"] and rows[2][5] == "person #7"
    text = detail_text(runs[1])
    assert "Calls (2 API calls, 25 tokens)" in text and '"name": "Ada"' in text


def test_before_after_sentences_put_an_before_a_vowel() -> None:
    """A record the batch created earlier has no number to show: the sentence names its kind, with
    the article that kind takes ("updated a organization" read wrong)."""

    def sentence(entity: str, before: str, after: str) -> str:
        refs = [MappingRef("o", "Orgs", "x")]
        old, new = [_changed(1, entity, before)], [_changed(1, entity, after)]
        change = compare(
            ImpactReport(1, old, summarize(old, refs, 1), []),
            ImpactReport(1, new, summarize(new, refs, 1), []),
        )
        return change[0].sentence()

    assert sentence("organization", "update", "create") == (
        "1 event that updated an organization created earlier in the batch would now create a new "
        "organization (Orgs)"
    )
    assert sentence("activity", "create", "update") == (
        "1 event that created a new activity would now update an activity created earlier in the batch (Orgs)"
    )
    assert sentence("person", "update", "fail").startswith(
        "1 event that updated a person created earlier in the batch would now fail"
    )


def _changed(i: int, entity: str, outcome: str) -> EventRun:
    # An update of a record this batch created: its id is the batch's placeholder (negative).
    return EventRun(i, f"m{i}", "o", "Orgs", "x", entity, outcome, f"Would {outcome}", -1, reason="No.")


def test_reason_key_keeps_what_pipedrive_said() -> None:
    """Pipedrive's explanation is what the user needs to read; only the event's values are elided."""
    said = (
        "Pipedrive said: “Validation failed: field: custom fields of type enum cannot be searched "
        "(searchable types: address, double, phone, text, varchar, varchar_auto)”."
    )
    keys = {
        reason_key(
            f"Would fail: Could not look up person where Plan = {v}: Pipedrive refused the data. {said}"
        )
        for v in ("pro", "free")
    }
    assert keys == {f"Could not look up person where Plan = …: Pipedrive refused the data. {said}"}
    # A value Pipedrive quotes, and an email anywhere, are the event's: elided.
    assert reason_key(
        "Could not look up person where Email = ada@example.com. Pipedrive said: “id: must be an integer, "
        "got 'ada@example.com'”. Also tried bo@example.org"
    ) == (
        "Could not look up person where Email = … Pipedrive said: “id: must be an integer, got '…'”. "
        "Also tried …"
    )
