"""The linter's rules: each one fires on a project/event made to trip it, and stays quiet on one
that does not. Pure: the account's fields are given as plain data."""

from __future__ import annotations

from typing import Any

import pytest

from pipedrive_gui.core.lint import (
    NO_EVENTS,
    NO_FIELDS,
    RULES,
    FieldFact,
    FieldFacts,
    Finding,
    LintEvent,
    LintReport,
    lint_project,
)
from pipedrive_gui.core.project import DestinationDefaults, Mapping, Project, SampleEvent

SEGMENT_USER_ID = "52d19da55d7099e586a31be618830bcd5c239d54"
PLAN = "6a0126a15894687c771822a02954494f350d2f5e"
LTV = "1924676a305ba82f358ceb58630f9b5c4ef91f3e"
SCORE = "bb528bfcd8fe8d563d06f31606db33cee39c9fd9"
SIGNUP = "d1a68c39c3625323a5504750132917ed07349573"
INTERESTS = "026d222d4a614a1589da403db5e26edc1077b364"
GROUP_ID = "d4dfe30411effdb15017a7c96e7721cb9adbfa72"
DEAL_ID = "36a55f412247e226b1ecb70efcaf0daeed656961"

NOT_SEARCHABLE = (
    "Pipedrive can only search custom fields of these types: Text, … “Plan” is a Single option field."
)
FACTS = FieldFacts.from_facts(
    [
        FieldFact("person", "id", "ID", "int", searchable=True),
        FieldFact("person", "name", "Name", "varchar", searchable=True),
        FieldFact("person", "email", "Email", "varchar", searchable=True),
        FieldFact("person", SEGMENT_USER_ID, "Segment user ID", "varchar", is_custom=True, searchable=True),
        FieldFact(
            "person",
            PLAN,
            "Plan",
            "enum",
            ((101, "Free"), (102, "Pro"), (103, "Enterprise")),
            is_custom=True,
            searchable=False,
            not_searchable_reason=NOT_SEARCHABLE,
        ),
        FieldFact("person", LTV, "Lifetime value", "monetary", is_custom=True, searchable=True),
        FieldFact("person", SCORE, "Lead score", "double", is_custom=True, searchable=True),
        FieldFact("person", SIGNUP, "Signup date", "date", is_custom=True),
        FieldFact(
            "person", INTERESTS, "Interests", "set", ((104, "Analytics"), (105, "CRM")), is_custom=True
        ),
        FieldFact("organization", "id", "ID", "int", searchable=True),
        FieldFact("organization", GROUP_ID, "Segment group ID", "varchar", is_custom=True, searchable=True),
        FieldFact("deal", "id", "ID", "int", searchable=True),
        FieldFact("deal", DEAL_ID, "Segment deal ID", "varchar", is_custom=True, searchable=True),
    ],
    entities=("person", "organization", "deal", "lead", "activity", "note"),
)

IDENTIFY = 'type = "identify"'
DEAL_TRIGGER = 'type = "track" and event = "Deal Upserted"'


def mapping(
    action: str = "createUpdatePerson",
    trigger: str = IDENTIFY,
    *,
    label: str = "",
    enabled: bool = True,
    mid: str = "",
    **settings: Any,
) -> Mapping:
    return Mapping(mid or f"m-{action}-{label}", label or action, action, trigger, enabled, settings)


def person(**settings: Any) -> Mapping:
    base: dict[str, Any] = {
        "match_field": SEGMENT_USER_ID,
        "match_value": {"@path": "$.userId"},
        "name": {"@path": "$.traits.name"},
    }
    base.update(settings)
    return mapping("createUpdatePerson", **base)


def deal(**settings: Any) -> Mapping:
    base: dict[str, Any] = {
        "deal_match_field": DEAL_ID,
        "deal_match_value": {"@path": "$.properties.deal_id"},
        "person_match_field": SEGMENT_USER_ID,
        "person_match_value": {"@path": "$.userId"},
        "title": {"@path": "$.properties.title"},
    }
    base.update(settings)
    return mapping("createUpdateDeal", DEAL_TRIGGER, **base)


def identify(name: str = "identify", user: str | None = "user-1", **traits: Any) -> SampleEvent:
    event: dict[str, Any] = {"type": "identify", "traits": {"name": "Maria", **traits}}
    if user is not None:
        event["userId"] = user
    return SampleEvent(name, event)


def deal_event(name: str = "deal", **props: Any) -> SampleEvent:
    return SampleEvent(
        name,
        {
            "type": "track",
            "event": "Deal Upserted",
            "userId": "user-1",
            "properties": {"deal_id": "d-1", "title": "Robots", **props},
        },
    )


