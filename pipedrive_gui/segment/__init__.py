"""Segment's Public API: the workspace's Actions Pipedrive destinations, pull and push of their
mappings (subscriptions). Imports ``core`` and httpx only (``standin`` adds aiohttp, like the
sandbox); no Qt. The diff between a project and a destination is the pure :mod:`.diff`."""
