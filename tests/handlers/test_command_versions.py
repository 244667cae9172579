"""Conflict detection (issue 19): a command sent with If-Match from an out-of-date view of a case is refused.

Intake is built by its composition root on a migrated PostgreSQL, without Kafka (commands answer 202: nothing
consumes them); facts reach the timeline through intake's consumer (tests.fixtures.handlers.deliver). Each test works
in a municipality of its own (8xx), so tests sharing the session's database never see each other's participants.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
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

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.commands.service import CaseChanged, issue_command_at
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.tables import Participant
from services.intake.timeline.domain import CaseVersion
from shared.auth import Principal, Role, issue_token
from shared.clock import today_in_copenhagen
from shared.contracts import (
    AboutParticipant,
    EnrolmentConfirmed,
    ParticipationStarted,
    ProgrammePublished,
    ProgrammeSettings,
    RecordStart,
    RecordWithdrawal,
    ReferralRegistered,
    ReminderSent,
    SubprojectPublished,
    to_event,
)
from shared.db import unit_of_work
from shared.envelope import CloudEvent
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.handlers import SOURCE, deliver, outbox_rows, rows

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
rng = random.Random(1919)
MUNICIPALITIES = itertools.count(801)
TODAY = today_in_copenhagen()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(
        IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
    )
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, municipality: str, subject: str, role: Role = "caseworker") -> httpx.AsyncClient:
    token = issue_token(AUTH, subject=subject, email=f"{subject}@example.dk", roles=[role], municipality=municipality)
    return bearer_client(app, token)


@dataclass
class Case:
    """One referred participant, the two caseworkers of its municipality, and a stranger from another."""

    app: FastAPI
    id: UUID
    anna: httpx.AsyncClient  # referred the case: its responsible caseworker
    anna_email: str
    bo: httpx.AsyncClient
    bo_subject: str
    stranger: httpx.AsyncClient
    municipality: str

    async def fact(self, fact: AboutParticipant, *, cause: UUID | None = None) -> None:
        """Put a fact on the timeline through intake's consumer, as the answer to a command if one is named."""
        event = to_event(fact, source=SOURCE)
        answer = event.model_copy(update={"causationid": cause})
        await deliver(self.app.state.sessions, "intake", answer, vault=self.app.state.vault)

    async def read(self, client: httpx.AsyncClient) -> str:
        """The case's ETag as GET /participants/{id} answers it (its version field agreeing)."""
        response = await client.get(f"/participants/{self.id}")
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == f'"{response.json()["version"]}"'
        return response.headers["ETag"]

    async def start(self, client: httpx.AsyncClient, if_match: str | None = None, **headers: str) -> httpx.Response:
        """Record a start, with If-Match when given."""
        if if_match is not None:
            headers["If-Match"] = if_match
        return await client.post(f"/participants/{self.id}/start", json={"started_on": str(TODAY)}, headers=headers)

    async def withdraw(self, client: httpx.AsyncClient, if_match: str | None = None, **headers: str) -> httpx.Response:
        """Record a withdrawal, with If-Match when given."""
        if if_match is not None:
            headers["If-Match"] = if_match
        body = {"withdrawn_on": str(TODAY), "reason": "other"}
        return await client.post(f"/participants/{self.id}/withdrawal", json=body, headers=headers)

    async def commands(self) -> list[dict[str, Any]]:
        """The participant's commands as intake remembers them, oldest first."""
        sql = "SELECT id, command_type, issued_by FROM pending_command WHERE participant_id = :p ORDER BY created_at"
        return await rows(self.app.state.sessions, sql, p=self.id)

    async def staged(self) -> list[str]:
        """The types of the outbox rows under the participant, in the order they were staged."""
        sql = "SELECT headers::jsonb ->> 'ce_type' AS type FROM outbox_message WHERE key = :k ORDER BY id"
        return [r["type"] for r in await rows(self.app.state.sessions, sql, k=str(self.id))]