def project(*mappings: Mapping, samples: tuple[SampleEvent, ...] = (), **dest: str) -> Project:
    return Project(destination=DestinationDefaults(**dest), mappings=list(mappings), samples=list(samples))


def run(p: Project, rule: str, *, fields: FieldFacts | None = FACTS) -> list[Finding]:
    report = lint_project(p, None, fields, rules=[rule])
    assert rule not in {s.rule for s in report.skipped}
    return [f for f in report.findings if f.rule == rule]


TESTED: set[str] = set()


def covers(rule: str) -> str:
    TESTED.add(rule)
    return rule


# -- match traps ----------------------------------------------------------------------------------


def test_match_field_unknown() -> None:
    rule = covers("match-field-unknown")
    [f] = run(project(person(match_field="f" * 40), samples=(identify(),)), rule)
    assert f.severity == "error" and f.field == "match_field" and f.mapping_name == "createUpdatePerson"
    assert "every event would create a new person" in f.message
    assert run(project(person(), samples=(identify(),)), rule) == []
    # Fields of an entity that could not be fetched are not called unknown.
    only_orgs = FieldFacts.from_facts([], entities=("organization",))
    assert run(project(person(match_field="f" * 40)), rule, fields=only_orgs) == []


def test_match_field_not_searchable_also_from_the_destination_default() -> None:
    rule = covers("match-field-not-searchable")
    [f] = run(project(person(match_field=PLAN)), rule)
    assert "“Plan”" in f.message and "Single option" in f.message and f.severity == "error"
    # No match field in the mapping: the destination's default is used (and named).
    m = person()
    del m.settings["match_field"]
    [f] = run(project(m, person_field=PLAN), rule)
    assert "destination's default" in f.message
    # A deal linked by a field Pipedrive cannot search is never linked.
    [f] = run(project(deal(person_match_field=PLAN)), rule)
    assert f.field == "person_match_field" and "never be linked to the person" in f.message
    assert run(project(person(), deal()), rule) == []


def test_match_case_differs() -> None:
    rule = covers("match-case-differs")
    samples = (identify("a", "Maria@Acme.com"), identify("b", "maria@acme.com"))
    [f] = run(project(person(), samples=samples), rule)
    assert f.severity == "warning" and f.field == "match_value" and f.events == ("a", "b")
    assert "'Maria@Acme.com'" in f.message and "case-sensitive" in f.message
    assert run(project(person(), samples=(identify("a", "maria"), identify("b", "maria"))), rule) == []
    # Pipedrive IDs have no case.
    assert (
        run(project(person(match_field="id"), samples=(identify("a", "12"), identify("b", "12"))), rule) == []
    )


def test_match_value_missing() -> None:
    rule = covers("match-value-missing")
    # A deal event without a deal id: Segment creates a new deal every time.
    samples = (
        deal_event("with id"),
        SampleEvent(
            "no id", {"type": "track", "event": "Deal Upserted", "userId": "u", "properties": {"title": "T"}}
        ),
    )
    [f] = run(project(deal(), samples=samples), rule)
    assert f.events == ("no id",) and "creates a new deal" in f.message and f.field == "deal_match_value"
    # A person without the (required) match value: Segment rejects the event.
    [f] = run(project(person(), samples=(identify("anon", None),)), rule)
    assert "rejects these events" in f.message and f.events == ("anon",)
    assert run(project(person(), deal(), samples=(identify(), deal_event())), rule) == []
    # An event the trigger does not fire on does not count.
    m = person()
    m.trigger = 'type = "identify" and userId != null'
    assert run(project(m, samples=(identify("anon", None),)), rule) == []


def test_match_id_not_ids() -> None:
    rule = covers("match-id-not-ids")
    [f] = run(project(person(match_field="id"), samples=(identify("x", "user-1001"),)), rule)
    assert f.severity == "error" and "'user-1001'" in f.message and "not a Pipedrive ID" in f.message
    assert run(project(person(match_field="id"), samples=(identify("x", "1001"),)), rule) == []
    assert run(project(person(), samples=(identify("x", "user-1001"),)), rule) == []


