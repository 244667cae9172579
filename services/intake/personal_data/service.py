"""Erasure (GDPR art. 17): a participant's personal data destroyed for good, the pseudonymous facts kept.

In one transaction: the participant's data key is deleted (whatever was sealed with it is unreadable in every copy
of the database that no longer holds the key), the ciphertexts and the CPR lookup hash are removed, the stored
answers to their referral request are dropped, the participant is marked erased with the date and basis, the erasure
is audited and participant.erased is published through the outbox. Erasing an erased participant changes nothing
and publishes nothing.

What stays, as it leads back to nobody: the pseudonymous id, the case reference, the characteristics at entry, the
legal basis and consent dates (the record of why the data were processed), the caseworker responsible, the
timeline's facts and the audit log. The same citizen referred again is a new participant: nothing finds the old one.

The jobs (consent withdrawn, retention) claim due participants in batches, each batch one transaction, locked with
SKIP LOCKED so that replicas and a second run share the work; an erased participant is never due again, so a job
stopped half-way simply goes on where it was when it runs next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE
from services.intake.audit.service import audit
from services.intake.domain import ErasureGround, ParticipantStatus
from services.intake.personal_data.domain import consent_erasure_due_on, consent_withdrawal_problem
from services.intake.personal_data.keys import destroy_key
from services.intake.tables import CatalogueProgramme, IdempotentRequest, Participant
from shared.auth import Principal
from shared.clock import today_in_copenhagen
from shared.contracts import ConsentWithdrawn, ErasureBasis, ParticipantErased
from shared.db import SessionMaker, unit_of_work
from shared.fund_rules import add_months
from shared.logging import get_logger
from shared.outbox import publish
from shared.rejection import Refused

log = get_logger(__name__)
ERASED = ParticipantStatus.ERASED
ERASURE = "erasure"  # the audit log's action


def record_consent_withdrawal(session: AsyncSession, participant: Participant, *, withdrawn_on: date) -> None:
    """Record that the citizen withdrew their consent and tell the other services; Refused where it cannot be (no
    consent, already withdrawn, before it was given). The caller has checked the participant is not erased."""
    refused = consent_withdrawal_problem(
        legal_basis=participant.legal_basis,
        given_on=participant.consent_given_on,
        already_withdrawn_on=participant.consent_withdrawn_on,
        withdrawn_on=withdrawn_on,
    )
    if refused:
        raise Refused(refused)
    participant.consent_withdrawn_on = withdrawn_on
    publish(session, ConsentWithdrawn(participant_id=participant.id, withdrawn_on=withdrawn_on), source=SOURCE)


def erasure_due_on(participant: Participant, *, days: int) -> date | None:
    """When the participant's personal data will be erased, the consent they rest on having been withdrawn."""
    return consent_erasure_due_on(
        legal_basis=participant.legal_basis,
        withdrawn_on=participant.consent_withdrawn_on,
        erased_on=participant.erased_on,
        days=days,
    )


def system_principal(job: str) -> Principal:
    """Who erases when no person does: an intake job, as the audit log names it."""
    return Principal(
        subject=f"rummelig/intake/{job}",
        email="intake@rummelig.invalid",
        roles=frozenset({"system"}),
        municipality=None,
    )


async def erase(
    session: AsyncSession, participant: Participant, *, basis: ErasureBasis, principal: Principal, today: date
) -> bool:
    """Destroy the participant's personal data and tell the other services; False if they were erased already."""
    if participant.status == ERASED:
        return False
    await destroy_key(session, participant.id)
    participant.cpr_hash = participant.cpr_encrypted = participant.name_encrypted = None
    participant.contact_encrypted = participant.legacy_key_id = None
    participant.status, participant.erased_on, participant.erasure_basis = ERASED, today, ErasureGround(basis)
    # The referral's stored answer: its fingerprint is a hash of the request body, CPR number and name included.
    await session.exec(
        delete(IdempotentRequest).where(
            func.jsonb_extract_path_text(col(IdempotentRequest.answer), "participant_id") == str(participant.id)
        )
    )
    await audit(session, principal=principal, participant_id=participant.id, action=ERASURE)
    publish(session, ParticipantErased(participant_id=participant.id, erased_on=today, basis=basis), source=SOURCE)
    return True


def consent_withdrawn_due(*, days: int, today: date) -> list[ColumnElement[bool]]:
    """Consent was the data's only basis, it was withdrawn, and `days` have passed since."""
    return [
        col(Participant.legal_basis) == "consent",
        col(Participant.consent_withdrawn_on).is_not(None),
        col(Participant.consent_withdrawn_on) <= today - timedelta(days=days),
    ]


def retention_due(*, years: int, today: date) -> list[ColumnElement[bool]]:
    """The participant's programme ended more than `years` ago (per intake's catalogue read model)."""
    ended_before = add_months(today, -12 * years)
    return [
        col(Participant.programme_id).in_(
            select(CatalogueProgramme.id).where(col(CatalogueProgramme.ends_on) < ended_before)
        )
    ]


async def claim(session: AsyncSession, due: Sequence[ColumnElement[bool]], *, limit: int) -> list[Participant]:
    """Up to `limit` participants not yet erased that are due, locked; those another transaction holds are skipped."""
    query = (
        select(Participant)
        .where(col(Participant.status) != ERASED, *due)
        .order_by(col(Participant.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.exec(query)).all())


async def count_due(session: AsyncSession, due: Sequence[ColumnElement[bool]]) -> dict[str, int]:
    """How many participants not yet erased are due, by programme."""
    query: Any = (
        select(Participant.programme_id, func.count())
        .where(col(Participant.status) != ERASED, *due)
        .group_by(col(Participant.programme_id))
        .order_by(col(Participant.programme_id))
    )
    return {programme: int(n) for programme, n in (await session.exec(query)).all()}


async def erase_due(
    sessions: SessionMaker,
    due: Sequence[ColumnElement[bool]],
    *,
    basis: ErasureBasis,
    today: date,
    batch: int = 100,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Erase every participant due, a batch to a transaction, telling `progress` the running total; how many."""
    principal, total = system_principal(basis), 0
    while True:
        async with unit_of_work(sessions) as session:
            claimed = await claim(session, due, limit=batch)
            for participant in claimed:
                await erase(session, participant, basis=basis, principal=principal, today=today)
        total += len(claimed)
        if progress is not None and claimed:
            progress(total)
        if len(claimed) < batch:  # nothing left, or the rest is another job's right now
            return total


class ConsentErasure:
    """The poller that erases personal data `days` after the withdrawal of the consent they rested on."""

    def __init__(self, sessions: SessionMaker, *, days: int, poll_seconds: float) -> None:
        self._sessions, self._days, self._poll = sessions, days, poll_seconds

    async def erase_due(self, today: date | None = None) -> int:
        """Erase every participant due today; how many."""
        day = today or today_in_copenhagen()
        due = consent_withdrawn_due(days=self._days, today=day)
        erased = await erase_due(self._sessions, due, basis="consent-withdrawn", today=day)
        if erased:
            log.info("personal data erased after consent was withdrawn", participants=erased)
        return erased

    async def run(self) -> None:
        """Erase what is due every poll interval until cancelled; a failed round is logged and tried again."""
        while True:
            try:
                await self.erase_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round tries again; nothing is half-erased
                log.warning("consent erasure round failed", error=repr(exc))
            await asyncio.sleep(self._poll)
