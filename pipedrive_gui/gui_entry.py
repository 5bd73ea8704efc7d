"""Starts the desktop app. Kept apart from cli.py so headless commands never import Qt."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def parse_gui_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipedrive-gui", add_help=True)
    parser.add_argument("project", nargs="?", help="a *.pipedrive-map.json project to open")
    parser.add_argument("--data-dir", metavar="DIR")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--base-url", metavar="URL")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo project on the offline sandbox")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start, paint the main window once, print OK and quit (packaging smoke test)",
    )
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the main window and quit")
    return parser.parse_args(list(argv))


def run_gui(argv: Sequence[str]) -> int:
    args = parse_gui_args(argv)
    from pipedrive_gui.gui.app import run

    return run(args)
