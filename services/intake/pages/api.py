"""The caseworker pages' routes: sign-in and sign-out, "Mine sager", the CPR search (a form post), the case page.

Forms work without script. Every form carries the session's CSRF token; a post without the right one is refused
(403) before anything is read or changed. A page with personal data is a caseworker's or team lead's only.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.intake.caseload.queries import CaseRow
from services.intake.caseload.schemas import CprSearchIn
from services.intake.deps import Sessions, TheVault
from services.intake.domain import Step
from services.intake.pages.domain import (
    HOME,
    SECURITY_HEADERS,
    Lifetime,
    ListAsked,
    PageRefused,
    SignInFirst,
    home_of,
    list_asked,
    local_path,
    pages_of,
    return_path,
)
from services.intake.pages.forms import FORMS, step_of
from services.intake.pages.render import render, secure
from services.intake.pages.service import (
    PAGE_SIZE,
    WebSession,
    case_view,
    live_session,
    my_cases,
    sign_in,
    sign_out,
    token_expiry,
)
from shared.auth import Role, scope_refusal, verify_token
from shared.clock import today_in_copenhagen
from shared.db import unit_of_work

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "rummelig_session"
SIGN_IN_COOKIE = "rummelig_sign_in"
MAX_FORM_BYTES = 16 * 1024
PERSONAL_DATA_ROLES: tuple[Role, ...] = ("caseworker", "team-lead")


def lifetime_of(request: Request) -> Lifetime:
    """How long a web session lives without a request (intake's page_idle_minutes)."""
    return request.app.state.page_lifetime  # type: ignore[no-any-return]


async def current_session(request: Request, sessions: Sessions) -> WebSession | None:
    """The request's live web session, or None."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    async with unit_of_work(sessions) as session:
        return await live_session(session, session_id, now=datetime.now(UTC), lifetime=lifetime_of(request))


async def signed_in(request: Request, web: Annotated[WebSession | None, Depends(current_session)]) -> WebSession:
    """The live web session; without one, to sign-in and back here (a form's post comes back to its page)."""
    if web is None:
        raise SignInFirst(return_path(request.method, request.url.path, request.url.query))
    return web


async def caseworker_session(web: Annotated[WebSession, Depends(signed_in)]) -> WebSession:
    """A session whose principal may see personal data: a caseworker or team lead of a municipality."""
    if scope_refusal(web.principal, PERSONAL_DATA_ROLES) is not None:
        raise PageRefused(403, "forbidden", web=web)
    return web


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's fields (the first value of each); a body that is no form is an empty one."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50):
        fields.setdefault(name, value)
    return fields


async def checked_form(
    form: Annotated[dict[str, str], Depends(form_of)], web: Annotated[WebSession, Depends(signed_in)]
) -> dict[str, str]:
    """The form, if it carries the session's CSRF token (synchronizer token); else 403 and nothing is done."""
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), web.csrf_token.encode()):
        raise PageRefused(403, "csrf", web=web)
    return form


Lang = Annotated[str | None, Query(max_length=2, description="da or en: the page's language, remembered")]
CaseworkerSession = Annotated[WebSession, Depends(caseworker_session)]
CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


# --- sign-in and sign-out ---------------------------------------------------------------------------------------------
@router.get("/")
async def home(web: Annotated[WebSession, Depends(signed_in)], lang: Lang = None) -> RedirectResponse:
    """The pages start at the caseworker's cases, or provider staff's courses."""
    return RedirectResponse(home_of(web.principal.roles), status_code=303, headers=SECURITY_HEADERS)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next", max_length=500)] = None, lang: Lang = None
) -> HTMLResponse:
    """The sign-in form: a token, and where to go afterwards."""
    kept = request.cookies.get(SIGN_IN_COOKIE, "")
    pre_session = kept if 30 < len(kept) <= 100 else secrets.token_urlsafe(32)  # ours, or a new one
    response = render(request, "sign_in.html", next=local_path(next_path), csrf_token=pre_session, failed=False)
    _set_sign_in_cookie(request, response, pre_session)
    return response


@router.post("/sign-in")
async def sign_in_post(
    request: Request, sessions: Sessions, form: Annotated[dict[str, str], Depends(form_of)]
) -> Response:
    """Verify the token, start a web session (a new id every time) and go where the caseworker was going."""
    # Sign-in has no session yet to hold a synchronizer token, so it is a double submit: GET /sign-in sets a random
    # HttpOnly, SameSite=Strict cookie and puts the same value in the form. Another site can neither read the value nor
    # make the browser send the cookie with its post, so it cannot sign a caseworker in as someone else (login CSRF).
    # A cross-site Origin is refused too; the Origin header alone was not chosen, as privacy tools strip it.
    pre_session = request.cookies.get(SIGN_IN_COOKIE, "")
    if not pre_session or not hmac.compare_digest(form.get("csrf_token", "").encode(), pre_session.encode()):
        raise PageRefused(403, "csrf")
    if not _same_origin(request):
        raise PageRefused(403, "csrf")
    next_path = local_path(form.get("next"))
    try:
        principal = verify_token(request.app.state.auth_settings, form.get("token", "").strip())
    except HTTPException:
        return render(request, "sign_in.html", status=400, next=next_path, csrf_token=pre_session, failed=True)
    if next_path == HOME:  # nowhere asked for: where this person starts
        next_path = home_of(principal.roles)
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        session_id, _ = await sign_in(
            session,
            principal,
            token_expires=token_expiry(form["token"].strip()),
            now=now,
            lifetime=lifetime_of(request),
        )
    response = RedirectResponse(next_path, status_code=303, headers=SECURITY_HEADERS)
    # no Max-Age: the cookie dies with the browser too (municipal PCs are shared)
    response.set_cookie(SESSION_COOKIE, session_id, path="/", httponly=True, samesite="strict", secure=secure(request))
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out_post(request: Request, sessions: Sessions, form: CheckedForm) -> RedirectResponse:
    """End the web session and forget its cookie."""
    async with unit_of_work(sessions) as session:
        await sign_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure(request))
    return response


def _set_sign_in_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE, value, path="/sign-in", httponly=True, samesite="strict", secure=secure(request)
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    # The double submit above is the check; a missing Origin proves nothing either way, and browsers send "null" from
    # a page served with Referrer-Policy: no-referrer, as ours are (a cross-site "null" still lacks the Strict cookie).
    if origin is None or origin == "null":
        return True
    asked = urlsplit(origin)
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return asked.netloc == host


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
