"""The one owner of the GUI's background coroutines.

Widgets never create asyncio tasks themselves: they ask the runner, which keeps a strong reference
(an unreferenced task can be garbage-collected mid-flight), cancels the stale run of a named task
("latest wins": the preview after the last keystroke, the newest field fetch), and routes every
failure to one error callback so nothing fails silently. Busy state is a Qt signal so the status
bar can show progress for any wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    # asyncio (with ssl, socket, subprocess: ~20 ms) loads after the main window's first paint:
    # the window is built and shown before the event loop exists, and tasks start with the loop.
    import asyncio

log = logging.getLogger(__name__)

ErrorHandler = Callable[[str, BaseException], None]


class TaskRunner(QObject):
    """Schedules coroutines on the running (qasync) loop.

    Signals:
        busy_changed(bool): True while at least one task runs.
        task_started(str), task_finished(str): per named task, for progress indicators.
    """

    busy_changed = Signal(bool)
    task_started = Signal(str)
    task_finished = Signal(str)

    def __init__(self, on_error: ErrorHandler | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._named: dict[str, asyncio.Task[Any]] = {}
        self._on_error = on_error

    def set_error_handler(self, handler: ErrorHandler) -> None:
        self._on_error = handler

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def running(self, name: str) -> bool:
        task = self._named.get(name)
        return task is not None and not task.done()

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str,
        latest_wins: bool = False,
        on_done: Callable[[Any], None] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> asyncio.Task[Any]:
        if latest_wins:
            self.cancel(name)
        was_busy = self.busy
        import asyncio

        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        self._named[name] = task
        self.task_started.emit(name)
        if not was_busy:
            self.busy_changed.emit(True)

        def finished(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if self._named.get(name) is t:
                del self._named[name]
            self.task_finished.emit(name)
            if not self._tasks:
                self.busy_changed.emit(False)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                handler = on_error or self._on_error
                if handler is not None:
                    handler(name, exc)
                else:
                    log.error("background task %s failed", name, exc_info=exc)
                return
            if on_done is not None:
                on_done(t.result())

        task.add_done_callback(finished)
        return task

    def cancel(self, name: str) -> None:
        task = self._named.pop(name, None)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def wait_idle(self) -> None:
        """Wait until every task has finished (tests and orderly shutdown)."""
        import asyncio

        while self._tasks:
            pending = [t for t in self._tasks if not t.done()]
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            # Finished tasks leave the set from their done-callbacks, which the loop runs on its
            # next turn; yield to it (awaiting only finished futures may not, and would spin).
            await asyncio.sleep(0)
