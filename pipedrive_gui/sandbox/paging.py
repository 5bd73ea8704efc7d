"""Pagination: v2 opaque cursors and v1 start/limit (docs/pipedrive-api.md#paging)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from pipedrive_gui.sandbox.errors import validation_failed

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def parse_limit(query: Mapping[str, str], version: int, maximum: int = MAX_LIMIT) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return min(DEFAULT_LIMIT, maximum)
    if not raw.isdigit() or int(raw) < 1:
        raise validation_failed(version, [f"limit: must be a positive integer, got {raw!r}"])
    if int(raw) > maximum:
        raise validation_failed(version, [f"limit: must be at most {maximum}, got {raw}"])
    return int(raw)


def encode_cursor(offset: int) -> str:
    # Opaque to clients, like Pipedrive's; an offset inside keeps the sandbox simple.
    return base64.urlsafe_b64encode(f"sandbox:{offset}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        prefix, _, offset = text.partition(":")
        if prefix == "sandbox" and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise validation_failed(2, [f"cursor: {raw!r} is not a cursor this server issued"])


def page_v2(
    items: list[Any], query: Mapping[str, str], maximum: int = MAX_LIMIT
) -> tuple[list[Any], dict[str, Any]]:
    limit = parse_limit(query, 2, maximum)
    start = decode_cursor(query.get("cursor"))
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, {"next_cursor": encode_cursor(start + limit) if more else None}


def page_v1(items: list[Any], query: Mapping[str, str]) -> tuple[list[Any], dict[str, Any]]:
    raw_start = query.get("start", "0") or "0"
    if not raw_start.isdigit():
        raise validation_failed(1, [f"start: must be a non-negative integer, got {raw_start!r}"])
    start = int(raw_start)
    limit = parse_limit(query, 1)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return chunk, {"pagination": pagination}
