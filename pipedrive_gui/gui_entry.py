"""Starts the desktop app. Kept apart from cli.py so headless commands never import Qt."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

#: The documented states ``--screenshot`` can show (see ``gui/app.py``).
SCREENSHOT_STATES = (
    "overview",
    "dry-run",
    "connection",
    "error",
    "dark",
    "receiver",
    "records",
    "problems",
    "segment-diff",
    "impact-panel",
)
SCREENSHOT_STATE_ENV = "PIPEDRIVE_GUI_SCREENSHOT_STATE"
#: What ``--flows`` can run, in this order (see ``gui/headless.py``).
FLOWS = ("import", "edit", "check", "send", "records", "receiver", "export", "link")


def _flows(text: str) -> tuple[str, ...]:
    names = FLOWS if text.strip() == "all" else tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in FLOWS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown flow {', '.join(unknown) or text!r} (one of: {', '.join(FLOWS)}, all)"
        )
    return names


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 1024x700") from None
    if width < 200 or height < 200:
        raise argparse.ArgumentTypeError(f"{text!r} is too small (at least 200x200)")
    return width, height


def parse_gui_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipedrive-gui", add_help=True)
    parser.add_argument("project", nargs="?", help="a *.pipedrive-map.json project to open")
    parser.add_argument("--data-dir", metavar="DIR")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--base-url", metavar="URL")
    parser.add_argument(
        "--demo", action="store_true", help="open the bundled demo project on the offline sandbox"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start, paint the main window once, print OK and quit (packaging smoke test)",
    )
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the main window and quit")
    parser.add_argument(
        "--screenshot-state",
        metavar="NAME",
        choices=SCREENSHOT_STATES,
        default=None,
        help="what --screenshot shows: " + ", ".join(SCREENSHOT_STATES) + " (default: overview, or "
        f"${SCREENSHOT_STATE_ENV})",
    )
    parser.add_argument(
        "--flows",
        metavar="NAMES",
        type=_flows,
        default=None,
        help="run these main flows on the demo as a user would (" + ", ".join(FLOWS) + ", or all), then "
        "quit through File > Quit; prints OK (a smoke test of each flow and of quitting after it)",
    )
    parser.add_argument(
        "--window-size",
        metavar="WxH",
        type=_size,
        default=None,
        help="with --screenshot or --self-test: the main window's size, e.g. 1024x700 (a small laptop screen)",
    )
    args = parser.parse_args(list(argv))
    if args.flows:
        args.self_test = True  # the demo on the sandbox, no start-up questions; quits by itself
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
    import gc

    # Python's automatic cycle collection is off from here on: none while the window is built, then
    # on the GUI thread only (see collect_on_the_gui_thread in gui/app.py and gui/collector.py).
    gc.disable()
    try:
        from pipedrive_gui.gui.app import run

        return run(args)
    finally:
        gc.enable()
