"""The HTTP routes on a migrated PostgreSQL, without Kafka: the app is called in-process, its lifespan not started.

A command's answer needs the owning service, so commands are only tested here up to the 202 that says "pending".
"""

from __future__ import annotations

import base64
import random
from collections.abc import AsyncIterator
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
from shared.problems import MAX_BODY_BYTES, PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.database import Databases

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
rng = random.Random(77)


def _token(role: Role, municipality: str | None = "751") -> str:
    return issue_token(AUTH, subject=f"{role}-1", email=f"{role}@example.dk", roles=[role], municipality=municipality)


async def _client(app: FastAPI, role: Role, municipality: str | None = "751") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {_token(role, municipality)}"},
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
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
        assert [tuple(r) for r in rows] == [("referral.registered", "2")]


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
