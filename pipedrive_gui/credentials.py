"""Where the Pipedrive API token lives: the OS keyring, never a file.

- Service ``pipedrive-gui``, account = company domain (e.g. ``acme``), secret = API token. A second,
  non-secret entry (account ``__current__``) remembers which domain is in use, so no file of ours
  holds anything about the login.
- ``backend_name`` says in words which keyring holds it ("Secret Service (GNOME Keyring)").
- No usable keyring (keyring's fail/null backend, a Secret Service that cannot be reached, or a
  plaintext-file backend) → :class:`KeyringUnavailableError` naming what to install; callers may
  switch to session-only credentials (kept in memory, gone when the app quits). There is never a
  silent fallback to a file.
- Environment overrides for scripts and CI: ``PIPEDRIVE_API_TOKEN``, ``PIPEDRIVE_DOMAIN``,
  ``PIPEDRIVE_BASE_URL``.
- Keyring calls block (D-Bus, an unlock prompt), so the GUI uses the ``a*`` coroutine wrappers,
  which run them in an executor.
- The Segment Public API token (for pulling and pushing a destination's mappings) is its own entry
  in the same service: account ``__segment_public_api__`` holds the token and the non-secret
  ``__segment_region__`` says whether the workspace is in the US or the EU. Environment overrides:
  ``SEGMENT_PUBLIC_API_TOKEN`` and ``SEGMENT_PUBLIC_API_URL``. See the ``*_segment`` methods.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pipedrive_gui.core.errors import UserError

SERVICE = "pipedrive-gui"
CURRENT_ACCOUNT = "__current__"
ENV_TOKEN = "PIPEDRIVE_API_TOKEN"
ENV_DOMAIN = "PIPEDRIVE_DOMAIN"
ENV_BASE_URL = "PIPEDRIVE_BASE_URL"

SEGMENT_ACCOUNT = "__segment_public_api__"
SEGMENT_REGION_ACCOUNT = "__segment_region__"
ENV_SEGMENT_TOKEN = "SEGMENT_PUBLIC_API_TOKEN"
ENV_SEGMENT_URL = "SEGMENT_PUBLIC_API_URL"

#: Seconds the async wrappers wait for the keyring (an unlock prompt is answered by a person).
KEYRING_TIMEOUT = 120.0

SOURCE_KEYRING = "keyring"
SOURCE_SESSION = "session"
SOURCE_ENV = "environment"

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """A company domain and its API token (``repr`` never shows the token)."""

    domain: str
    token: str = field(repr=False)
    #: "keyring", "session" (memory only) or "environment" (PIPEDRIVE_API_TOKEN).
    source: str = SOURCE_KEYRING
    #: A non-default server (sandbox/test) from PIPEDRIVE_BASE_URL, else None.
    base_url: str | None = None

    @property
    def api_base_url(self) -> str:
        if self.base_url:
            return self.base_url
        if not self.domain:
            raise ValueError("No Pipedrive company domain is known; set PIPEDRIVE_DOMAIN or log in.")
        return f"https://{self.domain}.pipedrive.com"


@dataclass(frozen=True)
class SegmentCredentials:
    """A Segment Public API token and its workspace's region (``repr`` never shows the token)."""

    token: str = field(repr=False)
    region: str = "us"  # "us" or "eu"
    #: "keyring", "session" or "environment" (SEGMENT_PUBLIC_API_TOKEN).
    source: str = SOURCE_KEYRING
    #: SEGMENT_PUBLIC_API_URL (a test server or self-hosted mock), else None (the region's URL).
    base_url: str | None = None


class KeyringUnavailableError(UserError):
    """No safe place for the token. ``user_message`` is the problem and the remedy."""

    def __init__(self, problem: str, remedy: str, backend_name: str) -> None:
        super().__init__(f"{problem} {remedy}".strip())
        self.problem = problem
        self.remedy = remedy
        self.backend_name = backend_name


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend_name: str
    problem: str | None = None
    remedy: str | None = None

    def error(self) -> KeyringUnavailableError:
        return KeyringUnavailableError(
            self.problem or "The keyring cannot be used.", self.remedy or "", self.backend_name
        )


