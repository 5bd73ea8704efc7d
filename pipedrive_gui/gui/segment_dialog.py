"""“Segment”: connect a Segment workspace, pick an Actions Pipedrive destination, pull its mappings,
review what a push would change, push with progress, cancel and a report.

Thin: the client, the diff and the push are ``pipedrive_gui.segment``; this window shows their
results. Non-modal; all network and keyring work runs through the TaskRunner.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.document import Document
from pipedrive_gui.gui.errors import describe
from pipedrive_gui.gui.tasks import TaskRunner

TOKEN_HELP = (
    "A Segment Public API token: in Segment, <b>Settings &gt; Workspace settings &gt; Access "
    "Management &gt; Tokens</b> (Workspace Owners only; give it the Workspace Owner role). It is kept "
    "in your computer's keyring only."
)
KIND_TEXT = {
    "create": "Create",
    "update": "Update",
    "unchanged": "Unchanged",
    "delete": "Delete in Segment",
    "only_in_segment": "Only in Segment (left alone)",
}


def _error_text(exc: BaseException) -> str:
    return describe(exc, lambda e: f"{type(e).__name__}: {e}")


def _value_item(field: str, value: Any) -> QStandardItem:
    """A value of the diff: names and triggers as text, the rest as JSON; the whole value as tooltip."""
    import json

    from pipedrive_gui.segment.diff import MISSING, show

    if isinstance(value, str) and value is not MISSING and field in ("name", "trigger"):
        text = value
    else:
        text = show(value)
    item = QStandardItem(text)
    item.setToolTip(
        text
        if value is MISSING or isinstance(value, str)
        else json.dumps(value, indent=2, ensure_ascii=False)
    )
    return item


class SegmentDialog(QDialog):
    def __init__(self, doc: Document, store: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.store, self.runner = doc, store, runner
        #: A server other than the region's (SEGMENT_PUBLIC_API_URL, a test stand-in).
        self.base_url_override: str | None = None
        self.client: Any = None
        self.destinations: list[Any] = []
        self.plan: Any = None
        self.report: Any = None
        self._cancel: Any = None
        self._region = "us"
        self.setWindowTitle("Segment")
        self.setObjectName("segmentDialog")
        self.resize(980, 680)

        # -- connection
        self.token = QLineEdit()
        self.token.setObjectName("segmentToken")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Segment Public API token")
        self.token.setPlaceholderText("Segment Public API token")
        self.region = QComboBox()
        self.region.setObjectName("segmentRegion")
        self.region.addItem("United States (api.segmentapis.com)", "us")
        self.region.addItem("Europe (eu1.api.segmentapis.com)", "eu")
        self.region.setAccessibleName("Workspace region")
        self.connect_button = QPushButton("&Connect")
        self.connect_button.clicked.connect(self.connect_clicked)
        row = QHBoxLayout()
        row.addWidget(self.token, 2)
        row.addWidget(self.region, 1)
        row.addWidget(self.connect_button)
        help_label = QLabel(TOKEN_HELP)
        help_label.setWordWrap(True)
        self.status = QLabel("Not connected.")
        self.status.setObjectName("segmentStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QGroupBox("Workspace")
        lay = QVBoxLayout(box)
        lay.addLayout(row)
        lay.addWidget(help_label)
        lay.addWidget(self.status)

        # -- destinations
        self.dest_model = QStandardItemModel(0, 4, self)
        self.dest_model.setHorizontalHeaderLabels(["Destination", "Source", "State", "ID"])
        self.dest_view = QTreeView()
        self.dest_view.setObjectName("segmentDestinations")
        self.dest_view.setRootIsDecorated(False)
        self.dest_view.setModel(self.dest_model)
        self.dest_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dest_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dest_view.setAccessibleName("Actions Pipedrive destinations")
        self.dest_view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.pull_button = QPushButton("&Pull into this project…")
        self.pull_button.setToolTip(
            "Bring the destination's mappings and settings (never its API token) into this project"
        )
        self.pull_button.clicked.connect(self.pull_clicked)
        self.diff_button = QPushButton("&Show what a push would change")
        self.diff_button.clicked.connect(self.show_diff)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pull_button)
        buttons.addWidget(self.diff_button)
        buttons.addStretch(1)
        dest_box = QGroupBox("Actions Pipedrive destinations")
        lay = QVBoxLayout(dest_box)
        lay.addWidget(self.dest_view)
        lay.addLayout(buttons)

        # -- diff and push
        self.diff_model = QStandardItemModel(0, 3, self)
        self.diff_model.setHorizontalHeaderLabels(
            ["Change", "In Segment now", "After the push (this project)"]
        )
        self.diff_view = QTreeView()
        self.diff_view.setObjectName("segmentDiff")
        self.diff_view.setModel(self.diff_model)
        self.diff_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff_view.setAlternatingRowColors(True)
        self.diff_view.setAccessibleName("What a push would change")
        header = self.diff_view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("Pick a destination, then “Show what a push would change”.")
        self.summary.setObjectName("segmentSummary")
        self.summary.setWordWrap(True)
        self.delete_missing = QCheckBox("Delete in Segment the mappings this project does not have")
        self.delete_missing.setObjectName("segmentDeleteMissing")
        self.delete_missing.toggled.connect(lambda _: self._replan())
        self.push_settings = QCheckBox("Also set the destination's domain and match-field defaults")
        self.push_settings.setObjectName("segmentPushSettings")
        self.push_settings.toggled.connect(lambda _: self._replan())
        self.push_button = QPushButton("P&ush to Segment…")
        self.push_button.setObjectName("segmentPush")
        self.push_button.clicked.connect(self.push_clicked)
        self.cancel_button = QPushButton("Cancel push")
        self.cancel_button.clicked.connect(self.cancel_push)
        self.progress = QProgressBar()
        self.progress.setObjectName("segmentProgress")
        self.progress.setVisible(False)
        self.progress_label = QLabel()
        self.report_text = QPlainTextEdit()
        self.report_text.setObjectName("segmentReport")
        self.report_text.setReadOnly(True)
        self.report_text.setVisible(False)
        self.report_text.setAccessibleName("Push report")
        options = QHBoxLayout()
        options.addWidget(self.delete_missing)
        options.addWidget(self.push_settings)
        options.addStretch(1)
        options.addWidget(self.push_button)
        options.addWidget(self.cancel_button)
        diff_box = QGroupBox("Push")
        lay = QVBoxLayout(diff_box)
        lay.addWidget(self.summary)
        lay.addWidget(self.diff_view, 1)
        lay.addLayout(options)
        lay.addWidget(self.progress)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.report_text)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(dest_box)
        split.addWidget(diff_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        main = QVBoxLayout(self)
        main.addWidget(box)
        main.addWidget(split, 1)
        main.addLayout(bottom)
        runner.task_finished.connect(lambda name: self._update() if name.startswith("segment-") else None)
        self._update()

    async def aclose(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            await client.aclose()

    async def forget_connection(self) -> None:
        await self.aclose()
        self._fill_destinations([])
        self.plan = None
        self.diff_model.removeRows(0, self.diff_model.rowCount())
        self._set_status("Not connected. Paste a Segment Public API token and click Connect.")
        self._update()

    # -- state ------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return any(
            self.runner.running(n)
            for n in ("segment-connect", "segment-pull", "segment-diff", "segment-push")
        )

    @property
    def pushing(self) -> bool:
        return self.runner.running("segment-push")

    def selected_destination(self) -> Any:
        rows = self.dest_view.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.destinations):
            return None
        return self.destinations[rows[0].row()]

    def _update(self) -> None:
        connected = self.client is not None
        chosen = self.selected_destination() is not None
        busy = self.busy
        self.connect_button.setEnabled(not busy)
        self.pull_button.setEnabled(connected and chosen and not busy)
        self.diff_button.setEnabled(connected and chosen and not busy)
        self.push_button.setEnabled(
            connected and not busy and self.plan is not None and not self.plan.nothing_to_change
        )
        self.cancel_button.setVisible(self.pushing)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(("⚠ " if error else "") + text)

    def _base_url(self, region: str) -> str:
        from pipedrive_gui.segment.client import base_url_for

        return base_url_for(region, self.base_url_override or self.store.segment_env_url())

    # -- connect ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Use the saved token (or SEGMENT_PUBLIC_API_TOKEN) if there is one."""
        if self.client is None and not self.busy:
            self.runner.spawn(self._connect_saved(), name="segment-connect", on_error=self._failed)
            self._update()

    async def _connect_saved(self) -> None:
        creds = await self.store.aload_segment()
        if creds is None:
            self._set_status("Not connected. Paste a Segment Public API token and click Connect.")
            return
        self.region.setCurrentIndex(max(0, self.region.findData(creds.region)))
        await self._connect(creds.token, creds.region, save=False)

    def connect_clicked(self) -> None:
        token = self.token.text().strip()
        if not token:
            self._set_status("Paste a Segment Public API token first.", error=True)
            return
        self.connect_with(token, str(self.region.currentData()))

    def connect_with(self, token: str, region: str, *, save: bool = True) -> None:
        self.runner.spawn(
            self._connect(token, region, save=save),
            name="segment-connect",
            latest_wins=True,
            on_error=self._failed,
        )
        self._update()

    async def _connect(self, token: str, region: str, *, save: bool) -> None:
        from pipedrive_gui.segment.client import SegmentClient

        self._set_status("Connecting to Segment…")
        client = SegmentClient(self._base_url(region), token)
        try:
            workspace = await client.get_workspace()
            found = await client.list_destinations()
        except BaseException:
            await client.aclose()
            raise
        if self.client is not None:
            await self.client.aclose()
        self.client, self._region = client, region
        self.token.clear()
        saved = ""
        if save:
            try:
                await self.store.asave_segment(token, region)
                saved = " The token is saved in your keyring."
            except Exception as exc:  # noqa: BLE001 - connected anyway; say why it is not kept
                saved = (
                    f" The token could not be saved ({_error_text(exc)}); it is used for this session only."
                )
        self._set_status(
            f"Connected to the workspace “{workspace.name or workspace.slug}” ({client.host}): "
            f"{len(found)} Actions Pipedrive destination(s).{saved}"
        )
        self._fill_destinations(found)

    def _fill_destinations(self, found: list[Any]) -> None:
        self.destinations = list(found)
        self.dest_model.removeRows(0, self.dest_model.rowCount())
        for d in found:
            cells = [
                QStandardItem(d.name or "(unnamed)"),
                QStandardItem(d.source_name or d.source_id),
                QStandardItem("enabled" if d.enabled else "disabled"),
                QStandardItem(d.id),
            ]
            self.dest_model.appendRow(cells)
        linked = self.doc.project.segment.destination_id if self.doc.project.segment else None
        row = next((i for i, d in enumerate(found) if d.id == linked), 0 if found else None)
        if row is not None:
            self.dest_view.setCurrentIndex(self.dest_model.index(row, 0))
        for col in range(3):
            self.dest_view.resizeColumnToContents(col)
        self._update()

    def _failed(self, name: str, exc: BaseException) -> None:
        self._set_status(_error_text(exc), error=True)
        self.progress.setVisible(False)
        self._update()

    # -- pull -------------------------------------------------------------------------------------

    def pull_clicked(self) -> None:
        dest = self.selected_destination()
        if dest is None:
            return
        if not self.doc.project.mappings:
            self.pull("replace")
            return
        dialogs.ask(
            self,
            "Pull from Segment",
            f"Bring the mappings of “{dest.name}” into this project, which already has "
            f"{len(self.doc.project.mappings)} mapping(s)?",
            ["update", "copy", "replace", dialogs.CANCEL],
            lambda answer: self.pull(answer) if answer in ("update", "copy", "replace") else None,
            labels={
                "update": "Update matching, add the rest",
                "copy": "Add as copies",
                "replace": "Replace all",
            },
            default="update",
            details="Update matching: a mapping pulled before (or with the same name and action) gets "
            "Segment's version; the others are added.\nAdd as copies: all are added.\nReplace "
            "all: this project's mappings are removed first.\nThe destination's domain and "
            "match-field defaults are taken too (never its API token). Edit > Undo takes it back.",
        )

    def pull(self, mode: str) -> None:
        dest = self.selected_destination()
        if dest is None or self.client is None:
            return
        self.runner.spawn(self._pull(dest.id, mode), name="segment-pull", on_error=self._failed)
        self._update()

    async def _pull(self, destination_id: str, mode: str) -> None:
        from pipedrive_gui.segment.push import fetch_destination, pull_into

        self._set_status("Reading the destination's mappings…")
        state = await fetch_destination(self.client, destination_id)
        result = pull_into(self.doc.project, state, mode, region=self._region)  # type: ignore[arg-type]
        self.doc.set_from_segment(result.project, f"Pull from Segment “{state.destination.name}”")
        self._set_status(result.summary() + ".")
        self.plan = None
        self.diff_model.removeRows(0, self.diff_model.rowCount())
        self._update()

    # -- diff -------------------------------------------------------------------------------------

    def show_diff(self) -> None:
        dest = self.selected_destination()
        if dest is None or self.client is None:
            return
        self.runner.spawn(self._diff(dest.id), name="segment-diff", latest_wins=True, on_error=self._failed)
        self._update()

    def _replan(self) -> None:
        if self.plan is not None and not self.busy:
            self.show_diff()

    async def _diff(self, destination_id: str) -> None:
        from pipedrive_gui.segment.diff import plan_push
        from pipedrive_gui.segment.push import fetch_destination

        self.summary.setText("Comparing this project with the destination…")
        state = await fetch_destination(self.client, destination_id)
        self._dest_state = state
        self.plan = plan_push(
            self.doc.project,
            destination_id,
            state.subscriptions,
            state.destination.settings,
            delete_missing=self.delete_missing.isChecked(),
            push_settings=self.push_settings.isChecked(),
        )
        self._fill_diff(self.plan)
        self._update()

    def _fill_diff(self, plan: Any) -> None:
        model = self.diff_model
        model.removeRows(0, model.rowCount())
        self.summary.setText(plan.summary() + ".")
        order = {"update": 0, "create": 1, "delete": 2, "only_in_segment": 3, "unchanged": 4}
        for item in sorted(plan.items, key=lambda i: order[i.kind]):  # what changes first
            title = f"{KIND_TEXT[item.kind]}: {item.title()}"
            top = [QStandardItem(title), QStandardItem(""), QStandardItem("")]
            if item.kind == "update" and item.remote_name and item.remote_name != item.name:
                top[1].setText(f"“{item.remote_name}”")
            top[0].setToolTip(
                f"Subscription {item.subscription_id}" if item.subscription_id else "New subscription"
            )
            if item.kind in ("create", "update", "delete"):
                font = top[0].font()
                font.setBold(True)
                top[0].setFont(font)
            for change in item.changes if item.kind == "update" else []:
                top[0].appendRow(
                    [
                        QStandardItem(change.field),
                        _value_item(change.field, change.before),
                        _value_item(change.field, change.after),
                    ]
                )
            model.appendRow(top)
        if plan.settings:
            head = "Destination settings that differ" + ("" if plan.push_settings else " (not pushed)")
            group = [QStandardItem(head), QStandardItem(""), QStandardItem("")]
            for s in plan.settings:
                group[0].appendRow(
                    [
                        QStandardItem(f"{s.label} ({s.key})"),
                        _value_item(s.key, s.before),
                        _value_item(s.key, s.after),
                    ]
                )
            model.appendRow(group)
        self.diff_view.expandAll()
        self.diff_view.resizeColumnToContents(0)
        self.diff_view.setColumnWidth(0, min(self.diff_view.columnWidth(0), 480))

    # -- push -------------------------------------------------------------------------------------

    def push_clicked(self) -> None:
        plan = self.plan
        dest = self.selected_destination()
        if plan is None or dest is None or plan.nothing_to_change:
            return
        dialogs.ask(
            self,
            "Push to Segment",
            f"Make {plan.request_count} change(s) in “{dest.name}”? {plan.summary()}.",
            ["push", dialogs.CANCEL],
            lambda answer: self.push() if answer == "push" else None,
            labels={"push": "Push"},
            default=dialogs.CANCEL,
            details="Segment allows 5 changes a minute: a longer push waits between them.",
        )

    def push(self) -> None:
        from pipedrive_gui.segment.push import CancelFlag

        if self.plan is None or self.client is None:
            return
        self._cancel = CancelFlag()
        self.report_text.setVisible(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, max(1, self.plan.request_count))
        self.progress.setValue(0)
        self.runner.spawn(self._push(self.plan, self._cancel), name="segment-push", on_error=self._failed)
        self._update()

    def cancel_push(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.progress_label.setText("Cancelling after the change in progress…")

    async def _push(self, plan: Any, cancel: Any) -> None:
        from pipedrive_gui.segment.push import execute_push, project_after_push

        def progress(n: int, total: int, what: str) -> None:
            self.progress.setValue(n)
            self.progress_label.setText("Done." if what == "done" else f"{n + 1} of {total}: {what}…")

        self.client.on_wait = lambda seconds, why: self.progress_label.setText(
            f"Waiting {seconds:.0f} s ({why})…"
        )
        try:
            report = await execute_push(self.client, plan, on_progress=progress, cancel=cancel)
        finally:
            self.client.on_wait = None
        self.report = report
        dest = self.selected_destination()
        linked = project_after_push(
            self.doc.project, report, destination_name=dest.name if dest else "", region=self._region
        )
        self.doc.set_from_segment(linked, "Remember the Segment subscriptions")
        self.report_text.setPlainText(report.describe())
        self.report_text.setVisible(True)
        self.progress.setVisible(False)
        self.progress_label.setText(report.summary())
        self._cancel = None
        await self._diff(plan.destination_id)  # shows "Nothing to change" when everything went through
