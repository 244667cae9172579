"""The case page's forms and the task inbox: each form posts to /cases/{case reference}/{step} and goes through the
API's own use case (the same command, the same If-Match check with the version the page showed, the same
Idempotency-Key), then shows the answer on the case page; GET /tasks lists what is due, by deadline.

A form post without the session's CSRF token is refused (403) before anything is read; another municipality's case is
the same 404 as none, before the form is read.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.intake.commands.domain import result_notice_kind
from services.intake.commands.service import COMMANDS, CaseChanged, CaseErased, wait_for_answer
from services.intake.deps import Sessions, TheVault
from services.intake.domain import CommandStatus
from services.intake.idempotency import KEY_PATTERN
from services.intake.pages.api import CaseworkerSession, show_case
from services.intake.pages.domain import step_of_check
from services.intake.pages.form_words import FORM_WORDS
from services.intake.pages.forms import FORMS, body_of, field_errors, step_of
from services.intake.pages.render import render
from services.intake.pages.service import act, register_disagreements, tasks, visible_case
from services.intake.personal_data.schemas import ConsentWithdrawalIn
from services.intake.timeline.domain import CaseVersion
from services.intake.timeline.queries import pending_commands
from shared.clock import today_in_copenhagen
from shared.db import unit_of_work
from shared.pages.domain import SECURITY_HEADERS, PageRefused
from shared.pages.web import CheckedForm, Lang
from shared.rejection import Refused

router = APIRouter(include_in_schema=False)
_KEY = re.compile(KEY_PATTERN)
# What a command's answer makes the page's status: recorded, refused by its owning service, not answered in time.
_ANSWER_STATUS = {CommandStatus.ACCEPTED: 200, CommandStatus.REJECTED: 409, CommandStatus.PENDING: 202}


@router.post("/cases/{case_reference}/{step}")
async def take_step(
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    web: CaseworkerSession,
    form: CheckedForm,
    case_reference: Annotated[str, Path(max_length=20)],
    step: Annotated[str, Path(max_length=30)],
) -> HTMLResponse:
    """Take one step on the case from its form: the API's command (or consent withdrawal), then the case again."""
    chosen = step_of(step)
    async with unit_of_work(sessions) as session:
        participant = await visible_case(session, web.principal, case_reference)
    if participant is None or chosen is None:
        raise PageRefused(404, "not_found")
    spec = FORMS[chosen]
    again = partial(show_case, request, sessions, vault, web, case_reference)  # the case page, read afresh
    key = form.get("idempotency_key", "")
    kept = {"keys": {chosen: key}} if _KEY.fullmatch(key) else {}
    model = COMMANDS[spec.path][0] if spec.path else ConsentWithdrawalIn
    try:
        body = model.model_validate_json(json.dumps(body_of(spec, form)))
    except ValidationError as invalid:  # the API's own schema: its errors beside the fields, the values kept
        errors = field_errors(invalid.errors(), spec)
        return await again(opened=chosen, status=422, errors=errors, values=form, **kept)
    version = CaseVersion.parse(form.get("version", ""))
    if version is None or not kept:
        raise PageRefused(422, "invalid")  # every form of ours carries both
    try:
        async with unit_of_work(sessions) as session:
            command_id = await act(
                session,
                web.principal,
                participant.id,
                spec,
                body,
                idempotency_key=key,
                version=version,
                today=today_in_copenhagen(),
            )
    except CaseChanged as changed:  # rolled back: nothing issued, nothing remembered
        return render(
            request, "conflict.html", status=409, web=web, case_reference=case_reference, changes=changed.changes
        )
    except CaseErased as erased:
        return await again(opened=chosen, status=409, refused=erased.rejection, values=form)
    except Refused as refused:  # intake's own refusal: beside the field it names, if the form has it
        rejection, words = refused.rejection, f"reason_{refused.rejection.reason}"
        if rejection.field in {field.name for field in spec.fields} and words in FORM_WORDS["da"]:
            errors = {str(rejection.field): words}
            return await again(opened=chosen, status=422, errors=errors, values=form, **kept)
        return await again(opened=chosen, status=422, refused=rejection, values=form, **kept)
    if command_id is None:
        return await again(opened=None, status=200, done=chosen)
    answer = await wait_for_answer(sessions, command_id, seconds=request.app.state.command_wait_seconds)
    status = _ANSWER_STATUS[CommandStatus(answer.status)]
    opened = chosen if status == 409 else None
    notice = result_notice_kind(answer.answer_type, answer.answer or {}) if status == 200 else None
    return await again(opened=opened, status=status, answer=answer, notice=notice, done=chosen)


@router.get("/cases/{case_reference}/pending")
async def pending_part(
    request: Request, sessions: Sessions, web: CaseworkerSession, case_reference: Annotated[str, Path(max_length=20)]
) -> Response:
    """The case page's list of commands waiting for an answer, as htmx asks for it every two seconds while any does
    (no personal data: command kinds and times); opened without htmx, the case page itself."""
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/cases/{case_reference}", 303, headers=SECURITY_HEADERS)
    async with unit_of_work(sessions) as session:
        participant = await visible_case(session, web.principal, case_reference)
        if participant is None:
            raise PageRefused(404, "not_found", web=web)
        pending = await pending_commands(session, participant.id)
    return render(request, "case_pending_part.html", reference=case_reference, pending=pending, polled=True)


@router.get("/tasks")
async def tasks_page(request: Request, sessions: Sessions, web: CaseworkerSession, lang: Lang = None) -> HTMLResponse:
    """The caseworker's follow-ups due within 14 days and overdue, earliest deadline first, each linked to its form;
    and the six-month results the register contradicts."""
    today = today_in_copenhagen()
    async with unit_of_work(sessions) as session:
        rows = await tasks(
            session, web.principal, today=today, consent_erasure_days=request.app.state.consent_erasure_days
        )
        disagreeing = await register_disagreements(session, web.principal)
    return render(
        request, "tasks.html", web=web, rows=rows, today=today, step_of_check=step_of_check, disagreeing=disagreeing
    )
