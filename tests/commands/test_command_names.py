"""The static list of subcommand names (used to start the GUI without importing them) is complete."""

from __future__ import annotations

from pipedrive_gui.cli import COMMAND_NAMES, build_parser


def test_command_names_match_the_registered_subcommands() -> None:
    _parser, registered = build_parser()
    assert registered == set(COMMAND_NAMES)


def test_a_project_path_is_not_mistaken_for_a_command(monkeypatch) -> None:
    import pipedrive_gui.gui_entry as gui_entry
    from pipedrive_gui import cli

    seen: list[list[str]] = []
    monkeypatch.setattr(gui_entry, "run_gui", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["my.pipedrive-map.json", "--data-dir", "/tmp/x"]) == 0
    assert seen == [["my.pipedrive-map.json", "--data-dir", "/tmp/x"]]
