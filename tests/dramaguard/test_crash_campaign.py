"""A small crash campaign (benchmarks.crash_campaign, the same code and invariants as the
benchmark): the daemon and the API server run as real processes against the simulated platform;
each round SIGKILLs one of them (or both) at a seeded random moment while uploads, an API
registration and review approvals are in flight, restarts it, and checks that the database,
index and evidence store agree (dramaguard check), no case was lost, every copy got exactly one
complaint at the platform, innocent uploads none, and the daemon's workers died with it.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.crash_campaign import Campaign

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def test_random_sigkills_of_daemon_and_api_break_no_invariant(tmp_path):
    # seed 33: kill both while a delivery is being sent, the daemon at a random time, then
    # the API while it registers an episode
    campaign = Campaign(tmp_path / "home", seed=33, kill_window_s=5.0, round_timeout_s=90)
    summary = asyncio.run(campaign.run(3))
    assert summary.rounds == 3
    assert summary.kills["daemon"] + summary.kills["both"] >= 1
    assert summary.kills["api"] + summary.kills["both"] >= 1
    assert summary.violations == [], (tmp_path / "home" / "daemon.log").read_text()[-3000:]
    assert summary.uploads["pirated"] >= 3 and summary.registrations == 3
    assert summary.orphan_workers_checked >= 1  # the daemon's workers were seen, and died
