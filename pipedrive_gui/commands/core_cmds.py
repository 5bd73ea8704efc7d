"""Headless core commands: eval (conformance protocol), preview, export, import, samples."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from pipedrive_gui.commands.common import CliError
from pipedrive_gui.core.wording import with_article


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "eval",
        help="answer conformance questions (JSON Lines on stdin, answers on stdout)",
        description="Reads the segment-oracle's input lines (kinds transform, validate_mapping, fql, "
        "payload) on stdin and writes one answer line per input line, in the oracle's encoding.",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "preview",
        help="show what every mapping of a project does with an event",
        description="For each mapping: does its trigger fire on EVENT (and why not), and the payload "
        "Segment would compute, or the problems per field.",
    )
    p.add_argument("project", metavar="PROJECT", help="a *.pipedrive-map.json file")
    p.add_argument("event", metavar="EVENT", help="an event JSON file, - for stdin, or a bundled sample name")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser(
        "export",
        help="export a project's mappings for Segment",
        description="segment: JSON with the destination settings (no API token) as the Public API's "
        "update-destination call takes them, the mappings as Public API subscription objects, and the "
        'project name and samples under "x-pipedrive-mapper" (import restores them all); terraform: a '
        "standalone configuration for Segment's provider (segmentio/segment); checklist: steps for "
        "Segment's web app.",
    )
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("--format", choices=("segment", "terraform", "checklist"), default="segment")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument(
        "--destination-ref",
        default="var.pipedrive_destination_id",
        metavar="REF",
        help="terraform: destination_id value, a Terraform expression or a Segment destination id "
        "(default: %(default)s, declared in the file)",
    )
    p.add_argument(
        "--manage-destination",
        action="store_true",
        help="terraform: also declare the segment_destination with the project's settings (the Pipedrive "
        "API token is read from a sensitive variable, never written) and attach the mappings to it",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import",
        help="make a project from Segment subscriptions (export, API response or presets)",
        description="Reads an `export --format segment` file (mappings, destination settings, project name "
        "and samples all come back), or Segment's own JSON: one subscription, a list, a Public API "
        "response, catalog presets.",
    )
    p.add_argument("file", metavar="FILE", help="Segment JSON file, or - for stdin")
    p.add_argument("-o", "--output", metavar="PROJECT", required=True, help="the project file to write")
    p.add_argument("--name", help="project name (default: from the output file name)")
    existing = p.add_mutually_exclusive_group()
    existing.add_argument(
        "--merge",
        choices=("update", "copy", "replace"),
        help="PROJECT exists: bring the mappings into it (its samples and settings stay). "
        "update: a mapping with the same name and action is updated, the others added; "
        'copy: all added, taken names get "(copy)"; replace: its mappings are replaced',
    )
    existing.add_argument(
        "--force", action="store_true", help="overwrite PROJECT if it exists (the whole file)"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("samples", help="list the bundled sample events")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=cmd_samples)


# ------------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from pipedrive_gui.core.oracle_io import answer_line

    # Line by line with a flush per answer, so a caller can talk to it interactively like the oracle.
    # The protocol is UTF-8 whatever the locale, and only "\n" ends a line.
    stdin: Any = sys.stdin
    if hasattr(stdin, "buffer"):
        stdin = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(encoding="utf-8")
    for line in stdin:
        out.write(answer_line(line.rstrip("\r\n")) + "\n")
        out.flush()
    return 0


def _load_project(path: str) -> Any:
    from pipedrive_gui.core.project import ProjectFileError, load_project

    try:
        return load_project(path)
    except ProjectFileError as exc:
        raise CliError(str(exc)) from None


def _read_json_input(source: str, what: str) -> Any:
    if source == "-":
        text = sys.stdin.read()
        shown = "stdin"
    else:
        path = Path(source)
        if not source.strip():
            raise CliError(f"No {what} file given: name a JSON file, or - to read stdin.", 2)
        if path.is_dir():
            raise CliError(
                f"{source} is a folder, not {with_article(what)} file: name the JSON file inside it.", 2
            )
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CliError(f"{what} file not found: {source}") from None
        except UnicodeDecodeError:
            raise CliError(
                f"{source} is not a text file (JSON in UTF-8 expected); is it the right file?"
            ) from None
        except OSError as exc:
            raise CliError(f"Could not read {what} file {source}: {exc.strerror or exc}") from None
        shown = source
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{shown} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise CliError(
            f"{shown} is nested too deeply (hundreds of levels) to be {with_article(what)} file."
        ) from None


def _read_event(source: str) -> dict[str, Any]:
    if source != "-" and not Path(source).exists():
        from pipedrive_gui.core.samples import SampleNotFoundError, load_sample

        try:
            return load_sample(source)
        except SampleNotFoundError as exc:
            raise CliError(f"{source} is neither an event file nor a bundled sample. {exc.message}") from None
    event = _read_json_input(source, "event")
    if isinstance(event, dict) and isinstance(event.get("event"), dict) and "type" not in event:
        event = event["event"]  # a bundled-sample-style file {"title", "event"}
    if not isinstance(event, dict):
        raise CliError("The event must be a JSON object (a Segment event with a type, traits/properties...)")
    return event


def preview_project(project: Any, event: dict[str, Any]) -> list[dict[str, Any]]:
    """The preview of every mapping on ``event`` as plain data (also the --json output)."""
    from pipedrive_gui.core.payload import build_payload
    from pipedrive_gui.core.triggers import parse_fql

    results = []
    for m in project.mappings:
        item: dict[str, Any] = {
            "id": m.id,
            "name": m.name,
            "action": m.action,
            "enabled": m.enabled,
            "fires": False,
            "reasons": [],
        }
        try:
            trigger = parse_fql(m.trigger)
        except ValueError as exc:
            item["reasons"] = [f"the trigger is not valid FQL: {getattr(exc, 'message', exc)}"]
            item["trigger_error"] = True
            results.append(item)
            continue
        reasons = list(trigger.explain(event))
        item["fires"] = not reasons and bool(trigger.matches(event))
        if not item["fires"]:
            item["reasons"] = reasons or ["the trigger does not match this event"]
        # The payload is shown even when the trigger does not fire: it is what the user is designing.
        try:
            result = build_payload(m.action, m.settings, event)
        except Exception as exc:  # noqa: BLE001 - one broken mapping must not hide the others
            item.update(ok=False, payload=None, problems=[], error=str(exc))
        else:
            item.update(
                ok=bool(result.ok),
                payload=result.payload if result.ok else None,
                problems=[
                    {"field": p.field, "label": p.label, "message": p.message} for p in result.problems
                ],
                error=result.error,
            )
        results.append(item)
    return results


def problem_text(problem: dict[str, Any]) -> str:
    """ "Title must be a string…" as is; "Field: message" when the message does not name its field."""
    name = problem.get("label") or problem.get("field") or ""
    message = str(problem.get("message") or "")
    if not name or message.startswith(name) or message.startswith("/"):
        return message
    return f"{name}: {message}"


def _payload_json(payload: Any) -> str:
    from pipedrive_gui.core.jsvalues import js_to_json

    text = js_to_json(payload)
    if text is None:
        return "(nothing)"
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False)


def cmd_preview(args: argparse.Namespace) -> int:
    project = _load_project(args.project)
    event = _read_event(args.event)
    results = preview_project(project, event)
    if args.json:
        from pipedrive_gui.core.jsvalues import js_to_json

        # js_to_json keeps JavaScript's member order; re-indent for people reading it.
        print(json.dumps(json.loads(js_to_json(results) or "[]"), indent=2, ensure_ascii=False))
        return 0
    if not results:
        print("The project has no mappings.")
    for r in results:
        state = "FIRES" if r["fires"] else "does not fire"
        disabled = " (disabled)" if not r["enabled"] else ""
        print(f"{r['name']} [{r['action']}]{disabled}: {state}")
        for reason in r["reasons"]:
            print(f"    - {reason}")
        if r.get("trigger_error") or not r["fires"]:
            continue  # the payload of a mapping that does not fire is in --json output
        if r["ok"]:
            print("    payload:")
            for line in _payload_json(r["payload"]).splitlines():
                print(f"      {line}")
        else:
            print("    payload problems:")
            for p in r["problems"]:
                print(f"      - {problem_text(p)}")
            if r["error"] and not r["problems"]:
                print(f"      - {r['error']}")
    if results:
        firing = sum(1 for r in results if r["fires"] and r["enabled"])
        print(f"{firing} of {len(results)} mapping(s) would send this event to Pipedrive.")
        if firing:
            import shlex

            shown = "EVENT" if args.event == "-" else shlex.quote(args.event)
            # A hint, not a result: stderr, so scripts reading stdout see only the preview.
            print(
                f"Next: `pipedrive-gui send {shlex.quote(args.project)} {shown} --dry-run` shows which "
                "Pipedrive records it would update or create, without changing anything.",
                file=sys.stderr,
            )
    return 0


def _is_project_file(path: Path) -> bool:
    """Whether ``path`` holds a Pipedrive Mapper project (which an export must never replace)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"format"' in head and b'"pipedrive-map"' in head


