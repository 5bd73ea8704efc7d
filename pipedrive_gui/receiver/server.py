"""The local receiver: a Segment-compatible HTTP intake (aiohttp) in front of the journal and dispatcher.

:class:`Receiver` is the whole service for the CLI and the GUI panel: ``await start()`` /
``await stop()``, live counters (:meth:`stats`), the journal (:meth:`query`, :meth:`detail`,
:meth:`counts`), :meth:`replay`, :meth:`export` and a change callback (:meth:`on_change`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiohttp import web

from pipedrive_gui.receiver.dispatcher import Dispatcher, EventProcessor, RetryPolicy
from pipedrive_gui.receiver.errors import IntakeError, JournalError, ReceiverStartError
from pipedrive_gui.receiver.intake import (
    ENDPOINTS,
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    AcceptedBatch,
    accept_request,
    check_size,
    decode_body,
    parse_json_object,
    write_key_from,
)
from pipedrive_gui.receiver.journal import (
    EventDetail,
    Journal,
    JournalPage,
    JournalQuery,
    Retention,
)
from pipedrive_gui.receiver.lock import JournalLock

log = logging.getLogger(__name__)

JOURNAL_FILE = "receiver-journal.sqlite3"
_OK = b'{"success":true}'
# Raw bodies larger than this are refused before reading (gzip shrinks JSON ~10x at most in practice).
_MAX_RAW = 4 * MAX_BATCH_BYTES


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ReceiverSettings:
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    write_key: str | None = None  # None accepts any write key (and none)
    allow_remote: bool = False  # must be True to listen beyond loopback
    retention: Retention | None = None  # stored in the journal when given; None keeps the journal's own
    synchronous: str = "FULL"  # SQLite durability; FULL survives power loss, NORMAL only process crashes


@dataclass
class ReceiverStats:
    """Counters since start (cheap to read often)."""

    requests: int = 0
    accepted: int = 0
    duplicates: int = 0
    dropped: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    dispatched: int = 0
    started_at: float = 0.0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True)
class ReceiverChange:
    """What changed since the last notification: events appended and events (re)dispatched."""

    appended: int
    dispatched: int


ChangeCallback = Callable[[ReceiverChange], None]


class Receiver:
    """Intake + journal + dispatcher. With ``processor=None`` events are journaled, not dispatched."""

    NOTIFY_INTERVAL = 0.2  # coalesce change notifications so a busy stream does not flood the GUI

    def __init__(
        self,
        data_dir: Path | str,
        settings: ReceiverSettings | None = None,
        *,
        processor: EventProcessor | None = None,
        retry: RetryPolicy | None = None,
        journal_path: Path | str | None = None,
    ) -> None:
        self.settings = settings or ReceiverSettings()
        path = Path(journal_path) if journal_path else Path(data_dir) / JOURNAL_FILE
        self.journal = Journal(path, retention=self.settings.retention, synchronous=self.settings.synchronous)
        self._lock = JournalLock(path)
        self._processor = processor
        self._retry = retry
        self.dispatcher: Dispatcher | None = None
        self._runner: web.AppRunner | None = None
        self._stats = ReceiverStats()
        self._listeners: list[ChangeCallback] = []
        self._pending_appended = 0
        self._pending_dispatched = 0
        self._notify_handle: asyncio.TimerHandle | None = None
        self.port: int | None = None
        self.warnings: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """Base URL clients post to (without ``/v1``)."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        s = self.settings
        if not is_loopback(s.host):
            if not s.allow_remote:
                raise ReceiverStartError(
                    f"Refusing to listen on {s.host}: only this computer (127.0.0.1) is allowed unless you "
                    "explicitly allow other machines (--allow-remote)."
                )
            warning = (
                f"WARNING: the receiver listens on {s.host}; other machines on the network can send events"
                + ("." if s.write_key else " and no write key is required (set one with --write-key).")
            )
            self.warnings.append(warning)
            log.warning(warning)
        if not self._lock.acquire():
            raise ReceiverStartError(
                f"Another receiver is already using the journal {self.journal.path}. Stop it first, "
                "or give this one another data folder."
            )
        try:
            await self.journal.open()
            app = self.build_app()
            runner = web.AppRunner(app, auto_decompress=False, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, s.host, s.port, backlog=1024)
            try:
                await site.start()
            except OSError as exc:
                await runner.cleanup()
                raise ReceiverStartError(
                    f"Could not listen on {s.host}:{s.port}: {exc.strerror or exc}. "
                    "Pick another port (--port) or stop the program using it."
                ) from exc
            self._runner = runner
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1] if sockets else s.port
            self._stats = ReceiverStats(started_at=time.time())
            if self._processor is not None:
                self.dispatcher = Dispatcher(
                    self.journal, self._processor, retry=self._retry, on_change=self._dispatched
                )
                self.dispatcher.start()
        except BaseException:
            await self.journal.close()
            self._lock.release()
            raise

    async def stop(self) -> None:
        """Stop taking requests, let the dispatcher finish its event, close the journal."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self.dispatcher = None
        if self._notify_handle is not None:
            self._notify_handle.cancel()
            self._flush_notify()
        await self.journal.close()
        self._lock.release()

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_processor(self, processor: EventProcessor) -> None:
        """Use another processor from the next event on (new mappings, dry run ⇄ live)."""
        self._processor = processor
        if self.dispatcher is not None:
            self.dispatcher.processor = processor
            self.dispatcher.wake()

    # -- the GUI/CLI API ---------------------------------------------------------------------------

    def stats(self) -> ReceiverStats:
        s = self._stats
        # ``s.accepted`` counts every event that got a 200; the journal left out the duplicates.
        dups = self.journal.duplicates
        return replace(
            s,
            accepted=s.accepted - dups,
            duplicates=dups,
            rejected=dict(s.rejected),
            dispatched=self.dispatcher.processed if self.dispatcher else 0,
        )

    async def counts(self) -> dict[str, int]:
        return await self.journal.counts()

    async def query(self, q: JournalQuery | None = None) -> JournalPage:
        return await self.journal.query(q or JournalQuery())

    async def detail(self, key: int | str) -> EventDetail | None:
        return await self.journal.detail(key)

    async def replay(self, ids: Iterable[int | str] = (), *, failed: bool = False, force: bool = False) -> list[int]:
        """Queue chosen events (seq or messageId) or all failed ones again; returns their seqs."""
        marked = await self.journal.mark_for_replay(ids, failed=failed, force=force)
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return marked

    async def export(self, path: Path | str, q: JournalQuery | None = None) -> int:
        return await self.journal.export_jsonl(path, q)

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback`` (at most every 0.2 s) when events arrive or get dispatched; returns an unsubscribe."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return unsubscribe

    # -- change notification -----------------------------------------------------------------------

    def _dispatched(self, _seq: int) -> None:
        self._pending_dispatched += 1
        self._schedule_notify()

    def _appended(self, n: int) -> None:
        self._pending_appended += n
        self._schedule_notify()

    def _schedule_notify(self) -> None:
        if self._notify_handle is None and self._listeners:
            loop = asyncio.get_running_loop()
            self._notify_handle = loop.call_later(self.NOTIFY_INTERVAL, self._flush_notify)

    def _flush_notify(self) -> None:
        self._notify_handle = None
        change = ReceiverChange(self._pending_appended, self._pending_dispatched)
        self._pending_appended = self._pending_dispatched = 0
        if change.appended == 0 and change.dispatched == 0:
            return
        for cb in list(self._listeners):
            try:
                cb(change)
            except Exception:  # noqa: BLE001 - a listener's bug must not break intake
                log.exception("receiver change listener failed")

    # -- HTTP --------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_RAW)
        app.router.add_route("*", "/v1/{kind}", self._handle)
        app.router.add_route("*", "/v1/{kind}/", self._handle)
        app.router.add_get("/health", self._health)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "service": "Pipedrive Mapper receiver"})

    def _reject(self, err: IntakeError, request: web.Request, headers: dict[str, str] | None = None) -> web.Response:
        self._stats.rejected[err.code] = self._stats.rejected.get(err.code, 0) + 1
        resp = web.json_response(err.body(), status=err.status, headers=headers)
        _cors(request, resp)
        return resp

    async def _handle(self, request: web.Request) -> web.Response:
        kind = ENDPOINTS.get(request.match_info["kind"])
        if kind is None:
            return self._reject(
                IntakeError(404, "not_found", f"No such endpoint {request.path}; post to /v1/batch, /v1/track, ..."),
                request,
            )
        if request.method == "OPTIONS":
            return _preflight(request)
        if request.method != "POST":
            return self._reject(
                IntakeError(405, "method_not_allowed", f"{request.method} is not allowed here; send POST."),
                request,
                {"Allow": "POST, OPTIONS"},
            )
        self._stats.requests += 1
        try:
            key = self.settings.write_key
            if key is not None:
                header_key = write_key_from(request.headers, None)
                if header_key is not None and header_key != key:
                    raise _bad_key()
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raw = b""
                check_size(kind, _MAX_RAW + 1)  # raises Segment's 400 for an oversize request
            limit = MAX_BATCH_BYTES if kind == "batch" else MAX_EVENT_BYTES
            data = decode_body(raw, request.headers.get("Content-Encoding"), limit)
            check_size(kind, len(data))
            body = parse_json_object(data)
            if key is not None and write_key_from(request.headers, body) != key:
                raise _bad_key()
            events = accept_request(kind, body)
            # Drop the parsed request before waiting for the commit: thousands of live dicts per
            # request in flight would survive young GC generations and make every collection slower.
            del body, data, raw
            dropped = 0 if isinstance(events, AcceptedBatch) else sum(1 for e in events if e.flag is not None)
            result = await self.journal.append(events)
            del events
        except IntakeError as err:
            return self._reject(err, request)
        except JournalError as err:
            log.error("receiver: %s", err)
            return self._reject(IntakeError(503, "journal_unavailable", err.message), request)
        st = self._stats
        st.accepted += result.accepted + result.duplicates
        st.dropped += dropped
        if result.accepted:
            if self.dispatcher is not None:
                self.dispatcher.wake()
            self._appended(result.accepted)
        resp = web.Response(body=_OK, content_type="application/json")
        _cors(request, resp)
        return resp


def _bad_key() -> IntakeError:
    return IntakeError(401, "invalid_write_key", "The write key is not this receiver's; copy it from the receiver.")


def _cors(request: web.Request, resp: web.StreamResponse) -> None:
    origin = request.headers.get("Origin")
    resp.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        resp.headers["Vary"] = "Origin"


def _preflight(request: web.Request) -> web.Response:
    resp = web.Response(status=204)
    _cors(request, resp)
    resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Content-Type, Authorization, Content-Encoding"
    )
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp

