"""One received event in full: its raw JSON, and for every mapping what it did with it.

Left, the mappings (fired or not, outcome, message) with their payload and the Pipedrive calls as
children; right, the JSON of whatever is selected (the event, a payload, a call with its request
body and the response). Read-only: the receiver panel owns the actions (use as sample, replay).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pipedrive_gui.gui.json_highlighter import JsonHighlighter
from pipedrive_gui.receiver import EventDetail
from pipedrive_gui.receiver.intake import json_text
from pipedrive_gui.receiver.outcomes import (
    OPEN_OUTCOMES,
    OUTCOME_TEXT,
    DeliveryOutcome,
    ReceiverMode,
    delivery_text,
)


def pretty(value: Any) -> str:
    """Indented JSON; a lone surrogate (half an emoji, valid JSON) shows as its escape ``\\ud83c``
    (Qt would silently drop it)."""
    return json_text(value, indent=2, default=str)


def delivery_title(d: dict[str, Any]) -> str:
    name = str(d.get("mapping") or d.get("mapping_id") or "Mapping")
    if not d.get("fired"):
        return f"{name}: trigger did not match"
    outcome = str(d.get("outcome") or "")
    record = ""
    if d.get("record_id") is not None:
        record = f" #{d['record_id']}" + (f" “{d['record_name']}”" if d.get("record_name") else "")
    written = outcome in (DeliveryOutcome.CREATE, DeliveryOutcome.UPDATE)
    mode = " (dry run)" if d.get("mode") == ReceiverMode.DRY_RUN and written else ""
    text = delivery_text(outcome)
    if outcome == DeliveryOutcome.CREATE:
        text = "would create" if mode else "created"
    elif outcome == DeliveryOutcome.UPDATE:
        text = "would update" if mode else "updated"
    return f"{name}: {text}{record}"


def call_title(c: dict[str, Any]) -> str:
    method = str(c.get("method") or "")
    path = str(c.get("path") or "")
    if c.get("from_cache"):
        state = "answered from cache"
    elif c.get("sent"):
        state = f"→ {c.get('status')}" if c.get("status") is not None else "sent"
    else:
        state = "not sent (planned)"
    purpose = f" — {c['purpose']}" if c.get("purpose") else ""
    return f"{method} {path} {state}{purpose}".strip()


class EventDetailView(QWidget):
    """Shows an :class:`EventDetail`; ``clear()`` when nothing is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: EventDetail | None = None
        self.heading = QLabel("Select an event to see what happened to it.")
        self.heading.setObjectName("eventHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = QTreeWidget()
        self.tree.setObjectName("eventDeliveries")
        self.tree.setHeaderLabels(["What happened"])
        self.tree.setAccessibleName("Event and mappings")
        self.tree.currentItemChanged.connect(self._show_item)

        self.json = QPlainTextEdit()
        self.json.setObjectName("eventJson")
        self.json.setReadOnly(True)
        self.json.setAccessibleName("Selected JSON")
        self.json.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._highlighter = JsonHighlighter(self.json.document(), self.palette())

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.json)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)

    def changeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.type() == event.Type.PaletteChange:
            self._highlighter.set_palette(self.palette())
        super().changeEvent(event)

    def clear(self) -> None:
        self.detail = None
        self.tree.clear()
        self.json.clear()
        self.heading.setText("Select an event to see what happened to it.")

    def show_detail(self, detail: EventDetail, *, keep_current: bool = False) -> None:
        """Show ``detail``; with ``keep_current`` (the same event, with news) the item the user
        was looking at stays selected."""
        current = self.tree.currentItem()
        chosen = current.text(0) if keep_current and current is not None else None
        self._show(detail)
        if chosen:
            for item in self.tree.findItems(chosen, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive):
                self.tree.setCurrentItem(item)

    def _show(self, detail: EventDetail) -> None:
        self.detail = detail
        row = detail.row
        who = row.user_id or (f"anonymous {row.anonymous_id}" if row.anonymous_id else "no user")
        what = f"{row.type} “{row.name}”" if row.name else row.type
        outcome = OUTCOME_TEXT.get(row.outcome, row.outcome)
        tries = f", {row.attempts} tries" if row.attempts > 1 else ""
        self.heading.setText(
            f"<b>{_html(what)}</b> from {_html(who)} — {_html(outcome)}{tries}"
            + (f"<br>{_html(row.summary)}" if row.summary else "")
        )
        self.tree.clear()
        event_item = QTreeWidgetItem(["Event as received (JSON)"])
        _hold(event_item, detail.event)
        self.tree.addTopLevelItem(event_item)
        fired = [d for d in detail.deliveries if d.get("fired")]
        quiet = [d for d in detail.deliveries if not d.get("fired")]
        for d in fired:
            item = self._delivery_item(d)
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)  # only works once the item is in the tree
        if quiet:
            # Mappings whose trigger did not match are usually most of them: one folded group.
            group = QTreeWidgetItem(
                [f"Trigger did not match ({len(quiet)} mapping{'s' if len(quiet) != 1 else ''})"]
            )
            _hold(group, [d.get("mapping") for d in quiet])
            for d in quiet:
                group.addChild(self._delivery_item(d))
            self.tree.addTopLevelItem(group)
            group.setExpanded(not fired)
        if not detail.deliveries:
            note = QTreeWidgetItem(
                ["Not processed yet" if row.outcome in OPEN_OUTCOMES else "No mapping ran on this event"]
            )
            note.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(note)
        self.tree.setCurrentItem(event_item)

    @staticmethod
    def _delivery_item(d: dict[str, Any]) -> QTreeWidgetItem:
        item = QTreeWidgetItem([delivery_title(d)])
        item.setToolTip(0, str(d.get("message") or delivery_title(d)))
        _hold(item, d)
        if "payload" in d:
            child = QTreeWidgetItem(["Mapped payload"])
            _hold(child, d["payload"])
            item.addChild(child)
        for problem in d.get("problems") or []:
            child = QTreeWidgetItem(
                [f"{problem.get('label') or problem.get('field')}: {problem.get('message')}"]
            )
            _hold(child, problem)
            item.addChild(child)
        for call in d.get("calls") or []:
            if isinstance(call, dict):
                child = QTreeWidgetItem([call_title(call)])
                child.setToolTip(0, str(call.get("error") or call.get("purpose") or ""))
                _hold(child, call)
                item.addChild(child)
        return item

    def items(self) -> list[QTreeWidgetItem]:
        """Every item, depth first (tests, and finding a delivery)."""
        found: list[QTreeWidgetItem] = []

        def walk(item: QTreeWidgetItem) -> None:
            found.append(item)
            for i in range(item.childCount()):
                child = item.child(i)
                if child is not None:
                    walk(child)

        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None:
                walk(top)
        return found

    def select_delivery(self, mapping_name: str) -> bool:
        """Select the first delivery of ``mapping_name`` (tests, and jumping from the table)."""
        for item in self.items():
            d = value_of(item)
            if isinstance(d, dict) and d.get("mapping") == mapping_name:
                self.tree.setCurrentItem(item)
                return True
        return False

    def _show_item(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        value = value_of(item) if item is not None else None
        self.json.setPlainText("" if value is None else pretty(value))


class _Held:
    """An item's JSON, kept as the Python object itself: as item data Qt would convert a dict to a
    QVariantMap, sorting its keys and dropping lone surrogates on the way back."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _hold(item: QTreeWidgetItem, value: Any) -> None:
    item.setData(0, Qt.ItemDataRole.UserRole, _Held(value))


def value_of(item: QTreeWidgetItem) -> Any:
    """The JSON value an item of the tree shows (the event, a delivery, a payload, a call)."""
    held = item.data(0, Qt.ItemDataRole.UserRole)
    return held.value if isinstance(held, _Held) else held


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