def _write_output(text: str, output: str | None, project_path: str | None = None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    target = Path(output)
    if target.is_dir():
        raise CliError(f"{output} is a folder: give a file name for -o, e.g. {target / 'segment.json'}", 2)
    same = project_path is not None and target.exists() and target.resolve() == Path(project_path).resolve()
    if same or _is_project_file(target):
        raise CliError(
            f"{output} is a Pipedrive Mapper project; the export was not written, so the "
            "project is unchanged. Choose another -o file.",
            2,
        )
    from pipedrive_gui.core.project import atomic_write_text

    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise CliError(f"Could not write {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:
    from pipedrive_gui.core import segment_io

    project = _load_project(args.project)
    try:
        if args.format == "segment":
            text = segment_io.export_text(project, "segment")
        elif args.format == "terraform":
            text = segment_io.export_terraform(
                project, args.destination_ref, manage_destination=args.manage_destination
            )
        else:
            text = segment_io.export_checklist(project)
    except segment_io.SegmentImportError as exc:
        raise CliError(exc.message) from None
    _write_output(text, args.output, args.project)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pipedrive_gui.core.merge import merge_mappings
    from pipedrive_gui.core.project import Project, ProjectFileError, save_project
    from pipedrive_gui.core.segment_io import SegmentImportError, read_segment

    out = Path(args.output)
    if out.is_dir():
        raise CliError(
            f"{out} is a folder: give the project file's name, e.g. -o {out / 'mappings.pipedrive-map.json'}",
            2,
        )
    merging = bool(args.merge) and out.exists()
    if out.exists() and not args.force and not merging:
        raise CliError(
            f"{out} already exists; bring the mappings into it with --merge update (same name and "
            "action: updated; others: added), --merge copy or --merge replace, or use --force to "
            "replace the whole file, or choose another -o file",
            2,
        )
    data = _read_json_input(args.file, "Segment")
    if isinstance(data, dict) and data.get("format") == "pipedrive-map":
        raise CliError(
            f"{args.file} is already a Pipedrive Mapper project: open it directly (preview, send, "
            "export), or copy it; import reads Segment's subscription JSON.",
            2,
        )
    try:
        found = read_segment(data)
    except SegmentImportError as exc:
        raise CliError(exc.message) from None
    mappings = found.mappings
    if found.ignored_settings:
        token = (
            " (the API token is never kept in a project: the app asks for it and keeps it in the system keyring)"
            if found.token_dropped
            else ""
        )
        print(
            f"not imported from the destination settings: {', '.join(found.ignored_settings)}{token}",
            file=sys.stderr,
        )
    if merging:
        project = _load_project(str(out))
        result = merge_mappings(project.mappings, mappings, args.merge)
        if args.name:
            project.name = args.name
        if found.destination is not None and found.destination != project.destination:
            print(
                f"the destination settings in {args.file} differ from {out}'s, which were kept (use --force "
                "to take the whole file's)",
                file=sys.stderr,
            )
        if not result.changed and not args.name:
            print(f"{out}: {result.summary()}; the file was left unchanged", file=sys.stderr)
            return 0
        project.mappings = result.mappings
        what = f"{result.summary()} in {out}"
    else:
        name = args.name or found.name or out.name.removesuffix(".json").removesuffix(".pipedrive-map")
        project = Project(name=name, mappings=mappings)
        if found.destination is not None:
            project.destination = found.destination
        if found.samples is not None:
            project.samples = found.samples
        what = f"imported {len(mappings)} mapping(s)"
        extras = [
            *(["the destination settings"] if found.destination is not None else []),
            *([f"{len(found.samples)} sample event(s)"] if found.samples else []),
        ]
        what += (f", {' and '.join(extras)}" if extras else "") + f" into {out}"
    try:
        save_project(project, out)
    except ProjectFileError as exc:
        raise CliError(str(exc)) from None
    print(what, file=sys.stderr)
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    from pipedrive_gui.core.samples import list_samples

    samples = list_samples()
    if args.json:
        rows = [
            {"name": s.name, "title": s.title, "type": s.event_type, "description": s.description}
            for s in samples
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max((len(s.name) for s in samples), default=0)
    for s in samples:
        print(f"{s.name.ljust(width)}  {s.title}")
        if s.description:
            print(f"{' ' * width}  {s.description}")
    return 0
