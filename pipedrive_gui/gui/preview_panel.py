"""The live preview of the selected mapping on the sample event, and the buttons that try it on
Pipedrive: *Check in Pipedrive* (read-only lookups: would update / would create / would fail) and
*Send test* (asks first, then writes; each call with its status and a link to the record). Both act
on what is on screen when pressed; a mapping whose trigger does not fire for the sample event needs
an explicit "Send anyway"; a result stays readable but greyed, "Changed since this check — check
again", once the mapping, the sample event or the connection changes.

Recomputed ~120 ms after the last edit; a refresh still running when another edit arrives is
cancelled (TaskRunner "latest wins").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFontDatabase, QHelpEvent, QPalette
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.core.modes import DRY_RUN, SEND
from pipedrive_gui.core.project import Mapping
from pipedrive_gui.gui import dialogs, shortcuts
from pipedrive_gui.gui.connection import Connection
from pipedrive_gui.gui.custom_key_legend import KEY_RE, field_label, legend_html
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.json_highlighter import highlight_json
from pipedrive_gui.gui.preview import PreviewComputer, PreviewResult, RunInputs
from pipedrive_gui.gui.shortcuts import with_key
from pipedrive_gui.gui.table_models import ListTableModel
from pipedrive_gui.gui.tasks import TaskRunner

DEBOUNCE_MS = 120
_OUTCOME_WORDS = {
    "update": "Would update",
    "create": "Would create",
    "fail": "Would fail",
    "planned": "Planned",
}


def _status_text(call: Any) -> str:
    if getattr(call, "from_cache", False):
        return "known (no call needed)"
    if getattr(call, "sent", False):
        status = call.status
        text = str(status) if status else "no answer"
        if call.error:
            text += f" — {call.error}"
        return text
    return "not sent"


def _run_failure(exc: BaseException) -> str:
    """How *Check in Pipedrive* / *Send test* words a failure that is not a domain error."""
    if isinstance(exc, OSError):
        return (
            f"Could not reach Pipedrive ({exc}). Check your internet connection (or restart the "
            "sandbox) and try again."
        )
    return f"The check failed unexpectedly: {exc}. Try again; if it keeps failing, report it."


class CallsModel(ListTableModel[Any]):
    """The Pipedrive calls of a plan / dry run / send: what, which request, and its status."""

    PURPOSE, REQUEST, STATUS = 0, 1, 2
    HEADERS = ("What", "Pipedrive request", "Status")

    def set_calls(self, calls: list[Any]) -> None:
        self.set_rows(calls)

    def cell(self, call: Any, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.PURPOSE:
                cond = f" ({call.condition})" if call.condition else ""
                return f"{call.purpose}{cond}"
            if column == self.REQUEST:
                return f"{call.method} {call.path}"
            if role == Qt.ItemDataRole.ToolTipRole and call.response_excerpt:
                return call.response_excerpt
            return _status_text(call)
        return None


class PreviewPanel(QWidget):
    """Signals:
    refreshed(): a preview was rendered (tests and benchmarks wait on it).
    pipedrive_done(str): a check/send finished with this outcome ("update", "create", "fail", "error").
    """

    refreshed = Signal()
    pipedrive_done = Signal(str)

    def __init__(
        self,
        doc: Document,
        connection: Connection,
        runner: TaskRunner,
        event_source: Callable[[], tuple[dict[str, Any] | None, str | None]],
        parent: QWidget | None = None,
        open_url: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.connection, self.runner = doc, connection, runner
        self.event_source = event_source
        # A link that no browser takes is shown to copy (dialogs.open_link).
        self.open_url = open_url or (lambda url: dialogs.open_link(self, url))
        self.computer = PreviewComputer()
        self.mapping_id = ""
        self.result: PreviewResult | None = None
        self.last_run: Any = None
        # What the shown check/send result was computed from, and whether that changed since.
        self.run_inputs: RunInputs | None = None
        self.run_mapping_name = ""
        self.stale = False
        self.outcome_html = ""

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._start_refresh)

        self.trigger_indicator = QLabel()
        self.trigger_indicator.setObjectName("triggerIndicator")
        self.trigger_indicator.setWordWrap(True)
        self.payload_view = QPlainTextEdit()
        self.payload_view.setObjectName("payloadView")
        self.payload_view.setReadOnly(True)
        self.payload_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.payload_view.setAccessibleName("Payload Segment would send")
        self.payload_view.setTabChangesFocus(True)
        self.payload_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = highlight_json(self.payload_view)
        # Custom fields appear by their hash key only (that is what Segment sends); name them
        # beside the payload, never inside it, so the copied text stays exact. The key tooltips'
        # event filter goes on when the first preview is rendered (see _watch_key_tooltips).
        self._watching_keys = False
        self.key_legend = QLabel()
        self.key_legend.setObjectName("customKeyLegend")
        self.key_legend.setWordWrap(True)
        self.key_legend.setTextFormat(Qt.TextFormat.RichText)
        self.key_legend.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_legend.hide()
        self.problems = QLabel()
        self.problems.setObjectName("payloadProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plan_text = QLabel()
        self.plan_text.setObjectName("planText")
        self.plan_text.setWordWrap(True)
        self.calls = CallsModel(self)
        self.calls_view = QTableView()
        self.calls_view.setObjectName("callsView")
        self.calls_view.setModel(self.calls)
        self.calls_view.verticalHeader().hide()
        self.calls_view.setWordWrap(True)
        self.calls_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.calls_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.calls_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        self.check_button = QPushButton("Check in Pipedrive")
        self.check_button.setObjectName("checkButton")
        self.check_button.setToolTip(
            with_key(
                "Look the records up in Pipedrive (read-only) and say what would happen", shortcuts.CHECK
            )
        )
        self.check_button.clicked.connect(self.check)
        self.send_button = QPushButton("Send test…")
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip(
            with_key("Really create or update the record in Pipedrive (asks first)", shortcuts.SEND)
        )
        self.send_button.clicked.connect(self.ask_send)
        self.outcome = QLabel()
        self.outcome.setObjectName("outcomeLabel")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setOpenExternalLinks(False)
        self.outcome.linkActivated.connect(self._link_activated)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        payload_box = QGroupBox("Payload (exactly what Segment computes)")
        pl = QVBoxLayout(payload_box)
        pl.addWidget(self.payload_view, 1)
        pl.addWidget(self.key_legend)
        pl.addWidget(self.problems)
        calls_box = QGroupBox("Pipedrive calls")
        cl = QVBoxLayout(calls_box)
        cl.addWidget(self.plan_text)
        cl.addWidget(self.calls_view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.send_button)
        buttons.addStretch(1)
        cl.addLayout(buttons)
        cl.addWidget(self.outcome)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("previewSplit")
        split.addWidget(payload_box)
        split.addWidget(calls_box)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QLabel("<b>Preview</b>")
        layout.addWidget(head)
        layout.addWidget(self.trigger_indicator)
        layout.addWidget(split, 1)
        self.split = split
        self._update_buttons()
        connection.changed.connect(self._update_buttons)
        connection.changed.connect(self.mark_if_stale)  # a reconnect outdates a check's result
        connection.catalog_changed.connect(self._update_legend)

    # -- refreshing -------------------------------------------------------------------------------

    def set_mapping(self, mapping_id: str) -> None:
        if mapping_id != self.mapping_id:
            self.mapping_id = mapping_id
            self.last_run = None
            self.run_inputs, self.stale = None, False
            self.outcome.clear()
            self.outcome.setToolTip("")
            self.calls_view.setEnabled(True)
        self.schedule(immediate=True)

    def schedule(self, immediate: bool = False) -> None:
        """Restart the debounce timer (``immediate``: refresh on the next loop turn). Called on every
        change of what the preview shows, so a check/send result is marked outdated right away."""
        self.mark_if_stale()
        self.timer.start(0 if immediate else DEBOUNCE_MS)

    def _start_refresh(self) -> None:
        self.runner.spawn(self.refresh(), name="preview", latest_wins=True)

    async def refresh(self) -> PreviewResult | None:
        mapping = self.doc.mapping(self.mapping_id)
        event, event_error = self.event_source()
        if mapping is None:
            self.result = None
            self._render_empty("Select a mapping to see what it sends to Pipedrive.")
            return None
        engine = self.connection.engine(self.doc.project.destination)
        result = await self.computer.compute(mapping, event, engine)
        self.result = result
        self.show_result(result, event_error)
        return result

    def _watch_key_tooltips(self) -> None:
        """Name custom-field keys in a tooltip (the viewport gets the ToolTip events). Not done in
        __init__: there is no key to name before a preview, and PySide's first viewport() call
        costs ~9 ms (it resolves the type of a widget Qt made) that would delay the first paint."""
        if not self._watching_keys:
            self._watching_keys = True
            self.payload_view.viewport().installEventFilter(self)

    def _render_empty(self, text: str) -> None:
        self._watch_key_tooltips()
        self.trigger_indicator.setText(text)
        self.payload_view.setPlainText("")
        self._update_legend()
        self._set_problems("")
        self.plan_text.setText("")
        self.calls.set_calls([])
        self._update_buttons()
        self.refreshed.emit()

    def show_result(self, r: PreviewResult, event_error: str | None = None) -> None:
        self._watch_key_tooltips()
        if r.error:
            self._render_empty(r.error)
            return
        indicator = r.trigger_text
        if event_error:
            indicator = f"{event_error}\n{indicator}"
        self.trigger_indicator.setText(indicator)
        p = r.payload
        if p is not None and p.ok:
            if self.payload_view.toPlainText() != r.payload_json:
                self.payload_view.setPlainText(r.payload_json)
            self._update_legend()
            self._set_problems("")
        else:
            self.payload_view.setPlainText("")
            self._update_legend()
            lines = []
            if p is not None and p.problems:
                lines = [f"• {q.label or q.field or 'Payload'}: {q.message}" for q in p.problems]
            elif p is not None and p.error:
                lines = [f"• {p.error}"]
            self._set_problems(
                "Segment would reject this payload, so nothing would reach Pipedrive:\n"
                + "\n".join(lines)
                + "\nFix the fields above or the sample event."
            )
        if self.last_run is None:
            plan = r.plan
            if plan is not None:
                self.plan_text.setText(plan.message)
                self.calls.set_calls(plan.calls)
            else:
                self.plan_text.setText("")
                self.calls.set_calls([])
        self._update_buttons()
        self.refreshed.emit()

    def _set_problems(self, text: str) -> None:
        # Hidden when empty so the payload gets the room (an empty label still takes a line).
        self.problems.setText(text)
        self.problems.setVisible(bool(text))

    def _action_slug(self) -> str:
        mapping = self.doc.mapping(self.mapping_id)
        return mapping.action if mapping is not None else ""

    def _update_legend(self) -> None:
        text = legend_html(self.payload_view.toPlainText(), self.connection.catalog, self._action_slug())
        self.key_legend.setText(text)
        self.key_legend.setVisible(bool(text))

    def key_tooltip_at(self, pos: Any) -> str:
        """The custom field's name for a hash key under ``pos`` (viewport coordinates), or ""."""
        cursor = self.payload_view.cursorForPosition(pos)
        line, column = cursor.block().text(), cursor.positionInBlock()
        for m in KEY_RE.finditer(line):
            if m.start() <= column <= m.end():
                label = field_label(self.connection.catalog, m.group(0), self._action_slug())
                if label:
                    return f"Pipedrive custom field “{label}”"
                if self.connection.catalog is None:
                    return "A Pipedrive custom field key: connect to Pipedrive to see its name"
                return "Not a field in this Pipedrive account"
        return ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.key_tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.payload_view)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().eventFilter(watched, event)

    def _update_buttons(self) -> None:
        ok = bool(self.result and self.result.payload and self.result.payload.ok)
        fires = bool(self.result and self.result.fires)
        _, event_error = self.event_source()
        busy = self.runner.running("pipedrive")
        can = ok and self.connection.connected and not busy and not event_error
        self.check_button.setEnabled(can)
        self.send_button.setEnabled(can)
        if not self.connection.connected:
            tip = "Connect to Pipedrive (or the offline sandbox) first: Pipedrive > Connect…"
        elif event_error:
            tip = "Fix the sample event first: it is not valid JSON, so it is not what would be sent."
        elif not ok:
            tip = "Fix the payload problems first: Segment would not send this payload."
        else:
            tip = ""
        for b in (self.check_button, self.send_button):
            b.setStatusTip(tip)
        if ok and not fires and self.result is not None:
            # Segment would never send this event with this mapping: say so before anyone presses it.
            mapping = self.doc.mapping(self.mapping_id)
            off = mapping is not None and not mapping.enabled
            self.send_button.setText(
                "Send test (mapping disabled)…" if off else "Send test (trigger does not fire)…"
            )
            self.send_button.setToolTip(
                with_key(
                    f"{self.result.trigger_text.removeprefix('✘ ')} Segment would not send this event with this "
                    "mapping; you can still send it as a test (asks first)",
                    shortcuts.SEND,
                )
            )
        else:
            self.send_button.setText("Send test…")
            self.send_button.setToolTip(
                with_key("Really create or update the record in Pipedrive (asks first)", shortcuts.SEND)
            )
        if not self.last_run and not busy:
            self.outcome.setText(tip)

    # -- Pipedrive --------------------------------------------------------------------------------

    def _inputs(self) -> tuple[RunInputs, Mapping, dict[str, Any]] | None:
        """What is on screen now: the mapping, the sample event, the destination and connection."""
        mapping = self.doc.mapping(self.mapping_id)
        event, _ = self.event_source()
        if mapping is None or event is None:
            return None
        return (
            RunInputs.capture(mapping, event, self.doc.project.destination, self.connection.client),
            mapping,
            event,
        )

    def check(self) -> None:
        self._run(DRY_RUN)

    def ask_send(self) -> None:
        """Confirm, then send. Works on what is on screen now (also when the preview has not caught
        up with the last keystroke yet); a mapping whose trigger does not fire for the sample event
        needs an explicit "Send anyway"."""
        now = self._inputs()
        _, event_error = self.event_source()
        if now is None or event_error or not self.connection.connected or self.runner.running("pipedrive"):
            self._update_buttons()
            return
        inputs, mapping, event = now
        fires, trigger_text, reasons = self.computer.trigger_state(mapping, event)
        where = self.connection.account_text
        if fires:
            dialogs.ask(
                self,
                "Send test to Pipedrive?",
                f"This really creates or updates a record in {where}, using the mapping "
                f"“{mapping.name}” and the sample event. Continue?",
                [dialogs.YES, dialogs.CANCEL],
                lambda answer: self._run(SEND, inputs) if answer == dialogs.YES else None,
                labels={dialogs.YES: "Send test"},
            )
            return
        if reasons:
            title = "Send test although the trigger does not fire?"
            why = (
                f"The trigger of the mapping “{mapping.name}” does not fire for this sample event "
                f"({'; '.join(reasons)}), so Segment would not send it to Pipedrive."
            )
        else:  # disabled, no trigger, or a trigger that is not valid FQL
            title = "Send test although Segment would not run this mapping?"
            why = (
                f"{trigger_text.removeprefix('✘ ')}\n\nSo Segment would not send this event to Pipedrive "
                f"with the mapping “{mapping.name}”."
            )
        dialogs.ask(
            self,
            title,
            f"{why}\n\nSending it anyway really creates or updates a record in {where}. Send anyway?",
            [dialogs.YES, dialogs.CANCEL],
            lambda answer: self._run(SEND, inputs) if answer == dialogs.YES else None,
            labels={dialogs.YES: "Send anyway"},
            default=dialogs.CANCEL,
            details="To test what Segment would really do, choose a sample event the trigger "
            "fires on, or change the trigger.",
        )

    def _run(self, mode: str, confirmed: RunInputs | None = None) -> None:
        """Check (``dry_run``) or send what is on screen now. A send needs ``confirmed``: the inputs
        the user agreed to; when they changed while the question was open, nothing is sent."""
        now = self._inputs()
        _, event_error = self.event_source()
        if now is None or event_error or not self.connection.connected:
            self._update_buttons()
            return
        inputs, mapping, event = now
        if mode == SEND and not inputs.same_as(confirmed):
            self.outcome.setText(
                "⚠ Nothing was sent: the mapping, the sample event or the connection "
                "changed while you were deciding. Look at the preview, then press Send test "
                "again."
            )
            return
        # Computed now, not taken from the last preview: that one may be a keystroke behind.
        payload = self.computer.payload(mapping, event)
        if not payload.ok:
            self._update_buttons()
            return
        fires, _, reasons = self.computer.trigger_state(mapping, event)
        # (The trigger indicator above says the details.)
        why_not = (
            ""
            if fires
            else "the mapping is disabled"
            if not mapping.enabled
            else "the trigger does not fire for this sample event"
            if reasons
            else "the trigger never runs"
        )
        body = payload.payload or {}
        engine = self.connection.engine(self.doc.project.destination, for_send=mode == SEND)
        self.outcome.setText("Checking in Pipedrive…" if mode == DRY_RUN else "Sending to Pipedrive…")

        async def go() -> Any:
            return await engine.run(mapping.action, body, mode, mapping=mapping.name)

        self.runner.spawn(
            go(),
            name="pipedrive",
            latest_wins=True,
            on_done=lambda result: self._show_run(result, inputs, why_not, mapping.name),
            on_error=self._run_failed,
        )
        self._update_buttons()

    def _show_run(
        self, result: Any, inputs: RunInputs | None = None, why_not: str = "", mapping_name: str = ""
    ) -> None:
        """``why_not``: why Segment would not send this event with this mapping ("" when it would)."""
        self.last_run = result
        self.run_inputs, self.run_mapping_name, self.stale = inputs, mapping_name, False
        self.calls_view.setEnabled(True)
        self.plan_text.setText(self._plan_heading())
        self.calls.set_calls(result.calls)
        text = result.message
        if result.outcome == "fail":
            # A failure before any call is about the values; after one, the engine's message says
            # what Pipedrive answered and what to do.
            hint = (
                ""
                if any(c.sent for c in result.calls)
                else "<br>Fix the field values or the sample event, then check again."
            )
            text = f"⚠ {text}{hint}"
        if result.link:
            text += f' — <a href="{result.link}">Open in Pipedrive</a>'
        if why_not:
            text += (
                f"<br>⚠ Sent although {why_not}: Segment would not send it."
                if result.mode == SEND
                else f"<br>Note: {why_not}, so Segment would not send it."
            )
        self.outcome_html = text
        self.outcome.setText(text)
        self._update_buttons()
        self.mark_if_stale()
        self.pipedrive_done.emit(result.outcome)

    def _plan_heading(self) -> str:
        heading = (
            "Result of the check"
            if getattr(self.last_run, "mode", "") == DRY_RUN
            else "Result of the test send"
        )
        return f"{heading} (outdated):" if self.stale else f"{heading}:"

    def mark_if_stale(self) -> None:
        """Grey out the shown check/send result once what is on screen no longer matches what it
        was computed from (it stays outdated until the next check, even if an undo brings the same
        values back: Pipedrive may have changed meanwhile)."""
        if self.last_run is None or self.stale or self.run_inputs is None:
            return
        now = self._inputs()
        if now is not None and now[0].same_as(self.run_inputs):
            return
        self.stale = True
        what = "check" if getattr(self.last_run, "mode", "") == DRY_RUN else "test send"
        if self.run_inputs.mapping_id != self.mapping_id:
            head = (
                f"This {what} was for the mapping “{self.run_mapping_name}”, not the one shown — "
                '<a href="#check">check again</a>.'
            )
        else:
            head = f'Changed since this {what} — <a href="#check">check again</a>.'
        grey = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text).name()
        self.outcome.setText(f'<b>⟳ {head}</b><br><span style="color:{grey}">{self.outcome_html}</span>')
        self.outcome.setToolTip(
            "The mapping, the sample event or the Pipedrive connection changed after this "
            "result was computed, so it may no longer be what would happen."
        )
        self.calls_view.setEnabled(False)
        self.plan_text.setText(self._plan_heading())

    def _link_activated(self, url: str) -> None:
        if url == "#check":
            self.check()
        else:
            self.open_url(url)

    def _run_failed(self, _name: str, exc: BaseException) -> None:
        text = describe(exc, _run_failure)
        self.outcome.setText(f"⚠ {text}")
        self._update_buttons()
        self.pipedrive_done.emit("error")
