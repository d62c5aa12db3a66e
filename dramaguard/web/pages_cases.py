"""The /cases page: every case the user may see, filtered, searched, paged, decided in bulk and
exported as CSV (the same filter for all three)."""
from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sqlalchemy import select

from dramaguard.web.deps import DB, Principal, allow, not_found
from dramaguard.web.formatting import csv_cell, episode_label, state_label, when_in, zone_for
from dramaguard.web.i18n import pick_language, translator
from dramaguard.web.review import send_due_notices
from dramaguard.web.roles import Cap
from dramaguard.web.ui import AnyUser, Csrf, ReviewerUser, render
from dramaguard.web.forms import Text
from notices.lifecycle import CaseState
from storage import scoped
from storage.receipts import RegistrationReceiptRow
from storage.base import utcnow
from storage.case_search import DEADLINES, FIGURES, CaseFilter, case_platforms, search_cases
from workspace.case_pdf import case_pdf
from workspace.review import decide_many

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
EXPORT_LIMIT = 50_000
ExportUser = Annotated[Principal, Depends(allow(Cap.EXPORT, ui=True))]


def case_filter(
    work_id: Annotated[str | None, Query(max_length=12, pattern=r"^\d*$")] = None,
    platform: Annotated[str | None, Query(max_length=50)] = None,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(s.value for s in CaseState) + ")?$")] = None,
    deadline: Annotated[str | None, Query(pattern="^(overdue|24h)?$")] = None,
    uploader: Annotated[str | None, Query(max_length=300)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    figure: Annotated[str | None, Query(pattern="^(" + "|".join(FIGURES) + ")?$")] = None,
) -> CaseFilter:
    """Query parameters → filter; empty form fields (``?platform=``) mean "any"."""
    return CaseFilter(work_id=int(work_id) if work_id else None, platform=platform or None, state=state or None,
                      deadline=deadline or None, uploader=(uploader or "").strip() or None,
                      q=(q or "").strip() or None, figure=figure or None)


Filter = Annotated[CaseFilter, Depends(case_filter)]


def _window_h(request: Request) -> float:
    return request.app.state.settings.notices.removal_window_hours


@router.get("/cases", response_class=HTMLResponse, name="cases_page")
def cases_page(request: Request, principal: AnyUser, session: DB, flt: Filter,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    rows, total = search_cases(flt, holder_id=principal.scope, now=utcnow(), limit=PER_PAGE,
                               offset=(page - 1) * PER_PAGE, window_h=_window_h(request), session=session)
    pages = max(1, -(-total // PER_PAGE))
    works = scoped.list_works(holder_id=principal.scope, session=session)
    return render(
        request, "cases.html", principal, cases=rows, total=total, page=page, pages=pages, flt=flt,
        params=flt.query_params(), works=[w for w, _ in works], states=list(CaseState),
        platforms=case_platforms(holder_id=principal.scope, session=session), deadlines=DEADLINES,
        done=request.query_params.get("done"), skipped=request.query_params.get("skipped"),
    )


@router.get("/cases.csv", name="cases_csv")
def cases_csv(request: Request, principal: ExportUser, session: DB, flt: Filter) -> Response:
    """The filtered list (all pages) as CSV in the user's language and zone; BOM for Excel."""
    rows, _total = search_cases(flt, holder_id=principal.scope, now=utcnow(), limit=EXPORT_LIMIT,
                                window_h=_window_h(request), session=session)
    _ = translator(pick_language(request))
    when = when_in(zone_for(request, request.app.state.settings.web.time_zone))
    ep, label = episode_label(_), state_label(_)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("case"), _("work"), _("episode"), _("platform"), "URL", _("title"), _("uploader"),
                     _("ws.uploader_id"), _("views"), _("state"), _("score"), _("ws.matched_s"),
                     _("detected_at"), _("ws.notice_deadline"), _("ws.notified_at"), _("ws.removed_at")])
    for c in rows:
        cells = [c.id, c.work.title, ep(c.episode.number) if c.episode else "", c.platform, c.url, c.title,
                 c.uploader_name, c.uploader_id, c.view_count, label(c.state), f"{c.score:.2f}",
                 f"{c.matched_ms / 1000:.1f}", when(c.detected_at), when(c.notice_deadline),
                 when(c.notified_at), when(c.removed_at)]
        writer.writerow([csv_cell(cell) for cell in cells])  # uploader text: never a formula
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="dramaguard-cases-{stamp}.csv"'})


@router.post("/cases/bulk-review", dependencies=[Csrf], name="bulk_review_form")
def bulk_review_form(
    request: Request,
    background: BackgroundTasks,
    principal: ReviewerUser,
    session: DB,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    case_id: Annotated[list[int], Form(max_length=500)],
    note: Annotated[Text, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Decide every ticked case waiting for review; others (decided meanwhile, foreign) are skipped."""
    done, skipped = decide_many(case_id, approve=decision == "approve", note=note, actor=principal, session=session)
    if decision == "approve" and done:
        background.add_task(send_due_notices, request.app)
    query = back if back.startswith("?") else "?"
    target = str(request.url_for("cases_page")) + query + ("&" if len(query) > 1 else "") + f"done={done}&skipped={skipped}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.get("/cases/{case_id}/export.pdf", name="case_pdf")
def case_pdf_download(case_id: int, request: Request, principal: ExportUser, session: DB) -> Response:
    """The court-ready case file (facts, keyframes with hashes, receipts, notices, audit log)."""
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    receipt = session.scalar(select(RegistrationReceiptRow).where(
        RegistrationReceiptRow.episode_id == case.episode_id)) if case.episode_id else None
    _ = translator(pick_language(request))
    when = when_in(zone_for(request, request.app.state.settings.web.time_zone))
    stamp = f"{principal.email}, {when(utcnow(), seconds=True)}"
    body = case_pdf(case, scoped.notices_for_case(case.id, session=session), receipt,
                    home=request.app.state.settings.home, _=_, when=when, ep=episode_label(_),
                    label=state_label(_), generated_by=stamp)
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="dramaguard-case-{case.id}.pdf"'})