@pytest_asyncio.fixture(loop_scope="session")
async def case(intake: FastAPI) -> AsyncIterator[Case]:
    """A case enrolled on a course, read by nobody yet."""
    municipality, programme = str(next(MUNICIPALITIES)), f"cv-{uuid4().hex[:10]}"
    await _in_the_catalogue(intake, programme, municipality)
    anna, bo = f"anna-{uuid4().hex[:6]}", f"bo-{uuid4().hex[:6]}"
    async with (
        _client(intake, municipality, anna) as anna_client,
        _client(intake, municipality, bo) as bo_client,
        _client(intake, str(next(MUNICIPALITIES)), f"stranger-{uuid4().hex[:6]}") as stranger,
    ):
        body = referral_body(synthetic_citizen(rng), programme_id=programme, subproject_id="sub-a")
        response = await anna_client.post("/referrals", json=body)
        assert response.status_code == 201, response.text
        case = Case(
            intake,
            UUID(response.json()["participant_id"]),
            anna_client,
            f"{anna}@example.dk",
            bo_client,
            bo,
            stranger,
            municipality,
        )
        await case.fact(
            EnrolmentConfirmed(
                participant_id=case.id, programme_id=programme, subproject_id="sub-a", course_id="c1", enrolled_on=TODAY
            )
        )
        yield case


async def _in_the_catalogue(intake: FastAPI, programme: str, municipality: str) -> None:
    """The programme and its sub-project sub-a in intake's read model, as enrolment publishes them."""
    settings = ProgrammeSettings(
        flex_job_counts_as_employment=True,
        wage_subsidy_counts_as_employment=False,
        cr04_reading="every-participant",
        min_cell=5,
        six_month_result_grace_days=90,
    )
    period = {"starts_on": date(2015, 1, 1), "ends_on": date(2030, 12, 31)}
    published = ProgrammePublished(
        programme_id=programme,
        title="Version tests",
        operator="Tests",
        region="Midtjylland",
        fund="esf-plus-2021-2027",
        settings=settings,
        **period,
    )
    subproject = SubprojectPublished(
        subproject_id="sub-a",
        programme_id=programme,
        title="Version tests",
        provider_kind="municipality",
        municipalities=[municipality],
        target_groups=["war-veterans"],
        coordinator_email="coordinator@example.org",
        scope="local",
        illustrative=True,
        **period,
    )
    for message in (published, subproject):
        await deliver(intake.state.sessions, "intake", message)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    return response.json()  # type: ignore[no-any-return]


async def test_the_second_of_two_caseworkers_acting_on_the_same_view_is_refused_and_nothing_is_applied(
    case: Case,
) -> None:
    seen_by_anna, seen_by_bo = await case.read(case.anna), await case.read(case.bo)
    assert seen_by_anna == seen_by_bo

    accepted = await case.start(case.anna, seen_by_anna)
    assert accepted.status_code == 202, accepted.text
    refused = await case.withdraw(case.bo, seen_by_bo, **{"Idempotency-Key": "bo-withdraws"})

    problem = _problem(refused, 409)
    assert problem["type"] == "urn:rummelig:problem:case-changed"
    assert problem["changes"] == [
        {
            "kind": "participation.record-start",
            "status": "pending",
            "at": problem["changes"][0]["at"],
            "by": {"name": case.anna_email, "role": "caseworker"},  # the responsible caseworker, by the case's email
        }
    ]
    assert refused.headers["ETag"] == await case.read(case.anna) != seen_by_bo
    assert [c["command_type"] for c in await case.commands()] == ["participation.record-start"]
    assert "participation.record-withdrawal" not in await case.staged()
    remembered = await rows(
        case.app.state.sessions, "SELECT key FROM idempotent_request WHERE subject = :s", s=case.bo_subject
    )
    assert remembered == []  # nothing that would replay: the same key, after a re-read, issues the command
    again = await case.withdraw(case.bo, await case.read(case.bo), **{"Idempotency-Key": "bo-withdraws"})
    assert again.status_code == 202, again.text
    assert [c["command_type"] for c in await case.commands()][-1] == "participation.record-withdrawal"


