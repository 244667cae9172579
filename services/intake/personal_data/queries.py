"""The answer to a citizen's access request (GDPR art. 15): everything intake holds on one participant.

Intake holds the personal data (decrypted here), the referral with its legal basis, the pseudonymous facts every
service published about the participant (the timeline: enrolment's participation, follow-up's checks, outcomes and
reminders), the commands caseworkers issued, and the audit log's record of who read the data. The other services hold
only pseudonymous copies of those facts, so this one document covers them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.audit.queries import AuditFilter, find_entries
from services.intake.audit.schemas import AuditEntryOut, entry_out
from services.intake.domain import LegalBasis, wire_name
from services.intake.personal_data.keys import key_of
from services.intake.schemas import ContactIn, TimelineEvent
from services.intake.tables import Participant, PendingCommand
from services.intake.timeline.queries import timeline_entries
from services.intake.vault import Vault
from shared.contracts import CheckOverdue, ReminderSent

# The facts that say an email went out about the case: to the responsible caseworker, and (an overdue check) on the
# sub-project coordinator's digest. Neither email names the citizen (followup.messages).
REMINDER_FACTS = {wire_name(ReminderSent): "reminder", wire_name(CheckOverdue): "escalation"}
READS_AT_MOST = 100_000


class PersonalData(BaseModel):
    """The citizen's personal data, as stored encrypted by intake."""

    cpr: str
    name: str
    contact: ContactIn


class ReferralDetails(BaseModel):
    """The referral: where the citizen was referred, by whom, and the characteristics recorded at entry."""

    case_reference: str
    status: str
    programme_id: str
    subproject_id: str
    municipality: str
    responsible_caseworker: str = Field(description="the caseworker's user (token subject)")
    responsible_caseworker_email: str
    referred_on: date
    entered_on: date | None
    registered_at: datetime
    characteristics: dict[str, Any]


class LegalBasisOut(BaseModel):
    """On what the processing rests, and the consent given or withdrawn."""

    legal_basis: LegalBasis
    consent_text_version: str | None
    consent_given_on: date | None
    consent_withdrawn_on: date | None


class CommandOut(BaseModel):
    """A command a user issued about the participant, and how the owning service answered."""

    id: UUID
    type: str
    status: str = Field(description="pending, accepted or rejected")
    issued_by: str
    issued_at: datetime
    answered_at: datetime | None
    answer_type: str | None


class ReminderOut(BaseModel):
    """An email sent about the case (to staff, never naming the citizen)."""

    kind: Literal["reminder", "escalation"]
    sent_at: datetime
    check: str | None
    due_on: date | None
    event_id: UUID


class AccessDocument(BaseModel):
    """Everything intake holds on one participant."""

    participant_id: UUID
    produced_at: datetime
    produced_by: str
    personal_data: PersonalData | None = Field(description="None once erased: nothing of the person is left to give")
    referral: ReferralDetails
    legal_basis: LegalBasisOut
    facts: list[TimelineEvent] = Field(description="every fact about the participant, in the order intake got them")
    reminders: list[ReminderOut] = Field(description="the emails about the case, from the facts")
    commands: list[CommandOut] = Field(description="every command issued, the pending ones included")
    reads: list[AuditEntryOut] = Field(description="who read the participant's data and when, oldest first")


async def access_document(
    session: AsyncSession, participant: Participant, *, vault: Vault, produced_at: datetime, produced_by: str
) -> AccessDocument:
    """The document for one participant, read in the caller's transaction (whose own read is among the reads)."""
    facts = [
        TimelineEvent(id=e.event_id, type=e.event_type, time=e.occurred_at, data=e.data)
        for e in await timeline_entries(session, participant.id)
    ]
    reads = await find_entries(session, AuditFilter(participant_id=participant.id), limit=READS_AT_MOST)
    return AccessDocument(
        participant_id=participant.id,
        produced_at=produced_at,
        produced_by=produced_by,
        personal_data=await _personal_data(session, participant, vault),
        referral=ReferralDetails(
            case_reference=participant.case_reference,
            status=participant.status,
            programme_id=participant.programme_id,
            subproject_id=participant.subproject_id,
            municipality=participant.municipality,
            responsible_caseworker=participant.caseworker_subject,
            responsible_caseworker_email=participant.caseworker_email,
            referred_on=participant.referred_on,
            entered_on=participant.entered_on,
            registered_at=participant.created_at,
            characteristics=participant.characteristics,
        ),
        legal_basis=LegalBasisOut(
            legal_basis=participant.legal_basis,
            consent_text_version=participant.consent_text_version,
            consent_given_on=participant.consent_given_on,
            consent_withdrawn_on=participant.consent_withdrawn_on,
        ),
        facts=facts,
        reminders=[
            ReminderOut(
                kind=REMINDER_FACTS[f.type],
                sent_at=f.time,
                check=f.data.get("check"),
                due_on=f.data.get("due_on"),
                event_id=f.id,
            )
            for f in facts
            if f.type in REMINDER_FACTS
        ],
        commands=[_command(c) for c in await _commands(session, participant.id)],
        reads=[entry_out(e) for e in reversed(reads)],
    )


async def _personal_data(session: AsyncSession, participant: Participant, vault: Vault) -> PersonalData | None:
    if participant.cpr_encrypted is None or participant.name_encrypted is None:
        return None  # erased
    key = await key_of(session, vault, participant)
    contact = participant.contact_encrypted
    return PersonalData(
        cpr=key.decrypt(participant.cpr_encrypted),
        name=key.decrypt(participant.name_encrypted),
        contact=ContactIn.model_validate_json(key.decrypt(contact)) if contact else ContactIn(),
    )


async def _commands(session: AsyncSession, participant_id: UUID) -> list[PendingCommand]:
    query = (
        select(PendingCommand)
        .where(PendingCommand.participant_id == participant_id)
        .order_by(col(PendingCommand.created_at))
    )
    return list((await session.exec(query)).all())


def _command(command: PendingCommand) -> CommandOut:
    return CommandOut(
        id=command.id,
        type=command.command_type,
        status=command.status,
        issued_by=command.issued_by,
        issued_at=command.created_at,
        answered_at=command.answered_at,
        answer_type=command.answer_type,
    )
