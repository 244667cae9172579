"""The team lead's pages: GET /team, the municipality's cases by caseworker, each caseload with a form that moves it,
whole or the cases ticked, to another caseworker of the municipality; POST /team/reassign through the API's own use
case (reassignment.service.reassign: the same schema, the same Idempotency-Key rule, a result per case).

A team lead's session only: a caseworker's gets the 403 page. A post without the session's CSRF token is refused (403)
before anything is read or changed. Nothing here shows personal data: case references, statuses, courses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, get_args
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.intake import idempotency
from services.intake.caseload.queries import CaseloadFilter, CaseRow, Paging
from services.intake.caseload.service import caseload
from services.intake.deps import Sessions
from services.intake.idempotency import KEY_PATTERN
from services.intake.pages.api import CaseworkerSession
from services.intake.pages.render import render
from services.intake.pages.team_words import TEAM_WORDS
from services.intake.reassignment.domain import NOT_A_TEAM_LEAD, Caseworker
from services.intake.reassignment.queries import caseworkers
from services.intake.reassignment.schemas import MAX_CASES, ReassignmentIn, ReassignmentOut
from services.intake.reassignment.service import reassign
from shared.auth import scope_refusal
from shared.clock import today_in_copenhagen
from shared.contracts import ReassignmentReason
from shared.db import unit_of_work
from shared.pages.domain import PageRefused
from shared.pages.render import page_language
from shared.pages.sessions import WebSession
from shared.pages.web import Lang, checked_form, read_form
from shared.rejection import Refused, Rejection

router = APIRouter(include_in_schema=False)
OTHER = "other"  # the "to" choice of a colleague intake does not know yet: subject and email typed
# A whole caseload ticked (MAX_CASES ids of 36 characters and their names) with a 10 kB mistake beside it still fits;
# more is refused before it is parsed.
MAX_TEAM_FORM_BYTES = 128 * 1024
_KEY = re.compile(KEY_PATTERN)
REASONS: tuple[str, ...] = get_args(ReassignmentReason)


async def team_lead_session(web: CaseworkerSession) -> WebSession:
    """A session of a team lead of a municipality (the API's require_role("team-lead")); others get the 403 page."""
    if scope_refusal(web.principal, ("team-lead",)) is not None:
        raise PageRefused(403, "forbidden", web=web)
    return web


TeamLeadSession = Annotated[WebSession, Depends(team_lead_session)]


async def team_form(request: Request, web: TeamLeadSession) -> dict[str, list[str]]:
    """The posted move, every value of each field (cases are ticked many), if it carries the session's CSRF token."""
    posted = await read_form(request, max_bytes=MAX_TEAM_FORM_BYTES, max_fields=MAX_CASES + 20)
    await checked_form(posted, web)  # the pages' one CSRF rule
    return posted.lists


TeamForm = Annotated[dict[str, list[str]], Depends(team_form)]


@dataclass(frozen=True)
class Posted:
    """A move's form sent back with errors: whose caseload it was, its key kept, the errors by field, the values."""

    from_caseworker: str
    key: str
    errors: dict[str, str]
    values: dict[str, str]
    chosen: frozenset[str] = frozenset()

    def with_errors(self, errors: dict[str, str]) -> Posted:
        """The same form with its errors."""
        return replace(self, errors=errors)


@dataclass(frozen=True)
class Caseload:
    """One caseworker's cases on the team page, and the Idempotency-Key of the form that moves them."""

    caseworker: Caseworker
    active: int
    rows: list[CaseRow]
    total: int
    key: str


@router.get("/team")
async def team_page(request: Request, sessions: Sessions, web: TeamLeadSession, lang: Lang = None) -> HTMLResponse:
    """The municipality's cases by caseworker, each caseload with its form to move it, whole or the cases ticked."""
    return await _team(request, sessions, web)


@router.post("/team/reassign")
async def reassign_post(request: Request, sessions: Sessions, web: TeamLeadSession, form: TeamForm) -> HTMLResponse:
    """Move a caseload, or the cases ticked, through the API's use case; each case's result, or the errors beside
    the fields and nothing moved."""
    posted = {name: values[0] for name, values in form.items()}
    key, whole = posted.get("idempotency_key", ""), posted.get("move") == "all"
    if not _KEY.fullmatch(key) or posted.get("move") not in ("all", "chosen"):
        raise PageRefused(422, "invalid")  # every form of ours carries both
    assert web.principal.municipality is not None  # a team lead's session names it
    async with unit_of_work(sessions) as session:
        known = {cw.subject: cw for cw, _ in await caseworkers(session, municipality=web.principal.municipality)}
    chosen = form.get("participant_ids", [])
    again = Posted(posted.get("from_caseworker", ""), key, {}, posted, frozenset(chosen))
    try:
        asked = ReassignmentIn.model_validate_json(json.dumps(body_of(posted, [] if whole else chosen, known, whole)))
    except ValidationError as invalid:  # the API's own schema: its errors beside the fields, the values kept
        errors = field_errors(invalid.errors(), other=posted.get("to") == OTHER)
        return await _team(request, sessions, web, status=422, posted=again.with_errors(errors))
    fingerprint = idempotency.fingerprint("POST", "/reassignments", asked.model_dump(mode="json"))
    answer: dict[str, Any] | Rejection
    try:
        async with unit_of_work(sessions) as session:
            answer = await reassign(
                session, principal=web.principal, asked=asked.to_reassignment(), key=key, fingerprint=fingerprint
            )
    except Refused as refused:  # the key in use, or reused for another move: nothing kept
        answer = refused.rejection
    if answer is NOT_A_TEAM_LEAD:
        raise PageRefused(403, "forbidden", web=web)
    if isinstance(answer, Rejection):  # the colleague named may not take the cases: beside the field named
        errors = {_refused_field(answer, other=posted.get("to") == OTHER): f"refused_{answer.reason}"}
        return await _team(request, sessions, web, status=422, posted=again.with_errors(errors))
    moved = ReassignmentOut.model_validate(answer)
    return render(request, "team_answer.html", web=web, w=TEAM_WORDS[page_language(request)], answer=moved)


def body_of(
    posted: Mapping[str, str], chosen: Sequence[str], known: Mapping[str, Caseworker], whole: bool
) -> dict[str, Any]:
    """The API body a posted move makes, as JSON would carry it; an empty field left out, so the API's own
    "missing" names it. A colleague chosen from the list goes with the work email intake knows for them."""
    body: dict[str, Any] = {}
    choice = posted.get("to", "").strip()
    if choice == OTHER:
        typed = {name: posted.get(f"to_{name}", "").strip() for name in ("subject", "email")}
        body["to"] = {name: value for name, value in typed.items() if value}
    elif choice in known:
        body["to"] = {"subject": known[choice].subject, "email": known[choice].email}
    if reason := posted.get("reason", "").strip():
        body["reason"] = reason
    if whole:
        body["from_caseworker"] = posted.get("from_caseworker", "")
    else:
        body["participant_ids"] = list(chosen)
    return body


def field_errors(errors: Sequence[Mapping[str, Any]], *, other: bool) -> dict[str, str]:
    """ReassignmentIn's validation errors by the form's field, each as the words' key that explains it."""
    found: dict[str, str] = {}
    for error in errors:
        location, kind = tuple(error.get("loc") or ()), str(error.get("type", ""))
        if location[:2] == ("to", "subject") and other:
            name, words = "to_subject", "error_missing" if kind == "missing" else "error_subject"
        elif location[:2] == ("to", "email") and other:
            name, words = "to_email", "error_missing" if kind == "missing" else "error_email"
        elif location[:1] == ("to",):
            name, words = "to", "error_choice"
        elif location[:1] == ("reason",):
            name, words = "reason", "error_choice"
        elif location[:1] == ("participant_ids",) or "name the cases" in str(error.get("msg", "")):
            name, words = "participant_ids", "error_cases"
        elif "who has them" in str(error.get("msg", "")):
            name, words = "to", "error_same"
        else:
            name, words = "", "error_invalid"
        found.setdefault(name, words)
    return found


def _refused_field(rejection: Rejection, *, other: bool) -> str:
    """The form's field a refusal of the use case names (to.subject, to.email), or the form's own ("")."""
    if rejection.field in ("to.subject", "to.email"):
        return str(rejection.field).replace(".", "_") if other else "to"
    return ""


async def _team(
    request: Request, sessions: Sessions, web: WebSession, *, status: int = 200, posted: Posted | None = None
) -> HTMLResponse:
    """The team page: each caseworker's caseload (by case reference) with a form of its own, a new Idempotency-Key
    each, unless the answer keeps the one posted."""
    assert web.principal.municipality is not None  # a team lead's session names it
    loads: list[Caseload] = []
    async with unit_of_work(sessions) as session:
        for caseworker, active in await caseworkers(session, municipality=web.principal.municipality):
            rows, total = await caseload(
                session,
                web.principal,  # the caseload use case keeps to the team lead's municipality
                CaseloadFilter(caseworker_subject=caseworker.subject),
                Paging(page=1, page_size=MAX_CASES, sort="case_reference"),
                today=today_in_copenhagen(),
                consent_erasure_days=request.app.state.consent_erasure_days,
            )
            kept = posted.key if posted and posted.from_caseworker == caseworker.subject else uuid4().hex
            loads.append(Caseload(caseworker, active, rows, total, kept))
    return render(
        request,
        "team.html",
        status=status,
        web=web,
        w=TEAM_WORDS[page_language(request)],
        loads=loads,
        posted=posted,
        reasons=REASONS,
        other=OTHER,
    )
