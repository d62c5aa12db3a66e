"""`dramaguard status` in plain words, per LANG, with what waits for a person."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from dramaguard.cli import app
from dramaguard.settings import Settings
from dramaguard.cli.status_words import WORDS, job_words
from storage.cases import Case
from storage.db import make_engine, session_factory, transaction
from storage.models import Work

runner = CliRunner()


def test_job_ids_become_words() -> None:
    assert job_words("discover:simulated:work:2", WORDS["zh"]) == "在 simulated 上搜索作品 2"
    assert job_words("discover:douyin:new", WORDS["en"]) == "search douyin for new uploads"
    assert job_words("notices:dispatch", WORDS["zh"]) == "发送到期的通知"
    assert job_words("something:else", WORDS["en"]) == "something:else"


def test_status_says_what_waits_for_a_person_in_the_users_language(tmp_path, sample_media) -> None:
    home = tmp_path / "home"
    base = ["--home", str(home)]
    assert runner.invoke(app, [*base, "register", "--work", "W", "--holder", "星河", str(sample_media["ep1"])]).exit_code == 0
    sessions = session_factory(make_engine(Settings(home=home).resolved_database_url))
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        work = session.query(Work).one()
        for n, state in enumerate(("pending_review", "pending_review", "escalated", "forwarded")):
            session.add(Case(holder_id=work.holder_id, work_id=work.id, platform="douyin", video_id=f"v{n}",
                             url=f"https://v.douyin.example/{'x' * 90}{n}", state=state, action="review",
                             score=0.8, matched_ms=9000, query_share=0.5, ref_share=0.1, detected_at=now,
                             notice_deadline=now + timedelta(hours=2)))
    zh = runner.invoke(app, [*base, "status"], env={"LANG": "zh_CN.UTF-8", "COLUMNS": "60"})
    assert "监测服务未运行" in zh.stdout and "待法务审核的案件" in zh.stdout
    review_line = next(line for line in zh.stdout.splitlines() if "待法务审核的案件" in line)
    assert review_line.rstrip(" │|").endswith("2")
    assert "…" not in zh.stdout  # wrapped, never cut
    en = runner.invoke(app, [*base, "status"], env={"LANG": "en_US.UTF-8"})
    assert "Monitoring is NOT running" in en.stdout and "cases waiting for legal review" in en.stdout
    assert "disputed cases" in en.stdout
    snap = json.loads(runner.invoke(app, [*base, "status", "--json"]).stdout)
    assert snap["waiting"] == {"review": 2, "blocked": 0, "escalated": 1, "disputed": 1}
