"""Provider staff's pages (issue 19): only their sub-projects' courses; a course's participants by first name and case
reference (each name audited as the API's read audits it), no CPR number or contact data; a start recorded through
the page issues exactly the API's command, once per form; CSRF; exactly the steps the API lets provider staff take;
another sub-project's course not found; no case page. On a migrated PostgreSQL without Kafka.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, get_args
from uuid import uuid4

import httpx
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.intake.commands import api as commands_api
from services.intake.deps import CourseRecorder
from services.intake.main import create_app as intake_app
from services.intake.pages.provider import PROVIDER_STEPS
from shared.clock import today_in_copenhagen
from shared.contracts import CoursePublished, EnrolmentConfirmed, ParticipationStarted
from tests.fixtures.database import Databases
from tests.fixtures.handlers import deliver, rows
from tests.fixtures.pages import (
    Office,
    Referred,
    api_client,
    audit_of,
    browser,
    csrf_of,
    intake_settings,
    open_office,
    sign_in,
    token,
)

MUNICIPALITIES = itertools.count(431)  # no other module's
TODAY = today_in_copenhagen()
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A municipality of the test's own, served by one programme and sub-project."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


async def _course(office: Office, subproject: str | None = None) -> str:
    """A course of the office's sub-project (or another) in intake's catalogue read model."""
    course = CoursePublished(
        course_id=f"c-{uuid4().hex[:10]}",
        programme_id=office.programme,
        subproject_id=subproject or office.subproject,
        municipality=office.municipality,
        starts_on=TODAY - timedelta(days=60),
        ends_on=TODAY + timedelta(days=90),
        capacity=10,
        title="Vejen mod job",
        location="Jobcenter Vest",
    )
    await deliver(office.app.state.sessions, "intake", course)
    return course.course_id


async def _enrolled(office: Office, who: Referred, course_id: str) -> None:
    await office.fact(
        EnrolmentConfirmed(
            participant_id=who.id,
            programme_id=office.programme,
            subproject_id=office.subproject,
            course_id=course_id,
            enrolled_on=TODAY - timedelta(days=40),
        )
    )


def _provider(office: Office, subject: str | None = None) -> str:
    return token("provider-staff", subject=subject, subprojects=[office.subproject])


def _section(page: httpx.Response, case_reference: str) -> str:
    """The participant's part of the course page."""
    assert page.status_code in (200, 202, 422), page.text
    return page.text.split(f">{case_reference}: ", 1)[1].split("</section>", 1)[0]


def _form(page: httpx.Response, case_reference: str, step: str) -> dict[str, str]:
    """The hidden fields of a participant's form for the step on the course page."""
    for chunk in _section(page, case_reference).split("<form ")[1:]:
        head, body = chunk.split(">", 1)
        if re.search(rf'action="/provider/courses/[^/"]+/{step}"', head):
            return dict(_HIDDEN.findall(body.split("</form>", 1)[0]))
    raise AssertionError(f"no {step} form for {case_reference}")


def _steps(page: httpx.Response, case_reference: str) -> set[str]:
    return set(re.findall(r'action="/provider/courses/[^/"]+/([a-z-]+)"', _section(page, case_reference)))


async def _commands(app: FastAPI, who: Referred) -> list[tuple[str, dict[str, Any]]]:
    """The commands staged about the participant: type and data, oldest first."""
    sql = "SELECT headers ->> 'ce_type' AS type, payload FROM outbox_message WHERE key = :k ORDER BY id"
    found = await rows(app.state.sessions, sql, k=str(who.id))
    return [(r["type"], json.loads(r["payload"])) for r in found if ".record-" in r["type"]]


def _without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("participant_id", "id", "time", "source")}


# --- what the provider sees -------------------------------------------------------------------------------------------
async def test_the_provider_sees_only_the_courses_of_their_sub_projects(intake: FastAPI, office: Office) -> None:
    theirs, others = await _course(office), await _course(office, subproject=f"sp-{uuid4().hex[:10]}")
    async with browser(intake) as client:
        await sign_in(client, _provider(office))
        page = await client.get("/provider/courses")
    assert page.status_code == 200, page.text
    assert f'href="/provider/courses/{theirs}">Vejen mod job</a> ({theirs})' in page.text  # named as published
    assert others not in page.text
    nav = page.text.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert 'href="/provider/courses" id="nav-courses"' in nav and 'href="/cases"' not in nav  # links it may use