def test_match_value_mismatch() -> None:
    rule = covers("match-value-mismatch")
    # Email matched with the Segment user id: no events needed to see it.
    [f] = run(project(person(match_field="email")), rule, fields=None)
    assert "$.userId" in f.message and f.field == "match_value"
    # Email matched with values that are not email addresses.
    m = person(match_field="email", match_value={"@path": "$.traits.email"})
    [f] = run(project(m, samples=(identify(email="maria at acme"),)), rule)
    assert "'maria at acme'" in f.message and "an email address" in f.message
    assert run(project(m, samples=(identify(email="maria@acme.com"),)), rule) == []
    # A numeric custom field matched with text.
    m = person(match_field=SCORE, match_value={"@path": "$.traits.score"})
    [f] = run(project(m, samples=(identify(score="high"),)), rule)
    assert "numeric field" in f.message
    assert run(project(m, samples=(identify(score="88.5"),)), rule) == []


# -- fan-out ----------------------------------------------------------------------------------------


def test_fanout_same_entity() -> None:
    rule = covers("fanout-same-entity")
    a = mapping("createUpdatePerson", label="A", match_value={"@path": "$.userId"})
    b = mapping(
        "createUpdatePerson",
        'type = "identify" and traits.name != null',
        label="B",
        match_value={"@path": "$.userId"},
    )
    findings = run(project(a, b, samples=(identify("signup"),)), rule)
    assert {f.mapping_name for f in findings} == {"A", "B"} and all(f.events == ("signup",) for f in findings)
    assert "two people" in findings[0].message
    # Same trigger, no events: they fire together whatever comes.
    b.trigger = IDENTIFY
    assert len(run(project(a, b), rule)) == 2
    # A person and a lead on the same identify write different records; a disabled mapping never runs.
    lead = mapping(
        "createUpdateLead",
        label="L",
        person_match_value={"@path": "$.userId"},
        title={"@path": "$.traits.name"},
    )
    assert run(project(a, lead, samples=(identify(),)), rule) == []
    b.enabled = False
    assert run(project(a, b, samples=(identify(),)), rule) == []


def test_link_missing_for_deals_and_leads() -> None:
    rule = covers("link-missing")
    bare = deal()
    del bare.settings["person_match_value"]
    [f] = run(project(bare), rule)
    assert f.severity == "error" and "neither Person match value nor Organization match value" in f.message
    lead = mapping("createUpdateLead", 'type = "track"', title="T")
    [f] = run(project(lead), rule)
    assert "refuses to create a lead" in f.message
    # Mapped, but empty for an event: a warning naming it.
    anon = SampleEvent(
        "anon",
        {
            "type": "track",
            "event": "Deal Upserted",
            "anonymousId": "a",
            "properties": {"deal_id": "d", "title": "T"},
        },
    )
    [f] = run(project(deal(), samples=(anon,)), rule)
    assert f.severity == "warning" and f.events == ("anon",)
    assert run(project(deal(), samples=(deal_event(),)), rule) == []


def test_note_link_missing() -> None:
    rule = covers("note-link-missing")
    note = mapping("createUpdateNote", 'type = "track"', content="Hi")
    [f] = run(project(note), rule)
    assert f.severity == "error" and "none of Lead ID" in f.message
    linked = mapping(
        "createUpdateNote", 'type = "track"', content="Hi", deal_match_value={"@path": "$.properties.deal_id"}
    )
    assert run(project(linked, samples=(deal_event(),)), rule) == []
    [f] = run(project(linked, samples=(SampleEvent("bare", {"type": "track", "event": "x"}),)), rule)
    assert f.severity == "warning" and f.events == ("bare",)


# -- values ---------------------------------------------------------------------------------------


def test_custom_field_unknown() -> None:
    rule = covers("custom-field-unknown")
    [f] = run(project(person(custom_fields={"a" * 40: "x"})), rule)
    assert f.field == "custom_fields" and f.custom_field == "a" * 40 and f.severity == "error"
    assert run(project(person(custom_fields={PLAN: "Pro", "Lead score": 3})), rule) == []  # key or label


def test_custom_value_type() -> None:
    rule = covers("custom-value-type")
    m = person(
        custom_fields={
            PLAN: {"@path": "$.traits.plan"},
            SCORE: {"@path": "$.traits.score"},
            SIGNUP: {"@path": "$.traits.signup"},
        }
    )
    bad = identify("bad", plan="Platinum", score="high", signup="yesterday")
    findings = run(project(m, samples=(bad,)), rule)
    by_field = {f.custom_field: f for f in findings}
    assert set(by_field) == {PLAN, SCORE, SIGNUP}
    assert "'Platinum' is not one of the options (Free, Pro, Enterprise)" in by_field[PLAN].message
    assert by_field[PLAN].field_label == "Custom fields › Plan"
    good = identify("good", plan="pro", score="88,5", signup="2026-11-30")
    assert run(project(m, samples=(good,)), rule) == []


