"""The fund's participant extract on a migrated PostgreSQL (no Kafka): a cohort referred through intake's route, its
paths delivered through intake's consumer, the extract asked for as an administrator in JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from openpyxl import load_workbook

from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.auth import Role, issue_token
from shared.contracts import (
    REGISTRY,
    LeavingOutcomeRecorded,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationStarted,
)
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.handlers import rows
from tests.fixtures.intake_programme import IntakeProgramme
from tests.fixtures.vaults import fresh_key

AUTH = AuthSettings()
rng = random.Random(2611)
HALF_YEAR = ("2025-08", date(2025, 3, 1), date(2025, 8, 31))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker."""
    settings = IntakeSettings(
        database_url=databases.url("intake"), data_key=fresh_key(), lookup_key=fresh_key(), command_wait_seconds=0
    )
    app = intake_app(settings)
    yield app
    await app.state.sessions.kw["bind"].dispose()


def client(app: FastAPI, role: Role, **scope: Any) -> httpx.AsyncClient:
    token = issue_token(AUTH, subject=f"{role}-extract", email=f"{role}@example.dk", roles=[role], **scope)
    return bearer_client(app, token)


@dataclass
class Planned:
    """One participant of the cohort, with the path planned for them."""

    participant_id: UUID
    cpr: str
    starts: list[date] = field(default_factory=list)
    exits: list[date] = field(default_factory=list)

    def in_period(self, start: date, end: date) -> bool:
        """Entered (first start) or left for good in the period: counted from the plan, not by the fold."""
        entered = self.starts[0] if self.starts else None
        final = self.exits[-1] if self.exits and len(self.exits) == len(self.starts) else None
        return any(d is not None and start <= d <= end for d in (entered, final))


