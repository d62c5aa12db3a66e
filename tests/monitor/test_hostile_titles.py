"""Hostile uploader text through the crawler's record, the queue and casework on PostgreSQL.

A 100 000-character title (and uploader name) is what a hostile uploader can set; PostgreSQL
refuses text longer than a column instead of clipping it, so unclipped it would fail the case
forever — a lost case. Clipped at the boundary, the case opens and keeps the text's start.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crawler.models import Candidate
from dramaguard.settings import NoticeSettings
from storage import daemon as queue
from storage.cases import Case
from storage.daemon import NewCandidate
from storage.db import transaction
from tests.monitor.casework_fixtures import T0, candidate, make_world
from tests.monitor.test_casework import ingest

HOSTILE = "<script>alert(1)</script>\r\nBcc: v@evil.example\u202e\x00" + "长" * 100_000


@pytest.mark.postgres
def test_a_100k_title_opens_a_case_and_queues_on_postgres(tmp_path, fresh_postgres_url) -> None:
    world = make_world(tmp_path, NoticeSettings(), database_url=fresh_postgres_url)
    [outcome] = ingest(world, candidate("v1", title=HOSTILE, uploader_name=HOSTILE), world.report())
    raw = Candidate(platform="douyin", video_id="v2", url="https://v.example/v2", title=HOSTILE,
                    uploader_id=HOSTILE, uploader_name=HOSTILE)
    with transaction(world.sessions) as s:
        case = s.scalar(select(Case).where(Case.id == outcome.case_id))
        assert case.title.startswith("<script>") and len(case.title) == 500 and "\x00" not in case.title
        assert case.title.endswith("…") and len(case.uploader_name) == 300
        added = queue.enqueue([NewCandidate(raw, "search", T0)], session=s)
    assert len(added) == 1
    with transaction(world.sessions) as s:
        row = queue.get(added[0][0], session=s)
        assert len(row.title) == 500 and len(row.uploader_id) == 200 and row.title.startswith("<script>")
