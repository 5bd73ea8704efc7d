"""``@liquid``: python-liquid configured to behave like Segment's liquidjs engine.

Segment disables some tags and filters, limits templates to 1000 characters and
renders values the JavaScript way; errors carry liquidjs' wording with
``, line:L, col:C``.
"""

from __future__ import annotations

import json
import re
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
from .liquid_filters import build_filters
from .liquid_js import JsRenderContext, install_js_comparisons
from .liquid_syntax import DISABLED_TAGS, first_error
from .liquid_values import FilterFailure, stringify

MAX_TEMPLATE_LENGTH: Final = 1000
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


class _JsTemplate(BoundTemplate):
    context_class = JsRenderContext


class SegmentLiquidEnvironment(Environment):
    """liquidjs as Segment configures it: lenient filters, some tags/filters disabled."""

    template_class = _JsTemplate

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


install_js_comparisons()
_ENV: Final = SegmentLiquidEnvironment(strict_filters=False)

# liquidjs reads ``a.0`` as index 0; python-liquid only understands ``a[0]``.
_MARKUP_RE: Final = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_QUOTED_RE: Final = re.compile(r"""('[^']*'|"[^"]*")""")
_DOT_INDEX_RE: Final = re.compile(r"(?<=[A-Za-z_\]\-?])\.(\d+)(?![\w])")


class _Source:
    """A template as written and as handed to python-liquid (``a.0`` → ``a[0]``).

    Error positions are reported against the text as written, like liquidjs does.
    """

    def __init__(self, original: str) -> None:
        self.original = original
        self.inserted: list[int] = []  # indexes in ``text`` of characters we added
        self.text = self._rewrite(original) if "." in original else original

    def _rewrite(self, source: str) -> str:
        out: list[str] = []
        pos = 0
        for markup in _MARKUP_RE.finditer(source):
            out.append(source[pos : markup.start()])
            for i, piece in enumerate(_QUOTED_RE.split(markup.group())):
                if i % 2:
                    out.append(piece)
                    continue
                last = 0
                for m in _DOT_INDEX_RE.finditer(piece):
                    out.append(piece[last : m.start()])
                    out.append("[" + m.group(1))
                    self.inserted.append(sum(len(p) for p in out))
                    out.append("]")
                    last = m.end()
                out.append(piece[last:])
            pos = markup.end()
        out.append(source[pos:])
        return "".join(out)

    def original_index(self, index: int) -> int:
        return index - sum(1 for p in self.inserted if p < index)

    def position(self, index: int) -> str:
        """liquidjs' ``line:L, col:C`` for an index into ``text``."""
        return self.position_in_original(self.original_index(index))

    def position_in_original(self, at: int) -> str:
        """liquidjs' ``line:L, col:C`` (1-based, columns in UTF-16 units)."""
        text = self.original
        line_start = text.rfind("\n", 0, at) + 1
        line = text.count("\n", 0, at) + 1
        return f"line:{line}, col:{utf16_len(text[line_start:at]) + 1}"

    def snapshot(self, index: int) -> str:
        rest = self.original[self.original_index(index) :]
        if len(rest) > 32:
            rest = rest[:29] + "..."
        return json.dumps(rest, ensure_ascii=False)


def _translate(source: _Source, exc: Exception) -> MappingKitError:
    """liquidjs' wording for a python-liquid error, where the two can be matched."""
    if isinstance(exc, LiquidError) and isinstance(exc.__cause__, _Failure):
        exc = exc.__cause__  # python-liquid wraps foreign errors raised while parsing
    if isinstance(exc, _Failure):
        where = f", {source.position(exc.index)}" if exc.index is not None else ""
        return MappingKitError(exc.message + where)
    if isinstance(exc, LiquidError):
        message = str(exc.message)
        token = exc.token
        text = source.text
        if token is not None and token.start_index >= 0:
            index = token.start_index
            if message.startswith("unexpected tag '"):
                name = message[len("unexpected tag '") : -1]
                start = _tag_start(text, index)
                return MappingKitError(f'tag "{name}" not found, {source.position(start)}')
            if message.startswith("expected '}}'") and text.startswith("{{", index):
                return MappingKitError(
                    f"output {source.snapshot(index)} not closed, {source.position(index)}"
                )
            if message.startswith("expected '%}'"):
                start = _tag_start(text, index)
                return MappingKitError(f"tag {source.snapshot(start)} not closed, {source.position(start)}")
        return MappingKitError(message)
    return MappingKitError(str(exc))


@lru_cache(maxsize=512)
def _parse(template: str) -> tuple[_Source, BoundTemplate | MappingKitError]:
    source = _Source(template)
    try:
        return source, _ENV.from_string(source.text)
    except (LiquidError, _Failure) as exc:
        # Tokenizing errors come first in liquidjs, whatever python-liquid tripped on;
        # unclosed blocks python-liquid only notices at the end, without a position.
        found = first_error(template)
        if found is not None:
            cause = exc.__cause__ if isinstance(exc, LiquidError) else exc
            message, at = found
            tokenizing = message.endswith("not closed") and not message.startswith("tag {%")
            if tokenizing or message.startswith("illegal tag") or not isinstance(cause, _Failure):
                return source, MappingKitError(f"{message}, {source.position_in_original(at)}")
        return source, _translate(source, exc)


def evaluate_liquid(template: Any, payload: Any) -> str:
    """Render a ``@liquid`` template against the event, as Segment's ``evaluateLiquid``."""
    if not isinstance(template, str):
        raise MappingKitError("liquid template value must be a string")
    if template == "":
        return ""
    if utf16_len(template) > MAX_TEMPLATE_LENGTH:
        raise MappingKitError("liquid template values are limited to 1000 characters")
    source, parsed = _parse(template)
    if isinstance(parsed, MappingKitError):
        raise MappingKitError(parsed.message)
    scope = payload if isinstance(payload, dict) else {}
    try:
        return join_utf16(parsed.render(scope))
    except (LiquidError, _Failure) as exc:
        raise _translate(source, exc) from None
    except Exception as exc:  # noqa: BLE001 - a template must fail as a mapping error, never crash
        raise MappingKitError(f"{type(exc).__name__}: {exc}") from None


def template_problem(template: str) -> str | None:
    """Why Segment would fail every event with this ``@liquid`` template (its length limit, a tag
    it disables, a syntax error), in Segment's words; None when it parses. Disabled *filters* only
    fail when rendered: see ``liquid_filters.DISABLED_FILTERS``."""
    if template == "":
        return None
    if utf16_len(template) > MAX_TEMPLATE_LENGTH:
        return "liquid template values are limited to 1000 characters"
    _source, parsed = _parse(template)
    return parsed.message if isinstance(parsed, MappingKitError) else None