def test_required_empty() -> None:
    rule = covers("required-empty")
    no_title = SampleEvent(
        "untitled", {"type": "track", "event": "Deal Upserted", "userId": "u", "properties": {"deal_id": "d"}}
    )
    [f] = run(project(deal(), samples=(no_title,)), rule)
    assert f.field == "title" and f.events == ("untitled",) and "Title is required" in f.message
    assert run(project(deal(), samples=(deal_event(),)), rule) == []


def test_payload_rejected() -> None:
    rule = covers("payload-rejected")
    m = deal(stage_id={"@path": "$.properties.stage"})
    [f] = run(project(m, samples=(deal_event("odd", stage="first"),)), rule)
    assert f.field == "stage_id" and "must be a number" in f.message
    assert run(project(m, samples=(deal_event("ok", stage=3),)), rule) == []


# -- Segment's limits --------------------------------------------------------------------------------


def test_mapping_name_missing() -> None:
    rule = covers("mapping-name-missing")
    m = person()
    m.name = " "
    assert len(run(project(m), rule)) == 1
    assert run(project(person()), rule) == []


def test_too_many_mappings() -> None:
    rule = covers("too-many-mappings")
    many = [mapping(mid=f"m{i}", label=f"M{i}", enabled=False) for i in range(51)]
    [f] = run(project(*many), rule)
    assert f.mapping_id == "" and f.place == "Destination" and "51 mappings" in f.message
    assert run(project(*many[:50]), rule) == []


def test_trigger_invalid() -> None:
    rule = covers("trigger-invalid")
    broken = person()
    broken.trigger = 'type = "track" and (event = '
    [f] = run(project(broken), rule)
    assert f.field == "trigger" and "not valid FQL" in f.message
    empty = person()
    empty.trigger = ""
    assert "no trigger" in run(project(empty), rule)[0].message
    assert run(project(person()), rule) == []


def test_trigger_ignored_text() -> None:
    rule = covers("trigger-ignored-text")
    m = person()
    m.trigger = 'type = "track" and event = "A" or event = "B"'
    [f] = run(project(m), rule)
    assert "mixed" in f.message and f.severity == "warning"
    assert run(project(person()), rule) == []


def test_too_many_conditions() -> None:
    rule = covers("too-many-conditions")
    m = person()
    m.trigger = 'type = "identify" and userId != null and traits.email != null'
    [f] = run(project(m), rule)
    assert f.severity == "info" and "3 conditions" in f.message
    m.trigger = 'type = "identify" and userId != null'
    assert run(project(m), rule) == []


def test_mapping_invalid() -> None:
    rule = covers("mapping-invalid")
    m = person(name={"@replace": {"pattern": "x" * 11, "value": {"@path": "$.traits.name"}}})
    [f] = run(project(m), rule)
    assert f.field == "name" and "length 10 or less" in f.message
    ok = person(name={"@replace": {"pattern": "x", "value": {"@path": "$.traits.name"}}})
    assert run(project(ok), rule) == []


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{ traits.name }}" + " " * 1000, "limited to 1000 characters"),
        ("{% for x in traits.list %}{{ x }}{% endfor %}", 'tag "for" is disabled'),
        ("{{ traits.tags | sort | join: ',' }}", "“sort” is disabled"),
        ("{{ traits.name ", "not closed"),
    ],
)
def test_liquid_limits(template: str, expected: str) -> None:
    rule = covers("liquid-limits")
    [f] = run(project(person(name={"@liquid": template})), rule)
    assert expected in f.message and f.field == "name"


def test_liquid_limits_quiet_for_a_good_template() -> None:
    ok = person(
        custom_fields={PLAN: {"@liquid": "{% if traits.plan == 'Pro' %}102{% endif %}"}},
        name={"@liquid": "{{ traits.name | downcase }}"},
    )
    assert run(project(ok), "liquid-limits") == []


# -- production differences -------------------------------------------------------------------------


def test_segment_v1_out_of_support_once_at_destination_level() -> None:
    rule = covers("segment-v1-out-of-support")
    [f] = run(project(person(), deal(), person()), rule, fields=None)
    assert f.mapping_id == "" and f.severity == "info" and "2026-08-01" in f.message
    assert "https://developers.pipedrive.com/changelog/post/" in f.message
    assert run(project(), rule) == []
    assert run(project(mapping(enabled=False)), rule) == []


