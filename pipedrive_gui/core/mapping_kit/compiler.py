"""Compile a mapping into closures once; evaluate them against many events.

Each directive is translated into a closure that does exactly what Segment's
``resolve`` does at run time, in the same order (so the same error wins), while
everything that only depends on the mapping (paths, templates, option checks) is
worked out ahead of time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pipedrive_gui.core.jsvalues import (
    UNDEFINED,
    js_json_parse,
    js_keys,
    js_to_json,
    js_to_string,
    loosely_equals_empty_string,
    real_type_of,
    truthy,
    type_of,
    utf16_units,
)

from .errors import MappingKitError, MappingValidationError
from .paths import compile_getter, get_parsed, parse_path, strip_root
from .replace import perform_replace
from .template import compile_template, render
from .validate import find_problems

Fn = Callable[[Any], Any]
ROOT_MAPPING_FIELD_KEY: Final = "__segment_internal_directive"
_PROTO: Final = "__proto__"  # assigning it in JS sets the prototype: never an own member


def is_directive(node: Any) -> bool:
    """An object with an ``@`` key and no other keys besides ``_metadata``."""
    if not isinstance(node, dict):
        return False
    has_at = False
    for key in node:
        if key.startswith("@"):
            has_at = True
        elif key != "_metadata":
            return False
    return has_at


def _is_static(node: Any) -> bool:
    if isinstance(node, dict):
        return not is_directive(node) and all(_is_static(v) for v in node.values())
    if isinstance(node, list):
        return all(_is_static(v) for v in node)
    return True


def _static_value(node: Any) -> Any:
    """What resolving a directive-free value gives: same data, keys in JS order."""
    if isinstance(node, dict):
        return {k: _static_value(node[k]) for k in js_keys(node) if k != _PROTO}
    if isinstance(node, list):
        return [_static_value(v) for v in node]
    return node


def _const(value: Any) -> Fn:
    return lambda _payload: value


def _raiser(message: str) -> Fn:
    def run(_payload: Any) -> Any:
        raise MappingKitError(message)

    return run


def compile_node(node: Any) -> Fn:
    """The closure that resolves ``node`` against a payload."""
    if isinstance(node, dict):
        if is_directive(node):
            return _compile_directive(node)
        if _is_static(node):
            return _const(_static_value(node))
        pairs = [(k, compile_node(node[k])) for k in js_keys(node) if k != _PROTO]
        return lambda payload: {k: fn(payload) for k, fn in pairs}
    if isinstance(node, list):
        if _is_static(node):
            return _const(_static_value(node))
        fns = [compile_node(v) for v in node]
        return lambda payload: [fn(payload) for fn in fns]
    return _const(node)


def _compile_directive(node: dict[str, Any]) -> Fn:
    name = next(k for k in node if k.startswith("@"))
    builder = _BUILDERS.get(name)
    if builder is None:
        return _raiser(f"{name} is not a valid directive, got undefined")
    return builder(node[name])


def _opt(opts: dict[str, Any], key: str) -> Any:
    return opts.get(key, UNDEFINED)


# --- directives --------------------------------------------------------------------


def _if(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@if requires an object with an "exists" key')
    exists, blank = _opt(opts, "exists"), _opt(opts, "blank")
    if not truthy(exists) and not truthy(blank):
        return _raiser('@if requires an "exists" key or a "blank" key')
    is_blank = exists is UNDEFINED
    condition = compile_node(blank if is_blank else exists)
    then = _opt(opts, "then")
    then_fn = compile_node(then) if then is not UNDEFINED else None
    otherwise = _opt(opts, "else")
    else_fn = compile_node(otherwise) if truthy(otherwise) else None

    def run(payload: Any) -> Any:
        value = condition(payload)
        ok = value is not UNDEFINED and value is not None
        if ok and is_blank:
            ok = not loosely_equals_empty_string(value)
        if ok:
            return then_fn(payload) if then_fn is not None else UNDEFINED
        return else_fn(payload) if else_fn is not None else UNDEFINED

    return run


def _case(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@case requires an object with a "operator" key')
    operator = _opt(opts, "operator")
    if not truthy(operator):
        return _raiser('@case requires a "operator" key')
    raw = _opt(opts, "value")
    if not truthy(raw):
        return _const(UNDEFINED)
    value_fn = compile_node(raw)
    lower = isinstance(operator, str) and operator == "lower"
    upper = isinstance(operator, str) and operator == "upper"

    def run(payload: Any) -> Any:
        value = value_fn(payload)
        if isinstance(value, str):
            if lower:
                return value.lower()
            if upper:
                return value.upper()
            raise MappingKitError('operator key should have a value of "lower" or "upper"')
        return value

    return run


def _replace(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@replace requires an object with a "pattern" key')
    pattern = _opt(opts, "pattern")
    if not truthy(pattern):
        return _raiser('@replace requires a "pattern" key')
    replacement = _opt(opts, "replacement")
    if replacement is None or replacement is UNDEFINED:
        replacement = ""
    pattern2 = _opt(opts, "pattern2")
    replacement2 = _opt(opts, "replacement2")
    if truthy(pattern2) and (replacement2 is None or replacement2 is UNDEFINED):
        replacement2 = ""
    ignorecase = _opt(opts, "ignorecase")
    if ignorecase is None or ignorecase is UNDEFINED:
        ignorecase = False
    is_global = _opt(opts, "global")
    if is_global is None or is_global is UNDEFINED:
        is_global = True
    raw = _opt(opts, "value")
    if not truthy(raw):
        return _const(UNDEFINED)
    value_fn = compile_node(raw)
    usable = (
        isinstance(pattern, str)
        and isinstance(replacement, str)
        and isinstance(ignorecase, bool)
        and isinstance(is_global, bool)
    )
    second = truthy(pattern2) and isinstance(pattern2, str) and isinstance(replacement2, str)

    def run(payload: Any) -> Any:
        value = value_fn(payload)
        if isinstance(value, (bool, int, float)):
            value = js_to_string(value)
        if not (usable and isinstance(value, str)):
            return ""
        out = perform_replace(value, pattern, replacement, is_global, ignorecase)
        if second:
            out = perform_replace(out, pattern2, replacement2, is_global, ignorecase)
        return out

    return run


def _array_path(opts: Any) -> Fn:
    if not isinstance(opts, list):
        return _raiser(f"@arrayPath expected array, got {real_type_of(opts)}")
    path = opts[0] if opts else UNDEFINED
    shape = opts[1] if len(opts) > 1 else UNDEFINED
    root_fn: Fn
    if isinstance(path, str):
        root_fn = compile_getter(parse_path(strip_root(path)))
    else:
        root_fn = compile_node(path)
    if not (isinstance(shape, dict) and shape):
        return root_fn
    shape_fn = compile_node(shape)

    def run(payload: Any) -> Any:
        root = root_fn(payload)
        if isinstance(root, list):
            return [shape_fn(item) for item in root]
        if isinstance(root, dict):
            return [shape_fn(root)]
        return root

    return run


def _string_directive(name: str, opts: Any, use: Callable[[str, Any], Any]) -> Fn:
    value_fn = compile_node(opts)

    def run(payload: Any) -> Any:
        text = value_fn(payload)
        if not isinstance(text, str):
            raise MappingKitError(f"{name}: expected string, got {real_type_of(text)}")
        return use(text, payload)

    return run


def _path(opts: Any) -> Fn:
    if isinstance(opts, str):
        return compile_getter(parse_path(strip_root(opts)))
    return _string_directive("@path", opts, lambda text, p: get_parsed(p, parse_path(strip_root(text))))


def _template(opts: Any) -> Fn:
    if isinstance(opts, str):
        return compile_template(opts)
    return _string_directive("@template", opts, render)


def _literal(opts: Any) -> Fn:
    return compile_node(opts)


def _flatten_into(out: dict[str, Any], value: Any, prefix: str, separator: str, omit_arrays: bool) -> None:
    if isinstance(value, dict):
        for key in js_keys(value):
            _flatten_into(
                out, value[key], f"{prefix}{separator}{key}" if prefix else key, separator, omit_arrays
            )
    elif isinstance(value, list) and not omit_arrays:
        for index, item in enumerate(value):
            key = str(index)
            _flatten_into(out, item, f"{prefix}{separator}{key}" if prefix else key, separator, omit_arrays)
    else:
        out[prefix] = value


def _flatten(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@flatten requires an object with a "separator" key')
    separator = _opt(opts, "separator")
    if not truthy(separator):
        return _raiser('@flatten requires a "separator" key')
    separator_fn = compile_node(separator)
    value_fn = compile_node(_opt(opts, "value"))
    omit_arrays = truthy(_opt(opts, "omitArrays"))

    def run(payload: Any) -> Any:
        sep = separator_fn(payload)
        if not isinstance(sep, str):
            raise MappingKitError("@flatten requires a string separator")
        out: dict[str, Any] = {}
        _flatten_into(out, value_fn(payload), "", sep, omit_arrays)
        return out

    return run


def _json(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@json requires an object with a "value" key')
    mode = _opt(opts, "mode")
    if not truthy(mode):
        return _raiser('@json requires a "mode" key')
    raw = _opt(opts, "value")
    if not truthy(raw):
        return _raiser('@json requires a "value" key')
    value_fn = compile_node(raw)
    if isinstance(mode, str) and mode == "encode":

        def encode(payload: Any) -> Any:
            text = js_to_json(value_fn(payload))
            return UNDEFINED if text is None else text

        return encode
    if isinstance(mode, str) and mode == "decode":

        def decode(payload: Any) -> Any:
            value = value_fn(payload)
            if isinstance(value, str):
                try:
                    return js_json_parse(value)
                except (ValueError, RecursionError):
                    return value
            return value

        return decode

    def neither(payload: Any) -> Any:
        value_fn(payload)
        return UNDEFINED

    return neither


def _assign(out: dict[str, Any], source: Any) -> None:
    """``Object.assign(out, source)`` for one source."""
    if isinstance(source, dict):
        for key in js_keys(source):
            if key != _PROTO:
                out[key] = source[key]
    elif isinstance(source, list):
        for index, item in enumerate(source):
            out[str(index)] = item
    elif isinstance(source, str):
        for index, unit in enumerate(utf16_units(source)):
            out[str(index)] = unit


def _merge(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@merge requires an object with an "objects" key and a "direction" key')
    direction = _opt(opts, "direction")
    if not truthy(direction):
        return _raiser('@merge requires a "direction" key')
    direction_fn = compile_node(direction)
    objects = _opt(opts, "objects")
    problem: str | None = None
    if not truthy(objects):
        problem = '@merge requires a "objects" key'
    elif not isinstance(objects, list):
        problem = f"@merge: expected opts.array, got {type_of(objects)}"
    object_fns = [compile_node(v) for v in objects] if isinstance(objects, list) else []

    def run(payload: Any) -> Any:
        left = direction_fn(payload) == "left"
        if problem is not None:
            raise MappingKitError(problem)
        values = [fn(payload) for fn in object_fns]
        if left:
            values.reverse()
        out: dict[str, Any] = {}
        for value in values:
            _assign(out, value)
        return out

    return run


def _transform(opts: Any) -> Fn:
    if not isinstance(opts, dict):
        return _raiser('@transform requires an object with an "apply" key and a "mapping" key')
    mapping = _opt(opts, "mapping")
    if not truthy(mapping):
        return _raiser('@transform requires a "mapping" key')
    apply = _opt(opts, "apply")
    if not truthy(apply):
        return _raiser('@transform requires a "apply" key')
    if not isinstance(apply, dict):
        return _raiser('@transform "apply" key should be an object')
    inner = CompiledMapping(apply)
    mapping_fn = compile_node(mapping)
    return lambda payload: mapping_fn(inner.evaluate(payload))


def _clean_nulls(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key in js_keys(value):
        if key == _PROTO:
            continue
        item = value[key]
        out[key] = UNDEFINED if item is None else _clean_nulls(item)
    return out


def _exclude_when_null(opts: Any) -> Fn:
    value_fn = compile_node(opts)

    def run(payload: Any) -> Any:
        value = value_fn(payload)
        return UNDEFINED if value is None else _clean_nulls(value)

    return run


def _liquid(opts: Any) -> Fn:
    # The Liquid engine costs ~100 ms to import; load it with the first @liquid mapping, not at
    # start-up (most mappings never use it).
    from .liquid import evaluate_liquid

    return lambda payload: evaluate_liquid(opts, payload)


_BUILDERS: Final[dict[str, Callable[[Any], Fn]]] = {
    "@if": _if,
    "@case": _case,
    "@replace": _replace,
    "@arrayPath": _array_path,
    "@path": _path,
    "@template": _template,
    "@literal": _literal,
    "@flatten": _flatten,
    "@json": _json,
    "@merge": _merge,
    "@transform": _transform,
    "@excludeWhenNull": _exclude_when_null,
    "@liquid": _liquid,
}


# --- whole mappings ----------------------------------------------------------------

_NULL_TO_OBJECT: Final = "Cannot convert undefined or null to object"


def _own_keys(value: Any) -> list[str]:
    """``Object.keys(value)`` (throws for null/undefined like JS)."""
    if value is None or value is UNDEFINED:
        raise MappingKitError(_NULL_TO_OBJECT)
    if isinstance(value, dict):
        return js_keys(value)
    if isinstance(value, list):
        return [str(i) for i in range(len(value))]
    if isinstance(value, str):
        return [str(i) for i in range(len(utf16_units(value)))]
    return []


def _spread(value: Any) -> dict[str, Any]:
    """``{...value}``."""
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    _assign(out, value)
    return out


def mapping_to_process(mapping: Any) -> Any:
    """Segment's pre-processing: spread the mapping, apply a root-level directive."""
    spread = _spread(mapping)
    keys = _own_keys(mapping)
    if not (isinstance(mapping, dict) and ROOT_MAPPING_FIELD_KEY in mapping):
        return spread
    customer = {k: mapping[k] for k in keys if k != ROOT_MAPPING_FIELD_KEY}
    root = mapping[ROOT_MAPPING_FIELD_KEY]
    root_keys = _own_keys(root)
    if len(root_keys) > 1:
        raise MappingKitError("The root mapping must only have a single directive object")
    directive: Any = UNDEFINED
    if root_keys:
        directive = root[root_keys[0]] if isinstance(root, dict) else _spread(root)[root_keys[0]]
    if not isinstance(directive, (dict, list)):
        raise MappingKitError("The root directive must be an object")
    if isinstance(directive, dict):
        # Segment hands the customer's fields to the root directive as its "mapping".
        directive = {**directive, "mapping": customer}
        if isinstance(root, dict):
            root = {root_keys[0]: directive}
        elif isinstance(root, list):
            root = [directive]
    return root


