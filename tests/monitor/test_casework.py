"""Casework end to end on a migrated SQLite database, a real complaint server and real SMTP."""
from __future__ import annotations

import asyncio
import email
import json
from datetime import timedelta
from email import policy as email_policy
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from monitor import casework
from monitor import followup
from monitor import notice_claims
from dramaguard.settings import NoticeSettings
from notices.allowlist import AllowEntry, AllowKind
from notices.channels import EmailChannel, HttpComplaintChannel
from notices.evidence import KeyframePair
from notices.lifecycle import CaseState
from notices.policy import Action, PolicyRule
from storage import alerts
from storage import receipts
from storage import work_rules
from storage.cases import Case, CaseEventRow, Delivery, Notice
from storage.db import transaction
from tests.monitor.casework_fixtures import World, candidate, make_world
from tests.notices.servers import ComplaintServer
from tests.mail_desk import mail_desk


def http_world(tmp_path: Path, base_url: str = "http://127.0.0.1:9", **kw) -> World:
    notices = NoticeSettings(default_channel="http", complaint_api_urls={"douyin": base_url})
    return make_world(tmp_path, notices, **kw)


def ingest(world: World, cand, *reports, keyframes=None):
    with transaction(world.sessions) as s:
        return casework.ingest_matches(s, candidate=cand, reports=list(reports),
                                       clock=world.clock, settings=world.settings,
                                       keyframes=keyframes)


def case_of(world: World, case_id: int) -> Case:
    with transaction(world.sessions) as s:
        case = s.get(Case, case_id)
        s.expunge(case)
        return case


def states(world: World) -> dict[str, str]:
    with transaction(world.sessions) as s:
        return {c.video_id: c.state for c in s.scalars(select(Case))}


async def no_sleep(_delay: float) -> None:
    return None


def dispatch(world: World, channel) -> list[casework.DispatchResult]:
    return asyncio.run(casework.dispatch_notices(
        world.sessions, channels={channel.name: channel}, clock=world.clock,
        settings=world.settings.notices, home=world.settings.home))


def test_strong_match_opens_case_with_evidence_receipt_and_deadline(tmp_path) -> None:
    world = http_world(tmp_path)
    frame = np.full((64, 36, 3), 128, dtype=np.uint8)
    kf = {world.episode_ids[0]: [KeyframePair(10_000, 15_000, frame, frame)]}
    [outcome] = ingest(world, candidate("v1"), world.report(), keyframes=kf)
    assert (outcome.status, outcome.action) == ("opened", "notify")
    case = case_of(world, outcome.case_id)
    assert case.state == CaseState.DETECTED
    assert case.detected_at == world.clock.now()
    assert case.notice_deadline - case.detected_at == timedelta(hours=2)
    assert (case.matched_ms, case.view_count, case.media_sha256) == (80_000, 5000, "v1" * 32)
    manifest = json.loads((Path(case.evidence_dir) / "evidence.json").read_text("utf-8"))
    assert manifest["evidence_id"] == case.evidence_id
    assert len(manifest["keyframes"]) == 1
    [citation] = manifest["registration_receipts"]
    with transaction(world.sessions) as s:
        receipt = receipts.receipt_for(s, episode_id=world.episode_ids[0])
        events = s.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case.id)).all()
    assert citation["sha256"] == receipt.sha256 and receipt.file_sha256 == "1" * 64
    assert [(e.event, e.actor, e.to_state) for e in events] == [("opened", "matcher", "detected")]


def test_short_match_goes_to_review_and_work_rules_override_defaults(tmp_path) -> None:
    world = http_world(tmp_path)
    [short] = ingest(world, candidate("v1"), world.report(seconds=12))
    assert short.action == "review" and case_of(world, short.case_id).state == "pending_review"
    with transaction(world.sessions) as s:
        work_rules.add_policy_rule(s, work_id=world.work_id, rule=PolicyRule(
            Action.NOTIFY, priority=1, min_matched_s=10, name="strict holder"))
    [strict] = ingest(world, candidate("v2"), world.report(seconds=12))
    assert (strict.action, strict.reason) == ("notify", "strict holder")