async def test_a_course_lists_its_participants_by_first_name_audited_without_cpr_or_contact(
    intake: FastAPI, office: Office
) -> None:
    course = await _course(office)
    caseworker = token(municipality=office.municipality)
    on_course, elsewhere = await office.refer(caseworker), await office.refer(caseworker)
    await _enrolled(office, on_course, course)
    await _enrolled(office, elsewhere, await _course(office))
    subject = f"provider-{uuid4().hex[:8]}"
    async with browser(intake) as client:
        await sign_in(client, _provider(office, subject))
        page = await client.get(f"/provider/courses/{course}")
        english = await client.get(f"/provider/courses/{course}?lang=en")
    async with api_client(intake, _provider(office, f"api-{subject}")) as api:
        listed = (await api.get(f"/courses/{course}/participants")).json()

    assert page.status_code == 200, page.text
    first_name = on_course.name.split()[0]
    assert f">{on_course.case_reference}: {first_name}</h3>" in page.text
    assert listed == [
        {"participant_id": str(on_course.id), "case_reference": on_course.case_reference, "first_name": first_name,
         "status": "enrolled"}
    ]  # fmt: skip
    assert (
        on_course.name not in page.text
        and on_course.cpr not in page.text
        and "@" not in page.text.split("</header>")[1]
    )
    assert elsewhere.case_reference not in page.text
    assert f'href="/cases/{on_course.case_reference}"' not in page.text  # no case page for the provider
    assert english.status_code == 200 and "Record the start" in english.text
    assert await audit_of(intake, subject) == [("read-first-name", on_course.id)] * 2  # each page shown is a read
    assert await audit_of(intake, f"api-{subject}") == [("read-first-name", on_course.id)]  # the API's read: the same


async def test_another_sub_projects_course_is_not_found_and_nothing_is_audited(intake: FastAPI, office: Office) -> None:
    course = await _course(office, subproject=f"sp-{uuid4().hex[:10]}")
    subject = f"provider-{uuid4().hex[:8]}"
    async with browser(intake) as client:
        await sign_in(client, _provider(office, subject))
        page = await client.get(f"/provider/courses/{course}")
        missing = await client.get("/provider/courses/no-such-course")
    assert page.status_code == missing.status_code == 404
    assert "<h1>Siden findes ikke</h1>" in page.text
    assert await audit_of(intake, subject) == []


async def test_a_provider_gets_no_case_page_and_a_caseworker_no_provider_page(intake: FastAPI, office: Office) -> None:
    course = await _course(office)
    caseworker = token(municipality=office.municipality)
    who = await office.refer(caseworker)
    await _enrolled(office, who, course)
    async with browser(intake) as client:
        await sign_in(client, _provider(office))
        case = await client.get(f"/cases/{who.case_reference}")
        cases = await client.get("/cases")
    async with browser(intake) as client:
        await sign_in(client, caseworker)
        courses = await client.get("/provider/courses")
        one = await client.get(f"/provider/courses/{course}")
    for answer in (case, cases, courses, one):
        assert answer.status_code == 403 and "<h1>Ingen adgang</h1>" in answer.text
        assert who.name.split()[0] not in answer.text and who.cpr not in answer.text


# --- recording --------------------------------------------------------------------------------------------------------
def test_the_provider_is_offered_exactly_the_steps_the_api_lets_provider_staff_take() -> None:
    recorder = get_args(CourseRecorder)[1].dependency  # Annotated[Principal, Depends(require_role(...))]
    prefix = "/participants/{participant_id}/"
    taken = set()
    for route in commands_api.router.routes:
        if isinstance(route, APIRoute) and route.path.startswith(prefix) and "POST" in (route.methods or set()):
            calls = {dependency.call for dependency in route.dependant.dependencies}
            if recorder in calls:
                taken.add(route.path.removeprefix(prefix))
    assert taken == set(PROVIDER_STEPS)


