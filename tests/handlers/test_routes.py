"""The HTTP routes on a migrated PostgreSQL, without Kafka: the app is called in-process, its lifespan not started.

A command's answer needs the owning service, so commands are only tested here up to the 202 that says "pending".
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import TextClause, text

from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.main import create_app as enrolment_app
from services.enrolment.settings import EnrolmentSettings
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import Role, issue_token
from shared.clock import today_in_copenhagen
from shared.db import SessionMaker
from shared.fund_rules import add_months
from shared.problems import MAX_BODY_BYTES, PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import deliver

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
rng = random.Random(77)


def _token(role: Role, municipality: str | None = "751") -> str:
    return issue_token(
        AUTH,
        subject=f"{role}-1",
        email=f"{role}@example.dk",
        roles=[role],
        municipality=municipality,
        programmes=["rummelig-imidt", "report-tests"] if role == "operator" else None,
    )


async def _client(app: FastAPI, role: Role, municipality: str | None = "751") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {_token(role, municipality)}"},
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases, seeded_catalogue: list[str]) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database, its catalogue read model seeded; no broker."""
    app = intake_app(
        IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
    )
    yield app
    await app.state.sessions.kw["bind"].dispose()


async def test_a_referral_is_registered_and_its_event_waits_in_the_outbox(intake: FastAPI) -> None:
    async with await _client(intake, "caseworker") as client:
        response = await client.post("/referrals", json=referral_body(synthetic_citizen(rng)))
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/participants/{body['participant_id']}"
        async with intake.state.sessions() as session:
            rows = (
                await session.exec(
                    _sql("SELECT headers->>'ce_type', headers->>'ce_dataversion' FROM outbox_message WHERE key = :k"),
                    params={"k": body["participant_id"]},
                )
            ).all()
        assert [tuple(r) for r in rows] == [("referral.registered", "3")]


async def test_the_same_citizen_referred_twice_gets_409_naming_the_case(intake: FastAPI) -> None:
    body = referral_body(synthetic_citizen(rng))
    async with await _client(intake, "caseworker") as client:
        first = await client.post("/referrals", json=body)
        second = await client.post("/referrals", json=body)
    assert second.status_code == 409
    assert second.headers["content-type"] == PROBLEM_JSON
    assert second.json()["type"] == "urn:rummelig:problem:already-referred"
    assert first.json()["case_reference"] in second.json()["detail"]


async def test_reading_a_participant_decrypts_and_is_audited(intake: FastAPI) -> None:
    citizen = synthetic_citizen(rng)
    async with await _client(intake, "caseworker") as client:
        pid = (await client.post("/referrals", json=referral_body(citizen))).json()["participant_id"]
        response = await client.get(f"/participants/{pid}")
    assert response.status_code == 200
    assert (response.json()["cpr"], response.json()["name"]) == (citizen.cpr.replace("-", ""), citizen.name)
    assert await _audited(intake, pid) == ["read-personal-data"]


async def test_contact_details_are_stored_encrypted_and_shown_with_the_legal_basis(intake: FastAPI) -> None:
    contact = {"phone": "+45 20 30 40 50", "email": "borger@example.org", "address": "Vestergade 12, 8000 Aarhus C"}
    async with await _client(intake, "caseworker") as client:
        created = await client.post("/referrals", json=referral_body(synthetic_citizen(rng), contact=contact))
        pid = created.json()["participant_id"]
        shown = (await client.get(f"/participants/{pid}")).json()
    assert shown["contact"] == contact
    assert (shown["legal_basis"], shown["consent_text_version"]) == ("consent", "samtykke-2024-1")
    async with intake.state.sessions() as session:
        stored = (await session.exec(_sql(f"SELECT participant::text FROM participant WHERE id = '{pid}'"))).one()
    for value in contact.values():
        assert value not in stored[0] and value.encode().hex() not in stored[0]


async def test_another_municipality_gets_404_and_nothing_is_audited(intake: FastAPI) -> None:
    async with await _client(intake, "caseworker") as client:
        pid = (await client.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()["participant_id"]
    async with await _client(intake, "caseworker", municipality="101") as other:
        response = await other.get(f"/participants/{pid}")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert await _audited(intake, pid) == []


async def test_a_command_not_answered_in_time_is_202_and_pending_on_the_timeline(intake: FastAPI) -> None:
    async with await _client(intake, "caseworker") as client:
        pid = (await client.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()["participant_id"]
        response = await client.post(f"/participants/{pid}/enrolment", json={"course_id": "plus-aarhus-2026"})
        assert response.status_code == 202
        command_id = response.json()["command_id"]
        assert response.headers["location"] == f"/commands/{command_id}"
        assert (await client.get(f"/commands/{command_id}")).json()["status"] == "pending"
        timeline = (await client.get(f"/participants/{pid}/timeline")).json()
    assert [c["id"] for c in timeline["pending_commands"]] == [command_id]
    assert timeline["events"] == []  # the referral's fact comes back through Kafka, which is not running here


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
        ({"content": b"cpr=1", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415),
        ({"content": b"x" * (MAX_BODY_BYTES + 1), "headers": {"content-type": "application/json"}}, 413),
        ({"json": {"cpr": "010190-1235"}}, 422),
    ],
    ids=["malformed", "form", "oversized", "incomplete"],
)
async def test_a_bad_body_is_a_problem_and_changes_nothing(
    intake: FastAPI, request_kwargs: dict[str, Any], status: int
) -> None:
    before = await _count(intake, "participant")
    async with await _client(intake, "caseworker") as client:
        response = await client.post("/referrals", **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["status"] == status
    assert await _count(intake, "participant") == before


async def test_no_token_is_401_and_a_wrong_role_403(intake: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake), base_url="http://test") as anonymous:
        assert (await anonymous.get(f"/participants/{uuid4()}")).status_code == 401
    async with await _client(intake, "operator", municipality=None) as operator:
        assert (await operator.get(f"/participants/{uuid4()}")).status_code == 403


async def test_enrolment_lists_its_courses(databases: Databases) -> None:
    app = enrolment_app(EnrolmentSettings(database_url=databases.url("enrolment")))
    async with app.state.sessions() as session, session.begin():
        await session.exec(
            _sql(
                "INSERT INTO course (id, programme_id, subproject_id, municipality, title, starts_on, ends_on,"
                " capacity)"
                " VALUES ('routes-course', 'p', 's', '751', 'Route test', '2026-01-05', '2026-06-30', 5)"
                " ON CONFLICT DO NOTHING"
            )
        )
    async with await _client(app, "caseworker") as client:
        courses = (await client.get("/courses")).json()
    assert {"id": "routes-course", "capacity": 5}.items() <= next(
        c for c in courses if c["id"] == "routes-course"
    ).items()
    await app.state.sessions.kw["bind"].dispose()


async def test_reporting_answers_the_typed_report(databases: Databases) -> None:
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=5))
    async with await _client(app, "operator", municipality=None) as client:
        report = (await client.get("/report")).json()
    assert report["min_cell"] == 5
    assert set(report) == {"min_cell", "last_event_at", "programmes"}
    await app.state.sessions.kw["bind"].dispose()


def _sql(statement: str) -> TextClause:
    return text(statement)


async def _count(app: FastAPI, table: str) -> int:
    async with app.state.sessions() as session:
        return int((await session.exec(_sql(f"SELECT count(*) FROM {table}"))).scalar_one())


async def _audited(app: FastAPI, participant_id: str) -> list[str]:
    async with app.state.sessions() as session:
        rows = (
            await session.exec(
                _sql("SELECT action FROM audit_entry WHERE participant_id = :p ORDER BY id"),
                params={"p": participant_id},
            )
        ).all()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("enrolled_on", "reason"),
    [
        ("2026-01-04", "urn:rummelig:problem:enrolled-before-referral"),
        ("2999-01-01", "urn:rummelig:problem:validation"),
    ],
    ids=["before-the-referral", "in-the-future"],
)
async def test_an_enrolment_date_before_the_referral_or_in_the_future_is_refused_and_sends_nothing(
    intake: FastAPI, enrolled_on: str, reason: str
) -> None:
    async with await _client(intake, "caseworker") as client:
        body = referral_body(synthetic_citizen(rng), referred_on="2026-01-05")
        pid = (await client.post("/referrals", json=body)).json()["participant_id"]
        response = await client.post(
            f"/participants/{pid}/enrolment", json={"course_id": "plus-aarhus-2026", "enrolled_on": enrolled_on}
        )
        timeline = (await client.get(f"/participants/{pid}/timeline")).json()
    assert response.status_code == 422, response.text
    assert response.json()["type"] == reason
    assert "enrolled_on" in str(response.json()["errors"])
    assert timeline["pending_commands"] == []


async def test_a_query_parameter_the_operation_does_not_know_is_refused_naming_it(databases: Databases) -> None:
    app = enrolment_app(EnrolmentSettings(database_url=databases.url("enrolment"), seed_demo_catalogue=False))
    async with await _client(app, "administrator", municipality=None) as client:
        misspelt = await client.get("/catalogue/courses", params={"programme": "rummelig-imidt"})
        known = await client.get("/catalogue/courses", params={"programme_id": "rummelig-imidt"})
        wrong_method = await client.delete("/catalogue/courses")
    assert misspelt.status_code == 422 and misspelt.headers["content-type"] == PROBLEM_JSON
    assert misspelt.json()["errors"] == [{"location": ["query", "programme"], "message": "unknown query parameter"}]
    assert known.status_code == 200, known.text
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "GET")  # an included router's route
    await app.state.sessions.kw["bind"].dispose()


@pytest.mark.parametrize("value", ["0", "1700000000", "2020-1-1", "yesterday"])
async def test_a_date_is_an_iso_date_and_nothing_else(databases: Databases, value: str) -> None:
    app = enrolment_app(EnrolmentSettings(database_url=databases.url("enrolment"), seed_demo_catalogue=False))
    async with await _client(app, "administrator", municipality=None) as client:
        response = await client.get("/catalogue/targets/rim-completed", params={"on": value})
        typed = await client.put(
            "/catalogue/targets/t-typed",
            json={"programme_id": "p", "figure": "completed", "number": False, "set_on": 0},
        )
    assert response.status_code == 422, response.text
    assert typed.status_code == 422
    assert {tuple(e["location"]) for e in typed.json()["errors"]} == {("body", "number"), ("body", "set_on")}
    await app.state.sessions.kw["bind"].dispose()


def _cpr_born(born: date) -> str:
    seventh = 4 if born.year >= 2000 else 0  # 4: 2000-2036 for YY <= 36, 1900s otherwise (DOMAIN.md)
    return f"{born:%d%m%y}-{seventh}{rng.randrange(1000):03d}"


REFUSED_BY_THE_CATALOGUE: dict[str, tuple[dict[str, Any], str, str]] = {
    "a programme with a typo": ({"programme_id": "rummelig-imdt"}, "unknown-programme", "programme_id"),
    "a date outside the programme": (
        {"programme_id": "rummelig-imidt", "subproject_id": "war-veterans-aarhus", "referred_on": "2014-06-02"},
        "outside-programme-period",
        "referred_on",
    ),
    "a sub-project of another programme": (
        {"subproject_id": "war-veterans-aarhus"},
        "unknown-sub-project",
        "subproject_id",
    ),
    "a sub-project not active on the date": (
        {"programme_id": "rummelig-imidt", "subproject_id": "war-veterans-aarhus", "referred_on": "2020-01-06"},
        "sub-project-not-active",
        "subproject_id",
    ),
    "a target group the sub-project does not serve": (
        {"target_group": "young-neet"},
        "target-group-not-served",
        "target_group",
    ),
    "a sub-project that does not serve the caseworker's municipality": (
        {
            "programme_id": "rummelig-imidt",
            "subproject_id": "flex-job-odder",
            "referred_on": "2017-03-01",
            "target_group": "stress-depression-strain-injuries",
        },
        "municipality-not-served",
        "subproject_id",
    ),
}


@pytest.mark.parametrize("case", REFUSED_BY_THE_CATALOGUE, ids=list(REFUSED_BY_THE_CATALOGUE))
async def test_a_referral_the_catalogue_does_not_allow_is_a_422_naming_the_field_and_stores_nothing(
    intake: FastAPI, case: str
) -> None:
    changes, reason, field = REFUSED_BY_THE_CATALOGUE[case]
    before = (await _count(intake, "participant"), await _count(intake, "outbox_message"))
    async with await _client(intake, "caseworker") as client:
        response = await client.post("/referrals", json=referral_body(synthetic_citizen(rng), **changes))
    assert response.status_code == 422, response.text
    assert response.json()["type"] == f"urn:rummelig:problem:{reason}"
    assert field in str(response.json()["errors"])
    assert (await _count(intake, "participant"), await _count(intake, "outbox_message")) == before


async def test_a_paper_referral_from_an_earlier_year_is_accepted_inside_the_programmes_period(intake: FastAPI) -> None:
    body = referral_body(
        synthetic_citizen(rng),
        programme_id="rummelig-imidt",
        subproject_id="war-veterans-aarhus",
        referred_on="2017-03-01",
    )
    async with await _client(intake, "caseworker") as client:
        response = await client.post("/referrals", json=body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (date(2000, 2, 29), True),  # a leap day of the 2000s (seventh digit 4)
        (add_months(today_in_copenhagen(), -110 * 12) + timedelta(days=1), True),  # 110 tomorrow
        (add_months(today_in_copenhagen(), -110 * 12), False),  # 110 today: a typing error, not a citizen
        (today_in_copenhagen() + timedelta(days=1), False),  # born tomorrow
    ],
)
async def test_a_birth_date_in_the_future_or_over_110_years_back_is_refused(
    intake: FastAPI, born: date, accepted: bool
) -> None:
    body = referral_body(synthetic_citizen(rng), cpr=_cpr_born(born))
    async with await _client(intake, "caseworker") as client:
        response = await client.post("/referrals", json=body)
    assert (response.status_code == 201) is accepted, response.text
    if not accepted:
        assert response.status_code == 422 and "cpr" in str(response.json()["errors"])


async def test_a_referral_repeated_with_its_idempotency_key_has_one_effect_and_the_first_answer(
    intake: FastAPI,
) -> None:
    body = referral_body(synthetic_citizen(rng))
    key = {"Idempotency-Key": f"ref-{uuid4()}"}
    before = (await _count(intake, "participant"), await _count(intake, "outbox_message"))
    async with await _client(intake, "caseworker") as client:
        first = await client.post("/referrals", json=body, headers=key)
        again = await client.post("/referrals", json=body, headers=key)
        other = await client.post("/referrals", json=referral_body(synthetic_citizen(rng)), headers=key)
        malformed = await client.post("/referrals", json=body, headers={"Idempotency-Key": "two words"})
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert (await _count(intake, "participant"), await _count(intake, "outbox_message")) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert other.status_code == 422 and other.json()["type"] == "urn:rummelig:problem:idempotency-key-reused"
    assert malformed.status_code == 422
    async with await _client(intake, "caseworker", municipality="751") as client:
        # keys are each user's own: the same key from another user is another request
        theirs = await client.post(
            "/referrals",
            json=referral_body(synthetic_citizen(rng)),
            headers={**key, "Authorization": f"Bearer {_other_caseworker()}"},
        )
    assert theirs.status_code == 201 and theirs.json()["participant_id"] != first.json()["participant_id"]


