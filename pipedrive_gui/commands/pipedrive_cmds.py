"""Connection commands: ``login``, ``logout``, ``whoami``, ``fields``.

All honour the global ``--base-url`` / ``PIPEDRIVE_BASE_URL`` (sandbox or test server) and
``--data-dir``. The token is read with getpass (no echo) or from stdin with ``--token-stdin``,
checked with ``GET /api/v1/users/me``, and only then stored in the OS keyring. It is never printed.

Exit codes: 2 bad input, 3 no usable keyring, 4 Pipedrive refused or could not be reached.
Other command modules can reuse :func:`load_credentials` and :func:`make_client`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pipedrive_gui.commands.common import CliError
from pipedrive_gui.core.actions import ENTITIES

if TYPE_CHECKING:
    from pipedrive_gui.credentials import Credentials, CredentialStore
    from pipedrive_gui.pipedrive.client import CurrentUser, PipedriveClient
    from pipedrive_gui.pipedrive.fields import FieldCatalog, PipedriveField

EXIT_INPUT = 2
EXIT_KEYRING = 3
EXIT_PIPEDRIVE = 4
ENTITY_CHOICES = ENTITIES


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "login",
        help="connect to your Pipedrive company and keep the API token in the OS keyring",
        description="Asks for the company domain and API token (Pipedrive: Settings > Personal "
        "preferences > API), checks them with Pipedrive, then stores the token in the OS keyring.",
    )
    p.add_argument("--domain", metavar="D", help="company domain, e.g. acme for acme.pipedrive.com")
    p.add_argument("--token-stdin", action="store_true", help="read the API token from standard input")
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("logout", help="remove the stored API token from the OS keyring")
    p.add_argument("--domain", metavar="D", help="which company (default: the current one)")
    p.set_defaults(func=cmd_logout)

    p = sub.add_parser("whoami", help="show the connected Pipedrive user and company, and where the token is")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_whoami)

    p = sub.add_parser(
        "fields",
        help="list Pipedrive fields (and which can be match fields)",
        description="Lists the fields of your Pipedrive company from the local cache (fetched when "
        "missing, or with --refresh), with the key to use in mappings and whether each can identify "
        "a record.",
    )
    p.add_argument("--entity", choices=ENTITY_CHOICES, help="only this record type (default: all)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--refresh", action="store_true", help="fetch again from Pipedrive")
    p.set_defaults(func=cmd_fields)


# -- shared plumbing ------------------------------------------------------------------------------


def ensure_paths(args: argparse.Namespace) -> Any:
    """The app's folders, created; a CliError naming the folder when that is impossible."""
    try:
        return args.paths.ensure()
    except OSError as exc:
        where = exc.filename or args.paths.data
        raise CliError(
            f"Cannot create the app's folder {where} ({exc.strerror or exc}). Choose a folder you "
            "can write to with --data-dir (or PIPEDRIVE_GUI_DATA_DIR).",
            EXIT_INPUT,
        ) from None


def make_store() -> CredentialStore:
    from pipedrive_gui.credentials import CredentialStore

    return CredentialStore()


def base_url_for(args: argparse.Namespace, creds: Credentials | None = None) -> str | None:
    """--base-url, else PIPEDRIVE_BASE_URL (via the credentials or the environment), else None."""
    import os

    from pipedrive_gui.credentials import ENV_BASE_URL

    return (
        getattr(args, "base_url", None)
        or (creds.base_url if creds else None)
        or (os.environ.get(ENV_BASE_URL) or "").strip()
        or None
    )


def keyring_text(message: str) -> str:
    """The keyring message for the command line, where "this session only" (a choice the desktop
    app offers) does not exist: the environment variables are the way round a missing keyring."""
    return message.replace("use the token for this session only, or set", "set")


#: What the offline sandbox accepts (any token but "bad-token"); not a secret.
SANDBOX_TOKEN = "sandbox-token"


