"""The file side of a data home checked against the database: evidence, receipts, samples, leftovers.

What ``dramaguard check`` verifies beyond the index:

- every case's evidence package exists, ``evidence.json`` still hashes to the digest the case
  (and its notices) cite, every keyframe it lists hashes to its manifest entry, and every
  registration receipt it cites is in the database with the same digest;
- every registration receipt's body hashes to its stored digest;
- every media sample a processed candidate points to exists with its recorded digest;
- every ownership proof (storage.claimants) exists in ``proofs/`` with its recorded digest;
- which episodes have no reference keyframes (reported only: evidence for them shows the copy's
  frames without the original's, and the original video is not kept to make them again);
- no orphans — an evidence package or reference-keyframe folder that no row owns (a crash
  after the files were written but before the transaction committed) — and no half-written
  leftovers (``*.tmp`` files, staging folders, upload spools).

Orphans and leftovers are repairable (removed by ``--repair``); a digest mismatch or a missing
file is not — the evidence is gone or was changed, and a person must look. Files younger than
``grace_s`` are skipped: a running daemon or API writes its files just before it commits.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.fingerprinting import sha256_file
from storage import references, registry
from storage.receipts import RegistrationReceiptRow
from storage.cases import Case
from storage.claimants import OwnershipProof
from storage.daemon import QueuedCandidate
from storage.evidence_store import case_package_dir, evidence_root

EVIDENCE_JSON = "evidence.json"


@dataclass
class StoreReport:
    evidence: int = 0
    receipts: int = 0
    samples: int = 0
    proofs: int = 0
    bad_evidence: list[str] = field(default_factory=list)
    bad_receipts: list[str] = field(default_factory=list)
    bad_samples: list[str] = field(default_factory=list)
    bad_proofs: list[str] = field(default_factory=list)
    without_keyframes: list[int] = field(default_factory=list)  # episodes: poorer evidence only
    orphans: list[str] = field(default_factory=list)  # relative to the home
    leftovers: list[str] = field(default_factory=list)  # relative to the home
    removed: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """Lost or changed files: not repairable."""
        return bool(self.bad_evidence or self.bad_receipts or self.bad_samples or self.bad_proofs)

    @property
    def drift(self) -> bool:
        """Orphans or leftovers: repairable."""
        return bool(self.orphans or self.leftovers)


def verify_package(directory: Path, sha256: str, receipts: dict[str, str]) -> list[str]:
    """What is wrong with one sealed package (empty: nothing)."""
    manifest_path = directory / EVIDENCE_JSON
    try:
        body = manifest_path.read_bytes()
    except OSError:
        return [f"{manifest_path}: missing"]
    if hashlib.sha256(body).hexdigest() != sha256:
        return [f"{manifest_path}: does not match the digest the case cites"]
    manifest = json.loads(body)
    problems = []
    root = directory.resolve()
    for frame in manifest.get("keyframes", []):
        path = (root / frame["file"]).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            problems.append(f"{directory / frame['file']}: missing")
        elif sha256_file(path)[0] != frame["sha256"]:
            problems.append(f"{path}: does not match the evidence manifest")
    for cited in manifest.get("registration_receipts", []):
        if receipts.get(cited["receipt_id"]) != cited["sha256"]:
            problems.append(f"{manifest_path}: cites receipt {cited['receipt_id']}, "
                            "which the database does not hold with that digest")
    return problems


def _file_problem(path: Path, sha256: str) -> str | None:
    """What is wrong with a stored file the database holds the digest of (None: nothing)."""
    if not path.is_file():
        return f"{path} missing"
    if sha256_file(path)[0] != sha256:
        return f"{path} does not match its digest"
    return None


def _young(path: Path, grace_s: float, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime < grace_s
    except FileNotFoundError:
        return True  # gone meanwhile: someone is working on it


def _leftovers(home: Path, index_dir: Path) -> Iterator[Path]:
    """Half-written files and staging folders that only a crash leaves behind."""
    yield from evidence_root(home).rglob("*.tmp")
    yield from index_dir.glob("*.tmp")
    yield from references.root(home).glob(".*")
    yield from references.root(home).glob("*/.*")  # derived arrays being written (save_derived)
    yield from (home / "samples").glob("*/.sample-*")
    yield from (home / "uploads").glob("*")
    yield from (home / "proofs").glob("*/*.tmp")


def check_store(session: Session, home: Path, index_dir: Path, *, grace_s: float) -> StoreReport:
    """Compare the home's files with the database (read-only)."""
    report = StoreReport()
    now = time.time()
    receipts = {}
    for row in session.scalars(select(RegistrationReceiptRow)):
        report.receipts += 1
        receipts[row.receipt_id] = row.sha256
        if hashlib.sha256(row.body.encode("utf-8")).hexdigest() != row.sha256:
            report.bad_receipts.append(f"receipt {row.receipt_id}: body does not match its digest")
    owned = set()
    for case in session.scalars(select(Case).where(Case.evidence_id.is_not(None))):
        report.evidence += 1
        directory = case_package_dir(home, case)
        owned.add(directory.resolve())
        report.bad_evidence += [f"case {case.id}: {p}" for p in
                                verify_package(directory, case.evidence_sha256, receipts)]
    for row in session.execute(select(QueuedCandidate.id, QueuedCandidate.sample_path,
                                      QueuedCandidate.sample_sha256)
                               .where(QueuedCandidate.sample_path.is_not(None))):
        report.samples += 1
        if problem := _file_problem(Path(row.sample_path), row.sample_sha256):
            report.bad_samples.append(f"candidate {row.id}: {problem}")
    for proof in session.scalars(select(OwnershipProof)):
        report.proofs += 1
        if problem := _file_problem(proof.path(home), proof.sha256):
            report.bad_proofs.append(f"proof {proof.id} ({proof.filename}): {problem}")
    episodes = {str(e) for e in registry.all_episode_ids(session=session)}
    report.without_keyframes = sorted(int(e) for e in episodes
                                      if not (references.root(home) / e).is_dir())
    candidates = [d for d in evidence_root(home).glob("*") if d.resolve() not in owned]
    candidates += [d for d in references.root(home).glob("[!.]*") if d.name not in episodes]
    report.orphans = sorted(str(p.relative_to(home)) for p in candidates
                            if not _young(p, grace_s, now))
    report.leftovers = sorted({str(p.relative_to(home)) for p in _leftovers(home, index_dir)
                               if not _young(p, grace_s, now)})
    return report


def remove_drift(home: Path, report: StoreReport) -> None:
    """Delete the orphans and leftovers the report found (after its own grace check)."""
    for name in report.orphans + report.leftovers:
        path = home / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        report.removed.append(name)
