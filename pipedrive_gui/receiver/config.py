"""The receiver settings a user edits — port, write key, allowed web pages — and how they are kept.

They live in ``receiver.json`` in the config folder (``access.py`` reads and writes the file):
the port, the write key (so pasted snippets keep working after a restart; ``pipedrive-gui receive``
uses the same key) and the web pages allowed to send. The receiver panel loads them with
:func:`load_panel_config`, checks what the user types with :func:`choose_origins` and saves with
:func:`save_panel_config`; the words it shows come from here, so all of it is tested without a
display.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedrive_gui.receiver.access import (
    load_config,
    new_write_key,
    normalize_origins,
    save_config,
    split_origins,
)

if TYPE_CHECKING:
    from pipedrive_gui.receiver.server import ReceiverSettings

#: Where the receiver listens unless told otherwise (``receive --port``, the panel's first start).
DEFAULT_PORT = 8787
HOST = "127.0.0.1"


@dataclass(frozen=True)
class PanelConfig:
    """What the panel starts with."""

    port: int
    write_key: str
    allowed_origins: tuple[str, ...]
    #: Changes are written back to ``receiver.json`` (not when the caller passed its own settings).
    persist: bool
    #: The write key was just made: save it now, so snippets pasted today work after a restart.
    save_now: bool


def load_panel_config(config_dir: Path | str, given: ReceiverSettings | None = None) -> PanelConfig:
    """The saved settings (or ``given`` ones, which are not saved back), a new write key if none.

    Stored allowed origins that are not valid (edited by hand) allow no web page."""
    stored: dict[str, Any] = load_config(config_dir)
    if given is None:
        port = int(stored.get("port", DEFAULT_PORT))
        origins = stored.get("allowed_origins")
    else:
        port = given.port
        origins = given.allowed_origins
    write_key = (
        (given.write_key if given is not None else None)
        or str(stored.get("write_key") or "")
        or new_write_key()
    )
    try:
        allowed = normalize_origins(o for o in (origins or ()) if isinstance(o, str))
    except ValueError:
        allowed = ()
    persist = given is None
    return PanelConfig(port, write_key, allowed, persist, persist and not stored.get("write_key"))


def save_panel_config(
    config_dir: Path | str, port: int, write_key: str, allowed_origins: tuple[str, ...]
) -> str | None:
    """Save the settings; None when saved, else what to tell the user (they still apply until quit)."""
    try:
        save_config(config_dir, port=port, write_key=write_key, allowed_origins=list(allowed_origins))
    except OSError as exc:
        return f"Could not save the receiver settings ({exc}); they apply until you quit."
    return None


@dataclass(frozen=True)
class OriginsChoice:
    """What typing into "Allowed web pages" leads to."""

    #: The origins now allowed, normalized (None: the text was refused and nothing changes).
    origins: tuple[str, ...] | None
    changed: bool
    #: What to tell the user (None: nothing changed, nothing to say).
    message: str | None


def choose_origins(text: str, current: tuple[str, ...]) -> OriginsChoice:
    """Web pages (origins, separated by commas or spaces) typed by the user, checked."""
    try:
        origins = normalize_origins(split_origins(text))
    except ValueError as exc:
        return OriginsChoice(
            None,
            False,
            f"Allowed web pages: {exc}. The receiver keeps allowing {', '.join(current) or 'no web page'}.",
        )
    if origins == current:
        return OriginsChoice(origins, False, None)
    return OriginsChoice(
        origins, True, "Web pages allowed to send: " + (", ".join(origins) if origins else "none") + "."
    )


def origins_text(origins: tuple[str, ...]) -> str:
    """The field's text for these origins."""
    return ", ".join(origins)


def address(port: int) -> str:
    """The address clients post to, before the receiver runs (port 0: picked when it starts)."""
    return f"http://{HOST}:{port}" if port else f"http://{HOST}:<free port>"


__all__ = [
    "DEFAULT_PORT",
    "OriginsChoice",
    "PanelConfig",
    "address",
    "choose_origins",
    "load_panel_config",
    "origins_text",
    "save_panel_config",
]
