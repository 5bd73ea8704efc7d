"""Who may send events to the local receiver: the write key, the web pages (origins), the Host names.

A receiver on this computer is reachable by every web page the user opens: a page can POST
``text/plain`` to ``http://127.0.0.1:8787`` without a CORS preflight, and DNS rebinding lets a page
on an attacker's domain talk to loopback as if it were same-origin. So, by default:

- **Write key**: the CLI and the GUI always require one. It is made once and kept in
  ``receiver.json`` in the config folder (shared by ``pipedrive-gui receive`` and the GUI's receiver
  panel, so pasted snippets keep working with either); it is a local shared secret, not the
  Pipedrive API token, and may be shown. Clients send it as Segment's do: the ``writeKey`` field of
  the JSON body (analytics.js) or HTTP Basic (server libraries).
- **Web pages**: a request that carries an ``Origin`` header (every browser POST does) is refused
  with 403 unless the user allowed that origin (``--allow-origin``, the panel's "Allowed web pages"
  field). Allowed origins get CORS without credentials (``Access-Control-Allow-Origin: <origin>``,
  never ``Allow-Credentials``) and, when Chromium asks (Private Network Access preflight),
  ``Access-Control-Allow-Private-Network: true``. Programs (curl, analytics-python/node) send no
  ``Origin`` and are unaffected.
- **Host**: a request whose ``Host`` header names anything but an address the receiver serves
  (``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT``, the bound host) is refused with 403
  (DNS rebinding). Listening on all interfaces (``--allow-remote``) also accepts any IP address
  and this machine's host name, since other machines address it that way.

Pure functions and a small settings file; no aiohttp here.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG_FILE = "receiver.json"  # port, write key, allowed origins (GUI) — in the config folder
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def new_write_key() -> str:
    """A fresh random write key (URL-safe, 16 random bytes)."""
    return "local-" + secrets.token_urlsafe(16)


# -- the settings file ---------------------------------------------------------------------------------


def config_path(config_dir: Path | str) -> Path:
    return Path(config_dir) / CONFIG_FILE


def load_config(config_dir: Path | str) -> dict[str, Any]:
    """The receiver settings saved in ``config_dir`` ({} when there are none or they are unreadable)."""
    try:
        value = json.loads(config_path(config_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save_config(config_dir: Path | str, **updates: Any) -> Path:
    """Merge ``updates`` into the saved settings (atomic replace, readable only by this user)."""
    path = config_path(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**load_config(config_dir), **updates}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def stored_write_key(config_dir: Path | str) -> tuple[str, bool]:
    """The saved write key, made and saved first when there is none; returns (key, newly made)."""
    key = load_config(config_dir).get("write_key")
    if isinstance(key, str) and key:
        return key, False
    key = new_write_key()
    save_config(config_dir, write_key=key)
    return key, True


# -- origins -------------------------------------------------------------------------------------------


def normalize_origin(text: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin`` (lower case, no default port).

    Raises ValueError with a message for a user when ``text`` is not an http(s) origin.
    """
    raw = text.strip()
    example = "an address like http://localhost:3000 or https://www.example.com (no path)"
    if raw == "null":
        raise ValueError("“null” (sandboxed pages, files) cannot be allowed; serve the page over http(s)")
    if raw == "*":
        raise ValueError("“*” (any web page) cannot be allowed: name each page's address")
    if raw and "://" not in raw and "/" not in raw:
        raise ValueError(f"“{raw}” needs the scheme the page is served with: http://{raw} or https://{raw}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"“{raw}” is not {example}") from exc
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if (
        scheme not in ("http", "https")
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or parts.password is not None
        or raw.endswith("?")
    ):
        raise ValueError(f"“{raw}” is not {example}")
    if ":" in host:
        host = f"[{host}]"
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def normalize_origins(texts: Iterable[str]) -> tuple[str, ...]:
    """Each origin normalized, duplicates dropped, order kept; ValueError on the first bad one."""
    out: list[str] = []
    for text in texts:
        origin = normalize_origin(text)
        if origin not in out:
            out.append(origin)
    return tuple(out)


def split_origins(text: str) -> list[str]:
    """The origins typed into one field (separated by commas, spaces or new lines)."""
    return [part for part in text.replace(",", " ").split() if part]


class OriginPolicy:
    """Which ``Origin`` header values may send (exact origins; nothing by default)."""

    def __init__(self, origins: Iterable[str] = ()) -> None:
        self.origins: frozenset[str] = frozenset(normalize_origins(origins))

    def allows(self, origin: str) -> bool:
        try:
            return normalize_origin(origin) in self.origins
        except ValueError:
            return False


# -- Host ------------------------------------------------------------------------------------------


class HostPolicy:
    """Which ``Host`` header values name this receiver (DNS rebinding defence)."""

    def __init__(self, bound_host: str, port: int) -> None:
        self.port = port
        bound = bound_host.strip("[]").lower()
        self.any_ip = bound in _WILDCARD_HOSTS
        self.names = {"localhost", "127.0.0.1", "::1"}
        if self.any_ip:
            self.names.add(socket.gethostname().lower())
        else:
            self.names.add(bound)
        self.ips: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        self._seen: set[str] = set()
        for name in self.names:
            try:
                self.ips.add(ipaddress.ip_address(name))
            except ValueError:
                pass

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return True  # HTTP/1.0 programs; every browser sends Host, so no rebinding without it
        if host_header in self._seen:
            return True  # the few Host values clients really send: checked once
        ok = self._check(host_header)
        if ok and len(self._seen) < 64:
            self._seen.add(host_header)
        return ok

    def _check(self, host_header: str) -> bool:
        try:
            parts = urlsplit("//" + host_header.strip())
            port = parts.port
        except ValueError:
            return False
        if parts.username is not None or parts.path or parts.query or parts.fragment:
            return False
        name = (parts.hostname or "").lower()
        if not name or (port if port is not None else 80) != self.port:
            return False
        if name in self.names:
            return True
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            return False
        return self.any_ip or ip in self.ips
