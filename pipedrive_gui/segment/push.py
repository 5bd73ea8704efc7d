"""Pull a destination into a project; send a :class:`~pipedrive_gui.segment.diff.PushPlan`.

- :func:`fetch_destination` reads a destination and all its subscriptions.
- :func:`pull_into` (pure) brings them into a project with Import's merge choices (replace / update
  matching / add as copies), takes the destination's domain and match-field defaults (never its
  API token) and links the project to the destination.
- :func:`execute_push` sends a plan one request at a time (the client keeps within Segment's rate
  limit and waits out 429s), reports progress, stops between requests when cancelled, and returns a
  :class:`PushReport` of what succeeded and what failed, in Segment's words. A failed subscription
  does not stop the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pipedrive_gui.core.merge import MergeMode, MergeResult, merge_mappings
from pipedrive_gui.core.project import DestinationDefaults, Mapping, Project, new_mapping_id
from pipedrive_gui.core.segment_io import SegmentImportError, import_segment

from .client import DestinationInfo, SegmentClient
from .diff import DESTINATION_SETTINGS, PlanItem, PushPlan, linked_project, remote_slug
from .errors import SegmentConnectionError, SegmentError, SegmentServerError

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class DestinationState:
    destination: DestinationInfo
    subscriptions: list[dict[str, Any]]

    @property
    def safe_settings(self) -> dict[str, Any]:
        """The destination settings a project may keep (no API token)."""
        return {
            k: v for k, v in self.destination.settings.items() if k in {s[1] for s in DESTINATION_SETTINGS}
        }


async def fetch_destination(client: SegmentClient, destination_id: str) -> DestinationState:
    destination = await client.get_destination(destination_id)
    subscriptions = await client.list_subscriptions(destination_id)
    return DestinationState(destination, subscriptions)


# -- pull -------------------------------------------------------------------------------------------


@dataclass
class PullResult:
    project: Project
    merge: MergeResult
    settings_changed: list[str]  # labels of destination settings the pull changed
    skipped: list[str]  # subscriptions of actions this app does not know

    def summary(self) -> str:
        text = f"Pulled from Segment: {self.merge.summary()}"
        if self.settings_changed:
            text += f"; destination settings updated ({', '.join(self.settings_changed)})"
        if self.skipped:
            text += f"; {len(self.skipped)} subscription(s) of other actions skipped"
        return text

    def details(self) -> str:
        lines = [self.merge.details()] if self.merge.details() else []
        if self.skipped:
            lines.append("Skipped: " + ", ".join(f"“{n}”" for n in self.skipped))
        return "\n".join(lines)


def mappings_from_subscriptions(subscriptions: list[dict[str, Any]]) -> tuple[list[Mapping], list[str]]:
    """Mappings (each knowing its subscription id) and the names of subscriptions skipped."""
    usable = [s for s in subscriptions if remote_slug(s)]
    skipped = [str(s.get("name") or s.get("id")) for s in subscriptions if not remote_slug(s)]
    if not usable:
        return [], skipped
    try:
        mappings = import_segment(usable)
    except SegmentImportError as exc:
        raise SegmentError(f"A subscription of this destination could not be read: {exc.message}") from None
    out = [
        replace(m, id=new_mapping_id(), subscription_id=str(s.get("id") or "") or None)
        for m, s in zip(mappings, usable, strict=True)
    ]
    return out, skipped


def pull_into(
    project: Project, state: DestinationState, mode: MergeMode, *, region: str = "us"
) -> PullResult:
    """``project`` after pulling ``state`` (``project`` is not changed)."""
    incoming, skipped = mappings_from_subscriptions(state.subscriptions)
    existing = list(project.mappings)
    if project.segment is not None and project.segment.destination_id != state.destination.id:
        # Subscription ids of another destination mean nothing here.
        existing = [replace(m, subscription_id=None) for m in existing]
    merge = merge_mappings(existing, incoming, mode)
    settings = state.safe_settings
    dest = project.destination
    changed = []
    values = {}
    for attr, key, default, label in DESTINATION_SETTINGS:
        value = settings.get(key)
        new = value if isinstance(value, str) and value else default
        values[attr] = new
        if new != getattr(dest, attr):
            changed.append(label)
    pulled = replace(project, mappings=merge.mappings, destination=DestinationDefaults(**values))
    ids = {m.id: m.subscription_id for m in merge.mappings if m.subscription_id}
    linked = linked_project(
        pulled, state.destination.id, ids, destination_name=state.destination.name, region=region
    )
    return PullResult(linked, merge, changed, skipped)


# -- push -------------------------------------------------------------------------------------------


@dataclass
class ItemResult:
    item: PlanItem | None  # None: the destination settings
    ok: bool
    subscription_id: str | None = None
    message: str = ""  # what went wrong, with what to do
    segment_message: str | None = None  # Segment's own words

    @property
    def label(self) -> str:
        if self.item is None:
            return "Destination settings"
        verb = {"create": "Create", "update": "Update", "delete": "Delete"}.get(
            self.item.kind, self.item.kind
        )
        return f"{verb} {self.item.title()}"


@dataclass
class PushReport:
    plan: PushPlan
    results: list[ItemResult] = field(default_factory=list)
    cancelled: bool = False
    stopped: str | None = None  # why the push stopped early (a failure that affects every request)

    @property
    def succeeded(self) -> list[ItemResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if not r.ok]

    @property
    def not_sent(self) -> int:
        return self.plan.request_count - len(self.results)

    def summary(self) -> str:
        if self.plan.nothing_to_change:
            return "Nothing to change: the destination already has this project's mappings."
        text = f"{len(self.succeeded)} of {self.plan.request_count} change(s) made in Segment"
        if self.failed:
            text += f", {len(self.failed)} failed"
        if self.not_sent:
            text += f", {self.not_sent} not sent" + (" (cancelled)" if self.cancelled else "")
        return text + "."

    def describe(self) -> str:
        lines = [self.summary()]
        for r in self.results:
            mark = "✔" if r.ok else "✘"
            lines.append(f"{mark} {r.label}" + (f": {r.message}" if r.message else ""))
        if self.stopped:
            lines.append(f"Stopped: {self.stopped}")
        return "\n".join(lines)

    def subscription_ids(self) -> dict[str, str]:
        """Mapping id -> subscription id, for every mapping whose subscription now matches."""
        out: dict[str, str] = {}
        for item in self.plan.items:
            if item.mapping_id and item.kind in ("unchanged", "update") and item.subscription_id:
                out[item.mapping_id] = item.subscription_id
        for r in self.results:
            if r.item is not None and r.item.mapping_id and r.ok and r.subscription_id:
                out[r.item.mapping_id] = r.subscription_id
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "cancelled": self.cancelled,
            "stopped": self.stopped,
            "results": [
                {
                    "change": r.label,
                    "ok": r.ok,
                    "subscriptionId": r.subscription_id,
                    "message": r.message or None,
                    "segmentMessage": r.segment_message,
                }
                for r in self.results
            ],
        }


class CancelFlag:
    """Set it to stop a push between two requests (the request in flight completes)."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