def test_segment_v1_custom_field() -> None:
    rule = covers("segment-v1-custom-field")
    m = person(
        custom_fields={
            LTV: {"value": {"@path": "$.traits.ltv"}, "currency": "EUR"},
            PLAN: {"@path": "$.traits.plan"},
            SIGNUP: {"@path": "$.traits.signup"},
            INTERESTS: {"@path": "$.traits.interests"},
        }
    )
    sample = identify("s", ltv=10, plan="Pro", signup="2026-11-30T09:15:00Z", interests=["CRM"])
    by_field = {f.custom_field: f for f in run(project(m, samples=(sample,)), rule)}
    assert set(by_field) == {LTV, PLAN, SIGNUP, INTERESTS}
    assert "_currency" in by_field[LTV].message and "Send test" in by_field[LTV].message
    assert "option's ID here (102 for “Pro”)" in by_field[PLAN].message
    assert "{% if traits.plan == 'Free' %}101" in by_field[PLAN].fix
    assert "YYYY-MM-DD" in by_field[SIGNUP].message
    assert "“105”" in by_field[INTERESTS].message
    # What v1 takes as it is: an amount, an option id, a plain date, ids separated by commas.
    same = person(
        custom_fields={
            LTV: {"@path": "$.traits.ltv"},
            PLAN: {"@path": "$.traits.plan"},
            SIGNUP: {"@path": "$.traits.signup"},
            INTERESTS: {"@path": "$.traits.interests"},
        }
    )
    fine = identify("s", ltv=10, plan="102", signup="2026-11-30", interests="104,105")
    assert run(project(same, samples=(fine,)), rule) == []


# -- the report -------------------------------------------------------------------------------------


def test_rules_that_cannot_run_are_listed_with_the_reason() -> None:
    report = lint_project(project(person()), [], None)
    skipped = {s.rule: s.reason for s in report.skipped}
    assert skipped["match-field-not-searchable"] == NO_FIELDS
    assert skipped["match-case-differs"] == NO_EVENTS
    assert "fanout-same-entity" not in skipped  # works from the triggers alone
    assert {r.id for r in RULES if r.needs_fields or r.needs_events} == set(skipped)


def test_findings_are_data() -> None:
    m = person(match_field=PLAN)
    report: LintReport = lint_project(project(m, samples=(identify(),)), None, FACTS)
    assert report.has_errors and report.worst_for(m.id) == "error"
    d = next(f for f in report.findings if f.rule == "match-field-not-searchable").to_dict()
    assert {"mapping", "rule", "severity", "message", "fix", "field", "mapping_id"} <= set(d)
    assert d["mapping"] == m.name and d["field"] == "match_field" and d["field_label"] == "Match field"
    # Destination-level findings come first, then each mapping's, worst first.
    assert report.findings[0].mapping_id == ""
    assert report.counts()["error"] >= 1


def test_marks_give_each_mapping_its_worst_severity_and_count() -> None:
    def finding(mapping_id: str, severity: Any) -> Finding:
        return Finding("rule", severity, "message", "fix", mapping_id=mapping_id)

    report = LintReport(
        [
            finding("", "error"),
            finding("a", "info"),
            finding("a", "error"),
            finding("a", "warning"),
            finding("b", "info"),
            finding("b", "warning"),
        ]
    )
    assert report.marks() == {"a": ("error", 3), "b": ("warning", 2)}  # the destination's are not marks
    assert LintReport().marks() == {}


def test_events_given_replace_the_samples() -> None:
    p = project(person(match_field="id"), samples=(identify("sample", "12"),))
    captured = [LintEvent("captured #1", {"type": "identify", "userId": "abc"}, "captured")]
    [f] = [f for f in lint_project(p, captured, FACTS).findings if f.rule == "match-id-not-ids"]
    assert f.events == ("captured #1",)


def test_every_rule_has_a_test() -> None:
    assert {r.id for r in RULES} - TESTED == set()


def test_findings_put_an_before_organization_and_activity() -> None:
    """Sentences built from a record kind read "an organization", "an activity" (not "a …")."""
    org = mapping(
        "createUpdateOrganization", 'type = "group"', match_field="f" * 40, match_value={"@path": "$.groupId"}
    )
    [f] = run(project(org), "match-field-unknown")
    assert "is not an organization field in this Pipedrive account" in f.message
    activities = [
        mapping("createUpdateActivity", DEAL_TRIGGER, label=x, subject={"@path": "$.event"}) for x in "AB"
    ]
    f = run(project(*activities), "fanout-same-entity")[0]
    assert "both write an activity: without an activity ID each creates its own activity" in f.message
    people = [mapping("createUpdatePerson", label=x, match_value={"@path": "$.userId"}) for x in "AB"]
    assert "both write a person:" in run(project(*people), "fanout-same-entity")[0].message
