"""Which Pipedrive the app talks to: a real account (token in the keyring) or the offline sandbox.

Holds the client, the field catalog and the upsert engine for that account, and says in words what
is connected for the status bar. Everything that touches the network or the keyring is a coroutine
run by the TaskRunner; the GUI never waits on it.

Signals:
    changed(): the account (or sandbox) changed, or was disconnected.
    catalog_changed(): the field catalog was fetched, refreshed or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

from pipedrive_gui.paths import AppPaths

if TYPE_CHECKING:  # imported when first used: start-up paints the window before loading httpx
    # ... and before the keyring and asyncio (the credential store is made at its first use).
    from pipedrive_gui.credentials import Credentials, CredentialStore, KeyringStatus
    from pipedrive_gui.pipedrive.client import CurrentUser, PipedriveClient
    from pipedrive_gui.pipedrive.engine import UpsertEngine
    from pipedrive_gui.pipedrive.fields import FieldCatalog
    from pipedrive_gui.pipedrive.ledger import Ledger, UnopenedLedger

log = logging.getLogger(__name__)

SandboxFactory = Callable[[], Awaitable[Any]]


async def _start_sandbox() -> Any:
    from pipedrive_gui.sandbox import start_sandbox

    return await start_sandbox("127.0.0.1", 0)


def make_client(domain: str, token: str, base_url: str | None) -> PipedriveClient:
    """A client for ``domain`` (or for ``base_url`` when a test server/sandbox is given)."""
    from pipedrive_gui.pipedrive.client import PipedriveClient

    if base_url:
        return PipedriveClient(base_url, token)
    return PipedriveClient.for_domain(domain, token)


def catalog_key(domain: str, base_url: str | None) -> str:
    """Field caches of a sandbox/test server never mix with the real company's."""
    if not base_url:
        return domain
    return f"{domain or 'unknown'}@{urlsplit(base_url).netloc or 'server'}"


