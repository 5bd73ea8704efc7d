"""What the File menu does with files: new, open, open recent, the demo, save, save as, import a
Segment export, export; and the offer to restore unsaved work after a crash.

Apart from the window because none of it is about how the window looks: each command asks (through
``dialogs``), reads or writes, and hands the project to the window (``MainWindow.load``). The work
itself is in ``core`` (project files, merging an import, the export texts) and ``autosave.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedrive_gui.core.project import (
    FILE_SUFFIX,
    Project,
    ProjectFileError,
    atomic_write_text,
    load_project,
    save_project,
)
from pipedrive_gui.gui import dialogs
from pipedrive_gui.gui.autosave import Recovery, discard_recovery
from pipedrive_gui.gui.errors import describe

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from pipedrive_gui.core.merge import MergeResult
    from pipedrive_gui.core.segment_io import SegmentImport
    from pipedrive_gui.gui.main_window import MainWindow
    from pipedrive_gui.pipedrive.client import CurrentUser


def _local_time(iso: str) -> str:
    """'2026-11-30T17:20:05+00:00' -> '30 Nov 2026 at 18:20' in the user's time zone."""
    try:
        stamp = datetime.fromisoformat(iso)
    except ValueError:
        return iso or "at an unknown time"
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone()
    return stamp.strftime("%d %b %Y at %H:%M").lstrip("0")


def file_name_for(title: str) -> str:
    """A file name from a project's name that every system accepts: "Demo: Acme" -> "Demo - Acme"
    (no colon, slash or other character Windows or macOS reject)."""
    import re

    name = re.sub(r"\s*:\s*", " - ", title)
    name = re.sub(r'[<>"/\\|?*\x00-\x1f]+', "-", name).strip(" .-")
    return name or "Untitled project"


def token_not_kept(source: str) -> str:
    """What an import says when the file held a Pipedrive API token (``SegmentImport.token_dropped``:
    the same finding ``pipedrive-gui import`` reports), in words for someone who is not a developer."""
    return (
        f"“{source}” contains a Pipedrive API token. It was not imported: a project never keeps the "
        "token, so it is not saved with this project or in its exports. To connect to Pipedrive, use "
        "Pipedrive > Connect…: the app keeps your token in your computer's keyring. The file itself "
        "still holds the token: keep it private, or delete it."
    )


PROJECT_FILTER = f"Pipedrive Mapper projects (*{FILE_SUFFIX});;JSON files (*.json);;All files (*)"
MAX_RECENT = 8