async def test_a_command_repeated_with_its_idempotency_key_is_sent_once(intake: FastAPI) -> None:
    key = {"Idempotency-Key": f"cmd-{uuid4()}"}
    async with await _client(intake, "caseworker") as client:
        pid = (await client.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()["participant_id"]
        before = await _count(intake, "pending_command")
        first = await client.post(f"/participants/{pid}/start", json={"started_on": "2026-02-02"}, headers=key)
        again = await client.post(f"/participants/{pid}/start", json={"started_on": "2026-02-02"}, headers=key)
        changed = await client.post(f"/participants/{pid}/start", json={"started_on": "2026-02-03"}, headers=key)
    assert (first.status_code, again.status_code) == (202, 202)  # no broker here: pending
    assert again.json()["command_id"] == first.json()["command_id"]
    assert await _count(intake, "pending_command") == before + 1
    assert changed.status_code == 422 and changed.json()["type"] == "urn:rummelig:problem:idempotency-key-reused"


def _other_caseworker() -> str:
    return issue_token(AUTH, subject="caseworker-2", email="cw2@example.dk", roles=["caseworker"], municipality="751")


async def test_consent_withdrawn_is_recorded_once_and_told_by_an_event(intake: FastAPI) -> None:
    async with await _client(intake, "caseworker") as client:
        body = referral_body(synthetic_citizen(rng), referred_on="2026-01-12")
        pid = (await client.post("/referrals", json=body)).json()["participant_id"]
        early = await client.post(f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": "2026-01-11"})
        withdrawn = await client.post(f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": "2026-03-02"})
        again = await client.post(f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": "2026-03-03"})
        public = referral_body(
            synthetic_citizen(rng), legal_basis="public-task", consent=None, consent_text_version=None
        )
        public_pid = (await client.post("/referrals", json=public)).json()["participant_id"]
        not_on_consent = await client.post(
            f"/participants/{public_pid}/consent-withdrawal", json={"withdrawn_on": "2026-03-02"}
        )
        shown = (await client.get(f"/participants/{pid}")).json()
    assert early.status_code == 409 and early.json()["type"].endswith("before-consent")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["consent_withdrawn_on"] == "2026-03-02" == shown["consent_withdrawn_on"]
    assert again.status_code == 409 and again.json()["type"].endswith("already-withdrawn")
    assert not_on_consent.status_code == 409 and not_on_consent.json()["type"].endswith("not-on-consent")
    async with intake.state.sessions() as session:
        told = (
            await session.exec(
                _sql("SELECT payload FROM outbox_message WHERE key = :k AND headers->>'ce_type' = 'consent.withdrawn'"),
                params={"k": pid},
            )
        ).all()
    assert [json.loads(t[0]) for t in told] == [{"participant_id": pid, "withdrawn_on": "2026-03-02"}]


async def test_an_operator_sees_only_the_programmes_in_their_token(
    databases: Databases, service_sessions: Callable[[str], SessionMaker]
) -> None:
    for programme in ("operated-here", "operated-elsewhere"):
        await deliver(service_sessions("reporting"), "reporting", fixture_referral(uuid4(), programme_id=programme))
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=3))
    token = issue_token(AUTH, subject="op", email="op@example.dk", roles=["operator"], programmes=["operated-here"])
    async with bearer_client(app, token) as client:
        shown = {p["programme_id"] for p in (await client.get("/report")).json()["programmes"]}
        page = (await client.get("/")).text
    assert shown == {"operated-here"}
    assert "operated-elsewhere" not in page
    await app.state.sessions.kw["bind"].dispose()


async def test_two_simultaneous_referrals_of_one_citizen_make_one_participant(intake: FastAPI) -> None:
    citizen = synthetic_citizen(rng)
    before = await _count(intake, "participant")
    async with await _client(intake, "caseworker") as client:
        answers = await asyncio.gather(*(client.post("/referrals", json=referral_body(citizen)) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert await _count(intake, "participant") == before + 1
