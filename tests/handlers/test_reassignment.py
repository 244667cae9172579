"""A team lead moves cases (POST /reassignments) on a migrated PostgreSQL without Kafka: intake is called in-process,
its outbox read back, its events delivered to intake's and follow-up's consumers as the relay would.

What a move does: fifty cases, or a whole caseload named by its caseworker, leave the old caseworker for the new one,
each with its result, its event and its audit entry; a case already the new caseworker's stays; and follow-up, reading
the move, reminds the new caseworker (an older move read late does not win). What a move refuses is in
test_reassignment_refusals.py. Each test works in a municipality of its own (96x and up), so tests sharing the
session's database never see each other's cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest_asyncio
from fastapi import FastAPI

from deploy.mailcatcher import read_messages, serve
from deploy.ports import free_port
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from services.intake.reassignment.domain import Caseworker
from services.intake.reassignment.queries import caseworkers
from shared.clock import today_in_copenhagen
from shared.contracts import REGISTRY, CaseReassigned, ParticipationCompleted
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.fund_rules import add_months
from shared.migrate import upgrade
from tests.fixtures.database import Databases, migrations_dir
from tests.fixtures.events import referral
from tests.fixtures.handlers import apply, deliver, row, rows
from tests.fixtures.pages import running_intake
from tests.fixtures.reassignment import MOVED, REFERRED, Office, Staff, open_office, staff, staff_client, staged

MUNICIPALITIES = itertools.count(960)  # one a test: 960-96x (test_reassignment_refusals.py counts up from 671)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> AsyncIterator[Office]:
    """A municipality of the test's own, with its programme in intake's catalogue, two caseworkers and a team lead."""
    async with open_office(intake, str(next(MUNICIPALITIES))) as office:
        yield office


# --- a team lead moves cases ------------------------------------------------------------------------------------------
async def test_a_team_lead_moves_fifty_cases_and_the_old_caseworker_loses_them(office: Office) -> None:
    cases = await office.refer(50)
    assert await office.caseload_of(office.a) == set(cases)

    response = await office.move(
        {"to": office.b.named(), "reason": "caseworker-left", "participant_ids": [str(c) for c in cases]}
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["moved"] == 50 and answer["to"] == office.b.named() and answer["reason"] == "caseworker-left"
    assert [(UUID(r["participant_id"]), r["result"]) for r in answer["results"]] == [(c, "moved") for c in cases]
    assert all(r["case_reference"].startswith("RUM-") for r in answer["results"])
    assert await office.caseload_of(office.a) == set()
    assert await office.caseload_of(office.b) == set(cases)
    mine = await office.a_client.get("/participants", params={"caseworker": "me"})
    assert mine.json()["total"] == 0  # the old caseworker's own "my cases"
    audited = await rows(
        office.app.state.sessions,
        "SELECT participant_id, actor, detail FROM audit_entry WHERE action = 'reassign' AND participant_id = ANY(:p)",
        p=cases,
    )
    assert sorted(a["participant_id"] for a in audited) == sorted(cases)
    assert {a["actor"] for a in audited} == {office.lead.subject}
    assert all(f"from {office.a.subject} to {office.b.subject}" in a["detail"] for a in audited)

    sessions = office.app.state.sessions
    for case, result in zip(cases, answer["results"], strict=True):
        [moved] = await staged(sessions, case, MOVED)  # one event per moved case
        fact = REGISTRY.parse(moved)
        assert isinstance(fact, CaseReassigned)
        assert fact.reassignment_id == UUID(answer["reassignment_id"])
        assert fact.case_reference == result["case_reference"]
        assert (fact.previous_caseworker_email, fact.caseworker_email) == (office.a.email, office.b.email)
        await deliver(sessions, "intake", moved, vault=office.app.state.vault)  # the timeline's consumer

    timeline = await office.lead_client.get(f"/participants/{cases[7]}/timeline")
    assert timeline.status_code == 200, timeline.text
    [shown] = [e for e in timeline.json()["events"] if e["type"] == MOVED]
    assert shown["data"]["caseworker_email"] == office.b.email and shown["data"]["reason"] == "caseworker-left"


async def test_a_whole_caseload_moves_by_naming_its_caseworker_and_an_erased_case_is_reported(office: Office) -> None:
    cases = await office.refer(3)
    async with staff_client(office.app, staff("admin"), "administrator", None) as admin:
        erased = await admin.post(f"/participants/{cases[1]}/erasure", json={"reason": "request"})
        assert erased.status_code == 200, erased.text

    response = await office.move(
        {"to": office.b.named(), "reason": "leave-of-absence", "from_caseworker": office.a.subject}
    )

    assert response.status_code == 200, response.text
    results = {UUID(r["participant_id"]): r["result"] for r in response.json()["results"]}
    assert results == {cases[0]: "moved", cases[1]: "erased", cases[2]: "moved"}
    assert response.json()["moved"] == 2
    assert await office.caseload_of(office.b) == {cases[0], cases[2]}
    assert await staged(office.app.state.sessions, cases[1], MOVED) == []  # an erased case names nobody to remind


async def test_a_team_leads_page_can_list_the_municipalitys_caseworkers_from_their_cases(office: Office) -> None:
    cases = await office.refer(3)
    await office.move({"to": office.b.named(), "reason": "workload", "participant_ids": [str(cases[0])]})

    async with office.app.state.sessions() as session:
        listed = await caseworkers(session, municipality=office.municipality)

    assert listed == sorted(
        [(Caseworker(office.a.subject, office.a.email), 2), (Caseworker(office.b.subject, office.b.email), 1)],
        key=lambda known: known[0].subject,
    )


async def test_a_case_already_the_new_caseworkers_stays_as_it_is(office: Office) -> None:
    [case] = await office.refer(1)
    body = {"to": office.b.named(), "reason": "workload", "participant_ids": [str(case)]}
    assert (await office.move(body)).json()["results"][0]["result"] == "moved"

    again = await office.move(body)  # no key: the move itself is idempotent

    assert again.status_code == 200 and again.json()["results"][0]["result"] == "already-theirs"
    assert len(await staged(office.app.state.sessions, case, MOVED)) == 1


# --- follow-up reminds the new caseworker -----------------------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="session")
async def followup(databases: Databases) -> AsyncIterator[SessionMaker]:
    """Follow-up's sessions on a migrated database of the test's own (the reminder sender claims every due check)."""
    name = f"reassignment_{uuid4().hex[:8]}"
    await databases.server.ensure_database(name)
    url = databases.server.url(name)
    await asyncio.to_thread(upgrade, url, migrations_dir("followup"))
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def smtp(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """A real SMTP server catching mail into a folder: its port and the folder."""
    port = free_port()
    server = asyncio.create_task(serve(tmp_path, smtp_port=port, http_port=free_port()))
    await asyncio.sleep(0.2)
    try:
        yield port, tmp_path
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def _reminded(followup: SessionMaker, smtp: tuple[int, Path], case_reference: str) -> list[str]:
    """Send the reminders due now; to whom the case's went."""
    port, mail_dir = smtp
    mailer = Mailer(host="127.0.0.1", port=port, sender="reminders@example.org", timeout=3)
    sender = ReminderSender(
        sessions=followup, mailer=mailer, intake_url="https://intake.example", poll_seconds=1, lease_seconds=60
    )
    await sender.send_due(now=datetime.now(UTC))
    return [str(m["To"]) for m in read_messages(mail_dir) if case_reference in str(m["Subject"])]


