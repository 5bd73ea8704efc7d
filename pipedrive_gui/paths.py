"""Where the app writes: config, cache (field catalogs), data (receiver journal, autosave).

``--data-dir DIR`` (or ``PIPEDRIVE_GUI_DATA_DIR``) puts every file under DIR, for tests and scripted
use; otherwise platformdirs picks the OS's usual places. Built once by the composition root and
passed in; nothing reads a global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipedrive_gui import APP_ID


@dataclass(frozen=True)
class AppPaths:
    config: Path
    cache: Path
    data: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        root = data_dir or os.environ.get("PIPEDRIVE_GUI_DATA_DIR")
        if root:
            base = Path(root).expanduser().resolve()
            return cls(config=base / "config", cache=base / "cache", data=base / "data")
        import platformdirs

        return cls(
            config=Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_ID, appauthor=False)),
            data=Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
        )

    def ensure(self) -> AppPaths:
        for p in (self.config, self.cache, self.data):
            p.mkdir(parents=True, exist_ok=True)
        return self
