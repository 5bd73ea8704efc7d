"""Check line coverage against the floors below, from coverage.py's JSON report.

`make pytest` runs the suite with pytest-cov, writes the JSON report and then runs this script,
which prints each floored part's figure beside its floor and exits 1 when one is missed.

    python tools/coverage_floors.py [REPORT]     (default: coverage.json)

Raise a floor when the figure rises; lowering one needs a reason in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The target is 100 % of the lines where the app decides what Segment and Pipedrive would do
# (issue 15). Where a part is not there yet its floor is today's figure rounded down to a whole
# percent: the property-based tests draw new inputs on every run, so the figures move by a few
# tenths between runs (mapping_kit 74.04-74.26 %, triggers 93.47-93.68 % in two runs).
# A key ending in "/" is a folder, else a file; paths are relative to the repository.
FLOORS: dict[str, float] = {
    # 74.0-74.3 % today: most Liquid filters, dates and syntax checks are reached only by the
    # random templates of tests/core/test_mapping_kit_oracle.py, which skips without the Segment
    # oracle (the 71 stored Liquid cases use a few filters). Rounded down one more point: it moves.
    "pipedrive_gui/core/mapping_kit/": 73.0,
    # 93.5-93.7 % today: message wording for rare value kinds (explain.py), JS coercion corners (jsops.py),
    # the length limits of the lexer, and a few defensive branches.
    "pipedrive_gui/core/triggers/": 93.0,
    "pipedrive_gui/pipedrive/planner.py": 100.0,
    # 92.5 % with the new journal (issue 11): the uncovered lines are error paths (I/O failures, upgrades of old files).
    "pipedrive_gui/receiver/journal.py": 92.0,
}
# Every other file of the package, counted together: 89.6 % today (the GUI included) on a machine
# without the Segment oracle or a Secret Service. Floor lower, at 85 %, because more tests skip
# on a machine with fewer of the optional packages (CONTRIBUTING.md), and child processes (the
# crash tests' receivers, `pipedrive-gui` runs) are not measured at all.
REST = "the rest of pipedrive_gui/"
REST_FLOOR = 85.0
PACKAGE = "pipedrive_gui/"


def _matches(path: str, key: str) -> bool:
    return path.startswith(key) if key.endswith("/") else path == key


def _percent(covered: int, statements: int) -> float:
    return 100.0 if statements == 0 else 100.0 * covered / statements


def check(report: dict[str, object]) -> tuple[list[str], bool]:
    files = report["files"]
    assert isinstance(files, dict)
    totals: dict[str, list[int]] = {key: [0, 0] for key in [*FLOORS, REST]}
    missing: dict[str, list[str]] = {key: [] for key in FLOORS}
    for raw_path, data in files.items():
        path = Path(raw_path).as_posix()
        if not path.startswith(PACKAGE):
            continue
        summary = data["summary"]
        key = next((k for k in FLOORS if _matches(path, k)), REST)
        totals[key][0] += summary["covered_lines"]
        totals[key][1] += summary["num_statements"]
        if key in missing and data["missing_lines"]:
            missing[key].append(f"{path}: {_ranges(data['missing_lines'])}")
    lines = [f"{'coverage (lines)':<40} {'covered':>15} {'figure':>8} {'floor':>7}"]
    ok = True
    for key, floor in [*FLOORS.items(), (REST, REST_FLOOR)]:
        covered, statements = totals[key]
        if statements == 0 and key != REST:
            lines.append(f"{key:<40} no file measured: is the path right?")
            ok = False
            continue
        figure = _percent(covered, statements)
        passed = 100 * covered >= floor * statements  # exact: 99.996 % does not pass a 100 % floor
        ok = ok and passed
        mark = "" if passed else "   BELOW THE FLOOR"
        lines.append(f"{key:<40} {covered:>7}/{statements:<7} {figure:>7.2f}% {floor:>6.2f}%{mark}")
        if not passed:
            lines.extend(f"    missing {entry}" for entry in missing.get(key, []))
    return lines, ok


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5, 9"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "coverage.json")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"coverage floors: no report at {path}; run the suite with --cov first", file=sys.stderr)
        return 2
    lines, ok = check(report)
    print("\n".join(lines))
    if not ok:
        print("coverage floors: a floor is missed (tools/coverage_floors.py)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
