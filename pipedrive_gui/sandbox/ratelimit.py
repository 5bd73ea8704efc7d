"""Token-based rate limiting as Pipedrive documents it: burst window + daily budget.

Every answer carries ``x-ratelimit-limit`` / ``-remaining`` / ``-reset`` (seconds) and the
undocumented-but-seen ``x-daily-ratelimit-token-limit`` / ``-remaining``. Token costs use the
third-party transcriptions of ``x-token-cost`` (docs/pipedrive-api.md#rate-limits): v2 get 1, list 10,
search 20, write 5, delete 3; v1 users/me 2, activityTypes 20, list 20, get 2, writes 10.
"""

from __future__ import annotations

import math
import time
from collections import deque

WINDOW_S = 2.0


def token_cost(method: str, path: str) -> int:
    v2 = path.startswith("/api/v2/")
    if path.endswith("/search") or "/itemSearch" in path:
        return 20 if v2 else 40
    if path == "/api/v1/users/me":
        return 2
    if method == "DELETE":
        return 3 if v2 else 6
    if method in ("POST", "PATCH", "PUT"):
        return 5 if v2 else 10
    parts = [p for p in path.split("/") if p]
    single = len(parts) >= 4  # /api/vN/<collection>/<id>
    if v2:
        return 1 if single else 10
    return 2 if single else 20


def is_search(path: str) -> bool:
    return path.endswith("/search") or "/itemSearch" in path


class RateLimiter:
    def __init__(self) -> None:
        self._window: deque[float] = deque()
        self._search_window: deque[float] = deque()
        self.tokens_spent = 0

    @staticmethod
    def _trim(window: deque[float], now: float) -> None:
        while window and now - window[0] >= WINDOW_S:
            window.popleft()

    def observe(self, path: str, limit: int, search_limit: int) -> tuple[dict[str, str], bool]:
        """Count one request; headers for it and whether it went over its burst limit."""
        now = time.monotonic()
        window = self._search_window if is_search(path) else self._window
        ceiling = search_limit if is_search(path) else limit
        self._trim(window, now)
        over = len(window) >= ceiling
        if not over:
            window.append(now)
        reset = WINDOW_S - (now - window[0]) if window else WINDOW_S
        headers = {
            "x-ratelimit-limit": str(ceiling),
            "x-ratelimit-remaining": str(max(0, ceiling - len(window))),
            "x-ratelimit-reset": str(max(1, math.ceil(reset))),
        }
        return headers, over

    def spend(self, cost: int, budget: int) -> tuple[dict[str, str], bool]:
        """Charge the daily budget; headers and whether the budget was already exhausted."""
        exhausted = self.tokens_spent + cost > budget
        if not exhausted:
            self.tokens_spent += cost
        headers = {
            "x-daily-ratelimit-token-limit": str(budget),
            "x-daily-ratelimit-token-remaining": str(max(0, budget - self.tokens_spent)),
        }
        return headers, exhausted
