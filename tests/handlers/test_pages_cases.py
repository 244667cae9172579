"""The caseworker pages with personal data: "Mine sager" (own cases only, the CPR search by form post, audited) and
the case page (another municipality's case not found, each read audited as the API audits it, no page for an operator
or provider staff), on a migrated PostgreSQL without Kafka.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.intake.audit.domain import NO_PARTICIPANT
from services.intake.main import create_app as intake_app
from shared.clock import today_in_copenhagen
from shared.contracts import CheckScheduled, EnrolmentConfirmed, ParticipationCompleted
from tests.fixtures.database import Databases
from tests.fixtures.events import check_scheduled
from tests.fixtures.pages import (
    CASE_LINK,
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

MUNICIPALITIES = itertools.count(461)  # no other module's (reassignment counts up from 960)
TODAY = today_in_copenhagen()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """Two municipalities of the test's own, served by one programme (the first is the office's)."""
    return await open_office(intake, str(next(MUNICIPALITIES)), str(next(MUNICIPALITIES)))


def _listed(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return CASE_LINK.findall(page.text)


def _enrolled(who: Referred, office: Office) -> EnrolmentConfirmed:
    return EnrolmentConfirmed(
        participant_id=who.id,
        programme_id=office.programme,
        subproject_id=office.subproject,
        course_id="course-a",
        enrolled_on=TODAY - timedelta(days=40),
    )


# --- "Mine sager" -----------------------------------------------------------------------------------------------------
async def test_mine_sager_lists_only_my_own_cases(intake: FastAPI, office: Office) -> None:
    mine = token(municipality=office.municipality, subject=f"me-{office.municipality}")
    colleague = token(municipality=office.municipality)
    elsewhere = token(municipality=str(int(office.municipality) + 1))
    own = {(await office.refer(mine)).case_reference for _ in range(3)}
    theirs = {(await office.refer(colleague)).case_reference, (await office.refer(elsewhere)).case_reference}
    async with browser(intake) as client:
        await sign_in(client, mine)
        listed = _listed(await client.get("/cases"))
        assert set(listed) == own and len(listed) == 3
        assert not theirs & set(listed)
        # a colleague's case asked for by reference is not in my list either
        for reference in theirs:
            assert _listed(await client.get("/cases", params={"case_reference": reference})) == []


async def test_mine_sager_shows_status_course_and_what_is_due_and_filters_by_them(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    waiting, left = await office.refer(bearer), await office.refer(bearer)
    await office.fact(_enrolled(left, office))
    left_on = TODAY - timedelta(days=20)
    await office.fact(ParticipationCompleted(participant_id=left.id, course_id="course-a", left_on=left_on))
    due: CheckScheduled = check_scheduled(left.id, "leaving-outcome", left_on=left_on, due_on=TODAY - timedelta(days=1))
    await office.fact(due)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get("/cases")
        assert _listed(page) == [left.case_reference, waiting.case_reference]  # soonest due first
        assert "Gennemført" in page.text and "course-a" in page.text and office.subproject in page.text
        assert "(overskredet)" in page.text
        assert _listed(await client.get("/cases", params={"due": "overdue"})) == [left.case_reference]
        assert _listed(await client.get("/cases", params={"status": "referred"})) == [waiting.case_reference]
        typed = waiting.case_reference.removeprefix("RUM-").lstrip("0").lower()  # "rum-" and zeros may be left out
        assert _listed(await client.get("/cases", params={"case_reference": typed})) == [waiting.case_reference]
        wrong = await client.get("/cases", params={"status": "lost", "case_reference": "abc"})
        assert wrong.status_code == 422
        assert 'href="#status"' in wrong.text and 'href="#case_reference"' in wrong.text  # the error summary


async def test_mine_sager_pages_through_many_cases(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    referred = {(await office.refer(bearer)).case_reference for _ in range(27)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        first = await client.get("/cases")
        second = await client.get("/cases", params={"page": "2"})
        assert 'rel="next"' in first.text and 'href="/cases?page=2"' in first.text
        assert 'rel="prev"' in second.text
    assert len(_listed(first)) == 25 and len(_listed(second)) == 2
    assert set(_listed(first)) | set(_listed(second)) == referred


async def test_the_cpr_search_is_a_form_post_audited_and_never_in_a_url(intake: FastAPI, office: Office) -> None:
    subject = f"searcher-{office.municipality}"
    bearer = token(municipality=office.municipality, subject=subject)
    wanted, other = await office.refer(bearer), await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get("/cases")
        assert 'method="post" action="/cases/search"' in page.text
        found = await client.post("/cases/search", data={"csrf_token": csrf_of(page.text), "cpr": wanted.cpr})
        nobody = await client.post("/cases/search", data={"csrf_token": csrf_of(page.text), "cpr": "010101-0000"})
        invalid = await client.post("/cases/search", data={"csrf_token": csrf_of(page.text), "cpr": "12"})
        in_url = await client.get("/cases", params={"cpr": wanted.cpr})
    assert _listed(found) == [wanted.case_reference] and other.case_reference not in found.text
    assert found.url.path == "/cases/search" and not found.url.query
    for answer in (found, nobody, invalid):
        assert wanted.cpr not in answer.text and wanted.cpr.replace("-", "") not in answer.text
        assert wanted.cpr not in str(answer.url)
    assert _listed(nobody) == []
    assert invalid.status_code == 422 and 'href="#cpr"' in invalid.text
    assert in_url.status_code == 422  # the list takes no CPR number in its URL
    assert await audit_of(intake, subject) == [("search-by-cpr", wanted.id), ("search-by-cpr", NO_PARTICIPANT)]


# --- the case page ----------------------------------------------------------------------------------------------------
async def test_the_case_page_shows_the_personal_data_and_the_timeline_in_words(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    referred = await office.refer(bearer)
    await office.fact(_enrolled(referred, office))
    async with browser(intake) as client:
        await sign_in(client, bearer)
        danish = await client.get(f"/cases/{referred.case_reference}")
        english = await client.get(f"/cases/{referred.case_reference}?lang=en")
    assert danish.status_code == 200
    assert referred.name in danish.text and referred.cpr in danish.text
    assert "Optaget på forløb course-a fra" in danish.text
    assert "Enrolled on course course-a from" in english.text
    title = danish.text.split("<title>")[1].split("</title>")[0]
    assert referred.name not in title and referred.cpr not in title and referred.case_reference not in title


async def test_each_read_of_the_case_page_is_audited_once_as_the_api_audits_it(intake: FastAPI, office: Office) -> None:
    page_reader, api_reader = f"page-{office.municipality}", f"api-{office.municipality}"
    referred = await office.refer(token(municipality=office.municipality))
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality, subject=page_reader))
        for _ in range(2):
            assert (await client.get(f"/cases/{referred.case_reference}")).status_code == 200
    async with api_client(intake, token(municipality=office.municipality, subject=api_reader)) as api:
        assert (await api.get(f"/participants/{referred.id}")).status_code == 200
        assert (await api.get(f"/participants/{referred.id}/timeline")).status_code == 200
    by_api = await audit_of(intake, api_reader)
    assert by_api == [("read-personal-data", referred.id), ("read-timeline", referred.id)]
    assert await audit_of(intake, page_reader) == by_api * 2  # one entry per read, the API's actions


async def test_another_municipalitys_case_is_not_found_like_a_missing_one_and_not_audited(
    intake: FastAPI, office: Office
) -> None:
    theirs = await office.refer(token(municipality=str(int(office.municipality) + 1)))
    reader = f"nosy-{office.municipality}"
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality, subject=reader))
        foreign = await client.get(f"/cases/{theirs.case_reference}")
        missing = await client.get("/cases/RUM-987654321")
    assert foreign.status_code == missing.status_code == 404
    assert 'action="/sign-out"' in foreign.text and 'href="/cases"' in foreign.text  # still signed in: a way on
    assert foreign.text.replace(theirs.case_reference, "X") == missing.text.replace("RUM-987654321", "X")
    assert theirs.name not in foreign.text and theirs.cpr not in foreign.text
    assert await audit_of(intake, reader) == []


@pytest.mark.parametrize(
    "scope",
    [
        {"role": "operator", "programmes": ["rummelig-plus"]},
        {"role": "provider-staff", "subprojects": ["sub-a"]},
        {"role": "administrator"},
        {"role": "caseworker"},  # no municipality in the token
    ],
    ids=["operator", "provider-staff", "administrator", "caseworker-without-municipality"],
)
async def test_no_personal_data_page_for_a_role_without_that_duty(
    intake: FastAPI, office: Office, scope: dict[str, object]
) -> None:
    referred = await office.refer(token(municipality=office.municipality))
    subject = f"nope-{scope['role']}-{office.municipality}"
    async with browser(intake) as client:
        signed = await sign_in(client, token(subject=subject, **scope))  # type: ignore[arg-type]
        assert signed.status_code == 303
        answers = [await client.get("/cases"), await client.get(f"/cases/{referred.case_reference}")]
        csrf = csrf_of(answers[0].text)  # the refusal still offers sign-out
        answers.append(await client.post("/cases/search", data={"csrf_token": csrf, "cpr": referred.cpr}))
        assert (await client.post("/sign-out", data={"csrf_token": csrf})).status_code == 303
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert "<h1>Ingen adgang</h1>" in answer.text
        assert referred.name not in answer.text and referred.cpr not in answer.text
        assert referred.case_reference not in CASE_LINK.findall(answer.text)
    assert await audit_of(intake, subject) == []


async def test_an_erased_case_shows_its_timeline_and_no_personal_data_and_audits_no_such_read(
    intake: FastAPI, office: Office
) -> None:
    reader = f"after-{office.municipality}"
    referred = await office.refer(token(municipality=office.municipality))
    await office.fact(_enrolled(referred, office))
    async with api_client(intake, token("administrator")) as admin:
        erased = await admin.post(f"/participants/{referred.id}/erasure", json={"reason": "request"})
        assert erased.status_code == 200, erased.text
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality, subject=reader))
        page = await client.get(f"/cases/{referred.case_reference}")
    assert page.status_code == 200
    assert "Personoplysningerne blev slettet" in page.text and "Optaget på forløb course-a" in page.text
    assert referred.name not in page.text and referred.cpr not in page.text
    assert await audit_of(intake, reader) == [("read-timeline", referred.id)]
