"""Pages for what decides a case before anyone looks: licensed accounts (allowlist), per-work
policy rules (notify / review / track) and excluded intervals. The same checks as the API."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dramaguard.web.deps import DB, not_found
from dramaguard.web.forms import Line, Text, split_names
from dramaguard.web.schemas import ExclusionIn, PolicyIn
from dramaguard.web.ui import AnyUser, Csrf, RuleUser, render
from notices.allowlist import AllowEntry, AllowKind
from notices.policy import Action, PolicyRule
from storage import work_rules
from storage import scoped
from storage.auth import Role
from storage.models import RightsHolder
from workspace.works import add_exclusion

router = APIRouter(include_in_schema=False)


@router.get("/allowlist", response_class=HTMLResponse, name="allowlist_page")
def allowlist_page(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    works = [w for w, _ in scoped.list_works(holder_id=principal.scope, session=session)]
    holders = scoped.list_holders(session=session) if principal.role == Role.ADMIN else []
    return render(request, "allowlist.html", principal, entries=scoped.list_allow_entries(
        holder_id=principal.scope, session=session), works={w.id: w for w in works},
        holder_names={h.id: h.name for h in scoped.list_holders(session=session)},
        holders=holders, kinds=list(AllowKind))


@router.post("/allowlist", dependencies=[Csrf], name="allowlist_add")
def allowlist_add(
    request: Request, principal: RuleUser, session: DB,
    kind: Annotated[AllowKind, Form()],
    value: Annotated[Line, Form(min_length=1, max_length=500)],
    platform: Annotated[Line, Form(max_length=50)] = "",
    note: Annotated[Text, Form(max_length=500)] = "",
    work_id: Annotated[str, Form(max_length=20)] = "",
    holder_id: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    entry = AllowEntry(kind, value.strip(), platform.strip() or None, note.strip())
    if work_id.strip():
        if scoped.get_work(int(work_id), holder_id=principal.scope, session=session) is None:
            raise not_found("work")
        work_rules.add_allow_entry(session, entry, work_id=int(work_id))
    else:
        owner = int(holder_id) if principal.role == Role.ADMIN and holder_id.strip() else principal.holder_id
        if owner is None or session.get(RightsHolder, owner) is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "choose the rights holder or a work")
        work_rules.add_allow_entry(session, entry, holder_id=owner)
    return RedirectResponse(request.url_for("allowlist_page"), status.HTTP_303_SEE_OTHER)


@router.post("/allowlist/{entry_id}/delete", dependencies=[Csrf], name="allowlist_delete")
def allowlist_delete(entry_id: int, request: Request, principal: RuleUser, session: DB) -> RedirectResponse:
    row = scoped.get_allow_entry(entry_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("allowlist entry")
    session.delete(row)
    return RedirectResponse(request.url_for("allowlist_page"), status.HTTP_303_SEE_OTHER)


def _work(work_id: int, principal, session):
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    return work


@router.get("/works/{work_id}/rules", response_class=HTMLResponse, name="work_rules_page")
def work_rules_page(work_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    work = _work(work_id, principal, session)
    return render(request, "rules.html", principal, work=work, actions=list(Action),
                  rules=scoped.list_policy_rules(work.id, session=session),
                  exclusions=scoped.list_exclusions(work, session=session),
                  episodes={e.id: e for e in work.episodes})


def _back(request: Request, work_id: int) -> RedirectResponse:
    return RedirectResponse(request.url_for("work_rules_page", work_id=work_id), status.HTTP_303_SEE_OTHER)


def _form_error(exc: ValidationError) -> HTTPException:
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, fields)


@router.post("/works/{work_id}/policy", dependencies=[Csrf], name="policy_add")
def policy_add(
    work_id: int, request: Request, principal: RuleUser, session: DB,
    action: Annotated[Action, Form()],
    priority: Annotated[int, Form(ge=0, le=10_000)] = 100,
    min_matched_s: Annotated[float, Form(ge=0, le=86_400)] = 0.0,
    min_query_pct: Annotated[float, Form(ge=0, le=100)] = 0.0,
    min_ref_pct: Annotated[float, Form(ge=0, le=100)] = 0.0,
    min_score: Annotated[float, Form(ge=0, le=1)] = 0.0,
    platforms: Annotated[Line, Form(max_length=1000)] = "",
    name: Annotated[Line, Form(max_length=200)] = "",
) -> RedirectResponse:
    work = _work(work_id, principal, session)
    try:
        body = PolicyIn(action=action, priority=priority, min_matched_s=min_matched_s,
                        min_query_share=min_query_pct / 100, min_ref_share=min_ref_pct / 100,
                        min_score=min_score, platforms=split_names(platforms), name=name.strip())
    except ValidationError as exc:
        raise _form_error(exc) from None
    rule = PolicyRule(body.action, priority=body.priority, min_matched_s=body.min_matched_s,
                      min_query_share=body.min_query_share, min_ref_share=body.min_ref_share,
                      min_score=body.min_score, platforms=frozenset(body.platforms), name=body.name)
    work_rules.add_policy_rule(session, work_id=work.id, rule=rule)
    return _back(request, work.id)


@router.post("/policy/{rule_id}/delete", dependencies=[Csrf], name="policy_delete")
def policy_delete(rule_id: int, request: Request, principal: RuleUser, session: DB) -> RedirectResponse:
    row = scoped.get_policy_rule(rule_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("policy rule")
    work_id = row.work_id
    session.delete(row)
    return _back(request, work_id)


@router.post("/works/{work_id}/exclusions", dependencies=[Csrf], name="exclusion_add")
def exclusion_add(
    work_id: int, request: Request, principal: RuleUser, session: DB,
    episode_id: Annotated[int, Form()],
    start_s: Annotated[float, Form(ge=0, le=86_400)] = 0.0,
    end_s: Annotated[str, Form(max_length=20)] = "",
    whole: Annotated[bool, Form()] = False,
    reason: Annotated[Line, Form(max_length=200)] = "",
) -> RedirectResponse:
    work = _work(work_id, principal, session)
    try:
        body = ExclusionIn(episode_id=episode_id, start_s=start_s, end_s=float(end_s) if end_s.strip() else None,
                           whole=whole, reason=reason.strip())
    except ValidationError as exc:
        raise _form_error(exc) from None
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "end_s") from None
    add_exclusion(work, **body.model_dump(), session=session)
    return _back(request, work.id)


@router.post("/exclusions/{exclusion_id}/delete", dependencies=[Csrf], name="exclusion_delete")
def exclusion_delete(exclusion_id: int, request: Request, principal: RuleUser, session: DB) -> RedirectResponse:
    row = scoped.get_exclusion(exclusion_id, holder_id=principal.scope, session=session)
    if row is None:
        raise not_found("excluded interval")
    work_id = session.get_one(scoped.Episode, row.episode_id).work_id
    session.delete(row)
    return _back(request, work_id)


@router.get("/works/{work_id}/episodes/{episode_id}/receipt", name="receipt_download")
def receipt_download(work_id: int, episode_id: int, principal: AnyUser, session: DB) -> Response:
    """The registration receipt exactly as issued: the canonical JSON its SHA-256 covers."""
    work = _work(work_id, principal, session)
    if episode_id not in {e.id for e in work.episodes}:
        raise not_found("episode")
    row = scoped.receipts_of(work, session=session).get(episode_id)
    if row is None:
        raise not_found("receipt")
    return Response(row.body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{row.receipt_id}.json"',
                             "X-Receipt-SHA256": row.sha256})