async def _case(followup: SessionMaker, participant_id: UUID) -> dict[str, Any] | None:
    return await row(
        followup,
        "SELECT caseworker_email, caseworker_since FROM followup_case WHERE participant_id = :p",
        p=participant_id,
    )


async def test_after_the_move_the_next_reminder_goes_to_the_new_caseworker_and_a_duplicate_changes_nothing(
    office: Office, followup: SessionMaker, smtp: tuple[int, Path]
) -> None:
    [case] = await office.refer(1)
    moved = await office.move({"to": office.b.named(), "reason": "caseworker-left", "participant_ids": [str(case)]})
    reference = moved.json()["results"][0]["case_reference"]
    [referred] = await staged(office.app.state.sessions, case, REFERRED)
    [move] = await staged(office.app.state.sessions, case, MOVED)
    await deliver(followup, "followup", referred)
    left_on = add_months(today_in_copenhagen(), -7)  # the six-month result is due
    await deliver(followup, "followup", ParticipationCompleted(participant_id=case, course_id="c", left_on=left_on))
    assert (await _case(followup, case) or {})["caseworker_email"] == office.a.email

    await deliver(followup, "followup", move)
    known = await _case(followup, case)
    assert await apply(followup, "followup", move) is False  # delivered again: skipped
    assert await _case(followup, case) == known

    assert await _reminded(followup, smtp, reference) == [office.b.email]


async def test_an_older_move_read_after_a_newer_one_does_not_win(followup: SessionMaker) -> None:
    case, reference = uuid4(), f"RUM-9{uuid4().int % 10**5:05d}"
    now = datetime.now(UTC)
    a, b, c = staff("cw-a"), staff("cw-b"), staff("cw-c")
    await deliver(followup, "followup", referral(case, case_reference=reference, caseworker_email=a.email))

    def moved(to: Staff, previous: Staff, at: datetime) -> CaseReassigned:
        return CaseReassigned(
            participant_id=case,
            case_reference=reference,
            reassignment_id=uuid4(),
            previous_caseworker_email=previous.email,
            caseworker_email=to.email,
            reason="workload",
            reassigned_at=at,
        )

    await deliver(followup, "followup", moved(c, b, now + timedelta(minutes=2)))  # the newer, read first
    await deliver(followup, "followup", moved(b, a, now + timedelta(minutes=1)))  # the older, read late

    assert (await _case(followup, case) or {})["caseworker_email"] == c.email
    # and a referral read again after the moves (a replay) does not take the case back to its first caseworker
    await deliver(followup, "followup", referral(case, case_reference=reference, caseworker_email=a.email))
    assert (await _case(followup, case) or {})["caseworker_email"] == c.email
