"""Intake's use cases: register a referral, issue a command to another service, record facts on the timeline.

Every function takes the caller's session and never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel
from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import ReferralIn, format_case_reference, referral_registered
from services.intake.tables import AuditEntry, Participant, PendingCommand, TimelineEntry
from services.intake.vault import Vault
from shared.auth import Principal
from shared.contracts import wire_name
from shared.envelope import CloudEvent
from shared.outbox import add_to_outbox
from shared.topics import ENROLMENT_COMMANDS, FOLLOWUP_COMMANDS, REFERRAL_EVENTS

SOURCE = "rummelig/intake"
COMMAND_TOPICS = {
    "enrolment.enrol-participant": ENROLMENT_COMMANDS,
    "participation.record-start": ENROLMENT_COMMANDS,
    "participation.record-completion": ENROLMENT_COMMANDS,
    "participation.record-drop-out": ENROLMENT_COMMANDS,
    "followup.record-leaving-outcome": FOLLOWUP_COMMANDS,
    "followup.record-six-month-result": FOLLOWUP_COMMANDS,
}


class AlreadyReferred(Exception):
    """The citizen already has an active referral to this programme; its reference only for its own municipality."""

    def __init__(self, case_reference: str | None) -> None:
        super().__init__(case_reference)
        self.case_reference = case_reference


async def register_referral(
    session: AsyncSession, *, vault: Vault, referral: ReferralIn, principal: Principal, today: date
) -> Participant:
    """Store the participant (personal data encrypted) and stage referral.registered in the outbox."""
    cpr_hash = vault.lookup_hash(referral.cpr)
    existing = (
        await session.exec(
            select(Participant).where(
                Participant.cpr_hash == cpr_hash,
                Participant.programme_id == referral.programme_id,
                Participant.status == "active",
            )
        )
    ).first()
    if existing is not None:
        # Another municipality's caseworker learns that the citizen is in the programme, not which case it is.
        raise AlreadyReferred(existing.case_reference if existing.municipality == principal.municipality else None)
    participant_id = uuid4()
    number = (await session.exec(text("SELECT nextval('case_reference_seq')"))).scalar_one()  # type: ignore[call-overload]
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    fact = referral_registered(
        referral,
        participant_id=participant_id,
        case_reference=format_case_reference(number),
        municipality=principal.municipality,
        caseworker_email=principal.email,
        today=today,
    )
    participant = Participant(
        id=participant_id,
        case_reference=fact.case_reference,
        programme_id=fact.programme_id,
        subproject_id=fact.subproject_id,
        municipality=fact.municipality,
        caseworker_subject=principal.subject,
        caseworker_email=principal.email,
        cpr_hash=cpr_hash,
        cpr_encrypted=vault.encrypt(participant_id, referral.cpr),
        name_encrypted=vault.encrypt(participant_id, referral.name),
        consent_given_on=today,
        referred_on=fact.referred_on,
        characteristics=fact.model_dump(mode="json", exclude={"participant_id", "case_reference", "caseworker_email"}),
    )
    session.add(participant)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent referral of the same citizen won the race
        raise AlreadyReferred(None) from exc
    event = CloudEvent(
        type="referral.registered",
        version=1,
        source=SOURCE,
        subject=str(participant_id),
        data=fact.model_dump(mode="json"),
    )
    add_to_outbox(session, event, topic=REFERRAL_EVENTS)
    return participant


async def find_participant(session: AsyncSession, participant_id: UUID, *, principal: Principal) -> Participant | None:
    """The participant, if the caseworker's municipality may see it (others get None, answered as 404)."""
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.municipality != principal.municipality:
        return None
    return participant


def audit(session: AsyncSession, *, principal: Principal, participant_id: UUID, action: str) -> None:
    """Record a read of personal data."""
    session.add(AuditEntry(actor=principal.subject, action=action, participant_id=participant_id))


async def issue_command(
    session: AsyncSession, *, participant: Participant, command: BaseModel, principal: Principal
) -> CloudEvent:
    """Send a command to the owning service through the outbox and remember it as pending."""
    type_, version = wire_name(type(command))
    event = CloudEvent(
        id=uuid4(),
        type=type_,
        version=version,
        source=SOURCE,
        subject=str(participant.id),
        data=command.model_dump(mode="json"),
    )
    session.add(
        PendingCommand(id=event.id, participant_id=participant.id, command_type=type_, issued_by=principal.subject)
    )
    add_to_outbox(session, event, topic=COMMAND_TOPICS[type_])
    return event


async def record_fact(session: AsyncSession, event: CloudEvent) -> None:
    """Put a fact on its participant's timeline and answer the pending command it settles, if any."""
    try:
        participant_id = UUID(event.subject)
    except ValueError:
        return  # not about a participant
    session.add(
        TimelineEntry(
            participant_id=participant_id,
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.time,
            data=event.data,
        )
    )
    command_id = _settled_command(event)
    if command_id is not None:
        await session.exec(
            update(PendingCommand)
            .where(col(PendingCommand.id) == command_id, col(PendingCommand.status) == "pending")
            .values(
                status="rejected" if event.type == "command.rejected" else "accepted",
                answer_type=event.type,
                answer=event.data,
                answered_at=datetime.now(UTC),
            )
        )


def _settled_command(event: CloudEvent) -> UUID | None:
    if event.type == "command.rejected":
        try:
            return UUID(str(event.data.get("command_id")))
        except ValueError:
            return None
    return event.causationid


async def timeline(session: AsyncSession, participant_id: UUID) -> dict[str, Any]:
    """The participant's path: facts in the order they happened, then the commands still waiting."""
    entries = (
        await session.exec(
            select(TimelineEntry).where(TimelineEntry.participant_id == participant_id).order_by(TimelineEntry.id)  # type: ignore[arg-type]
        )
    ).all()
    pending = (
        await session.exec(
            select(PendingCommand)
            .where(PendingCommand.participant_id == participant_id, PendingCommand.status == "pending")
            .order_by(PendingCommand.created_at)  # type: ignore[arg-type]
        )
    ).all()
    return {
        "participant_id": str(participant_id),
        "events": [
            {"id": str(e.event_id), "type": e.event_type, "time": e.occurred_at.isoformat(), "data": e.data}
            for e in entries
        ],
        "pending_commands": [
            {"id": str(c.id), "type": c.command_type, "issued_at": c.created_at.isoformat()} for c in pending
        ],
    }


async def count_participants(session: AsyncSession) -> int:
    """How many participants intake holds (for health and the demo)."""
    return int((await session.exec(select(func.count()).select_from(Participant))).one())