def finalize(value: Any) -> Any:
    """Segment's ``removeUndefined``: copies objects without undefined members."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in js_keys(value):
            item = value[key]
            if item is UNDEFINED or key == _PROTO:
                continue
            out[key] = finalize(item) if isinstance(item, (dict, list)) else item
        return out
    if isinstance(value, list):
        return [finalize(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def _compile_final(node: Any) -> Fn:
    """``removeUndefined(resolve(node))`` as one closure.

    For the usual mapping, an object of fields, the members are already in JS order
    and are resolved and cleaned in one pass instead of building a dict twice.
    """
    if isinstance(node, dict) and not is_directive(node) and not _is_static(node):
        pairs = [(k, compile_node(node[k])) for k in js_keys(node) if k != _PROTO]

        def run(payload: Any) -> Any:
            out: dict[str, Any] = {}
            for key, fn in pairs:
                value = fn(payload)
                if value is UNDEFINED:
                    continue
                if isinstance(value, (dict, list)):
                    value = finalize(value)
                out[key] = value
            return out

        return run
    fn = compile_node(node)
    return lambda payload: finalize(fn(payload))


class CompiledMapping:
    """A mapping prepared once; :meth:`evaluate` is ``transform(mapping, data)``."""

    __slots__ = ("mapping", "_fn", "_error")

    def __init__(self, mapping: Any) -> None:
        self.mapping = mapping
        self._fn: Fn = _const(UNDEFINED)
        # Errors of the mapping itself surface at evaluation, after the data check,
        # exactly where Segment raises them.
        self._error: tuple[type[MappingKitError], Any] | None = None
        try:
            processed = mapping_to_process(mapping)
            problems = find_problems(processed)
            if problems:
                self._error = (MappingValidationError, problems)
                return
            self._fn = _compile_final(processed)
        except MappingKitError as exc:
            self._error = (MappingKitError, exc.message)
        except RecursionError:
            self._error = (MappingKitError, "Maximum call stack size exceeded")

    @property
    def error(self) -> MappingKitError | None:
        """The error every evaluation raises (bad mapping), or ``None``."""
        if self._error is None:
            return None
        cls, arg = self._error
        return cls(arg)

    def evaluate(self, data: Any = UNDEFINED) -> Any:
        if data is UNDEFINED:
            data = {}
        elif not isinstance(data, dict):
            raise MappingKitError(f"data must be an object, got {real_type_of(data)}")
        if self._error is not None:
            cls, arg = self._error
            raise cls(arg)
        try:
            return self._fn(data)
        except RecursionError:
            raise MappingKitError("Maximum call stack size exceeded") from None


def compile_mapping(mapping: Any) -> CompiledMapping:
    return CompiledMapping(mapping)


def transform(mapping: Any, data: Any = UNDEFINED) -> Any:
    """Segment's ``transform(mapping, data)``; may return ``UNDEFINED``."""
    return CompiledMapping(mapping).evaluate(data)
