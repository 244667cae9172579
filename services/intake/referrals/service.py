"""A referral's use cases: check it against the catalogue, register it (the participant's personal data sealed).

Every function takes the caller's session and never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import idempotency
from services.intake.audit.service import audit
from services.intake.catalogue.domain import Span, SubprojectReach, catalogue_problem
from services.intake.catalogue.queries import ReachCache, read_reach
from services.intake.referrals.domain import (
    Referral,
    characteristics_on_referral,
    format_case_reference,
    referral_registered,
)
from services.intake.referrals.queries import case_ended, case_or_next_number
from services.intake.referrals.schemas import ReferralCreated, ReferralLinks
from services.intake.referrals.store import stage_participant
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal
from shared.rejection import Refused, Rejection


def already_referred(case_reference: str | None) -> Rejection:
    """The citizen already has an open case in this programme; its reference only for its own municipality."""
    known = f" ({case_reference})" if case_reference else ""
    return Rejection("already-referred", f"the citizen already has an open case in this programme{known}")


async def register_referral(
    session: AsyncSession, *, vault: Vault, referral: Referral, principal: Principal, today: date
) -> Registered | Rejection:
    """Store the participant (personal data encrypted) and publish referral.registered through the outbox.

    A citizen whose case in the programme has ended is referred again as the same participant, by any municipality
    (one who moved is then the new municipality's; the old one no longer sees them), keeping the first entry's
    characteristics. One whose case is open is refused: by its case reference in the same municipality, neutrally
    elsewhere, where the look-up is audited (so the caller commits even a refusal; nothing else has been written).
    """
    cpr_hash = vault.lookup_hash(referral.cpr.digits)
    # One round trip: the citizen's case in the programme if there is one, else the next case number (bench/intake.py)
    known_id, number = await case_or_next_number(session, cpr_hash=cpr_hash, programme_id=referral.programme_id)
    existing = await session.get(Participant, known_id) if known_id else None
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    if existing is not None and not await case_ended(session, existing.id):
        if existing.municipality != principal.municipality:
            # Another municipality's caseworker learns that the citizen is in the programme, not which case it is;
            # the look-up itself is recorded, as it touched that participant's data.
            await audit(session, principal=principal, participant_id=existing.id, action="duplicate-lookup")
            return already_referred(None)
        return already_referred(existing.case_reference)
    if existing is not None:  # referred again after the case ended: the same participant, one record for the fund
        await session.delete(existing)
        await session.flush()
        participant_id, case_reference = existing.id, existing.case_reference
    else:
        assert number is not None  # no active case: the query drew the next number
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
        "characteristics": characteristics_on_referral(
            fact.model_dump(mode="json", exclude=_NOT_CHARACTERISTICS),
            at_entry=existing.characteristics if existing is not None and existing.entered_on is not None else None,
        ),
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
        await stage_participant(session, row, wrapped_key, fact)
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


async def referral_problem(
    session: AsyncSession, referral: Referral, *, municipality: str, today: date, cache: ReachCache | None = None
) -> Rejection | None:
    """What the catalogue says against a referral: unknown or inactive programme or sub-project, or not served."""
    return await catalogue_refusal(
        session,
        programme_id=referral.programme_id,
        subproject_id=referral.subproject_id,
        target_group=referral.target_group,
        referred_on=referral.referred_on or today,
        municipality=municipality,
        cache=cache,
    )


async def catalogue_refusal(
    session: AsyncSession,
    *,
    programme_id: str,
    subproject_id: str,
    target_group: str,
    referred_on: date,
    municipality: str,
    cache: ReachCache | None = None,
) -> Rejection | None:
    """The catalogue's rule for a referral's choices alone (a form whose other fields are still wrong is told too)."""
    found = (
        await cache.reach(session, programme_id, subproject_id)
        if cache is not None
        else await read_reach(session, programme_id, subproject_id)
    )
    return catalogue_problem(
        programme_id=programme_id,
        subproject_id=subproject_id,
        target_group=target_group,
        municipality=municipality,
        referred_on=referred_on,
        programme=Span(found.p_starts_on, found.p_ends_on) if found.p_starts_on else None,
        subproject=(
            SubprojectReach(
                programme_id=found.s_programme_id,
                period=Span(found.s_starts_on, found.s_ends_on),
                municipalities=tuple(found.municipalities),
                target_groups=tuple(found.target_groups),
            )
            if found.s_programme_id
            else None
        ),
    )


async def refer(
    session: AsyncSession,
    *,
    vault: Vault,
    reach: ReachCache | None,
    referral: Referral,
    principal: Principal,
    today: date,
    key: str | None,
    asked: str,
) -> dict[str, Any] | Rejection:
    """Register a referral once per Idempotency-Key: the created case as answered (the first answer again for a
    repeated key), or why not. A rejection naming a field is the request's fault (the catalogue); one without is a
    conflict with what is known (already referred), and is committed, as its look-up may have been audited. Raises
    Refused where nothing may be kept: a key reused for another request, a concurrent referral of the citizen."""
    assert principal.municipality is not None  # a caseworker's or team lead's token names it
    first = await idempotency.earlier(session, principal, key, asked)
    if first is not None and first.answer is not None:
        return first.answer  # the same referral again: the first answer, nothing new
    problem = await referral_problem(session, referral, municipality=principal.municipality, today=today, cache=reach)
    if problem:
        return problem
    outcome = await register_referral(session, vault=vault, referral=referral, principal=principal, today=today)
    if isinstance(outcome, Rejection):
        return outcome
    created = ReferralCreated(
        participant_id=outcome.id,
        case_reference=outcome.case_reference,
        programme_id=outcome.programme_id,
        links=ReferralLinks(timeline=f"/participants/{outcome.id}/timeline"),
    ).model_dump(mode="json")
    await idempotency.remember(session, principal, key, asked, answer=created)
    return created
