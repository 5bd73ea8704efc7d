"""CredentialStore with an in-memory keyring and with keyring's unusable backends."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from pipedrive_gui.credentials import (
    CURRENT_ACCOUNT,
    SERVICE,
    CredentialStore,
    KeyringUnavailableError,
    MemoryKeyring,
)

TOKEN = "cred-test-token-0d15ea5e"


class DictBackend:
    """Stand-in for a real backend (MemoryKeyring itself is recognised as session-only)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username))


def store_with(backend: Any, **env: str) -> CredentialStore:
    return CredentialStore(backend, env=env)


def test_save_load_delete_roundtrip() -> None:
    backend = MemoryKeyring()
    store = store_with(backend)
    assert store.status().usable
    assert store.load() is None
    saved = store.save("https://Acme.pipedrive.com/", TOKEN)
    assert saved.domain == "acme"
    # The token sits under account = domain; the current-domain record holds no secret.
    assert backend.get_password(SERVICE, "acme") == TOKEN
    assert backend.get_password(SERVICE, CURRENT_ACCOUNT) == "acme"
    loaded = store.load()
    assert loaded is not None and (loaded.domain, loaded.token, loaded.source) == ("acme", TOKEN, "keyring")
    assert loaded.api_base_url == "https://acme.pipedrive.com"
    assert TOKEN not in repr(loaded) and TOKEN not in str(loaded)
    assert store.delete() is True
    assert store.load() is None
    assert backend.get_password(SERVICE, CURRENT_ACCOUNT) is None
    assert store.delete() is False


def test_two_companies_and_delete_by_domain() -> None:
    store = store_with(MemoryKeyring())
    store.save("acme", "t1")
    store.save("globex", "t2")
    assert store.current_domain() == "globex"
    assert store.delete("acme") is True
    loaded = store.load()
    assert loaded is not None and loaded.domain == "globex"


def test_bad_domain_and_empty_token_rejected() -> None:
    store = store_with(MemoryKeyring())
    with pytest.raises(ValueError, match="company domain"):
        store.save("not a domain", TOKEN)
    with pytest.raises(ValueError, match="empty"):
        store.save("acme", "   ")


@pytest.mark.parametrize(
    "backend, wording",
    [
        (fail.Keyring(), "no system keyring"),
        (null.Keyring(), "keyring disabled"),
    ],
)
def test_no_usable_backend_names_what_to_install(backend: Any, wording: str) -> None:
    store = store_with(backend)
    status = store.status()
    assert not status.usable
    assert wording in status.backend_name
    assert "gnome-keyring" in (status.remedy or "")
    assert "keyrings.alt" not in (status.remedy or "")  # a plaintext file is not a remedy
    assert "session only" in (status.remedy or "")
    with pytest.raises(KeyringUnavailableError) as info:
        store.save("acme", TOKEN)
    assert "gnome-keyring" in str(info.value) and TOKEN not in str(info.value)
    with pytest.raises(KeyringUnavailableError):
        store.load()


def test_empty_chainer_is_unusable() -> None:
    # What keyring picks when it found no backend to chain (a stand-in: the real one's list is
    # computed from this machine).
    backend = type("ChainerBackend", (DictBackend,), {"__module__": chainer.__name__, "backends": []})()
    store = store_with(backend)
    assert not store.status().usable and "no system keyring" in store.backend_name


