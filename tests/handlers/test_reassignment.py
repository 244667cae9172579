"""A team lead moves cases (POST /reassignments) on a migrated PostgreSQL without Kafka: intake is called in-process,
its outbox read back, its events delivered to intake's and follow-up's consumers as the relay would.

Each test works in a municipality of its own (96x and up), so tests sharing the session's database never see each
other's cases.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.mailcatcher import read_messages, serve
from deploy.ports import free_port
from deploy.synthetic import referral_body, synthetic_citizen
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from services.intake.main import create_app as intake_app
from services.intake.reassignment.domain import Caseworker
from services.intake.reassignment.queries import caseworkers
from services.intake.settings import IntakeSettings
from shared.auth import Role, issue_token
from shared.clock import today_in_copenhagen
from shared.contracts import (
    REGISTRY,
    CaseReassigned,
    ParticipationCompleted,
    ProgrammePublished,
    ProgrammeSettings,
    ReferralRegistered,
    SubprojectPublished,
)
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.fund_rules import add_months
from shared.migrate import upgrade
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases, migrations_dir
from tests.fixtures.events import referral
from tests.fixtures.handlers import apply, deliver, outbox_rows, row, rows

KEY = base64.b64encode(bytes(range(32))).decode()
rng = random.Random(1919)
MUNICIPALITIES = itertools.count(960)
MOVED = REGISTRY.wire(CaseReassigned).name
REFERRED = REGISTRY.wire(ReferralRegistered).name


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(
        IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
    )
    yield app
    await app.state.sessions.kw["bind"].dispose()


@dataclass(frozen=True)
class Staff:
    """A member of staff: token subject and work email."""

    subject: str
    email: str

    def named(self) -> dict[str, str]:
        """As a reassignment names the caseworker who takes the cases."""
        return {"subject": self.subject, "email": self.email}


def _staff(kind: str) -> Staff:
    tag = uuid4().hex[:8]
    return Staff(f"{kind}-{tag}", f"{kind}-{tag}@jobcenter.example.dk")


def _client(app: FastAPI, who: Staff, role: Role, municipality: str | None) -> httpx.AsyncClient:
    token = issue_token(
        app.state.auth_settings, subject=who.subject, email=who.email, roles=[role], municipality=municipality
    )
    return bearer_client(app, token)


@dataclass
class Office:
    """One test's municipality: its programme, two caseworkers (a and b) and their team lead."""

    app: FastAPI
    municipality: str
    programme: str
    a: Staff
    b: Staff
    lead: Staff
    a_client: httpx.AsyncClient
    lead_client: httpx.AsyncClient

    async def refer(self, n: int = 1, client: httpx.AsyncClient | None = None) -> list[UUID]:
        """Refer n synthetic citizens through the route (caseworker a's by default); their participant ids."""
        referred = []
        for _ in range(n):
            body = referral_body(synthetic_citizen(rng), programme_id=self.programme, subproject_id="sub-a")
            response = await (client or self.a_client).post("/referrals", json=body)
            assert response.status_code == 201, response.text
            referred.append(UUID(response.json()["participant_id"]))
        return referred

    async def move(self, body: dict[str, Any], *, key: str | None = None) -> httpx.Response:
        """POST /reassignments as the team lead."""
        headers = {"Idempotency-Key": key} if key else {}
        return await self.lead_client.post("/reassignments", json=body, headers=headers)

    async def caseload_of(self, who: Staff) -> set[UUID]:
        """The participants the team lead's caseload lists for a caseworker."""
        response = await self.lead_client.get("/participants", params={"caseworker": who.subject, "page_size": 100})
        assert response.status_code == 200, response.text
        return {UUID(item["participant_id"]) for item in response.json()["items"]}

    async def state(self) -> dict[str, Any]:
        """Every case's caseworker, the moves in the outbox and the moves in the audit log: what a move changes."""
        sessions = self.app.state.sessions
        cases = await rows(
            sessions,
            "SELECT id, caseworker_subject, caseworker_email FROM participant WHERE municipality = :m ORDER BY id",
            m=self.municipality,
        )
        ids = [c["id"] for c in cases]
        events = await rows(
            sessions,
            "SELECT key FROM outbox_message WHERE headers->>'ce_type' = :t AND key = ANY(:keys)",
            t=MOVED,
            keys=[str(i) for i in ids],
        )
        audited = await rows(
            sessions,
            "SELECT participant_id FROM audit_entry WHERE action = 'reassign' AND participant_id = ANY(:p)",
            p=ids,
        )
        return {"cases": cases, "events": len(events), "audited": len(audited)}


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> AsyncIterator[Office]:
    """A municipality of the test's own, with its programme in intake's catalogue, two caseworkers and a team lead."""
    municipality, programme = str(next(MUNICIPALITIES)), f"ra-{uuid4().hex[:10]}"
    await _in_the_catalogue(intake, programme, municipality)
    a, b, lead = _staff("cw-a"), _staff("cw-b"), _staff("lead")
    async with (
        _client(intake, a, "caseworker", municipality) as a_client,
        _client(intake, lead, "team-lead", municipality) as lead_client,
    ):
        yield Office(intake, municipality, programme, a, b, lead, a_client, lead_client)