def test_allowlisted_copies_never_get_a_notice(tmp_path) -> None:
    async def run():
        async with ComplaintServer().running() as server:
            world = http_world(tmp_path, server.base_url)
            licensed = candidate("v1", uploader_id="official-xinghe")
            [by_work] = ingest(world, licensed, world.report())
            with transaction(world.sessions) as s:
                work_rules.add_allow_entry(s, AllowEntry(AllowKind.DOMAIN, "mirror.example"),
                                     holder_id=world.holder_id)
            [by_holder] = ingest(world, candidate("v2", url="https://cdn.mirror.example/v2"),
                                 world.report())
            # a case opened before its licence was recorded is stopped at dispatch time
            [late] = ingest(world, candidate("v3", uploader_id="partner-7"), world.report())
            with transaction(world.sessions) as s:
                work_rules.add_allow_entry(s, AllowEntry(AllowKind.ACCOUNT, "partner-7"),
                                     work_id=world.work_id)
            results = await casework.dispatch_notices(
                world.sessions, channels={"http": HttpComplaintChannel()}, clock=world.clock,
                settings=world.settings.notices, home=world.settings.home)
            return world, server, by_work, by_holder, late, results

    world, server, by_work, by_holder, late, results = asyncio.run(run())
    assert (by_work.status, by_work.case_id) == ("allowlisted", None)
    assert by_holder.status == "allowlisted"
    assert late.status == "opened"
    assert results == [] and server.requests == []
    assert states(world) == {"v3": "allowlisted"}


def test_rejected_match_is_not_raised_again(tmp_path) -> None:
    world = http_world(tmp_path)
    [first] = ingest(world, candidate("v1"), world.report(seconds=12))
    with transaction(world.sessions) as s:
        casework.review_case(s, first.case_id, approve=False, reviewer="legal:wang",
                             clock=world.clock, note="licensed trailer")
    [again] = ingest(world, candidate("v1"), world.report(seconds=90))
    [reupload] = ingest(world, candidate("v9", media_sha256=("v1" * 64)[:64]), world.report())
    assert again.status == reupload.status == "rejected_before"
    assert states(world) == {"v1": "rejected"}
    with transaction(world.sessions) as s:
        assert followup.casework_metrics(s, settings=world.settings.notices)[
            "false_positive_rate"] == 1.0


def test_matches_inside_excluded_credits_are_not_evidence(tmp_path) -> None:
    world = http_world(tmp_path)
    with transaction(world.sessions) as s:
        work_rules.add_excluded_interval(s, episode_id=world.episode_ids[0], start_ms=0,
                                   end_ms=20_000, reason="opening credits")
    [outcome] = ingest(world, candidate("v1"), world.report(seconds=12, ref_start=2.0))
    assert outcome.status == "excluded_only" and states(world) == {}
    [partly] = ingest(world, candidate("v2"), world.report(seconds=40, ref_start=0.0))
    case = case_of(world, partly.case_id)
    assert case.matched_ms == 20_000 and partly.action == "review"  # 40 s − 20 s of credits


def test_each_aligned_segment_is_evidence_and_credits_are_cut(tmp_path) -> None:
    world = http_world(tmp_path)
    with transaction(world.sessions) as s:
        work_rules.add_excluded_interval(s, episode_id=world.episode_ids[0], start_ms=0,
                                   end_ms=10_000, reason="opening credits")
    report = world.report(seconds=90, ref_start=0.0)
    report.segments = [{"query": [0.0, 30.0], "ref": [0.0, 30.0], "similarity": 0.9},
                       {"query": [40.0, 90.0], "ref": [45.0, 95.0], "similarity": 0.8}]
    [outcome] = ingest(world, candidate("v1"), report)
    case = case_of(world, outcome.case_id)
    spans = [(g["query_start_ms"], g["query_end_ms"], g["ref_start_ms"], g["score"])
             for g in case.matches[0]["segments"]]
    assert spans == [(10_000, 30_000, 10_000, 0.9), (40_000, 90_000, 45_000, 0.8)]
    assert case.matched_ms == 70_000


