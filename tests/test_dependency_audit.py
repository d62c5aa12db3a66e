"""The CI's dependency audit reads pip-audit's JSON honestly: a found vulnerability fails, a
report where every package was skipped (service unreachable) is "not completed", never a pass.

pip-audit is replaced by a stand-in script that writes a given report (the real one needs the
network); the audit script itself runs for real, as a subprocess, as .ci/run runs it.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / ".ci" / "dependency_audit.py"


def run_with(tmp_path: Path, reports: dict[str, dict | None]) -> subprocess.CompletedProcess:
    """Audit a fake environment with a pip-audit stand-in answering ``reports`` per service."""
    (tmp_path / "env" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    tool = tmp_path / "tool" / "bin"
    tool.mkdir(parents=True)
    (tmp_path / "reports.json").write_text(json.dumps(reports))
    stand_in = tool / "pip-audit"
    stand_in.write_text(f"""#!{sys.executable}
import json, sys
args = sys.argv[1:]
service, out = args[args.index("--vulnerability-service") + 1], args[args.index("--output") + 1]
report = json.load(open({str(tmp_path / "reports.json")!r}))[service]
if report is None:
    sys.exit("requests.exceptions.ConnectionError: cannot resolve the service")
json.dump(report, open(out, "w"))
""")
    stand_in.chmod(0o755)
    return subprocess.run([sys.executable, str(SCRIPT), "--venv", str(tmp_path / "env"),
                           "--tool-venv", str(tmp_path / "tool")], capture_output=True, text=True, timeout=60)


SKIPPED = {"dependencies": [{"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n}"}
                            for n in ("aiohttp", "jinja2")], "fixes": []}
CLEAN = {"dependencies": [{"name": "aiohttp", "version": "3.14.5", "vulns": []},
                          {"name": "jinja2", "version": "3.1.6", "vulns": []}], "fixes": []}
VULNERABLE = {"dependencies": [{"name": "jinja2", "version": "3.1.2", "vulns": [
    {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": [], "description": "xss"}]}], "fixes": []}


@pytest.mark.parametrize(
    "reports, code, says",
    [
        ({"pypi": VULNERABLE, "osv": CLEAN}, 1, "GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"),
        ({"pypi": SKIPPED, "osv": VULNERABLE}, 1, "KNOWN VULNERABILITIES"),
        ({"pypi": CLEAN, "osv": None}, 0, "2 of 2 packages audited, no known vulnerabilities"),
        ({"pypi": SKIPPED, "osv": None}, 0, "DEPENDENCY AUDIT NOT COMPLETED"),
        ({"pypi": None, "osv": None}, 0, "DEPENDENCY AUDIT NOT COMPLETED"),
        ({"pypi": SKIPPED, "osv": CLEAN}, 0, "dependency audit (osv): 2 of 2 packages audited"),
    ],
    ids=["vulnerable", "vulnerable-osv", "clean", "all-skipped", "unreachable", "osv-fallback"],
)
def test_audit_outcomes(tmp_path: Path, reports, code: int, says: str) -> None:
    done = run_with(tmp_path, reports)
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout, done.stdout
    if code == 0 and "NOT COMPLETED" in says:
        assert "no known vulnerabilities" not in done.stdout
