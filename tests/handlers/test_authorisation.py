"""Each role against each operation of intake, enrolment and reporting, in-process on the migrated databases.

The table below says which roles an operation admits; every operation of the three OpenAPI documents must be in it,
so a new endpoint cannot go unchecked. A role it does not admit gets 403 whatever it sends; a role it admits gets
past the role check (here: any answer but 401 and 403, the body being empty or the participant unknown).
"""

from __future__ import annotations

import base64
import random
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.main import create_app as enrolment_app
from services.enrolment.settings import EnrolmentSettings
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import ROLES, Role, issue_token
from shared.contracts import EnrolmentConfirmed
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.handlers import deliver

KEY = base64.b64encode(bytes(range(32))).decode()  # the key test_routes.py writes with
AUTH = AuthSettings()
MUNICIPAL: set[Role] = {"caseworker", "team-lead"}
RECORDERS: set[Role] = {*MUNICIPAL, "provider-staff"}
EVERYONE: set[Role] = set(ROLES)
DATA_PROTECTION: set[Role] = {"administrator", "data-protection-officer"}
COMMANDS = ("enrolment", "withdrawal", "corrections/start", "corrections/leaving-date", "corrections/drop-out-reason")
ADMITS: dict[tuple[str, str, str], set[Role]] = {
    ("intake", "POST", "/referrals"): MUNICIPAL,
    ("intake", "GET", "/participants"): MUNICIPAL,
    ("intake", "POST", "/search/participants"): MUNICIPAL,
    ("intake", "GET", "/participants/{participant_id}"): MUNICIPAL,
    ("intake", "GET", "/participants/{participant_id}/timeline"): MUNICIPAL,
    ("intake", "POST", "/participants/{participant_id}/consent-withdrawal"): MUNICIPAL,
    ("intake", "POST", "/participants/{participant_id}/erasure"): {"administrator"},
    ("intake", "GET", "/commands/{command_id}"): RECORDERS,
    ("intake", "GET", "/courses/{course_id}/participants"): {"provider-staff"},
    **{("intake", "POST", f"/participants/{{participant_id}}/{c}"): MUNICIPAL for c in COMMANDS},
    **{("intake", "POST", f"/participants/{{participant_id}}/{c}"): MUNICIPAL for c in ("leaving-outcome",)},
    ("intake", "POST", "/participants/{participant_id}/six-month-result"): MUNICIPAL,
    **{("intake", "POST", f"/participants/{{participant_id}}/{c}"): RECORDERS for c in ("start", "completion")},
    ("intake", "POST", "/participants/{participant_id}/drop-out"): RECORDERS,
    ("intake", "GET", "/audit"): DATA_PROTECTION,
    ("intake", "GET", "/audit.csv"): DATA_PROTECTION,
    ("intake", "GET", "/participants/{participant_id}/access-request"): DATA_PROTECTION,
    ("intake", "GET", "/extract/participants"): {"administrator"},
    ("intake", "GET", "/extract/participants.csv"): {"administrator"},
    ("intake", "GET", "/extract/participants.xlsx"): {"administrator"},
    ("intake", "POST", "/register-extracts"): {"administrator"},
    ("intake", "POST", "/reassignments"): {"team-lead"},
    ("enrolment", "GET", "/courses"): {"caseworker"},
    ("reporting", "GET", "/report"): {"operator"},
    ("reporting", "GET", "/report/figures"): {"operator"},
    ("reporting", "GET", "/report/figures.csv"): {"operator"},
    ("reporting", "GET", "/report/figures.xlsx"): {"operator"},
    ("reporting", "GET", "/dashboard"): {"operator"},
    ("reporting", "GET", "/"): {"operator"},
}
OPEN = {"/health", "/health/live", "/health/ready"}  # no token needed