def test_one_notice_for_several_urls_sent_exactly_once(tmp_path) -> None:
    async def run():
        async with ComplaintServer().running() as server:
            world = http_world(tmp_path, server.base_url)
            ingest(world, candidate("v1"), world.report())
            ingest(world, candidate("v2"), world.report(episode=2))
            channels = {"http": HttpComplaintChannel()}
            settings = world.settings.notices
            first = await casework.dispatch_notices(world.sessions, channels=channels,
                                                    clock=world.clock, settings=settings, home=world.settings.home)
            second = await casework.dispatch_notices(world.sessions, channels=channels,
                                                     clock=world.clock, settings=settings, home=world.settings.home)
            return world, server, first, second

    world, server, first, second = asyncio.run(run())
    assert [r.status for r in first] == ["sent"] and second == []
    [complaint] = server.complaints.values()
    assert sorted(complaint["body"]["urls"]) == [candidate("v1").url, candidate("v2").url]
    assert complaint["body"]["claimant"] == "星河短剧有限公司"
    assert "《信息网络传播权保护条例》第十四条" in complaint["body"]["body"]
    assert states(world) == {"v1": "notified", "v2": "notified"}
    with transaction(world.sessions) as s:
        notice = s.scalar(select(Notice))
        assert notice.pdf.startswith(b"%PDF") and notice.delivery.external_id == "C1"


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class CrashAfterSend(HttpComplaintChannel):
    """Sends for real, then dies before the dispatcher can record the result."""

    async def deliver(self, notice, *, key):
        await super().deliver(notice, key=key)
        raise Crash()


def test_crash_between_sent_and_recorded_resends_with_the_same_key(tmp_path) -> None:
    async def run():
        async with ComplaintServer().running() as server:
            world = http_world(tmp_path, server.base_url)
            ingest(world, candidate("v1"), world.report())
            settings = world.settings.notices
            with pytest.raises(Crash):
                await casework.dispatch_notices(world.sessions, channels={"http": CrashAfterSend()},
                                                clock=world.clock, settings=settings, home=world.settings.home)
            after_crash = states(world)
            # the crashed dispatcher's send lease holds the delivery until it expires
            busy = await casework.dispatch_notices(
                world.sessions, channels={"http": HttpComplaintChannel()}, clock=world.clock,
                settings=settings, home=world.settings.home)
            assert busy == [] and len(server.requests) == 1
            world.clock.advance(timedelta(seconds=settings.send_lease_s + 1))
            results = await casework.dispatch_notices(
                world.sessions, channels={"http": HttpComplaintChannel()}, clock=world.clock,
                settings=settings, home=world.settings.home)
            return world, server, after_crash, results

    world, server, after_crash, results = asyncio.run(run())
    assert after_crash == {"v1": "detected"}  # sent, but not recorded
    assert [r.status for r in results] == ["sent"]
    assert len(server.requests) == 2 and len({r["key"] for r in server.requests}) == 1
    assert len(server.complaints) == 1 and results[0].external_id == "C1"
    with transaction(world.sessions) as s:
        sent_events = s.scalar(select(func.count()).select_from(CaseEventRow).where(
            CaseEventRow.event == "notice_sent"))
        deliveries = s.scalars(select(Delivery)).all()
    assert sent_events == 1 and [d.status for d in deliveries] == ["sent"]


def test_failed_delivery_raises_one_alert_and_is_retried_next_run(tmp_path) -> None:
    async def run():
        async with ComplaintServer(fail_next=[503, 503]).running() as server:
            world = http_world(tmp_path, server.base_url)
            ingest(world, candidate("v1"), world.report())
            channels = {"http": HttpComplaintChannel(attempts=2, sleep=no_sleep)}
            settings = world.settings.notices
            failed = await casework.dispatch_notices(world.sessions, channels=channels,
                                                     clock=world.clock, settings=settings, home=world.settings.home)
            sent = await casework.dispatch_notices(world.sessions, channels=channels,
                                                   clock=world.clock, settings=settings, home=world.settings.home)
            return world, server, failed, sent

    world, server, failed, sent = asyncio.run(run())
    assert [r.status for r in failed] == ["failed"] and "503" in failed[0].error
    assert [r.status for r in sent] == ["sent"] and len(server.complaints) == 1
    with transaction(world.sessions) as s:
        assert [a.kind for a in alerts.alerts(s)] == ["delivery_failed"]
        assert s.scalar(select(Delivery)).attempts == 3


def test_permanent_refusal_is_not_resent_every_run(tmp_path) -> None:
    async def run():
        async with ComplaintServer(fail_next=[403]).running() as server:
            world = http_world(tmp_path, server.base_url)
            ingest(world, candidate("v1"), world.report())
            channels = {"http": HttpComplaintChannel(sleep=no_sleep)}
            settings = world.settings.notices
            runs = [await casework.dispatch_notices(world.sessions, channels=channels,
                                                    clock=world.clock, settings=settings, home=world.settings.home)
                    for _ in range(2)]
            return world, server, runs

    world, server, runs = asyncio.run(run())
    assert [r.status for r in runs[0]] == ["failed"] and runs[1] == []
    assert len(server.requests) == 1 and states(world) == {"v1": "detected"}
    with transaction(world.sessions) as s:
        delivery = s.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        [alert] = alerts.alerts(s)
        assert "never without a person" in alert.message