def load_credentials(store: CredentialStore, args: argparse.Namespace | None = None) -> Credentials:
    """The credentials to use, or a CliError saying how to log in / what to install.

    With ``--base-url`` (or PIPEDRIVE_BASE_URL) on this computer (the offline sandbox) and no login,
    the sandbox's token is used, so "try it without an account" needs no login and no keyring.
    """
    from pipedrive_gui.credentials import KeyringUnavailableError

    try:
        creds = store.load()
    except KeyringUnavailableError as exc:
        local = sandbox_credentials(args)
        if local is not None:
            return local
        raise CliError(keyring_text(exc.user_message), EXIT_KEYRING) from None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    if creds is None:
        local = sandbox_credentials(args)
        if local is not None:
            return local
        raise CliError(
            "Not logged in to Pipedrive. Run `pipedrive-gui login` "
            "(or set PIPEDRIVE_API_TOKEN and PIPEDRIVE_DOMAIN).",
            EXIT_INPUT,
        )
    return creds


def sandbox_credentials(args: argparse.Namespace | None) -> Credentials | None:
    """The sandbox token when the server is this app's offline sandbox on this computer (it says so
    at ``/__sandbox/health``; the real Pipedrive is never on this computer), with a note on stderr.

    Call it with no event loop running (it runs its own short check).
    """
    from pipedrive_gui.credentials import Credentials

    base_url = base_url_for(args) if args is not None else None
    if not base_url or urlsplit(base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    try:
        asyncio.get_running_loop()
        return None  # inside a loop: the caller should have loaded credentials before it
    except RuntimeError:
        pass
    if not asyncio.run(_is_sandbox(base_url)):
        return None
    print(
        f"Not logged in: using the offline sandbox's token for {base_url} (a server on this computer).",
        file=sys.stderr,
    )
    return Credentials(domain="", token=SANDBOX_TOKEN, source="sandbox", base_url=base_url)


async def _is_sandbox(base_url: str) -> bool:
    import httpx

    try:
        async with httpx.AsyncClient(timeout=2.0, follow_redirects=False) as http:
            answer = await http.get(base_url.rstrip("/") + "/__sandbox/health")
            return bool(answer.status_code == 200 and answer.json().get("service") == "pipedrive-gui sandbox")
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def make_client(args: argparse.Namespace, creds: Credentials) -> PipedriveClient:
    from pipedrive_gui.pipedrive.client import PipedriveClient

    base_url = base_url_for(args, creds)
    if not base_url and not creds.domain:
        raise CliError(
            "Which Pipedrive company? PIPEDRIVE_API_TOKEN is set but the company domain is "
            "not: set PIPEDRIVE_DOMAIN (e.g. acme for acme.pipedrive.com).",
            EXIT_INPUT,
        )
    try:
        if base_url:
            return PipedriveClient(base_url, creds.token)
        return PipedriveClient.for_domain(creds.domain, creds.token)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None


def cache_key(domain: str, base_url: str | None) -> str:
    """Field caches of a sandbox/test server never mix with the real company's."""
    if not base_url:
        return domain
    host = urlsplit(base_url).netloc or "server"
    return f"{domain or 'unknown'}@{host}"


def run_async(coro: Any) -> Any:
    """asyncio.run, turning Pipedrive failures into one clear CLI line."""
    from pipedrive_gui.pipedrive.errors import AuthError, PipedriveError

    try:
        return asyncio.run(coro)
    except AuthError as exc:
        raise CliError(f"{exc.user_message} Then run `pipedrive-gui login`.", EXIT_PIPEDRIVE) from None
    except PipedriveError as exc:
        raise CliError(exc.user_message, EXIT_PIPEDRIVE) from None


def _where(client: PipedriveClient) -> str:
    return client.host


# -- login ----------------------------------------------------------------------------------------


def _read_domain(args: argparse.Namespace, base_url: str | None) -> str | None:
    import os

    from pipedrive_gui.credentials import ENV_DOMAIN

    domain = args.domain or (os.environ.get(ENV_DOMAIN) or "").strip() or None
    if domain or base_url:
        return domain  # with a base URL, users/me tells the domain
    if args.token_stdin or not sys.stdin.isatty():
        raise CliError(
            "Give the company domain with --domain (e.g. --domain acme for acme.pipedrive.com).", EXIT_INPUT
        )
    return input("Pipedrive company domain (the part before .pipedrive.com): ").strip()


def _read_token(args: argparse.Namespace) -> str:
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        token = getpass.getpass("Pipedrive API token (Settings > Personal preferences > API): ").strip()
    else:
        raise CliError("No terminal to ask for the API token: pipe it in with --token-stdin.", EXIT_INPUT)
    if not token:
        raise CliError(
            "No API token given. Find it in Pipedrive under Settings > Personal preferences > API.",
            EXIT_INPUT,
        )
    return token


def cmd_login(args: argparse.Namespace) -> int:
    from pipedrive_gui.credentials import Credentials, KeyringUnavailableError
    from pipedrive_gui.pipedrive.client import normalize_domain

    store = make_store()
    status = store.status()
    if not status.usable:  # say so before asking for a secret that could not be kept
        raise CliError(keyring_text(status.error().user_message), EXIT_KEYRING)
    base_url = base_url_for(args)
    domain = _read_domain(args, base_url)
    try:
        domain = normalize_domain(domain) if domain else None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    token = _read_token(args)
    probe = Credentials(domain=domain or "", token=token, source="login", base_url=base_url)
    client = make_client(args, probe)

    async def check() -> CurrentUser:
        from pipedrive_gui.pipedrive.errors import NotFoundError, UnexpectedResponseError

        async with client:
            try:
                return await client.get_me()
            except (NotFoundError, UnexpectedResponseError) as exc:
                raise CliError(
                    f"{client.host} does not answer like a Pipedrive company account. Check the company "
                    "domain: the part before .pipedrive.com in your browser's address bar. "
                    f"(Details: {exc.user_message})",
                    EXIT_PIPEDRIVE,
                ) from None

    me = run_async(check())
    reported = me.company_domain.strip().lower()
    if base_url:
        account = domain or reported or "sandbox"
    else:
        account = reported if reported and reported != domain else domain
    try:
        account = normalize_domain(account or "")
    except ValueError:
        account = domain or "sandbox"
    try:
        store.save(account, token)
    except KeyringUnavailableError as exc:
        raise CliError(keyring_text(exc.user_message), EXIT_KEYRING) from None
    print(f"Logged in as {_person(me)} at {me.company_name or account} ({_where(client)}).")
    if domain and account != domain:
        print(f"Pipedrive reports the company domain as “{account}”; saved under that name.")
    print(f"The API token is stored in {store.backend_name}.")
    print("Next: `pipedrive-gui fields` lists your Pipedrive fields and which can be match fields.")
    if store.env_override() is not None:
        print(
            "Note: PIPEDRIVE_API_TOKEN is set in the environment; it takes precedence over the stored token."
        )
    return 0


def _person(me: CurrentUser) -> str:
    return f"{me.name} <{me.email}>" if me.email else (me.name or "an unnamed user")


# -- logout ---------------------------------------------------------------------------------------


def cmd_logout(args: argparse.Namespace) -> int:
    import os

    from pipedrive_gui.credentials import ENV_TOKEN, KeyringUnavailableError

    store = make_store()
    try:
        target = args.domain or store.current_domain()
        removed = store.delete(args.domain)
    except KeyringUnavailableError as exc:
        raise CliError(keyring_text(exc.user_message), EXIT_KEYRING) from None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    if removed:
        print(f"Removed the API token for {target} from {store.backend_name}.")
    else:
        print(f"No API token was stored for {target or 'any company'} in {store.backend_name}.")
    if os.environ.get(ENV_TOKEN):
        print(f"Note: {ENV_TOKEN} is still set in the environment and will keep being used.")
    return 0


# -- whoami ---------------------------------------------------------------------------------------


def cmd_whoami(args: argparse.Namespace) -> int:
    from pipedrive_gui.credentials import ENV_TOKEN, SOURCE_ENV

    store = make_store()
    creds = load_credentials(store, args)
    client = make_client(args, creds)

    async def ask() -> CurrentUser:
        async with client:
            return await client.get_me()

    me = run_async(ask())
    if creds.source == SOURCE_ENV:
        holder = f"the environment variable {ENV_TOKEN}"
    elif creds.source == "sandbox":
        holder = "nowhere (not logged in; the offline sandbox accepts any token)"
    else:
        holder = store.backend_name
    budget = client.rate_budget
    if args.json:
        print(
            json.dumps(
                {
                    "user": {"id": me.id, "name": me.name, "email": me.email},
                    "company": {"id": me.company_id, "name": me.company_name, "domain": me.company_domain},
                    "server": client.base_url,
                    "token_source": creds.source,
                    "token_holder": holder,
                    "rate_limit": {
                        "burst_limit": budget.burst_limit,
                        "burst_remaining": budget.burst_remaining,
                        "daily_remaining": budget.daily_remaining,
                    },
                },
                indent=2,
            )
        )
        return 0
    print(f"User:     {_person(me)}")
    print(f"Company:  {me.company_name or '?'} ({me.company_domain or creds.domain or '?'})")
    print(f"Server:   {client.base_url}")
    verb = {SOURCE_ENV: "from ", "sandbox": ""}.get(creds.source, "stored in ")
    print(f"Token:    {verb}{holder}")
    daily = f"; daily budget left: {budget.daily_remaining}" if budget.daily_remaining is not None else ""
    print(
        f"Budget:   {budget.burst_remaining} of {budget.burst_limit} requests left in this 2-second window{daily}"
    )
    return 0


# -- fields ---------------------------------------------------------------------------------------


def cmd_fields(args: argparse.Namespace) -> int:
    from pipedrive_gui.pipedrive.fields import fetch_catalog, load_cached, save_cache

    store = make_store()
    creds = load_credentials(store, args)
    base_url = base_url_for(args, creds)
    client = make_client(args, creds)
    cache_dir = ensure_paths(args).cache

    async def get() -> FieldCatalog:
        async with client:
            domain = creds.domain
            if not domain:
                domain = (await client.get_me()).company_domain
            key = cache_key(domain, base_url)
            if not args.refresh:
                cached = load_cached(cache_dir, key)
                if cached is not None:
                    return cached
            catalog = await fetch_catalog(client, domain=key)
            save_cache(cache_dir, catalog)
            return catalog

    catalog = run_async(get())
    entities = [args.entity] if args.entity else list(ENTITY_CHOICES)
    if args.json:
        data = catalog.to_dict()
        data["fields"] = {e: data["fields"].get(e, []) for e in entities}
        if args.entity and args.entity != "activity":
            data.pop("activity_types", None)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"Pipedrive fields of {catalog.domain} ({catalog.age_text()}; --refresh to fetch again)")
    for entity in entities:
        _print_fields(catalog, entity)
    if "activity" in entities and catalog.activity_types:
        print("\nActivity types (use the key as the activity type):")
        for t in catalog.activity_types:
            print(f"  {t.name:<30} {t.key_string}{'' if t.active else '  (inactive)'}")
    for entity, problem in catalog.problems.items():
        if entity in entities or entity == "activity_types":
            print(f"\nCould not read {entity.replace('_', ' ')}: {problem}")
    return 0


