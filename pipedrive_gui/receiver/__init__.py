"""receiver layer (see DESIGN.md §2)."""
