"""Opt-in fault injection: scripted 429s, 5xx, slow answers, dropped connections, abuse blocks.

A :class:`FaultRule` matches requests by path glob (``fnmatch``, e.g. ``/api/v2/persons*``) and
optional method, and fires for the next ``count`` matching requests and/or with probability
``rate`` (a seeded RNG, so runs repeat). ``slow`` delays and lets the request go on; the other kinds
answer instead of the handler. Settable in code (``sandbox.faults.add(...)``), over HTTP
(``POST /__sandbox/faults``) and from the CLI (``--fault rate_limit:count=3,retry_after=1``).
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("rate_limit", "server_error", "slow", "drop", "abuse_block", "error")
_ALIASES = {
    "429": "rate_limit",
    "5xx": "server_error",
    "500": "server_error",
    "502": "server_error",
    "503": "server_error",
    "504": "server_error",
    "403": "abuse_block",
    "html403": "abuse_block",
    "delay": "slow",
    "disconnect": "drop",
    # Pipedrive's JSON refusals: bad request, token, plan/billing, permission, not found.
    "400": "error",
    "401": "error",
    "402": "error",
    "404": "error",
    "422": "error",
    "json403": "error",
}
#: The status an ``error`` alias stands for (``json403`` is a JSON permission refusal, unlike the
#: HTML abuse block that ``403`` means).
_ALIAS_STATUS = {"400": 400, "401": 401, "402": 402, "404": 404, "422": 422, "json403": 403}


class FaultSpecError(ValueError):
    """A fault description that cannot be understood; the message says what is wrong."""


@dataclass
class FaultRule:
    kind: str
    path: str = "*"
    method: str | None = None
    count: int | None = None
    rate: float | None = None
    status: int = 500
    retry_after: float | None = 1.0
    delay_ms: int = 0
    daily: bool = False
    # drop and server_error only: act after the request was carried out (the write happened, then
    # the connection is closed / a 5xx is answered instead of the result), instead of before it.
    after: bool = False
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.count is not None and self.count < 0:
            raise FaultSpecError("count must be 0 or more")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise FaultSpecError("rate must be between 0 and 1")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise FaultSpecError("status of a server_error must be 5xx")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise FaultSpecError("status of an error must be 4xx or 5xx")
        if self.kind == "slow" and self.delay_ms <= 0:
            raise FaultSpecError("a slow fault needs delay_ms > 0")
        if self.after and self.kind not in ("drop", "server_error"):
            raise FaultSpecError("after=true only applies to drop and server_error faults")
        if self.method:
            self.method = self.method.upper()

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def matches(self, method: str, path: str) -> bool:
        if self.exhausted:
            return False
        if self.method and self.method != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultSettings:
    """Mutable fault settings of one sandbox; safe to change while it runs (single event loop)."""

    rules: list[FaultRule] = field(default_factory=list)
    # Simulated search-index lag: records written less than this long ago are not found by search.
    search_lag_s: float = 0.0
    # Enforce the burst limit (rolling 2 s window) with 429s; off by default so tests without a
    # pacing client are not surprised. The x-ratelimit-* headers are always sent.
    enforce_burst: bool = False
    burst_limit: int = 40  # Growth plan, API token (docs/pipedrive-api.md#rate-limits)
    search_burst_limit: int = 10
    daily_budget: int = 60_000  # 30,000 x Growth multiplier 2 x 1 seat
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def add(self, kind: str, **options: Any) -> FaultRule:
        if kind in _ALIAS_STATUS and "status" not in options:
            options = {**options, "status": _ALIAS_STATUS[kind]}
        rule = FaultRule(kind=_ALIASES.get(kind, kind), **options)
        if kind in ("500", "502", "503", "504") and "status" not in options:
            rule.status = int(kind)
        self.rules.append(rule)
        return rule

    # Shorthands for tests.
    def rate_limit(
        self,
        count: int | None = 1,
        *,
        retry_after: float | None = 1.0,
        path: str = "*",
        rate: float | None = None,
        daily: bool = False,
        method: str | None = None,
    ) -> FaultRule:
        return self.add(
            "rate_limit",
            count=count,
            retry_after=retry_after,
            path=path,
            rate=rate,
            daily=daily,
            method=method,
        )

    def server_error(
        self,
        count: int | None = 1,
        *,
        status: int = 500,
        path: str = "*",
        rate: float | None = None,
        method: str | None = None,
        after: bool = False,
    ) -> FaultRule:
        """A 5xx answer; ``after=True``: the request is carried out first (a write lands), then the
        5xx replaces its answer (a gateway that timed out on a write Pipedrive made)."""
        return self.add(
            "server_error", count=count, status=status, path=path, rate=rate, method=method, after=after
        )

    def slow(
        self,
        delay_ms: int,
        *,
        count: int | None = None,
        path: str = "*",
        rate: float | None = None,
        method: str | None = None,
    ) -> FaultRule:
        return self.add("slow", delay_ms=delay_ms, count=count, path=path, rate=rate, method=method)

    def drop(
        self,
        count: int | None = 1,
        *,
        path: str = "*",
        rate: float | None = None,
        method: str | None = None,
        after: bool = False,
    ) -> FaultRule:
        """Dropped connection; ``after=True``: the request is carried out, then its answer is lost."""
        return self.add("drop", count=count, path=path, rate=rate, method=method, after=after)

    def clear(self) -> None:
        self.rules.clear()

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def pick(self, method: str, path: str) -> list[FaultRule]:
        """Rules that fire for this request (and count them as fired): slow ones, then at most one other."""
        fired: list[FaultRule] = []
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.rate is not None and self._rng.random() >= rule.rate:
                continue
            rule.fired += 1
            fired.append(rule)
            if rule.kind != "slow":
                break
        return fired

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": [r.to_json() for r in self.rules],
            "search_lag_s": self.search_lag_s,
            "enforce_burst": self.enforce_burst,
            "burst_limit": self.burst_limit,
            "search_burst_limit": self.search_burst_limit,
            "daily_budget": self.daily_budget,
            "seed": self.seed,
        }

    def update_from_json(self, data: Any) -> None:
        """Apply ``POST /__sandbox/faults``: ``{"rules": [...], "replace": true, "search_lag_s": ...}``.

        Only the keys present change; all values are checked before anything changes."""
        if not isinstance(data, dict):
            raise FaultSpecError("body must be a JSON object")
        rules = data.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise FaultSpecError("rules must be an array of objects")
        new_rules = [_rule_from_json(raw) for raw in rules]
        changes: dict[str, Any] = {}
        for key, typ in _SETTING_TYPES.items():
            if key in data:
                value = data[key]
                if not _is_type(value, typ) or (typ is not bool and value < 0):
                    raise FaultSpecError(
                        f"{key} must be a {'boolean' if typ is bool else 'non-negative number'}"
                    )
                changes[key] = typ(value)
        if "seed" in data and not _is_type(data["seed"], int):
            raise FaultSpecError("seed must be an integer")
        for key, value in changes.items():
            setattr(self, key, value)
        if "seed" in data:
            self.reseed(data["seed"])
        if "rules" in data:
            # Rules given: they replace the current ones unless "replace": false.
            if data.get("replace", True):
                self.rules = new_rules
            else:
                self.rules.extend(new_rules)


_SETTING_TYPES: dict[str, type] = {
    "search_lag_s": float,
    "enforce_burst": bool,
    "burst_limit": int,
    "search_burst_limit": int,
    "daily_budget": int,
}
_NULLABLE = frozenset({"method", "count", "rate", "retry_after"})


def _is_type(value: Any, typ: type) -> bool:
    if typ is bool:
        return isinstance(value, bool)
    if typ is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ)


def _rule_from_json(raw: dict[str, Any]) -> FaultRule:
    options = {k: v for k, v in raw.items() if k not in ("kind", "fired")}
    kind = str(raw.get("kind", ""))
    for key, value in options.items():
        typ = _FIELD_TYPES.get(key)
        if typ is None:
            raise FaultSpecError(f"unknown fault option {key!r}; options: {', '.join(_FIELD_TYPES)}")
        if not (value is None and key in _NULLABLE) and not _is_type(value, typ):
            raise FaultSpecError(f"fault option {key!r} must be of type {typ.__name__}")
    if kind in ("500", "502", "503", "504") and "status" not in options:
        options["status"] = int(kind)
    if kind in _ALIAS_STATUS and "status" not in options:
        options["status"] = _ALIAS_STATUS[kind]
    return FaultRule(kind=_ALIASES.get(kind, kind), **options)


_FIELD_TYPES: dict[str, type] = {
    "path": str,
    "method": str,
    "count": int,
    "rate": float,
    "status": int,
    "retry_after": float,
    "delay_ms": int,
    "daily": bool,
    "after": bool,
}


def parse_fault_spec(text: str) -> FaultRule:
    """``kind[:key=value,...]``, e.g. ``429:count=3,retry_after=2``, ``503:rate=0.2``,
    ``slow:delay_ms=800,path=/api/v2/*``, ``drop:count=1``, ``drop:after=true,method=POST``,
    ``503:after=true,method=POST`` (the write lands, then a 503 is answered),
    ``rate_limit:daily=true``, ``402`` or ``error:status=404,path=/api/v2/deals*`` (a JSON refusal)."""
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    options: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or key not in _FIELD_TYPES:
            raise FaultSpecError(f"bad fault option {part!r}; options: {', '.join(_FIELD_TYPES)}")
        typ = _FIELD_TYPES[key]
        try:
            if typ is bool:
                options[key] = value.strip().lower() in ("1", "true", "yes")
            elif key == "retry_after" and value.strip().lower() in ("none", ""):
                options[key] = None
            else:
                options[key] = typ(value.strip())
        except ValueError:
            raise FaultSpecError(f"bad value for {key}: {value!r}") from None
    if kind in ("500", "502", "503", "504") and "status" not in options:
        options["status"] = int(kind)
    if kind in _ALIAS_STATUS and "status" not in options:
        options["status"] = _ALIAS_STATUS[kind]
    return FaultRule(kind=_ALIASES.get(kind, kind), **options)
