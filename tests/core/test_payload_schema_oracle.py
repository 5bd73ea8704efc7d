"""The schema machinery on field shapes Pipedrive's actions do not use (yet): nullable fields,
``multiple`` numbers/booleans/dates/choices, objects with properties (nested required, unknown keys,
lists of objects), checked against Segment's own ``Destination`` runtime (Node.js) with random values."""

from __future__ import annotations

import json
import random
import subprocess
from typing import Any

import pytest

from pipedrive_gui.core.actions import ActionDef, Choice, FieldDef
from pipedrive_gui.core.jsvalues import js_to_json
from pipedrive_gui.core.payload import CompiledAction
from tests import oracle

# Builds a one-action destination per input line (a fresh title each time, since Segment caches the
# compiled schema under the action title) and reports what perform() received, or the error.
SCRIPT = r"""
const { createRequire } = require('node:module');
const req = createRequire(process.cwd() + '/x.js');
const { Destination } = req('@segment/actions-core');
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
(async () => {
  let n = 0;
  for (const line of lines) {
    const input = JSON.parse(line);
    n += 1;
    let captured;
    const def = { name: 'Synthetic', mode: 'cloud', authentication: { scheme: 'custom', fields: {} },
      actions: { a: { title: `t${n}`, description: 'd', fields: input.fields,
        perform: async (_r, data) => { captured = data.payload; return {}; } } } };
    let out;
    try {
      await new Destination(def).executeAction('a', { event: input.event, mapping: input.mapping,
        settings: {}, features: {}, logger: { info() {}, error() {}, warn() {}, debug() {} } });
      out = { ok: true, payload: JSON.parse(JSON.stringify(captured)) };
    } catch (e) { out = { ok: false, error: e.message }; }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
})();
"""

FIELDS: dict[str, dict[str, Any]] = {
    "s_null": {"label": "Nullable text", "description": "d", "type": "string", "allowNull": True},
    "n_null": {"label": "Nullable number", "description": "d", "type": "number", "allowNull": True},
    "c_null": {
        "label": "Nullable choice",
        "description": "d",
        "type": "string",
        "allowNull": True,
        "choices": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}],
    },
    "n_multi": {"label": "Numbers", "description": "d", "type": "number", "multiple": True},
    "i_multi": {"label": "Integers", "description": "d", "type": "integer", "multiple": True},
    "b_multi": {"label": "Flags", "description": "d", "type": "boolean", "multiple": True},
    "d_multi": {"label": "Dates", "description": "d", "type": "datetime", "multiple": True},
    "c_multi": {
        "label": "Choices",
        "description": "d",
        "type": "string",
        "multiple": True,
        "choices": ["x", "y"],
    },
    "text": {"label": "Long text", "description": "d", "type": "text"},
    "obj": {
        "label": "Address",
        "description": "d",
        "type": "object",
        "properties": {
            "street": {"label": "Street", "description": "d", "type": "string", "required": True},
            "zip": {"label": "Zip", "description": "d", "type": "integer"},
            "when": {"label": "When", "description": "d", "type": "datetime"},
        },
    },
    "objs": {
        "label": "Line items",
        "description": "d",
        "type": "object",
        "multiple": True,
        "properties": {
            "sku": {"label": "SKU", "description": "d", "type": "string", "required": True},
            "qty": {"label": "Quantity", "description": "d", "type": "number"},
        },
    },
    "req": {"label": "Needed", "description": "d", "type": "string", "required": True},
}


def _field_def(key: str, spec: dict[str, Any]) -> FieldDef:
    choices = None
    if spec.get("choices"):
        choices = tuple(
            Choice(c, c) if isinstance(c, str) else Choice(c["label"], c["value"]) for c in spec["choices"]
        )
    props = None
    if spec.get("properties"):
        props = tuple(_field_def(k, v) for k, v in spec["properties"].items())
    return FieldDef(
        key=key,
        label=spec["label"],
        description=spec["description"],
        type=spec["type"],
        required=bool(spec.get("required")),
        multiple=bool(spec.get("multiple")),
        choices=choices,
        allow_null=bool(spec.get("allowNull")),
        properties=props,
    )


VALUES: list[Any] = [
    None,
    "",
    " ",
    "a",
    "b",
    "x",
    "12",
    "1.5",
    "true",
    "0",
    "2024-03-05",
    "not a date",
    0,
    1,
    2.5,
    7,
    True,
    False,
    [],
    ["a"],
    [None],
    [1, "2"],
    ["x", "z"],
    {},
    {"street": "Main"},
    {"street": 5, "zip": "12"},
    {"zip": 1.5, "extra": 1},
    {"street": None, "when": "yesterday"},
    [{"sku": "A", "qty": "2"}],
    [{"sku": "A"}, {"qty": 1}],
    [{"sku": 1, "other": True}, "oops"],
]


def _cases() -> list[dict[str, Any]]:
    rng = random.Random(7)
    cases = []
    keys = list(FIELDS)
    for _ in range(150):
        chosen = rng.sample(keys, rng.randint(1, 3))
        if rng.random() < 0.8 and "req" not in chosen:
            chosen.append("req")
        mapping = {k: {"@path": f"$.v.{k}"} for k in chosen}
        event = {"v": {k: rng.choice(VALUES) for k in chosen}}
        cases.append({"fields": FIELDS, "mapping": mapping, "event": event})
    return cases


CASES = _cases()
ACTION = ActionDef(
    slug="synthetic",
    action_id="x",
    title="t",
    description="d",
    default_trigger="",
    fields=tuple(_field_def(k, v) for k, v in FIELDS.items()),
    entity="person",
)


@pytest.fixture(scope="module")
def answers() -> list[dict[str, Any]]:
    home = oracle.package_home("@segment/actions-core")
    text = "".join(json.dumps(c) + "\n" for c in CASES)
    proc = subprocess.run(
        ["node", "-e", SCRIPT], input=text, cwd=home, capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"Segment's runtime did not run: {proc.stderr[-300:]}")
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(CASES)
    return out


@pytest.mark.parametrize("index", range(len(CASES)))
def test_schema_agrees_with_segment(index: int, answers: list[dict[str, Any]]) -> None:
    case = CASES[index]
    result = CompiledAction(ACTION, case["mapping"]).run(case["event"])
    ours = {"ok": True, "payload": result.payload} if result.ok else {"ok": False, "error": result.error}
    assert js_to_json(ours) == js_to_json(answers[index]), json.dumps(case["event"])
