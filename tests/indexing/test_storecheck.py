"""The evidence-store half of ``dramaguard check``: sealed packages, receipts, crash debris."""
from __future__ import annotations

import numpy as np
from sqlalchemy import update

from monitor import casework
from dramaguard.settings import NoticeSettings
from indexing.storecheck import check_store, remove_drift
from notices.evidence import KeyframePair
from storage import registry
from storage.db import transaction
from storage.receipts import RegistrationReceiptRow
from tests.monitor.casework_fixtures import candidate, make_world


def _world_with_a_case(tmp_path):
    (tmp_path / "home").mkdir()
    world = make_world(tmp_path / "home", NoticeSettings(default_channel="http"))
    frame = np.full((64, 36, 3), 128, dtype=np.uint8)
    with transaction(world.sessions) as s:
        [outcome] = casework.ingest_matches(
            s, candidate=candidate("v1"), reports=[world.report()], clock=world.clock,
            settings=world.settings,
            keyframes={world.episode_ids[0]: [KeyframePair(1000, 2000, frame, frame)]})
    return world, outcome.case_id


def _check(world, grace_s=0.0):
    with transaction(world.sessions) as s:
        return check_store(s, world.settings.home, world.settings.index_dir, grace_s=grace_s)


def test_a_sealed_package_checks_clean_and_tampering_is_reported(tmp_path):
    world, case_id = _world_with_a_case(tmp_path)
    report = _check(world)
    assert (report.evidence, report.receipts) == (1, 1)
    assert not report.damaged and not report.drift
    assert report.without_keyframes == world.episode_ids  # the fixture keeps no reference frames

    package = world.settings.home / "evidence" / f"DG-E-{case_id:06d}"
    (package / "keyframes" / "01.png").write_bytes(b"not the sealed picture")
    with transaction(world.sessions) as s:
        s.execute(update(RegistrationReceiptRow).values(body="{}"))
    report = _check(world)
    assert report.damaged
    assert any("does not match the evidence manifest" in p for p in report.bad_evidence)
    assert report.bad_receipts and "body does not match" in report.bad_receipts[0]

    (package / "evidence.json").unlink()
    assert any("evidence.json: missing" in p for p in _check(world).bad_evidence)


def test_crash_debris_is_reported_after_the_grace_and_removed_by_repair(tmp_path):
    world, case_id = _world_with_a_case(tmp_path)
    home = world.settings.home
    with transaction(world.sessions) as session:
        episode = min(registry.all_episode_ids(session=session))  # a registered episode's folder
    grid_staging = f"references/{episode}/.crop-grid-v1-wxyz.npz"  # a stored crop grid cut short
    debris = {
        grid_staging: "leftover",
        "evidence/DG-E-000099/keyframes/01.tmp": "orphan",   # a case that never committed
        "references/99/000001000.png": "orphan",            # keyframes of an uncommitted episode
        "index/frames.faiss.x1y2.tmp": "leftover",          # an index save cut short
        "references/.3-abcd/000000000.png": "leftover",     # a keyframe folder being staged
        "samples/douyin/.sample-efgh/source.mp4": "leftover",
        "uploads/0123abcd/ep.mp4": "leftover",              # an upload the API was receiving
    }
    for name in debris:
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(b"x")
    assert not _check(world, grace_s=3600).drift  # young files: a write may be in progress

    report = _check(world)
    assert report.orphans == ["evidence/DG-E-000099", "references/99"]
    assert set(report.leftovers) == {
        "evidence/DG-E-000099/keyframes/01.tmp", "index/frames.faiss.x1y2.tmp", grid_staging,
        "references/.3-abcd", "samples/douyin/.sample-efgh", "uploads/0123abcd"}
    assert not report.damaged

    remove_drift(home, report)
    after = _check(world)
    assert not after.drift and not after.damaged and after.evidence == 1
    assert (home / "evidence" / f"DG-E-{case_id:06d}" / "evidence.json").is_file()


def test_ownership_proofs_are_checked_against_their_digest(tmp_path):
    world, _ = _world_with_a_case(tmp_path)  # the fixture's claimant has a seal and a certificate
    report = _check(world)
    assert report.proofs == 2 and not report.bad_proofs and not report.drift
    seal, certificate = sorted((world.settings.home / "proofs").rglob("*.*"), key=lambda p: p.suffix)
    certificate.write_bytes(b"%PDF-1.4 swapped")
    seal.unlink()
    report = _check(world)
    assert report.damaged and len(report.bad_proofs) == 2
    assert {p.split(": ", 1)[1].rsplit(" ", 4)[-1] for p in report.bad_proofs} >= {"missing"}
    assert any("does not match its digest" in p for p in report.bad_proofs)
