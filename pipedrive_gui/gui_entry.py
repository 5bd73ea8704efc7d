"""Starts the desktop app. Kept apart from cli.py so headless commands never import Qt."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

#: The documented states ``--screenshot`` can show (see ``gui/app.py``).
SCREENSHOT_STATES = ("overview", "dry-run", "connection", "error", "dark", "receiver", "records", "problems",
                     "segment-diff", "impact-panel")
SCREENSHOT_STATE_ENV = "PIPEDRIVE_GUI_SCREENSHOT_STATE"


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
    parser.add_argument(
        "--screenshot-state", metavar="NAME", choices=SCREENSHOT_STATES, default=None,
        help="what --screenshot shows: " + ", ".join(SCREENSHOT_STATES) + " (default: overview, or "
             f"${SCREENSHOT_STATE_ENV})",
    )
    args = parser.parse_args(list(argv))
    if args.screenshot_state is None:
        # The environment variable predates the option; it still works (the option wins).
        env = os.environ.get(SCREENSHOT_STATE_ENV, "overview")
        if env not in SCREENSHOT_STATES:
            parser.error(f"{SCREENSHOT_STATE_ENV}={env!r} is not one of: {', '.join(SCREENSHOT_STATES)}")
        args.screenshot_state = env
    elif not args.screenshot:
        parser.error("--screenshot-state needs --screenshot PNG (where to save the picture)")
    return args


def run_gui(argv: Sequence[str]) -> int:
    args = parse_gui_args(argv)
    from pipedrive_gui.gui.app import run

    return run(args)
