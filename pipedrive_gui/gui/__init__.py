"""gui layer (see DESIGN.md §2)."""

from pipedrive_gui.gui import pyside_workarounds

# Before any widget exists: every later Signal.emit() depends on it (see the module).
pyside_workarounds.apply()
