"""The status bar: which account (or sandbox) is connected, where the token is kept (and what it
means when no keyring can keep it), how old the field catalog is (with a refresh button), a
progress indicator whenever something runs, and a warning that stays visible while something needs
the user: Pipedrive fields that could not be loaded, or an autosave that failed.

In a narrow window (1024 pixels) the bar is compact: the account without the user's name, the
keyring and the fields' age only in tooltips, rather than a window wider than the screen.

The local receiver keeps running when its panel is hidden: while it runs (or has events waiting)
an indicator says so — listening (dry run) / live, and how many events wait — and a click on it
shows the panel again.

Signals (StatusBar):
    explain(str, str): the user asked what a warning means (title, text); the window shows it.
    show_receiver(): the user clicked the receiver indicator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from pipedrive_gui.gui.connection import Connection
from pipedrive_gui.gui.shortcuts import with_key
from pipedrive_gui.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QResizeEvent

_TASK_WORDS = {
    "preview": "Updating the preview…",
    "pipedrive": "Talking to Pipedrive…",
    "connect": "Connecting…",
    "fields": "Fetching Pipedrive fields…",
    "startup": "Starting…",
}


#: What the catalog's problem keys mean to a user.
_CATALOG_PARTS = {
    "person": "person fields",
    "organization": "organization fields",
    "deal": "deal fields",
    "activity": "activity fields",
    "lead": "lead fields",
    "note": "note fields",
    "activity_types": "activity types",
}
_NO_KEYRING_MEANS = (
    "Without a keyring the app cannot remember your Pipedrive API token between sessions (it never "
    "writes the token to a file). You can still connect: in Pipedrive > Connect… tick “Keep the token "
    "for this session only”, and you will be asked for it again next time. The offline sandbox needs "
    "no token at all."
)


def catalog_problem_parts(problems: dict[str, str]) -> list[str]:
    return [_CATALOG_PARTS.get(k, k) for k in problems]


class StatusBar(QStatusBar):
    explain = Signal(str, str)
    show_receiver = Signal()

    def __init__(self, connection: Connection, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.connection, self.runner = connection, runner
        self.account = QLabel()
        self.account.setObjectName("accountLabel")
        self.keyring = QLabel()
        self.keyring.setObjectName("keyringLabel")
        self.keyring.setTextFormat(Qt.TextFormat.RichText)
        self.keyring.linkActivated.connect(lambda _: self.explain.emit(*self.keyring_explanation()))
        # Problems that need the user stay here (not in a tooltip) until they are solved.
        self.alert = QLabel()
        self.alert.setObjectName("statusAlert")
        self.alert.setTextFormat(Qt.TextFormat.RichText)
        self.alert.linkActivated.connect(self._alert_link)
        self.alert.hide()
        self.autosave_error = ""
        self.catalog = QLabel()
        self.catalog.setObjectName("catalogLabel")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("Refresh fields")
        self.refresh_button.setObjectName("refreshFieldsButton")
        self.refresh_button.setToolTip(
            with_key("Fetch your Pipedrive fields and activity types again", QKeySequence.StandardKey.Refresh)
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("busyIndicator")
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.receiver = QToolButton()
        self.receiver.setObjectName("receiverIndicator")
        self.receiver.setAutoRaise(True)
        self.receiver.clicked.connect(self.show_receiver.emit)
        self.receiver.hide()
        self.busy_text = QLabel()
        self.addWidget(self.busy_text)
        self.addWidget(self.progress)
        self.addPermanentWidget(self.alert)
        self.addPermanentWidget(self.receiver)
        self.addPermanentWidget(self.account)
        self.addPermanentWidget(self.keyring)
        self.addPermanentWidget(self.catalog)
        self.addPermanentWidget(self.refresh_button)
        connection.changed.connect(self.update_labels)
        connection.catalog_changed.connect(self.update_labels)
        runner.task_started.connect(self._task_started)
        runner.busy_changed.connect(self._busy_changed)
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(60_000)
        self._age_timer.timeout.connect(self.update_labels)
        self._age_timer.start()
        # Progress only for waits the user can notice: a preview is usually done long before 200 ms.
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(200)
        self._show_timer.timeout.connect(self._show_progress)
        self._current = ""
        self._compact = False
        self._full_width = 0  # what the full texts needed when the bar went compact
        self.update_labels()

    # -- narrow windows ----------------------------------------------------------------------------

    @property
    def compact(self) -> bool:
        return self._compact

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # Never what makes the window wider than the screen: the texts get shorter instead (_fit).
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), 200))
        return hint

    def _full_width_needed(self) -> int:
        widgets = [
            w
            for w in (
                self.busy_text,
                self.progress,
                self.alert,
                self.receiver,
                self.account,
                self.keyring,
                self.catalog,
                self.refresh_button,
            )
            if not w.isHidden()
        ]
        return sum(w.sizeHint().width() for w in widgets) + 12 * len(widgets) + 24

    def _fit(self) -> None:
        if not self._compact:
            need = self._full_width_needed()
            if need > self.width():
                self._full_width = need
                self._set_compact(True)
        elif self.width() >= self._full_width + 16:
            self._set_compact(False)
            self._fit()

    def _set_compact(self, compact: bool) -> None:
        self._compact = compact
        self.update_labels()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.isVisible() or self.width() > 0:
            self._fit()

    def update_labels(self) -> None:
        c = self.connection
        compact = getattr(self, "_compact", False)
        account = c.account_text
        tip = "The Pipedrive account this window checks and sends to (Pipedrive > Connect… to switch)"
        self.account.setText(account.split(" as ", 1)[0] if compact else account)
        self.account.setToolTip(f"{account}\n{tip}" if compact else tip)
        self._update_keyring()
        catalog_tip = (
            "Your fields and activity types, as last fetched from Pipedrive. "
            "Refresh after adding or renaming fields in Pipedrive."
        )
        self.catalog.setText(c.catalog_text)
        self.catalog.setToolTip(catalog_tip)
        self.catalog.setVisible(not compact)
        refresh_tip = with_key(
            "Fetch your Pipedrive fields and activity types again", QKeySequence.StandardKey.Refresh
        )
        self.refresh_button.setToolTip(f"{c.catalog_text}.\n{refresh_tip}" if compact else refresh_tip)
        self.refresh_button.setEnabled(c.connected and not c.fetching)
        self._update_alert()
        if hasattr(self, "_compact"):
            self._fit()

    def _update_keyring(self) -> None:
        c = self.connection
        status = getattr(c, "keyring_status", None)
        if status is not None and not status.usable:
            # Only alarming when a real account's token is at stake; the sandbox needs none.
            compact = getattr(self, "_compact", False)
            link = self._link("why", "why?" if compact else "what does this mean?")
            if compact:
                self.keyring.setText(f"Keyring: none — {link}" if c.is_sandbox else f"⚠ No keyring — {link}")
            else:
                self.keyring.setText(
                    f"Keyring: none — {link}"
                    if c.is_sandbox
                    else f"⚠ No keyring: your token is not saved — {link}"
                )
            self.keyring.setToolTip(f"{status.problem or ''}\n\n{_NO_KEYRING_MEANS}".strip())
            self.keyring.show()
            return
        # Compact: where the token is kept is no warning; it is in the account's tooltip.
        self.keyring.setVisible(not getattr(self, "_compact", False))
        if c.is_sandbox:
            self.keyring.setText(f"Keyring: {c.keyring_backend}")
            self.keyring.setToolTip(
                "Where a real account's API token would be kept. The sandbox needs no token."
            )
        else:
            self.keyring.setText(f"Token kept in: {c.keyring_backend}")
            self.keyring.setToolTip(
                "Your Pipedrive API token is kept here only, never in project files "
                "or exports. Pipedrive > Log out forgets it."
            )

    def _link(self, href: str, text: str) -> str:
        # Coloured from the current palette: a QLabel keeps the link colour of the palette it was
        # laid out with, which is unreadable after a switch to a dark theme (see changeEvent).
        colour = self.palette().color(QPalette.ColorRole.Link).name()
        return f'<a href="{href}" style="color: {colour}">{text}</a>'

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.update_labels()

    def keyring_explanation(self) -> tuple[str, str]:
        status = getattr(self.connection, "keyring_status", None)
        problem = (status.problem or "") if status is not None else ""
        remedy = (status.remedy or "") if status is not None else ""
        text = f"{problem}\n\n{_NO_KEYRING_MEANS}\n\nTo save the token: {remedy}".strip()
        return "No keyring for your API token", text

    def set_receiver(self, running: bool, live: bool, waiting: int, url: str) -> None:
        """What the local receiver does, whether or not its panel is on screen."""
        waits = f" · {waiting:,} event{'' if waiting == 1 else 's'} waiting" if waiting else ""
        if running and live:
            text = f"● Receiver LIVE: writes to Pipedrive{waits}"
            tip = (
                f"The local receiver listens on {url} in live mode: every event that fires a mapping "
                "creates or updates records in Pipedrive."
            )
        elif running:
            text = f"● Receiver listening (dry run){waits}"
            tip = f"The local receiver listens on {url} in dry run: it looks records up and writes nothing."
        else:
            text = f"Receiver stopped{waits}"
            tip = "Events the receiver took in wait in its journal; they are processed when it starts again."
        self.receiver.setText(text)
        self.receiver.setToolTip(f"{tip}\nClick to show the receiver panel.")
        self.receiver.setAccessibleName(text)
        font = self.receiver.font()
        font.setBold(running and live)
        self.receiver.setFont(font)
        self.receiver.setVisible(running or bool(waiting))
        self._fit()

    def set_autosave_error(self, message: str) -> None:
        self.autosave_error = message
        self._update_alert()

    def _catalog_problems(self) -> dict[str, str]:
        return dict(getattr(self.connection.catalog, "problems", None) or {})

    def _update_alert(self) -> None:
        parts = []
        tips = []
        if self.autosave_error:
            parts.append(f"⚠ Autosave failed — {self._link('autosave', 'details')}")
            tips.append(self.autosave_error)
        problems = self._catalog_problems()
        if problems and not self.connection.fetching:
            parts.append(
                f"⚠ Not loaded from Pipedrive: {', '.join(catalog_problem_parts(problems))} — "
                f"{self._link('catalog', 'why?')}"
            )
            tips.extend(f"{_CATALOG_PARTS.get(k, k)}: {v}" for k, v in problems.items())
        self.alert.setText("  ".join(parts))
        self.alert.setToolTip("\n".join(tips))
        self.alert.setVisible(bool(parts))

    def _alert_link(self, which: str) -> None:
        if which == "autosave":
            self.explain.emit("Autosave failed", self.autosave_error)
            return
        problems = self._catalog_problems()
        lines = [f"• {_CATALOG_PARTS.get(k, k).capitalize()}: {v}" for k, v in problems.items()]
        self.explain.emit(
            "Some Pipedrive data could not be loaded",
            "Pipedrive did not give the app these lists, so their drop-downs stay empty (mappings that "
            "already use them keep their values):\n"
            + "\n".join(lines)
            + "\n\nAsk a Pipedrive admin for access if needed, then click “Refresh fields”.",
        )

    def _task_started(self, name: str) -> None:
        self._current = name
        if not self._show_timer.isActive() and not self.progress.isVisible():
            self._show_timer.start()

    def _show_progress(self) -> None:
        if self.runner.busy:
            self.busy_text.setText(_TASK_WORDS.get(self._current, "Working…"))
            self.progress.show()

    def _busy_changed(self, busy: bool) -> None:
        if not busy:
            self._show_timer.stop()
            self.progress.hide()
            self.busy_text.clear()
