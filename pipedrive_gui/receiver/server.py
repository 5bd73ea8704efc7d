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
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import http_exceptions, web

from pipedrive_gui.receiver.access import HostPolicy, OriginPolicy
from pipedrive_gui.receiver.dispatcher import Dispatcher, EventProcessor, RetryPolicy
from pipedrive_gui.receiver.errors import IntakeError, JournalError, ReceiverStartError, journal_problem
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


class _ClientMistakes(logging.Filter):
    """aiohttp answers malformed HTTP (a bad Content-Length, broken chunking, garbage bytes) with a
    400 and then logs it as an error with a traceback; a client's mistake is not the receiver's
    error, and a stray port scan would fill the terminal. Those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, http_exceptions.HttpProcessingError) and 400 <= (exc.code or 400) < 500)


_CLIENT_MISTAKES = _ClientMistakes()


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
    write_key: str | None = None  # None accepts any write key (and none); the CLI and GUI always set one
    allow_remote: bool = False  # must be True to listen beyond loopback
    # Web pages (exact origins, e.g. "http://localhost:3000") whose browser requests are accepted;
    # a request with any other Origin header is refused (see receiver/access.py).
    allowed_origins: tuple[str, ...] = ()
    retention: Retention | None = None  # stored in the journal when given; None keeps the journal's own
    synchronous: str = "FULL"  # SQLite durability; FULL survives power loss, NORMAL only process crashes
    #: Seconds a connection gets to deliver a request's headers (from connecting, or from the end
    #: of the previous answer on a kept-alive connection); then it is closed. Also the idle time
    #: after which a kept-alive connection is closed.
    header_timeout: float = 30.0
    #: Seconds a request gets to deliver its body once its headers are in; then it is answered 408
    #: and the connection closed.
    body_timeout: float = 30.0


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
        self._origins = OriginPolicy()
        self._hosts: HostPolicy | None = None

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
        try:
            self._origins = OriginPolicy(s.allowed_origins)
        except ValueError as exc:
            raise ReceiverStartError(f"Cannot allow that web page: {exc}.") from exc
        if not is_loopback(s.host):
            if not s.allow_remote:
                raise ReceiverStartError(
                    f"Refusing to listen on {s.host}: only this computer (127.0.0.1) is allowed unless you "
                    "explicitly allow other machines (--allow-remote)."
                )
            warning = (
                f"WARNING: the receiver listens on {s.host}; other machines on the network can send events"
                + ("." if s.write_key else " and no write key is required.")
            )
            self.warnings.append(warning)
            log.warning(warning)
        try:
            locked = self._lock.acquire()
        except OSError as exc:  # a data folder that cannot be written (or created)
            raise JournalError(journal_problem(exc, "open", self.journal.path)) from exc
        if not locked:
            raise ReceiverStartError(
                f"Another receiver is already using the journal {self.journal.path}. Stop it first, "
                "or give this one another data folder."
            )
        logging.getLogger("aiohttp.server").addFilter(_CLIENT_MISTAKES)  # (once: a set)
        try:
            try:
                await self.journal.open()
            except OSError as exc:
                raise JournalError(journal_problem(exc, "open", self.journal.path)) from exc
            await self._check_writable()
            app = self.build_app()
            runner = web.AppRunner(
                app,
                auto_decompress=False,
                access_log=None,
                handle_signals=False,
                # aiohttp >= 3.14.4 arms this from the moment a connection opens: a client that
                # never completes its request headers is closed after it (slowloris).
                keepalive_timeout=s.header_timeout,
                # After an early answer (401, 408, 400 for size) the unread rest of a body is
                # drained at most this long so the client can read the answer; then the close.
                lingering_time=min(10.0, s.body_timeout),
            )
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
            self._hosts = HostPolicy(s.host, self.port)
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

    async def _check_writable(self) -> None:
        """Refuse to start on a journal that cannot be written (a read-only file or folder): every
        event would otherwise be answered 503 after a start that looked fine."""

        def probe(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE IF NOT EXISTS receiver_write_probe (x INTEGER)")
            conn.execute("INSERT INTO receiver_write_probe VALUES (1)")
            conn.execute("DROP TABLE receiver_write_probe")

        try:
            await self.journal.write(probe)
        except sqlite3.Error as exc:
            raise JournalError(journal_problem(exc, "write", self.journal.path)) from exc

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

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return tuple(sorted(self._origins.origins))

    def set_allowed_origins(self, origins: Iterable[str]) -> None:
        """Accept browser requests from these origins from now on (ValueError for a malformed one)."""
        self._origins = OriginPolicy(origins)

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

    async def replay(
        self, ids: Iterable[int | str] = (), *, failed: bool = False, force: bool = False
    ) -> list[int]:
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
        app = web.Application(client_max_size=_MAX_RAW, middlewares=[self._guard])
        app.router.add_route("*", "/v1/{kind}", self._handle)
        app.router.add_route("*", "/v1/{kind}/", self._handle)
        app.router.add_get("/health", self._health)
        app.router.add_route("*", "/{tail:.*}", self._elsewhere)  # every other answer is JSON too
        return app

    async def _elsewhere(self, request: web.Request) -> web.Response:
        if request.method == "OPTIONS":
            return _preflight(request)
        return self._reject(
            IntakeError(
                404, "not_found", f"No such endpoint {request.path}; post to /v1/batch, /v1/track, ..."
            ),
            request,
        )

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "service": "Pipedrive Mapper receiver"})

    def _reject(
        self, err: IntakeError, request: web.Request, headers: dict[str, str] | None = None
    ) -> web.Response:
        self._stats.rejected[err.code] = self._stats.rejected.get(err.code, 0) + 1
        return web.json_response(err.body(), status=err.status, headers=headers)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """Host and Origin checks before any handler; CORS headers for allowed origins after it."""
        host = request.headers.get("Host")
        if self._hosts is not None and not self._hosts.allows(host):
            return self._reject(
                IntakeError(
                    403,
                    "host_not_allowed",
                    f"This receiver does not answer to the host name {host!r}; send to {self.url}.",
                ),
                request,
            )
        origin = request.headers.get("Origin")
        if origin is not None and not self._origins.allows(origin):
            return self._reject(
                IntakeError(
                    403,
                    "origin_not_allowed",
                    f"Web pages from {origin} may not send events to this receiver. To allow them, start it with "
                    f"--allow-origin {origin} (or add the address under “Allowed web pages” in the receiver panel).",
                ),
                request,
                {"Vary": "Origin"},
            )
        resp: web.StreamResponse = await handler(request)
        resp.headers["Vary"] = "Origin"
        if origin is not None:
            # No Access-Control-Allow-Credentials: the receiver never uses cookies.
            resp.headers["Access-Control-Allow-Origin"] = origin
            if (
                request.method == "OPTIONS"
                and request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true"
            ):
                resp.headers["Access-Control-Allow-Private-Network"] = "true"
        return resp

    async def _handle(self, request: web.Request) -> web.Response:
        kind = ENDPOINTS.get(request.match_info["kind"])
        if kind is None:
            return self._reject(
                IntakeError(
                    404, "not_found", f"No such endpoint {request.path}; post to /v1/batch, /v1/track, ..."
                ),
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
                raw = await _read_body(request, self.settings.body_timeout)
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
            resp = self._reject(err, request)
            if err.status == 408:
                resp.force_close()  # the rest of the body may still trickle in: not worth waiting for
            return resp
        except JournalError as err:
            log.error("receiver: %s", err)
            return self._reject(IntakeError(503, "journal_unavailable", err.message), request)
        except RecursionError:  # anything nested too deep that slipped past intake's limit
            return self._reject(
                IntakeError(400, "too_deep", "The request body is nested too deeply."), request
            )
        except Exception:  # a bug here, not the client's input: say so as JSON, keep serving
            log.exception("receiver: could not handle a request to %s", request.path)
            return self._reject(
                IntakeError(
                    500, "internal_error", "The receiver failed on this request (a bug); see its log."
                ),
                request,
            )
        st = self._stats
        st.accepted += result.accepted + result.duplicates
        st.dropped += dropped
        if result.accepted:
            if self.dispatcher is not None:
                self.dispatcher.wake()
            self._appended(result.accepted)
        return web.Response(body=_OK, content_type="application/json")


async def _read_body(request: web.Request, timeout: float) -> bytes:
    """The whole body, or :class:`IntakeError` 408 when it does not arrive within ``timeout`` s."""
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(timeout):
                return await request.read()
        return await asyncio.wait_for(request.read(), timeout)  # pragma: no cover - Python 3.10
    except (ConnectionError, http_exceptions.HttpProcessingError) as exc:  # the client went away mid-body
        raise IntakeError(
            400, "incomplete_body", "The connection closed before the whole body arrived; send it again."
        ) from exc
    except asyncio.TimeoutError as exc:
        raise IntakeError(
            408,
            "request_timeout",
            f"The request body did not arrive within {timeout:g} seconds; the connection is closed. Send it again.",
        ) from exc


def _bad_key() -> IntakeError:
    return IntakeError(
        401, "invalid_write_key", "The write key is not this receiver's; copy it from the receiver."
    )


def _preflight(request: web.Request) -> web.Response:
    """A CORS preflight from an allowed origin (the guard refused the others already)."""
    resp = web.Response(status=204)
    resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Content-Type, Authorization, Content-Encoding"
    )
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp
