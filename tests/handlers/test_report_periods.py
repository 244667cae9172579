"""What a report may be asked for (the programme to date or one Danish half-year: services.reporting.deps), and the
smallest count it shows (never below 3, whatever an older catalogue event says), through the route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.reporting.deps import PERIODS
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.cohort import Cohort
from tests.fixtures.database import Databases
from tests.fixtures.events import SETTINGS, programme


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reporting(databases: Databases) -> AsyncIterator[FastAPI]:
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=5))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, programmes: list[str]) -> httpx.AsyncClient:
    token = issue_token(AuthSettings(), subject="op", email="op@example.dk", roles=["operator"], programmes=programmes)
    return bearer_client(app, token)


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2026-01-01", "to": "2026-06-30"},  # a free range: beside 1 Jan - 1 Jul it gives away 1 July's starts
        {"from": "2026-03-01", "to": "2026-08-30"},  # a half-year but for its last day
        {"from": "2025-03-01", "to": "2026-02-28"},  # two half-years
        {"from": "2026-03-01"},  # open-ended
    ],
)
async def test_a_period_other_than_to_date_or_one_half_year_is_refused_with_422_saying_what_may_be_asked(
    cohort: Cohort, reporting: FastAPI, period: dict[str, str]
) -> None:
    async with _client(reporting, [cohort.programme]) as client:
        answer = await client.get("/report/figures", params={"programme_id": cohort.programme, **period})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == PERIODS


async def test_a_half_year_given_by_its_days_is_answered(cohort: Cohort, reporting: FastAPI) -> None:
    async with _client(reporting, [cohort.programme]) as client:
        answer = await client.get(
            "/report/figures", params={"programme_id": cohort.programme, "from": "2025-09-01", "to": "2026-02-28"}
        )
    assert answer.status_code == 200, answer.text


async def test_an_older_catalogue_min_cell_below_three_is_read_as_three(cohort: Cohort, reporting: FastAPI) -> None:
    # enrolment refuses min_cell below 3 today; an event published before that rule may still carry 1
    await cohort.facts(programme(cohort.programme, settings=SETTINGS.model_copy(update={"min_cell": 1})))
    for _ in range(4):
        await cohort.participant()
    async with _client(reporting, [cohort.programme]) as client:
        report = (await client.get("/report/figures", params={"programme_id": cohort.programme})).json()
    assert report["min_cell"] == 3
    assert next(f["value"] for f in report["figures"] if f["id"] == "participants") == 4  # 3 and over are shown
    assert next(f["value"] for f in report["figures"] if f["id"] == "recruited") == 4


async def test_a_report_asked_again_is_the_same_until_anything_is_written_and_then_counts_it(cohort: Cohort) -> None:
    def participants(report: dict[str, object]) -> object:
        figures = report["figures"]
        assert isinstance(figures, list)
        return next(f["value"] for f in figures if f["id"] == "participants")

    for _ in range(3):
        await cohort.participant()
    first, again = await cohort.report(min_cell=3), await cohort.report(min_cell=3)
    again["figures"].clear()  # a caller changing its copy changes no report remembered
    await cohort.participant()
    after, later = await cohort.report(min_cell=3), await cohort.report(min_cell=3)
    assert participants(first) == 3 and participants(after) == 4 and participants(later) == 4
