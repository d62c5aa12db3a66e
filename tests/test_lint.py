"""Static checks that catch what no behaviour test sees: dead imports and variables, undefined
names, repeated dictionary keys, a class field defined twice (the later definition silently wins:
it once reset a settings default). Rules in pyproject.toml, ``[tool.ruff.lint]``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_source_tree_passes_ruff():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", "--no-cache", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
