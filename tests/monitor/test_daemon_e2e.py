"""End to end: simulated platform + the real daemon + the real casework, as `dramaguard demo` runs it.

Run once per notice channel: e-mail to the platform's copyright mailbox (a real aiosmtpd server,
the demo's default) and the platform's complaint API. What the platform received (notices by
video) is checked against what storage.cases recorded:
one case per pirated upload, one delivered notice each, the lifecycle detected → notified →
removed in the audit log, an evidence package with side-by-side keyframes citing the episode's
registration receipt — and nothing at all for innocent or licensed uploads.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from monitor.demo import run_scenario
from monitor.health import snapshot
from indexing.catalogue import Services
from storage.cases import Case, NoticeItemRow
from storage.receipts import RegistrationReceiptRow
from storage.db import transaction


def ledger(services: Services) -> dict[str, dict]:
    """video id → its case's state, audit trail, delivered notices and evidence manifest."""
    found: dict[str, dict] = {}
    with transaction(services.sessions) as session:
        for case in session.scalars(select(Case)):
            assert case.video_id not in found, f"two cases for {case.video_id}"
            deliveries = [
                (item.stage, item.notice.delivery.status, item.notice.delivery.channel)
                for item in session.scalars(select(NoticeItemRow).where(NoticeItemRow.case_id == case.id))
            ]
            manifest = json.loads((Path(case.evidence_dir) / "evidence.json").read_text("utf-8"))
            found[case.video_id] = {
                "state": case.state, "events": [(e.from_state, e.to_state) for e in case.events],
                "deliveries": deliveries, "evidence": manifest, "dir": Path(case.evidence_dir),
            }
    return found


def notices_by_video(outcome, home: Path, channel: str) -> Counter:
    """How many notices the platform received for each of its videos, by the channel used."""
    if channel == "http":
        return Counter(v for c in outcome.sim.complaints.values() for v in c.video_ids)
    counts: Counter = Counter()
    mails = sorted((home / "mailbox").glob("*.eml"))
    assert len(mails) == outcome.mails
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain", "html")).get_content()
        counts.update(v.id for v in outcome.sim.videos.values() if outcome.sim.page_url(v) in text)
    return counts


@pytest.mark.parametrize("channel", ["email", "http"])
def test_each_pirated_upload_gets_exactly_one_notice_and_is_removed(settings, channel):
    outcome = asyncio.run(
        run_scenario(settings, episodes=2, scale=1.0, console=Console(quiet=True), timeout_s=150,
                     channel=channel)
    )
    rows = {r.video_id: r for r in outcome.rows}
    complaints = notices_by_video(outcome, settings.home, channel)

    pirated = [r for r in rows.values() if r.upload.kind == "pirated"]
    assert len(pirated) == 3
    for row in pirated:
        assert complaints[row.video_id] == 1, f"{row.upload.name}: {complaints[row.video_id]} complaints"
        assert row.notified is not None and row.removed is not None, row
        assert row.uploaded <= row.discovered <= row.matched <= row.notified <= row.removed
        assert outcome.sim.videos[row.video_id].state == "taken_down"
    for row in rows.values():
        if row.upload.kind != "pirated":
            assert complaints[row.video_id] == 0, row.upload.name
            assert row.notified is None
            assert outcome.sim.videos[row.video_id].state == "live"
    assert {r.outcome for r in rows.values() if r.upload.kind == "innocent"} == {"no_match"}
    assert [r.outcome for r in rows.values() if r.upload.kind == "licensed"] == ["licensed"]

    with Services.open(settings) as services:
        cases = ledger(services)
        with transaction(services.sessions) as session:
            receipts = {r.receipt_id for r in session.scalars(select(RegistrationReceiptRow))}
        snap = snapshot(services)
    assert len(receipts) == 2  # one per registered episode, issued at registration
    assert set(cases) == {r.video_id for r in pirated}
    for row in pirated:
        case = cases[row.video_id]
        assert case["state"] == "removed"
        assert case["events"] == [(None, "detected"), ("detected", "notified"), ("notified", "removed")]
        assert case["deliveries"] == [("notice", "sent", channel)]  # exactly one, delivered
        evidence = case["evidence"]
        assert {r["receipt_id"] for r in evidence["registration_receipts"]} <= receipts
        assert evidence["registration_receipts"]
        assert evidence["candidate"]["media_sha256"] and evidence["candidate"]["captured_at"]
        assert evidence["keyframes"], f"{row.upload.name}: no side-by-side keyframes"
        assert all((case["dir"] / k["file"]).stat().st_size > 0 for k in evidence["keyframes"])
        assert "watermark" not in evidence  # the demo's copies carry no forensic mark

    assert snap["daemon"]["running"] is False and snap["daemon"]["stopped"]
    assert snap["queue"]["db_pending"] == 0
    assert snap["cases_near_deadline"] == []
    jobs = {j["job"]: j for j in snap["jobs"]}
    assert {"discover:simulated:new", "pipeline:feed", "notices:dispatch", "notices:recheck"} <= set(jobs)
    assert all(j["ok"] for j in jobs.values()), [j for j in jobs.values() if not j["ok"]]


@pytest.mark.postgres
def test_daemon_on_postgresql_with_title_search(tmp_path, fresh_postgres_url):
    """The same run with the registry, queue, cases and job store on PostgreSQL, and the per-work
    title-search jobs switched on beside the new-uploads listing."""
    from dramaguard.settings import Settings

    settings = Settings(home=tmp_path / "home", database_url=fresh_postgres_url)
    outcome = asyncio.run(
        run_scenario(settings, episodes=2, scale=1.0, console=Console(quiet=True), timeout_s=150,
                     channel="http", search=True)
    )
    complaints = notices_by_video(outcome, settings.home, "http")
    for row in outcome.rows:
        if row.upload.kind == "pirated":
            assert complaints[row.video_id] == 1 and row.removed is not None, row.upload.name
        else:
            assert complaints[row.video_id] == 0 and row.notified is None, row.upload.name
    with Services.open(settings) as services:
        jobs = {j["job"]: j for j in snapshot(services)["jobs"]}
    searches = [j for name, j in jobs.items() if name.startswith("discover:simulated:work:")]
    assert searches and all(j["ok"] for j in searches), jobs
