"""core layer: pure domain logic, no I/O (see docs/architecture.md#layers)."""
