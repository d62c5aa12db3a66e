"""`register` names its tenant; `works remove` asks, names the tenant, touches one tenant's work,
and archives a work that cases cite instead of deleting it (real SQLite, real index)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from dramaguard.cli import app
from dramaguard.settings import Settings
from storage.cases import Case
from storage.db import make_engine, session_factory, transaction
from storage.models import Episode, Work

runner = CliRunner()


def cli(home: Path, *args, input: str | None = None):
    return runner.invoke(app, ["--home", str(home), *map(str, args)], input=input, catch_exceptions=False)


def _sessions(home: Path):
    return session_factory(make_engine(Settings(home=home).resolved_database_url))


def test_register_without_holder_refuses_until_the_tenant_is_clear(tmp_path, sample_media):
    home = tmp_path / "home"
    refused = cli(home, "register", "--work", "W", sample_media["ep1"])
    assert refused.exit_code == 2 and "--holder" in refused.stderr and "none exists yet" in refused.stderr
    assert cli(home, "register", "--work", "W", "--holder", "星河", sample_media["ep1"]).exit_code == 0
    only = cli(home, "register", "--work", "W", "--episode-start", "2", "--json", sample_media["ep2"])  # the one tenant there is
    assert only.exit_code == 0 and json.loads(only.stdout.splitlines()[-1])["holder"] == "星河"
    assert "rights holder: 星河" in only.stderr
    cli(home, "register", "--work", "V", "--holder", "乙公司", sample_media["innocent"])
    again = cli(home, "register", "--work", "W", sample_media["ep2"])
    assert again.exit_code == 2 and "星河" in again.stderr and "乙公司" in again.stderr
    works = json.loads(cli(home, "works", "list", "--json").stdout)
    assert sorted(w["holder"] for w in works) == ["乙公司", "星河"]  # no tenant "default"


def test_works_remove_asks_names_the_tenant_and_archives_cited_works(tmp_path, sample_media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "W", "--holder", "甲", sample_media["ep1"])
    cli(home, "register", "--work", "W", "--holder", "乙", sample_media["ep2"])
    both = cli(home, "works", "remove", "W", "--yes")
    assert both.exit_code == 2 and "甲" in both.stderr and "乙" in both.stderr
    declined = cli(home, "works", "remove", "W", "--holder", "乙", input="n\n")
    assert declined.exit_code == 1 and "of '乙'" in declined.stdout and "delete" in declined.stdout
    assert len(json.loads(cli(home, "works", "list", "--json").stdout)) == 2

    sessions = _sessions(home)
    with transaction(sessions) as session:
        work = session.scalar(select(Work).join(Work.holder).where(Work.title == "W").where(Work.holder.has(name="甲")))
        episode = session.scalar(select(Episode).where(Episode.work_id == work.id))
        now = datetime.now(UTC)
        session.add(Case(holder_id=work.holder_id, work_id=work.id, episode_id=episode.id, platform="douyin",
                         video_id="v1", url="https://v.douyin.example/v1", state="notified", action="notify",
                         score=0.9, matched_ms=6000, query_share=1.0, ref_share=1.0, detected_at=now,
                         notice_deadline=now + timedelta(hours=2)))
        work_id, episode_id = work.id, episode.id
    archived = cli(home, "works", "remove", "W", "--holder", "甲", "--yes")
    assert archived.exit_code == 0 and "archive" in archived.stdout and "1 case(s)" in archived.stdout
    with transaction(sessions) as session:
        work = session.get_one(Work, work_id)
        assert work.archived_at is not None and session.get(Episode, episode_id) is not None
        assert session.scalar(select(Case.id).where(Case.work_id == work_id)) is not None
    scan = cli(home, "scan", "--json", "--min-score", "0", sample_media["flip"])  # ep1's copy: no longer matched
    assert json.loads(scan.stdout.splitlines()[-1])["matches"] == []
    assert cli(home, "check").exit_code == 0  # the archived episode is neither missing nor orphaned
    assert (home / "references" / str(episode_id)).is_dir()  # its keyframes are evidence: kept

    deleted = cli(home, "works", "remove", "W", "--holder", "乙", input="y\n")
    assert deleted.exit_code == 0 and "removed 'W' of '乙'" in deleted.stdout
    rows = json.loads(cli(home, "works", "list", "--json").stdout)
    assert [(r["holder"], r["archived"]) for r in rows] == [("甲", True)]


def test_users_list_and_disable(tmp_path):
    home = tmp_path / "home"
    assert cli(home, "users", "add", "boss@example.test", "--role", "admin", "--no-password").exit_code == 0
    assert cli(home, "users", "add", "legal@example.test", "--role", "legal", "--holder", "星河",
               "--no-password").exit_code == 0
    token = cli(home, "users", "token", "legal@example.test").stdout.strip()
    listed = json.loads(cli(home, "users", "list", "--json").stdout)
    assert [(u["email"], u["role"], u["holder"], u["active"]) for u in listed] == [
        ("boss@example.test", "admin", None, True), ("legal@example.test", "legal", "星河", True)]
    assert "legal@example.test" in cli(home, "users", "list").stdout
    assert cli(home, "users", "disable", "legal@example.test").exit_code == 0
    assert not json.loads(cli(home, "users", "list", "--json").stdout)[1]["active"]
    from storage.auth import user_for_token

    with transaction(_sessions(home)) as session:
        assert user_for_token(token, session=session) is None  # the token no longer works
    assert cli(home, "users", "disable", "nobody@example.test").exit_code == 1
    assert cli(home, "users", "enable", "legal@example.test").exit_code == 0