class MemoryKeyring:
    """A keyring that lives in this process only: session-only credentials, and unit tests."""

    name = "memory"

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._items[(service, username)]
        except KeyError:
            from keyring.errors import PasswordDeleteError

            raise PasswordDeleteError("No such password!") from None


def system_backend() -> Any:
    """The keyring backend the ``keyring`` library chose for this machine (may block briefly)."""
    import keyring

    return keyring.get_keyring()


def install_remedy() -> str:
    """What to install or run so a real keyring is available, for this platform."""
    if sys.platform == "darwin":
        return (
            "The macOS Keychain should always be available; check `python -m keyring diagnose` "
            "and PYTHON_KEYRING_BACKEND."
        )
    if sys.platform.startswith("win"):
        return (
            "Windows Credential Manager should always be available; check `python -m keyring "
            "diagnose` and PYTHON_KEYRING_BACKEND."
        )
    bus = (
        ""
        if os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        else " (none is running here: DBUS_SESSION_BUS_ADDRESS is not set)"
    )
    return (
        "Install a Secret Service keyring such as GNOME Keyring (e.g. `sudo apt install gnome-keyring "
        "libsecret-tools`) and run the app in a desktop session, which provides the D-Bus session "
        f"bus it needs{bus}; KDE's KWallet or KeePassXC with Secret Service enabled work too. "
        f"Until then, use the token for this session only, or set {ENV_TOKEN} and {ENV_DOMAIN}."
    )


