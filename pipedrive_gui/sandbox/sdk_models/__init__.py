"""Pipedrive's request models, as the official SDK declares them, and a checker for bodies.

The models live in ``resources/sandbox/pipedrive-sdk-models.json``, generated from the npm package
``pipedrive`` (name and version in its ``source``) by :mod:`.generate`. They are the sandbox's first
check of every write body: keys a model does not have are refused, and values must have the JSON
type the model gives them (TypeScript ``number`` = any JSON number, ``| null`` = may be null, enum
values exactly). The sandbox's own rules (ids that exist, dates, custom field values per field
type, which status allows which key) come on top; they never accept a key the model refuses.

Keeping the models apart from both the client and the sandbox means that one wrong assumption
shared by the two (a key Pipedrive does not have, a number sent as a string) still fails a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import checks

MODELS_FILE = ("sandbox", "pipedrive-sdk-models.json")

#: Formats named in a model's ``Format: ...`` note, and the check that enforces each.
_FORMATS: dict[str, Callable[[Any], str | None]] = {
    "YYYY-MM-DD HH:MM:SS": checks.want_v1_time,
    "YYYY-MM-DD": checks.want_date,
    "HH:MM": checks.want_clock,
    "HH:MM:SS": checks.want_clock,
}

UnknownHint = Callable[[str], str]


def _default_unknown(_path: str) -> str:
    return "is not an allowed property"


@dataclass(frozen=True)
class SdkModels:
    source: Mapping[str, Any]
    operations: Mapping[str, Mapping[str, Any]]
    defs: Mapping[str, Mapping[str, Any]]

    @property
    def version(self) -> str:
        return f"{self.source['package']}@{self.source['version']}"

    # -- lookups ------------------------------------------------------------------------------

    def body_model(self, method: str, path: str) -> str:
        """The request model of ``METHOD /api/vN/...`` (path with ``{id}`` for the record id)."""
        op = self.operations.get(f"{method.upper()} {path}")
        if op is None or not op.get("body_model"):
            raise KeyError(f"no SDK request model for {method} {path}")
        return str(op["body_model"])

    def response_model(self, method: str, path: str) -> str:
        op = self.operations.get(f"{method.upper()} {path}")
        if op is None or not op.get("response_model"):
            raise KeyError(f"no SDK response model for {method} {path}")
        return str(op["response_model"])

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.defs[str(schema["$ref"]).rsplit("/", 1)[-1]]
        return schema

    def properties(self, model: str) -> dict[str, Mapping[str, Any]]:
        return dict(self.resolve({"$ref": model}).get("properties", {}))

    def required(self, model: str) -> list[str]:
        return list(self.resolve({"$ref": model}).get("required", []))

    def allows_extra_keys(self, model: str) -> bool:
        return bool(self.resolve({"$ref": model}).get("additionalProperties"))

    # -- checking -----------------------------------------------------------------------------

    def check(
        self,
        model: str,
        value: Any,
        *,
        closed: bool = False,
        unknown: UnknownHint = _default_unknown,
        require: bool = True,
    ) -> list[str]:
        """Problems (``"path: message"``) of a request body against ``model``; [] when it fits.

        ``closed`` refuses keys even where a model allows extra ones (a test's strict reading);
        ``unknown(path)`` words the refusal of a key; ``require=False`` skips required keys.
        """
        problems: list[str] = []
        self._check({"$ref": model}, value, "", problems, _Mode(closed, unknown, require, answer=False))
        return problems

    def check_answer(self, model: str, value: Any) -> list[str]:
        """Problems of an answer against a response model, read as OpenAPI reads responses: extra
        keys are fine and any value may be null (the SDK's response models leave ``| null`` out
        where the wire has it, e.g. ``next_cursor`` on the last page); types and shapes count."""
        problems: list[str] = []
        self._check({"$ref": model}, value, "", problems, _Mode(False, _default_unknown, False, answer=True))
        return problems

    def _check(
        self, schema: Mapping[str, Any], value: Any, path: str, problems: list[str], mode: _Mode
    ) -> None:
        schema = self.resolve(schema)
        where = path or "body"
        if mode.answer and value is None:
            return
        if "anyOf" in schema:
            options = [o for o in schema["anyOf"] if o.get("type") != "null"]
            if value is None and len(options) < len(schema["anyOf"]):
                return
            if len(options) == 1:  # "X | null" with a value: X's own, precise problems
                self._check(options[0], value, path, problems, mode)
                return
            for option in options:
                trial: list[str] = []
                self._check(option, value, path, trial, mode)
                if not trial:
                    return
            problems.append(
                f"{where}: {checks.type_name(value)} {_short(value)} fits none of the allowed shapes"
            )
            return
        if "const" in schema:
            if not _same(value, schema["const"]):
                problems.append(f"{where}: must be {json.dumps(schema['const'])}, got {_short(value)}")
            return
        if "enum" in schema:
            if not any(_same(value, e) for e in schema["enum"]):
                shown = ", ".join(json.dumps(e) for e in schema["enum"] if e is not None)
                problems.append(
                    f"{where}: must be one of {shown}, got {checks.type_name(value)} {_short(value)}"
                )
            return
        types = schema.get("type")
        allowed = [types] if isinstance(types, str) else list(types or [])
        if allowed and not any(_is(value, t) for t in allowed):
            problems.append(
                f"{where}: must be {_wanted(allowed)}, got {checks.type_name(value)} {_short(value)}"
            )
            return
        if value is None:
            return
        fmt = schema.get("x-format")
        if fmt in _FORMATS and (problem := _FORMATS[fmt](value)):
            problems.append(f"{where}: {problem}")
            return
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self._check(schema["items"], item, f"{path}[{i}]", problems, mode)
        if isinstance(value, dict) and "properties" in schema:
            props = schema["properties"]
            extra_ok = mode.answer or (bool(schema.get("additionalProperties")) and not mode.closed)
            for key, item in value.items():
                sub = f"{path}.{key}" if path else key
                if key in props:
                    self._check(props[key], item, sub, problems, mode)
                elif not extra_ok:
                    problems.append(f"{sub}: {mode.unknown(sub)}")
            if mode.require:
                for key in schema.get("required", []):
                    if key not in value:
                        problems.append(f"{f'{path}.{key}' if path else key}: is required")


@dataclass(frozen=True)
class _Mode:
    closed: bool
    unknown: UnknownHint
    require: bool
    answer: bool


def _is(value: Any, json_type: str) -> bool:
    if json_type == "null":
        return value is None
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "number":
        return checks.is_number(value)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    return True


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON type (``true`` is not ``1``)."""
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool) and (a is None) == (b is None)


_WANTED = {
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean (true/false)",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def _wanted(types: list[str]) -> str:
    return " or ".join(_WANTED.get(t, t) for t in types)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def load_models(path: Path | None = None) -> SdkModels:
    target = path if path is not None else resource_path(*MODELS_FILE)
    data = json.loads(target.read_text(encoding="utf-8"))
    return SdkModels(source=data["source"], operations=data["operations"], defs=data["$defs"])


@lru_cache(maxsize=1)
def sdk_models() -> SdkModels:
    """The bundled models (read once)."""
    return load_models()


__all__ = ["SdkModels", "load_models", "sdk_models"]
