"""Intake's handlers on a real migrated PostgreSQL, without Kafka: the timeline, pending commands and referrals.

Facts reach intake through its consumer; issue_command and register_referral run in a unit of work, as the API
calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.commands.service import issue_command
from services.intake.cpr import parse_cpr
from services.intake.referrals.domain import Referral
from services.intake.referrals.service import Registered, register_referral
from services.intake.vault import Vault, WrappedKey
from shared.auth import Principal
from shared.contracts import (
    AboutParticipant,
    DisadvantagesAtEntry,
    EnrolmentConfirmed,
    EnrolParticipant,
    ParticipationStarted,
    RecordStart,
    ReferralRegistered,
)
from shared.db import SessionMaker, unit_of_work
from shared.envelope import CloudEvent
from shared.rejection import Rejection
from shared.topics import ENROLMENT_COMMANDS, REFERRAL_EVENTS
from tests.fixtures.handlers import deliver, outbox_rows, processed, row, rows
from tests.fixtures.vaults import fresh_vault

SERVICE = "intake"
CASEWORKER = Principal("caseworker-1", "caseworker@aarhus.example.dk", frozenset({"caseworker"}), "751")
CPR, NAME = "150670-1233", "Asta Testesen"  # synthetic (deploy/synthetic.py makes the same kind)
TODAY = date(2026, 1, 5)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on intake's database."""
    return service_sessions(SERVICE)


@pytest.fixture
def vault() -> Vault:
    """A vault with fresh keys for one test."""
    return fresh_vault()


def a_programme() -> str:
    """A programme of its own for one test: one active referral per citizen is per programme."""
    return f"programme-{uuid4().hex[:12]}"


def referral_of(cpr: str, programme_id: str) -> Referral:
    return Referral(
        cpr=parse_cpr(cpr),
        name=NAME,
        programme_id=programme_id,
        subproject_id="war-veterans-aarhus",
        target_group="war-veterans",
        labour_market_status="unemployed",
        months_unemployed=14,
        education_level="isced-3-4",
        benefit="kontanthjaelp",
        gender=None,
        disadvantages=DisadvantagesAtEntry(),
        referred_on=None,
        consent_text_version="samtykke-2024-1",
    )


async def issued(db: SessionMaker, command: AboutParticipant) -> CloudEvent:
    async with unit_of_work(db) as session:
        return await issue_command(session, command=command, principal=CASEWORKER)


async def registered(db: SessionMaker, vault: Vault, referral: Referral) -> Registered:
    outcome = await attempted(db, vault, referral)
    assert isinstance(outcome, Registered), outcome
    return outcome


async def attempted(db: SessionMaker, vault: Vault, referral: Referral) -> Registered | Rejection:
    async with unit_of_work(db) as session:
        return await register_referral(session, vault=vault, referral=referral, principal=CASEWORKER, today=TODAY)


async def pending(db: SessionMaker, command: CloudEvent) -> dict[str, Any] | None:
    return await row(
        db,
        "SELECT participant_id, command_type, status, answer_type, answer, issued_by,"
        " answered_at IS NOT NULL AS answered FROM pending_command WHERE id = :id",
        id=command.id,
    )


def enrolment_confirmed(pid: UUID) -> EnrolmentConfirmed:
    return EnrolmentConfirmed(
        participant_id=pid, programme_id="handler-tests", subproject_id="sub", course_id="c1", enrolled_on=TODAY
    )


async def test_a_fact_goes_on_its_participants_timeline(db: SessionMaker) -> None:
    pid = uuid4()
    fact = await deliver(db, SERVICE, ParticipationStarted(participant_id=pid, course_id="c1", started_on=TODAY))

    entries = await rows(
        db, "SELECT event_id, event_type, occurred_at, data FROM timeline_entry WHERE participant_id = :p", p=pid
    )
    assert entries == [
        {
            "event_id": fact.id,
            "event_type": "participation.started",
            "occurred_at": fact.time,
            "data": {"participant_id": str(pid), "course_id": "c1", "started_on": "2026-01-05"},
        }
    ]
    assert await processed(db, SERVICE, fact.id)
    assert await outbox_rows(db, pid) == []


async def test_issuing_a_command_remembers_it_as_pending_and_stages_it_for_the_owning_service(
    db: SessionMaker,
) -> None:
    pid = uuid4()
    command = await issued(
        db, EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id="c1", enrolled_on=TODAY)
    )

    assert await pending(db, command) == {
        "participant_id": pid,
        "command_type": "enrolment.enrol-participant",
        "status": "pending",
        "answer_type": None,
        "answer": None,
        "issued_by": "caseworker-1",
        "answered": False,
    }
    [staged] = await outbox_rows(db, pid)
    assert (staged.event_id, staged.topic, staged.type, staged.causation) == (
        command.id,
        ENROLMENT_COMMANDS,
        "enrolment.enrol-participant",
        None,
    )
    assert staged.data == {
        "participant_id": str(pid),
        "programme_id": "handler-tests",
        "course_id": "c1",
        "enrolled_on": TODAY.isoformat(),
    }
    assert staged.version == 2


async def test_the_fact_a_pending_command_caused_settles_it_as_accepted_with_the_answer(db: SessionMaker) -> None:
    pid = uuid4()
    command = await issued(db, EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id="c1"))
    fact = await deliver(db, SERVICE, enrolment_confirmed(pid), cause=command)

    assert await pending(db, command) == {
        "participant_id": pid,
        "command_type": "enrolment.enrol-participant",
        "status": "accepted",
        "answer_type": "enrolment.confirmed",
        "answer": fact.data,
        "issued_by": "caseworker-1",
        "answered": True,
    }
    timeline = await rows(db, "SELECT event_id FROM timeline_entry WHERE participant_id = :p", p=pid)
    assert timeline == [{"event_id": fact.id}]


