"""The layering of docs/architecture.md, as import-linter contracts in pyproject.toml.

`make lint` runs the same contracts (`lint-imports`); this test keeps them in the suite too, so a
plain `pytest` run catches an import that points up a layer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def _lint(config: Path, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(cwd)
    monkeypatch.syspath_prepend(str(cwd))
    return lint_imports(config_filename=str(config), no_cache=True, no_logo=True)


def test_the_layer_contracts_are_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _lint(ROOT / "pyproject.toml", ROOT, monkeypatch)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def test_the_contracts_see_a_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same kind of contract on a throwaway package whose core imports Qt and an upper layer.
    pkg = tmp_path / "layered_probe"
    (pkg / "core").mkdir(parents=True)
    (pkg / "gui").mkdir()
    for init in (pkg / "__init__.py", pkg / "core" / "__init__.py", pkg / "gui" / "__init__.py"):
        init.write_text("")
    (pkg / "core" / "bad.py").write_text("def f():\n    import PySide6\n    from layered_probe import gui\n")
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["layered_probe"]\ninclude_external_packages = true\n\n'
        '[[tool.importlinter.contracts]]\nname = "layers"\ntype = "layers"\n'
        'containers = ["layered_probe"]\nlayers = ["gui", "core"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "qt"\ntype = "forbidden"\n'
        'source_modules = ["layered_probe.core"]\nforbidden_modules = ["PySide6"]\n'
    )
    code = _lint(config, tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert code == 1
    assert "0 kept, 2 broken" in out, out
    assert "layered_probe.core.bad -> PySide6" in out
