"""What every command module shares with ``cli.py``: the error a command raises to fail cleanly.

It lives here, below ``cli.py``, so that imports point one way: ``cli.py`` imports the command
modules (to register them) and this module; the command modules never import ``cli.py``.
"""

from __future__ import annotations


class CliError(Exception):
    """A failure the user can act on; ``str()`` is the one line printed."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
