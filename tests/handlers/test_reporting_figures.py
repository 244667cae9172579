"""The figures from hand-built participant histories: facts through reporting's consumer into a migrated
PostgreSQL, then the report's own SQL. Each test has a programme of its own; counts are read unsuppressed
(min_cell 1) except where suppression is the point."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import openpyxl
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.reporting.figures import FIGURES
from services.reporting.figures_api import rows
from services.reporting.figures_report import Selection, figures_report, half_year
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from shared.contracts import (
    CheckOverdue,
    CheckScheduled,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    ParticipantEntered,
    ParticipantErased,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationStarted,
    ParticipationWithdrawn,
)
from shared.db import SessionMaker
from shared.registry import Contract
from shared.settings import AuthSettings
from tests.fixtures.database import Databases
from tests.fixtures.events import leaving_outcome_recorded, six_month_result_recorded
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import deliver

SERVICE = "reporting"
STARTED = date(2026, 1, 12)
LEFT = date(2026, 3, 31)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    return service_sessions(SERVICE)


@pytest.fixture
def programme() -> str:
    return f"fig-{uuid4().hex[:10]}"


class Cohort:
    """Participants of one programme, each built fact by fact."""

    def __init__(self, db: SessionMaker, programme: str) -> None:
        self.db, self.programme = db, programme

    async def facts(self, *facts: Contract) -> None:
        for fact in facts:
            await deliver(self.db, SERVICE, fact)

    async def participant(
        self,
        *,
        left: str | None = "completed",
        reason: str = "illness",
        entered: dict[str, Any] | None = None,
        **referral: Any,
    ) -> UUID:
        """Referred, enrolled, started on STARTED and (unless left=None) completed or dropped out on LEFT."""
        pid = uuid4()
        await self.facts(
            fixture_referral(pid, programme_id=self.programme, **referral),
            EnrolmentConfirmed(
                participant_id=pid, programme_id=self.programme, subproject_id="sub", course_id="c", enrolled_on=STARTED
            ),
            ParticipationStarted(participant_id=pid, course_id="c", started_on=STARTED),
            ParticipantEntered(
                participant_id=pid,
                programme_id=self.programme,
                entered_on=STARTED,
                **(
                    {"age_band": "25-54", "age_band_esf_plus": "30-54", "under_25": False, "over_54": False}
                    | {"long_term_unemployed": False}
                    | (entered or {})
                ),
            ),
        )
        if left == "completed":
            await self.facts(ParticipationCompleted(participant_id=pid, course_id="c", left_on=LEFT))
        elif left == "dropped-out":
            await self.facts(ParticipationDroppedOut(participant_id=pid, course_id="c", left_on=LEFT, reason=reason))
        return pid

    async def report(self, min_cell: int = 1, **selection: Any) -> dict[str, Any]:
        async with self.db() as session:
            return await figures_report(session, Selection(self.programme, **selection), min_cell=min_cell)

    async def values(self, **selection: Any) -> dict[str, Any]:
        return {f["id"]: f["value"] for f in (await self.report(**selection))["figures"]}


@pytest.fixture
def cohort(db: SessionMaker, programme: str) -> Cohort:
    return Cohort(db, programme)


def day(n: int, left_on: date = LEFT) -> date:
    return left_on + timedelta(days=n)


async def test_every_figure_has_an_id_a_danish_and_an_english_definition_and_a_value(cohort: Cohort) -> None:
    await cohort.participant()
    report = await cohort.report()
    assert [f["id"] for f in report["figures"]] == [f.id for f in FIGURES]
    assert len({f.id for f in FIGURES}) == len(FIGURES)
    for figure in report["figures"]:
        assert figure["definition"]["da"] and figure["definition"]["en"]
        assert isinstance(figure["value"], int)


async def test_an_outcome_on_day_29_does_not_count_upon_leaving_and_shows_as_recorded_late(cohort: Cohort) -> None:
    pid = await cohort.participant()
    await cohort.facts(leaving_outcome_recorded(pid, "ordinary-employment", observed_on=day(29), left_on=LEFT))
    values = await cohort.values()
    assert (values["employed-upon-leaving"], values["CR04"], values["recorded-late"]) == (0, 0, 1)
    assert values["completed"] == 1 and values["participants"] == 1


async def test_an_outcome_on_day_28_counts_as_employed_upon_leaving(cohort: Cohort) -> None:
    pid = await cohort.participant()
    await cohort.facts(leaving_outcome_recorded(pid, "ordinary-employment", observed_on=day(28), left_on=LEFT))
    values = await cohort.values()
    assert (values["employed-upon-leaving"], values["employed-ordinary-upon-leaving"], values["CR04"]) == (1, 1, 1)
    assert values["self-supporting"] == 1 and values["EECR04"] == 1


async def test_a_six_month_result_recorded_late_does_not_count(cohort: Cohort) -> None:
    pid = await cohort.participant()
    due = date(2026, 9, 30)
    await cohort.facts(
        six_month_result_recorded(pid, "ordinary-employment", observed_on=due + timedelta(weeks=9), left_on=LEFT)
    )
    values = await cohort.values()
    assert (values["employed-six-months-after"], values["CR06"], values["recorded-late"]) == (0, 0, 1)


async def test_a_drop_out_because_of_a_job_is_a_good_exit_and_counts_as_employment_with_its_outcome(
    cohort: Cohort,
) -> None:
    pid = await cohort.participant(left="dropped-out", reason="job")
    await cohort.facts(leaving_outcome_recorded(pid, "ordinary-employment", observed_on=day(1), left_on=LEFT))
    values = await cohort.values()
    assert (values["dropped-out"], values["stopped-early-for-job-or-education"], values["completed"]) == (1, 1, 0)
    assert values["employed-upon-leaving"] == 1 and values["left"] == 1


async def test_a_person_over_54_on_the_start_date_but_not_at_referral_counts_as_over_54(cohort: Cohort) -> None:
    pid = await cohort.participant(
        age_band="25-54",
        entered={"age_band": "over-54", "age_band_esf_plus": "55-and-over", "over_54": True},
    )
    await cohort.facts(
        six_month_result_recorded(pid, "ordinary-employment", observed_on=date(2026, 10, 1), left_on=LEFT)
    )
    values = await cohort.values()
    assert (values["over-54"], values["55-and-over"], values["CR08"]) == (1, 1, 1)


async def test_a_re_entrant_is_counted_once_with_the_final_exit(cohort: Cohort) -> None:
    pid = await cohort.participant()  # completed on LEFT, employed upon leaving
    await cohort.facts(leaving_outcome_recorded(pid, "ordinary-employment", observed_on=day(3), left_on=LEFT))
    final = date(2026, 6, 30)
    await cohort.facts(
        EnrolmentConfirmed(
            participant_id=pid,
            programme_id=cohort.programme,
            subproject_id="sub",
            course_id="c",
            enrolled_on=date(2026, 5, 1),
            re_entry=True,
        ),
        ParticipationStarted(participant_id=pid, course_id="c", started_on=date(2026, 5, 4)),
        ParticipationDroppedOut(participant_id=pid, course_id="c", left_on=final, reason="illness"),
    )
    values = await cohort.values()
    assert (values["participants"], values["completed"], values["dropped-out"], values["left"]) == (1, 0, 1, 1)
    assert values["employed-upon-leaving"] == 0  # the first exit's result no longer counts
    assert (await cohort.values(period_by="leaving", start=final, end=final))["left"] == 1


async def test_an_erased_participant_is_still_counted(cohort: Cohort) -> None:
    pid = await cohort.participant()
    await cohort.facts(leaving_outcome_recorded(pid, "ordinary-employment", observed_on=day(3), left_on=LEFT))
    before = await cohort.values()
    await cohort.facts(ParticipantErased(participant_id=pid, erased_on=date(2026, 11, 1), basis="request"))
    assert await cohort.values() == before
    assert before["participants"] == 1 and before["employed-upon-leaving"] == 1


async def test_a_record_incomplete_on_education_counts_in_the_grand_total_only(cohort: Cohort) -> None:
    await cohort.participant(education_level="unknown", municipality="727")
    await cohort.participant(education_level="isced-3-4", municipality="751")
    report = await cohort.report()
    participants = next(f for f in report["figures"] if f["id"] == "participants")
    assert participants["value"] == 2
    assert participants["breakdowns"]["municipality"] == {"cells": {"751": 1}, "total": 1}
    incomplete = next(f for f in report["figures"] if f["id"] == "incomplete-records")
    assert incomplete["value"] == 1


async def test_non_binary_gender_is_a_category_of_its_own_under_esf_plus(cohort: Cohort) -> None:
    for gender in ("female", "male", "non-binary", "non-binary"):
        await cohort.participant(gender=gender)
    report = await cohort.report()
    participants = next(f for f in report["figures"] if f["id"] == "EECO01")
    assert participants["breakdowns"]["gender"]["cells"] == {"female": 1, "male": 1, "non-binary": 2}


async def test_inactive_at_entry_and_job_seeking_upon_leaving_is_cr01(cohort: Cohort) -> None:
    pid = await cohort.participant(labour_market_status="inactive")
    await cohort.facts(leaving_outcome_recorded(pid, "job-seeking", observed_on=day(10), left_on=LEFT))
    values = await cohort.values()
    assert (values["CR01"], values["inactive-at-entry-job-seeking-upon-leaving"], values["inactive"]) == (1, 1, 1)
    assert values["job-seeking-upon-leaving"] == 1 and values["EECR01"] == 1


async def test_follow_ups_due_and_overdue_are_data_quality(cohort: Cohort) -> None:
    pid = await cohort.participant()
    await cohort.facts(
        CheckScheduled(
            participant_id=pid,
            check="leaving-outcome",
            exit_number=1,
            left_on=LEFT,
            due_on=day(14),
            counts_until=day(28),
        ),
        CheckScheduled(
            participant_id=pid,
            check="six-month",
            exit_number=1,
            left_on=LEFT,
            due_on=date(2026, 9, 30),
            counts_until=date(2026, 11, 25),
        ),
        CheckOverdue(
            participant_id=pid,
            check="leaving-outcome",
            exit_number=1,
            left_on=LEFT,
            due_on=day(14),
            counts_until=day(28),
        ),
    )
    values = await cohort.values()
    assert (values["follow-ups-due"], values["follow-ups-overdue"]) == (1, 1)


async def test_the_period_picks_participants_by_entry_date_or_by_leaving_date(cohort: Cohort) -> None:
    await cohort.participant()
    assert (await cohort.values(start=STARTED, end=STARTED))["participants"] == 1
    assert (await cohort.values(start=STARTED + timedelta(days=1)))["participants"] == 0
    assert (await cohort.values(period_by="leaving", end=LEFT - timedelta(days=1)))["completed"] == 0
    start, end = half_year("2026-02")
    assert (await cohort.values(start=start, end=end))["participants"] == 1


def test_the_danish_half_years_end_in_february_and_august() -> None:
    assert half_year("2026-02") == (date(2025, 9, 1), date(2026, 2, 28))
    assert half_year("2028-02") == (date(2027, 9, 1), date(2028, 2, 29))
    assert half_year("2026-08") == (date(2026, 3, 1), date(2026, 8, 31))
    with pytest.raises(ValueError):
        half_year("2026-05")


async def test_small_counts_are_hidden_in_the_totals_and_every_breakdown(cohort: Cohort) -> None:
    for municipality in ("751", "751", "751", "751", "751", "751", "727"):
        await cohort.participant(municipality=municipality)
    report = await cohort.report(min_cell=5)
    participants = next(f for f in report["figures"] if f["id"] == "participants")
    assert participants["value"] == 7
    assert participants["breakdowns"]["municipality"]["cells"] == {"727": "<5", "751": "x"}
    for figure in report["figures"]:
        for value in [figure["value"], *(v for b in figure["breakdowns"].values() for v in b["cells"].values())]:
            assert not (isinstance(value, int) and 0 < value < 5), figure["id"]


# --- the operator's views: JSON, CSV, XLSX, and what they refuse --------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reporting(databases: Databases) -> AsyncIterator[FastAPI]:
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=5))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, programmes: list[str]) -> httpx.AsyncClient:
    token = issue_token(AuthSettings(), subject="op", email="op@example.dk", roles=["operator"], programmes=programmes)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    )


async def _seven(cohort: Cohort) -> None:
    for municipality in ("751", "751", "751", "751", "751", "751", "727"):
        await cohort.participant(municipality=municipality)


async def test_the_exports_hold_the_same_numbers_as_the_json_and_no_small_count(
    cohort: Cohort, reporting: FastAPI
) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        report = (await client.get("/report/figures", params={"programme_id": cohort.programme})).json()
        csv_answer = await client.get("/report/figures.csv", params={"programme_id": cohort.programme})
        xlsx_answer = await client.get("/report/figures.xlsx", params={"programme_id": cohort.programme})
    expected = [tuple(map(str, row)) for row in rows(report)]

    assert csv_answer.headers["content-type"].startswith("text/csv")
    text = csv_answer.content.decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert read[0] == ["figur", "gruppe", "opdeling", "kategori", "antal"]
    assert [tuple(r) for r in read[1:]] == expected

    book = openpyxl.load_workbook(io.BytesIO(xlsx_answer.content))
    assert book.sheetnames == ["Tal", "Definitioner", "Aktualitet"]
    sheet_rows = list(book["Tal"].iter_rows(values_only=True))
    assert sheet_rows[0] == ("figur", "gruppe", "opdeling", "kategori", "antal")
    assert [tuple("" if v is None else str(v) for v in r) for r in sheet_rows[1:]] == expected
    numbers = [r[4] for r in sheet_rows[1:]]
    assert any(isinstance(n, int) and n == 7 for n in numbers)  # numbers as numbers
    for value in [str(n) for n in numbers] + [r[4] for r in read[1:]]:
        assert not (value.isdigit() and 0 < int(value) < 5), value
    definitions = {r[0]: r[2] for r in book["Definitioner"].iter_rows(min_row=2, values_only=True)}
    assert definitions["CR01"] == next(f.da for f in FIGURES if f.id == "CR01")


async def test_an_operator_sees_only_the_programmes_they_operate(cohort: Cohort, reporting: FastAPI) -> None:
    await cohort.participant()
    async with _client(reporting, ["another-programme"]) as client:
        for path in ("/report/figures", "/report/figures.csv", "/report/figures.xlsx"):
            answer = await client.get(path, params={"programme_id": cohort.programme})
            assert answer.status_code == 403, path


@pytest.mark.parametrize(
    "params",
    [
        {"half_year": "2026-05"},
        {"half_year": "26-08"},
        {"from": "2026-03-01", "to": "2026-02-01"},
        {"period_by": "referral"},
        {"municipality": "7510"},
        {"subproject_id": "'; DROP TABLE participant_progress; --"},
        {"from": "not-a-date"},
        {"unknown": "1"},
    ],
)
async def test_a_wrong_query_is_refused_with_422_and_changes_nothing(
    cohort: Cohort, reporting: FastAPI, params: dict[str, str]
) -> None:
    async with _client(reporting, [cohort.programme]) as client:
        answer = await client.get("/report/figures", params={"programme_id": cohort.programme} | params)
    assert answer.status_code == 422, answer.text


async def test_a_malicious_programme_id_is_refused(reporting: FastAPI) -> None:
    async with _client(reporting, ["rummelig-plus"]) as client:
        for bad in ("x' OR '1'='1", "<script>", "a" * 51, ""):
            answer = await client.get("/report/figures", params={"programme_id": bad})
            assert answer.status_code == 422, bad
        assert (await client.get("/report/figures")).status_code == 422  # missing


async def test_the_half_year_selects_the_period(cohort: Cohort, reporting: FastAPI) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        winter = (
            await client.get("/report/figures", params={"programme_id": cohort.programme, "half_year": "2026-02"})
        ).json()
        summer = (
            await client.get("/report/figures", params={"programme_id": cohort.programme, "half_year": "2026-08"})
        ).json()
    assert winter["selection"]["from"] == "2025-09-01" and winter["selection"]["to"] == "2026-02-28"
    assert next(f["value"] for f in winter["figures"] if f["id"] == "participants") == 7  # started 12 January
    assert next(f["value"] for f in summer["figures"] if f["id"] == "participants") == 0


# --- every figure: one history it counts, beside one it does not ----------------------------------------------------
Build = Callable[[Cohort], Any]


async def _outcome(c: Cohort, situation: str, *, day_no: int = 5, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = leaving_outcome_recorded(pid, situation, observed_on=day(day_no), left_on=LEFT)  # type: ignore[arg-type]
    await c.facts(fact)


async def _qualified(c: Cohort, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = leaving_outcome_recorded(pid, "education", observed_on=day(5), left_on=LEFT)
    await c.facts(fact.model_copy(update={"qualification_gained": True}))


async def _six(c: Cohort, situation: str, improvement: str | None = None, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = six_month_result_recorded(pid, situation, observed_on=date(2026, 10, 2), left_on=LEFT)  # type: ignore[arg-type]
    await c.facts(fact.model_copy(update={"improvement": improvement}))


async def _withdrawn(c: Cohort) -> None:
    pid = uuid4()
    await c.facts(
        fixture_referral(pid, programme_id=c.programme),
        ParticipationWithdrawn(participant_id=pid, course_id="c", withdrawn_on=STARTED, reason="declined"),
    )


async def _waitlisted(c: Cohort) -> None:
    pid = uuid4()
    await c.facts(
        fixture_referral(pid, programme_id=c.programme),
        EnrolmentWaitlisted(
            participant_id=pid,
            programme_id=c.programme,
            subproject_id="sub",
            course_id="c",
            waitlisted_on=STARTED,
            position=1,
            re_entry=False,
        ),
    )


async def _nothing() -> None:
    """No history at all."""


async def _referred(c: Cohort) -> None:
    await c.facts(fixture_referral(uuid4(), programme_id=c.programme))


async def _check_open(c: Cohort) -> None:
    pid = await c.participant()
    scheduled = CheckScheduled(
        participant_id=pid,
        check="six-month",
        exit_number=1,
        left_on=LEFT,
        due_on=date(2026, 9, 30),
        counts_until=date(2026, 11, 25),
    )
    await c.facts(scheduled)


async def _check_overdue(c: Cohort) -> None:
    pid = await c.participant()
    await c.facts(
        CheckOverdue(
            participant_id=pid,
            check="leaving-outcome",
            exit_number=1,
            left_on=LEFT,
            due_on=day(14),
            counts_until=day(28),
        )
    )


YES: dict[str, Any] = {"disability": "yes"}
INACTIVE: dict[str, Any] = {"labour_market_status": "inactive"}
EMPLOYED: dict[str, Any] = {"labour_market_status": "employed"}
DISADVANTAGED: dict[str, Any] = {"disadvantages": {"migrant_or_foreign_background": "yes"}}
# figure -> (a history it counts, a history it does not count)
CASES: dict[str, tuple[Build, Build]] = {
    "recruited": (_referred, lambda c: _nothing()),
    "participants": (lambda c: c.participant(), _referred),
    "completed": (lambda c: c.participant(), lambda c: c.participant(left="dropped-out")),
    "dropped-out": (lambda c: c.participant(left="dropped-out"), lambda c: c.participant()),
    "stopped-early-for-job-or-education": (
        lambda c: c.participant(left="dropped-out", reason="education"),
        lambda c: c.participant(left="dropped-out", reason="moved"),
    ),
    "employed-upon-leaving": (lambda c: _outcome(c, "self-employed"), lambda c: _outcome(c, "job-seeking")),
    "employed-ordinary-upon-leaving": (
        lambda c: _outcome(c, "ordinary-employment"),
        lambda c: _outcome(c, "social-economy-employment"),
    ),
    "employed-self-employed-upon-leaving": (lambda c: _outcome(c, "self-employed"), lambda c: _outcome(c, "flex-job")),
    "employed-social-economy-upon-leaving": (
        lambda c: _outcome(c, "social-economy-employment"),
        lambda c: _outcome(c, "ordinary-employment"),
    ),
    "employed-flex-job-upon-leaving": (lambda c: _outcome(c, "flex-job"), lambda c: _outcome(c, "wage-subsidy-job")),
    "employed-wage-subsidy-upon-leaving": (
        lambda c: _outcome(c, "wage-subsidy-job"),
        lambda c: _outcome(c, "flex-job"),
    ),
    "job-seeking-upon-leaving": (lambda c: _outcome(c, "job-seeking"), lambda c: _outcome(c, "inactive")),
    "inactive-at-entry-job-seeking-upon-leaving": (
        lambda c: _outcome(c, "job-seeking", **INACTIVE),
        lambda c: _outcome(c, "job-seeking"),
    ),
    "employed-six-months-after": (lambda c: _six(c, "flex-job"), lambda c: _six(c, "unreachable")),
    "self-supporting": (
        lambda c: _outcome(c, "social-economy-employment"),
        lambda c: _outcome(c, "flex-job"),
    ),
    "enrolled": (lambda c: c.participant(left=None), _referred),
    "waitlisted": (_waitlisted, lambda c: c.participant()),
    "withdrawn": (_withdrawn, lambda c: c.participant()),
    "left": (lambda c: c.participant(left="dropped-out"), lambda c: c.participant(left=None)),
    "outcome-recorded": (lambda c: _outcome(c, "unknown"), lambda c: _outcome(c, "job-seeking", day_no=29)),
    "six-month-result-recorded": (lambda c: _six(c, "unreachable"), lambda c: c.participant()),
    "CR01": (lambda c: _outcome(c, "job-seeking", **INACTIVE), lambda c: _outcome(c, "job-seeking", **EMPLOYED)),
    "CR02": (lambda c: _outcome(c, "education"), lambda c: _outcome(c, "job-seeking")),
    "CR03": (_qualified, lambda c: _outcome(c, "education")),
    "CR04": (lambda c: _outcome(c, "ordinary-employment"), lambda c: _outcome(c, "education")),
    "CR05": (
        lambda c: _outcome(c, "education", **DISADVANTAGED),
        lambda c: _outcome(c, "inactive", **DISADVANTAGED),
    ),
    "CR06": (lambda c: _six(c, "ordinary-employment"), lambda c: _six(c, "job-seeking")),
    "CR07": (
        lambda c: _six(c, "ordinary-employment", "precarious-to-stable", **EMPLOYED),
        lambda c: _six(c, "ordinary-employment", "none", **EMPLOYED),
    ),
    "CR08": (
        lambda c: _six(c, "ordinary-employment", entered={"age_band": "over-54", "over_54": True}),
        lambda c: _six(c, "ordinary-employment"),
    ),
    "CR09": (
        lambda c: _six(c, "ordinary-employment", **DISADVANTAGED),
        lambda c: _six(c, "job-seeking", **DISADVANTAGED),
    ),
    "unemployed": (lambda c: c.participant(), lambda c: c.participant(**INACTIVE)),
    "long-term-unemployed": (
        lambda c: c.participant(entered={"long_term_unemployed": True}),
        lambda c: c.participant(),
    ),
    "inactive": (lambda c: c.participant(**INACTIVE), lambda c: c.participant(**EMPLOYED)),
    "inactive-not-in-education": (
        lambda c: c.participant(labour_market_status="inactive-not-in-education"),
        lambda c: c.participant(**INACTIVE),
    ),
    "employed": (
        lambda c: c.participant(labour_market_status="self-employed"),
        lambda c: c.participant(),
    ),
    "under-25": (
        lambda c: c.participant(entered={"age_band": "under-25", "under_25": True, "age_band_esf_plus": "18-29"}),
        lambda c: c.participant(),
    ),
    "over-54": (lambda c: c.participant(entered={"age_band": "over-54", "over_54": True}), lambda c: c.participant()),
    "isced-0-2": (
        lambda c: c.participant(education_level="isced-0-2"),
        lambda c: c.participant(education_level="isced-3-4"),
    ),
    "isced-3-4": (
        lambda c: c.participant(education_level="isced-3-4"),
        lambda c: c.participant(education_level="isced-5-8"),
    ),
    "isced-5-8": (lambda c: c.participant(education_level="isced-5-8"), lambda c: c.participant()),
    "disadvantaged": (
        lambda c: c.participant(disadvantages={"homeless_or_housing_exclusion": "yes"}),
        lambda c: c.participant(disadvantages={"disability": "refused"}),
    ),
    "with-disabilities": (
        lambda c: c.participant(disadvantages=YES),
        lambda c: c.participant(disadvantages={"disability": "not-asked"}),
    ),
    "migrants-and-minorities": (
        lambda c: c.participant(disadvantages={"minority": "yes"}),
        lambda c: c.participant(disadvantages={"other_disadvantage": "yes"}),
    ),
    "homeless": (
        lambda c: c.participant(disadvantages={"homeless_or_housing_exclusion": "yes"}),
        lambda c: c.participant(disadvantages=YES),
    ),
    "EECO01": (lambda c: c.participant(), _withdrawn),
    "EECO14": (
        lambda c: c.participant(**DISADVANTAGED),
        lambda c: c.participant(disadvantages={"minority": "yes"}),
    ),
    "EECO15": (
        lambda c: c.participant(disadvantages={"minority": "yes"}),
        lambda c: c.participant(**DISADVANTAGED),
    ),
    "EECR01": (lambda c: _outcome(c, "job-seeking"), lambda c: _outcome(c, "education")),
    "EECR04": (lambda c: _outcome(c, "ordinary-employment"), lambda c: _outcome(c, "pension")),
    "under-18": (
        lambda c: c.participant(entered={"age_band": "under-25", "age_band_esf_plus": "under-18"}),
        lambda c: c.participant(),
    ),
    "18-29": (lambda c: c.participant(entered={"age_band_esf_plus": "18-29"}), lambda c: c.participant()),
    "55-and-over": (
        lambda c: c.participant(entered={"age_band": "over-54", "age_band_esf_plus": "55-and-over"}),
        lambda c: c.participant(),
    ),
    "follow-ups-due": (_check_open, lambda c: c.participant()),
    "follow-ups-overdue": (_check_overdue, _check_open),
    "recorded-late": (lambda c: _outcome(c, "job-seeking", day_no=30), lambda c: _outcome(c, "job-seeking")),
    "incomplete-records": (
        lambda c: c.participant(education_level="unknown"),
        lambda c: c.participant(),
    ),
}


def test_every_figure_has_a_history_it_counts_and_one_it_does_not() -> None:
    assert set(CASES) == {f.id for f in FIGURES}


@pytest.mark.parametrize("figure_id", [f.id for f in FIGURES])
async def test_a_figure_counts_the_history_it_defines_and_not_its_neighbour(db: SessionMaker, figure_id: str) -> None:
    counted, not_counted = CASES[figure_id]
    yes, no = Cohort(db, f"fig-{uuid4().hex[:10]}"), Cohort(db, f"fig-{uuid4().hex[:10]}")
    await counted(yes)
    await not_counted(no)
    assert (await yes.values())[figure_id] == 1
    assert (await no.values())[figure_id] == 0


# --- the dashboard page, rendered in-process (the browser test is tests/e2e/test_dashboard.py) ------------------
async def test_the_dashboard_shows_the_same_hidden_cells_as_the_exports_in_danish_and_english(
    cohort: Cohort, reporting: FastAPI
) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        da = await client.get("/dashboard", params={"programme_id": cohort.programme})
        en = await client.get("/dashboard", params={"programme_id": cohort.programme, "lang": "en"})
        other = await client.get("/dashboard", params={"programme_id": cohort.programme, "lang": "fr"})
    assert da.status_code == 200 and en.status_code == 200, da.text
    assert '<html lang="da">' in da.text and '<html lang="en">' in en.text
    assert "Fra henvisning til job" in da.text and "From referral to employment" in en.text
    assert "&lt;5" in da.text and ">x<" in da.text  # 727's one participant, and 751's six hidden with it
    assert other.status_code == 422


async def test_the_dashboard_is_for_the_programmes_operator_only(cohort: Cohort, reporting: FastAPI) -> None:
    async with _client(reporting, ["another-programme"]) as client:
        assert (await client.get("/dashboard", params={"programme_id": cohort.programme})).status_code == 403