async def test_a_start_recorded_on_the_page_issues_exactly_the_apis_command_once(
    intake: FastAPI, office: Office
) -> None:
    course = await _course(office)
    caseworker = token(municipality=office.municipality)
    by_page, by_api = await office.refer(caseworker), await office.refer(caseworker)
    for who in (by_page, by_api):
        await _enrolled(office, who, course)
    provider = _provider(office)
    async with browser(intake) as client:
        await sign_in(client, provider)
        page = await client.get(f"/provider/courses/{course}")
        assert _steps(page, by_page.case_reference) == {"start"}  # enrolled: no withdrawal, that is the caseworker's
        fields = _form(page, by_page.case_reference, "start") | {"started_on": str(TODAY)}
        first = await client.post(f"/provider/courses/{course}/start", data=fields)
        again = await client.post(f"/provider/courses/{course}/start", data=fields)  # a double click
    async with api_client(intake, provider) as api:
        assert (await api.post(f"/participants/{by_api.id}/start", json={"started_on": str(TODAY)})).status_code == 202

    assert first.status_code == again.status_code == 202, first.text
    assert 'id="answer"' in first.text and "Sendt, venter på svar" in first.text
    assert f"Registrér start: {by_page.case_reference}</h2>" in first.text  # whose, on a list of many
    from_page, from_api = await _commands(intake, by_page), await _commands(intake, by_api)
    assert len(from_page) == len(from_api) == 1
    assert from_page[0][0] == from_api[0][0] and _without_ids(from_page[0][1]) == _without_ids(from_api[0][1])


async def test_a_form_without_the_csrf_token_or_for_a_step_not_the_providers_issues_nothing(
    intake: FastAPI, office: Office
) -> None:
    course = await _course(office)
    who = await office.refer(token(municipality=office.municipality))
    await _enrolled(office, who, course)
    async with browser(intake) as client:
        await sign_in(client, _provider(office))
        page = await client.get(f"/provider/courses/{course}")
        fields = _form(page, who.case_reference, "start") | {"started_on": str(TODAY)}
        without = {k: v for k, v in fields.items() if k != "csrf_token"}
        missing = await client.post(f"/provider/courses/{course}/start", data=without)
        wrong = await client.post(f"/provider/courses/{course}/start", data=without | {"csrf_token": "x" * 43})
        withdrawal = fields | {"withdrawn_on": str(TODAY), "reason": "job"}
        forged = await client.post(f"/provider/courses/{course}/withdrawal", data=withdrawal)
        enrol = await client.post(f"/provider/courses/{course}/enrolment", data=fields | {"course_id": course})
    assert missing.status_code == wrong.status_code == 403
    assert forged.status_code == enrol.status_code == 404
    assert await _commands(intake, who) == []


async def test_a_drop_out_without_its_reason_is_shown_beside_the_field_and_nothing_is_issued(
    intake: FastAPI, office: Office
) -> None:
    course = await _course(office)
    who = await office.refer(token(municipality=office.municipality))
    await _enrolled(office, who, course)
    await office.fact(ParticipationStarted(participant_id=who.id, course_id=course, started_on=TODAY - timedelta(9)))
    async with browser(intake) as client:
        await sign_in(client, _provider(office))
        page = await client.get(f"/provider/courses/{course}")
        assert _steps(page, who.case_reference) == {"completion", "drop-out"}
        fields = _form(page, who.case_reference, "drop-out") | {"dropped_out_on": str(TODAY), "reason": ""}
        answer = await client.post(f"/provider/courses/{course}/drop-out", data=fields)
    assert answer.status_code == 422, answer.text
    assert '<p class="field-error" id="p1-drop-out-reason-error">Udfyld feltet.</p>' in answer.text
    assert 'href="#p1-drop-out-reason"' in answer.text
    assert _form(answer, who.case_reference, "drop-out")["idempotency_key"] == fields["idempotency_key"]
    assert await _commands(intake, who) == []
    assert csrf_of(answer.text) == fields["csrf_token"]
