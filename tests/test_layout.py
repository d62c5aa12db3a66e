"""The dependency rule: domain packages never import storage, the pipeline or the composition root."""
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
    "storage": {"dramaguard", "monitor", "indexing", "workspace"},
    # the pipeline and the index's engine sit between storage and the composition root
    "indexing": {"dramaguard", "monitor", "workspace"},
    "monitor": {"dramaguard", "workspace"},
    # what people do with works and cases: over storage and the pipeline's casework, under the web
    "workspace": {"dramaguard"},
    # the shared plugin-registry helper imports nothing of the project
    "plugins": {"fingerprint", "crawler", "matcher", "notices", "storage", "indexing", "monitor", "workspace", "dramaguard"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden_imports(package: str, path: Path) -> list[str]:
    return sorted(name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN[package])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in forbidden_imports(package, path)
    ]
    assert not broken, "dependency rule broken: " + "; ".join(broken)