class Connection(QObject):
    changed = Signal()
    catalog_changed = Signal()

    def __init__(
        self,
        paths: AppPaths,
        store: CredentialStore | None = None,
        *,
        base_url: str | None = None,
        sandbox_factory: SandboxFactory = _start_sandbox,
        parent: QObject | None = None,
    ) -> None:
        """``store``: where tokens are kept; None = the system keyring, opened at first use."""
        super().__init__(parent)
        self.paths = paths
        self._store = store
        self.base_url_override = base_url
        self._sandbox_factory = sandbox_factory
        self.sandbox: Any = None
        self.client: PipedriveClient | None = None
        self.user: CurrentUser | None = None
        self.domain = ""
        self.catalog: FieldCatalog | None = None
        self.fetching = False
        self.keyring_backend = "checking…"
        self.keyring_status: KeyringStatus | None = None
        self._ledger: Ledger | UnopenedLedger | None = None

    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            # Made here, not at start-up: every use is in a coroutine that runs after the first paint.
            from pipedrive_gui.credentials import CredentialStore

            self._store = CredentialStore()
        return self._store

    @store.setter
    def store(self, store: CredentialStore) -> None:
        self._store = store

    # -- what the status bar shows ----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.client is not None

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    @property
    def account_text(self) -> str:
        if self.client is None:
            return "Not connected to Pipedrive"
        who = ""
        if self.user is not None:
            who = f" as {self.user.name}" + (f" ({self.user.company_name})" if self.user.company_name else "")
        if self.is_sandbox:
            return f"Offline sandbox{who}"
        host = (
            f"{self.domain}.pipedrive.com"
            if self.domain and not self.base_url_override
            else urlsplit(self.client.base_url).netloc
        )
        return f"{host}{who}"

    @property
    def catalog_text(self) -> str:
        if self.fetching:
            return "Fetching Pipedrive fields…"
        if self.catalog is None:
            return "Pipedrive fields: not loaded"
        return f"Pipedrive fields {self.catalog.age_text()}"

    # -- connecting -------------------------------------------------------------------------------

    async def test(self, domain: str, token: str) -> CurrentUser:
        """Check a domain + token without keeping anything (the connection dialog's button)."""
        from pipedrive_gui.pipedrive.client import normalize_domain

        client = make_client(normalize_domain(domain) if domain else "", token, self.base_url_override)
        try:
            return await client.get_me()
        finally:
            await client.aclose()

    async def connect_sandbox(self) -> CurrentUser:
        await self.close_connection()
        self.sandbox = await self._sandbox_factory()
        return await self._use(make_client("sandbox", self.sandbox.token, self.sandbox.base_url), "sandbox")

    async def connect_account(self, domain: str, token: str, *, save: bool = True) -> CurrentUser:
        """Test, then (``save``) store the token in the keyring and make it the current account."""
        from pipedrive_gui.pipedrive.client import normalize_domain

        domain = normalize_domain(domain) if domain else ""
        client = make_client(domain, token, self.base_url_override)
        try:
            user = await client.get_me()
        except BaseException:
            await client.aclose()
            raise
        if save:
            try:
                await self.store.asave(domain or user.company_domain, token)
            except BaseException:
                await client.aclose()
                raise
        await self.close_connection()
        return await self._use(client, domain or user.company_domain, user)

    async def connect_saved(self) -> bool:
        """Use the credentials in the keyring / environment; False when there are none."""
        creds: Credentials | None = await self.store.aload()
        if creds is None:
            return False
        base_url = self.base_url_override or creds.base_url
        saved_override, self.base_url_override = self.base_url_override, base_url
        try:
            await self.close_connection()
            await self._use(make_client(creds.domain, creds.token, base_url), creds.domain)
        except BaseException:
            self.base_url_override = saved_override
            raise
        return True

    async def _use(
        self, client: PipedriveClient, domain: str, user: CurrentUser | None = None
    ) -> CurrentUser:
        try:
            if user is None:
                user = await client.get_me()
        except BaseException:
            await client.aclose()
            await self._stop_sandbox()
            raise
        from pipedrive_gui.pipedrive.fields import load_cached

        self.client, self.user, self.domain = client, user, domain or user.company_domain
        self.catalog = load_cached(self.paths.cache, self._catalog_key())
        self.changed.emit()
        self.catalog_changed.emit()
        if self.catalog is None:
            await self.refresh_catalog()
        return user

    def _catalog_key(self) -> str:
        if self.is_sandbox:
            return "sandbox@offline"  # a fresh sandbox has the same seeded fields every time
        return catalog_key(self.domain, self.base_url_override)

    async def refresh_catalog(self) -> FieldCatalog | None:
        from pipedrive_gui.pipedrive.fields import fetch_catalog, save_cache

        if self.client is None:
            return None
        self.fetching = True
        self.catalog_changed.emit()
        try:
            catalog = await fetch_catalog(self.client, domain=self._catalog_key())
            self.paths.ensure()
            save_cache(self.paths.cache, catalog)
            self.catalog = catalog
        finally:
            self.fetching = False
            self.catalog_changed.emit()
        return catalog

    async def close_connection(self) -> None:
        client, self.client, self.user = self.client, None, None
        if client is not None:
            await client.aclose()
        await self._stop_sandbox()
        if client is not None:
            self.catalog = None
            self.changed.emit()
            self.catalog_changed.emit()

    async def log_out(self) -> None:
        """Disconnect and forget the saved token of this account."""
        domain = None if self.is_sandbox else self.domain
        await self.close_connection()
        if domain:
            await self.store.adelete(domain)

    async def _stop_sandbox(self) -> None:
        sandbox, self.sandbox = self.sandbox, None
        if sandbox is not None:
            await sandbox.stop()

    async def load_keyring_backend(self) -> str:
        """Which keyring keeps the token, and whether it can (``keyring_status``; None = unknown)."""
        try:
            self.keyring_status = await self.store.astatus()
            self.keyring_backend = self.keyring_status.backend_name
        except Exception as exc:  # noqa: BLE001 - only a label; saving reports its own error
            log.info("keyring backend unknown: %s", exc)
            self.keyring_status = None
            try:
                self.keyring_backend = await self.store.abackend_name()
            except Exception:  # noqa: BLE001
                self.keyring_backend = "unknown"
        self.changed.emit()
        return self.keyring_backend

    # -- engine -----------------------------------------------------------------------------------

    def engine(self, defaults: Any, *, for_send: bool = False) -> UpsertEngine:
        """An engine for this account (plan mode works without a connection); ``for_send``: it is
        about to write, so a ledger that could not be opened is tried again (see ``ledger``).

        It consults the app's ledger (shared with ``pipedrive-gui send`` and the receiver) before
        every create; what it creates is a test record of *Send test…* unless the caller says
        otherwise (the receiver passes its own origin per event)."""
        from pipedrive_gui.pipedrive.engine import Origin, UpsertEngine, timing_from_env
        from pipedrive_gui.pipedrive.ledger import SOURCE_SEND_TEST

        return UpsertEngine(
            self.client,
            self.catalog,
            defaults,
            ledger=self.ledger(retry=for_send),
            origin=Origin(SOURCE_SEND_TEST, test=True),
            **timing_from_env(),
        )

    def ledger(self, *, retry: bool = False) -> Ledger | UnopenedLedger:
        """The ledger in the data folder, opened at first use. When it cannot be opened, a stand-in
        that refuses every create with the reason (see ``UnopenedLedger``). The stand-in is kept, so
        the previews do not try the file again at every edit; ``retry`` (a send) tries it again: the
        user may have fixed the folder meanwhile."""
        from pipedrive_gui.pipedrive.ledger import Ledger, LedgerError, UnopenedLedger

        if self._ledger is None or (retry and isinstance(self._ledger, UnopenedLedger)):
            try:
                self._ledger = Ledger.in_data_dir(self.paths.data)
            except LedgerError as exc:
                log.warning("no ledger, nothing will be created: %s", exc.user_message)
                self._ledger = UnopenedLedger(exc)
        return self._ledger
