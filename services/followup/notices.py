"""Where the caseworker is told that a case's personal data were erased: one email per erasure, then forgotten.

participant.erased files a notice in the same transaction that follow-up forgets the case reference and the
caseworker, so the notice is the only place they are kept, and only until the email is sent. Every basis is told
(consent withdrawn, retention, a request): none is the caseworker's own doing, and a caseworker whose case loses its
personal data should know. Notices are claimed with a lease (FOR UPDATE SKIP LOCKED), so each has one sender; a
failed send is tried again with a growing pause; once the SMTP server accepted it, the address and the case
reference are cleared and the row stays, with sent_at, as the record that the caseworker was told. The one possible
duplicate: a crash between the server's acceptance and that commit sends it again, with the same Message-ID.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast
from uuid import UUID

from sqlalchemy import RowMapping, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup import messages
from services.followup.polling import Sender, retry_after
from services.followup.tables import ErasureNotice
from shared.contracts import ErasureBasis, ParticipantErased
from shared.db import unit_of_work
from shared.logging import get_logger

log = get_logger(__name__)

CLAIM_DUE = text(
    """
UPDATE erasure_notice SET locked_until = now() + make_interval(secs => :lease)
WHERE participant_id IN (
    SELECT participant_id FROM erasure_notice
    WHERE sent_at IS NULL AND next_at <= :now AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_at LIMIT :batch
    FOR UPDATE SKIP LOCKED)
RETURNING participant_id, case_reference, caseworker_email, erased_on, basis, attempts
"""
)


async def file(
    session: AsyncSession,
    *,
    participant_id: UUID,
    case_reference: str,
    caseworker_email: str,
    fact: ParticipantErased,
    due_at: datetime,
) -> None:
    """File the caseworker's notice of an erasure, to be sent from due_at; a second one for the participant is
    dropped (the consumer's processed marks already keep a redelivery out: this is the second guard)."""
    await session.exec(
        insert(ErasureNotice)
        .values(
            participant_id=participant_id,
            case_reference=case_reference,
            caseworker_email=caseworker_email,
            erased_on=fact.erased_on,
            basis=fact.basis,
            next_at=due_at,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["participant_id"])
    )


def notice_message_id(participant_id: UUID) -> str:
    """The same Message-ID for every try of one notice, so a receiver can drop a resend."""
    return f"<erasure-{participant_id}@rummelig.invalid>"  # short enough never to be folded


class NoticeSender(Sender):
    """Mails each caseworker the erasure of their case, once, and then forgets whom and which case."""

    what = "erasure notice"
    kind = "erasure-notice"

    async def send_due(self, now: datetime | None = None) -> int:
        """Claim and send every due notice once; returns how many were sent."""
        return await self._each_claimed(CLAIM_DUE, now or datetime.now(UTC), self._send)

    async def _send(self, notice: RowMapping, now: datetime) -> int:
        participant_id: UUID = notice["participant_id"]
        reference = str(notice["case_reference"])
        email = messages.erasure_notice(
            case_reference=reference,
            erased_on=notice["erased_on"],
            basis=cast(ErasureBasis, notice["basis"]),
            link=f"{self._intake_url}/cases/{reference}",
        )
        try:
            to = str(notice["caseworker_email"])
            await self._mail(
                to=to, email=email, message_id=notice_message_id(participant_id), attempts=notice.get("attempts") or 0
            )
        except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: try again later, nothing is lost
            attempts = await self._postpone(participant_id, now)
            log.warning(
                "erasure notice not sent, will retry",
                participant=str(participant_id),
                attempts=attempts,
                error=repr(exc),
            )
            return 0
        async with unit_of_work(self._sessions) as session:
            row = await session.get(ErasureNotice, participant_id, with_for_update=True)
            if row is None or row.sent_at is not None:
                return 0
            row.sent_at, row.next_at, row.locked_until = datetime.now(UTC), None, None
            row.caseworker_email = row.case_reference = None
        log.info("erasure notice sent", participant=str(participant_id), basis=notice["basis"])
        return 1

    async def _postpone(self, participant_id: UUID, now: datetime) -> int:
        """One more failed try: the notice waits a growing pause and its lease is let go; the attempts so far."""
        async with unit_of_work(self._sessions) as session:
            row = await session.get(ErasureNotice, participant_id, with_for_update=True)
            if row is None or row.sent_at is not None:
                return 0
            row.attempts += 1
            row.next_at, row.locked_until = now + retry_after(row.attempts), None
            return row.attempts
