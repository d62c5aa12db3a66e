"""Every project module is short enough to read at once, and every package says what it owns.

Counted: every ``.py`` file of the project's packages. Not counted: ``tests/`` (fixtures and
tables of cases grow with coverage; a test module is read one test at a time), Alembic's
``storage/migrations/versions/`` (generated-style scripts, never edited after release). The UI
strings are data (``dramaguard/web/locales/*.json``), not modules.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.test_import_cycles import PACKAGES

REPO = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def project_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "versions" in path.relative_to(REPO).parts:
                continue
            files.append(path)
    return files


def test_no_module_over_400_lines() -> None:
    files = project_files()
    assert files
    long = [f"{p.relative_to(REPO)} ({n} lines)" for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(long)


def test_every_package_init_says_what_it_owns() -> None:
    inits = [p for p in project_files() if p.name == "__init__.py"]
    assert inits
    silent = [str(p.relative_to(REPO)) for p in inits
              if len((ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").split()) < 5]
    assert not silent, "package __init__ without a docstring saying what it owns: " + ", ".join(silent)
