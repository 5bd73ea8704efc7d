"""Composition root of the desktop app (placeholder window until the GUI lands)."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from pipedrive_gui import APP_NAME, __version__

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle(f"{APP_NAME} {__version__}")
    window.setCentralWidget(QLabel("Pipedrive Mapper is starting…"))
    window.resize(1000, 700)
    window.show()
    if args.self_test or args.screenshot:
        def finish() -> None:
            if args.screenshot:
                window.grab().save(args.screenshot)
            print("OK")
            app.quit()

        QTimer.singleShot(200, finish)
    return int(app.exec())
