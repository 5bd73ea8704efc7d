#!/usr/bin/env bash
# Builds dist/pipedrive-gui/ (one folder) with PyInstaller, then smoke-tests the frozen app offscreen.
# Linux here; on Windows/macOS run the same spec with that platform's Python (see packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/pipedrive-gui.spec
app=dist/pipedrive-gui/pipedrive-gui
"$app" --version
QT_QPA_PLATFORM=offscreen "$app" --self-test
if command -v appstreamcli >/dev/null; then appstreamcli validate --no-net packaging/io.github.pipedrive_mapper.metainfo.xml; fi
if command -v desktop-file-validate >/dev/null; then desktop-file-validate packaging/io.github.pipedrive_mapper.desktop; fi
echo "built: $app"
