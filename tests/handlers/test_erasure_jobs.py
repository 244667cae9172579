"""The erasure jobs on a migrated PostgreSQL: consent withdrawn (the poller) and retention (the command's function)."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.main import create_app as intake_app
from services.intake.personal_data.retention import retention
from services.intake.personal_data.service import ConsentErasure
from services.intake.settings import IntakeSettings
from shared.auth import issue_token
from shared.clock import today_in_copenhagen
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.handlers import execute, outbox_rows, row, rows
from tests.fixtures.vaults import fresh_key

rng = random.Random(4242)
TODAY = today_in_copenhagen()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases, seeded_catalogue: list[str]) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker, no background task."""
    app = intake_app(IntakeSettings(database_url=databases.url("intake"), data_key=fresh_key(), lookup_key=fresh_key()))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _caseworker(app: FastAPI) -> httpx.AsyncClient:
    token = issue_token(
        AuthSettings(), subject="cw-jobs", email="cw@example.dk", roles=["caseworker"], municipality="751"
    )
    return bearer_client(app, token)


async def _refer(app: FastAPI, **overrides: Any) -> str:
    async with _caseworker(app) as caseworker:
        created = await caseworker.post("/referrals", json=referral_body(synthetic_citizen(rng), **overrides))
    assert created.status_code == 201, created.text
    return str(created.json()["participant_id"])


async def _withdraw(app: FastAPI, pid: str, on: date) -> None:
    async with _caseworker(app) as caseworker:
        answer = await caseworker.post(f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": on.isoformat()})
    assert answer.status_code == 200, answer.text


async def _status(app: FastAPI, pid: str) -> tuple[str, str | None]:
    found = await row(app.state.sessions, "SELECT status, erasure_basis FROM participant WHERE id = :p", p=pid)
    assert found is not None
    return found["status"], found["erasure_basis"]


async def test_personal_data_are_erased_the_set_number_of_days_after_consent_was_withdrawn(intake: FastAPI) -> None:
    referred_on = TODAY - timedelta(days=60)
    long_ago = await _refer(intake, referred_on=referred_on.isoformat())
    await _withdraw(intake, long_ago, TODAY - timedelta(days=30))
    recently = await _refer(intake, referred_on=referred_on.isoformat())
    await _withdraw(intake, recently, TODAY - timedelta(days=29))
    consenting = await _refer(intake, referred_on=referred_on.isoformat())
    public_task = await _refer(intake, legal_basis="public-task", consent=None, consent_text_version=None)

    poller = ConsentErasure(intake.state.sessions, days=30, poll_seconds=60)
    assert await poller.erase_due(TODAY) >= 1
    assert await poller.erase_due(TODAY) == 0  # nothing twice

    assert await _status(intake, long_ago) == ("erased", "consent-withdrawn")
    for kept in (recently, consenting, public_task):
        assert await _status(intake, kept) == ("active", None)
    [told] = [r for r in await outbox_rows(intake.state.sessions, long_ago) if r.type == "participant.erased"]
    assert told.data["basis"] == "consent-withdrawn"
    audited = await rows(
        intake.state.sessions, "SELECT actor, action FROM audit_entry WHERE participant_id = :p", p=long_ago
    )
    assert {"actor": "rummelig/intake/consent-withdrawn", "action": "erasure"} in audited
    assert await poller.erase_due(TODAY + timedelta(days=1)) >= 1  # the next day the other one's time has come
    assert await _status(intake, recently) == ("erased", "consent-withdrawn")


async def _programme(app: FastAPI, *, ends_on: date) -> str:
    """A programme and sub-project of its own in intake's catalogue read model, running 2018 until `ends_on`."""
    programme = f"ret-{uuid4().hex[:10]}"
    await execute(
        app.state.sessions,
        "INSERT INTO catalogue_programme (id, title, starts_on, ends_on, fund)"
        " VALUES (:p, 'Retention', '2018-01-01', :e, 'esf-2014-2020')",
        p=programme,
        e=ends_on,
    )
    await execute(
        app.state.sessions,
        "INSERT INTO catalogue_subproject (id, programme_id, municipalities, target_groups, starts_on, ends_on, scope)"
        " VALUES (:s, :p, CAST(:m AS jsonb), CAST(:g AS jsonb), '2018-01-01', :e, 'local')",
        s=f"sub-{programme}",
        p=programme,
        m=json.dumps(["751"]),
        g=json.dumps(["war-veterans"]),
        e=ends_on,
    )
    return programme


async def test_retention_counts_first_then_erases_the_programmes_that_ended_long_enough_ago(
    intake: FastAPI, databases: Databases
) -> None:
    ended_long_ago = await _programme(intake, ends_on=date(2019, 12, 31))
    ended_lately = await _programme(intake, ends_on=TODAY - timedelta(days=400))
    old = [
        await _refer(
            intake, programme_id=ended_long_ago, subproject_id=f"sub-{ended_long_ago}", referred_on="2019-06-03"
        )
        for _ in range(5)
    ]
    recent = await _refer(
        intake, programme_id=ended_lately, subproject_id=f"sub-{ended_lately}", referred_on="2019-06-03"
    )
    lines: list[str] = []

    assert await retention(databases.url("intake"), years=5, dry_run=True, out=lines.append) == 0
    assert f"  {ended_long_ago}: 5" in lines and "dry run: nothing erased" in lines
    assert not any(ended_lately in line for line in lines)
    assert {await _status(intake, pid) for pid in old} == {("active", None)}

    erased = await retention(databases.url("intake"), years=5, dry_run=False, batch=2, out=lines.append)
    assert erased >= 5
    assert any(line.startswith("erased: 2 / ") and "/s, about" in line for line in lines), lines
    assert {await _status(intake, pid) for pid in old} == {("erased", "retention")}
    assert await _status(intake, recent) == ("active", None)
    assert await retention(databases.url("intake"), years=5, dry_run=False, out=lines.append) == 0