class CredentialStore:
    """Load, save and delete the token. Build one in the composition root and pass it in."""

    def __init__(
        self,
        backend: Any = None,
        *,
        env: Mapping[str, str] | None = None,
        session_only: bool = False,
        backend_factory: Callable[[], Any] = system_backend,
    ) -> None:
        self._backend = MemoryKeyring() if session_only else backend
        self._backend_factory = backend_factory
        self._session_only = session_only
        self._env = os.environ if env is None else env
        # Serialises keyring operations (they run in worker threads); never taken on the event loop
        # thread by the async wrappers.
        self._lock = threading.RLock()
        self._init_lock = threading.Lock()
        self._last_name: str | None = None
        self._status: KeyringStatus | None = None
        self._provider: str | None = None

    # -- which backend ---------------------------------------------------------------------------

    @property
    def backend(self) -> Any:
        if self._backend is None:
            with self._init_lock:
                if self._backend is None:
                    self._backend = self._backend_factory()
        return self._backend

    @property
    def session_only(self) -> bool:
        return self._session_only

    def use_session_only(self) -> None:
        """Keep credentials in memory only (no usable keyring, or the user prefers it)."""
        with self._init_lock:
            self._backend = MemoryKeyring()
            self._session_only = True
            self._status = None

    @property
    def backend_name(self) -> str:
        """Human wording, e.g. "Secret Service (GNOME Keyring)", "macOS Keychain"."""
        if self._session_only:
            return "this session only (kept in memory, not saved)"
        self._last_name = self._describe(self.backend)
        return self._last_name

    def _describe(self, backend: Any) -> str:
        cls = type(backend)
        module, name = cls.__module__, cls.__name__
        if type(backend) is MemoryKeyring:
            return "memory (this session only)"
        if module == "keyring.backends.fail":
            return "none (no system keyring found)"
        if module == "keyring.backends.null":
            return "none (keyring disabled)"
        if module == "keyring.backends.chainer":
            parts = [self._describe(b) for b in getattr(backend, "backends", [])]
            return " + ".join(parts) if parts else "none (no system keyring found)"
        if module == "keyring.backends.SecretService":
            return f"Secret Service ({self._secret_service_provider()})"
        if module == "keyring.backends.libsecret":
            return f"Secret Service via libsecret ({self._secret_service_provider()})"
        if module.startswith("keyring.backends.kwallet"):
            return "KDE Wallet (KWallet)"
        if module.startswith("keyring.backends.macOS"):
            return "macOS Keychain"
        if module.startswith("keyring.backends.Windows"):
            return "Windows Credential Manager"
        if module.startswith("keyrings.alt"):
            return f"{name} from keyrings.alt (stores secrets in a file)"
        return str(getattr(backend, "name", None) or f"{module}.{name}")

    def _secret_service_provider(self) -> str:
        if self._provider is None:
            self._provider = _secret_service_provider()  # None (not cached) until it answers
        return self._provider or "provider unknown"

    def status(self, *, refresh: bool = False) -> KeyringStatus:
        """Can the token be stored here? Probes the backend once (blocking; cached)."""
        with self._lock:
            if self._status is not None and not refresh:
                return self._status
            self._status = self._probe()
            return self._status

    def _probe(self) -> KeyringStatus:
        backend = self.backend
        name = self.backend_name
        if self._session_only or type(backend) is MemoryKeyring:
            return KeyringStatus(True, name)
        module = type(backend).__module__
        chained = getattr(backend, "backends", None)
        if module in ("keyring.backends.fail", "keyring.backends.null") or (
            module == "keyring.backends.chainer" and not chained
        ):
            return KeyringStatus(
                False,
                name,
                "No system keyring is available to keep the Pipedrive API token.",
                install_remedy(),
            )
        if module.startswith("keyrings.alt"):
            return KeyringStatus(
                False,
                name,
                f"The configured keyring ({type(backend).__name__} from keyrings.alt) keeps secrets in a "
                "file, which this app does not use for the API token.",
                install_remedy() + " Remove PYTHON_KEYRING_BACKEND or the keyringrc setting that selects it.",
            )
        try:
            backend.get_password(SERVICE, CURRENT_ACCOUNT)
        except Exception as exc:  # noqa: BLE001 - any backend failure means "not usable"
            if _is_locked(exc):
                return KeyringStatus(
                    False,
                    self.backend_name,
                    f"The keyring ({self.backend_name}) is locked or not yet set up, and the password "
                    f"prompt to open it could not be shown or was cancelled ({_reason(exc)}).",
                    "Unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`) "
                    f"and try again; or use the token for this session only, or set {ENV_TOKEN}.",
                )
            return KeyringStatus(
                False,
                self.backend_name,
                f"The keyring ({self.backend_name}) cannot be used: {_reason(exc)}.",
                install_remedy(),
            )
        return KeyringStatus(True, name)

    def _require(self) -> Any:
        status = self.status()
        if not status.usable:
            raise status.error()
        return self.backend

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except KeyringUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001 - D-Bus, locked collection, user cancelled a prompt
            if _is_not_found(exc):
                raise
            raise KeyringUnavailableError(
                f"Could not {what} the keyring ({self.backend_name}): {_reason(exc)}.",
                "Unlock the keyring (it may be waiting for a password) and try again. " + install_remedy(),
                self.backend_name,
            ) from exc

    # -- environment ------------------------------------------------------------------------------

    def env_override(self) -> Credentials | None:
        """Credentials from PIPEDRIVE_API_TOKEN (+ PIPEDRIVE_DOMAIN / PIPEDRIVE_BASE_URL), no I/O."""
        token = (self._env.get(ENV_TOKEN) or "").strip()
        if not token:
            return None
        domain = self._env_domain() or ""
        return Credentials(domain=domain, token=token, source=SOURCE_ENV, base_url=self.env_base_url())

    def env_base_url(self) -> str | None:
        value = (self._env.get(ENV_BASE_URL) or "").strip()
        return value or None

    def _env_domain(self) -> str | None:
        value = (self._env.get(ENV_DOMAIN) or "").strip()
        if not value:
            return None
        from pipedrive_gui.pipedrive.client import normalize_domain

        return normalize_domain(value)

    # -- load / save / delete (blocking) ----------------------------------------------------------

    def current_domain(self) -> str | None:
        """The domain last logged in to (PIPEDRIVE_DOMAIN wins), or None."""
        env = self._env_domain()
        if env:
            return env
        backend = self._require()
        with self._lock:
            value = self._call("read from", lambda: backend.get_password(SERVICE, CURRENT_ACCOUNT))
        return value or None

    def load(self) -> Credentials | None:
        """Environment override, else the current domain's token from the keyring (or session)."""
        override = self.env_override()
        if override is not None:
            if not override.domain and not override.base_url:
                # Token from the environment, domain from the last login if there is one.
                try:
                    stored = self.current_domain()
                except KeyringUnavailableError:
                    stored = None
                if stored:
                    return Credentials(stored, override.token, SOURCE_ENV, None)
            return override
        domain = self.current_domain()
        if not domain:
            return None
        backend = self._require()
        with self._lock:
            token = self._call("read from", lambda: backend.get_password(SERVICE, domain))
        if not token:
            return None
        return Credentials(
            domain=domain,
            token=token,
            source=SOURCE_SESSION if self._session_only else SOURCE_KEYRING,
            base_url=self.env_base_url(),
        )

    def save(self, domain: str, token: str) -> Credentials:
        """Store ``token`` for ``domain`` and make it the current domain."""
        from pipedrive_gui.pipedrive.client import normalize_domain

        domain = normalize_domain(domain)
        token = token.strip()
        if not token:
            raise ValueError("The Pipedrive API token is empty.")
        backend = self._require()
        with self._lock:
            self._call("write to", lambda: backend.set_password(SERVICE, domain, token))
            self._call("write to", lambda: backend.set_password(SERVICE, CURRENT_ACCOUNT, domain))
        return Credentials(
            domain=domain, token=token, source=SOURCE_SESSION if self._session_only else SOURCE_KEYRING
        )

    def delete(self, domain: str | None = None) -> bool:
        """Forget the token of ``domain`` (default: the current one). True if one was removed."""
        from pipedrive_gui.pipedrive.client import normalize_domain

        backend = self._require()
        with self._lock:
            current = self._call("read from", lambda: backend.get_password(SERVICE, CURRENT_ACCOUNT))
            target = normalize_domain(domain) if domain else current
            if not target:
                return False
            removed = self._delete_quietly(backend, target)
            if current == target:
                self._delete_quietly(backend, CURRENT_ACCOUNT)
        return removed

    def _delete_quietly(self, backend: Any, account: str) -> bool:
        try:
            self._call("remove from", lambda: backend.delete_password(SERVICE, account))
        except Exception as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    # -- Segment Public API token (its own entry) -----------------------------------------------

    def segment_env_override(self) -> SegmentCredentials | None:
        """SEGMENT_PUBLIC_API_TOKEN (+ SEGMENT_PUBLIC_API_URL), no I/O."""
        token = (self._env.get(ENV_SEGMENT_TOKEN) or "").strip()
        if not token:
            return None
        return SegmentCredentials(
            token=token, region="us", source=SOURCE_ENV, base_url=self.segment_env_url()
        )

    def segment_env_url(self) -> str | None:
        value = (self._env.get(ENV_SEGMENT_URL) or "").strip()
        return value or None

    def load_segment(self) -> SegmentCredentials | None:
        """The environment's Segment token, else the keyring's (with its region), else None."""
        override = self.segment_env_override()
        if override is not None:
            return override
        backend = self._require()
        with self._lock:
            token = self._call("read from", lambda: backend.get_password(SERVICE, SEGMENT_ACCOUNT))
            region = self._call("read from", lambda: backend.get_password(SERVICE, SEGMENT_REGION_ACCOUNT))
        if not token:
            return None
        return SegmentCredentials(
            token=token,
            region=region if region in ("us", "eu") else "us",
            source=SOURCE_SESSION if self._session_only else SOURCE_KEYRING,
            base_url=self.segment_env_url(),
        )

    def save_segment(self, token: str, region: str = "us") -> SegmentCredentials:
        """Keep the Segment Public API token (and its workspace's region) in the keyring."""
        token = token.strip()
        if not token:
            raise ValueError("The Segment Public API token is empty.")
        if region not in ("us", "eu"):
            raise ValueError(f'Unknown Segment region "{region}" (expected us or eu).')
        backend = self._require()
        with self._lock:
            self._call("write to", lambda: backend.set_password(SERVICE, SEGMENT_ACCOUNT, token))
            self._call("write to", lambda: backend.set_password(SERVICE, SEGMENT_REGION_ACCOUNT, region))
        return SegmentCredentials(
            token=token, region=region, source=SOURCE_SESSION if self._session_only else SOURCE_KEYRING
        )

    def delete_segment(self) -> bool:
        """Forget the Segment token. True if one was removed."""
        backend = self._require()
        with self._lock:
            removed = self._delete_quietly(backend, SEGMENT_ACCOUNT)
            self._delete_quietly(backend, SEGMENT_REGION_ACCOUNT)
        return removed

    # -- async wrappers (the GUI never blocks on the keyring) -------------------------------------

    async def _in_executor(self, fn: Callable[[], T], timeout: float | None) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, fn)
        if timeout is None:
            return await future
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            # Only the name computed earlier: asking the backend again could block this thread.
            name = self._last_name or "the system keyring"
            raise KeyringUnavailableError(
                f"The keyring ({name}) did not answer within {timeout:g} seconds.",
                "It may be waiting for you to unlock it in a password prompt; unlock it and try again.",
                name,
            ) from None

    async def astatus(
        self, *, refresh: bool = False, timeout: float | None = KEYRING_TIMEOUT
    ) -> KeyringStatus:
        return await self._in_executor(functools.partial(self.status, refresh=refresh), timeout)

    async def aload(self, *, timeout: float | None = KEYRING_TIMEOUT) -> Credentials | None:
        return await self._in_executor(self.load, timeout)

    async def asave(self, domain: str, token: str, *, timeout: float | None = KEYRING_TIMEOUT) -> Credentials:
        return await self._in_executor(functools.partial(self.save, domain, token), timeout)

    async def adelete(self, domain: str | None = None, *, timeout: float | None = KEYRING_TIMEOUT) -> bool:
        return await self._in_executor(functools.partial(self.delete, domain), timeout)

    async def aload_segment(self, *, timeout: float | None = KEYRING_TIMEOUT) -> SegmentCredentials | None:
        return await self._in_executor(self.load_segment, timeout)

    async def asave_segment(
        self, token: str, region: str = "us", *, timeout: float | None = KEYRING_TIMEOUT
    ) -> SegmentCredentials:
        return await self._in_executor(functools.partial(self.save_segment, token, region), timeout)

    async def adelete_segment(self, *, timeout: float | None = KEYRING_TIMEOUT) -> bool:
        return await self._in_executor(self.delete_segment, timeout)

    async def abackend_name(self, *, timeout: float | None = KEYRING_TIMEOUT) -> str:
        return await self._in_executor(lambda: self.backend_name, timeout)


