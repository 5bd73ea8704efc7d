"""One dispatcher per journal: an OS file lock held while a receiver (or a CLI replay) dispatches.

Two processes dispatching the same journal would both send the same pending events. The lock is
released by the OS when the process dies (also on ``kill -9``), so a crash never leaves it stuck.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO


class JournalLock:
    def __init__(self, journal_path: Path) -> None:
        self.path = Path(str(journal_path) + ".lock")
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()

    @property
    def held(self) -> bool:
        return self._file is not None