class Unreachable(DictBackend):
    """A Secret Service whose D-Bus peer is gone."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable")


class Locked(DictBackend):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")


def _as_secret_service(cls: type) -> type:
    return type("Keyring", (cls,), {"__module__": "keyring.backends.SecretService"})


def test_unreachable_secret_service() -> None:
    store = store_with(_as_secret_service(Unreachable)())
    status = store.status()
    assert not status.usable
    assert status.backend_name.startswith("Secret Service")
    assert "ServiceUnknown" in (status.problem or "")
    assert "gnome-keyring" in (status.remedy or "")


def test_locked_keyring_says_unlock() -> None:
    status = store_with(_as_secret_service(Locked)()).status()
    assert not status.usable
    assert "locked" in (status.problem or "") and "Unlock" in (status.remedy or "")


def test_plaintext_backend_is_refused() -> None:
    plaintext = type("PlaintextKeyring", (DictBackend,), {"__module__": "keyrings.alt.file"})()
    store = store_with(plaintext)
    status = store.status()
    assert not status.usable and "file" in (status.problem or "")
    with pytest.raises(KeyringUnavailableError):
        store.save("acme", TOKEN)
    assert plaintext.get_password(SERVICE, "acme") is None


def test_session_only_keeps_token_in_memory() -> None:
    store = store_with(fail.Keyring())
    assert not store.status().usable
    store.use_session_only()
    assert store.status().usable
    assert "session only" in store.backend_name
    store.save("acme", TOKEN)
    loaded = store.load()
    assert loaded is not None and loaded.source == "session" and loaded.token == TOKEN
    # A fresh store (the next app start) knows nothing.
    assert CredentialStore(session_only=True).load() is None


@pytest.mark.parametrize(
    "module, name, wording",
    [
        ("keyring.backends.macOS", "Keyring", "macOS Keychain"),
        ("keyring.backends.Windows", "WinVaultKeyring", "Windows Credential Manager"),
        ("keyring.backends.kwallet", "DBusKeyring", "KWallet"),
    ],
)
def test_backend_names(module: str, name: str, wording: str) -> None:
    backend = type(name, (DictBackend,), {"__module__": module})()
    assert wording in store_with(backend).backend_name


def test_env_token_and_domain_override_keyring() -> None:
    store = store_with(fail.Keyring(), PIPEDRIVE_API_TOKEN=TOKEN, PIPEDRIVE_DOMAIN="acme.pipedrive.com")
    creds = store.load()  # works although no keyring is usable
    assert creds is not None
    assert (creds.domain, creds.token, creds.source) == ("acme", TOKEN, "environment")


def test_env_base_url() -> None:
    store = store_with(fail.Keyring(), PIPEDRIVE_API_TOKEN=TOKEN, PIPEDRIVE_BASE_URL="http://127.0.0.1:9")
    creds = store.load()
    assert creds is not None and creds.api_base_url == "http://127.0.0.1:9" and creds.domain == ""


def test_env_token_uses_stored_domain() -> None:
    backend = MemoryKeyring()
    store_with(backend).save("acme", "stored-token")
    creds = store_with(backend, PIPEDRIVE_API_TOKEN=TOKEN).load()
    assert creds is not None and (creds.domain, creds.token, creds.source) == ("acme", TOKEN, "environment")


def test_env_domain_selects_stored_company() -> None:
    backend = MemoryKeyring()
    store = store_with(backend)
    store.save("acme", "t-acme")
    store.save("globex", "t-globex")
    creds = store_with(backend, PIPEDRIVE_DOMAIN="acme").load()
    assert creds is not None and creds.token == "t-acme" and creds.source == "keyring"


class ThreadRecorder(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.add(threading.get_ident())
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.add(threading.get_ident())
        super().set_password(service, username, password)


async def test_async_wrappers_run_off_the_event_loop_thread() -> None:
    backend = ThreadRecorder()
    store = store_with(backend)
    loop_thread = threading.get_ident()
    assert (await store.astatus()).usable
    await store.asave("acme", TOKEN)
    creds = await store.aload()
    assert creds is not None and creds.token == TOKEN
    assert await store.adelete() is True
    assert "memory" in await store.abackend_name()
    assert backend.threads and loop_thread not in backend.threads


async def test_async_wrappers_do_not_block_the_loop() -> None:
    started = threading.Event()
    release = threading.Event()

    class Slow(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            started.set()
            release.wait(5)
            return None

    store = store_with(Slow())
    task = asyncio.ensure_future(store.aload())
    # The loop keeps running while the keyring call blocks in its worker thread.
    while not started.is_set():
        await asyncio.sleep(0.005)
    assert not task.done()
    release.set()
    assert await task is None


async def test_async_wrapper_times_out_on_a_stuck_keyring() -> None:
    release = threading.Event()

    class Stuck(DictBackend):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait(5)  # e.g. an unlock prompt nobody answers
            return None

    store = store_with(Stuck())
    try:
        with pytest.raises(KeyringUnavailableError, match="did not answer within 0.05 seconds"):
            await store.aload(timeout=0.05)
    finally:
        release.set()
