"""Each service, its database down, answers an outage as one: 503 with Retry-After and a problem (a page: the problem
page), at once, never a 500. The apps are built by their composition roots on a port where nothing listens."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from fastapi import FastAPI

from deploy.ports import free_port
from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.main import create_app as enrolment_app
from services.enrolment.settings import EnrolmentSettings
from services.intake.main import create_app as intake_app
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.pages.domain import SECURITY_HEADERS
from shared.problems import PROBLEM_JSON
from tests.fixtures.pages import csrf_of, intake_settings, token

NOWHERE = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/down"


def _client(app: FastAPI, bearer: str | None = None) -> httpx.AsyncClient:
    """A client whose server logs what it could not do (as uvicorn would) and answers what the handlers say."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


@pytest_asyncio.fixture(loop_scope="session")
async def intake() -> AsyncIterator[FastAPI]:
    """Intake on a database that does not answer."""
    app = intake_app(intake_settings(NOWHERE))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _an_outage(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"


async def test_intakes_api_answers_503_at_once_for_a_read_and_a_referral(intake: FastAPI) -> None:
    began = time.monotonic()
    async with _client(intake, token(municipality="751")) as api:
        read = await api.get("/participants")
        referral = await api.post("/referrals", json=referral_body(synthetic_citizen(random.Random(5))))
    assert time.monotonic() - began < 5  # refused at once: no wait for a database that is not there
    for answer in (read, referral):
        _an_outage(answer)
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["type"] == "urn:rummelig:problem:unavailable"


async def test_the_pages_show_the_outage_page_and_sign_in_still_opens(intake: FastAPI) -> None:
    async with _client(intake) as browser:
        form = await browser.get("/sign-in")  # needs no database
        sent = await browser.post("/sign-in", data={"csrf_token": csrf_of(form.text), "token": token(), "next": ""})
    assert form.status_code == 200
    _an_outage(sent)  # starting the web session needs the database
    assert "Rummelig svarer ikke lige nu" in sent.text and sent.headers["content-type"].startswith("text/html")
    assert {k: sent.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS


async def test_enrolment_and_reporting_answer_503_too() -> None:
    enrolment = enrolment_app(EnrolmentSettings(database_url=NOWHERE, seed_demo_catalogue=False))
    reporting = reporting_app(ReportingSettings(database_url=NOWHERE))
    try:
        async with (
            _client(enrolment, token("administrator")) as admin,
            _client(reporting, token("operator", programmes=["rummelig-imidt"])) as operator,
        ):
            programme = {"title": "T", "operator": "O", "region": "R", "starts_on": "2026-01-01"}
            answers = [
                await admin.put(
                    "/catalogue/programmes/outage",
                    json=programme | {"ends_on": "2026-12-31", "fund": "esf-plus-2021-2027"},
                ),
                await operator.get("/report"),
                await operator.get("/report/figures", params={"programme_id": "rummelig-imidt"}),
            ]
    finally:
        for app in (enrolment, reporting):
            await app.state.sessions.kw["bind"].dispose()
    for answer in answers:
        _an_outage(answer)
        assert answer.json()["type"] == "urn:rummelig:problem:unavailable"
