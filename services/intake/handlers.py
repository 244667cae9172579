"""Intake's use cases and its consumer: register a referral, issue a command, put a fact on the timeline.

Every function takes the caller's session and never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Executable, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import catalogue
from services.intake.audit import audit
from services.intake.domain import Referral, format_case_reference, referral_registered
from services.intake.queries import case_ended
from services.intake.tables import Participant, ParticipantKey, PendingCommand, TimelineEntry
from services.intake.vault import Vault
from shared.auth import Principal
from shared.consumer import Handlers
from shared.contracts import REGISTRY, AboutParticipant, CommandRejected, ReferralRegistered, to_event
from shared.envelope import CloudEvent
from shared.outbox import OUTBOX_COLUMNS, OutboxMessage, outbox_values, publish
from shared.rejection import Refused, Rejection

SOURCE = "rummelig/intake"


def already_referred(case_reference: str | None) -> Rejection:
    """The citizen already has an open case in this programme; its reference only for its own municipality."""
    known = f" ({case_reference})" if case_reference else ""
    return Rejection("already-referred", f"the citizen already has an open case in this programme{known}")


_EXISTING_OR_NEXT_NUMBER = text(
    "SELECT p.id, CASE WHEN p.id IS NULL THEN nextval('case_reference_seq') END AS number"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN participant p ON p.cpr_hash = :cpr_hash AND p.programme_id = :programme AND p.status = 'active'"
)


async def register_referral(
    session: AsyncSession, *, vault: Vault, referral: Referral, principal: Principal, today: date
) -> Registered | Rejection:
    """Store the participant (personal data encrypted) and publish referral.registered through the outbox.

    A citizen whose case in the programme has ended is referred again as the same participant. One whose case is
    open is refused: by its case reference in the same municipality, neutrally elsewhere, where the look-up is
    audited (so the caller commits even a refusal; nothing else has been written then).
    """
    cpr_hash = vault.lookup_hash(referral.cpr.digits)
    # One round trip: the citizen's case in the programme if there is one, else the next case number (bench/intake.py)
    known_id, number = (
        await session.exec(  # type: ignore[call-overload]
            _EXISTING_OR_NEXT_NUMBER, params={"cpr_hash": cpr_hash, "programme": referral.programme_id}
        )
    ).one()
    existing = await session.get(Participant, known_id) if known_id else None
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    if existing is not None and existing.municipality != principal.municipality:
        # Another municipality's caseworker learns that the citizen is in the programme, not which case it is; the
        # look-up itself is recorded, as it touched that participant's data.
        await audit(session, principal=principal, participant_id=existing.id, action="duplicate-lookup")
        return already_referred(None)
    if existing is not None and not await case_ended(session, existing.id):
        return already_referred(existing.case_reference)
    if existing is not None:  # referred again after the case ended: the same participant, one record for the fund
        await session.delete(existing)
        await session.flush()
        participant_id, case_reference = existing.id, existing.case_reference
    else:
        participant_id, case_reference = uuid4(), format_case_reference(number)
    fact = referral_registered(
        referral,
        participant_id=participant_id,
        case_reference=case_reference,
        municipality=principal.municipality,
        caseworker_email=principal.email,
        today=today,
    )
    contact = asdict(referral.contact)
    key, wrapped = vault.new_key(participant_id)  # the participant's own key: destroying it erases their data
    now = datetime.now(UTC)
    consent_given_on = (referral.consent_given_on or fact.referred_on) if referral.legal_basis == "consent" else None
    # The rows as values, not models: every value is checked already, and building and dumping the models was a
    # tenth of a referral's CPU (bench/intake.py, py-spy).
    row = _PARTICIPANT_DEFAULTS | {
        "id": participant_id,
        "case_reference": fact.case_reference,
        "programme_id": fact.programme_id,
        "subproject_id": fact.subproject_id,
        "municipality": fact.municipality,
        "caseworker_subject": principal.subject,
        "caseworker_email": fact.caseworker_email,
        "cpr_hash": cpr_hash,
        "cpr_encrypted": key.encrypt(referral.cpr.digits),
        "name_encrypted": key.encrypt(referral.name),
        "contact_encrypted": key.encrypt(json.dumps(contact)) if any(contact.values()) else None,
        "legal_basis": referral.legal_basis,
        "consent_text_version": referral.consent_text_version,
        "consent_given_on": consent_given_on,
        "referred_on": fact.referred_on,
        "characteristics": fact.model_dump(mode="json", exclude=_NOT_CHARACTERISTICS),
        # a re-entry keeps the first entry (one record for the fund)
        "entered_on": existing.entered_on if existing is not None else None,
        "created_at": now,
    }
    wrapped_key = {
        "participant_id": participant_id,
        "master_key_id": wrapped.master_key_id,
        "wrapped_key": wrapped.wrapped,
        "created_at": now,
    }
    try:
        statement, params = _stage_with_its_event(row, wrapped_key, fact)
        await session.exec(statement, params=params)  # type: ignore[call-overload]
    except IntegrityError as exc:  # a concurrent referral of the same citizen won the race: one participant
        raise Refused(already_referred(None)) from exc
    return Registered(participant_id, case_reference, fact.programme_id)


@dataclass(frozen=True)
class Registered:
    """The participant a referral registered: their id, the case reference to quote, the programme."""

    id: UUID
    case_reference: str
    programme_id: str


_NOT_CHARACTERISTICS = {"participant_id", "case_reference", "caseworker_email"}
# a participant row's defaults, for the columns a referral does not set
_PARTICIPANT_DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in Participant.model_fields.items()
    if field.default_factory is None and not field.is_required()
}


def _stage_with_its_event(
    participant: dict[str, Any], key: dict[str, Any], fact: ReferralRegistered
) -> tuple[Executable, dict[str, Any]]:
    """One statement, one round trip: the participant's row, their wrapped key and referral.registered in the outbox.

    Through the ORM these were two flushes and most of a referral's CPU (bench/intake.py, profiled with py-spy); the
    statement is built once with bound parameters, since building it per request was a tenth of a referral's CPU.
    """
    staged = outbox_values(to_event(fact, source=SOURCE), topic=REGISTRY.topic_of(ReferralRegistered))
    params = (
        {f"p_{k}": v for k, v in participant.items()}
        | {f"k_{k}": v for k, v in key.items()}
        | {f"o_{k}": v for k, v in staged.items()}
    )
    return _stage_statement(), params


@functools.cache
def _stage_statement() -> Executable:
    table, keys = Participant.__table__, ParticipantKey.__table__  # type: ignore[attr-defined]
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    inserted = (
        insert(table)
        .values({c: bindparam(f"p_{c}", type_=table.c[c].type) for c in Participant.model_fields})
        .returning(table.c.id)
        .cte("inserted")
    )
    key_columns = list(ParticipantKey.model_fields)
    keyed = (
        insert(keys)
        .from_select(
            key_columns,
            select(*(bindparam(f"k_{c}", type_=keys.c[c].type) for c in key_columns)).select_from(inserted),
        )
        .returning(keys.c.participant_id)
        .cte("keyed")
    )
    columns = list(OUTBOX_COLUMNS)
    return insert(outbox).from_select(
        columns, select(*(bindparam(f"o_{c}", type_=outbox.c[c].type) for c in columns)).select_from(keyed)
    )


async def issue_command(session: AsyncSession, *, command: AboutParticipant, principal: Principal) -> CloudEvent:
    """Send a command to the owning service through the outbox and remember it as pending."""
    event = publish(session, command, source=SOURCE)
    session.add(
        PendingCommand(
            id=event.id, participant_id=command.participant_id, command_type=event.type, issued_by=principal.subject
        )
    )
    return event


async def on_fact(session: AsyncSession, fact: AboutParticipant, event: CloudEvent) -> None:
    """Put a fact on its participant's timeline and answer the pending command it settles, if any."""
    data = fact.model_dump(mode="json")
    session.add(
        TimelineEntry(
            participant_id=fact.participant_id,
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.time,
            data=data,
        )
    )
    settled: UUID | None = fact.command_id if isinstance(fact, CommandRejected) else event.causationid
    if settled is not None:
        await session.exec(
            update(PendingCommand)
            .where(
                col(PendingCommand.id) == settled,
                col(PendingCommand.status) == "pending",
                # A command can cause facts about others (a withdrawal promotes the first waiting): only a fact about
                # the command's own participant answers it.
                col(PendingCommand.participant_id) == fact.participant_id,
            )
            .values(
                status="rejected" if isinstance(fact, CommandRejected) else "accepted",
                answer_type=event.type,
                answer=data,
                answered_at=datetime.now(UTC),
            )
        )


# Every fact about a participant goes on the timeline (the list comes from the contract registry); the catalogue's
# entries go to intake's read model of it.
HANDLERS: Handlers = {**dict.fromkeys(REGISTRY.facts(about=AboutParticipant), on_fact), **catalogue.HANDLERS}