def _print_fields(catalog: FieldCatalog, entity: str) -> None:
    from pipedrive_gui.pipedrive.fields import SEARCHABLE_ENTITIES, SEARCHABLE_SYSTEM_FIELDS

    fields = catalog.fields(entity)
    print(f"\n{entity.capitalize()} fields ({len(fields)}):")
    if not fields:
        return
    if entity not in SEARCHABLE_ENTITIES:
        # Said once for the whole record type instead of on every field.
        reason = next((f.not_searchable_reason for f in fields if f.not_searchable_reason), None)
        if reason:
            print(f"  ({reason})")
    width = min(36, max(len(f.label) for f in fields))
    type_width = max(len(_type_text(f)) for f in fields)
    system_no = False
    for f in fields:
        match = {
            "id": "match: yes (by ID)",
            "entity_search": "match: yes (search)",
            "item_search": "match: yes (field search)",
        }.get(f.match_via or "", "match: no")
        if entity in SEARCHABLE_ENTITIES and not f.searchable and not f.is_custom:
            match += " *"
            system_no = True
        print(f"  {f.label:<{width}}  {f.key:<40}  {_type_text(f):<{type_width}}  {match}")
        if f.options:
            print(f"  {'':<{width}}  options: " + ", ".join(f"{o.label}={o.id}" for o in f.options))
        if entity in SEARCHABLE_ENTITIES and not f.searchable and f.not_searchable_reason and f.is_custom:
            print(f"  {'':<{width}}  ({f.not_searchable_reason})")
    if system_no:
        names = ", ".join(sorted(SEARCHABLE_SYSTEM_FIELDS.get(entity, ())))
        print(
            f"  * Pipedrive cannot search by this built-in field; match by ID, {names}, "
            "or a text/number custom field instead."
        )


def _type_text(f: PipedriveField) -> str:
    return f"{f.type_label} (custom)" if f.is_custom else f.type_label
