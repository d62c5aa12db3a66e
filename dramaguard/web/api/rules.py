"""A tenant's allowlist (licensed accounts, channels, domains), per-work policy rules and excluded
intervals. Rights holders and legal staff manage them (the role table's ``MANAGE_RULES``)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from dramaguard.web.deps import DB, Anyone, RuleEditors, not_found
from dramaguard.web.schemas import AllowIn, AllowOut, ExclusionIn, ExclusionOut, PolicyIn, PolicyOut
from notices.allowlist import AllowEntry
from notices.policy import PolicyRule
from storage import work_rules
from storage import scoped
from storage.auth import Role
from storage.models import RightsHolder
from workspace.works import add_exclusion

router = APIRouter(tags=["rules"])


@router.get("/allowlist", response_model=list[AllowOut])
def list_allowlist(principal: Anyone, session: DB) -> list:
    return scoped.list_allow_entries(holder_id=principal.scope, session=session)


@router.post("/allowlist", response_model=AllowOut, status_code=status.HTTP_201_CREATED)
def add_allowlist(body: AllowIn, principal: RuleEditors, session: DB):
    """For one work (``work_id``) or for every work of the tenant."""
    entry = AllowEntry(body.kind, body.value, body.platform, body.note)
    if body.work_id is not None:
        if scoped.get_work(body.work_id, holder_id=principal.scope, session=session) is None:
            raise not_found("work")
        return work_rules.add_allow_entry(session, entry, work_id=body.work_id)
    if principal.role == Role.ADMIN:
        if body.holder_id is None or session.get(RightsHolder, body.holder_id) is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "admins must name a work_id or an existing holder_id")
        holder_id = body.holder_id
    elif body.holder_id not in (None, principal.holder_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "entries can only be added for your own tenant")
    else:
        holder_id = principal.holder_id
    return work_rules.add_allow_entry(session, entry, holder_id=holder_id)


@router.delete("/allowlist/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_allowlist(entry_id: int, principal: RuleEditors, session: DB) -> None:
    row = scoped.get_allow_entry(entry_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("allowlist entry")
    session.delete(row)


@router.get("/works/{work_id}/policy", response_model=list[PolicyOut])
def list_policy(work_id: int, principal: Anyone, session: DB) -> list:
    """The work's own rules, by priority (the service's defaults apply where none matches)."""
    if scoped.get_work(work_id, holder_id=principal.scope, session=session) is None:
        raise not_found("work")
    return scoped.list_policy_rules(work_id, session=session)


@router.post("/works/{work_id}/policy", response_model=PolicyOut, status_code=status.HTTP_201_CREATED)
def add_policy(work_id: int, body: PolicyIn, principal: RuleEditors, session: DB):
    if scoped.get_work(work_id, holder_id=principal.scope, session=session) is None:
        raise not_found("work")
    rule = PolicyRule(
        body.action, priority=body.priority, min_matched_s=body.min_matched_s,
        min_query_share=body.min_query_share, min_ref_share=body.min_ref_share,
        min_score=body.min_score, platforms=frozenset(body.platforms), name=body.name,
    )
    return work_rules.add_policy_rule(session, work_id=work_id, rule=rule)


@router.delete("/policy/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_policy(rule_id: int, principal: RuleEditors, session: DB) -> None:
    row = scoped.get_policy_rule(rule_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("policy rule")
    session.delete(row)


@router.get("/works/{work_id}/exclusions", response_model=list[ExclusionOut])
def list_exclusions(work_id: int, principal: Anyone, session: DB) -> list:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    return scoped.list_exclusions(work, session=session)


@router.post("/works/{work_id}/exclusions", response_model=ExclusionOut, status_code=status.HTTP_201_CREATED)
def create_exclusion(work_id: int, body: ExclusionIn, principal: RuleEditors, session: DB):
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    return add_exclusion(work, **body.model_dump(), session=session)


@router.delete("/exclusions/{exclusion_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_exclusion(exclusion_id: int, principal: RuleEditors, session: DB) -> None:
    row = scoped.get_exclusion(exclusion_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("excluded interval")
    session.delete(row)
