"""What the case page shows about a dispute and the uploader's other cases."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dramaguard.web.deps import Principal
from dramaguard.web.roles import Cap, can
from notices.lifecycle import CaseState
from storage.cases import Case
from workspace.disputes import DECIDABLE, DISPUTABLE, dispute_of, same_uploader_count, uploader_key


def dispute_context(case: Case, principal: Principal, session: Session) -> dict:
    dispute = dispute_of(case)
    if dispute:
        dispute = {**dispute, **{k: datetime.fromisoformat(dispute[k])
                                 for k in ("received_at", "restore_from", "restore_by") if dispute.get(k)}}
    may = can(principal.role, Cap.DISPUTES)
    return {
        "dispute": dispute,
        "can_record_dispute": may and CaseState(case.state) in DISPUTABLE,
        "can_decide_dispute": may and CaseState(case.state) in DECIDABLE,
        "uploader_key": uploader_key(case),
        "uploader_cases": same_uploader_count(case, holder_id=principal.scope, session=session),
    }