def test_email_dispatch_over_real_smtp(tmp_path) -> None:
    with mail_desk(sender="dg@xinghe.example", platform_languages={"douyin": "en"}) as (sink, notices):
        world = make_world(tmp_path, notices)
        ingest(world, candidate("v1"), world.report())
        channel = notice_claims.build_channels(notices)["email"]
        assert isinstance(channel, EmailChannel)
        [result] = dispatch(world, channel)
    assert result.status == "sent"
    [envelope] = sink.messages
    message = email.message_from_bytes(envelope.content, policy=email_policy.default)
    assert message["Message-ID"] == result.external_id
    assert envelope.rcpt_tos == ["copyright@douyin.example"]
    assert "under penalty of perjury" in message.get_body(("plain",)).get_content()
    names = [p.get_filename() for p in message.iter_attachments()]
    assert names[:2] == [f"{result.notice_id}.pdf", f"{result.notice_id}-evidence.pdf"]
    assert len(names) == 3 and names[2].endswith("example-certificate.pdf")  # the ownership proof
    assert message["Reply-To"] == "legal@example.com"  # the holder's contact, not our sender


def test_missing_claimant_blocks_the_notice_with_an_alert(tmp_path) -> None:
    world = http_world(tmp_path, claimant=False)
    ingest(world, candidate("v1"), world.report())
    assert dispatch(world, HttpComplaintChannel()) == []
    with transaction(world.sessions) as s:
        [alert] = alerts.alerts(s)
        assert alert.kind == "notice_blocked" and "claimant profile" in alert.message
        assert s.scalar(select(func.count()).select_from(Notice)) == 0


def test_watchdog_warns_before_and_at_the_deadline(tmp_path) -> None:
    world = http_world(tmp_path)
    [outcome] = ingest(world, candidate("v1"), world.report(seconds=12))  # review case

    def watch() -> list[str]:
        with transaction(world.sessions) as s:
            return followup.run_watchdog(s, clock=world.clock, settings=world.settings.notices)

    assert watch() == []
    world.clock.advance(timedelta(minutes=91))
    assert watch() == [f"deadline_warning:{outcome.case_id}"]
    assert watch() == []  # once only
    world.clock.advance(timedelta(minutes=29))
    assert watch() == [f"deadline_breached:{outcome.case_id}"]


def test_recheck_escalation_and_legal_flag(tmp_path) -> None:
    down = {"https://v.douyin.example/v2"}

    async def url_is_down(url: str) -> bool:
        return url in down

    async def run():
        async with ComplaintServer().running() as server:
            world = http_world(tmp_path, server.base_url)
            ingest(world, candidate("v1"), world.report())
            ingest(world, candidate("v2"), world.report())
            channels = {"http": HttpComplaintChannel()}
            settings = world.settings.notices

            async def step(hours: float):
                world.clock.advance(timedelta(hours=hours))
                return await followup.recheck_removals(world.sessions, url_is_down=url_is_down,
                                                       clock=world.clock, settings=settings)

            world.clock.advance(timedelta(minutes=30))
            await casework.dispatch_notices(world.sessions, channels=channels, clock=world.clock,
                                            settings=settings, home=world.settings.home)
            checks = [await step(0.5), await step(1), await step(23)]
            escalation = await casework.dispatch_notices(
                world.sessions, channels=channels, clock=world.clock, settings=settings, home=world.settings.home)
            later = [await step(1), await step(24)]
            return world, server, checks, escalation, later

    world, server, checks, escalation, later = asyncio.run(run())
    ids = {c.video_id: c.id for c in _all_cases(world)}
    assert checks[0] == {}  # not yet due (hourly)
    assert checks[1] == {ids["v1"]: "still_up", ids["v2"]: "removed"}
    assert checks[2] == {ids["v1"]: "not_removed"}
    [result] = escalation
    assert result.stage == "escalation" and result.case_ids == (ids["v1"],)
    first, second = (c["body"] for c in server.complaints.values())
    assert "再次通知" in second["body"]
    # the escalation cites the first notice by number and date (北京时间: 08:30 UTC + 8 h)
    assert f"编号为 {first['notice_id']} 的侵权通知" in second["body"] and "2026-11-22 16:30 北京时间" in second["body"]
    assert later == [{ids["v1"]: "still_up"}, {ids["v1"]: "still_up"}]
    v1 = case_of(world, ids["v1"])
    assert v1.state == "escalated" and v1.legal_action and v1.next_check_at is None
    with transaction(world.sessions) as s:
        assert [a.kind for a in alerts.alerts(s)] == ["legal_action"]
        metrics = followup.casework_metrics(s, settings=world.settings.notices)
    assert metrics["median_detect_to_notice_s"] == 1800.0
    assert metrics["takedown_rate_24h"] == {"douyin": 0.5}
    assert metrics["median_notice_to_removal_s"] == 1.5 * 3600


