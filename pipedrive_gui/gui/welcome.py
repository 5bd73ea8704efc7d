"""What an empty project shows where the mapping editor will be: the ways to begin.

Open the demo project, start a mapping from a preset, import mappings (a Segment export file, and
any other source the window adds with ``add_import_source``, e.g. a Segment workspace), or open a
project file. Help > Getting started walks the rest.

Signals (Welcome):
    open_demo(): the user wants the demo project.
    preset_chosen(str): the user wants a new mapping from this preset (its name).
    import_file(): the user wants to import a Segment export file.
    open_project(): the user wants to open a project file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pipedrive_gui.core.actions import PRESETS


class Welcome(QWidget):
    open_demo = Signal()
    preset_chosen = Signal(str)
    import_file = Signal()
    open_project = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        heading = QLabel("Start here")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        intro = self._text(
            "This project has no mappings yet. A mapping says which Segment events "
            "become which Pipedrive records. Begin one of these ways:"
        )

        self.demo_button = QPushButton("Open the demo project")
        self.demo_button.setObjectName("welcomeDemo")
        self.demo_button.clicked.connect(self.open_demo.emit)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_button)
        demo_row.addStretch(1)
        demo_text = self._text(
            "Ready-made mappings for persons, organizations, deals and more, with "
            "sample events, on the offline sandbox: look around, change things, "
            "nothing leaves your computer."
        )

        self.preset = QComboBox()
        self.preset.setObjectName("welcomePreset")
        self.preset.setAccessibleName("Preset")
        for p in PRESETS:
            self.preset.addItem(p.name, p.name)
        self.preset_button = QPushButton("Create mapping")
        self.preset_button.setObjectName("welcomePresetButton")
        self.preset_button.setToolTip("A new mapping with Segment's default fields for this action")
        self.preset_button.clicked.connect(lambda: self.preset_chosen.emit(str(self.preset.currentData())))
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.preset, 1)
        preset_row.addWidget(self.preset_button)
        preset_text = self._text(
            "Segment's ready-made mapping for one kind of Pipedrive record; the "
            "preview shows at once what it would send."
        )

        self.import_button = QPushButton("Import Segment JSON…")
        self.import_button.setObjectName("welcomeImport")
        self.import_button.setToolTip("Mappings exported from Segment (destination subscriptions as JSON)")
        self.import_button.clicked.connect(self.import_file.emit)
        self.import_row = QHBoxLayout()
        self.import_row.addWidget(self.import_button)
        self.import_row.addStretch(1)
        import_text = self._text("Bring in the mappings you already have in Segment.")

        self.open_button = QPushButton("Open a project file…")
        self.open_button.setObjectName("welcomeOpen")
        self.open_button.clicked.connect(self.open_project.emit)
        open_row = QHBoxLayout()
        open_row.addWidget(self.open_button)
        open_row.addStretch(1)

        footer = self._text(
            "Help > Getting started walks through the main steps: pick a sample event, "
            "see the payload, check in Pipedrive, send a test, export for Segment."
        )
        footer.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(8)
        sections: tuple[tuple[str, list[QHBoxLayout | QLabel]], ...] = (
            ("See how it works", [demo_row, demo_text]),
            ("Start from a preset", [preset_row, preset_text]),
            ("Import", [self.import_row, import_text]),
            ("Open", [open_row]),
        )
        for title, rows in sections:
            label = QLabel(f"<b>{title}</b>")
            layout.addWidget(label)
            for row in rows:
                if isinstance(row, QHBoxLayout):
                    layout.addLayout(row)
                else:
                    layout.addWidget(row)
            layout.addSpacing(6)
        layout.addWidget(footer)
        layout.addStretch(1)
        self.extra_sources: list[QPushButton] = []

    @staticmethod
    def _text(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def add_import_source(self, label: str, tip: str, callback: Callable[[], Any]) -> QPushButton:
        """Another place to import mappings from (e.g. "Pull from a Segment workspace…"): a button
        next to *Import Segment JSON…*."""
        button = QPushButton(label)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: callback())
        self.import_row.insertWidget(self.import_row.count() - 1, button)
        button.show()  # (a widget added to a shown layout would appear only on the next event loop turn)
        self.extra_sources.append(button)
        return button
