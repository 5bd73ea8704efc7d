"""What Segment's tracking API does to a request before anything is stored.

Pure functions (no I/O): body decoding (gzip), write-key extraction, Segment's size and count
limits, batch unpacking with batch-level ``context``/``integrations`` merged into each event, and
the stamps Segment adds (``receivedAt``, ``messageId``, ``timestamp``). Events that Segment accepts
with a 200 but drops later are kept and carry a ``flag`` saying why.

JSON is read the way Segment's tracking API (a Go service, Go's JSON rules) reads it:

- ``NaN``, ``Infinity`` and numbers beyond a double (``1e400``) are not JSON: 400 ``invalid_json``
  for the request, as Segment answers (Python's parser would accept them and store null).
- Bytes that are not UTF-8 inside a string become U+FFFD, as Go does; outside a string they make
  the JSON invalid (400).
- A lone UTF-16 surrogate (``"\\ud83c"``, half an emoji, what JavaScript's ``.slice()`` can leave) is
  valid JSON: accepted and stored faithfully. UTF-8 cannot carry it, so stored JSON writes it as the
  escape ``\\ud83c`` (:func:`json_text`); parsed again it is the same string.
- Nesting deeper than :data:`MAX_DEPTH` objects/arrays per event: 400 ``too_deep`` for the request.
  Segment's parser allows 10,000 levels; this receiver stops far earlier because everything after
  intake (the journal's SQLite JSON functions, Python's recursive JSON code, the mapping kit, the
  GUI) has to handle the event too. No real client sends more than a few dozen levels.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from pipedrive_gui.core.events import EVENT_TYPES
from pipedrive_gui.receiver.errors import IntakeError

# Segment's published limits (HTTP tracking API docs).
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500
#: Nested objects/arrays an event may have (``{"a": 1}`` has 1); deeper is a 400 ``too_deep``.
#: Equal to orjson's encoding limit, so the fast path needs no check of its own.
MAX_DEPTH = 254

# Path segment after /v1/ -> event type, or "batch". analytics.js uses the first letter.
ENDPOINTS: dict[str, str] = {
    **{t: t for t in EVENT_TYPES},
    **{t[0]: t for t in EVENT_TYPES},
    "batch": "batch",
    "import": "batch",
    "b": "batch",
}

# Flags: Segment answers 200 for these but never delivers them to a destination.
FLAG_REASONS: dict[str, str] = {
    "no_user_anon_id": "Segment drops events that have neither userId nor anonymousId.",
    "missing_event": "Segment drops track calls without an event name.",
    "invalid_type": "Segment drops batch items whose type is not identify, track, page, screen, group or alias.",
}


class AcceptedEvent(NamedTuple):
    """One event as it goes into the journal (a tuple: built once per event on the hot path)."""

    message_id: str
    type: str
    flag: str | None  # why Segment would drop it, or None
    body: bytes | str  # the normalized event as compact JSON (intake makes UTF-8 bytes)


def now_iso() -> str:
    return format_time(datetime.now(timezone.utc))


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as Segment writes its stamps."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: object) -> datetime | None:
    """Parse an ISO 8601 string (``Z`` or offset, any fraction digits); None when it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat wants exactly 3 or 6 fraction digits.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        frac = (text[dot + 1 : end] + "000000")[:6]
        text = text[: dot + 1] + frac + text[end:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def decode_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding: gzip``; refuse truncated/corrupt streams.

    Inflates at most ``limit + 1`` bytes (a small bomb cannot fill memory); a longer result is
    returned cut there so :func:`check_size` refuses it with Segment's code.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise IntakeError(
            400,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding.",
        )
    wbits = 31 if encoding != "deflate" else 15
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise IntakeError(400, "invalid_gzip", f"The request body is not valid gzip ({exc}).") from exc
    if len(out) > limit:
        return out  # over the limit: the caller's size check answers with Segment's error
    if not inflater.eof:
        raise IntakeError(
            400, "invalid_gzip", "The gzip request body is truncated; the client must resend it whole."
        )
    return out


