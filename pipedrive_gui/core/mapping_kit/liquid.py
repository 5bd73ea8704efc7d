"""``@liquid``: python-liquid configured to behave like Segment's liquidjs engine.

Segment disables some tags and filters, limits templates to 1000 characters and
renders values the JavaScript way; errors carry liquidjs' wording with
``, line:L, col:C``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Final, TextIO

from liquid import Environment
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.assign_tag import AssignNode, AssignTag
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.exceptions import LiquidError
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.template import BoundTemplate

from pipedrive_gui.core.jsvalues import join_utf16, utf16_len

from .errors import MappingKitError
from .liquid_filters import FilterFailure, build_filters, stringify

MAX_TEMPLATE_LENGTH: Final = 1000
DISABLED_TAGS: Final = ("case", "for", "include", "layout", "render", "tablerow")
# python-liquid tags that liquidjs does not have.
_NOT_IN_LIQUIDJS: Final = ("ifchanged", "doc")


class _Failure(Exception):
    """A liquidjs-style error: message plus the index of the tag/output it concerns."""

    def __init__(self, message: str, index: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


def _tag_start(source: str, index: int) -> int:
    """Index of the ``{%`` that opens the tag whose name starts at ``index``."""
    start = source.rfind("{%", 0, index + 1)
    return start if start >= 0 else index


class _JsOutputNode(OutputNode):
    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        try:
            value = self.expression.evaluate(context)
        except FilterFailure as exc:
            raise _Failure(exc.message, self.token.start_index) from None
        return buffer.write(stringify(value))


class _JsOutput(Output):
    node_class = _JsOutputNode


class _JsEchoNode(EchoNode):
    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        try:
            value = self.expression.evaluate(context)
        except FilterFailure as exc:
            raise _Failure(exc.message, _tag_start(self.token.source, self.token.start_index)) from None
        return buffer.write(stringify(value))


class _JsEcho(EchoTag):
    node_class = _JsEchoNode


class _JsAssignNode(AssignNode):
    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        try:
            return super().render_to_output(context, buffer)
        except FilterFailure as exc:
            raise _Failure(exc.message, _tag_start(self.token.source, self.token.start_index)) from None


class _JsAssign(AssignTag):
    node_class = _JsAssignNode


def _disabled_tag(tag_name: str) -> type[Tag]:
    class Disabled(Tag):
        name = tag_name
        block = False

        def parse(self, stream: TokenStream) -> Any:
            token = stream.current
            raise _Failure(f'tag "{tag_name}" is disabled', _tag_start(token.source, token.start_index))

    return Disabled


class SegmentLiquidEnvironment(Environment):
    """liquidjs as Segment configures it: lenient filters, some tags/filters disabled."""

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for name in _NOT_IN_LIQUIDJS:
            self.tags.pop(name, None)
        self.add_tag(_JsOutput)
        self.add_tag(_JsEcho)
        self.add_tag(_JsAssign)
        for name in DISABLED_TAGS:
            self.add_tag(_disabled_tag(name))
        self.filters.clear()
        self.filters.update(build_filters())


_ENV: Final = SegmentLiquidEnvironment(strict_filters=False)


def _position(source: str, index: int) -> str:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"line:{line}, col:{column}"


def _snapshot(source: str, index: int) -> str:
    rest = source[index:]
    if len(rest) > 32:
        rest = rest[:29] + "..."
    return json.dumps(rest, ensure_ascii=False)


def _translate(source: str, exc: Exception) -> MappingKitError:
    """liquidjs' wording for a python-liquid error, where the two can be matched."""
    if isinstance(exc, LiquidError) and isinstance(exc.__cause__, _Failure):
        exc = exc.__cause__  # python-liquid wraps foreign errors raised while parsing
    if isinstance(exc, _Failure):
        where = f", {_position(source, exc.index)}" if exc.index is not None else ""
        return MappingKitError(exc.message + where)
    if isinstance(exc, LiquidError):
        message = str(exc.message)
        token = exc.token
        if token is not None and token.start_index >= 0:
            index = token.start_index
            if message.startswith("unexpected tag '"):
                name = message[len("unexpected tag '") : -1]
                start = _tag_start(source, index)
                return MappingKitError(f'tag "{name}" not found, {_position(source, start)}')
            if message.startswith("expected '}}'") and source.startswith("{{", index):
                return MappingKitError(
                    f"output {_snapshot(source, index)} not closed, {_position(source, index)}"
                )
            if message.startswith("expected '%}'"):
                start = _tag_start(source, index)
                return MappingKitError(
                    f"tag {_snapshot(source, start)} not closed, {_position(source, start)}"
                )
        return MappingKitError(message)
    return MappingKitError(str(exc))


@lru_cache(maxsize=512)
def _parse(source: str) -> BoundTemplate | MappingKitError:
    try:
        return _ENV.from_string(source)
    except (LiquidError, _Failure) as exc:
        return _translate(source, exc)


def evaluate_liquid(template: Any, payload: Any) -> str:
    """Render a ``@liquid`` template against the event, as Segment's ``evaluateLiquid``."""
    if not isinstance(template, str):
        raise MappingKitError("liquid template value must be a string")
    if template == "":
        return ""
    if utf16_len(template) > MAX_TEMPLATE_LENGTH:
        raise MappingKitError("liquid template values are limited to 1000 characters")
    parsed = _parse(template)
    if isinstance(parsed, MappingKitError):
        raise MappingKitError(parsed.message)
    scope = payload if isinstance(payload, dict) else {}
    try:
        return join_utf16(parsed.render(scope))
    except (LiquidError, _Failure) as exc:
        raise _translate(template, exc) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError) as exc:
        raise MappingKitError(f"{type(exc).__name__}: {exc}") from None
