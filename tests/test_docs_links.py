"""The repository carries its own map: nothing points outside it, and every document link resolves.

A clone of the repository alone has to hold every document the README, the docs and the code's
comments refer to. So:

- no file in the repository points at the team's notes beside the checkout (the sibling
  ``shared`` folder, its design document, its "reference §N" sections), except where
  CONTRIBUTING.md and docs/segment.md describe the optional Segment oracle and where the Makefile
  runs it;
- every relative link in a Markdown file names a file that exists inside the repository, and a
  ``#section`` names a heading of that file;
- every ``docs/<page>.md#section`` cited in code, comments or documents names an existing page and
  heading.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SELF = Path(__file__).resolve()

# Built from parts so that this file does not match its own patterns.
_SHARED = r"\.\./" + "shared"
OUTSIDE = [
    (re.compile(_SHARED + r"\b"), "the team's shared folder beside the checkout"),
    (
        re.compile(r"\b" + "shared" + r"/(conformance|reference|tools|DESIGN)"),
        "a path into the team's shared folder",
    ),
    (re.compile(r"\breference" + r" §"), "a section of the team's reference notes"),
    (re.compile(r"\breference" + r"/(segment|pipedrive-api)\.md"), "the team's reference notes"),
    (re.compile(r"\bDESIGN" + r"(\.md)?\s*§|\bDESIGN" + r"\.md\b"), "the team's design notes"),
    (re.compile(r"design-" + r"anchors\.md"), "the team's style notes"),
]
#: Where the optional Segment oracle (a team tool that lives beside the checkout) may be named:
#: the Makefile runs it if it is there, these documents say what it is and that it is optional, and
#: tests/oracle.py is the one place the tests find and run it.
ORACLE = re.compile(_SHARED + r"/tools/segment-oracle\b")
ORACLE_ALLOWED = {"Makefile", "CONTRIBUTING.md", "docs/segment.md", "tests/oracle.py"}

_BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".svgz",
    ".gz",
    ".tgz",
    ".zip",
    ".whl",
    ".sqlite3",
}


def repo_files(root: Path = REPO) -> list[Path]:
    """The files a clone has: tracked ones, plus new ones git does not ignore (so a file being
    written is checked before its first commit). Without git, every file outside caches."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        names = [n for n in out.decode("utf-8").split("\0") if n]
        return [root / n for n in names if (root / n).is_file()]
    except (OSError, subprocess.SubprocessError):
        skip = {
            ".git",
            ".venv",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            "build",
            "dist",
        }
        return [p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)]


def _text(path: Path) -> str | None:
    if path.suffix.lower() in _BINARY_SUFFIXES:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def outside_pointers(files: Iterable[Path], root: Path = REPO) -> list[str]:
    problems = []
    for path in files:
        if path.resolve() == SELF:
            continue
        text = _text(path)
        if text is None:
            continue
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(text.splitlines(), 1):
            if rel in ORACLE_ALLOWED:
                line = ORACLE.sub("", line)
            for pattern, what in OUTSIDE:
                if pattern.search(line):
                    problems.append(
                        f"{rel}:{n}: points at {what} (outside the repository): {line.strip()[:120]}"
                    )
                    break
    return problems


# -- Markdown links -----------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _outside_fences(text: str) -> Iterator[tuple[int, str]]:
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _outside_fences(path.read_text(encoding="utf-8")):
        m = _HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def _check_target(source: str, target: Path, anchor: str, root: Path) -> str | None:
    try:
        target.resolve().relative_to(root.resolve())
    except ValueError:
        return f"{source}: links outside the repository"
    if not target.exists():
        return f"{source}: no such file"
    if anchor and target.suffix == ".md" and target.is_file() and anchor not in anchors(target):
        return f"{source}: {target.relative_to(root).as_posix()} has no heading for #{anchor}"
    return None


