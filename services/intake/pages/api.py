"""The caseworker pages' routes: "Mine sager", the CPR search (a form post), the case page (sign-in and sign-out are
shared.pages.web's). A page with personal data is a caseworker's or team lead's only."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.intake.caseload.queries import CaseRow
from services.intake.caseload.schemas import CprSearchIn
from services.intake.deps import Sessions, TheVault
from services.intake.domain import Step
from services.intake.pages.domain import ListAsked, list_asked
from services.intake.pages.forms import FORMS, step_of
from services.intake.pages.render import render
from services.intake.pages.service import PAGE_SIZE, case_view, my_cases
from shared.auth import Role, scope_refusal
from shared.clock import today_in_copenhagen
from shared.db import unit_of_work
from shared.pages.domain import PageRefused, pages_of
from shared.pages.sessions import WebSession
from shared.pages.web import CheckedForm, Lang, signed_in

router = APIRouter(include_in_schema=False)
PERSONAL_DATA_ROLES: tuple[Role, ...] = ("caseworker", "team-lead")


async def caseworker_session(web: Annotated[WebSession, Depends(signed_in)]) -> WebSession:
    """A session whose principal may see personal data: a caseworker or team lead of a municipality."""
    if scope_refusal(web.principal, PERSONAL_DATA_ROLES) is not None:
        raise PageRefused(403, "forbidden", web=web)
    return web


CaseworkerSession = Annotated[WebSession, Depends(caseworker_session)]


# --- "Mine sager" -----------------------------------------------------------------------------------------------------
@router.get("/cases")
async def cases_page(
    request: Request,
    sessions: Sessions,
    web: CaseworkerSession,
    status: Annotated[str | None, Query(max_length=20)] = None,
    due: Annotated[str | None, Query(max_length=10)] = None,
    case_reference: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[str | None, Query(max_length=6)] = None,
    lang: Lang = None,
) -> HTMLResponse:
    """The caseworker's own cases: status, sub-project, course, what is due next; filters and paging in the URL."""
    asked = list_asked(status=status, due=due, case_reference_typed=case_reference, page=page)
    return await _cases(request, sessions, web, asked, typed_reference=case_reference or "")


@router.post("/cases/search")
async def cpr_search(
    request: Request, sessions: Sessions, vault: TheVault, web: CaseworkerSession, form: CheckedForm
) -> HTMLResponse:
    """The caseworker's own cases of one citizen, found by CPR number: a form post, so the number is in no URL."""
    try:
        cpr = CprSearchIn.model_validate({"cpr": form.get("cpr", "")}).cpr
    except ValidationError:
        return await _cases(request, sessions, web, ListAsked(errors=("cpr",)), status=422)
    # the number becomes its keyed hash at once and goes no further; the caseload's use case audits the search
    return await _cases(request, sessions, web, ListAsked(), cpr_hash=vault.lookup_hash(cpr))


async def _cases(
    request: Request,
    sessions: Sessions,
    web: WebSession,
    asked: ListAsked,
    *,
    typed_reference: str = "",
    cpr_hash: bytes | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows: list[CaseRow] = []
    total = 0
    if "cpr" not in asked.errors:
        async with unit_of_work(sessions) as session:
            rows, total = await my_cases(
                session,
                web.principal,
                asked,
                today=today_in_copenhagen(),
                consent_erasure_days=request.app.state.consent_erasure_days,
                cpr_hash=cpr_hash,
            )
    filters = {"status": asked.status or "", "due": asked.due or "", "case_reference": typed_reference}
    return render(
        request,
        "cases.html",
        status=422 if asked.errors and status == 200 else status,
        web=web,
        asked=asked,
        rows=rows,
        total=total,
        pages=pages_of(total, PAGE_SIZE),
        searched_cpr=cpr_hash is not None,
        page_href=lambda number: "/cases?" + urlencode({k: v for k, v in filters.items() if v} | {"page": number}),
        filters=filters,
    )


# --- the case page ----------------------------------------------------------------------------------------------------
@router.get("/cases/{case_reference}")
async def case_page(
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    web: CaseworkerSession,
    case_reference: Annotated[str, Path(max_length=20)],
    step: Annotated[str | None, Query(max_length=30)] = None,  # the form to open: a reminder's link names it
    lang: Lang = None,
) -> HTMLResponse:
    """The case: personal data (an audited read), the timeline in plain words, the commands waiting for an answer, and
    a form for each step the case allows now (the one a link names opened)."""
    return await show_case(request, sessions, vault, web, case_reference, opened=step_of(step))


async def show_case(
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    web: WebSession,
    case_reference: str,
    *,
    opened: Step | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The case page (a form's answer too: errors beside the fields, the answer, a refusal), each form with a new
    Idempotency-Key unless the answer keeps the one posted."""
    async with unit_of_work(sessions) as session:
        view = await case_view(
            session,
            vault,
            web.principal,
            case_reference,
            consent_erasure_days=request.app.state.consent_erasure_days,
            today=today_in_copenhagen(),
        )
    if view is None:
        raise PageRefused(404, "not_found", web=web)  # still signed in: the page offers the way back and sign-out
    keys = {step: uuid4().hex for step in view.steps} | context.pop("keys", {})
    context = {"errors": {}, "values": {}, "answer": None, "refused": None} | context
    return render(
        request, "case.html", status=status, web=web, view=view, opened=opened, forms=FORMS, keys=keys, **context
    )
