"""The daemon's casework adapter and the reference keyframes behind its evidence pictures.

Real files throughout: episodes registered by the real service (which keeps keyframes and issues
receipts), a real pirated copy decoded for the query side, cases written to migrated SQLite.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from monitor.casework_adapter import NoticesCasework, cases_near_deadline, keyframe_pairs
from indexing.catalogue import Services
from indexing.reports import LeakReport
from storage import references
from storage.receipts import RegistrationReceiptRow
from storage.cases import Case
from storage.daemon import QueuedCandidate
from storage.db import transaction


def test_keyframes_are_saved_atomically_and_the_nearest_is_found(tmp_path):
    frames = [(t, np.full((24, 16), t // 10, dtype=np.uint8)) for t in (0, 1000, 2000)]
    assert references.save_keyframes(tmp_path, 7, frames) == 3
    found = references.nearest_keyframe(tmp_path, 7, 1400)
    assert found is not None and found[0] == 1000 and found[1].size == (16, 24)
    assert references.nearest_keyframe(tmp_path, 8, 0) is None
    assert [p.name for p in (tmp_path / "references").iterdir()] == ["7"]  # no staging left
    references.remove_keyframes(tmp_path, 7)
    assert references.nearest_keyframe(tmp_path, 7, 0) is None


def test_registration_keeps_keyframes_and_a_receipt_removal_drops_them(settings, sample_media):
    series = [sample_media["ep1"], sample_media["ep2"], sample_media["innocent"]]  # 3 files: the pool path
    with Services.open(settings) as services:
        results = services.register_files(series, work="契约新娘", holder="星河")
        folders = [settings.home / "references" / str(r.episode_id) for r in results]
        counts = [len(list(folder.glob("*.png"))) for folder in folders]
        assert 5 <= counts[0] <= 7 and 5 <= counts[1] <= 7 and 4 <= counts[2] <= 6  # one a second
        with transaction(services.sessions) as session:
            receipts = session.scalars(select(RegistrationReceiptRow)).all()
            assert sorted(r.episode_id for r in receipts) == sorted(r.episode_id for r in results)
        services.remove_works(services.removal_plan("契约新娘"))
        assert not any(folder.exists() for folder in folders)


def test_open_cases_builds_evidence_with_keyframes_and_the_watermark(settings, sample_media):
    with Services.open(settings) as services:
        services.register_files([sample_media["ep1"]], work="契约新娘", holder="星河")
        report = services.scan_file(sample_media["flip"])
        assert report.matches
        pairs = keyframe_pairs(settings.home, sample_media["flip"], report.matches, services.limits)
        assert pairs and all(p.query_image.ndim == 3 for ps in pairs.values() for p in ps)  # in colour
        casework = NoticesCasework(services, {})
        now = datetime.now(UTC)
        # a package left by a case whose transaction never committed (crash) is replaced
        orphan = settings.home / "evidence" / "DG-E-000001"
        orphan.mkdir(parents=True)
        (orphan / "evidence.json").write_text("{}")
        with transaction(services.sessions) as session:
            row = QueuedCandidate(
                platform="simulated", video_id="v1", url="http://127.0.0.1:1/v/v1", title="契约新娘 第1集",
                uploader_id="pirate", source="new uploads", deadline_at=now + timedelta(hours=2),
                view_count=42, sample_path=str(sample_media["flip"]), sample_sha256="a" * 64,
                captured_at=now, state="done", attempts=0, matches=[])
            session.add(row)
            session.flush()
            opened = casework.open_cases(row, report.matches, session=session,
                                         watermark=LeakReport(recipient=17, episode=1, confidence=0.93))
            again = casework.open_cases(row, report.matches, session=session)
        assert len(opened) == 1 and again == opened  # reprocessing finds the same case
        with transaction(services.sessions) as session:
            case = session.get(Case, opened[0])
            manifest = json.loads((Path(case.evidence_dir) / "evidence.json").read_text("utf-8"))
            near = cases_near_deadline(session, now=now, within=timedelta(hours=3))
            far = cases_near_deadline(session, now=now, within=timedelta(minutes=1))
    assert Path(case.evidence_dir) == orphan and manifest["evidence_id"] == "DG-E-000001"
    assert manifest["watermark"] == {"recipient": 17, "episode": 1, "confidence": 0.93}
    assert manifest["candidate"]["view_count"] == 42
    assert manifest["keyframes"] and manifest["registration_receipts"]
    assert [c["case"] for c in near] == opened and far == []
