"""sandbox layer (see DESIGN.md §2)."""
