"""Offline Pipedrive emulator (the subset the app calls), strict like API v2, with fault injection.

Public API: :func:`create_app`, :func:`start_sandbox` → :class:`RunningSandbox` (``.base_url``,
``.token``, ``.faults``, ``.state``, ``await .stop()``), :class:`FaultSettings`, :class:`FaultRule`,
:func:`parse_fault_spec`, :class:`SandboxState` / :class:`RecordedRequest`.
"""

from pipedrive_gui.sandbox.app import create_app
from pipedrive_gui.sandbox.faults import FaultRule, FaultSettings, FaultSpecError, parse_fault_spec
from pipedrive_gui.sandbox.server import DEFAULT_TOKEN, RunningSandbox, start_sandbox
from pipedrive_gui.sandbox.state import RecordedRequest, SandboxState

__all__ = [
    "DEFAULT_TOKEN",
    "FaultRule",
    "FaultSettings",
    "FaultSpecError",
    "RecordedRequest",
    "RunningSandbox",
    "SandboxState",
    "create_app",
    "parse_fault_spec",
    "start_sandbox",
]
