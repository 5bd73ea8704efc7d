"""A fresh sandbox per test, reached over real loopback HTTP with httpx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pipedrive_gui.resources import resource_path
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    sb = await start_sandbox()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=sandbox.base_url, headers={"x-api-token": sandbox.token}, timeout=10
    ) as c:
        yield c


@pytest.fixture(scope="session")
def custom_fields() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resource_path("sandbox", "custom_fields.json").read_text("utf-8"))
    fields: dict[str, Any] = data["fields"]
    return fields


def key_of(custom_fields: dict[str, Any], entity: str, label: str) -> str:
    return next(str(f["key"]) for f in custom_fields[entity] if f["label"] == label)
