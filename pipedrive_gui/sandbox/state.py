"""What one sandbox instance knows: its records and every request it received (for assertions)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from pipedrive_gui.sandbox.ratelimit import RateLimiter
from pipedrive_gui.sandbox.store import SandboxStore

# Never recorded: the token header and anything else that may carry a credential.
SECRET_HEADERS = frozenset({"x-api-token", "authorization", "cookie", "proxy-authorization"})
SECRET_PARAMS = frozenset({"api_token"})


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int | None = None
    fault: str | None = None
    # Whether an x-api-token header came with the request (its value is never kept).
    had_token: bool = False

    @property
    def call(self) -> str:
        """``"GET /api/v2/persons/101"``: handy in assertions."""
        return f"{self.method} {self.path}"


@dataclass
class SandboxState:
    store: SandboxStore
    requests: list[RecordedRequest] = field(default_factory=list)
    limiter: RateLimiter = field(default_factory=RateLimiter)

    def calls(self) -> list[str]:
        """Every request as ``"METHOD /path"``, in arrival order."""
        return [r.call for r in self.requests]

    def requests_to(self, method: str, path_glob: str) -> list[RecordedRequest]:
        return [
            r for r in self.requests if r.method == method.upper() and fnmatch.fnmatchcase(r.path, path_glob)
        ]

    def clear_requests(self) -> None:
        self.requests.clear()

    # Record helpers for test set-up and assertions (v2 shape for v2 entities, v1 for leads/notes).
    def records(self, entity: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.live(entity)]

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        rec = self.store.get(entity, record_id)
        return dict(rec) if rec is not None else None

    def find(self, entity: str, **criteria: Any) -> list[dict[str, Any]]:
        """Records whose top-level keys (or ``custom_fields`` keys) equal the criteria."""
        out = []
        for rec in self.store.live(entity):
            custom = rec.get("custom_fields") or {}
            if all(rec.get(k, custom.get(k)) == v for k, v in criteria.items()):
                out.append(dict(rec))
        return out
