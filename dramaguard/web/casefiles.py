"""Turning case rows into the API's bodies: a case, its notices and its evidence keyframes' links
(the evidence itself is read by ``workspace.evidence``, against its sealed manifest)."""
from __future__ import annotations

from pathlib import Path

from dramaguard.web.schemas import CaseDetail, CaseOut, Keyframe, NoticeOut
from storage.cases import Case, Notice
from workspace.evidence import manifest


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate({**{k: getattr(case, k) for k in CaseOut.model_fields if k != "work_title"},
                                   "work_title": case.work.title})


def notice_out(notice: Notice) -> NoticeOut:
    delivery = notice.delivery
    return NoticeOut(
        id=notice.id,
        public_id=notice.public_id,
        work_id=notice.work_id,
        platform=notice.platform,
        stage=notice.stage,
        language=notice.language,
        recipient=notice.recipient,
        subject=notice.subject,
        created_at=notice.created_at,
        case_ids=sorted(item.case_id for item in notice.items),
        delivery_status=delivery.status if delivery else None,
        sent_at=delivery.sent_at if delivery else None,
        possibly_delivered_at=delivery.possibly_delivered_at if delivery else None,
    )


def keyframes(case: Case, home: Path, url_for) -> list[Keyframe]:
    data = manifest(case, home) or {}
    return [
        Keyframe(index=i, query_ms=k.get("query_ms", 0), ref_ms=k.get("ref_ms", 0), url=url_for(case.id, i))
        for i, k in enumerate(data.get("keyframes", []), start=1)
    ]


def case_detail(case: Case, notices: list[Notice], home: Path, url_for) -> CaseDetail:
    return CaseDetail(
        **case_out(case).model_dump(),
        matches=list(case.matches or []),
        events=list(case.events),
        notices=[notice_out(n) for n in notices],
        keyframes=keyframes(case, home, url_for),
        evidence_sha256=case.evidence_sha256,
    )