async def test_a_fact_another_command_caused_leaves_a_pending_command_pending(db: SessionMaker) -> None:
    pid = uuid4()
    command = await issued(db, RecordStart(participant_id=pid, started_on=TODAY))
    elsewhere = CloudEvent(type="participation.record-start", version=1, source="tests", subject=str(pid), data={})
    started = ParticipationStarted(participant_id=pid, course_id="c1", started_on=TODAY)
    await deliver(db, SERVICE, started, cause=elsewhere)

    found = await pending(db, command)
    assert found is not None
    assert (found["status"], found["answered"]) == ("pending", False)


async def test_a_command_rejected_settles_the_pending_command_as_rejected(db: SessionMaker) -> None:
    pid = uuid4()
    command = await issued(db, RecordStart(participant_id=pid, started_on=TODAY))
    rejected = Rejection("not-enrolled", "the participant is not enrolled").answering(command)
    answer = await deliver(db, SERVICE, rejected, cause=command)

    found = await pending(db, command)
    assert found is not None
    assert (found["status"], found["answer_type"], found["answered"]) == ("rejected", "command.rejected", True)
    assert found["answer"] == answer.data
    assert found["answer"]["reason"] == "not-enrolled"


async def test_registering_a_referral_stores_the_personal_data_only_encrypted(db: SessionMaker, vault: Vault) -> None:
    programme = a_programme()
    participant = await registered(db, vault, referral_of(CPR, programme))
    digits = parse_cpr(CPR).digits

    stored = await row(
        db,
        "SELECT p::text AS whole, cpr_hash, cpr_encrypted, name_encrypted, characteristics::text AS characteristics,"
        " case_reference, programme_id, municipality, caseworker_email FROM participant p WHERE id = :id",
        id=participant.id,
    )
    assert stored is not None
    for secret in (digits, CPR, NAME, *NAME.split()):
        assert secret not in stored["whole"]
        assert secret not in stored["characteristics"]
        for column in ("cpr_hash", "cpr_encrypted", "name_encrypted"):
            assert secret.encode() not in stored[column], column
    # ...yet the row holds them: decryptable with the vault's key, findable by the keyed hash
    key = await row(
        db, "SELECT master_key_id, wrapped_key FROM participant_key WHERE participant_id = :p", p=participant.id
    )
    assert key is not None and key["master_key_id"] == "k1"
    opened = vault.unwrap(participant.id, WrappedKey(key["master_key_id"], key["wrapped_key"]))
    assert opened.decrypt(stored["cpr_encrypted"]) == digits
    assert opened.decrypt(stored["name_encrypted"]) == NAME
    assert stored["cpr_hash"] == vault.lookup_hash(digits)
    assert (stored["programme_id"], stored["municipality"], stored["caseworker_email"]) == (
        programme,
        "751",
        "caseworker@aarhus.example.dk",
    )


async def test_registering_a_referral_publishes_a_pseudonymous_referral_registered_v3(
    db: SessionMaker, vault: Vault
) -> None:
    programme = a_programme()
    participant = await registered(db, vault, referral_of(CPR, programme))

    [staged] = await outbox_rows(db, participant.id)
    assert (staged.topic, staged.key, staged.type, staged.version) == (
        REFERRAL_EVENTS,
        str(participant.id),
        "referral.registered",
        3,
    )
    assert set(staged.data) == set(ReferralRegistered.model_fields)
    assert {k: staged.data[k] for k in ("case_reference", "programme_id", "referred_on", "gender")} == {
        "case_reference": participant.case_reference,
        "programme_id": programme,
        "referred_on": TODAY.isoformat(),
        "gender": "male",  # from the CPR number's last digit
    }
    # born 15 June 1970, so 55 on 5 January 2026
    assert (staged.data["age_band"], staged.data["age_band_esf_plus"], staged.data["over_54"]) == (
        "over-54",
        "55-and-over",
        True,
    )
    published = staged.payload + str(staged.headers)
    for secret in (parse_cpr(CPR).digits, CPR, "1970-06-15", NAME, *NAME.split()):
        assert secret not in published


async def test_registering_the_same_citizen_again_to_the_same_programme_is_refused(
    db: SessionMaker, vault: Vault
) -> None:
    programme = a_programme()
    first = await registered(db, vault, referral_of(CPR, programme))

    refused = await attempted(db, vault, referral_of(CPR.replace("-", ""), programme))

    assert isinstance(refused, Rejection) and refused.reason == "already-referred"
    assert first.case_reference in refused.detail  # the same municipality may know which case
    referrals = await rows(
        db,
        "SELECT key FROM outbox_message WHERE topic = :t AND payload::jsonb ->> 'programme_id' = :p",
        t=REFERRAL_EVENTS,
        p=programme,
    )
    assert referrals == [{"key": str(first.id)}]
    participants = await rows(db, "SELECT id FROM participant WHERE programme_id = :p", p=programme)
    assert participants == [{"id": first.id}]


async def test_the_same_citizen_may_be_referred_to_another_programme(db: SessionMaker, vault: Vault) -> None:
    first = await registered(db, vault, referral_of(CPR, a_programme()))
    second = await registered(db, vault, referral_of(CPR, a_programme()))

    assert first.id != second.id
    assert first.case_reference != second.case_reference