async def _in_the_catalogue(intake: FastAPI, programme: str, *municipalities: str) -> None:
    """The programme and its sub-project sub-a in intake's read model, as enrolment publishes them."""
    period = {"starts_on": date(2015, 1, 1), "ends_on": date(2030, 12, 31)}
    settings = ProgrammeSettings(
        flex_job_counts_as_employment=True,
        wage_subsidy_counts_as_employment=False,
        cr04_reading="every-participant",
        min_cell=5,
        six_month_result_grace_days=90,
    )
    sessions = intake.state.sessions
    await deliver(
        sessions,
        "intake",
        ProgrammePublished(
            programme_id=programme,
            title="Reassignment tests",
            operator="Tests",
            region="Midtjylland",
            fund="esf-plus-2021-2027",
            settings=settings,
            **period,
        ),
    )
    await deliver(
        sessions,
        "intake",
        SubprojectPublished(
            subproject_id="sub-a",
            programme_id=programme,
            title="Reassignment tests",
            provider_kind="municipality",
            municipalities=list(municipalities),
            target_groups=["war-veterans"],
            coordinator_email="coordinator@example.org",
            scope="local",
            illustrative=True,
            **period,
        ),
    )


def _event(staged: Any) -> CloudEvent:
    """An outbox row as the relay would publish it."""
    return CloudEvent.from_kafka([(k, v.encode()) for k, v in staged.headers.items()], staged.payload.encode())


async def _staged(sessions: SessionMaker, participant_id: UUID, type_: str) -> list[CloudEvent]:
    return [_event(r) for r in await outbox_rows(sessions, participant_id) if r.type == type_]


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
        [moved] = await _staged(sessions, case, MOVED)  # one event per moved case
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
    async with _client(office.app, _staff("admin"), "administrator", None) as admin:
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
    assert await _staged(office.app.state.sessions, cases[1], MOVED) == []  # an erased case names nobody to remind


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
    assert len(await _staged(office.app.state.sessions, case, MOVED)) == 1


async def test_a_caseworker_who_is_not_a_team_lead_moves_nothing(office: Office) -> None:
    [case] = await office.refer(1)
    before = await office.state()
    body = {"to": office.b.named(), "reason": "workload", "participant_ids": [str(case)]}

    refused = await office.a_client.post("/reassignments", json=body)
    async with _client(office.app, _staff("provider"), "provider-staff", None) as provider:
        provider_refused = await provider.post("/reassignments", json=body)

    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert provider_refused.status_code == 403
    assert await office.state() == before


async def test_another_municipalitys_case_is_reported_as_not_found_and_left_alone(office: Office) -> None:
    [ours] = await office.refer(1)
    elsewhere = str(next(MUNICIPALITIES))
    await _in_the_catalogue(office.app, office.programme, office.municipality, elsewhere)
    stranger = _staff("cw-x")
    async with _client(office.app, stranger, "caseworker", elsewhere) as other:
        [theirs] = await office.refer(1, client=other)
    unknown = uuid4()

    response = await office.move(
        {"to": office.b.named(), "reason": "workload", "participant_ids": [str(theirs), str(ours), str(unknown)]}
    )

    assert response.status_code == 200, response.text
    reference = response.json()["results"][1]["case_reference"]
    assert reference.startswith("RUM-")
    assert response.json()["results"] == [
        {"participant_id": str(theirs), "case_reference": None, "result": "not-found"},
        {"participant_id": str(ours), "case_reference": reference, "result": "moved"},
        {"participant_id": str(unknown), "case_reference": None, "result": "not-found"},
    ]
    untouched = await row(
        office.app.state.sessions, "SELECT caseworker_subject FROM participant WHERE id = :p", p=theirs
    )
    assert untouched == {"caseworker_subject": stranger.subject}
    assert await _staged(office.app.state.sessions, theirs, MOVED) == []
    audited = await rows(
        office.app.state.sessions,
        "SELECT 1 FROM audit_entry WHERE participant_id = :p AND action = 'reassign'",
        p=theirs,
    )
    assert audited == []


