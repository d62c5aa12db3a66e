"""Where sealed evidence packages live in a data home: ``<home>/evidence/<evidence_id>/``.

One module knows the layout, so the writer (case work), the reader (case pages) and the checker
(``dramaguard check``) cannot disagree about it.
"""
from __future__ import annotations

from pathlib import Path

from storage.cases import Case

FOLDER = "evidence"


def evidence_root(home: Path) -> Path:
    return Path(home) / FOLDER


def package_dir(home: Path, evidence_id: str) -> Path:
    """The folder a new package with this id is written to."""
    return evidence_root(home) / evidence_id


def case_package_dir(home: Path, case: Case) -> Path:
    """Where the case's package is: its recorded folder, or the same id under this home (a
    restored backup records the old home's path)."""
    recorded = Path(case.evidence_dir)
    return recorded if recorded.is_dir() else package_dir(home, case.evidence_id)


PROOFS = "proofs"


def proof_path(home: Path, holder_id: int, sha256: str, extension: str) -> Path:
    """Ownership proofs, content-addressed per rights holder: ``<home>/proofs/<holder>/<sha>.<ext>``
    (beside, not inside, ``evidence/``, whose every folder is one case's sealed package)."""
    return Path(home) / PROOFS / str(holder_id) / f"{sha256}.{extension}"
