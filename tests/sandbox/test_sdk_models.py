"""The SDK-derived request models: where they come from, the generator, the checker, and that the
sandbox's own rules never name a key the models do not have."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox.catalog import ADDRESS_SUBFIELDS, FieldDef
from pipedrive_gui.sandbox.sdk_models import sdk_models
from pipedrive_gui.sandbox.sdk_models.generate import generate
from pipedrive_gui.sandbox.validate_v2 import ADDRESS_PARTS, _spec, write_model

WRITE_OPERATIONS = {
    "POST /api/v2/persons",
    "PATCH /api/v2/persons/{id}",
    "POST /api/v2/organizations",
    "PATCH /api/v2/organizations/{id}",
    "POST /api/v2/deals",
    "PATCH /api/v2/deals/{id}",
    "POST /api/v2/activities",
    "PATCH /api/v2/activities/{id}",
    "POST /api/v1/leads",
    "PATCH /api/v1/leads/{id}",
    "POST /api/v1/notes",
    "PUT /api/v1/notes/{id}",
}


def test_the_models_name_the_sdk_they_came_from_and_cover_every_write() -> None:
    models = sdk_models()
    assert models.source["package"] == "pipedrive" and models.source["version"].count(".") == 2
    assert {k for k, v in models.operations.items() if v.get("body_model")} == WRITE_OPERATIONS
    assert models.response_model("GET", "/api/v2/itemSearch/field") == "v2.GetItemSearchFieldResponse"


def test_facts_the_issue_names_are_what_the_models_say() -> None:
    m = sdk_models()
    person = m.properties(m.body_model("POST", "/api/v2/persons"))
    assert "first_name" not in person and "last_name" not in person and "name" in person
    activity = m.properties(m.body_model("PATCH", "/api/v2/activities/{id}"))
    assert activity["person_id"] == {"type": "number"}
    note = m.properties(m.body_model("POST", "/api/v1/notes"))
    assert note["pinned_to_deal_flag"] == {"type": "number", "enum": [0, 1]}
    deal = m.properties(m.body_model("POST", "/api/v2/deals"))
    assert "add_time" not in deal and deal["person_id"] == {"type": ["number", "null"]}
    item = m.properties("v2.ItemSearchItem")
    assert set(item) == {"result_score", "item"}


def test_sandbox_rules_name_only_keys_the_models_have() -> None:
    """A rule for a key the model lacks would let the sandbox accept what Pipedrive refuses."""
    for entity in ("person", "organization", "deal", "activity"):
        for creating in (True, False):
            model = write_model(entity, creating)
            extra = set(_spec(entity, creating)) - set(sdk_models().properties(model))
            assert not extra, (entity, creating, model, extra)


def test_address_parts_are_the_sdk_address_model_and_the_fields_subfields() -> None:
    assert ADDRESS_PARTS == tuple(sdk_models().properties("v2.OrganizationItemAddress"))
    assert ADDRESS_PARTS == tuple(sdk_models().properties("v2.AddActivityRequestLocation"))
    assert ADDRESS_PARTS == tuple(code for code, _ in ADDRESS_SUBFIELDS)
    custom = FieldDef("organization", "a" * 40, "Billing address", "address", is_custom=True)
    assert [s["field_code"] for s in custom.to_v2()["subfields"]] == list(ADDRESS_PARTS)
    rows = custom.to_v1(2001)
    assert rows[0]["key"] == "a" * 40 and [s["key"] for s in rows[0]["subfields"]] == [
        f"{'a' * 40}_{part}" for part in ADDRESS_PARTS[1:]
    ]
    assert all(r["is_subfield"] and r["id"] is None for r in rows[1:]) and len(rows) == len(ADDRESS_PARTS)


# -- the checker ---------------------------------------------------------------------------------


def test_checker_reads_types_nullability_enums_and_keys_as_the_models_do() -> None:
    m = sdk_models()
    person = m.body_model("POST", "/api/v2/persons")
    assert (
        m.check(person, {"name": "A", "emails": [{"value": "a@b.c", "primary": True}], "visible_to": 3.0})
        == []
    )
    assert m.check(person, {"name": "A", "org_id": None}) == ["org_id: must be a number, got null null"]
    assert m.check(person, {"name": "A", "owner_id": True}) == [
        "owner_id: must be a number, got boolean true"
    ]
    assert m.check(person, {"emails": [{"value": "a", "primary": 1}]}) == [
        "emails[0].primary: must be a boolean (true/false), got number 1"
    ]
    assert m.check(person, {"first_name": "Ada"}, unknown=lambda p: f"no {p}") == [
        "first_name: no first_name"
    ]
    deal = m.body_model("PATCH", "/api/v2/deals/{id}")
    assert m.check(deal, {"person_id": None, "org_id": 5, "archive_time": None}) == []
    assert m.check(deal, {"archive_time": "2026-01-01T00:00:00Z"})[0].startswith(
        "archive_time: must be a UTC time"
    )
    assert m.check(m.body_model("POST", "/api/v2/deals"), {}) == ["title: is required"]
    assert m.check(m.body_model("POST", "/api/v2/deals"), {}, require=False) == []
    lead = m.body_model("POST", "/api/v1/leads")
    assert m.check(lead, {"title": "L", "value": None, "visible_to": "3"}) == []
    assert m.check(lead, {"title": "L", "value": {"amount": 1}}) == ["value.currency: is required"]
    assert m.check(lead, {"title": "L", "visible_to": 3}) == [
        'visible_to: must be one of "1", "3", "5", "7", got number 3'
    ]


def test_closed_reading_refuses_extra_keys_a_model_allows() -> None:
    m = sdk_models()
    note = m.body_model("POST", "/api/v1/notes")
    assert m.allows_extra_keys(note)  # the SDK's AddNoteRequest has an index signature
    assert m.check(note, {"content": "x", "organization_id": 1}) == []
    assert m.check(note, {"content": "x", "organization_id": 1}, closed=True) == [
        "organization_id: is not an allowed property"
    ]
    # custom_fields is a free map in every model, also in the closed reading
    person = m.body_model("POST", "/api/v2/persons")
    assert m.check(person, {"name": "A", "custom_fields": {"b" * 40: {"value": 1}}}, closed=True) == []


def test_answers_may_carry_extra_keys_and_nulls() -> None:
    m = sdk_models()
    model = m.response_model("GET", "/api/v2/itemSearch/field")
    good = {
        "success": True,
        "data": [{"result_score": 1, "item": {"id": 1, "name": "A"}}],
        "additional_data": {"next_cursor": None},
    }
    assert m.check_answer(model, good) == []
    flat = {"success": True, "data": [{"id": 1, "name": "A"}], "additional_data": {"next_cursor": None}}
    assert m.check_answer(model, flat) == []  # extra keys are fine in answers ...
    assert m.check_answer(model, {"data": [{"result_score": "1", "item": []}]}) == [
        'data[0].result_score: must be a number, got string "1"',
        "data[0].item: must be an object, got array []",
    ]


# -- the generator -------------------------------------------------------------------------------

MINI_MODEL = """import { Part } from './part';
/**
*
* @export
* @interface AddThingRequest
*/
export interface AddThingRequest {
    /**
    * The name
    * @type {string}
    */
    'name': string;
    /**
    * When. Format: YYYY-MM-DD HH:MM:SS
    * @type {string}
    */
    'add_time'?: string;
    /**
    *
    * @type {number}
    */
    'owner_id'?: number | null;
    /**
    * @type {Array<Part>}
    */
    'parts'?: Array<Part>;
    /**
    * @type {number}
    */
    'flag'?: AddThingRequestFlagConst;
    /**
    * @type {{ [key: string]: any | undefined; }}
    */
    'custom_fields'?: {
        [key: string]: any | undefined;
    };
}
export declare const AddThingRequestFlagConst: {
    readonly NUMBER_0: 0;
    readonly NUMBER_1: 1;
};
export type AddThingRequestFlagConst = typeof AddThingRequestFlagConst[keyof typeof AddThingRequestFlagConst];
"""
MINI_PART = """export interface Part {
    [key: string]: any | any;
    /**
    * @type {boolean}
    */
    'primary'?: boolean;
}
"""
MINI_ALIAS = "export type Both = AddThingRequest & Part;\n"
MINI_API_JS = """        addThing: (AddThingRequest) => __awaiter(this, void 0, void 0, function* () {
            const localVarPath = `/things`;
            const localVarRequestOptions = Object.assign({ method: 'POST' }, baseOptions);
"""
MINI_API_DTS = (
    "    addThing(AddThingRequest?: AddThingRequest): Promise<(axios?: AxiosInstance, basePath?: string) => "
    "Promise<Part>>;\n"
)


def test_generator_reads_declarations_into_json_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "package"
    for version in ("v1", "v2"):
        (root / "dist" / "versions" / version / "models").mkdir(parents=True)
        (root / "dist" / "versions" / version / "api").mkdir(parents=True)
    models = root / "dist" / "versions" / "v2" / "models"
    (models / "add-thing-request.d.ts").write_text(MINI_MODEL)
    (models / "part.d.ts").write_text(MINI_PART)
    (models / "both.d.ts").write_text(MINI_ALIAS)
    api = root / "dist" / "versions" / "v2" / "api"
    (api / "things-api.js").write_text(MINI_API_JS)
    (api / "things-api.d.ts").write_text(MINI_API_DTS)
    (root / "package.json").write_text(json.dumps({"name": "pipedrive", "version": "0.0.1"}))
    from pipedrive_gui.sandbox.sdk_models import generate as gen

    monkeypatch.setattr(gen, "OPERATIONS", (("v2", "things-api", "addThing"),))
    out = gen.generate(tmp_path)
    assert out["source"]["version"] == "0.0.1"
    assert out["operations"] == {
        "POST /api/v2/things": {
            "method": "POST",
            "path": "/api/v2/things",
            "operation": "addThing",
            "api": "v2",
            "body_model": "v2.AddThingRequest",
        }
    }
    thing = out["$defs"]["v2.AddThingRequest"]
    assert thing == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "add_time": {"type": "string", "x-format": "YYYY-MM-DD HH:MM:SS"},
            "owner_id": {"type": ["number", "null"]},
            "parts": {"type": "array", "items": {"$ref": "#/$defs/v2.Part"}},
            "flag": {"type": "number", "enum": [0, 1]},
            "custom_fields": {"type": "object", "additionalProperties": True},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    assert out["$defs"]["v2.Part"]["additionalProperties"] is True
    gen_both = gen.SchemaBuilder(gen.parse_declarations(gen.SdkFiles(tmp_path), "v2"), "v2")
    gen_both.define("Both")
    both = gen_both.defs["Both"]
    assert set(both["properties"]) == {
        "name",
        "add_time",
        "owner_id",
        "parts",
        "flag",
        "custom_fields",
        "primary",
    }
    assert both["required"] == ["name"] and both["additionalProperties"] is True


def test_committed_models_match_the_sdk_package() -> None:
    """Only where the npm package is at hand: PIPEDRIVE_SDK=/path/to/pipedrive-<version>.tgz (or its
    unpacked folder), as `npm pack pipedrive` makes it."""
    source = os.environ.get("PIPEDRIVE_SDK")
    if not source:
        pytest.skip(
            "set PIPEDRIVE_SDK to a `npm pack pipedrive` .tgz to compare the committed models with it"
        )
    committed = json.loads(resource_path("sandbox", "pipedrive-sdk-models.json").read_text(encoding="utf-8"))
    fresh = generate(Path(source))
    if fresh["source"]["version"] != committed["source"]["version"]:
        pytest.skip(
            f"PIPEDRIVE_SDK is {fresh['source']['version']}, the committed models are "
            f"{committed['source']['version']}: regenerate to move to that version"
        )
    assert fresh == committed