def write_key_from(headers: Mapping[str, str], body: Mapping[str, Any] | None) -> str | None:
    """The write key: HTTP Basic user name (``base64(key:)``) or ``writeKey`` in the body.

    A ``Bearer`` token (Segment's OAuth) is not a write key; the body must then carry ``writeKey``.
    """
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, value = auth.strip().partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user = decoded.split(":", 1)[0]
        if user:
            return user
    if body is not None:
        key = body.get("writeKey")
        if isinstance(key, str) and key:
            return key
    return None


def _too_deep() -> IntakeError:
    return IntakeError(
        400,
        "too_deep",
        f"The request body nests objects/arrays more than {MAX_DEPTH} levels deep; this receiver accepts "
        f"at most {MAX_DEPTH} per event.",
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; send null or a string instead")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise ValueError(f"the number {text[:40]} is too large for a double")
    return value


_INF = float("inf")


def parse_request_json(data: bytes) -> Any:
    """Parse a request body with Segment's (Go's) rules; raises :class:`IntakeError` 400.

    The fast parser (orjson) takes ordinary JSON; what it refuses goes to the standard parser,
    configured to accept what Go accepts (lone surrogates, integers beyond 64 bits, invalid UTF-8
    inside strings as U+FFFD) and to refuse what Go refuses (NaN, Infinity, 1e400).
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except ValueError as exc:
            if "depth" in str(exc) or "recursion" in str(exc).lower():
                raise _too_deep() from exc
    text = data.decode("utf-8", "replace")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise _too_deep() from exc
    except ValueError as exc:
        raise IntakeError(400, "invalid_json", f"The request body is not valid JSON ({exc}).") from exc


def parse_json_object(data: bytes) -> dict[str, Any]:
    value = parse_request_json(data)
    if not isinstance(value, dict):
        raise IntakeError(400, "invalid_json", "The request body must be a JSON object.")
    return value


def check_size(kind: str, size: int) -> None:
    """Segment's per-request limits, checked before parsing."""
    if kind == "batch":
        if size > MAX_BATCH_BYTES:
            raise IntakeError(
                400,
                "batch_too_large",
                f"A batch request may be at most 500 KB; this one is {size // 1024} KB.",
            )
    elif size > MAX_EVENT_BYTES:
        raise IntakeError(
            400, "event_too_large", f"An event may be at most 32 KB; this one is {size // 1024} KB."
        )


def _merge_missing(target: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Fill keys the event lacks from the batch-level object; the event's own values win."""
    for key, value in defaults.items():
        if key not in target:
            target[key] = value
        else:
            mine = target[key]
            if isinstance(mine, dict) and isinstance(value, dict):
                merged = dict(mine)
                _merge_missing(merged, value)
                target[key] = merged


_TYPE_SET = frozenset(EVENT_TYPES)


_std_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def utf8_json(text: str) -> bytes:
    """JSON text as UTF-8; a lone surrogate (legal in JSON strings, not in UTF-8) becomes its
    ``\\uXXXX`` escape, which parses back to the same string. Nothing else changes."""
    return text.encode("utf-8", "backslashreplace")


def json_text(value: Any, *, default: Callable[[Any], Any] | None = None, indent: int | None = None) -> str:
    """``json.dumps`` (non-ASCII kept, compact unless ``indent``) that is always valid UTF-8: lone
    surrogates are written as escapes (see :func:`utf8_json`). For every JSON the receiver writes
    (journal columns, exports, the GUI's JSON views)."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, ensure_ascii=False, separators=separators, default=default, indent=indent)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return utf8_json(text).decode("utf-8")
    return text


def depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return False


def _std_encode(value: Any) -> bytes:
    """The exact encoder for what the fast one refuses: integers beyond 64 bits, lone surrogates,
    deep nesting (checked here: :data:`MAX_DEPTH`, raises :class:`IntakeError`)."""
    if depth_over(value, MAX_DEPTH):
        raise _too_deep()
    return utf8_json(_std_encoder(value))


_fast_dumps: Callable[[Any], bytes] | None = None
_fast_loads: Callable[[bytes | str], Any] | None = None
_encode: Callable[[Any], bytes] = _std_encode
_decode: Callable[[bytes | str], Any] = json.loads

try:  # optional speed-up: parsing and encoding events are the costliest steps of intake
    import orjson

    def _orjson_encode(value: Any) -> bytes:
        try:
            return orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):  # big integers, lone surrogates, deep nesting
            return _std_encode(value)

    def _orjson_decode(data: bytes | str) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            # orjson is stricter than JSON.parse in a few corners (integers beyond 64 bits);
            # the standard parser decides (and raises the error shown to the client).
            return json.loads(data)

    _fast_dumps = orjson.dumps
    _fast_loads = orjson.loads
    _encode = _orjson_encode
    _decode = _orjson_decode
except ImportError:  # pragma: no cover - the standard library is used
    pass


def decode_json(data: bytes | str) -> Any:
    """Parse JSON with the intake's parser (raises ValueError on bad JSON)."""
    return _decode(data)


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as is, lone surrogates escaped), as events are stored.
    Raises :class:`IntakeError` ``too_deep`` beyond :data:`MAX_DEPTH`."""
    return _encode(value)


def column_text(value: str) -> str:
    """A string as a journal column may hold it (valid UTF-8): lone surrogates as ``\\uXXXX`` text."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return utf8_json(value).decode("utf-8")
    return value


@dataclass(frozen=True)
class _Shared:
    """Batch-level values merged into each event of a batch (looked up once per request)."""

    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    sent_at: Any = None
    has_sent_at: bool = False

    @classmethod
    def of(cls, batch: dict[str, Any]) -> _Shared:
        ctx = batch.get("context")
        integ = batch.get("integrations")
        return cls(
            ctx if isinstance(ctx, dict) else None,
            integ if isinstance(integ, dict) else None,
            batch.get("sentAt"),
            "sentAt" in batch,
        )


_NO_SHARED = _Shared()


def _timestamp(event: Mapping[str, Any], received: datetime) -> str | None:
    """Segment's skew correction: ``receivedAt - (sentAt - originalTimestamp)``."""
    original = parse_time(event.get("originalTimestamp"))
    if original is None:
        return None
    sent = parse_time(event.get("sentAt"))
    if sent is None:
        return format_time(original)
    skew: timedelta = sent - original
    return format_time(received - skew)


class AcceptedBatch(NamedTuple):
    """A request's events, none of them flagged, as the journal stores them before the 200: the
    encoded events back to back and a small JSON index (the journal cuts rows out of it later)."""

    size: int  # how many events
    idx: bytes  # UTF-8 JSON array of [offset (1-based), length, messageId, type], one per event
    bodies: bytes  # the events' UTF-8 JSON, back to back


def events_from_request(
    kind: str, body: dict[str, Any], received: datetime | None = None
) -> list[AcceptedEvent]:
    """Unpack a parsed request body into journal-ready events, one each (see :func:`accept_request`)."""
    accepted = accept_request(kind, body, received, one_each=True)
    assert isinstance(accepted, list)
    return accepted


def accept_request(
    kind: str, body: dict[str, Any], received: datetime | None = None, *, one_each: bool = False
) -> AcceptedBatch | list[AcceptedEvent]:
    """What the intake stores for one request: an :class:`AcceptedBatch` when no event is flagged
    (the usual case), else (or with ``one_each``) one :class:`AcceptedEvent` each. Raises
    :class:`IntakeError` for Segment's 400s (not a batch, too many events, an event over 32 KB).

    Events are stamped in place: ``body`` must be the caller's own parsed copy.
    """
    received = received or datetime.now(timezone.utc)
    if kind != "batch":
        items: Any = [body]
        shared = _NO_SHARED
    else:
        items = body.get("batch")
        if not isinstance(items, list):
            raise IntakeError(400, "invalid_batch", 'A batch request needs a "batch" array of events.')
        if len(items) > MAX_BATCH_EVENTS:
            raise IntakeError(
                400, "too_many_events", f"A batch may hold at most 2,500 events; this one has {len(items):,}."
            )
        shared = _Shared.of(body)
    try:
        index, bodies, flags = _stamp_all(items, None if kind == "batch" else kind, received, shared)
    except RecursionError as exc:  # merging a deep batch-level context into a deep event context
        raise _too_deep() from exc
    if one_each or any(flags):
        return [
            AcceptedEvent(message_id, kind_, flag, encoded)
            for (_o, _n, message_id, kind_), flag, encoded in zip(index, flags, bodies, strict=True)
        ]
    return AcceptedBatch(len(index), _encode(index), b"".join(bodies))


def _stamp_all(
    items: list[Any], endpoint_kind: str | None, received: datetime, shared: _Shared
) -> tuple[list[tuple[int, int, str, str]], list[bytes], list[str | None]]:
    """Stamp each event like Segment, flag what Segment would drop, encode it.

    One loop for every event of every request, so it is written for speed: no call per event but
    the encoder, and nothing done that the usual event does not need. Returns the journal's index
    entries (offset, length, messageId, type), the encoded events and their flags.
    """
    received_at = format_time(received)
    context, integrations = shared.context, shared.integrations
    has_sent_at, sent_at = shared.has_sent_at, shared.sent_at
    fast, types = _fast_dumps or _std_encode, _TYPE_SET
    index: list[tuple[int, int, str, str]] = []
    bodies: list[bytes] = []
    flags: list[str | None] = []
    offset = 1
    for position, event in enumerate(items):
        if event.__class__ is not dict and not isinstance(event, dict):
            raise IntakeError(400, "invalid_batch", f"Batch item {position} is not a JSON object.")
        if endpoint_kind is None:  # a batch item: its own type decides
            given = event.get("type")
            kind = given if given.__class__ is str and given in types else str(given or "")
        else:
            kind = endpoint_kind
        if "writeKey" in event:
            del event["writeKey"]  # a credential, not data: never stored
        if context is not None:
            own = event.get("context")
            if isinstance(own, dict):
                _merge_missing(own, context)
            elif own is None:
                event["context"] = dict(context)
        if integrations is not None:
            own = event.get("integrations")
            if isinstance(own, dict):
                _merge_missing(own, integrations)
            elif own is None:
                event["integrations"] = dict(integrations)
        if has_sent_at and "sentAt" not in event:
            event["sentAt"] = sent_at
        event["type"] = kind
        message_id = event.get("messageId")
        if message_id.__class__ is not str or not message_id:
            message_id = f"pdg-{uuid.uuid4()}" if message_id in (None, "") else str(message_id)
            event["messageId"] = message_id
        event["receivedAt"] = received_at
        if "timestamp" not in event:
            event["timestamp"] = _timestamp(event, received) or received_at
        # What Segment answers 200 for and then drops (see FLAG_REASONS).
        flag = None
        if kind not in types:
            flag = "invalid_type"
        else:
            user_id = event.get("userId")
            if (
                user_id.__class__ is not str or not user_id
            ):  # (a non-empty string id, the usual case, is enough)
                anonymous_id = event.get("anonymousId")
                if not user_id and not anonymous_id and user_id != 0 and anonymous_id != 0:
                    flag = "no_user_anon_id"
            if flag is None and kind == "track":
                name = event.get("event")
                if name.__class__ is not str or not name or name.isspace():
                    flag = "missing_event"
        try:
            encoded = fast(event)
        except (TypeError, ValueError):  # orjson refused it: big integers, lone surrogates, deep nesting
            encoded = _std_encode(event)  # (raises too_deep)
            # The journal's columns are UTF-8 text: a lone surrogate in the id or type is kept
            # as its escape there (the stored event keeps the string itself).
            message_id, kind = column_text(message_id), column_text(kind)
        size = len(encoded)
        if size > MAX_EVENT_BYTES:
            raise IntakeError(
                400,
                "event_too_large",
                f"Batch item {position} is over 32 KB; each event may be at most 32 KB."
                if endpoint_kind is None
                else "An event may be at most 32 KB.",
            )
        index.append((offset, size, message_id, kind))
        bodies.append(encoded)
        flags.append(flag)
        offset += size
    return index, bodies, flags