class FileCommands:
    """The File menu's commands for one window (``window.files``)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.doc, self.connection, self.runner, self.settings = (
            window.doc,
            window.connection,
            window.runner,
            window.settings,
        )
        self.autosaver = window.autosaver
        self.recent_menu: QMenu | None = None

    # -- project files ----------------------------------------------------------------------------

    def open_path(self, path: str | Path) -> bool:
        try:
            project = load_project(path)
        except ProjectFileError as exc:
            where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
            dialogs.show_error(
                self.window,
                "Could not open the project",
                f"{exc.message}{where}",
                "Your current project is unchanged.",
            )
            return False
        self.window.load(project, Path(path))
        self.window.statusBar().showMessage(f"Opened {Path(path).name}", 5000)
        return True

    def maybe_discard(self, then: Callable[[], object]) -> None:
        """Run ``then`` once unsaved changes are saved or the user agrees to lose them."""
        if not self.doc.dirty:
            then()
            return

        def answered(answer: str) -> None:
            if answer == dialogs.SAVE:
                self.save(after=then)
            elif answer == dialogs.DISCARD:
                discard_recovery(self.connection.paths.data)
                then()

        dialogs.ask(
            self.window,
            "Unsaved changes",
            f"“{self.doc.title}” has changes that are not saved. Save them first?",
            [dialogs.SAVE, dialogs.DISCARD, dialogs.CANCEL],
            answered,
        )

    def open_demo(self) -> None:
        """The bundled demo project; when not connected, on the offline sandbox (the demo's mappings
        use its fields). A connected account stays connected."""
        from pipedrive_gui.gui.app import demo_project

        def go() -> None:
            self.window.load(demo_project(), None)
            if self.connection.connected or self.runner.running("connect") or self.runner.running("startup"):
                self.window.statusBar().showMessage("Opened the demo project", 5000)
                return
            self.window.statusBar().showMessage(
                "Opened the demo project; starting the offline sandbox…", 5000
            )

            def connected(_user: CurrentUser) -> None:
                # The demo was the answer to "where to connect": the open Connect dialog is done.
                dialog = self.window.accounts.connection_dialog
                if dialog is not None and dialog.isVisible():
                    dialog.close()

            self.runner.spawn(
                self.connection.connect_sandbox(), name="connect", latest_wins=True, on_done=connected
            )

        self.maybe_discard(go)

    def new_project(self) -> None:
        self.maybe_discard(lambda: self.window.load(Project(), None))

    def open_dialog(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.open_path(path)

        self.maybe_discard(lambda: dialogs.open_file(self.window, "Open project", PROJECT_FILTER, chosen))

    def save(self, after: Callable[[], object] | None = None) -> None:
        if self.doc.path is None:
            self.save_as(after)
            return
        self._write(self.doc.path, after)

    def save_as(self, after: Callable[[], object] | None = None) -> None:
        def chosen(path: str | None) -> None:
            if path:
                if not path.endswith(".json"):
                    path += FILE_SUFFIX
                self._write(Path(path), after)

        suggested = str(self.doc.path or Path.home() / f"{file_name_for(self.doc.project.name)}{FILE_SUFFIX}")
        dialogs.save_file(self.window, "Save project as", PROJECT_FILTER, chosen, suggested, "json")

    def _write(self, path: Path, after: Callable[[], object] | None) -> None:
        try:
            save_project(self.doc.project, path)
        except (ProjectFileError, OSError) as exc:
            dialogs.show_error(
                self.window,
                "Could not save the project",
                describe(exc),
                "Nothing was lost: the project is still open. Choose another folder with File > Save as… .",
            )
            return
        self.doc.mark_saved(path)
        self.add_recent(path)
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        if after is not None:
            after()

    def recent(self) -> list[str]:
        value: Any = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [p for p in self.recent() if p != str(path)]
        self.settings.setValue("recent_files", items[:MAX_RECENT])
        self._update_recent()

    def show_recent_in(self, menu: QMenu) -> None:
        """File > Open recent lists the recent files from now on."""
        self.recent_menu = menu
        self._update_recent()

    def _update_recent(self) -> None:
        if self.recent_menu is None:
            return
        self.recent_menu.clear()
        items = self.recent()
        for p in items:
            act = self.recent_menu.addAction(Path(p).name)
            act.setStatusTip(p)
            act.triggered.connect(lambda _=False, p=p: self.maybe_discard(lambda: self.open_path(p)))
        self.recent_menu.setEnabled(bool(items))

    # -- import / export --------------------------------------------------------------------------

    def import_segment_dialog(self) -> None:
        dialogs.open_file(
            self.window,
            "Import Segment JSON",
            "JSON files (*.json);;All files (*)",
            lambda p: self.import_segment_file(p) if p else None,
        )

    def import_segment_file(self, path: str) -> bool:
        """Read a Segment export; into a project that has mappings, ask how (replace all, update the
        matching ones and add the rest, or add as copies) instead of duplicating them. Replace all
        (and an import into an empty project) also takes the file's destination settings, project
        name and samples; the other two keep the project's and say when the file's settings differ.
        False when the file could not be used."""
        from pipedrive_gui.core.merge import MERGE_MODES, merge_mappings
        from pipedrive_gui.core.segment_io import read_segment

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            found = read_segment(data)
        except (OSError, ValueError) as exc:
            dialogs.show_error(
                self.window,
                "Could not import",
                describe(exc),
                "Choose a file exported from Segment (destination subscriptions as JSON).",
            )
            return False
        mappings = found.mappings
        source = Path(path).name
        existing = list(self.doc.project.mappings)
        if not existing:
            # The new mappings show for themselves; only a token found in the file needs saying.
            self._apply_import(
                merge_mappings(existing, mappings, "copy"),
                source,
                found,
                whole=True,
                tell=found.token_dropped,
            )
            return True
        preview = merge_mappings(existing, mappings, "update")
        matching = len(preview.updated) + len(preview.unchanged)

        def count(n: int) -> str:
            return f"{n} mapping{'' if n == 1 else 's'}"

        same = (
            f"{matching} of the imported mappings {'has' if matching == 1 else 'have'} the same name and "
            "action as one in this project."
            if matching
            else "None of the imported mappings has the same name and action as one in this project."
        )

        def answered(answer: str) -> None:
            for mode in MERGE_MODES:
                if answer == mode:
                    result = merge_mappings(self.doc.project.mappings, mappings, mode)
                    self._apply_import(result, source, found, whole=mode == "replace")

        dialogs.ask(
            self.window,
            "Import into this project",
            f"“{source}” has {count(len(mappings))}; this project already has {count(len(existing))}. "
            f"{same} How should they be brought in?",
            ["update", "copy", "replace", dialogs.CANCEL],
            answered,
            labels={
                "update": "Update matching, add the rest",
                "copy": "Add as copies",
                "replace": "Replace all",
            },
            default="update" if matching else "copy",
            details="Update matching: a mapping with the same name and action gets the imported "
            "trigger and fields; the others are added.\nAdd as copies: all are added; taken "
            "names get “(copy)”. Segment and the receiver run every copy. Both keep this project's "
            "destination settings and samples.\nReplace all: this project's mappings are removed "
            "first, and the file's destination settings, name and samples (when it has them) are "
            "taken too.\nEach choice is one step of Edit > Undo.",
        )
        return True

    def _apply_import(
        self, result: MergeResult, source: str, found: SegmentImport, *, whole: bool, tell: bool = True
    ) -> None:
        """Make the import one undo step and say what it did. ``whole``: also take the file's
        destination settings, name and samples (Replace all, or an import into an empty project)."""
        project = self.doc.project
        summary = result.summary()
        notes: list[str] = []
        if whole:
            name, destination, samples = found.name, found.destination, found.samples
            taken = [
                *(["the destination settings"] if destination not in (None, project.destination) else []),
                *(["the project name"] if name not in (None, project.name) else []),
                *(
                    [f"{len(samples)} sample event(s)"]
                    if samples is not None and samples != project.samples
                    else []
                ),
            ]
            if taken:
                summary += f"; took {' and '.join(taken)} from the file"
        else:
            name = destination = samples = None
            if found.destination is not None and found.destination != project.destination:
                # The same wording as `pipedrive-gui import --merge` (commands/core_cmds.py).
                summary += "; the file's destination settings differ from this project's, which were kept"
                notes.append(
                    f"The destination settings in “{source}” differ from this project's, which were kept "
                    "(Replace all takes the whole file's)."
                )
        if found.token_dropped:
            summary += "; the Pipedrive API token in the file was not kept"
            notes.append(token_not_kept(source))
        changed = self.doc.set_imported(
            result.mappings,
            f"Import from {source}: {summary}",
            name=name,
            destination=destination,
            samples=samples,
        )
        self.window.statusBar().showMessage(f"Imported from {source}: {summary}", 15000)
        if tell:
            details = "\n\n".join(x for x in (result.details(), *notes) if x)
            dialogs.show_info(
                self.window,
                "Import done",
                f"{summary[:1].upper()}{summary[1:]}."
                + (f"\n\n{details}" if details else "")
                + ("\n\nEdit > Undo takes the import back." if changed else ""),
            )

    def export_text(self, kind: str) -> str:
        from pipedrive_gui.core.segment_io import export_text

        catalog = self.connection.catalog
        return export_text(
            self.doc.project, kind, catalog.custom_field_labels() if catalog is not None else {}
        )

    def export_dialog(self, kind: str) -> None:
        suffix = {"segment": ".segment.json", "terraform": ".tf", "checklist": ".checklist.md"}[kind]
        filters = {
            "segment": "JSON files (*.json)",
            "terraform": "Terraform files (*.tf)",
            "checklist": "Markdown (*.md);;Text (*.txt)",
        }[kind]
        base = (self.doc.path.name.removesuffix(FILE_SUFFIX) if self.doc.path else "mappings") + suffix
        dialogs.save_file(
            self.window,
            "Export",
            filters,
            lambda p: self.export_to(kind, p) if p else None,
            str(Path.home() / base),
        )

    def export_to(self, kind: str, path: str) -> bool:
        try:
            atomic_write_text(path, self.export_text(kind))
        except (OSError, ValueError) as exc:
            dialogs.show_error(self.window, "Could not export", str(exc), "Choose another file or folder.")
            return False
        self.window.statusBar().showMessage(f"Exported to {Path(path).name}", 5000)
        return True

    # -- after a crash ----------------------------------------------------------------------------

    def offer_recovery(self, recovery: Recovery) -> None:
        """Ask whether to restore what a crash left. Asked first: other dialogs of the start-up wait
        for the answer (``when_no_question``)."""
        if self.autosaver is not None:
            self.autosaver.recovery_pending = True
        self.window.question_asked()

        def answered(answer: str) -> None:
            if self.autosaver is not None:
                self.autosaver.recovery_pending = False
            if answer == dialogs.YES:
                self.window.load(recovery.project, recovery.original, dirty=recovery.project_changed)
                if recovery.sample_text is not None:
                    self.window.event_editor.set_text(recovery.sample_text)
                self.window.statusBar().showMessage("Recovered unsaved work; save it to keep it.", 10000)
            else:
                discard_recovery(self.connection.paths.data)
            self.window.question_answered()

        where = (
            f"“{recovery.original.name}”"
            if recovery.original
            else f"“{recovery.project.name}” (not saved to a file yet)"
        )
        what = f"Unsaved changes to {where}" if recovery.project_changed else ""
        if recovery.sample_text is not None:
            what = (
                f"{what} and the sample event you pasted"
                if what
                else f"The sample event you pasted (not saved to {where})"
            )
        dialogs.ask(
            self.window,
            "Recover unsaved work?",
            f"Pipedrive Mapper did not close properly last time. {what} "
            f"{'was' if not recovery.project_changed else 'were'} kept (autosaved "
            f"{_local_time(recovery.saved_at)}). Restore {'it' if not recovery.project_changed else 'them'}?",
            [dialogs.YES, dialogs.NO],
            answered,
            details="Restore opens them in this window (save them to keep them); Discard deletes "
            "the autosaved copy.",
            labels={dialogs.YES: "Restore", dialogs.NO: "Discard"},
        )