async def test_a_fact_since_the_view_is_named_with_who_issued_the_command_it_answers(case: Case) -> None:
    seen_by_anna = await case.read(case.anna)
    bo_read = await case.read(case.bo)
    started = await case.start(case.bo, bo_read)
    assert started.status_code == 202, started.text
    await case.fact(
        ParticipationStarted(participant_id=case.id, course_id="c1", started_on=TODAY),
        cause=UUID(started.json()["command_id"]),
    )

    problem = _problem(await case.withdraw(case.anna, seen_by_anna), 409)

    [change] = problem["changes"]  # the command and the fact answering it are one change, named by the fact
    assert change["kind"] == "participation.started"
    assert change["status"] == "recorded"
    assert change["by"] == {"name": case.bo_subject, "role": "caseworker"}
    assert "participation.started" in problem["detail"] and case.bo_subject in problem["detail"]
    assert problem["version"] == (await case.read(case.anna)).strip('"')


async def test_a_command_is_named_with_the_roles_its_issuer_held_even_without_a_read_before_it(case: Case) -> None:
    seen_by_anna, lead = await case.read(case.anna), f"lead-{uuid4().hex[:6]}"
    async with _client(case.app, case.municipality, lead, role="team-lead") as lead_client:
        assert (await case.start(lead_client, seen_by_anna)).status_code == 202  # the team lead read nothing
    [change] = _problem(await case.withdraw(case.anna, seen_by_anna), 409)["changes"]
    assert change["by"] == {"name": lead, "role": "team-lead"}  # no read in the audit log: the command kept it


async def test_the_version_read_is_the_version_checked_on_the_participant_and_the_timeline(case: Case) -> None:
    etag = await case.read(case.anna)
    timeline = await case.anna.get(f"/participants/{case.id}/timeline")
    assert timeline.headers["ETag"] == etag == f'"{timeline.json()["version"]}"'

    unquoted = (await case.anna.get(f"/participants/{case.id}")).json()["version"]
    assert (await case.start(case.anna, unquoted)).status_code == 202  # the version field as it is, unquoted

    assert await case.read(case.anna) != etag  # an issued command, unanswered yet, changes the version
    assert (await case.withdraw(case.anna, f'"0.0", {await case.read(case.anna)}')).status_code == 202  # one of


async def test_facts_no_one_decided_leave_the_version_as_it_was(case: Case) -> None:
    etag = await case.read(case.anna)
    await case.fact(
        ReminderSent(
            participant_id=case.id, check="leaving-outcome", due_on=TODAY + timedelta(days=3), reminder_number=1
        )
    )

    assert await case.read(case.anna) == etag
    assert (await case.start(case.anna, etag)).status_code == 202


async def test_without_if_match_a_command_from_an_old_view_is_issued_as_before(case: Case) -> None:
    old = await case.read(case.bo)
    assert (await case.start(case.anna, await case.read(case.anna))).status_code == 202

    assert (await case.withdraw(case.bo, old)).status_code == 409
    unchecked = await case.withdraw(case.bo)
    assert unchecked.status_code == 202, unchecked.text
    assert (await case.withdraw(case.bo, "*")).status_code == 202  # any version: as without
    assert [c["command_type"] for c in await case.commands()] == [
        "participation.record-start",
        "participation.record-withdrawal",
        "participation.record-withdrawal",
    ]


async def test_a_repeat_of_an_accepted_command_replays_it_rather_than_conflicting_with_itself(case: Case) -> None:
    etag = await case.read(case.anna)
    first = await case.start(case.anna, etag, **{"Idempotency-Key": "anna-starts"})
    repeat = await case.start(case.anna, etag, **{"Idempotency-Key": "anna-starts"})

    assert repeat.status_code == 202, repeat.text
    assert repeat.json()["command_id"] == first.json()["command_id"]
    assert len(await case.commands()) == 1


async def test_a_malformed_if_match_is_a_validation_problem_and_nothing_is_issued(case: Case) -> None:
    for malformed in ("banana", 'W/"1.0"', '"1"', "1.0;2", ""):
        problem = _problem(await case.start(case.anna, malformed), 422)
        assert problem["errors"][0]["location"] == ["header", "If-Match"], malformed

    assert await case.commands() == []
    assert await case.staged() == ["referral.registered"]


