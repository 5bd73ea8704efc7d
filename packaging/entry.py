"""Entry script for the frozen build: the same CLI/GUI entry point as `pipedrive-gui`."""

import sys

from pipedrive_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
