"""gui layer: the PySide6 desktop app (see docs/architecture.md#layers)."""

from pipedrive_gui.gui import pyside_workarounds

# Before any widget exists: every later Signal.emit() depends on it (see the module).
pyside_workarounds.apply()