#: Failures that every further request would meet too: the push stops at the first one.
_FATAL = ("SegmentAuthError", "SegmentPermissionError", "SegmentFeatureError", "SegmentConnectionError")


async def execute_push(
    client: SegmentClient,
    plan: PushPlan,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelFlag | None = None,
) -> PushReport:
    """Send ``plan`` one request at a time; never raises for a Segment error (see the report)."""
    report = PushReport(plan)
    total = plan.request_count
    steps: list[PlanItem | None] = list(plan.to_send)
    if plan.settings_body:
        steps.append(None)
    for n, item in enumerate(steps):
        if cancel is not None and cancel.cancelled:
            report.cancelled = True
            break
        label = "Destination settings" if item is None else item.title()
        if on_progress is not None:
            on_progress(n, total, label)
        try:
            result = await _send(client, plan, item)
        except asyncio.CancelledError:
            report.cancelled = True
            raise
        except SegmentError as exc:
            adopted = await _created_anyway(client, plan, report, item, exc)
            if adopted is not None:
                report.results.append(adopted)
                continue
            result = ItemResult(
                item, False, item.subscription_id if item else None, exc.user_message, exc.segment_message
            )
            report.results.append(result)
            if type(exc).__name__ in _FATAL:
                report.stopped = exc.user_message
                break
            continue
        report.results.append(result)
    if on_progress is not None:
        on_progress(len(report.results), total, "done")
    return report


async def _created_anyway(
    client: SegmentClient, plan: PushPlan, report: PushReport, item: PlanItem | None, exc: SegmentError
) -> ItemResult | None:
    """A create whose answer was lost (timeout, 5xx) may have happened: look before anyone pushes it
    again, and take the subscription if it is there (a second push would otherwise duplicate it)."""
    if (
        item is None
        or item.kind != "create"
        or not isinstance(exc, SegmentConnectionError | SegmentServerError)
    ):
        return None
    body = item.body or {}
    known = {i.subscription_id for i in plan.items if i.subscription_id}
    known |= {r.subscription_id for r in report.results if r.subscription_id}
    try:
        subs = await client.list_subscriptions(plan.destination_id)
    except SegmentError:
        return None
    found = next(
        (
            s
            for s in subs
            if s.get("id") not in known
            and s.get("name") == body.get("name")
            and s.get("actionId") == body.get("actionId")
            and s.get("trigger") == body.get("trigger")
        ),
        None,
    )
    if found is None:
        return None
    return ItemResult(
        item,
        True,
        str(found["id"]),
        "Segment's answer was lost, but the subscription was created (found it afterwards).",
    )


async def _send(client: SegmentClient, plan: PushPlan, item: PlanItem | None) -> ItemResult:
    if item is None:
        await client.update_destination_settings(plan.destination_id, plan.settings_body)
        return ItemResult(None, True)
    if item.kind == "create":
        sub = await client.create_subscription(plan.destination_id, item.body or {})
        return ItemResult(item, True, str(sub.get("id") or "") or None)
    if item.kind == "update":
        assert item.subscription_id
        await client.update_subscription(plan.destination_id, item.subscription_id, item.body or {})
        return ItemResult(item, True, item.subscription_id)
    assert item.kind == "delete" and item.subscription_id
    await client.remove_subscription(plan.destination_id, item.subscription_id)
    return ItemResult(item, True, item.subscription_id)


def project_after_push(
    project: Project, report: PushReport, *, destination_name: str = "", region: str = "us"
) -> Project:
    """``project`` linked to the destination, each mapping with its subscription id."""
    return linked_project(
        project,
        report.plan.destination_id,
        report.subscription_ids(),
        destination_name=destination_name,
        region=region,
    )
