"""The ledger of records this app created: one claim per match value, across processes."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from pipedrive_gui.pipedrive.ledger import (
    CREATED,
    CREATING,
    STALE_CLAIM_S,
    UNCONFIRMED,
    Ledger,
    LedgerError,
    MatchKey,
)

KEY = MatchKey("acme.pipedrive.com", "person", "email", "Jane@Example.com")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_second_claim_waits_for_the_first_and_then_sees_its_record(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    first = ledger.claim(KEY, mapping="Person", source="cli_send", test=True)
    assert first.status == "claimed" and first.token
    # The same person, spelled in another case (email search ignores case), by another run.
    other = ledger.claim(
        MatchKey(KEY.account, "person", "email", "jane@example.com"), mapping="Person", source="receiver"
    )
    assert other.status == CREATING
    ledger.confirm(first, 121, "Jane")
    again = ledger.claim(KEY, mapping="Person", source="cli_send")
    assert (again.status, again.record_id, again.name) == (CREATED, "121", "Jane")
    [entry] = ledger.entries(test_only=True)
    assert (entry.entity, entry.record_id, entry.mapping, entry.source) == (
        "person",
        "121",
        "Person",
        "cli_send",
    )


def test_other_accounts_entities_and_fields_do_not_collide(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    assert ledger.claim(KEY, mapping=None, source="cli_send").status == "claimed"
    for key in (
        MatchKey("other.pipedrive.com", "person", "email", KEY.match_value),
        MatchKey(KEY.account, "organization", "email", KEY.match_value),
        MatchKey(KEY.account, "person", "abc123", KEY.match_value),
    ):
        assert ledger.claim(key, mapping=None, source="cli_send").status == "claimed"


def test_custom_field_match_values_keep_their_case(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    key = MatchKey(KEY.account, "person", "0123456789abcdef0123456789abcdef01234567", "ABC")
    assert ledger.claim(key, mapping=None, source="cli_send").status == "claimed"
    lower = MatchKey(key.account, key.entity, key.match_field, "abc")
    assert ledger.claim(lower, mapping=None, source="cli_send").status == "claimed"


def test_release_frees_the_value_and_unconfirmed_blocks_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    c = ledger.claim(KEY, mapping=None, source="cli_send")
    ledger.release(c)
    c = ledger.claim(KEY, mapping=None, source="cli_send")
    assert c.status == "claimed"
    ledger.leave_unconfirmed(c, "503 after sending")
    blocked = ledger.claim(KEY, mapping=None, source="cli_send")
    assert blocked.status == UNCONFIRMED
    # Only a read that shows the record is absent lets a new create through.
    taken = ledger.take_over(blocked, mapping=None, source="cli_send")
    assert taken.status == "claimed"


def test_a_claim_left_by_a_dead_run_counts_as_unconfirmed(tmp_path: Path) -> None:
    clock = Clock()
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    ledger.claim(KEY, mapping=None, source="cli_send")
    assert ledger.claim(KEY, mapping=None, source="cli_send").status == CREATING
    clock.now += STALE_CLAIM_S + 1
    assert ledger.claim(KEY, mapping=None, source="cli_send").status == UNCONFIRMED


def test_gone_records_no_longer_block(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    c = ledger.claim(KEY, mapping=None, source="cli_send", test=True)
    ledger.confirm(c, 5, "Jane")
    assert ledger.mark_gone(KEY.account, "person", 5, "deleted as a test record") == 1
    assert ledger.claim(KEY, mapping=None, source="cli_send").status == "claimed"
    assert [e.state for e in ledger.entries(include_gone=True)] == [CREATING, "gone"]


def test_records_without_match_value_are_listed(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.record(KEY.account, "note", 9, None, mapping="Note", source="send_test", test=True)
    ledger.record(KEY.account, "activity", 10, "Call", mapping="Activity", source="receiver", test=False)
    assert [(e.entity, e.record_id) for e in ledger.entries(test_only=True)] == [("note", "9")]
    assert len(ledger.entries()) == 2


def test_an_unwritable_place_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LedgerError, match="data folder"):
        Ledger(blocker / "ledger.sqlite3")


def _claim_many(path: str, n: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    ledger = Ledger(path)
    won = sum(
        ledger.claim(MatchKey("a", "person", "email", f"p{i}@x.io"), mapping=None, source="cli_send").status
        == "claimed"
        for i in range(n)
    )
    out.put(won)


def test_two_processes_never_both_win_a_claim(tmp_path: Path) -> None:
    path = str(tmp_path / "l.sqlite3")
    Ledger(path)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_many, args=(path, 40, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    wins = [out.get(timeout=5) for _ in procs]
    assert sum(wins) == 40  # each of the 40 values claimed exactly once, whoever won it


def test_take_over_replaces_only_the_row_it_was_shown(tmp_path: Path) -> None:
    """Two runs both find an unconfirmed create absent: only the first may create again."""
    ledger = Ledger(tmp_path / "l.sqlite3")
    c = ledger.claim(KEY, mapping=None, source="cli_send")
    ledger.leave_unconfirmed(c, "503 after sending")
    seen_by_a = ledger.claim(KEY, mapping=None, source="cli_send")
    seen_by_b = ledger.claim(KEY, mapping=None, source="receiver")
    assert seen_by_a.status == seen_by_b.status == UNCONFIRMED and seen_by_a.rowid == c.rowid
    assert seen_by_a.created_at == c.created_at  # when the create it stands for began
    a = ledger.take_over(seen_by_a, mapping=None, source="cli_send")
    assert a.status == "claimed"
    b = ledger.take_over(seen_by_b, mapping=None, source="receiver")
    assert b.status == CREATING and b.rowid == a.rowid  # A's fresh claim is not taken from it
    ledger.confirm(a, 7, "Jane")
    assert ledger.take_over(seen_by_b, mapping=None, source="receiver").status == CREATED


def _claim_and_exit(path: str) -> None:
    Ledger(path).claim(KEY, mapping=None, source="cli_send")  # dies without confirming


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX only")
def test_a_claim_whose_process_ended_is_unconfirmed_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "l.sqlite3")
    Ledger(path)
    proc = multiprocessing.get_context("spawn").Process(target=_claim_and_exit, args=(path,))
    proc.start()
    proc.join(60)
    assert Ledger(path).claim(KEY, mapping=None, source="cli_send").status == UNCONFIRMED


def test_a_ledger_that_cannot_be_opened_refuses_every_call_with_the_reason(tmp_path: Path) -> None:
    from pipedrive_gui.pipedrive.ledger import FILE_NAME, LedgerError, UnopenedLedger

    (tmp_path / FILE_NAME).mkdir()  # a folder where the file goes
    with pytest.raises(LedgerError) as opened:
        Ledger.in_data_dir(tmp_path)
    stand_in = UnopenedLedger(opened.value)
    key = MatchKey("acme.pipedrive.com", "person", "email", "ada@example.com")
    for call in (
        lambda: stand_in.claim(key, mapping="m", source="cli-send", test=False),
        lambda: stand_in.find(key),
    ):
        with pytest.raises(LedgerError) as refused:
            call()
        assert str(tmp_path / FILE_NAME) in refused.value.user_message
        assert "Nothing was created in Pipedrive without it." in refused.value.user_message
