"""End to end: simulated platform + SMTP mailbox + the real daemon, as `dramaguard demo` runs it."""
from __future__ import annotations

import asyncio
from collections import Counter

from rich.console import Console

from dramaguard.demo import run_scenario
from dramaguard.health import snapshot
from dramaguard.services import Services


def test_each_pirated_upload_gets_exactly_one_notice_and_is_removed(settings):
    outcome = asyncio.run(
        run_scenario(settings, episodes=2, scale=1.0, console=Console(quiet=True), timeout_s=150)
    )
    rows = {r.video_id: r for r in outcome.rows}
    complaints = Counter(v for c in outcome.sim.complaints.values() for v in c.video_ids)
    mails = Counter(outcome.mailbox.notice_keys())

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
    # one e-mail copy per case, each sent once
    assert len(mails) == 3 and set(mails.values()) == {1}

    with Services.open(settings) as services:
        snap = snapshot(services)
    assert snap["daemon"]["running"] is False and snap["daemon"]["stopped"]
    assert snap["queue"]["db_pending"] == 0
    jobs = {j["job"]: j for j in snap["jobs"]}
    assert {"discover:simulated:new", "pipeline:feed", "notices:dispatch", "notices:recheck"} <= set(jobs)
    assert all(j["ok"] for j in jobs.values()), [j for j in jobs.values() if not j["ok"]]
