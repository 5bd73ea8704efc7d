"""The Impact panel: what a set of events would do to Pipedrive, per mapping, before it happens.

Choose the events (the bundled corpus, a JSON Lines file, or the local receiver's journal with an
outcome / text filter), press *Run impact*: only lookups are made (each distinct match value once,
paced within Pipedrive's limits; progress and *Cancel*), then a bar per mapping shows how many events
would update / create / fail / not trigger it, a summary tells the cost and the share of the daily
budget, the records the batch creates and reaches again, and — with *Compare with the saved
project* — the events whose outcome the unsaved edits change. The table lists every run; selecting
one shows its payload, calls and result; *Export CSV…* writes the table. Results stay until the
next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core import impact as core
from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.table_models import ListTableModel
from pipedrive_gui.receiver.outcomes import Outcome

SOURCES = (
    ("corpus", "Bundled corpus (1,100 events)"),
    ("file", "JSON Lines file…"),
    ("journal", "Local receiver's journal"),
)
PLANS = (
    ("", "Plan: as Pipedrive tells"),
    ("lite", "Lite"),
    ("growth", "Growth"),
    ("premium", "Premium"),
    ("ultimate", "Ultimate"),
)
JOURNAL_OUTCOMES = (
    "",
    Outcome.DELIVERED,
    Outcome.FAILED,
    Outcome.PLANNED,
    Outcome.SKIPPED,
    Outcome.PENDING,
    Outcome.RETRYING,
    Outcome.DROPPED,
)
#: Bar colours per outcome (fixed hues that read on light and dark palettes).
COLOURS = {
    core.UPDATE: QColor("#2f7bd8"),
    core.CREATE: QColor("#2e9e5b"),
    core.FAIL: QColor("#d64545"),
    core.NOT_TRIGGERED: QColor("#9aa0a6"),
}
LABELS = {
    core.UPDATE: "update",
    core.CREATE: "create",
    core.FAIL: "fail",
    core.NOT_TRIGGERED: "not triggered",
}
_PHASES = {
    "prepare": "Reading events",
    "lookups": "Looking up match values in Pipedrive (read-only)",
    "simulate": "Working out outcomes",
}


class ImpactChart(QWidget):
    """One horizontal stacked bar per mapping: update / create / fail / not triggered."""

    ROW = 26

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summaries: list[core.MappingSummary] = []
        self.setObjectName("impactChart")
        self.setAccessibleName("Outcome per mapping")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(60)

    def set_summaries(self, summaries: list[core.MappingSummary]) -> None:
        self.summaries = list(summaries)
        self.setToolTip(
            "\n".join(
                f"{s.mapping}: {core.counts_line({o: getattr(s, o) for o in core.OUTCOMES})}"
                for s in self.summaries
            )
        )
        self.updateGeometry()
        self.setMinimumHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, 34 + self.ROW * max(1, len(self.summaries)))

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        fm = p.fontMetrics()
        if not self.summaries:
            p.setPen(text)
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Run an impact to see what each mapping would do."
            )
            return
        label_w = min(max(fm.horizontalAdvance(s.mapping) for s in self.summaries) + 12, self.width() // 3)
        bar_x = label_w
        bar_w = max(40, self.width() - label_w - 8)
        # Legend.
        x = bar_x
        for outcome in core.OUTCOMES:
            p.fillRect(QRectF(x, 6, 10, 10), COLOURS[outcome])
            p.setPen(text)
            p.drawText(int(x + 14), 15, LABELS[outcome])
            x += 24 + fm.horizontalAdvance(LABELS[outcome])
        for row, s in enumerate(self.summaries):
            y = 26 + row * self.ROW
            p.setPen(text)
            name = fm.elidedText(s.mapping, Qt.TextElideMode.ElideRight, label_w - 8)
            p.drawText(
                QRectF(0, y, label_w - 8, self.ROW - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                name,
            )
            total = sum(getattr(s, o) for o in core.OUTCOMES) or 1
            left = float(bar_x)
            for outcome in core.OUTCOMES:
                n = getattr(s, outcome)
                if not n:
                    continue
                w = bar_w * n / total
                rect = QRectF(left, y, w, self.ROW - 6)
                p.fillRect(rect, COLOURS[outcome])
                label = str(n)
                if fm.horizontalAdvance(label) + 6 < w:
                    p.setPen(QColor("white"))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
                left += w
        p.end()


class ImpactRunsModel(ListTableModel[core.EventRun]):
    """One row per mapping run on an event (runs that did not trigger are only counted)."""

    HEADERS = ("#", "Event", "Mapping", "Outcome", "Record", "Calls", "Tokens", "What would happen")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[core.EventRun] = []
        self._outcome = ""

    def set_runs(self, runs: list[core.EventRun]) -> None:
        self._all = list(runs)
        self._apply()

    def set_outcome_filter(self, outcome: str) -> None:
        self._outcome = outcome
        self._apply()

    def _apply(self) -> None:
        self.set_rows(
            r
            for r in self._all
            if not self._outcome
            or r.outcome == self._outcome
            or (self._outcome == "batch" and r.batch_record)
        )

    def cell(self, r: core.EventRun, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            record = "" if r.outcome == core.FAIL else r.subject()
            return (
                r.event_index,
                r.message_id,
                r.mapping,
                r.outcome,
                record,
                r.api_calls,
                r.tokens,
                r.message,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 3:
            return COLOURS.get(r.outcome)
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.message + (f"\nBatch: {r.batch_record}" if r.batch_record else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def read_jsonl_file(path: str) -> list[dict[str, Any]]:
    from pipedrive_gui.commands.impact_cmds import parse_jsonl

    return parse_jsonl(Path(path).read_text(encoding="utf-8-sig"), Path(path).name)


class ImpactPanel(QWidget):
    """``ImpactPanel(runner, connection, project, saved_project, journal_path)``: ``project()`` is the
    project being edited, ``saved_project()`` the saved file's (None when there is none)."""

    TASK = "impact"

    def __init__(
        self,
        runner: Any,
        connection: Any,
        project: Callable[[], Any],
        saved_project: Callable[[], Any],
        journal_path: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("impactPanel")
        self.runner, self.connection = runner, connection
        self._project, self._saved_project = project, saved_project
        self.journal_path = journal_path
        self.file_path = ""
        self.result: Any = None  # the last ImpactResult, kept until the next run
        self.progress_seen: list[tuple[str, int, int]] = []

        self.source = QComboBox()
        self.source.setAccessibleName("Events to run")
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("")
        self.journal_outcome = QComboBox()
        self.journal_outcome.setAccessibleName("Journal outcome")
        for o in JOURNAL_OUTCOMES:
            self.journal_outcome.addItem(o or "any outcome", str(o))
        self.journal_text = QLineEdit()
        self.journal_text.setPlaceholderText("containing text…")
        self.journal_text.setAccessibleName("Journal text filter")
        self.compare = QCheckBox("Compare with the saved project")
        self.compare.setToolTip(
            "Run the same events through the saved file too and list the events whose "
            "outcome your unsaved edits change"
        )
        self.run_button = QPushButton("Run impact")
        self.run_button.setToolTip("Read-only: looks records up in Pipedrive, writes nothing")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.status = QLabel("Choose events and press Run impact. Nothing is written to Pipedrive.")
        self.status.setWordWrap(True)

        self.plan = QComboBox()
        self.plan.setAccessibleName("Pipedrive plan")
        for key, text in PLANS:
            self.plan.addItem(text, key)
        self.seats = QSpinBox()
        self.seats.setRange(1, 10_000)
        self.seats.setPrefix("seats: ")
        self.per_day = QSpinBox()
        self.per_day.setRange(0, 10_000_000)
        self.per_day.setSingleStep(500)
        self.per_day.setValue(1000)
        self.per_day.setSuffix(" events/day")
        self.per_day.setAccessibleName("Events a day")
        for w in (self.plan, self.seats, self.per_day):
            signal = w.currentIndexChanged if isinstance(w, QComboBox) else w.valueChanged
            signal.connect(self._show_summary)

        self.chart = ImpactChart()
        self.summary = QLabel("")
        self.summary.setObjectName("impactSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.model = ImpactRunsModel(self)
        self.table = QTableView()
        self.table.setObjectName("impactTable")
        self.table.setAccessibleName("Events and what they would do")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setWordWrap(False)
        for column, width in enumerate((44, 120, 220, 70, 110, 46, 52)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("impactDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an event to see its payload, calls and result.")
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show events")
        for key, text in (
            ("", "all runs"),
            ("update", "updates"),
            ("create", "creates"),
            ("fail", "failures"),
            ("batch", "reached again in the batch"),
        ):
            self.filter.addItem(text, key)
        self.filter.currentIndexChanged.connect(
            lambda _: self.model.set_outcome_filter(self.filter.currentData())
        )
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_dialog)
        self.export_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(QLabel("Events:"))
        top.addWidget(self.source)
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.journal_outcome)
        top.addWidget(self.journal_text)
        top.addWidget(self.compare)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        budget = QHBoxLayout()
        budget.addWidget(QLabel("Daily budget at:"))
        budget.addWidget(self.per_day)
        budget.addWidget(self.plan)
        budget.addWidget(self.seats)
        budget.addStretch(1)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        self.progress.setMinimumWidth(360)
        upper = QWidget()
        ul = QHBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(self.chart, 3)
        ul.addWidget(self.summary, 2)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Show:"))
        tools.addWidget(self.filter)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.detail)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(status_row)
        layout.addLayout(budget)
        layout.addWidget(upper)
        layout.addLayout(tools)
        layout.addWidget(lower, 1)
        self._source_changed()

    # -- choosing events ---------------------------------------------------------------------------

    def _source_changed(self, *_: Any) -> None:
        key = self.source.currentData()
        self.choose_button.setVisible(key == "file")
        self.file_label.setVisible(key == "file")
        self.journal_outcome.setVisible(key == "journal")
        self.journal_text.setVisible(key == "journal")

    def set_source(self, key: str, path: str = "") -> None:
        self.source.setCurrentIndex(next(i for i, (k, _) in enumerate(SOURCES) if k == key))
        if path:
            self.file_path = path
            self.file_label.setText(Path(path).name)

    def choose_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.set_source("file", path)

        dialogs.open_file(
            self, "Events to run (JSON Lines)", "JSON Lines (*.jsonl *.ndjson *.json);;All files (*)", chosen
        )

    def _load_events(self) -> list[dict[str, Any]]:
        from pipedrive_gui.commands.impact_cmds import corpus_events, journal_events

        key = self.source.currentData()
        if key == "corpus":
            return corpus_events()
        if key == "file":
            if not self.file_path:
                raise ValueError("Choose a JSON Lines file first (one Segment event per line).")
            return read_jsonl_file(self.file_path)
        outcome = self.journal_outcome.currentData()
        return journal_events(
            self.journal_path, outcomes=(outcome,) if outcome else (), text=self.journal_text.text().strip()
        )

    def source_text(self) -> str:
        key = self.source.currentData()
        if key == "file":
            return Path(self.file_path).name if self.file_path else "a file"
        return dict(SOURCES)[key].split(" (")[0].lower() if key == "corpus" else "the receiver's journal"

    # -- running -----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.runner.running(self.TASK):
            return
        if not self.connection.connected or self.connection.client is None:
            self.status.setText(
                "Connect to Pipedrive (or the offline sandbox) first: the impact looks records up "
                "there. Pipedrive > Connect…"
            )
            return
        self.progress_seen = []
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText("Reading events…")
        self.runner.spawn(self._run(), name=self.TASK, on_done=self._finished, on_error=self._failed)

    async def _run(self) -> Any:
        from pipedrive_gui.pipedrive.impact import run_impact

        events = await asyncio.to_thread(self._load_events)
        if not events:
            raise ValueError(f"There are no events in {self.source_text()}.")
        baseline = None
        if self.compare.isChecked():
            baseline = await asyncio.to_thread(self._saved_project)
            if baseline is None:
                raise ValueError("There is no saved project to compare with: save the project first.")
        user = self.connection.user
        currency = (str(user.get("default_currency") or "") or None) if user is not None else None
        return await run_impact(
            self.connection.client,
            self.connection.catalog,
            self._project(),
            events,
            compare_with=baseline,
            progress=self._progress,
            default_currency=currency,
            source=self.source_text(),
        )

    def _progress(self, phase: str, done: int, total: int) -> None:
        self.progress_seen.append((phase, done, total))
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{_PHASES.get(phase, phase)}: {done} of {total}")
        self.status.setText(f"{_PHASES.get(phase, phase)}: {done} of {total}…")

    def cancel(self) -> None:
        self.runner.cancel(self.TASK)
        self._idle()
        self.status.setText(
            "Cancelled. " + ("The results below are from the previous run." if self.result else "")
        )

    def _idle(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _failed(self, _name: str, exc: BaseException) -> None:
        self._idle()
        message = describe(exc)
        self.status.setText(
            f"The impact run stopped: {message}"
            + (" The results below are from the previous run." if self.result else "")
        )

    def _finished(self, result: Any) -> None:
        self._idle()
        self.show_result(result)

    def show_result(self, result: Any) -> None:
        self.result = result
        report = result.report
        self.chart.set_summaries(report.summaries)
        self.model.set_runs(report.runs)
        self.export_button.setEnabled(bool(report.runs))
        self.detail.clear()
        self.status.setText(
            f"{report.events:,} events from {report.source}: {report.lookups:,} lookups in "
            f"{result.seconds:.1f} s, nothing written. Results stay until the next run."
        )
        self._show_summary()

    def _show_summary(self, *_: Any) -> None:
        result = self.result
        if result is None:
            return
        report = result.report
        chosen = self.plan.currentData()
        plan = chosen or result.plan or "growth"
        note = "" if chosen else (" (told by Pipedrive)" if result.plan else " (assumed)")
        share = report.budget(plan, self.per_day.value(), self.seats.value())
        parts = [
            f"<b>Cost of sending them:</b> {report.api_calls:,} API calls, {report.tokens:,} tokens "
            f"({share.tokens_per_event:.1f} per event).",
            f"<b>Budget:</b> {_esc(share.sentence())} Plan: {plan}{note}.",
        ]
        if report.batch_records:
            cross = sum(1 for b in report.batch_records if b.cross_mapping)
            parts.append(
                f"<b>{len(report.batch_records)} records</b> are created by one event and reached again "
                f"by later ones{f' ({cross} by two mappings)' if cross else ''}: sent in parallel by "
                "Segment, these may become duplicates."
            )
        fails = [(s.mapping, r, n) for s in report.summaries for r, n in s.fail_reasons[:2]]
        if fails:
            parts.append(
                "<b>Top failures:</b><br>"
                + "<br>".join(f"{n}× {_esc(m)}: {_esc(r)}" for m, r, n in fails[:4])
            )
        if result.before is not None:
            if result.changes:
                parts.append(
                    "<b>Compared with the saved project:</b><br>"
                    + "<br>".join(_esc(c.sentence()) for c in result.changes[:6])
                )
            else:
                parts.append("<b>Compared with the saved project:</b> no event's outcome changes.")
        self.summary.setText("<br>".join(parts))

    # -- the table ---------------------------------------------------------------------------------

    def _row_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        run = self.model.row_at(current.row()) if current.isValid() else None
        self.detail.setPlainText(core.detail_text(run) if run is not None else "")

    def open_row(self, row: int) -> None:
        self.table.setCurrentIndex(self.model.index(row, 0))

    def export_dialog(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.export_to(path)

        dialogs.save_file(self, "Export impact as CSV", "CSV files (*.csv)", chosen, default_suffix="csv")

    def export_to(self, path: str) -> bool:
        from pipedrive_gui.core.project import atomic_write_text

        if self.result is None:
            return False
        try:
            atomic_write_text(path, core.csv_text(self.result.report.runs))
        except OSError as exc:
            dialogs.show_error(self, "Could not export", f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.status.setText(f"Wrote {len(self.result.report.runs):,} rows to {path}.")
        return True


def saved_project_of(doc: Any) -> Any:
    """The project as last saved to ``doc.path``; None when it was never saved (or cannot be read)."""
    from pipedrive_gui.core.project import ProjectFileError, load_project

    path = getattr(doc, "path", None)
    if path is None:
        return None
    try:
        return load_project(path)
    except (OSError, ProjectFileError):
        return None


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["ImpactChart", "ImpactPanel", "ImpactRunsModel", "saved_project_of"]
