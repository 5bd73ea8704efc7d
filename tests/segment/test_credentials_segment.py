"""The Segment token: its own keyring entry, environment overrides, never mixed with Pipedrive's."""

from __future__ import annotations

import pytest

from pipedrive_gui.credentials import (
    CURRENT_ACCOUNT,
    SEGMENT_ACCOUNT,
    SERVICE,
    CredentialStore,
    MemoryKeyring,
)


def test_save_load_delete_next_to_the_pipedrive_token() -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend, env={})
    store.save("acme", "pd-token")
    assert store.load_segment() is None
    creds = store.save_segment(" sgp-token ", "eu")
    assert (creds.token, creds.region) == ("sgp-token", "eu") and "sgp-token" not in repr(creds)
    assert backend.get_password(SERVICE, SEGMENT_ACCOUNT) == "sgp-token"
    loaded = store.load_segment()
    assert loaded is not None and (loaded.token, loaded.region, loaded.source) == (
        "sgp-token",
        "eu",
        "keyring",
    )
    assert store.load() is not None and store.load().token == "pd-token"  # type: ignore[union-attr]
    assert backend.get_password(SERVICE, CURRENT_ACCOUNT) == "acme"
    assert store.delete_segment() is True and store.load_segment() is None
    assert store.delete_segment() is False
    assert store.load().token == "pd-token"  # type: ignore[union-attr]


def test_environment_overrides_the_keyring() -> None:
    store = CredentialStore(
        MemoryKeyring(),
        env={"SEGMENT_PUBLIC_API_TOKEN": "env-token", "SEGMENT_PUBLIC_API_URL": "http://127.0.0.1:1"},
    )
    store.save_segment("kept", "us")
    creds = store.load_segment()
    assert creds is not None and (creds.token, creds.source, creds.base_url) == (
        "env-token",
        "environment",
        "http://127.0.0.1:1",
    )


def test_bad_input_is_refused() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    with pytest.raises(ValueError):
        store.save_segment("  ")
    with pytest.raises(ValueError):
        store.save_segment("t", "apac")


async def test_async_wrappers() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    await store.asave_segment("t", "us")
    assert (await store.aload_segment()).token == "t"  # type: ignore[union-attr]
    assert await store.adelete_segment() is True
