"""The live linter of the window: re-lints the project shortly after any edit, a new sample event or
new Pipedrive fields, and emits ``updated(LintReport)`` (the Problems list, the mapping list's marks
and the field editor show it).

Apart from the Problems list (``problems_panel.py``) because the window needs the linter from the
start but the list only when it is opened: the list's module and widgets (a table, a text browser)
load then, not before the window's first paint (tests/gui/test_startup_cost.py). The linter itself
(``core.lint``, and the mapping kit under it) loads at the first lint run, after that paint.

Runs on the GUI thread: a lint run reuses compiled mappings and per-event results, so only the
edited mapping is evaluated again.

Signals:
    ProjectLinter.updated(object): a new LintReport.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from pipedrive_gui.core.lint import LintCache, LintEvent, LintReport
    from pipedrive_gui.core.project import Project

DEBOUNCE_MS = 150


def count_text(report: LintReport | None) -> str:
    if report is None:
        return "not checked yet"
    c = report.counts()
    parts = [
        f"{c['error']} error{'s' if c['error'] != 1 else ''}",
        f"{c['warning']} warning{'s' if c['warning'] != 1 else ''}",
    ]
    if c["info"]:
        parts.append(f"{c['info']} note{'s' if c['info'] != 1 else ''}")
    return ", ".join(parts)


class ProjectLinter(QObject):
    """Lints the project shortly after each change; ``report`` is the latest result."""

    updated = Signal(object)

    def __init__(
        self,
        project: Callable[[], Project],
        event: Callable[[], Any],
        catalog: Callable[[], Any],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._project, self._event, self._catalog = project, event, catalog
        self.cache: LintCache | None = None
        self.report: LintReport | None = None
        self._facts: tuple[Any, Any] = (None, None)  # (catalog it was made from, FieldFacts)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.run_now)

    def schedule(self) -> None:
        self.timer.start()

    def facts(self) -> Any:
        catalog = self._catalog()
        if catalog is None:
            return None
        if self._facts[0] is not catalog:
            from pipedrive_gui.pipedrive.lint_fields import field_facts

            self._facts = (catalog, field_facts(catalog))
        return self._facts[1]

    def events(self, project: Project) -> list[LintEvent]:
        from pipedrive_gui.core.lint import LintEvent, project_events

        extra = []
        current = self._event()
        if isinstance(current, dict) and not any(s.event == current for s in project.samples):
            extra.append(LintEvent("the event on screen", current, "current"))
        return project_events(project, extra)

    def run_now(self) -> LintReport:
        from pipedrive_gui.core.lint import LintCache, lint_project

        self.timer.stop()
        if self.cache is None:
            self.cache = LintCache()
        project = self._project()
        report = lint_project(project, self.events(project), self.facts(), cache=self.cache)
        self.report = report
        self.updated.emit(report)
        return report
