"""Provider staff's pages: GET /provider/courses, the courses of their sub-projects (intake's catalogue read model);
GET /provider/courses/{course id}, its participants by first name and case reference through the API's own use case
(caseload.service.course_participants_of, each first name shown audited); POST /provider/courses/{course id}/{step}
records a start, a completion or a drop-out through the command use case the case page uses (the same body schema,
the version shown as If-Match, the Idempotency-Key made at render).

A provider staff's session only, and no CPR number, contact data or case page: /cases/... stays the caseworkers'.
The steps offered are exactly those the API lets provider staff take (its CourseRecorder routes). The paths are under
/provider/, as the API has GET /courses/{course id}/participants.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.caseload.queries import on_course
from services.intake.caseload.service import OnCourse, course_participants_of
from services.intake.commands.service import COMMANDS, CaseChanged, CaseErased, wait_for_answer
from services.intake.deps import Sessions, TheVault
from services.intake.domain import CommandStatus, Step, steps_allowed
from services.intake.idempotency import KEY_PATTERN
from services.intake.pages.form_words import FORM_WORDS
from services.intake.pages.forms import FORMS, body_of, field_errors
from services.intake.pages.provider_words import PROVIDER_WORDS
from services.intake.pages.render import render
from services.intake.pages.service import act
from services.intake.tables import CatalogueCourse
from services.intake.timeline.domain import CaseVersion
from services.intake.timeline.queries import case_version
from shared.auth import scope_refusal
from shared.clock import today_in_copenhagen
from shared.contracts import CODE_PATTERN
from shared.db import run, unit_of_work
from shared.pages.domain import PageRefused
from shared.pages.render import page_language
from shared.pages.sessions import WebSession
from shared.pages.web import CheckedForm, Lang, signed_in
from shared.rejection import Refused, Rejection

router = APIRouter(include_in_schema=False)
# The API's routes that take services.intake.deps.CourseRecorder (provider staff among it): start, completion,
# drop-out. Enrolment, withdrawal, corrections and results stay the caseworker's (a test checks this against the API).
PROVIDER_STEPS: tuple[Step, ...] = ("start", "completion", "drop-out")
_KEY = re.compile(KEY_PATTERN)
_ANSWER_STATUS = {CommandStatus.ACCEPTED: 200, CommandStatus.REJECTED: 409, CommandStatus.PENDING: 202}
_COURSES = text(
    "SELECT id, title, subproject_id, starts_on, ends_on, capacity FROM catalogue_course"
    " WHERE subproject_id = ANY(:subprojects) ORDER BY starts_on DESC, id"
)
CourseId = Annotated[str, Path(pattern=CODE_PATTERN, max_length=50)]


async def provider_session(web: Annotated[WebSession, Depends(signed_in)]) -> WebSession:
    """A session of provider staff naming their sub-projects (the API's ProviderStaff); others get the 403 page."""
    if scope_refusal(web.principal, ("provider-staff",)) is not None:
        raise PageRefused(403, "forbidden", web=web)
    return web


ProviderSession = Annotated[WebSession, Depends(provider_session)]


@dataclass(frozen=True)
class Listed:
    """A participant on the course page: as the provider sees them, the case's version, the steps offered."""

    participant: OnCourse
    version: CaseVersion
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Posted:
    """The form a post came from, answered on the course page: whose, which step, its key and what became of it."""

    participant_id: UUID
    step: Step
    key: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    refused: Rejection | None = None
    answer: Any = None
    changes: Any = None


@router.get("/provider/courses")
async def courses_page(request: Request, sessions: Sessions, web: ProviderSession, lang: Lang = None) -> HTMLResponse:
    """The courses of the provider's sub-projects, newest first, each linked to its participants."""
    async with unit_of_work(sessions) as session:
        found = await run(session, _COURSES, {"subprojects": sorted(web.principal.subprojects)})
        courses = list(found.all())
    return render(request, "provider_courses.html", web=web, w=PROVIDER_WORDS[page_language(request)], courses=courses)


@router.get("/provider/courses/{course_id}")
async def course_page(
    request: Request, sessions: Sessions, vault: TheVault, web: ProviderSession, course_id: CourseId, lang: Lang = None
) -> HTMLResponse:
    """One of the provider's courses: its participants by first name and case reference (each name shown audited),
    with a form for each start, completion or drop-out the case allows now."""
    return await _course(request, sessions, vault, web, course_id)


@router.post("/provider/courses/{course_id}/{step}")
async def record(
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    web: ProviderSession,
    form: CheckedForm,
    course_id: CourseId,
    step: Annotated[str, Path(max_length=30)],
) -> HTMLResponse:
    """Record a start, completion or drop-out of a participant on the course through the API's command use case,
    then the course page with the answer beside the participant."""
    chosen = next((s for s in PROVIDER_STEPS if s == step), None)
    participant_id = _uuid(form.get("participant_id", ""))
    async with unit_of_work(sessions) as session:
        listed = await _on_providers_course(session, web, course_id)
    if chosen is None or listed is None or participant_id not in listed:
        raise PageRefused(404, "not_found")  # another's course, another course's participant, a step not theirs
    spec, key = FORMS[chosen], form.get("idempotency_key", "")
    # the course page read afresh, with what became of the form posted beside its participant
    answered = partial(_course, request, sessions, vault, web, course_id)
    posted = Posted(participant_id, chosen, key, form)
    try:
        body = COMMANDS[chosen][0].model_validate_json(json.dumps(body_of(spec, form)))
    except ValidationError as invalid:  # the API's own schema: its errors beside the fields, the values kept
        return await answered(status=422, posted=replace(posted, errors=field_errors(invalid.errors(), spec)))
    version = CaseVersion.parse(form.get("version", ""))
    if version is None or not _KEY.fullmatch(key):
        raise PageRefused(422, "invalid")  # every form of ours carries both
    try:
        async with unit_of_work(sessions) as session:
            today = today_in_copenhagen()
            command_id = await act(
                session, web.principal, participant_id, spec, body, idempotency_key=key, version=version, today=today
            )
    except CaseChanged as changed:  # rolled back: nothing issued, nothing remembered
        return await answered(status=409, posted=replace(posted, changes=changed.changes))
    except CaseErased as erased:
        return await answered(status=409, posted=replace(posted, refused=erased.rejection))
    except Refused as refused:  # intake's own refusal: beside the field it names, if the form has it
        rejection, words = refused.rejection, f"reason_{refused.rejection.reason}"
        if rejection.field in {f.name for f in spec.fields} and words in FORM_WORDS["da"]:
            return await answered(status=422, posted=replace(posted, errors={str(rejection.field): words}))
        return await answered(status=422, posted=replace(posted, refused=rejection))
    assert command_id is not None  # each of the provider's steps is a command
    answer = await wait_for_answer(sessions, command_id, seconds=request.app.state.command_wait_seconds)
    status = _ANSWER_STATUS[CommandStatus(answer.status)]
    return await answered(status=status, posted=replace(posted, answer=answer))


def _uuid(value: str) -> UUID | None:
    """The participant id a form carries, or None if it carries none."""
    try:
        return UUID(value)
    except ValueError:
        return None


async def _on_providers_course(session: AsyncSession, web: WebSession, course_id: str) -> set[UUID] | None:
    """The participants on the course, or None if it is not one of the provider's (nothing is read or audited)."""
    course = await session.get(CatalogueCourse, course_id)
    if course is None or course.subproject_id not in web.principal.subprojects:
        return None
    return {UUID(str(row[0])) for row in await on_course(session, course_id)}


async def _course(
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    web: WebSession,
    course_id: str,
    *,
    status: int = 200,
    posted: Posted | None = None,
) -> HTMLResponse:
    """The course page, each form with a new Idempotency-Key, unless the answer keeps the one posted."""
    async with unit_of_work(sessions) as session:
        participants = await course_participants_of(session, vault, web.principal, course_id)
        if participants is None:
            raise PageRefused(404, "not_found")
        listed = [Listed(p, await case_version(session, p.participant_id), _steps(p)) for p in participants]
        course = await session.get(CatalogueCourse, course_id)
    keys = {(item.participant.participant_id, s): uuid4().hex for item in listed for s in item.steps}
    if posted is not None and _KEY.fullmatch(posted.key) and posted.answer is None:
        keys[(posted.participant_id, posted.step)] = posted.key  # a corrected form double-clicked: still one effect
    return render(
        request,
        "provider_course.html",
        status=status,
        web=web,
        w=PROVIDER_WORDS[page_language(request)],
        course=course,
        listed=listed,
        forms=FORMS,
        keys=keys,
        posted=posted,
    )


def _steps(participant: OnCourse) -> tuple[Step, ...]:
    """The provider's steps the case allows now (none once erased)."""
    allowed = steps_allowed(
        participant.status, erased=participant.first_name is None, legal_basis="", consent_withdrawn=False
    )
    return tuple(step for step in allowed if step in PROVIDER_STEPS)