def broken_links(files: Iterable[Path], root: Path = REPO) -> list[str]:
    problems = []
    for path in files:
        if path.suffix != ".md":
            continue
        rel = path.relative_to(root).as_posix()
        for n, line in _outside_fences(path.read_text(encoding="utf-8")):
            line = _INLINE_CODE.sub("", line)
            targets = [m.group(1) for m in _LINK.finditer(line)]
            ref = _REF_DEF.match(line)
            if ref:
                targets.append(ref.group(1))
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:
                    continue
                file_part, _, anchor = target.partition("#")
                dest = (path.parent / file_part) if file_part else path
                problem = _check_target(f"{rel}:{n}: ({target})", dest, anchor, root)
                if problem:
                    problems.append(problem)
    return problems


_CITATION = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)(?:#([\w-]+))?")


def broken_citations(files: Iterable[Path], root: Path = REPO) -> list[str]:
    """``docs/page.md#section`` written in code, comments and documents (relative to the repository)."""
    problems = []
    for path in files:
        text = _text(path) if path.resolve() != SELF else None
        if text is None or "docs/" not in text:
            continue
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(text.splitlines(), 1):
            for m in _CITATION.finditer(line):
                problem = _check_target(
                    f"{rel}:{n}: (docs/{m.group(1)}{'#' + m.group(2) if m.group(2) else ''})",
                    root / "docs" / m.group(1),
                    m.group(2) or "",
                    root,
                )
                if problem:
                    problems.append(problem)
    return problems


# -- tests --------------------------------------------------------------------------------------


def test_nothing_points_outside_the_repository() -> None:
    assert outside_pointers(repo_files()) == []


def test_every_relative_link_in_the_documents_resolves() -> None:
    files = repo_files()
    assert any(p.name == "README.md" and p.parent == REPO for p in files)
    assert broken_links(files) == []


def test_every_docs_section_cited_exists() -> None:
    assert broken_citations(repo_files()) == []


def test_the_documents_the_readme_and_comments_rely_on_are_in_the_repository() -> None:
    for name in (
        "README.md",
        "CONTRIBUTING.md",
        "docs/architecture.md",
        "docs/pipedrive-api.md",
        "docs/segment.md",
        "tests/conformance/data/README.md",
    ):
        assert (REPO / name).is_file(), name


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("# Page\n\n## Rate limits\n\n```\n# not a heading\n```\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/page.md#rate-limits) [gone](docs/missing.md) [bad anchor](docs/page.md#not-a-heading)\n"
        "[web](https://example.com/x.md) `[code](docs/nope.md)` [up](../elsewhere.md)\n",
        encoding="utf-8",
    )
    code = tmp_path / "mod.py"
    code.write_text(
        "# See " + "reference" + " §10\n# and " + "../" + "shared/DESIGN.md\n# and DESIGN" + ".md\n"
        "# docs/page.md#rate-limits; docs/page.md#nope\n",
        encoding="utf-8",
    )
    files = [page, readme, code]

    links = broken_links(files, tmp_path)
    assert len(links) == 3
    assert "docs/missing.md" in links[0] and "no such file" in links[0]
    assert "#not-a-heading" in links[1]
    assert "outside the repository" in links[2]

    outside = outside_pointers(files, tmp_path)
    assert [p.split(": ")[0] for p in outside] == ["mod.py:1", "mod.py:2", "mod.py:3"]

    cited = broken_citations(files, tmp_path)
    assert [p for p in cited if p.startswith("mod.py")] == [
        "mod.py:4: (docs/page.md#nope): docs/page.md has no heading for #nope"
    ]
    assert not any("#rate-limits" in p for p in cited)


def test_the_oracle_may_be_named_only_where_it_is_explained(tmp_path: Path) -> None:
    line = "bash " + "../" + "shared/tools/segment-oracle/run.sh < cases.jsonl\n"
    (tmp_path / "CONTRIBUTING.md").write_text(line, encoding="utf-8")
    (tmp_path / "other.py").write_text("# " + line, encoding="utf-8")
    found = outside_pointers([tmp_path / "CONTRIBUTING.md", tmp_path / "other.py"], tmp_path)
    assert [p.split(": ")[0] for p in found] == ["other.py:1"]


def test_slugs_follow_githubs_rules() -> None:
    assert slug("The oracle (optional)") == "the-oracle-optional"
    assert (
        slug("`--format segment`: everything, in Segment's shapes")
        == "--format-segment-everything-in-segments-shapes"
    )
    assert slug("Leads (API v1)") == "leads-api-v1"
