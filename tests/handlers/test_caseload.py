"""The caseload (GET /participants) on a migrated PostgreSQL without Kafka: the app is called in-process.

Participants are referred through intake's route; their timelines are filled through intake's consumer
(tests.fixtures.handlers.deliver). Each test works in a municipality of its own (9xx), so tests sharing the session's
database never see each other's participants.
"""

from __future__ import annotations

import base64
import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.audit.domain import NO_PARTICIPANT
from services.intake.caseload.queries import CaseloadFilter, Paging, caseload_statement
from services.intake.domain import STATUS_OF_FACT
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.vault import DataKey, Vault
from shared.auth import Role, issue_token
from shared.clock import today_in_copenhagen
from shared.contracts import (
    REGISTRY,
    AboutParticipant,
    CheckScheduled,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    LeavingOutcomeRecorded,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationStarted,
    ParticipationWithdrawn,
    ProgrammePublished,
    ProgrammeSettings,
    StartCorrected,
    SubprojectPublished,
)
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.events import check_scheduled, leaving_outcome_recorded, six_month_result_recorded
from tests.fixtures.handlers import deliver

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
rng = random.Random(4711)
MUNICIPALITIES = itertools.count(901)
TODAY = today_in_copenhagen()
ITEM_FIELDS = {
    "participant_id",
    "case_reference",
    "programme_id",
    "subproject_id",
    "course_id",
    "status",
    "referred_on",
    "caseworker_email",
    "next_due_on",
    "overdue",
    "erased_on",
    "erasure_due_on",
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(
        IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
    )
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(
    app: FastAPI, role: Role = "caseworker", municipality: str | None = None, subject: str = ""
) -> httpx.AsyncClient:
    token = issue_token(
        AUTH,
        subject=subject or f"{role}-{uuid4().hex[:8]}",
        email=f"{role}@example.dk",
        roles=[role],
        municipality=municipality,
    )
    return bearer_client(app, token)


@dataclass
class Office:
    """One test's own municipality, programme and caseworker."""

    app: FastAPI
    municipality: str
    programme: str
    subject: str
    client: httpx.AsyncClient

    async def refer(self, **overrides: Any) -> Referred:
        """Refer a synthetic citizen to this office's programme through the route."""
        citizen = synthetic_citizen(rng)
        body = referral_body(citizen, programme_id=self.programme, subproject_id="sub-a") | overrides
        response = await self.client.post("/referrals", json=body)
        assert response.status_code == 201, response.text
        created = response.json()
        return Referred(UUID(created["participant_id"]), created["case_reference"], citizen.cpr)

    async def fact(self, fact: AboutParticipant) -> None:
        """Put a fact on the participant's timeline through intake's consumer."""
        await deliver(self.app.state.sessions, "intake", fact, vault=self.app.state.vault)

    async def caseload(self, **params: Any) -> dict[str, Any]:
        """The caseload answer (200 expected)."""
        response = await self.client.get("/participants", params=params)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def search(self, cpr: str) -> dict[str, Any]:
        """A search by CPR number (200 expected)."""
        response = await self.client.post("/search/participants", json={"cpr": cpr})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def references(self, **params: Any) -> list[str]:
        """The case references of one page, in the order answered."""
        return [item["case_reference"] for item in (await self.caseload(**params))["items"]]


@dataclass(frozen=True)
class Referred:
    """A referred participant, with the synthetic CPR number used."""

    id: UUID
    case_reference: str
    cpr: str


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> AsyncIterator[Office]:
    """A municipality of the test's own, with a caseworker's client."""
    municipality, subject = str(next(MUNICIPALITIES)), f"cw-{uuid4().hex[:8]}"
    programme = f"cl-{uuid4().hex[:10]}"
    await _in_the_catalogue(intake, programme, municipality)
    async with _client(intake, municipality=municipality, subject=subject) as client:
        yield Office(intake, municipality, programme, subject, client)


async def _in_the_catalogue(
    intake: FastAPI, programme: str, *municipalities: str, subprojects: tuple[str, ...] = ("sub-a", "sub-b")
) -> None:
    """The office's programme and its sub-projects sub-a and sub-b in intake's read model, as enrolment publishes."""
    settings = ProgrammeSettings(
        flex_job_counts_as_employment=True,
        wage_subsidy_counts_as_employment=False,
        cr04_reading="every-participant",
        min_cell=5,
        six_month_result_grace_days=90,
    )
    period = {"starts_on": date(2015, 1, 1), "ends_on": date(2030, 12, 31)}
    await deliver(
        intake.state.sessions,
        "intake",
        ProgrammePublished(
            programme_id=programme,
            title="Caseload tests",
            operator="Tests",
            region="Midtjylland",
            fund="esf-plus-2021-2027",
            settings=settings,
            **period,
        ),
    )
    for subproject in subprojects:
        await deliver(
            intake.state.sessions,
            "intake",
            SubprojectPublished(
                subproject_id=subproject,
                programme_id=programme,
                title="Caseload tests",
                provider_kind="municipality",
                municipalities=list(municipalities),
                target_groups=["war-veterans"],
                coordinator_email="coordinator@example.org",
                scope="local",
                illustrative=True,
                **period,
            ),
        )


def _enrolled(who: Referred, course: str = "course-a", *, on: date = TODAY) -> EnrolmentConfirmed:
    return EnrolmentConfirmed(
        participant_id=who.id, programme_id="p", subproject_id="sub-a", course_id=course, enrolled_on=on
    )


def _completed(who: Referred, left_on: date, course: str = "course-a") -> ParticipationCompleted:
    return ParticipationCompleted(participant_id=who.id, course_id=course, left_on=left_on)


def _check(who: Referred, due_on: date, *, left_on: date, check: str = "leaving-outcome") -> CheckScheduled:
    return check_scheduled(who.id, check, left_on=left_on, due_on=due_on)  # type: ignore[arg-type]


def _outcome(who: Referred, left_on: date) -> LeavingOutcomeRecorded:
    return leaving_outcome_recorded(who.id, "job-seeking", observed_on=TODAY, left_on=left_on)


async def _scalar(app: FastAPI, sql: str, **params: Any) -> Any:
    async with app.state.sessions() as session:
        return (await session.exec(text(sql), params=params)).scalar_one()


async def _audit_of(app: FastAPI, actor: str) -> list[tuple[str, UUID]]:
    async with app.state.sessions() as session:
        found = await session.exec(
            text("SELECT action, participant_id FROM audit_entry WHERE actor = :a ORDER BY id"), params={"a": actor}
        )
        return [(r[0], r[1]) for r in found.all()]


# --- who is listed, and what ------------------------------------------------------------------------------------------
async def test_only_the_callers_municipality_is_listed_and_without_personal_data(
    intake: FastAPI, office: Office
) -> None:
    ours = [await office.refer(), await office.refer()]
    elsewhere = str(next(MUNICIPALITIES))
    await _in_the_catalogue(intake, office.programme, office.municipality, elsewhere)
    async with _client(intake, municipality=elsewhere) as other_client:
        other = Office(intake, "", office.programme, "", other_client)
        theirs = await other.refer()
        answer = await office.caseload()
        assert [i["case_reference"] for i in (await other.caseload())["items"]] == [theirs.case_reference]
    assert answer["total"] == 2
    assert {i["case_reference"] for i in answer["items"]} == {r.case_reference for r in ours}
    assert all(set(item) == ITEM_FIELDS for item in answer["items"])
    listed = str(answer)
    assert not any(r.cpr in listed or r.cpr.replace("-", "") in listed for r in ours)
    assert answer["items"][0] | {"participant_id": None, "case_reference": None} == {
        "participant_id": None,
        "case_reference": None,
        "programme_id": office.programme,
        "subproject_id": "sub-a",
        "course_id": None,
        "status": "referred",
        "referred_on": TODAY.isoformat(),
        "caseworker_email": "caseworker@example.dk",
        "next_due_on": None,
        "overdue": False,
        "erased_on": None,
        "erasure_due_on": None,
    }


async def test_status_and_course_follow_the_latest_participation_fact(office: Office) -> None:
    referred, waiting, enrolled, started, completed, dropped, withdrawn = [await office.refer() for _ in range(7)]
    await office.fact(
        EnrolmentWaitlisted(
            participant_id=waiting.id,
            programme_id="p",
            subproject_id="sub-a",
            course_id="course-w",
            waitlisted_on=TODAY,
            position=1,
            re_entry=False,
        )
    )
    # waiting on one course, then a seat on another: the latest fact names the course
    await office.fact(
        EnrolmentWaitlisted(
            participant_id=enrolled.id,
            programme_id="p",
            subproject_id="sub-a",
            course_id="course-w",
            waitlisted_on=TODAY,
            position=2,
            re_entry=False,
        )
    )
    await office.fact(_enrolled(enrolled, "course-b"))
    for who in (started, completed, dropped, withdrawn):
        await office.fact(_enrolled(who))
    for who in (started, completed, dropped):
        await office.fact(ParticipationStarted(participant_id=who.id, course_id="course-a", started_on=TODAY))
    await office.fact(_completed(completed, TODAY))
    # a correction is not a change of status
    await office.fact(
        StartCorrected(
            participant_id=completed.id,
            course_id="course-a",
            started_on=TODAY,
            previous_started_on=TODAY,
            correction_reason="entered-wrong",
        )
    )
    await office.fact(
        ParticipationDroppedOut(participant_id=dropped.id, course_id="course-a", left_on=TODAY, reason="job")
    )
    await office.fact(
        ParticipationWithdrawn(participant_id=withdrawn.id, course_id="course-a", withdrawn_on=TODAY, reason="declined")
    )
    expected = {
        referred: ("referred", None),
        waiting: ("waiting", "course-w"),
        enrolled: ("enrolled", "course-b"),
        started: ("started", "course-a"),
        completed: ("completed", "course-a"),
        dropped: ("dropped-out", "course-a"),
        withdrawn: ("withdrawn", "course-a"),
    }
    items = {i["case_reference"]: (i["status"], i["course_id"]) for i in (await office.caseload())["items"]}
    assert items == {who.case_reference: seen for who, seen in expected.items()}
    for who, (status, _) in expected.items():
        assert await office.references(status=status) == [who.case_reference]
    assert await office.references(course_id="course-b") == [enrolled.case_reference]
    assert await office.references(course_id="course-w") == [waiting.case_reference]
    assert await office.references(course_id="course-a", status="started") == [started.case_reference]


async def test_case_reference_programme_and_subproject_filter(intake: FastAPI, office: Office) -> None:
    first = await office.refer()
    second = await office.refer(subproject_id="sub-b")
    await _in_the_catalogue(intake, f"{office.programme}-other", office.municipality, subprojects=("sub-c",))
    third = await office.refer(programme_id=f"{office.programme}-other", subproject_id="sub-c")
    assert await office.references(case_reference=second.case_reference) == [second.case_reference]
    assert await office.references(programme_id=office.programme, sort="case_reference") == [
        first.case_reference,
        second.case_reference,
    ]
    assert await office.references(subproject_id="sub-b") == [second.case_reference]
    assert await office.references(programme_id=f"{office.programme}-other") == [third.case_reference]
    assert await office.references(case_reference="RUM-000000") == []


async def test_caseworker_me_lists_the_callers_own_cases(intake: FastAPI, office: Office) -> None:
    mine = await office.refer()
    async with _client(intake, municipality=office.municipality, subject="colleague") as colleague_client:
        colleague = Office(intake, office.municipality, office.programme, "colleague", colleague_client)
        theirs = await colleague.refer()
        assert await colleague.references(caseworker="me") == [theirs.case_reference]
    assert await office.references(caseworker="me") == [mine.case_reference]
    assert (await office.caseload())["total"] == 2


# --- follow-up checks -------------------------------------------------------------------------------------------------
async def test_due_and_overdue_count_only_checks_not_yet_recorded(office: Office) -> None:
    left = TODAY - timedelta(days=30)
    due, overdue, recorded, later, other_leaving, six_month = [await office.refer() for _ in range(6)]
    await office.fact(_check(due, TODAY + timedelta(days=14), left_on=left))
    await office.fact(_check(due, TODAY + timedelta(days=180), left_on=left, check="six-month"))
    await office.fact(_check(overdue, TODAY - timedelta(days=1), left_on=left))
    await office.fact(_check(overdue, TODAY + timedelta(days=3), left_on=left, check="six-month"))
    await office.fact(_check(recorded, TODAY, left_on=left))
    await office.fact(_outcome(recorded, left))
    await office.fact(_check(later, TODAY + timedelta(days=15), left_on=left))
    # an outcome for another leaving date does not record this one
    await office.fact(_check(other_leaving, TODAY, left_on=left))
    await office.fact(_outcome(other_leaving, left - timedelta(days=1)))
    # the outcome upon leaving does not record the six-month check; the six-month result does
    await office.fact(_check(six_month, TODAY + timedelta(days=1), left_on=left, check="six-month"))
    await office.fact(_outcome(six_month, left))
    assert {i["case_reference"] for i in (await office.caseload(due="due"))["items"]} == {
        due.case_reference,
        overdue.case_reference,
        other_leaving.case_reference,
        six_month.case_reference,
    }
    assert await office.references(due="overdue") == [overdue.case_reference]
    await office.fact(six_month_result_recorded(six_month.id, "job-seeking", observed_on=TODAY, left_on=left))
    items = {i["case_reference"]: (i["next_due_on"], i["overdue"]) for i in (await office.caseload())["items"]}
    assert items == {
        due.case_reference: ((TODAY + timedelta(days=14)).isoformat(), False),
        overdue.case_reference: ((TODAY - timedelta(days=1)).isoformat(), True),
        recorded.case_reference: (None, False),
        later.case_reference: ((TODAY + timedelta(days=15)).isoformat(), False),
        other_leaving.case_reference: (TODAY.isoformat(), False),
        six_month.case_reference: (None, False),
    }
    assert six_month.case_reference not in await office.references(due="due")


async def test_a_re_entry_supersedes_the_open_checks_of_the_earlier_exit(office: Office) -> None:
    who = await office.refer()
    first_exit = TODAY - timedelta(days=60)
    await office.fact(_enrolled(who, on=first_exit - timedelta(days=30)))
    await office.fact(_completed(who, first_exit))
    await office.fact(_check(who, first_exit + timedelta(days=28), left_on=first_exit))
    assert await office.references(due="overdue") == [who.case_reference]
    await office.fact(_enrolled(who, "course-b", on=TODAY))
    [item] = (await office.caseload())["items"]
    assert (item["status"], item["course_id"], item["next_due_on"], item["overdue"]) == (
        "enrolled",
        "course-b",
        None,
        False,
    )
    assert await office.references(due="overdue") == []
    await office.fact(_completed(who, TODAY, "course-b"))
    await office.fact(_check(who, TODAY + timedelta(days=28), left_on=TODAY))
    [item] = (await office.caseload())["items"]
    assert (item["status"], item["next_due_on"], item["overdue"]) == (
        "completed",
        (TODAY + timedelta(days=28)).isoformat(),
        False,
    )


# --- paging and sorting -----------------------------------------------------------------------------------------------
async def test_pages_cover_every_case_once_in_a_stable_order(office: Office) -> None:
    days_ago = [i % 3 for i in range(7)]  # three referral dates: ties are broken by case reference
    referred = [await office.refer(referred_on=(TODAY - timedelta(days=d)).isoformat()) for d in days_ago]
    pages = [await office.caseload(page=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [7, 7, 7, 7]
    assert [(p["page"], p["page_size"], len(p["items"])) for p in pages] == [(1, 3, 3), (2, 3, 3), (3, 3, 1), (4, 3, 0)]
    listed = [i["case_reference"] for p in pages for i in p["items"]]
    newest_first = sorted(zip(days_ago, referred, strict=True), key=lambda pair: (pair[0], _number(pair[1])))
    assert listed == [who.case_reference for _, who in newest_first]  # the default sort, -referred_on
    again = [i["case_reference"] for n in (1, 2, 3) for i in (await office.caseload(page=n, page_size=3))["items"]]
    assert again == listed == await office.references(page_size=100)


async def test_each_sort(office: Office) -> None:
    days = [5, 1, 3, 1]
    people = [await office.refer(referred_on=(TODAY - timedelta(days=d)).isoformat()) for d in days]
    dues: list[int | None] = [10, None, -2, 10]
    for who, due in zip(people, dues, strict=True):
        if due is not None:
            await office.fact(_check(who, TODAY + timedelta(days=due), left_on=TODAY))
    by_number = sorted(people, key=_number)
    referred = {who: TODAY - timedelta(days=d) for who, d in zip(people, days, strict=True)}
    due_on = dict(zip(people, dues, strict=True))
    far = 10**6  # None sorts last either way

    def refs(ordered: list[Referred]) -> list[str]:
        return [who.case_reference for who in ordered]

    assert await office.references(sort="case_reference") == refs(by_number)
    assert await office.references(sort="-case_reference") == refs(by_number[::-1])
    assert await office.references(sort="referred_on") == refs(sorted(by_number, key=lambda w: referred[w]))
    assert await office.references(sort="-referred_on") == refs(
        sorted(by_number, key=lambda w: referred[w], reverse=True)
    )
    assert await office.references(sort="next_due_on") == refs(
        sorted(by_number, key=lambda w: (due_on[w] is None, due_on[w] or 0))
    )
    assert await office.references(sort="-next_due_on") == refs(
        sorted(by_number, key=lambda w: (due_on[w] is None, -(due_on[w] or far)))
    )


def _number(who: Referred) -> int:
    return int(who.case_reference.removeprefix("RUM-"))


# --- searching by CPR number ------------------------------------------------------------------------------------------
async def test_a_cpr_search_finds_the_participant_by_hash_and_is_audited(
    intake: FastAPI, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted, other = await office.refer(), await office.refer()

    def no_decrypting(*_: Any) -> str:
        raise AssertionError("a search must not decrypt")

    monkeypatch.setattr(DataKey, "decrypt", no_decrypting)
    monkeypatch.setattr(Vault, "unwrap", no_decrypting)
    with_hyphen = await office.search(wanted.cpr)
    without_hyphen = await office.search(wanted.cpr.replace("-", ""))
    assert [i["participant_id"] for i in with_hyphen["items"]] == [str(wanted.id)]
    assert without_hyphen["items"] == with_hyphen["items"] and with_hyphen["total"] == 1
    assert other.case_reference not in str(with_hyphen)
    assert await _audit_of(intake, office.subject) == [("search-by-cpr", wanted.id), ("search-by-cpr", wanted.id)]


async def test_a_cpr_search_that_finds_nobody_is_audited_and_a_plain_listing_is_not(
    intake: FastAPI, office: Office
) -> None:
    referred = await office.refer()
    await office.caseload()
    await office.caseload(status="referred", sort="case_reference")
    assert await _audit_of(intake, office.subject) == []
    nobody = "010101-0001"  # valid, never referred
    assert (await office.search(nobody))["items"] == []
    assert await _audit_of(intake, office.subject) == [("search-by-cpr", NO_PARTICIPANT)]
    # another municipality's caseworker does not find the citizen either; the search is audited all the same
    async with _client(intake, municipality=str(next(MUNICIPALITIES)), subject="elsewhere") as elsewhere:
        response = await elsewhere.post("/search/participants", json={"cpr": referred.cpr})
    assert response.json()["items"] == [] and response.json()["total"] == 0
    assert await _audit_of(intake, "elsewhere") == [("search-by-cpr", NO_PARTICIPANT)]


# --- refusals ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"cpr": "0101901235"},  # not in a URL: POST /search/participants
        {"page": "0"},
        {"page": "-1"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"sort": "name"},
        {"sort": "referred_on; DROP TABLE participant"},
        {"case_reference": "'; DROP TABLE participant;--"},
        {"case_reference": "RUM-12"},
        {"programme_id": "x' OR '1'='1"},
        {"status": "active"},
        {"due": "soon"},
        {"caseworker": "'; DROP TABLE participant;--"},
        {"municipality": "101"},
    ],
    ids=lambda p: "-".join(p),
)
async def test_bad_input_is_a_422_problem_and_changes_nothing(
    intake: FastAPI, office: Office, params: dict[str, str]
) -> None:
    await office.refer()
    before = (await _scalar(intake, "SELECT count(*) FROM participant"), await _audit_of(intake, office.subject))
    response = await office.client.get("/participants", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["location"] == ["query", *params]
    assert "cpr" not in params or params["cpr"] not in response.text  # a CPR number is never echoed
    after = (await _scalar(intake, "SELECT count(*) FROM participant"), await _audit_of(intake, office.subject))
    assert after == before
    assert (await office.caseload())["total"] == 1


@pytest.mark.parametrize(
    "body",
    [{"cpr": "320190-1235"}, {"cpr": "abc"}, {"cpr": "0101901235 OR 1=1"}, {}, {"cpr": 101901235}, {"cpr": None}],
    ids=str,
)
async def test_a_bad_cpr_search_is_a_422_problem_that_never_echoes_the_number(
    intake: FastAPI, office: Office, body: dict[str, Any]
) -> None:
    await office.refer()
    before = (await _scalar(intake, "SELECT count(*) FROM participant"), await _audit_of(intake, office.subject))
    response = await office.client.post("/search/participants", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["location"][:2] == ["body", "cpr"]
    assert str(body.get("cpr")) not in response.text
    after = (await _scalar(intake, "SELECT count(*) FROM participant"), await _audit_of(intake, office.subject))
    assert after == before
    assert (await office.caseload())["total"] == 1


async def test_no_token_is_401_and_an_operator_403(intake: FastAPI) -> None:
    async with _client(intake, role="caseworker", municipality=None) as without_municipality:
        assert (await without_municipality.get("/participants")).status_code == 403
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake), base_url="http://test") as anonymous:
        response = await anonymous.get("/participants")
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM_JSON
    async with _client(intake, role="operator") as operator:
        response = await operator.get("/participants")
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM_JSON


# --- the query itself -------------------------------------------------------------------------------------------------
def test_values_travel_as_parameters_never_in_the_sql() -> None:
    evil = "'; DROP TABLE participant;--"
    statement, params = caseload_statement(
        "751", CaseloadFilter(case_reference=evil, course_id=evil), Paging(), today=TODAY
    )
    assert evil not in str(statement)
    assert params["case_reference"] == params["course_id"] == evil


def test_the_facts_the_query_reads_are_registered() -> None:
    names = {*STATUS_OF_FACT, "followup.check-scheduled", "leaving-outcome.recorded", "six-month-result.recorded"}
    assert names <= {t for t, _, _ in REGISTRY.versions()}


async def test_a_team_lead_lists_any_caseworkers_cases_and_a_caseworker_only_their_own(
    intake: FastAPI, office: Office
) -> None:
    mine = await office.refer()
    async with _client(intake, municipality=office.municipality) as colleague_client:
        colleague = Office(intake, office.municipality, office.programme, "", colleague_client)
        theirs = await colleague.refer()
        refused = await colleague_client.get("/participants", params={"caseworker": office.subject})
    async with _client(intake, role="team-lead", municipality=office.municipality) as lead:
        listed = await lead.get("/participants", params={"caseworker": office.subject})
        everyone = await lead.get("/participants")
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM_JSON
    assert [i["case_reference"] for i in listed.json()["items"]] == [mine.case_reference]
    assert {i["case_reference"] for i in everyone.json()["items"]} == {mine.case_reference, theirs.case_reference}
