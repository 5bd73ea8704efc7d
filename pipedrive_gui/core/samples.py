"""The bundled library of realistic Segment events (``resources/events/*.json``).

Each file is ``{"title": ..., "description": ..., "event": {...}}``; the sample's name is the file
name without ``.json`` (``identify-person``). The events are what Segment hands to a destination:
``type``, ids, ``context``, ``traits``/``properties``, timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipedrive_gui.core.errors import UserError
from pipedrive_gui.resources import resource_path

_FOLDER = "events"


class SampleNotFoundError(UserError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        message = f'There is no bundled sample event called "{name}". Available: {", ".join(known)}.'
        super().__init__(message)


@dataclass(frozen=True)
class SampleInfo:
    name: str
    title: str
    description: str
    event_type: str


def _read_json(path: Path) -> Any:
    # The one place this module touches the file system.
    return json.loads(path.read_text(encoding="utf-8"))


def _events_dir() -> Path:
    return resource_path(_FOLDER)


def _sample_files() -> list[Path]:
    return sorted(p for p in _events_dir().glob("*.json") if p.is_file())


def list_samples() -> list[SampleInfo]:
    """Every bundled sample, sorted by name."""
    infos = []
    for path in _sample_files():
        doc = _read_json(path)
        infos.append(
            SampleInfo(
                name=path.stem,
                title=str(doc.get("title", path.stem)),
                description=str(doc.get("description", "")),
                event_type=str(doc["event"].get("type", "")),
            )
        )
    return infos


def sample_names() -> list[str]:
    return [p.stem for p in _sample_files()]


def load_sample(name: str) -> dict[str, Any]:
    """The event of the bundled sample ``name``. Raises SampleNotFoundError."""
    names = sample_names()
    if name not in names:
        raise SampleNotFoundError(name, names)
    event = _read_json(resource_path(_FOLDER, f"{name}.json"))["event"]
    if not isinstance(event, dict):
        raise TypeError(f"bundled sample {name} is not an event object")
    return event