def _token(role: Role) -> str:
    return issue_token(
        AUTH,
        subject=f"{role}-authz",
        email=f"{role}@example.dk",
        roles=[role],
        municipality="751" if role in MUNICIPAL else None,
        subprojects=["plus-aarhus"] if role == "provider-staff" else None,
        programmes=["rummelig-plus"] if role == "operator" else None,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def apps(databases: Databases) -> AsyncIterator[dict[str, FastAPI]]:
    """The three services with routes for people, built by their composition roots (no broker started)."""
    built = {
        "intake": intake_app(
            IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
        ),
        "enrolment": enrolment_app(
            EnrolmentSettings(database_url=databases.url("enrolment"), seed_demo_catalogue=False)
        ),
        "reporting": reporting_app(ReportingSettings(database_url=databases.url("reporting"))),
    }
    yield built
    for app in built.values():
        await app.state.sessions.kw["bind"].dispose()


def _operations(app: FastAPI, service: str) -> list[tuple[str, str, str]]:
    return [
        (service, method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if path not in OPEN and not path.startswith("/catalogue/")  # the catalogue's roles: test_catalogue_api.py
    ]


async def test_every_operation_is_in_the_table(apps: dict[str, FastAPI]) -> None:
    found = {op for service, app in apps.items() for op in _operations(app, service)}
    assert found == set(ADMITS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(ADMITS), ids=lambda op: " ".join(op))
async def test_a_role_reaches_an_operation_only_if_the_table_admits_it(
    apps: dict[str, FastAPI], operation: tuple[str, str, str], role: Role
) -> None:
    service, method, template = operation
    path = template.format(participant_id=uuid4(), command_id=uuid4(), course_id="plus-aarhus-2026")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=apps[service]),
        base_url="http://test",
        headers={"Authorization": f"Bearer {_token(role)}"},
    ) as client:
        response = await client.request(method, path, json={} if method == "POST" else None)
    if role in ADMITS[operation]:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_provider_staff_see_their_courses_participants_by_first_name_and_record_their_start(
    apps: dict[str, FastAPI], seeded_catalogue: list[str]
) -> None:
    intake = apps["intake"]
    citizen = synthetic_citizen(random.Random(5150))
    async with _as(intake, "caseworker") as caseworker:
        pid = (await caseworker.post("/referrals", json=referral_body(citizen))).json()["participant_id"]
    enrolled = EnrolmentConfirmed(
        participant_id=UUID(pid),
        programme_id="rummelig-plus",
        subproject_id="plus-aarhus",
        course_id="plus-aarhus-2026",
        enrolled_on=date(2026, 2, 2),
        re_entry=False,
    )
    await deliver(intake.state.sessions, "intake", enrolled)

    async with _as(intake, "provider-staff") as provider:
        listed = (await provider.get("/courses/plus-aarhus-2026/participants")).json()
        started = await provider.post(f"/participants/{pid}/start", json={"started_on": "2026-02-09"})
        personal = await provider.get(f"/participants/{pid}")
    mine = [p for p in listed if p["participant_id"] == pid]
    assert mine == [
        {
            "participant_id": pid,
            "case_reference": mine[0]["case_reference"],
            "first_name": citizen.name.split()[0],
            "status": "enrolled",
        }
    ]
    assert citizen.cpr not in str(listed) and citizen.cpr.replace("-", "") not in str(listed)
    assert started.status_code == 202, started.text  # sent to enrolment (no broker here: pending)
    assert personal.status_code == 403  # the CPR number and full name are not the provider's

    async with _as(intake, "provider-staff", subprojects=["psych-vulnerable-odder"]) as other_provider:
        assert (await other_provider.get("/courses/plus-aarhus-2026/participants")).status_code == 404
        other = await other_provider.post(f"/participants/{pid}/start", json={"started_on": "2026-02-09"})
        assert other.status_code == 404
    async with intake.state.sessions() as session:
        audited = (
            await session.exec(
                text("SELECT action, role FROM audit_entry WHERE participant_id = :p AND actor = :a"),
                params={"p": pid, "a": "provider-staff-authz"},
            )
        ).all()
    assert [tuple(a) for a in audited] == [("read-first-name", "provider-staff")]


def _as(app: FastAPI, role: Role, *, subprojects: list[str] | None = None) -> httpx.AsyncClient:
    token = (
        _token(role)
        if subprojects is None
        else issue_token(
            AUTH, subject=f"{role}-other", email="other@example.org", roles=[role], subprojects=subprojects
        )
    )
    return bearer_client(app, token)
