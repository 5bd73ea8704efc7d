"""Builds the dispatcher's processor: a project's mappings + the upsert engine on a Pipedrive connection.

Shared by ``pipedrive-gui receive``/``replay`` and the GUI's receiver panel. Without a connection
(no token) the processor still builds and records payloads, without lookups.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipedrive_gui.receiver.dispatcher import EngineLike, MappingLike, MappingProcessor
from pipedrive_gui.receiver.errors import ReceiverError
from pipedrive_gui.receiver.outcomes import ReceiverMode

if TYPE_CHECKING:
    from pipedrive_gui.core.project import Project
    from pipedrive_gui.pipedrive.client import PipedriveClient
    from pipedrive_gui.pipedrive.ledger import Ledger


def processor_for(
    mappings: Iterable[MappingLike], engine: EngineLike | None, mode: ReceiverMode
) -> MappingProcessor:
    """The processor for the window's receiver: its mappings on the connection it already has
    (``engine`` None: not connected, which live mode refuses, saying what to do)."""
    if mode is ReceiverMode.LIVE and engine is None:
        raise ReceiverError(
            "Live mode needs a Pipedrive connection. Connect to your Pipedrive account "
            "(or the offline sandbox) first, then switch to live again."
        )
    return MappingProcessor(list(mappings), engine, mode)


@dataclass(frozen=True)
class PipedriveTarget:
    """Where to send: a base URL (company domain, sandbox) and its token (never shown)."""

    base_url: str
    token: str = field(repr=False)


class ProcessorHandle:
    """Owns the Pipedrive client behind a processor; ``await close()`` (or ``async with``) when done."""

    def __init__(
        self, processor: MappingProcessor, description: str, client: PipedriveClient | None = None
    ) -> None:
        self.processor = processor
        self.description = description
        self._client = client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def __aenter__(self) -> ProcessorHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def open_processor(
    project: Project,
    *,
    mode: str = ReceiverMode.DRY_RUN,
    target: PipedriveTarget | None = None,
    ledger: Ledger | None = None,
    track_test_records: bool = False,
) -> ProcessorHandle:
    """Connect (when ``target`` is given), fetch the field catalog and build the engine and processor.

    ``ledger`` (:class:`~pipedrive_gui.pipedrive.ledger.Ledger`, shared with the GUI and ``send``) is
    consulted before every create, so the receiver never creates what another run of the app just
    created; ``track_test_records`` also lists live creates under Test records."""
    mode_text = (ReceiverMode.LIVE if mode == ReceiverMode.LIVE else ReceiverMode.DRY_RUN).label
    if target is None:
        if mode == ReceiverMode.LIVE:
            raise ReceiverError(
                "Live mode needs a Pipedrive connection: log in first, or set PIPEDRIVE_API_TOKEN "
                "(and PIPEDRIVE_DOMAIN or --base-url)."
            )
        processor = MappingProcessor(project.mappings, None, mode, track_test_records=track_test_records)
        return ProcessorHandle(
            processor, "dry run without a Pipedrive connection (payloads only, no lookups)"
        )

    from pipedrive_gui.pipedrive.client import PipedriveClient
    from pipedrive_gui.pipedrive.engine import UpsertEngine, timing_from_env
    from pipedrive_gui.pipedrive.errors import PipedriveError
    from pipedrive_gui.pipedrive.fields import fetch_catalog

    try:
        client = PipedriveClient(target.base_url, target.token)
    except ValueError as exc:
        raise ReceiverError(f"Cannot connect to Pipedrive: {exc}") from exc
    try:
        domain = getattr(getattr(project, "destination", None), "domain", "") or ""
        catalog = await fetch_catalog(client, domain=domain)
        engine = UpsertEngine(client, catalog, project.destination, ledger=ledger, **timing_from_env())
        processor = MappingProcessor(project.mappings, engine, mode, track_test_records=track_test_records)
    except PipedriveError as exc:
        await client.aclose()
        raise ReceiverError(f"Could not read the Pipedrive field catalog: {exc.user_message}") from exc
    except BaseException:
        await client.aclose()
        raise
    return ProcessorHandle(processor, f"{mode_text} against {client.base_url}", client)
