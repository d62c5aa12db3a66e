"""Rows of a fingerprint version this code does not compare never reach the index (dejavu's
mistake: old vectors silently scored against new ones); `dramaguard check` lists them."""
from __future__ import annotations

import json

from sqlalchemy import select, update
from typer.testing import CliRunner

from dramaguard.cli import app
from fingerprint import versions
from fingerprint.extract import ALGORITHM, VERSION
from storage.db import make_engine, session_factory, transaction
from storage.models import Episode

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, list(map(str, args)), catch_exceptions=False)


def _matched_episodes(home, path) -> set[int]:
    result = cli("--home", home, "scan", "--json", "--min-score", "0", path)
    return {m["episode_id"] for m in json.loads(result.stdout.splitlines()[-1])["matches"]}


def test_the_registry_knows_todays_version_only():
    assert versions.comparable(ALGORITHM, VERSION)
    assert not versions.comparable(ALGORITHM, VERSION - 1)
    assert not versions.comparable("pdq", VERSION)


def test_an_older_version_is_dropped_from_the_index_and_listed_by_check(tmp_path, sample_media):
    home = tmp_path / "home"
    assert cli("--home", home, "register", "--work", "W", "--holder", "H",
               sample_media["ep1"], sample_media["ep2"]).exit_code == 0
    sessions = session_factory(make_engine(f"sqlite:///{home / 'dramaguard.db'}"))
    with transaction(sessions) as session:
        ep1 = session.scalar(select(Episode.id).where(Episode.source_name == sample_media["ep1"].name))
    assert ep1 in _matched_episodes(home, sample_media["flip"])  # a mirrored copy of ep1
    with transaction(sessions) as session:
        session.execute(update(Episode).where(Episode.id == ep1).values(fp_version=VERSION - 1))

    assert ep1 not in _matched_episodes(home, sample_media["flip"])  # the index no longer holds it
    report = json.loads(cli("--home", home, "check", "--json").stdout)
    assert report["stale_fingerprints"] == [ep1] and report["ok"] is True
    text = cli("--home", home, "check").stdout
    assert "older version" in text and str(ep1) in text
