"""Client-side pacing for Pipedrive's token-based rate limits (docs/pipedrive-api.md#rate-limits).

Pipedrive limits bursts per API token in a rolling 2-second window (plan-dependent: Lite 20,
Growth 40, Premium 100, Ultimate 120 requests) and search endpoints separately (10 per 2 s on every
plan). Staying a little under the limit is cheaper than eating 429s, and hammering after 429s gets
an API token blocked (403 HTML page). So each request first takes a slot from a rolling window;
responses' ``x-ratelimit-*`` headers then correct our estimate (another app may share the token).

Clock and sleep are injectable so tests run without real waiting.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

WINDOW_SECONDS = 2.0
#: API-token burst limits per 2 s by plan (docs/pipedrive-api.md#rate-limits). Unknown plan → the smallest.
PLAN_BURST_LIMITS = {"lite": 20, "growth": 40, "premium": 100, "ultimate": 120}
DEFAULT_BURST_LIMIT = PLAN_BURST_LIMITS["lite"]
#: Search API burst limit (all plans).
SEARCH_BURST_LIMIT = 10
#: Slots kept free below the server's limit (clock skew, other users of the token).
SAFETY_MARGIN = 2

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Budget:
    """What is left, for display ("18 of 20 requests left in this 2-second window")."""

    burst_limit: int
    burst_remaining: int
    search_limit: int
    search_remaining: int
    #: Company-wide daily token budget left, when Pipedrive reports it (optional header).
    daily_remaining: int | None
    #: Seconds until requests may flow again (after a 429 or an exhausted window); 0 when free.
    paused_for: float


class RollingWindow:
    """At most ``capacity`` sends in any ``window``-second span."""

    def __init__(self, capacity: int, window: float = WINDOW_SECONDS) -> None:
        self.capacity = max(1, capacity)
        self.window = window
        self._sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()

    def remaining(self, now: float) -> int:
        self._expire(now)
        return max(0, self.capacity - len(self._sent))

    def wait_time(self, now: float) -> float:
        """Seconds until one more send fits."""
        self._expire(now)
        if len(self._sent) < self.capacity:
            return 0.0
        # The oldest sends beyond capacity must leave the window first.
        excess = len(self._sent) - self.capacity
        return max(0.0, self._sent[excess] + self.window - now)

    def record(self, now: float) -> None:
        self._sent.append(now)


class Pacer:
    """Shared by all requests of one client; ``await acquire()`` before each HTTP call."""

    def __init__(
        self,
        *,
        burst_limit: int = DEFAULT_BURST_LIMIT,
        search_limit: int = SEARCH_BURST_LIMIT,
        margin: int = SAFETY_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._burst_limit = burst_limit
        self._search_limit = search_limit
        self._general = RollingWindow(burst_limit - margin)
        self._search = RollingWindow(search_limit - margin)
        self._paused_until = 0.0
        # Server view of the window: (remaining, observed at, reset seconds).
        self._server: dict[bool, tuple[int, float, float]] = {}
        self.daily_remaining: int | None = None
        self._lock: asyncio.Lock | None = None

    @classmethod
    def for_plan(
        cls, plan: str | None, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> Pacer:
        """Defaults for a plan name (lite/growth/premium/ultimate); unknown → the smallest."""
        limit = PLAN_BURST_LIMITS.get((plan or "").lower(), DEFAULT_BURST_LIMIT)
        return cls(burst_limit=limit, clock=clock, sleep=sleep)

    async def acquire(self, *, search: bool = False) -> None:
        """Wait (cancellably) until a request may be sent, then count it as sent."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        # One waiter at a time keeps the order fair; cancelling releases the lock.
        async with self._lock:
            while True:
                now = self._clock()
                wait = max(self._paused_until - now, self._general.wait_time(now))
                if search:
                    wait = max(wait, self._search.wait_time(now))
                if wait <= 0:
                    self._general.record(now)
                    if search:
                        self._search.record(now)
                    return
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (after a 429: do not hammer)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def observe(self, headers: Mapping[str, str], *, search: bool = False) -> None:
        """Take the server's own count from a response's rate-limit headers."""
        now = self._clock()
        limit = _int(headers.get("x-ratelimit-limit"))
        remaining = _int(headers.get("x-ratelimit-remaining"))
        reset = _float(headers.get("x-ratelimit-reset"))
        window = self._search if search else self._general
        if limit is not None and limit > 0:
            if search:
                self._search_limit = limit
            else:
                self._burst_limit = limit
            window.capacity = max(1, limit - self.margin)
        if remaining is not None:
            self._server[search] = (remaining, now, reset if reset is not None else WINDOW_SECONDS)
            if remaining <= self.margin:
                # The server says the window is (nearly) spent: wait for its reset.
                self.pause(reset if reset is not None else WINDOW_SECONDS)
        daily = _int(headers.get("x-daily-ratelimit-token-remaining"))
        if daily is not None:
            self.daily_remaining = daily

    def _server_remaining(self, search: bool, now: float) -> int | None:
        seen = self._server.get(search)
        if seen is None:
            return None
        remaining, at, reset = seen
        if now - at >= max(reset, 0.0):
            return None  # that window is over
        return remaining

    def budget(self) -> Budget:
        now = self._clock()
        general = self._general.remaining(now)
        server = self._server_remaining(False, now)
        if server is not None:
            general = min(general, max(0, server - self.margin))
        search = min(general, self._search.remaining(now))
        server_s = self._server_remaining(True, now)
        if server_s is not None:
            search = min(search, max(0, server_s - self.margin))
        return Budget(
            burst_limit=self._burst_limit,
            burst_remaining=general,
            search_limit=self._search_limit,
            search_remaining=search,
            daily_remaining=self.daily_remaining,
            paused_for=max(0.0, self._paused_until - now),
        )


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or HTTP date), else ``x-ratelimit-reset`` seconds, else None."""
    value = headers.get("retry-after")
    if value:
        seconds = _float(value)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            current = time.time() if now is None else now
            return max(0.0, when.timestamp() - current)
    reset = _float(headers.get("x-ratelimit-reset"))
    if reset is not None:
        return max(0.0, reset)
    return None


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 20.0, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with jitter: attempt 0 → 0.25–0.5 s, 1 → 0.5–1 s, ... capped."""
    ceiling = min(cap, base * (2.0**attempt))
    return ceiling * (0.5 + rng() / 2)


def _int(value: str | None) -> int | None:
    f = _float(value)
    return None if f is None else int(f)


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        f = float(value.strip())
    except ValueError:
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f