BAD_BODIES: dict[str, Any] = {
    "no caseworker to move to": {"reason": "workload", "participant_ids": ["{case}"]},
    "no reason": {"to": "{b}", "participant_ids": ["{case}"]},
    "a reason in free text": {"to": "{b}", "reason": "the citizen is ill", "participant_ids": ["{case}"]},
    "no cases named": {"to": "{b}", "reason": "workload"},
    "both cases and a caseworker named": {
        "to": "{b}",
        "reason": "workload",
        "participant_ids": ["{case}"],
        "from_caseworker": "{a}",
    },
    "an empty list": {"to": "{b}", "reason": "workload", "participant_ids": []},
    "too many cases": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}", *("{random}",) * 1000]},
    "a case named twice": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}", "{case}"]},
    "a participant id that is not one": {"to": "{b}", "reason": "workload", "participant_ids": ["1 OR 1=1"]},
    "a list given as a string": {"to": "{b}", "reason": "workload", "participant_ids": "{case}"},
    "SQL in a subject": {
        "to": {"subject": "x'; DROP TABLE participant; --", "email": "x@example.dk"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
    "markup for an email": {
        "to": {"subject": "cw-z", "email": "<script>alert(1)</script>"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
    "an unknown field": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}"], "note": "Jens is ill"},
    "to the caseworker who has them": {"to": "{a_named}", "reason": "workload", "from_caseworker": "{a}"},
    "an email other than on the caseworker's cases": {
        "to": {"subject": "{a}", "email": "someone-else@example.dk"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
}


def _filled(value: Any, office: Office, case: UUID) -> Any:
    """The body with the office's names and the case put in."""
    if isinstance(value, dict):
        return {k: _filled(v, office, case) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, office, case) for v in value]
    names: dict[str, Any] = {
        "{b}": office.b.named(),
        "{a_named}": office.a.named(),
        "{a}": office.a.subject,
        "{case}": str(case),
        "{random}": str(uuid4()),
    }
    return names.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize("bad", BAD_BODIES)
async def test_bad_input_is_a_422_problem_and_changes_nothing(office: Office, bad: str) -> None:
    [case] = await office.refer(1)
    before = await office.state()

    response = await office.move(_filled(BAD_BODIES[bad], office, case), key=f"bad-{uuid4().hex}")

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]
    assert await office.state() == before


async def test_a_caseworker_holding_cases_of_another_municipality_is_refused(office: Office) -> None:
    [case] = await office.refer(1)
    elsewhere = str(next(MUNICIPALITIES))
    await _in_the_catalogue(office.app, office.programme, office.municipality, elsewhere)
    stranger = _staff("cw-x")
    async with _client(office.app, stranger, "caseworker", elsewhere) as other:
        await office.refer(1, client=other)
    before = await office.state()

    response = await office.move({"to": stranger.named(), "reason": "workload", "participant_ids": [str(case)]})

    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:rummelig:problem:caseworker-of-another-municipality"
    assert await office.state() == before


async def test_the_same_idempotency_key_twice_has_one_effect_and_the_first_answer(office: Office) -> None:
    cases = await office.refer(3)
    body = {"to": office.b.named(), "reason": "specialisation", "participant_ids": [str(c) for c in cases]}

    first = await office.move(body, key="move-1")
    after_first = await office.state()
    second = await office.move(body, key="move-1")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()  # "moved" again, not "already-theirs": the first answer
    assert await office.state() == after_first
    assert after_first["events"] == after_first["audited"] == 3
    reused = await office.move(body | {"reason": "workload"}, key="move-1")
    assert reused.status_code == 422 and reused.json()["type"] == "urn:rummelig:problem:idempotency-key-reused"
    assert await office.state() == after_first


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
    [referred] = await _staged(office.app.state.sessions, case, REFERRED)
    [move] = await _staged(office.app.state.sessions, case, MOVED)
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
    a, b, c = _staff("cw-a"), _staff("cw-b"), _staff("cw-c")
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
