"""Answer conformance questions in the segment-oracle's line protocol (``pipedrive-gui eval``).

One JSON object per input line, one answer line per input line, in order; a bad line gets an error
answer and never stops the run. Kinds and encoding as in ``docs/segment.md#the-oracle``::

    {"kind":"transform","mapping":M,"event":E}      -> {"ok":true,"output":V} | {"ok":true,"undefined":true}
    {"kind":"validate_mapping","mapping":M}         -> {"ok":true}
    {"kind":"fql","fql":F,"event":E}                -> {"ok":true,"match":B}
    {"kind":"payload","action":A,"mapping":M,"event":E} -> {"ok":true,"payload":P}
    any failure                                     -> {"ok":false,"error":S}

Values are written the way JavaScript's ``JSON.stringify`` writes them (key order included), so the
output can be diffed line by line with the oracle's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pipedrive_gui.core.errors import UserError
from pipedrive_gui.core.jsvalues import UNDEFINED, is_undefined, js_json_parse, js_to_json


def _ok_value(key: str, value: Any) -> str:
    text = None if is_undefined(value) else js_to_json(value)
    if text is None:  # JSON.stringify(undefined) is undefined
        return '{"ok":true,"undefined":true}'
    return '{"ok":true,"' + key + '":' + text + "}"


def _error(message: str) -> str:
    return json.dumps({"ok": False, "error": message}, ensure_ascii=False, separators=(",", ":"))


def _data_or_undefined(case: dict[str, Any], key: str) -> Any:
    return case[key] if key in case else UNDEFINED


def _run_transform(case: dict[str, Any]) -> str:
    from pipedrive_gui.core.mapping_kit import transform

    if "event" in case:
        return _ok_value("output", transform(case.get("mapping"), case["event"]))
    return _ok_value("output", transform(case.get("mapping")))


def _run_validate_mapping(case: dict[str, Any]) -> str:
    from pipedrive_gui.core.mapping_kit import validate_mapping

    validate_mapping(case.get("mapping"))
    return '{"ok":true}'


def _run_fql(case: dict[str, Any]) -> str:
    fql = case.get("fql")
    if not isinstance(fql, str):
        return _error("fql must be a string")
    from pipedrive_gui.core.triggers import fql_matches

    matched = fql_matches(fql, _data_or_undefined(case, "event"))
    return '{"ok":true,"match":' + ("true" if matched else "false") + "}"


def _run_payload(case: dict[str, Any]) -> str:
    from pipedrive_gui.core.actions import ACTIONS
    from pipedrive_gui.core.payload import build_payload

    action = case.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        # The oracle's own wording for a question it cannot ask Segment's code.
        shown = js_to_json(action) if "action" in case else None
        return _error(f"unknown Pipedrive action: {shown or 'undefined'}")
    event = case["event"] if "event" in case else {}
    mapping = case.get("mapping")
    result = build_payload(action, {} if mapping is None else mapping, event)
    if not result.ok:
        return _error(result.error or "; ".join(p.message for p in result.problems) or "payload failed")
    return _ok_value("payload", result.payload)


HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "transform": _run_transform,
    "validate_mapping": _run_validate_mapping,
    "fql": _run_fql,
    "payload": _run_payload,
}


def _message(exc: BaseException) -> str:
    # FQL errors carry a friendly message for people and Segment's own wording for this protocol.
    segment_text = getattr(exc, "segment_error", None)  # FqlError (the trigger package loads lazily)
    if isinstance(segment_text, str) and segment_text:
        return segment_text
    if isinstance(exc, UserError) and exc.user_message:
        return exc.user_message
    return str(exc) or type(exc).__name__


def answer_line(line: str) -> str:
    """The answer line (without newline) for one input line. Never raises for bad input."""
    return _line_safe(_answer(line))


def _answer(line: str) -> str:
    if line.strip() == "":
        return _error("eval: empty input line")
    try:
        case = js_json_parse(line)
    except (ValueError, RecursionError) as exc:
        return _error(f"eval: invalid JSON input line: {exc}")
    if not isinstance(case, dict):
        return _error("eval: input line must be a JSON object")
    kind = case.get("kind")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return _error(f"eval: unknown kind {json.dumps(kind)}")
    try:
        answer = handler(case)
    except RecursionError:
        return _error("Maximum call stack size exceeded")
    except Exception as exc:  # noqa: BLE001 - every failure of one line is that line's answer
        return _error(_message(exc))
    return answer


_SURROGATE = re.compile("[\ud800-\udfff]")


def _line_safe(text: str) -> str:
    # Some line splitters break on these; the oracle writes them as escapes too.
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")
    if _SURROGATE.search(text):
        # JS strings are UTF-16: a pair stored as two code points is one character, and a lone
        # surrogate (e.g. half an emoji cut by a slice) is written as JSON.stringify does, \udXXX,
        # because UTF-8 output cannot carry it.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def answer_lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield answer_line(line.rstrip("\r\n"))
