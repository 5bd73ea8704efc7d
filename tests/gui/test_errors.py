"""gui/errors.describe: the one wording of an exception in the window."""

from __future__ import annotations

from pipedrive_gui.gui.errors import describe
from pipedrive_gui.pipedrive.ledger import LedgerError
from pipedrive_gui.receiver.errors import ReceiverStartError


def test_a_domain_error_shows_its_user_message() -> None:
    assert describe(ReceiverStartError("Port 8787 is in use. Choose another port.")) == (
        "Port 8787 is in use. Choose another port."
    )
    assert (
        describe(LedgerError("The ledger is read-only."), lambda e: "never used")
        == "The ledger is read-only."
    )


def test_anything_else_uses_the_callers_wording_or_its_own_text() -> None:
    assert (
        describe(OSError("unreachable"), lambda e: f"Could not reach it ({e}).")
        == "Could not reach it (unreachable)."
    )
    assert describe(RuntimeError("boom")) == "boom"
    assert describe(RuntimeError()) == "RuntimeError"
