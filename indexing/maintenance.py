"""Operator tools: consistency check/repair, and backup/restore of a data home.

A backup is one ``.tar.gz`` holding a consistent SQLite snapshot (taken with SQLite's online
backup API, so it is safe while the service runs), every other file of the home (the FAISS index,
evidence, ...) and a manifest with each file's SHA-256; restore verifies the manifest before
anything is written, then unpacks into an empty home. For PostgreSQL the database is backed up
with the server's own tools (``pg_dump``), and the archive carries the rest of the home.
"""
from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from indexing.catalogue import CatalogueIndex

from indexing.fingerprinting import sha256_file
from indexing.config import CatalogueConfig
from indexing.storecheck import StoreReport, check_store, remove_drift
from sqlalchemy import select

from storage import registry
from storage.db import transaction
from storage.models import Fingerprint

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")


class MaintenanceError(Exception):
    expected = True


@dataclass
class CheckReport:
    episodes: int = 0
    indexed: int = 0
    missing_from_index: list[int] = field(default_factory=list)
    orphans_in_index: list[int] = field(default_factory=list)
    bad_digests: list[int] = field(default_factory=list)
    # fingerprinted by a version this code does not compare (fingerprint.versions): not matched
    # until registered again from their video; reported, not an error of the store
    stale_fingerprints: list[int] = field(default_factory=list)
    store: StoreReport = field(default_factory=StoreReport)
    repaired: bool = False

    @property
    def damaged(self) -> bool:
        """Corrupt fingerprints or lost/changed evidence: no repair brings them back."""
        return bool(self.bad_digests) or self.store.damaged

    @property
    def ok(self) -> bool:
        return not (self.missing_from_index or self.orphans_in_index or self.damaged
                    or self.store.drift)

    def as_json(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "store"},
                "store": self.store.__dict__, "ok": self.ok}


def check(settings: CatalogueConfig, *, repair: bool = False, grace_s: float = 300.0) -> CheckReport:
    """Compare the database with the index and the home's files (storecheck), and verify every
    stored fingerprint's digest; ``repair`` re-syncs the index and removes orphans and leftovers
    older than ``grace_s`` (younger ones may belong to a write still in progress)."""
    catalogue = CatalogueIndex(settings, reconcile=False)
    try:
        report = CheckReport()
        with transaction(catalogue.sessions) as session:
            registered = registry.episode_ids(session=session)
            for row in session.scalars(select(Fingerprint).execution_options(yield_per=200)):
                if not registry.digest_matches(row):
                    report.bad_digests.append(row.episode_id)
            report.stale_fingerprints = [episode for episode, _, _ in registry.stale_episodes(session=session)]
            report.store = check_store(session, settings.home, settings.index_dir, grace_s=grace_s)
        indexed = catalogue.index.episode_ids()
        report.episodes, report.indexed = len(registered), len(indexed)
        report.missing_from_index = sorted(registered - indexed)
        report.orphans_in_index = sorted(indexed - registered)
        if repair and (report.missing_from_index or report.orphans_in_index):
            catalogue.reconcile()
            report.repaired = True
        if repair and report.store.drift:
            remove_drift(settings.home, report.store)
            report.repaired = True
        return report
    finally:
        catalogue.close()


def _sqlite_path(settings: CatalogueConfig) -> Path | None:
    url = settings.resolved_database_url
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def backup(settings: CatalogueConfig, archive: Path) -> dict:
    """Write a verified archive of the home; returns the manifest."""
    home = settings.home
    if not home.is_dir():
        raise MaintenanceError(f"{home}: no data home to back up")
    db_file = _sqlite_path(settings)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "home"
        staging.mkdir()
        for path in sorted(home.rglob("*")):
            if not path.is_file() or path.name.endswith(SKIP_SUFFIXES) or path == db_file:
                continue
            target = staging / path.relative_to(home)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        if db_file is not None and db_file.exists():
            if not db_file.is_relative_to(home):
                raise MaintenanceError(f"{db_file}: the SQLite database lives outside the home")
            source = sqlite3.connect(db_file)
            target = sqlite3.connect(staging / db_file.relative_to(home))
            with target:
                source.backup(target)
            source.close()
            target.close()
        files = {
            str(PurePosixPath(*p.relative_to(staging).parts)): sha256_file(p)[0]
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "database": "sqlite" if db_file else "external (back up with the server's tools)",
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(PurePosixPath(*path.relative_to(staging).parts)))
        partial.replace(archive)
    return manifest


def restore(archive: Path, settings: CatalogueConfig, *, force: bool = False) -> dict:
    """Unpack a backup into the home after verifying every file against the manifest."""
    home = settings.home
    if home.exists() and any(home.iterdir()) and not force:
        raise MaintenanceError(f"{home}: not empty; restore into a new home or pass --force")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise MaintenanceError(f"{archive}: not a readable backup ({exc})") from exc
    with tar, tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        try:
            tar.extractall(staging, filter="data")  # refuses absolute paths, '..' and links out
        except (tarfile.TarError, OSError) as exc:
            raise MaintenanceError(f"{archive}: unsafe or damaged archive ({exc})") from exc
        manifest_path = staging / MANIFEST
        if not manifest_path.exists():
            raise MaintenanceError(f"{archive}: no {MANIFEST}; not a DramaGuard backup")
        manifest = json.loads(manifest_path.read_text())
        present = {
            str(PurePosixPath(*p.relative_to(staging).parts))
            for p in staging.rglob("*")
            if p.is_file() and p != manifest_path
        }
        if present != set(manifest["files"]):
            raise MaintenanceError(f"{archive}: files do not match the manifest")
        for name, digest in manifest["files"].items():
            if sha256_file(staging / name)[0] != digest:
                raise MaintenanceError(f"{archive}: {name} is corrupt (checksum mismatch)")
        home.mkdir(parents=True, exist_ok=True)
        for name in manifest["files"]:
            target = home / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(staging / name, target)
    log.info("restored %d files into %s", len(manifest["files"]), home)
    return manifest
