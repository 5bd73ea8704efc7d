"""``pipedrive-gui``: no subcommand opens the desktop app; subcommands run the same core headless.

Each area registers its subcommands from ``pipedrive_gui.commands.<area>`` (a ``register(sub)``
function). A command returns an exit code or raises :class:`CliError` (from
``pipedrive_gui.commands.common``, so that no command module imports this one); any failure becomes one
clear line on stderr and a non-zero exit, with a traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pipedrive_gui import __version__
from pipedrive_gui.commands.common import CliError
from pipedrive_gui.paths import AppPaths

# Modules under pipedrive_gui.commands that add subcommands. A missing module is skipped so a
# partial build still starts.
COMMAND_MODULES = (
    "core_cmds",
    "pipedrive_cmds",
    "sandbox_cmds",
    "send_cmds",
    "receiver_cmds",
    "test_records_cmds",
    "lint_cmds",
    "segment_cmds",
    "impact_cmds",
)


# Every subcommand name, known without importing the command modules, so that opening the desktop
# app (no subcommand) does not pay for importing them first (start-up time is measured).
# tests/commands/test_command_names.py keeps this equal to what the modules register.
COMMAND_NAMES = frozenset(
    {
        "eval",
        "preview",
        "export",
        "import",
        "samples",
        "login",
        "logout",
        "whoami",
        "fields",
        "sandbox",
        "send",
        "test-records",
        "receive",
        "journal",
        "journal-export",
        "replay",
        "lint",
        "segment",
        "impact",
    }
)


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    parser = argparse.ArgumentParser(
        prog="pipedrive-gui",
        description="Design how Segment events become Pipedrive records. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="put every file the app writes under DIR")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="send Pipedrive calls to another server (the sandbox, a test server); also PIPEDRIVE_BASE_URL",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"pipedrive_gui.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"pipedrive_gui.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser, set(sub.choices or {})


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # No subcommand: the desktop app (its own options such as --self-test, a project path).
    wants_cli = any(a in COMMAND_NAMES for a in argv) or any(a in ("-h", "--help", "--version") for a in argv)
    if not wants_cli:
        from pipedrive_gui.gui_entry import run_gui

        return run_gui(argv)
    parser, _commands = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    args.paths = AppPaths.resolve(args.data_dir)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"pipedrive-gui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pipedrive-gui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error. Point stdout at devnull so the
        # interpreter's final flush does not complain either.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - last line of defence, no traceback unless asked
        if args.debug:
            raise
        print(f"pipedrive-gui: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