class Programme(IntakeProgramme):
    """A programme of the test's own in intake's catalogue, and a consumer that judges entries as intake's does."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app, "ex", "Extract tests")

    async def refer_planned(self, referred_on: date) -> Planned:
        """Refer a new citizen, with no path planned yet."""
        participant_id, citizen = await self.refer(rng, referred_on)
        return Planned(participant_id, citizen.cpr)

    async def walk(self, planned: Planned, start: date, stays: list[int]) -> None:
        """Start, and for each stay leave after that many days (the last stay may be unfinished: -1)."""
        on = start
        for i, days in enumerate(stays):
            await self.deliver(
                ParticipationStarted(participant_id=planned.participant_id, course_id="c", started_on=on)
            )
            planned.starts.append(on)
            if days < 0:
                return
            left = on + timedelta(days=days)
            kind = ParticipationCompleted if i % 2 == 0 else ParticipationDroppedOut
            extra = {} if kind is ParticipationCompleted else {"reason": "illness"}
            await self.deliver(kind(participant_id=planned.participant_id, course_id="c", left_on=left, **extra))
            planned.exits.append(left)
            on = left + timedelta(days=30)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cohort(intake: FastAPI) -> tuple[Programme, list[Planned]]:
    """Forty participants whose entries and exits fall before, in and after the half-year, some entering again."""
    programme = Programme(intake)
    await programme.publish()
    planned = []
    for _ in range(40):
        person = await programme.refer_planned(date(2024, 6, 1))
        if rng.random() < 0.9:  # a tenth never start
            start = date(2024, 9, 1) + timedelta(days=rng.randrange(500))
            stays = [rng.choice([20, 60, 120, 200, -1]) for _ in range(rng.choice([1, 1, 2]))]
            await programme.walk(person, start, stays)
        planned.append(person)
    return programme, planned


async def extract(app: FastAPI, **params: Any) -> httpx.Response:
    async with client(app, "administrator") as admin:
        return await admin.get("/extract/participants", params=params)


async def test_the_extract_of_a_half_year_holds_exactly_who_entered_or_left_in_it(
    intake: FastAPI, cohort: tuple[Programme, list[Planned]]
) -> None:
    programme, planned = cohort
    half, start, end = HALF_YEAR
    expected = {p.cpr for p in planned if p.in_period(start, end)}
    assert 5 < len(expected) < len(planned)  # the cohort tests something
    answer = await extract(intake, programme_id=programme.id, half_year=half)
    assert answer.status_code == 200, answer.text
    listed = answer.json()["participants"]
    assert {r["cpr"] for r in listed} == expected
    by_cpr = {p.cpr: p for p in planned}
    for r in listed:
        p = by_cpr[r["cpr"]]
        assert r["entered_on"] == p.starts[0].isoformat()
        final = p.exits[-1] if len(p.exits) == len(p.starts) else None
        assert r["left_on"] == (final.isoformat() if final else None)
    # a period from one day to another answers the same as the half-year it spells out
    same = await extract(intake, programme_id=programme.id, **{"from": start.isoformat(), "to": end.isoformat()})
    assert same.json()["participants"] == listed


async def test_every_participant_in_the_extract_is_audited_once_per_extract(
    intake: FastAPI, cohort: tuple[Programme, list[Planned]]
) -> None:
    programme, planned = cohort
    half, start, end = HALF_YEAR
    ids = [str(p.participant_id) for p in planned]
    before = await rows(
        intake.state.sessions,
        "SELECT participant_id FROM audit_entry"
        " WHERE action = 'participant-extract' AND participant_id::text = ANY(:ids)",
        ids=ids,
    )
    listed = (await extract(intake, programme_id=programme.id, half_year=half)).json()["participants"]
    after = await rows(
        intake.state.sessions,
        "SELECT participant_id, actor, detail FROM audit_entry"
        " WHERE action = 'participant-extract' AND participant_id::text = ANY(:ids)",
        ids=ids,
    )
    new = after[len(before) :]
    cpr_of = {p.participant_id: p.cpr for p in planned}
    assert sorted(cpr_of[r["participant_id"]] for r in new) == sorted(r["cpr"] for r in listed)
    assert {r["actor"] for r in new} == {"administrator-extract"}
    assert {r["detail"] for r in new} == {f"{programme.id} {start.isoformat()}..{end.isoformat()}"}


async def test_the_csv_and_the_workbook_hold_the_same_rows_with_danish_headings(
    intake: FastAPI, cohort: tuple[Programme, list[Planned]]
) -> None:
    programme, _ = cohort
    params = {"programme_id": programme.id, "half_year": HALF_YEAR[0]}
    listed = (await extract(intake, **params)).json()["participants"]
    async with client(intake, "administrator") as admin:
        as_csv = await admin.get("/extract/participants.csv", params=params)
        as_xlsx = await admin.get("/extract/participants.xlsx", params=params)
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv.text.startswith("\ufeffCPR-nummer;sagsreference;")
    assert "attachment" in as_csv.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff")), delimiter=";"))
    assert sorted(r[0] for r in table[1:]) == sorted(r["cpr"] for r in listed)
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    cells = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == table[0]
    assert sorted(r[0] for r in cells[1:]) == sorted(r[0] for r in table[1:])


async def test_an_erased_participant_is_listed_without_personal_data_and_not_audited(intake: FastAPI) -> None:
    programme = Programme(intake)
    await programme.publish()
    kept, erased = await programme.refer_planned(date(2025, 1, 6)), await programme.refer_planned(date(2025, 1, 6))
    for person in (kept, erased):
        await programme.walk(person, date(2025, 3, 3), [60])
    async with client(intake, "administrator") as admin:
        gone = await admin.post(f"/participants/{erased.participant_id}/erasure", json={"reason": "request"})
    assert gone.status_code == 200, gone.text
    listed = (await extract(intake, programme_id=programme.id, half_year="2025-08")).json()["participants"]
    assert sorted((r["cpr"] or "") for r in listed) == sorted(["", kept.cpr])
    assert all(r["entered_on"] == "2025-03-03" for r in listed)  # the statistics stay
    audited = await rows(
        intake.state.sessions,
        "SELECT 1 FROM audit_entry WHERE action = 'participant-extract' AND participant_id = :p",
        p=erased.participant_id,
    )
    assert audited == []


async def test_a_recorded_outcome_of_the_final_exit_is_in_the_extract(intake: FastAPI) -> None:
    programme = Programme(intake)
    await programme.publish()
    person = await programme.refer_planned(date(2025, 1, 6))
    await programme.walk(person, date(2025, 3, 3), [60])
    recorded = LeavingOutcomeRecorded(
        participant_id=person.participant_id,
        situation="ordinary-employment",
        employed=True,
        qualification_gained=True,
        observed_on=date(2025, 5, 10),
        left_on=person.exits[0],
        exit_number=1,
        counts=True,
        late=False,
        supersedes=None,
    )
    await programme.deliver(recorded)
    [row] = (await extract(intake, programme_id=programme.id, half_year="2025-08")).json()["participants"]
    assert (row["upon_leaving_situation"], row["upon_leaving_employed"], row["qualification_gained"]) == (
        "ordinary-employment",
        True,
        True,
    )
    assert row["upon_leaving_observed_on"] == "2025-05-10"
    assert REGISTRY.current("leaving-outcome.recorded").model is LeavingOutcomeRecorded


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"programme_id": "p"}, "from"),
        ({"programme_id": "p", "from": "2025-01-01"}, "to"),
        ({"programme_id": "p", "half_year": "2025-08", "from": "2025-01-01"}, "from"),
        ({"programme_id": "p", "from": "2025-06-01", "to": "2025-05-31"}, "to"),
        ({"programme_id": "p", "half_year": "2025-05"}, "half_year"),
        ({"programme_id": "p", "half_year": "0000-02"}, "half_year"),
        ({"programme_id": "p", "from": "2025-02-30", "to": "2025-03-01"}, "from"),
        ({"programme_id": "'; DROP TABLE participant; --", "half_year": "2025-08"}, "programme_id"),
        ({"programme_id": "p" * 51, "half_year": "2025-08"}, "programme_id"),
        ({"half_year": "2025-08"}, "programme_id"),
        ({"programme_id": "p", "half_year": "2025-08\u0000"}, "half_year"),
    ],
)
async def test_a_bad_query_is_a_problem_naming_the_field_and_audits_nothing(
    intake: FastAPI, params: dict[str, str], field: str
) -> None:
    count = "SELECT count(*) AS n FROM audit_entry WHERE action = 'participant-extract'"
    before = (await rows(intake.state.sessions, count))[0]["n"]
    answer = await extract(intake, **params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert field in answer.text
    assert (await rows(intake.state.sessions, count))[0]["n"] == before


@pytest.mark.parametrize("role", ["caseworker", "team-lead", "operator", "provider-staff"])
async def test_only_an_administrator_gets_the_extract(intake: FastAPI, role: Role) -> None:
    scopes: dict[str, dict[str, Any]] = {
        "caseworker": {"municipality": "751"},
        "team-lead": {"municipality": "751"},
        "operator": {"programmes": ["rummelig-plus"]},
        "provider-staff": {"subprojects": ["plus-aarhus"]},
    }
    scope = scopes[role]
    async with client(intake, role, **scope) as someone:
        answer = await someone.get("/extract/participants.csv", params={"programme_id": "p", "half_year": "2025-08"})
    assert answer.status_code == 403