def _is_not_found(exc: BaseException) -> bool:
    try:
        from keyring.errors import PasswordDeleteError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False
    return isinstance(exc, PasswordDeleteError)


def _is_locked(exc: BaseException) -> bool:
    """Locked, or a first-use collection that needs a password prompt nobody could answer."""
    try:
        from keyring.errors import InitError, KeyringLocked
    except ImportError:  # pragma: no cover
        return False
    text = str(exc).lower()
    return (
        isinstance(exc, KeyringLocked | InitError)
        or "locked" in type(exc).__name__.lower()
        or "prompt" in text
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:200].rstrip(".!") or type(exc).__name__


def _secret_service_provider() -> str | None:
    """Which program answers org.freedesktop.secrets on the session bus (Linux), best effort."""
    if not sys.platform.startswith("linux") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        bus = DBusAddress(
            "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
        )
        with open_dbus_connection(bus="SESSION") as conn:
            reply = conn.send_and_get_reply(
                new_method_call(bus, "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",)),
                timeout=2,
            )
        pid = int(reply.body[0])
        with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
            program = fh.read().strip()
    except Exception:  # noqa: BLE001 - naming the provider is a nicety
        return None
    known = {
        "gnome-keyring-d": "GNOME Keyring",
        "gnome-keyring-daemon": "GNOME Keyring",
        "kwalletd5": "KWallet",
        "kwalletd6": "KWallet",
        "ksecretd": "KWallet",
        "keepassxc": "KeePassXC",
    }
    return known.get(program, program)
