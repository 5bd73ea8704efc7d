"""pipedrive layer (see DESIGN.md §2)."""