async def test_the_referrals_own_fact_arriving_after_the_page_changes_nothing(case: Case) -> None:
    """The case page right after the referral form is read before referral.registered comes back from Kafka."""
    shown = await case.read(case.anna)
    registered = [r for r in await outbox_rows(case.app.state.sessions, case.id) if r.type == "referral.registered"]
    await case.fact(ReferralRegistered.model_validate(registered[0].data))
    assert await case.read(case.anna) == shown
    assert (await case.start(case.anna, shown)).status_code == 202


async def test_another_municipalitys_case_is_not_found_whatever_the_version(case: Case) -> None:
    old = await case.read(case.anna)
    assert (await case.start(case.anna, old)).status_code == 202
    assert (await case.withdraw(case.anna, old)).status_code == 409  # at home: the conflict

    for version in (old, await case.read(case.anna)):
        problem = _problem(await case.withdraw(case.stranger, version), 404)
        assert "changes" not in problem and "version" not in problem
    assert len(await case.commands()) == 1


async def test_of_two_commands_sent_at_once_from_the_same_view_one_is_issued(case: Case) -> None:
    etag = await case.read(case.anna)

    answers = await asyncio.gather(case.start(case.anna, etag), case.withdraw(case.bo, etag))

    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    assert len(await case.commands()) == 1


async def test_a_check_waits_for_a_command_being_issued_and_then_sees_it(case: Case) -> None:
    version = CaseVersion.parse(await case.read(case.anna))
    assert version is not None
    anna = Principal("anna", case.anna_email, frozenset({"caseworker"}), None)
    start = RecordStart(participant_id=case.id, started_on=TODAY)
    withdrawal = RecordWithdrawal(participant_id=case.id, withdrawn_on=TODAY, reason="other")

    async def issue(command: AboutParticipant, *, hold: asyncio.Event | None = None) -> None:
        async with unit_of_work(case.app.state.sessions) as session:
            participant = await session.get(Participant, case.id)
            assert participant is not None
            await issue_command_at(session, participant=participant, command=command, principal=anna, asked=(version,))
            if hold is not None:
                await hold.wait()  # issued, not yet committed

    release = asyncio.Event()
    first = asyncio.create_task(issue(start, hold=release))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(issue(withdrawal))
    await asyncio.sleep(0.2)
    assert not second.done()  # waiting for the case's lock, not deciding on what it read before the first commits
    release.set()
    await first

    with pytest.raises(CaseChanged) as changed:
        await second
    assert [c.kind for c in changed.value.changes] == ["participation.record-start"]
    assert [c["command_type"] for c in await case.commands()] == ["participation.record-start"]


async def test_a_team_leads_move_of_the_case_is_named_with_the_team_lead_from_the_audit_log(case: Case) -> None:
    seen_by_anna = await case.read(case.anna)
    lead = f"lead-{uuid4().hex[:6]}"
    async with _client(case.app, case.municipality, lead, role="team-lead") as lead_client:
        to = {"subject": case.bo_subject, "email": f"{case.bo_subject}@example.dk"}
        body = {"to": to, "reason": "workload", "participant_ids": [str(case.id)]}
        moved = await lead_client.post("/reassignments", json=body)
    assert moved.status_code == 200, moved.text
    sql = "SELECT headers::text AS headers, payload FROM outbox_message WHERE key = :k ORDER BY id DESC LIMIT 1"
    [staged] = await rows(case.app.state.sessions, sql, k=str(case.id))
    headers = json.loads(staged["headers"])
    event = CloudEvent.from_kafka([(k, v.encode()) for k, v in headers.items()], staged["payload"].encode())
    assert event.type == "case.reassigned"
    await deliver(case.app.state.sessions, "intake", event, vault=case.app.state.vault)

    problem = _problem(await case.withdraw(case.anna, seen_by_anna), 409)

    [change] = problem["changes"]
    assert change["kind"] == "case.reassigned"
    assert change["by"] == {"name": lead, "role": "team-lead"}


async def test_a_version_the_case_never_had_is_refused_with_no_change_to_name(case: Case) -> None:
    problem = _problem(await case.start(case.anna, '"999999.9"'), 409)

    assert problem["changes"] == [] and "nor was it ever" in problem["detail"]
    assert await case.commands() == []