def _all_cases(world: World) -> list[Case]:
    with transaction(world.sessions) as s:
        cases = list(s.scalars(select(Case)))
        for c in cases:
            s.expunge(c)
        return cases


def test_counter_notice_stops_further_notices(tmp_path) -> None:
    async def url_is_down(url: str) -> bool:
        return False

    async def run():
        async with ComplaintServer().running() as server:
            world = http_world(tmp_path, server.base_url)
            [outcome] = ingest(world, candidate("v1"), world.report())
            channels = {"http": HttpComplaintChannel()}
            settings = world.settings.notices
            await casework.dispatch_notices(world.sessions, channels=channels,
                                            clock=world.clock, settings=settings, home=world.settings.home)
            with transaction(world.sessions) as s:
                casework.receive_counter_notice(s, outcome.case_id, actor="platform",
                                                clock=world.clock, note="uploader claims licence")
                casework.forward_counter_notice(s, outcome.case_id, actor="legal:wang",
                                                clock=world.clock, settings=settings)
            world.clock.advance(timedelta(days=16))
            checked = await followup.recheck_removals(world.sessions, url_is_down=url_is_down,
                                                      clock=world.clock, settings=settings)
            again = await casework.dispatch_notices(world.sessions, channels=channels,
                                                    clock=world.clock, settings=settings, home=world.settings.home)
            with transaction(world.sessions) as s:
                raised = followup.run_watchdog(s, clock=world.clock, settings=settings)
            return world, server, outcome, checked, again, raised

    world, server, outcome, checked, again, raised = asyncio.run(run())
    assert checked == {} and again == [] and len(server.requests) == 1
    assert raised == [f"counter_notice_over:{outcome.case_id}"]
    case = case_of(world, outcome.case_id)
    assert case.state == "forwarded"
    assert case.counter_notice_until - case.notified_at == timedelta(days=15)
    with transaction(world.sessions) as s:
        actors = [e.actor for e in s.scalars(select(CaseEventRow).order_by(CaseEventRow.id))]
    assert actors == ["matcher", "channel:http", "platform", "legal:wang"]


def test_preview_renders_without_recording(tmp_path) -> None:
    world = http_world(tmp_path)
    [outcome] = ingest(world, candidate("v1"), world.report())
    with transaction(world.sessions) as s:
        rendered = notice_claims.preview_notice(s, outcome.case_id, settings=world.settings.notices, home=world.settings.home,
                                           clock=world.clock)
        assert s.scalar(select(func.count()).select_from(Notice)) == 0
    assert candidate("v1").url in rendered.text and rendered.pdf.startswith(b"%PDF")
    assert case_of(world, outcome.case_id).evidence_sha256 in rendered.text


def test_two_dispatchers_at_once_send_one_email(tmp_path) -> None:
    """The daemon's dispatch runs while the API's (after an approval) is still sending: the
    send lease keeps the delivery to one sender, so the platform's desk gets one e-mail."""
    with mail_desk() as (sink, notices):
        world = make_world(tmp_path, notices)
        ingest(world, candidate("v1"), world.report())
        channel = notice_claims.build_channels(notices)["email"]

        async def both():
            return await asyncio.gather(*(casework.dispatch_notices(
                world.sessions, channels={"email": channel}, clock=world.clock, settings=notices, home=world.settings.home)
                for _ in range(2)))

        runs = asyncio.run(both())
    assert sorted(len(r) for r in runs) == [0, 1] and len(sink.messages) == 1
    assert states(world) == {"v1": "notified"}
