"""pipedrive layer: client, field catalog, planner and upsert engine (see docs/architecture.md#layers)."""
