"""The receiver settings the panel edits (``receiver/config.py``) and what the panel says about the
receiver (``receiver/status.py``), without a display."""

from __future__ import annotations

import re
from pathlib import Path

from pipedrive_gui.receiver import ReceiverSettings
from pipedrive_gui.receiver.access import CONFIG_FILE, save_config
from pipedrive_gui.receiver.config import (
    DEFAULT_PORT,
    address,
    choose_origins,
    load_panel_config,
    save_panel_config,
)
from pipedrive_gui.receiver.outcomes import ReceiverMode
from pipedrive_gui.receiver.server import ReceiverStats
from pipedrive_gui.receiver.status import REFUSALS, refusal_text, replay_result, running_line, running_tooltip

RECEIVER = Path(__file__).resolve().parents[2] / "pipedrive_gui" / "receiver"


def test_a_first_start_makes_a_key_to_save(tmp_path: Path) -> None:
    config = load_panel_config(tmp_path)
    assert (
        config.port == DEFAULT_PORT and config.write_key.startswith("local-") and config.allowed_origins == ()
    )
    assert config.persist and config.save_now
    assert save_panel_config(tmp_path, config.port, config.write_key, ("http://localhost:3000",)) is None
    again = load_panel_config(tmp_path)
    assert (again.port, again.write_key, again.allowed_origins) == (
        DEFAULT_PORT,
        config.write_key,
        ("http://localhost:3000",),
    )
    assert not again.save_now


def test_saved_settings_are_read_and_bad_origins_allow_nothing(tmp_path: Path) -> None:
    save_config(tmp_path, port=9000, write_key="k1", allowed_origins=["HTTP://LocalHost:80", 7])
    config = load_panel_config(tmp_path)
    assert (config.port, config.write_key, config.allowed_origins, config.save_now) == (
        9000,
        "k1",
        ("http://localhost",),
        False,
    )
    save_config(tmp_path, allowed_origins=["*"])
    assert load_panel_config(tmp_path).allowed_origins == ()


def test_given_settings_win_and_are_not_saved(tmp_path: Path) -> None:
    save_config(tmp_path, port=9000, write_key="stored")
    given = load_panel_config(tmp_path, ReceiverSettings(port=0, allowed_origins=("https://a.example",)))
    assert (given.port, given.write_key, given.allowed_origins) == (0, "stored", ("https://a.example",))
    assert not given.persist and not given.save_now
    assert load_panel_config(tmp_path, ReceiverSettings(port=1, write_key="mine")).write_key == "mine"


def test_a_settings_file_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    problem = save_panel_config(tmp_path / "file", 1, "k", ())
    assert problem is not None and problem.startswith("Could not save the receiver settings (")
    assert problem.endswith("; they apply until you quit.")
    assert not (tmp_path / CONFIG_FILE).exists()


def test_typed_origins() -> None:
    same = choose_origins("http://localhost:3000", ("http://localhost:3000",))
    assert same.origins == ("http://localhost:3000",) and not same.changed and same.message is None
    new = choose_origins("https://www.example.com, http://localhost:3000/", ())
    assert new.origins == ("https://www.example.com", "http://localhost:3000") and new.changed
    assert new.message == "Web pages allowed to send: https://www.example.com, http://localhost:3000."
    assert choose_origins("", ("http://a.example",)).message == "Web pages allowed to send: none."
    bad = choose_origins("localhost:3000", ())
    assert bad.origins is None and not bad.changed
    assert bad.message is not None and bad.message.startswith(
        "Allowed web pages: “localhost:3000” needs the scheme"
    )
    assert bad.message.endswith(". The receiver keeps allowing no web page.")
    star = choose_origins("*", ("http://a.example",)).message
    assert star is not None and star.endswith("keeps allowing http://a.example.")


def test_address_before_it_runs() -> None:
    assert address(8787) == "http://127.0.0.1:8787" and address(0) == "http://127.0.0.1:<free port>"


def test_running_state_in_words() -> None:
    stats = ReceiverStats(requests=1, accepted=2)
    assert running_line(stats, ReceiverMode.DRY_RUN) == "Running (dry run) — 1 request, 2 events"
    assert running_tooltip(stats) == "Requests and events received since the receiver started"
    stats = ReceiverStats(requests=1200, accepted=1, rejected={"not_found": 2, "invalid_write_key": 1})
    assert running_line(stats, ReceiverMode.LIVE) == "Running (live) — 1,200 requests, 1 event, 3 refused"
    assert running_tooltip(stats) == (
        "Refused requests:\nWrong write key (copy it from this panel): 1\n"
        "Unknown endpoint (post to /v1/batch, /v1/track, …): 2"
    )
    assert refusal_text("something_new") == "something_new"


def test_every_client_refusal_has_words() -> None:
    """Every code the intake and the server refuse a request with reads in the user's words, but
    those pinned here (shown as the code, as before the wording moved)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in RECEIVER.glob("*.py"))
    codes = set(re.findall(r"\b[45]\d\d,\s*\"([a-z_]+)\"", source)) | {"request_timeout"}
    assert codes - set(REFUSALS) == {"incomplete_body", "journal_unavailable", "internal_error"}
    assert set(REFUSALS) <= codes


def test_replay_results_in_words() -> None:
    assert replay_result([1, 2, 3], [1], True) == (
        "Queued 1 event again. 2 could not be replayed (flagged "
        "events Segment drops, or events still waiting)."
    )
    assert (
        replay_result([], [4, 5], False)
        == "Queued 2 events again; they are processed when you start the receiver."
    )
