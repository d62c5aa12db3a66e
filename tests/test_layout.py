"""The dependency rule: domain packages never import storage or the composition root."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOMAIN = ("fingerprint", "crawler", "matcher", "notices")
FORBIDDEN = {
    "fingerprint": {"storage", "dramaguard", "crawler", "matcher", "notices"},
    "crawler": {"storage", "dramaguard"},
    "matcher": {"storage", "dramaguard", "crawler", "notices"},
    "notices": {"storage", "dramaguard", "crawler"},
    "storage": {"dramaguard"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in sorted(imported_top_levels(path) & FORBIDDEN[package])
    ]
    assert not broken, "dependency rule broken: " + "; ".join(broken)
