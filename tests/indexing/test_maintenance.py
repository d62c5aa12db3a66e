"""dramaguard check / backup / restore on a real home."""
from __future__ import annotations

import io
import json
import tarfile

import numpy as np
from sqlalchemy import update
from typer.testing import CliRunner

from dramaguard.cli import app
from indexing.catalogue import Services
from dramaguard.settings import Settings
from storage.db import transaction
from storage.models import Fingerprint

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, list(map(str, args)), catch_exceptions=False)


def _scan(home, path):
    result = cli("--home", home, "scan", "--json", "--min-score", "0", path)
    return json.loads(result.stdout.splitlines()[-1])["matches"]


def test_backup_restore_into_a_fresh_home_scans_identically(tmp_path, sample_media):
    home, fresh, archive = tmp_path / "home", tmp_path / "fresh", tmp_path / "b.tar.gz"
    cli("--home", home, "register", "--work", "W", "--holder", "H", sample_media["ep1"], sample_media["ep2"])
    assert cli("--home", home, "backup", archive).exit_code == 0
    assert cli("--home", fresh, "restore", archive).exit_code == 0
    for key in ("compilation", "flip", "pad_speed"):
        assert _scan(fresh, sample_media[key]) == _scan(home, sample_media[key])
    assert json.loads(cli("--home", fresh, "check", "--json").stdout)["ok"] is True


def test_restore_refuses_a_tampered_archive_and_a_non_empty_home(tmp_path, sample_media):
    home, archive = tmp_path / "home", tmp_path / "b.tar.gz"
    cli("--home", home, "register", "--work", "W", "--holder", "H", sample_media["ep1"])
    cli("--home", home, "backup", archive)
    result = cli("--home", home, "restore", archive)
    assert result.exit_code == 1 and "not empty" in result.stderr

    tampered = tmp_path / "t.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.endswith(".faiss"):
                data = data[:-10] + b"x" * 10
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    result = cli("--home", tmp_path / "new", "restore", tampered)
    assert result.exit_code == 1 and "checksum mismatch" in result.stderr
    assert not (tmp_path / "new" / "index").exists()


def test_restore_refuses_path_traversal(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        payload = b"owned"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    result = cli("--home", tmp_path / "home", "restore", evil)
    assert result.exit_code == 1 and "unsafe or damaged" in result.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_check_finds_and_repairs_drift_and_reports_corruption(tmp_path, sample_media):
    settings = Settings(home=tmp_path / "home")
    with Services.open(settings) as services:
        services.register_files([sample_media["ep1"], sample_media["ep2"]], work="W")
        services.index.add(4242, np.array([0, 250, 500]), np.eye(3, services.index.dim, dtype=np.float32))
        services.index.remove(1)
        services.index.save()
    report = json.loads(cli("--home", settings.home, "check", "--json").stdout)
    assert report["missing_from_index"] == [1] and report["orphans_in_index"] == [4242]
    assert cli("--home", settings.home, "check", "--repair").exit_code == 0
    assert json.loads(cli("--home", settings.home, "check", "--json").stdout)["ok"] is True

    with Services.open(settings) as services, transaction(services.sessions) as session:
        session.execute(update(Fingerprint).where(Fingerprint.episode_id == 2).values(digest="0" * 64))
    result = cli("--home", settings.home, "check", "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["bad_digests"] == [2]
