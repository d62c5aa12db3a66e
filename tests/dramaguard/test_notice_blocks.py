"""Nothing fails silently: a blocked notice, a delivery given up or retrying are recorded on the
case with what to do, and ``status`` says degraded (exit 1) until they are dealt with."""
from __future__ import annotations

import asyncio
import json

import typer
from typer.testing import CliRunner

from dramaguard import cli
from dramaguard.cli import daemon as cli_daemon
from monitor import casework
from monitor.demo_profile import register_example_claimant
from monitor.notice_blocks import problems
from dramaguard.settings import NoticeSettings
from notices.channels import EmailChannel
from storage import alerts
from storage.cases import Case, Delivery
from storage.db import transaction
from storage.models import Fingerprint, Work
from tests.monitor.casework_fixtures import T0, candidate, make_world
from tests.notices.servers import SmtpSink, free_port, start_smtp

from datetime import timedelta

WARN = timedelta(minutes=30)


def ingest(world, cand) -> int:
    with transaction(world.sessions) as s:
        [outcome] = casework.ingest_matches(s, candidate=cand, reports=[world.report()], clock=world.clock,
                                            settings=world.settings)
        return outcome.case_id


async def no_sleep(_delay: float) -> None:
    return None


def dispatch(world, channel):
    return asyncio.run(casework.dispatch_notices(world.sessions, channels={channel.name: channel},
                                                 clock=world.clock, settings=world.settings.notices,
                                                 home=world.settings.home))


def email_settings(port: int) -> NoticeSettings:
    return NoticeSettings(default_channel="email", smtp_host="127.0.0.1", smtp_port=port,
                          email_recipients={"douyin": "copyright@douyin.example"})


def status(home, sessions) -> tuple[int, dict]:
    """``dramaguard status --json`` on this home (the fixture's placeholder fingerprints are
    dropped first: the index would refuse their shape)."""
    with transaction(sessions) as s:
        s.query(Fingerprint).delete()
    root = typer.Typer()
    root.callback()(cli.main)
    cli_daemon.register(root)
    result = CliRunner().invoke(root, ["--home", str(home), "status", "--json"])
    [line] = [x for x in result.output.splitlines() if x.startswith("{")]  # log lines share the stream
    return result.exit_code, json.loads(line)


def test_no_profile_blocks_the_notice_says_why_and_status_is_degraded(tmp_path):
    sink = SmtpSink()
    smtp = start_smtp(sink)
    try:
        world = make_world(tmp_path, email_settings(smtp.port), claimant=False)
        case_id = ingest(world, candidate("v1"))
        channel = EmailChannel(host="127.0.0.1", port=smtp.port, sender="dg@example.test", sleep=no_sleep)
        assert dispatch(world, channel) == [] and sink.messages == []
        with transaction(world.sessions) as s:
            assert s.get(Case, case_id).state == "detected"  # not "sending": nothing was recorded
            [problem] = problems(s, now=T0, warn_before=WARN)
            assert problem.kind == "notice_blocked" and problem.case_id == case_id
            assert problem.missing == ("claimant_profile",)
            assert "To unblock: create the claimant profile" in problem.message
        code, snap = status(tmp_path, world.sessions)
        assert code == 1 and snap["status"] == "degraded"
        assert [p["kind"] for p in snap["notice_problems"]] == ["notice_blocked"]

        with transaction(world.sessions) as s:  # the holder completes its profile and proofs
            register_example_claimant(s, s.get_one(Work, world.work_id), home=tmp_path)
        [result] = dispatch(world, channel)
        assert result.status == "sent" and len(sink.messages) == 1
        with transaction(world.sessions) as s:
            assert problems(s, now=T0, warn_before=WARN) == []
            assert [a.acknowledged for a in alerts.alerts(s, kind="notice_blocked")] == [True]
        assert status(tmp_path, world.sessions)[1]["notice_problems"] == []
    finally:
        smtp.stop()


def test_a_copy_without_upload_time_or_uploader_is_not_noticed(tmp_path):
    world = make_world(tmp_path, email_settings(free_port()))
    case_id = ingest(world, candidate("v1", uploaded_at=None, uploader_id=None))
    assert dispatch(world, EmailChannel(host="127.0.0.1", port=1, sender="dg@example.test", sleep=no_sleep)) == []
    with transaction(world.sessions) as s:
        [problem] = problems(s, now=T0, warn_before=WARN, case_id=case_id)
        assert set(problem.missing) == {"uploader", "upload_time"}
        assert "upload time" in problem.message and "条例第十四条(二)" in problem.message


def test_smtp_outage_is_retrying_and_a_refusal_is_given_up(tmp_path):
    world = make_world(tmp_path, email_settings(free_port()))  # nothing listens there
    case_id = ingest(world, candidate("v1"))
    down = EmailChannel(host="127.0.0.1", port=world.settings.notices.smtp_port, sender="dg@example.test",
                        sleep=no_sleep, timeout_s=2)
    [result] = dispatch(world, down)
    assert result.status == "failed"
    with transaction(world.sessions) as s:
        [problem] = [p for p in problems(s, now=T0, warn_before=WARN) if p.case_id == case_id]
        assert problem.kind == "delivery_retrying" and "4 attempt(s)" in problem.message
        assert s.get(Case, case_id).state == "detected"
    sink = SmtpSink(reject=True)
    smtp = start_smtp(sink)
    try:
        refusing = EmailChannel(host="127.0.0.1", port=smtp.port, sender="dg@example.test", sleep=no_sleep)
        [result] = dispatch(world, refusing)
    finally:
        smtp.stop()
    assert result.status == "failed"
    with transaction(world.sessions) as s:
        assert s.query(Delivery).one().status == "failed"
        [problem] = problems(s, now=T0, warn_before=WARN)
        assert problem.kind == "delivery_given_up" and "refused for good" in problem.message
        assert "550" in problem.message
